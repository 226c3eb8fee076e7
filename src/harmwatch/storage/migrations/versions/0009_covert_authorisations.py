"""The covert room: surveillance, CHIS, property interference and communications-data
authorisations, with their reviews and renewals.

Revision ID: 0009
Revises: 0008

One table of records (the records kernel's envelope, then the authorisation's fields),
and two of rows that belong to an authorisation (its reviews and its renewals). A URN is
unique within its force and unit: call-data imports are linked to an authorisation by it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
TABLE = "covert_authorisations"
REVIEWS = "covert_reviews"
RENEWALS = "covert_renewals"


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
        sa.Column("urn", sa.String(64), nullable=False),
        sa.Column("authorisation_kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("applicant", sa.Text(), nullable=False),
        sa.Column("authorised_by", sa.Text(), nullable=False),
        sa.Column("authorising_rank", sa.Text(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("urgent_oral", sa.Boolean(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("period_citation", sa.Text(), nullable=False),
        sa.Column("review_interval_days", sa.Integer(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_owning_force", TABLE, ["owning_force"])
    op.create_index(f"ix_{TABLE}_owning_unit", TABLE, ["owning_unit"])
    op.create_index(f"ix_{TABLE}_expires_at", TABLE, ["expires_at"])
    op.create_index(f"ix_{TABLE}_urn", TABLE, ["owning_force", "owning_unit", "urn"], unique=True)
    op.create_table(
        REVIEWS,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("authorisation_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{REVIEWS}"),
        sa.ForeignKeyConstraint(
            ["authorisation_id"], [f"{TABLE}.id"], name=f"fk_{REVIEWS}_authorisation_id_{TABLE}"
        ),
    )
    op.create_index(f"ix_{REVIEWS}_authorisation_id", REVIEWS, ["authorisation_id"])
    op.create_table(
        RENEWALS,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("authorisation_id", sa.Integer(), nullable=False),
        sa.Column("renewed_at", TS, nullable=False),
        sa.Column("authorised_by", sa.Text(), nullable=False),
        sa.Column("authorising_rank", sa.Text(), nullable=False),
        sa.Column("urgent_oral", sa.Boolean(), nullable=False),
        sa.Column("begins_on", sa.Date(), nullable=False),
        sa.Column("previous_expires_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{RENEWALS}"),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            [f"{TABLE}.id"],
            name=f"fk_{RENEWALS}_authorisation_id_{TABLE}",
        ),
    )
    op.create_index(f"ix_{RENEWALS}_authorisation_id", RENEWALS, ["authorisation_id"])


def downgrade() -> None:
    op.drop_table(RENEWALS)
    op.drop_table(REVIEWS)
    op.drop_table(TABLE)
