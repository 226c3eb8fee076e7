"""The programmes and referrals room: programmes, participants, events and pseudonym keys.

Revision ID: 0010
Revises: 0009

Programmes, participants and events are records (the kernel's envelope, then their
fields; an event's kind-specific fields are checked JSON, declared in configuration).
A participant is stored as a keyed pseudonym; the keys are in ``programme_keys``,
one per programme, which no listing or export reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
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
        "programmes",
        *_envelope(),
        sa.Column("programme_type", sa.String(48), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_programmes"),
    )
    _owner_indexes("programmes")
    op.create_index("ix_programmes_programme_type", "programmes", ["programme_type"])
    op.create_index("ix_programmes_force_name", "programmes", ["owning_force", "name"], unique=True)

    op.create_table(
        "programme_participants",
        *_envelope(),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("pseudonymised", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_programme_participants"),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name="fk_programme_participants_programme_id_programmes",
        ),
    )
    _owner_indexes("programme_participants")
    op.create_index(
        "ix_programme_participants_programme_id", "programme_participants", ["programme_id"]
    )
    op.create_index(
        "ix_programme_participants_label",
        "programme_participants",
        ["programme_id", "label"],
        unique=True,
    )

    op.create_table(
        "programme_events",
        *_envelope(),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("event_kind", sa.String(48), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_programme_events"),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name="fk_programme_events_programme_id_programmes"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["programme_participants.id"],
            name="fk_programme_events_participant_id_programme_participants",
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name="fk_programme_events_operation_id_operations"
        ),
    )
    _owner_indexes("programme_events")
    op.create_index("ix_programme_events_programme_id", "programme_events", ["programme_id"])
    op.create_index("ix_programme_events_participant_id", "programme_events", ["participant_id"])
    op.create_index("ix_programme_events_operation_id", "programme_events", ["operation_id"])
    op.create_index(
        "ix_programme_events_kind_day",
        "programme_events",
        ["programme_id", "event_kind", "occurred_on"],
    )

    op.create_table(
        "programme_keys",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.Column("erased_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("programme_id", name="pk_programme_keys"),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name="fk_programme_keys_programme_id_programmes"
        ),
    )


def downgrade() -> None:
    for table in ("programme_keys", "programme_events", "programme_participants", "programmes"):
        op.drop_table(table)
