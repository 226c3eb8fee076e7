"""The force-records room: one record per imported RMS crime export.

Revision ID: 0007
Revises: 0006

The crimes are in the analytics store (DuckDB ``force_crimes``); this record carries
the kernel's envelope for them (force, unit, restriction, handling code, retention)
and the file's provenance: its hash and the import spec it was read with.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
TABLE = "force_records_imports"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("restriction", sa.String(16), nullable=False),
        sa.Column("handling_code", sa.String(1), nullable=False),
        sa.Column("handling_conditions", sa.Text(), nullable=True),
        sa.Column("retention_group", sa.String(32), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("owning_force", sa.String(64), nullable=False),
        sa.Column("owning_unit", sa.String(64), nullable=False),
        sa.Column("file_id", sa.String(40), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("spec_name", sa.Text(), nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("rows_counted", sa.BigInteger(), nullable=False),
        sa.Column("first_committed", TS, nullable=True),
        sa.Column("last_committed", TS, nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_owning_force", TABLE, ["owning_force"])
    op.create_index(f"ix_{TABLE}_owning_unit", TABLE, ["owning_unit"])
    op.create_index(f"ix_{TABLE}_file_id", TABLE, ["file_id"], unique=True)


def downgrade() -> None:
    op.drop_table(TABLE)
