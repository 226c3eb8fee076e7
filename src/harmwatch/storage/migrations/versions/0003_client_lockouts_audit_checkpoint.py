"""Sign-in lockouts per name and client, not per name alone; the access log's checkpoint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Five wrong passwords from anyone used to lock an account for everyone: a way for
one client to lock an administrator out. Failures now record the client's address,
and locks are per (name, client), per client (any name) or, after many more
failures, per name (any client). Current locks are dropped with the old table:
they last fifteen minutes at most, and the failures that made them are kept.

``audit_checkpoint`` holds the last entry a verification of the access log vouched
for, with an HMAC under the chain key, so the access-log page checks only the entries
written since instead of the whole chain on every view.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "login_failures",
        sa.Column("client_ip", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_login_failures_client_ip_at", "login_failures", ["client_ip", "at"])
    op.drop_table("login_locks")
    op.create_table(
        "login_locks",
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", "client_ip", name="pk_login_locks"),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("verified_to", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_checkpoint"),
        sa.CheckConstraint("id = 1", name="ck_audit_checkpoint_single_row"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    op.drop_table("login_locks")
    op.create_table(
        "login_locks",
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_login_locks"),
    )
    op.drop_index("ix_login_failures_client_ip_at", table_name="login_failures")
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_column("client_ip")
