"""Login sessions for the web app.

The browser holds a random token (``secrets.token_urlsafe(32)``, 256 bits); the
database holds only its SHA-256, so a copy of the database (a backup, a read-only
breach) does not let anyone sign in as a user. A session ends after
:data:`IDLE_TIMEOUT` without a request, after :data:`ABSOLUTE_TIMEOUT` whatever the
activity, when the user signs out, or when the account is disabled. Each session has
its own CSRF token, which the web app requires on every unsafe request.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple, TypeGuard

from sqlalchemy import Engine, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel.principal import Principal, parse_units
from harmwatch.storage import models
from harmwatch.storage.models import LoginSession, User
from harmwatch.storage.records import SQLITE_BUSY_TIMEOUT_S, read_only, session_scope

from .roles import Role, parse_role

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
_MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class SessionInfo:
    """Who a valid session belongs to, with the role, force and units as they are now."""

    user_id: int
    username: str
    role: Role
    csrf_token: str
    force: str = ""
    units: frozenset[str] = frozenset()
    purpose: str | None = None  # the case or operation declared for this session

    def principal(self) -> Principal:
        return Principal(
            username=self.username,
            role=self.role,
            force=self.force,
            units=self.units,
            via="web",
            purpose=self.purpose,
        )


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(db: Session, user: User, *, client: str = "") -> tuple[str, str]:
    """Start a session for ``user``: returns (session token, CSRF token).

    The token is returned once and never stored; put it in the ``hw_session`` cookie.
    """
    if user.disabled:
        raise InputError(f"user {user.username!r} is disabled and cannot have a session")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = models.utcnow()
    db.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            client=client[:1000],
        )
    )
    db.flush()
    return token, csrf


#: Last-seen times are kept to this resolution: a request within it of the last one
#: recorded reads the session without writing it, so a busy browser does not write
#: on every map tile it asks for. The idle timeout therefore ends a session between
#: ``IDLE_TIMEOUT - LAST_SEEN_RESOLUTION`` and ``IDLE_TIMEOUT`` after its last request.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


class Touch(Enum):
    """What a session lookup leaves to write (done by the caller's writer, if anything)."""

    NONE = "none"
    LAST_SEEN = "last-seen"  # move last-seen to now
    DELETE = "delete"  # expired: forget it


@dataclass(frozen=True)
class Lookup:
    info: SessionInfo | None
    session_id: int | None = None
    touch: Touch = Touch.NONE


_LOOKUP = (
    select(
        LoginSession.id,
        LoginSession.csrf_token,
        LoginSession.created_at,
        LoginSession.last_seen_at,
        LoginSession.purpose,
        User.id.label("user_id"),
        User.username,
        User.role,
        User.disabled,
        User.force,
        User.units_json.label("units_json"),
    )
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


class _Row(NamedTuple):
    """One session and its user, as :data:`_LOOKUP` selects them (column for column)."""

    id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    purpose: str | None
    user_id: int
    username: str
    role: str
    disabled: bool
    force: str
    units_json: str


def _plausible(token: str | None) -> TypeGuard[str]:
    return bool(token) and len(token or "") <= _MAX_TOKEN_LENGTH


def _judge(row: _Row | None) -> Lookup:
    """The session a row describes, judged against the timeouts and the account as it is now."""
    if row is None:
        return Lookup(None)
    now = models.utcnow()
    if (
        row.disabled
        or now - row.last_seen_at >= IDLE_TIMEOUT
        or now - row.created_at >= ABSOLUTE_TIMEOUT
    ):
        return Lookup(None, row.id, Touch.DELETE)
    try:
        role = parse_role(row.role)
    except ValueError:  # a role this version does not know grants nothing
        return Lookup(None)
    info = SessionInfo(
        user_id=row.user_id,
        username=row.username,
        role=role,
        csrf_token=row.csrf_token,
        force=row.force,
        units=parse_units(row.units_json),
        purpose=row.purpose,
    )
    stale = now - row.last_seen_at >= LAST_SEEN_RESOLUTION
    return Lookup(info, row.id, Touch.LAST_SEEN if stale else Touch.NONE)


def lookup_session(db: Session, token: str | None) -> Lookup:
    """Read the session behind ``token`` and say what, if anything, must be written.

    Reads only, so a caller can do it outside its writer; :func:`touch_session`
    then writes what the lookup asked for.
    """
    if not _plausible(token):
        return Lookup(None)
    row = db.connection().execute(_LOOKUP, {"token_hash": token_hash(token)}).one_or_none()
    return _judge(None if row is None else _Row(*row))


class SessionReader:
    """Reads the session of each web request from the records database, every time.

    Nothing about a session is kept between requests: a sign-out, a disabled account,
    a role, force or unit change or a new declared purpose, made by any worker, any app
    server or the command line, applies to the very next request, because that request
    reads the committed rows. What made the read slow was not the database but the
    layers around it (an ORM session, a pooled connection, a transaction: 0.4 ms of
    Python a request); on a SQLite file the same statement on a connection of its own,
    kept open by each thread and read-only, costs some 20 µs with the row judged, so
    no cache is needed, nor the revocation problems a cache brings: every path that
    ends or changes a session (in this module, in accounts, in a command run from a
    shell) would have to tell every worker. Other databases keep the ORM path (a
    network round trip costs more than the layers).

    The connection runs in autocommit, so each read is its own snapshot of what is
    committed: nothing holds a read transaction open between requests.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database or ""
        self.direct = (
            engine.dialect.name == "sqlite"
            and database not in ("", ":memory:")
            and "mode=memory" not in database
        )
        dialect = engine.dialect
        self._sql = str(_LOOKUP.compile(dialect=dialect))
        # The column types' own conversions (timestamps to aware UTC, 0/1 to bool), so a
        # row read here is exactly the row the ORM path reads.
        self._convert = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in _LOOKUP.selected_columns
        ]
        self._local = threading.local()

    def lookup(self, token: str | None) -> Lookup:
        """What :func:`lookup_session` says about ``token``, read as cheaply as the database allows."""
        if not _plausible(token):
            return Lookup(None)
        if not self.direct:
            with session_scope(read_only(self.engine)) as db:
                return lookup_session(db, token)
        connection = self._connection()
        try:
            rows = connection.execute(self._sql, (token_hash(token),)).fetchall()
        except BaseException:
            self._forget(connection)
            raise
        if not rows:
            return Lookup(None)
        values: list[Any] = [
            value if convert is None else convert(value)
            for convert, value in zip(self._convert, rows[0], strict=True)
        ]
        return _judge(_Row(*values))

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            cparams.pop("check_same_thread", None)  # each thread opens its own
            connection = dialect.loaded_dbapi.connect(
                *cargs, **cparams, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None
            )
            connection.execute("PRAGMA query_only = ON")
            self._local.connection = connection
        return connection

    def _forget(self, connection: Any) -> None:
        """Close a connection that failed, so the next request opens a fresh one."""
        self._local.connection = None
        with contextlib.suppress(Exception):
            connection.close()


def touch_session(db: Session, lookup: Lookup) -> None:
    """Write what :func:`lookup_session` asked for (nothing, last-seen, or the deletion)."""
    if lookup.session_id is None or lookup.touch is Touch.NONE:
        return
    conn = db.connection()
    if lookup.touch is Touch.DELETE:
        conn.execute(delete(LoginSession).where(LoginSession.id == lookup.session_id))
    else:
        conn.execute(
            update(LoginSession)
            .where(LoginSession.id == lookup.session_id)
            .values(last_seen_at=models.utcnow())
        )


def resolve_session(db: Session, token: str | None) -> SessionInfo | None:
    """The session's user, or None if the token is unknown, expired or the user disabled.

    A valid session's last-seen time is moved to now (to :data:`LAST_SEEN_RESOLUTION`:
    the idle timeout restarts); an expired one is deleted.
    """
    found = lookup_session(db, token)
    touch_session(db, found)
    return found.info


def set_purpose(db: Session, token: str | None, purpose: str | None) -> None:
    """Declare (or, with None, clear) the case or operation this session is working on."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return
    login = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if login is not None:
        login.purpose = purpose
        db.flush()


def end_session(db: Session, token: str | None) -> None:
    """Sign out: forget the session (nothing happens for an unknown token)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def end_user_sessions(db: Session, user_id: int) -> int:
    """End every session of one user (password or role change, suspected compromise)."""
    result = db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired_sessions(db: Session) -> int:
    """Delete sessions past either timeout; returns how many. Safe to run at any time.

    A session another transaction has locked (an app server's writer forgetting it,
    or moving its last-seen time, with the access log's chain head already locked) is
    skipped on PostgreSQL rather than waited for: a sign-in here waits for the chain
    head after this, so waiting for that row too could close a circle of waits
    between two app servers. Skipped, it is purged at the next sign-in.
    """
    now = models.utcnow()
    expired = (
        select(LoginSession.id)
        .where(
            or_(
                LoginSession.last_seen_at <= now - IDLE_TIMEOUT,
                LoginSession.created_at <= now - ABSOLUTE_TIMEOUT,
            )
        )
        .with_for_update(skip_locked=True)
    )
    result = db.execute(delete(LoginSession).where(LoginSession.id.in_(expired)))
    return int(getattr(result, "rowcount", 0) or 0)
