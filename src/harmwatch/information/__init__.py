"""The information-management room: subject access requests and MoPI reviews.

Its work is done by the kernel's hook (:mod:`harmwatch.kernel.subjects`), which asks
every room what it holds; this room gives the data protection officer the commands
and pages to use it.
"""
