"""Login sessions for the web app.

The browser holds a random token (``secrets.token_urlsafe(32)``, 256 bits); the
database holds only its SHA-256, so a copy of the database (a backup, a read-only
breach) does not let anyone sign in as a user. A session ends after
:data:`IDLE_TIMEOUT` without a request, after :data:`ABSOLUTE_TIMEOUT` whatever the
activity, when the user signs out, or when the account is disabled. Each session has
its own CSRF token, which the web app requires on every unsafe request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel.principal import Principal, parse_units
from harmwatch.storage import models
from harmwatch.storage.models import LoginSession, User

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


def lookup_session(db: Session, token: str | None) -> Lookup:
    """Read the session behind ``token`` and say what, if anything, must be written.

    Reads only, so a caller can do it outside its writer; :func:`touch_session`
    then writes what the lookup asked for.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return Lookup(None)
    row = db.connection().execute(_LOOKUP, {"token_hash": token_hash(token)}).one_or_none()
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
    """Delete sessions past either timeout; returns how many. Safe to run at any time."""
    now = models.utcnow()
    result = db.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.last_seen_at <= now - IDLE_TIMEOUT,
                LoginSession.created_at <= now - ABSOLUTE_TIMEOUT,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
