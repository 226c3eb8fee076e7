"""The intelligence room: graded reports with versions, entities, links and their sources.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The first personal record types. Reports, entities and links carry the records
kernel's envelope (owning force and unit, restriction, handling code, retention), so
the policy, the access log and review serve them without change. A link's sources
cite reports by lineage (the first version's id), so an edited report keeps its
links. Merges are kept with their evidence so that one can be undone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
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


def _envelope_indexes(table: str) -> None:
    op.create_index(f"ix_{table}_owning_force", table, ["owning_force"])
    op.create_index(f"ix_{table}_owning_unit", table, ["owning_unit"])


def upgrade() -> None:
    op.create_table(
        "intel_reports",
        *_envelope(),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("lineage", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("scheme", sa.String(8), nullable=False),
        sa.Column("source_evaluation", sa.String(2), nullable=False),
        sa.Column("intelligence_assessment", sa.String(2), nullable=False),
        sa.Column("legacy_handling", sa.String(2), nullable=True),
        sa.Column("sanitised_text", sa.Text(), nullable=False),
        sa.Column("full_text", sa.Text(), nullable=True),
        sa.Column("originator", sa.Text(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("information_date", sa.Date(), nullable=True),
        sa.Column("nim_level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intel_reports"),
        sa.UniqueConstraint(
            "owning_force", "reference", "version", name="uq_intel_reports_version"
        ),
    )
    _envelope_indexes("intel_reports")
    op.create_index("ix_intel_reports_lineage", "intel_reports", ["lineage"])

    op.create_table(
        "intel_entities",
        *_envelope(),
        sa.Column("entity_kind", sa.String(16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("match_key", sa.String(128), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intel_entities"),
    )
    _envelope_indexes("intel_entities")
    op.create_index("ix_intel_entities_kind_key", "intel_entities", ["entity_kind", "match_key"])

    op.create_table(
        "intel_links",
        *_envelope(),
        sa.Column("from_entity", sa.Integer(), nullable=False),
        sa.Column("to_entity", sa.Integer(), nullable=False),
        sa.Column("link_kind", sa.String(32), nullable=False),
        sa.Column("strength", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intel_links"),
        sa.ForeignKeyConstraint(
            ["from_entity"], ["intel_entities.id"], name="fk_intel_links_from_entity_intel_entities"
        ),
        sa.ForeignKeyConstraint(
            ["to_entity"], ["intel_entities.id"], name="fk_intel_links_to_entity_intel_entities"
        ),
    )
    _envelope_indexes("intel_links")
    op.create_index("ix_intel_links_from_entity", "intel_links", ["from_entity"])
    op.create_index("ix_intel_links_to_entity", "intel_links", ["to_entity"])

    op.create_table(
        "intel_link_sources",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("report_lineage", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("link_id", "report_lineage", name="pk_intel_link_sources"),
        sa.ForeignKeyConstraint(
            ["link_id"], ["intel_links.id"], name="fk_intel_link_sources_link_id_intel_links"
        ),
    )
    op.create_table(
        "intel_entity_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("undone_at", TS, nullable=True),
        sa.Column("undone_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intel_entity_merges"),
        sa.ForeignKeyConstraint(
            ["kept"], ["intel_entities.id"], name="fk_intel_entity_merges_kept_intel_entities"
        ),
        sa.ForeignKeyConstraint(
            ["merged"], ["intel_entities.id"], name="fk_intel_entity_merges_merged_intel_entities"
        ),
    )
    op.create_table(
        "intel_watches",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.PrimaryKeyConstraint("username", "entity_id", name="pk_intel_watches"),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["intel_entities.id"], name="fk_intel_watches_entity_id_intel_entities"
        ),
    )
    op.create_table(
        "intel_watch_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intel_watch_alerts"),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["intel_entities.id"],
            name="fk_intel_watch_alerts_entity_id_intel_entities",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["intel_reports.id"],
            name="fk_intel_watch_alerts_report_id_intel_reports",
        ),
    )
    op.create_index("ix_intel_watch_alerts_username", "intel_watch_alerts", ["username"])
    op.create_table(
        "intel_full_text_grants",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("granted_by", sa.Text(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_intel_full_text_grants"),
    )


def downgrade() -> None:
    for table in (
        "intel_full_text_grants",
        "intel_watch_alerts",
        "intel_watches",
        "intel_entity_merges",
        "intel_link_sources",
        "intel_links",
        "intel_entities",
        "intel_reports",
    ):
        op.drop_table(table)
