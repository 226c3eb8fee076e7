"""The forensics room: providers, cases, exhibits, their custody and results, incidents, retests.

Revision ID: 0011
Revises: 0010

An exhibit's custody events and result versions are append-only: triggers refuse an
UPDATE on either table (a DELETE stays possible for an erasure a MoPI review decides,
which the access log records). The hash chain over them finds what the triggers cannot
stop (a change made with the triggers dropped, or in the file itself).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("forensic_results", "forensic_custody_events")


def _owner_indexes(table: str) -> None:
    op.create_index(f"ix_{table}_owning_force", table, ["owning_force"])
    op.create_index(f"ix_{table}_owning_unit", table, ["owning_unit"])


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "forensic_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("accreditation_body", sa.Text(), nullable=False),
        sa.Column("accreditation_number", sa.String(40), nullable=False),
        sa.Column("accreditation_scope", sa.Text(), nullable=False),
        sa.Column("accredited_from", sa.Date(), nullable=True),
        sa.Column("accredited_until", sa.Date(), nullable=True),
        sa.Column("fictional", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_providers"),
    )
    op.create_index("ix_forensic_providers_name", "forensic_providers", ["name"], unique=True)
    op.create_table(
        "forensic_laboratories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_laboratories"),
        _fk("forensic_laboratories", "provider_id", "forensic_providers"),
    )
    op.create_index(
        "ix_forensic_laboratories_name",
        "forensic_laboratories",
        ["provider_id", "name"],
        unique=True,
    )
    op.create_table(
        "forensic_cases",
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
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("offence_code", sa.String(16), nullable=False),
        sa.Column("offence", sa.Text(), nullable=False),
        sa.Column("cj_status", sa.String(24), nullable=False),
        sa.Column("next_hearing_on", sa.Date(), nullable=True),
        sa.Column("custody_status", sa.String(16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("court", sa.String(16), nullable=True),
        sa.Column("officer_in_charge", sa.Text(), nullable=False),
        sa.Column("subject_label", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_cases"),
    )
    _owner_indexes("forensic_cases")
    op.create_index(
        "ix_forensic_cases_force_reference",
        "forensic_cases",
        ["owning_force", "reference"],
        unique=True,
    )
    op.create_table(
        "forensic_exhibits",
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
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("exhibit_type", sa.String(24), nullable=False),
        sa.Column("test_requested", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("laboratory_id", sa.Integer(), nullable=True),
        sa.Column("analyst", sa.Text(), nullable=True),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("tested_on", sa.Date(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("remaining_quantity", sa.String(40), nullable=True),
        sa.Column("remaining_unit", sa.String(16), nullable=True),
        sa.Column("storage_location", sa.Text(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_exhibits"),
        _fk("forensic_exhibits", "case_id", "forensic_cases"),
        _fk("forensic_exhibits", "provider_id", "forensic_providers"),
        _fk("forensic_exhibits", "laboratory_id", "forensic_laboratories"),
    )
    _owner_indexes("forensic_exhibits")
    op.create_index("ix_forensic_exhibits_case_id", "forensic_exhibits", ["case_id"])
    op.create_index("ix_forensic_exhibits_provider_id", "forensic_exhibits", ["provider_id"])
    op.create_index(
        "ix_forensic_exhibits_force_reference",
        "forensic_exhibits",
        ["owning_force", "reference"],
        unique=True,
    )
    op.create_table(
        "forensic_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("analyte", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("uncertainty", sa.String(40), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("retest_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_results"),
        _fk("forensic_results", "exhibit_id", "forensic_exhibits"),
    )
    op.create_index(
        "ix_forensic_results_exhibit_seq", "forensic_results", ["exhibit_id", "seq"], unique=True
    )
    op.create_table(
        "forensic_custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("handled_by", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("seal_number", sa.String(40), nullable=True),
        sa.Column("condition", sa.String(24), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_custody_events"),
        _fk("forensic_custody_events", "exhibit_id", "forensic_exhibits"),
    )
    op.create_index(
        "ix_forensic_custody_exhibit_seq",
        "forensic_custody_events",
        ["exhibit_id", "seq"],
        unique=True,
    )
    op.create_table(
        "forensic_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("laboratory_id", sa.Integer(), nullable=True),
        sa.Column("tests", sa.Text(), nullable=False),
        sa.Column("analysts", sa.Text(), nullable=False),
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_to", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("regulator_notifications", sa.Text(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("declared_by", sa.Text(), nullable=False),
        sa.Column("fictional", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_incidents"),
        _fk("forensic_incidents", "provider_id", "forensic_providers"),
        _fk("forensic_incidents", "laboratory_id", "forensic_laboratories"),
    )
    op.create_table(
        "forensic_retests",
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
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("laboratory_id", sa.Integer(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("threshold", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("disposition_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_retests"),
        _fk("forensic_retests", "exhibit_id", "forensic_exhibits"),
        _fk("forensic_retests", "incident_id", "forensic_incidents"),
        _fk("forensic_retests", "provider_id", "forensic_providers"),
        _fk("forensic_retests", "laboratory_id", "forensic_laboratories"),
    )
    _owner_indexes("forensic_retests")
    op.create_index("ix_forensic_retests_exhibit_id", "forensic_retests", ["exhibit_id"])
    op.create_index("ix_forensic_retests_incident_id", "forensic_retests", ["incident_id"])
    op.create_table(
        "forensic_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forensic_notifications"),
        _fk("forensic_notifications", "case_id", "forensic_cases"),
        _fk("forensic_notifications", "incident_id", "forensic_incidents"),
    )
    op.create_index("ix_forensic_notifications_case_id", "forensic_notifications", ["case_id"])
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(
                f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"""
            )
        else:
            op.execute(
                f"""CREATE FUNCTION {table}_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '{table} is append-only: UPDATE refused'; END $$"""
            )
            op.execute(
                f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_refuse_update()"""
            )


def downgrade() -> None:
    for table in (
        "forensic_notifications",
        "forensic_retests",
        "forensic_incidents",
        "forensic_custody_events",
        "forensic_results",
        "forensic_exhibits",
        "forensic_cases",
        "forensic_laboratories",
        "forensic_providers",
    ):
        op.drop_table(table)
