"""The operations room: operations, their results, street-price tables and valuations.

Revision ID: 0008
Revises: 0007

Operations and results are records (the kernel's envelope, then their fields; a
result's kind-specific fields are checked JSON). Price tables are versioned and never
changed in place; a valuation names the version it used.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _envelope() -> list[sa.Column[object]]:
    return [
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
    ]


def _owner_indexes(table: str) -> None:
    op.create_index(f"ix_{table}_owning_force", table, ["owning_force"])
    op.create_index(f"ix_{table}_owning_unit", table, ["owning_unit"])


def upgrade() -> None:
    op.create_table(
        "operations",
        *_envelope(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("lead_force", sa.String(64), nullable=False),
        sa.Column("partner_forces", sa.Text(), nullable=False),
        sa.Column("partner_agencies", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("aims", sa.Text(), nullable=False),
        sa.Column("linked_entities", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )
    _owner_indexes("operations")
    op.create_index("ix_operations_force_name", "operations", ["owning_force", "name"], unique=True)

    op.create_table(
        "operation_results",
        *_envelope(),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("result_kind", sa.String(32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("officer", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operation_results"),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name="fk_operation_results_operation_id_operations"
        ),
    )
    _owner_indexes("operation_results")
    op.create_index("ix_operation_results_operation_id", "operation_results", ["operation_id"])
    op.create_index(
        "ix_operation_results_kind_day", "operation_results", ["result_kind", "occurred_on"]
    )

    op.create_table(
        "price_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_tables"),
    )
    op.create_index(
        "ix_price_tables_name_version", "price_tables", ["name", "version"], unique=True
    )
    op.create_table(
        "price_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(64), nullable=False),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("low_pence", sa.BigInteger(), nullable=False),
        sa.Column("high_pence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_entries"),
        sa.ForeignKeyConstraint(
            ["table_id"], ["price_tables.id"], name="fk_price_entries_table_id_price_tables"
        ),
    )
    op.create_index(
        "ix_price_entries_lookup",
        "price_entries",
        ["table_id", "drug", "form", "region"],
        unique=True,
    )
    op.create_table(
        "seizure_valuations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("price_table_id", sa.Integer(), nullable=False),
        sa.Column("price_entry_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("low_pence", sa.BigInteger(), nullable=False),
        sa.Column("high_pence", sa.BigInteger(), nullable=False),
        sa.Column("valued_at", TS, nullable=False),
        sa.Column("valued_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seizure_valuations"),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["operation_results.id"],
            name="fk_seizure_valuations_result_id_operation_results",
        ),
        sa.ForeignKeyConstraint(
            ["price_table_id"],
            ["price_tables.id"],
            name="fk_seizure_valuations_price_table_id_price_tables",
        ),
        sa.ForeignKeyConstraint(
            ["price_entry_id"],
            ["price_entries.id"],
            name="fk_seizure_valuations_price_entry_id_price_entries",
        ),
    )
    op.create_index("ix_seizure_valuations_result_id", "seizure_valuations", ["result_id"])


def downgrade() -> None:
    for table in (
        "seizure_valuations",
        "price_entries",
        "price_tables",
        "operation_results",
        "operations",
    ):
        op.drop_table(table)
