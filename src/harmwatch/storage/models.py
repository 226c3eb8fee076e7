"""ORM models of the records database: accounts, login sessions, the access log, sharing.

The schema itself is created by the hand-written Alembic migrations in
``storage/migrations/versions``; these classes must match it (a test compares them on
SQLite and PostgreSQL). Analytics stay in DuckDB; this database holds only what must
be transactional, multi-user and auditable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: The ``prev_hash`` of the first access-log entry. Fixed, so that a verifier needs
#: nothing but the table to check the whole chain from its start.
GENESIS_HASH = "0" * 64


def utcnow() -> datetime:
    """Now, timezone-aware in UTC, to the microsecond.

    Every timestamp in the records database comes from here, so tests can move the
    clock (lockouts, session timeouts) by patching this one function.
    """
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware in UTC.

    SQLite has no timezone type and hands back naive values; PostgreSQL hands back
    values in the session's time zone. Access-log hashes are computed over the
    timestamp, so it must read back exactly as written on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps in the records database must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLite makes only "INTEGER PRIMARY KEY" an alias of the rowid; BIGINT elsewhere.
_BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every records-database table.

    Constraints and indexes get names from a convention, so a later migration can
    name what it alters (SQLite batch migrations need names).
    """

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person who signs in to the web app. Roles are stored as their string value."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The force (police.uk slug) and units the user works in: the record policy shows
    # them their force's records and, of restricted ones, their units' (revision 0002).
    force: Mapped[str] = mapped_column(String(64), default="", server_default="")
    units_json: Mapped[str] = mapped_column("units", Text, default="[]", server_default="[]")

    def __repr__(self) -> str:  # never show the password hash in logs or tracebacks
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r}, disabled={self.disabled!r})"


class LoginSession(Base):
    """A signed-in browser. Only the SHA-256 of the session token is kept."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client: Mapped[str] = mapped_column(Text, default="")
    # The case or operation the user declared for this session (revision 0002).
    purpose: Mapped[str | None] = mapped_column(Text, nullable=True)


class OperatorKey(Base):
    """A key file that lets a user act from the command line without typing a password.

    Only the SHA-256 of the key is kept; the file itself (mode 0600) is the secret.
    """

    __tablename__ = "operator_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RecordShare(Base):
    """A record of some room shared with another force, or with one unit of a force.

    ``unit`` is "" for the whole force. One table for every record kind, so the record
    policy can test "shared with me" the same way for all of them.
    """

    __tablename__ = "record_shares"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    force: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shared_by: Mapped[str] = mapped_column(Text)


class LoginFailure(Base):
    """One failed sign-in, by the name typed (known user or not, so both lock alike) and client."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_client_ip_at", "client_ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    client: Mapped[str] = mapped_column(Text, default="")
    # The client's address (revision 0003): lockouts are per name *and* client, so one
    # client cannot lock everybody else out of an account.
    client_ip: Mapped[str] = mapped_column(String(64), default="", server_default="")


#: In a lock, "any name" or "any client" (a lock on a client, or a name-wide lock).
ANY = "*"


class LoginLock(Base):
    """A name that may not sign in from a client until ``locked_until`` (too many failures).

    ``username`` or ``client_ip`` may be :data:`ANY`: a client locked for every name, or
    a name locked from every client (a distributed guessing attack).
    """

    __tablename__ = "login_locks"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    client_ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One access-log entry (Data Protection Act 2018 Part 3 s.62 logging).

    Append-only (database triggers refuse UPDATE and DELETE) and hash-chained:
    ``entry_hash`` covers every field and ``prev_hash``, which is the previous entry's
    ``entry_hash``. Ids are given by the chain head, not a sequence, so they have no
    gaps and a missing row shows as one.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(_BigIntKey, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(Text, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    details_json: Mapped[str] = mapped_column("details", Text)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    client: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def details(self) -> dict[str, Any]:
        """The details as a dict (stored as canonical JSON text, which is what is hashed)."""
        value = json.loads(self.details_json)
        return value if isinstance(value, dict) else {"value": value}

    def __repr__(self) -> str:
        return (
            f"AuditEntry(id={self.id!r}, at={self.at!r}, actor={self.actor!r}, "
            f"action={self.action!r}, target={self.target!r}, outcome={self.outcome!r})"
        )


class AuditChainHead(Base):
    """The one row saying which entry is last and its hash.

    Appends lock this row, so two writers cannot both extend the same entry; it also
    lets ``verify`` notice entries cut off the end of the log.
    """

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The last access-log entry a verification vouched for, with a keyed MAC (revision 0003).

    Lets the access-log page check only the entries written since, instead of the
    whole chain on every view; see :func:`harmwatch.security.audit.read_checkpoint`.
    """

    __tablename__ = "audit_checkpoint"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    verified_to: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    full: Mapped[bool] = mapped_column(Boolean)
    mac: Mapped[str] = mapped_column(String(64))


class DatabaseLockHolder(Base):
    """Who holds (or last held) a named lock of :mod:`harmwatch.storage.dblock` (revision 0012).

    The lock itself is PostgreSQL's advisory lock (or a file lock beside a SQLite file);
    this row only says who took it, so that a waiting upload can name what it waits
    for. ``holds`` counts the acquisitions, so a hold's number says where it came in
    the order; ``released_at`` is None while held. ``backend_pid`` is the PostgreSQL
    connection holding the advisory lock: a row whose connection no longer holds it
    was left by a process that died.
    """

    __tablename__ = "db_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holds: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(Text)
    what: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    backend_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebJob(Base):
    """A background job the web app runs (a call-data import), readable by any app server.

    Kept here rather than in one server's memory, so that a user whose next request
    lands on another server behind the same database still sees the job. ``state_json``
    is the job's progress and outcome as its page shows them; finished jobs are
    deleted after an hour (they can quote a refused file's problems).
    """

    __tablename__ = "web_jobs"
    __table_args__ = (Index("ix_web_jobs_owner_started", "owner", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    state_json: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
