"""Several app servers behind one records database: lock holders and web jobs.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

``db_locks`` says who holds each named cross-process lock
(:mod:`harmwatch.storage.dblock`; the lock itself is an advisory lock on PostgreSQL or
a file lock beside a SQLite file), so that an upload waiting on another server's
ingest can say whose it is. ``web_jobs`` keeps the web app's background jobs (call-data
imports) where every app server can read them, not in one server's memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "db_locks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holds", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("backend_pid", sa.Integer(), nullable=True),
        sa.Column("since", TS, nullable=False),
        sa.Column("released_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_db_locks"),
    )
    op.create_table(
        "web_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_web_jobs"),
    )
    op.create_index("ix_web_jobs_owner_started", "web_jobs", ["owner", "started_at"])
    op.create_index("ix_web_jobs_finished_at", "web_jobs", ["finished_at"])


def downgrade() -> None:
    op.drop_table("web_jobs")
    op.drop_table("db_locks")
