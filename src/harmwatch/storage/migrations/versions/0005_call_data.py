"""The calls room: one record per imported call-data file.

Revision ID: 0005
Revises: 0004

The rows themselves are in the analytics store (DuckDB ``calls``); this record
carries the kernel's envelope for them (force, unit, restriction, handling code,
retention) and the file's provenance: its hash, the import spec, and the legal
basis and reference under which it was obtained. ``call_data_parties`` is each file's index
of the numbers, senders and IMEIs in it, so that subject access finds the files
naming a person.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "call_data_imports",
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
        sa.Column("legal_basis", sa.String(24), nullable=False),
        sa.Column("authority_ref", sa.Text(), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("first_event", TS, nullable=True),
        sa.Column("last_event", TS, nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_data_imports"),
    )
    op.create_index("ix_call_data_imports_owning_force", "call_data_imports", ["owning_force"])
    op.create_index("ix_call_data_imports_owning_unit", "call_data_imports", ["owning_unit"])
    op.create_index("ix_call_data_imports_file_id", "call_data_imports", ["file_id"], unique=True)
    op.create_table(
        "call_data_parties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_data_parties"),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["call_data_imports.id"],
            name="fk_call_data_parties_import_id_call_data_imports",
        ),
    )
    op.create_index("ix_call_data_parties_party", "call_data_parties", ["party"])
    op.create_index("ix_call_data_parties_import_id", "call_data_parties", ["import_id"])


def downgrade() -> None:
    op.drop_table("call_data_parties")
    op.drop_table("call_data_imports")
