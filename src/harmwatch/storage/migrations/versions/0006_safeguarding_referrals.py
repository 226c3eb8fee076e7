"""The safeguarding room: safeguarding, NRM and Duty to Notify referrals.

Revision ID: 0006
Revises: 0005

One table of records (the records kernel's envelope, then the referral's fields).
What flagged a referral is kept as ``source_kind`` and ``source_ref``, indexed so a
room can ask whether its finding has already been referred.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
TABLE = "safeguarding_referrals"


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
        sa.Column("referral_kind", sa.String(16), nullable=False),
        sa.Column("subject_label", sa.Text(), nullable=False),
        sa.Column("subject_entity_id", sa.Integer(), nullable=True),
        sa.Column("subject_is_child", sa.Boolean(), nullable=False),
        sa.Column("subject_date_of_birth", sa.Date(), nullable=True),
        sa.Column("concern", sa.String(32), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("agency_reference", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("reasonable_grounds", sa.String(8), nullable=True),
        sa.Column("reasonable_grounds_on", sa.Date(), nullable=True),
        sa.Column("conclusive_grounds", sa.String(8), nullable=True),
        sa.Column("conclusive_grounds_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("source_kind", sa.String(32), nullable=True),
        sa.Column("source_ref", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_owning_force", TABLE, ["owning_force"])
    op.create_index(f"ix_{TABLE}_owning_unit", TABLE, ["owning_unit"])
    op.create_index(f"ix_{TABLE}_subject_entity_id", TABLE, ["subject_entity_id"])
    op.create_index(f"ix_{TABLE}_source", TABLE, ["source_kind", "source_ref"])


def downgrade() -> None:
    op.drop_table(TABLE)
