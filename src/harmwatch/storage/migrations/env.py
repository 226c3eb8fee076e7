"""Alembic environment for the records database, driven from code.

``harmwatch.storage.records.upgrade`` builds the Alembic ``Config`` itself and passes
an open connection in ``config.attributes["connection"]``; there is no alembic.ini,
no logging setup (a library must not configure logging) and no offline mode.
"""

from __future__ import annotations

from alembic import context

from harmwatch.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "harmwatch migrations run only through harmwatch.storage.records.upgrade(engine)"
    )

context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
