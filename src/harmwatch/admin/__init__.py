"""The admin room: accounts (with their forces, units and operator keys) and the access log.

The account and access-log code itself is shared (``harmwatch.security``): every
room signs people in and logs to the same chain. This room declares who may manage
them, their routes and commands, and what they hold about a member of staff for a
subject access request.
"""
