"""Forces and units on accounts, declared session purposes, operator keys, record sharing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The records kernel's first revision: the record policy needs each user's force and
units; a session may carry the case or operation its user declared (the
justification of their consultations); the command line acts as a named user with
a password or an operator key file (only the key's hash is stored); and records of
every room are shared with other forces or units through one table. Existing users
get no force and no units: they see no records until an administrator assigns them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("force", sa.String(64), nullable=False, server_default=""))
    op.add_column("users", sa.Column("units", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("login_sessions", sa.Column("purpose", sa.Text(), nullable=True))
    op.create_table(
        "operator_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operator_keys"),
        sa.UniqueConstraint("key_hash", name="uq_operator_keys_key_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_operator_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_operator_keys_user_id", "operator_keys", ["user_id"])
    op.create_table(
        "record_shares",
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("shared_at", TS, nullable=False),
        sa.Column("shared_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", "force", "unit", name="pk_record_shares"),
    )


def downgrade() -> None:
    op.drop_table("record_shares")
    op.drop_index("ix_operator_keys_user_id", table_name="operator_keys")
    op.drop_table("operator_keys")
    with op.batch_alter_table("login_sessions") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("units")
        batch.drop_column("force")
