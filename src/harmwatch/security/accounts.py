"""User accounts: creation, sign-in with lockout, disabling and roles.

These functions change the session they are given and leave committing to the caller
(so an account change and its access-log entry commit together), with one exception:
a failed sign-in is committed before :class:`AuthError` is raised, so that the
failure counts towards the lockout even though the caller's unit of work fails.
Callers write the access log themselves (``sign-in``, ``create``, ``change`` …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel.principal import parse_units, units_json
from harmwatch.storage import models
from harmwatch.storage.models import ANY, LoginFailure, LoginLock, LoginSession, User

from . import passwords
from .roles import Role, parse_role

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES = 5  # for one name from one client
MAX_CLIENT_FAILURES = 20  # from one client, whatever the names
MAX_NAME_FAILURES = 100  # for one name, from every client together
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_FORCE = re.compile(r"[a-z][a-z0-9-]{1,63}")
_BAD_CREDENTIALS = "unknown username or wrong password"


class AccountError(InputError):
    """An account cannot be created or changed as asked; the message says why."""


class AuthError(Exception):
    """Sign-in refused. Subclasses say why; show the user only ``str(exc)``."""


class BadCredentials(AuthError):
    """Unknown username or wrong password (one message for both: no user enumeration)."""

    def __init__(self) -> None:
        super().__init__(_BAD_CREDENTIALS)


class LockedOut(AuthError):
    """Too many recent failures for this username; refused until ``until`` (UTC)."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"too many failed sign-ins for this username from here: try again after "
            f"{until:%H:%M} UTC ({until:%Y-%m-%d})"
        )


class AccountDisabled(AuthError):
    """Right password, but an administrator has disabled the account."""

    def __init__(self) -> None:
        super().__init__("this account is disabled; ask an administrator")


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up stripped and lower-case."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised username, or :class:`AccountError` saying what is wrong with it."""
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise AccountError(
            f"invalid username {username!r}: 1-64 characters, letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str, *, username: str = "") -> None:
    """:class:`AccountError` unless ``password`` meets the policy (length, not the username)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters "
            f"(got {len(password)}); a few unrelated words make a good one"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise AccountError("password must not be only spaces")
    if username and password.strip().lower() == normalise_username(username):
        raise AccountError("password must not be the username")


def get_user(db: Session, username: str) -> User | None:
    """The user called ``username`` (case-insensitive), or None."""
    return db.scalar(select(User).where(User.username == normalise_username(username)))


def _require_user(db: Session, username: str) -> User:
    user = get_user(db, username)
    if user is None:
        raise AccountError(f"no user named {normalise_username(username)!r}")
    return user


def check_force(force: str) -> str:
    """A force as police.uk names it in file names (``hertfordshire``), or "" for none."""
    slug = force.strip().lower()
    if slug and not _FORCE.fullmatch(slug):
        raise AccountError(
            f"force {force!r}: the police.uk slug, lower-case letters, digits and -, "
            "e.g. hertfordshire or metropolitan"
        )
    return slug


def _units(units: Iterable[str]) -> str:
    try:
        return units_json(list(units))
    except InputError as exc:
        raise AccountError(str(exc)) from None


def create_user(
    db: Session,
    username: str,
    role: Role | str,
    password: str,
    *,
    force: str = "",
    units: Iterable[str] = (),
) -> User:
    """Create an enabled account with an Argon2id password hash, in a force and its units."""
    name = check_username(username)
    parsed_role = _role(role)
    check_password(password, username=name)
    force_slug = check_force(force)
    unit_list = _units(units)
    if unit_list != "[]" and not force_slug:
        raise AccountError("units belong to a force: give the user's force too")
    if get_user(db, name) is not None:
        raise AccountError(f"a user named {name!r} already exists")
    now = models.utcnow()
    user = User(
        username=name,
        role=parsed_role.value,
        password_hash=passwords.hash_password(password),
        disabled=False,
        created_at=now,
        updated_at=now,
        force=force_slug,
        units_json=unit_list,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:  # created by someone else since the check above
        raise AccountError(f"a user named {name!r} already exists") from None
    return user


def authenticate(
    db: Session, username: str, password: str, *, client: str = "", client_ip: str = ""
) -> User:
    """The user, if ``password`` is right and the account may sign in; else :class:`AuthError`.

    Failures are counted per name *and* client (``client_ip``, "" when unknown): five
    for one name from one client within 15 minutes lock that name for that client for
    15 minutes, whether or not the account exists, so lockouts do not reveal which names
    are real. One client trying many names is locked for every name after
    :data:`MAX_CLIENT_FAILURES`; a name guessed at from many clients is locked for every
    client only after :data:`MAX_NAME_FAILURES`, so no single client can lock someone
    else out. A correct password re-hashes with the current Argon2 parameters when they
    changed. Attempts at once (from several app servers behind one PostgreSQL too) are
    counted one at a time, so the lock comes at exactly the limit.
    """
    name = normalise_username(username)[:255]
    ip = client_ip.strip()[:64]
    now = models.utcnow()
    # A first look, before the password is hashed: a locked name costs nothing to refuse.
    _refuse_if_locked(db, name, ip, now)
    user = get_user(db, name) if _USERNAME.fullmatch(name) else None
    if user is None:
        passwords.burn_verification(password)
        correct = False
    else:
        correct = passwords.verify_password(user.password_hash, password)
    # Counting is serialised per name and per client from here to the commit, then the
    # locks are read again: another attempt (another app server's) may have locked
    # the name while this one hashed, and two attempts counted at once would each
    # see the other's failure missing, so the limit would be passed unlocked.
    _serialise(db, name, ip)
    _refuse_if_locked(db, name, ip, now)
    if not correct or user is None:
        _fail(db, name, ip, now, client)
    if user.disabled:
        raise AccountDisabled()
    db.execute(
        delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.client_ip == ip)
    )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    db.flush()
    return user


def _lock_keys(name: str, ip: str) -> list[int]:
    """The advisory-lock keys a sign-in's counting holds: its name's and its client's."""
    from harmwatch.storage.dblock import lock_key

    return sorted({lock_key(f"sign-in:name:{name}"), lock_key(f"sign-in:client:{ip}")})


def _serialise(db: Session, name: str, ip: str) -> None:
    """Hold, until this transaction ends, the counting of failures for ``name`` and ``ip``.

    PostgreSQL: transaction-level advisory locks, taken in key order so that two
    attempts never wait on each other in a circle; every lock row an attempt writes
    ((name, ip), (any, ip), (name, any)) is covered by one of its two keys. SQLite
    needs nothing: every transaction there starts ``BEGIN IMMEDIATE``, so sign-ins
    already count one at a time.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    for key in _lock_keys(name, ip):
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _refuse_if_locked(db: Session, name: str, ip: str, now: datetime) -> None:
    """:class:`LockedOut` while any lock covers this name from this client."""
    until = db.scalar(
        select(func.max(LoginLock.locked_until)).where(
            tuple_(LoginLock.username, LoginLock.client_ip).in_(
                [(name, ip), (ANY, ip), (name, ANY)]
            ),
            LoginLock.locked_until > now,
        )
    )
    if until is not None:
        raise LockedOut(until)


def _recent(db: Session, now: datetime, *conditions: object) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.at > now - FAILURE_WINDOW, *conditions)  # type: ignore[arg-type]
        )
        or 0
    )


def _lock(db: Session, key: tuple[str, str], until: datetime) -> None:
    lock = db.get(LoginLock, key)
    if lock is None:
        db.add(LoginLock(username=key[0], client_ip=key[1], locked_until=until))
    else:
        lock.locked_until = until


def _fail(db: Session, name: str, ip: str, now: datetime, client: str) -> NoReturn:
    """Count a failure, lock what reached its limit in the window, commit, and raise."""
    # Old rows of every name and client: those another sign-in is clearing now are left
    # to it (SKIP LOCKED on PostgreSQL) rather than waited for.
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.id.in_(
                select(LoginFailure.id)
                .where(LoginFailure.at <= now - FAILURE_WINDOW)
                .with_for_update(skip_locked=True)
            )
        )
    )
    expired = (
        select(LoginLock.username, LoginLock.client_ip)
        .where(LoginLock.locked_until <= now)
        .with_for_update(skip_locked=True)
    )
    db.execute(
        delete(LoginLock).where(tuple_(LoginLock.username, LoginLock.client_ip).in_(expired))
    )
    db.add(LoginFailure(username=name, at=now, client=client[:1000], client_ip=ip))
    db.flush()
    until = now + LOCKOUT
    locked = False
    by_pair = (LoginFailure.username == name, LoginFailure.client_ip == ip)
    if _recent(db, now, *by_pair) >= MAX_FAILURES:
        _lock(db, (name, ip), until)
        # Start counting afresh once the lock ends.
        db.execute(delete(LoginFailure).where(*by_pair))
        locked = True
    if ip and _recent(db, now, LoginFailure.client_ip == ip) >= MAX_CLIENT_FAILURES:
        _lock(db, (ANY, ip), until)
        locked = True
    if _recent(db, now, LoginFailure.username == name) >= MAX_NAME_FAILURES:
        _lock(db, (name, ANY), until)
        locked = True
    db.commit()
    if locked:
        raise LockedOut(until)
    raise BadCredentials()


def disable_user(db: Session, username: str) -> User:
    """Disable an account and end its sessions. Refuses to disable the last active admin."""
    user = _require_user(db, username)
    if user.disabled:
        return user
    if user.role == Role.ADMIN.value:
        _keep_an_admin(db, user, "disable")
    user.disabled = True
    user.updated_at = models.utcnow()
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.flush()
    return user


def set_role(db: Session, username: str, role: Role | str) -> User:
    """Give a user another role; takes effect at their next request (sessions read it live).

    Refuses to demote the last active admin, which would leave nobody to manage users.
    """
    user = _require_user(db, username)
    new_role = _role(role)
    if user.role == new_role.value:
        return user
    if user.role == Role.ADMIN.value and not user.disabled:
        _keep_an_admin(db, user, "change the role of")
    user.role = new_role.value
    user.updated_at = models.utcnow()
    db.flush()
    return user


def set_units(db: Session, username: str, force: str, units: Iterable[str]) -> User:
    """Put a user in a force and its units (what the record policy checks records against)."""
    user = _require_user(db, username)
    force_slug = check_force(force)
    unit_list = _units(units)
    if unit_list != "[]" and not force_slug:
        raise AccountError("units belong to a force: give the user's force too")
    user.force = force_slug
    user.units_json = unit_list
    user.updated_at = models.utcnow()
    db.flush()
    return user


def user_units(user: User) -> frozenset[str]:
    return parse_units(user.units_json)


def any_active_admin(db: Session) -> bool:
    """Whether an enabled admin exists (until one does, creating one needs no sign-in)."""
    return bool(
        db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.disabled.is_(False))
        )
    )


def list_users(db: Session) -> list[User]:
    """Every account, disabled ones included, by username."""
    return list(db.scalars(select(User).order_by(User.username)))


def _keep_an_admin(db: Session, user: User, verb: str) -> None:
    # Lock every active admin's row (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    # serialises writers): two admins demoting each other at once would otherwise each
    # count the other and both succeed, leaving none. The second waits and recounts.
    others = db.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.disabled.is_(False), User.id != user.id)
        .with_for_update()
    ).all()
    if not others:
        raise AccountError(
            f"cannot {verb} {user.username!r}: it is the last active admin "
            "(create another admin first)"
        )


def _role(role: Role | str) -> Role:
    try:
        return parse_role(role)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
