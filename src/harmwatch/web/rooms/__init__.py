"""Each room's pages and API: thin adapters over the room's library package.

A room names its module here in its ``room.py`` (``web=(...)``); the app includes
every router a module lists in ``routers``.
"""
