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

from sqlalchemy import delete, or_, select
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


def resolve_session(db: Session, token: str | None) -> SessionInfo | None:
    """The session's user, or None if the token is unknown, expired or the user disabled.

    A valid session's last-seen time is moved to now (the idle timeout restarts); an
    expired one is deleted.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    row = db.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    login, user = row
    now = models.utcnow()
    if (
        user.disabled
        or now - login.last_seen_at >= IDLE_TIMEOUT
        or now - login.created_at >= ABSOLUTE_TIMEOUT
    ):
        db.delete(login)
        db.flush()
        return None
    try:
        role = parse_role(user.role)
    except ValueError:  # a role this version does not know grants nothing
        return None
    login.last_seen_at = now
    db.flush()
    return SessionInfo(
        user_id=user.id,
        username=user.username,
        role=role,
        csrf_token=login.csrf_token,
        force=user.force,
        units=parse_units(user.units_json),
        purpose=login.purpose,
    )


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
