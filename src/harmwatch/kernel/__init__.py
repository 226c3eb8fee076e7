"""The records kernel: what every room that keeps personal records is built on.

See ``docs/design/records-kernel.md``. Modules are imported directly
(``harmwatch.kernel.work``, ``harmwatch.kernel.policy`` …); this package imports
nothing itself, so that the shared layers can use its small vocabulary modules
(``actions``, ``refs``) without importing the rooms.
"""
