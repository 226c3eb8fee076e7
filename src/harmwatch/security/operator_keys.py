"""Operator key files: how a user acts from the command line without typing a password.

Scripts (a nightly export of the access log, a scheduled review listing) must act
as a named user with a role, like everyone else, but cannot type a password. An
administrator issues the user a key file: a random 256-bit secret written once to a
file only its owner can read (mode 0600). The records database keeps only the
secret's SHA-256, so a copy of the database cannot act as anyone. A key file that
others could read is refused (like ``ssh`` refuses such a private key), a key can
be revoked, and a disabled user's keys stop working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.storage import models
from harmwatch.storage.models import OperatorKey, User

MAGIC = "harmwatch-operator-key 1"
KEY_ENV = "HARMWATCH_OPERATOR_KEY"


class OperatorKeyError(InputError):
    """A key file cannot be used: unreadable, readable by others, revoked or not this user's."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue_key(db: Session, user: User, *, created_by: str, label: str = "") -> str:
    """A new key for ``user``; returns the file's text (the only copy of the secret)."""
    if user.disabled:
        raise OperatorKeyError(f"user {user.username!r} is disabled and cannot be given a key")
    secret = secrets.token_urlsafe(32)
    db.add(
        OperatorKey(
            user_id=user.id,
            key_hash=_hash(secret),
            label=label[:200],
            created_at=models.utcnow(),
            created_by=created_by,
        )
    )
    db.flush()
    return f"{MAGIC}\nuser: {user.username}\nkey: {secret}\n"


def write_key_file(path: Path, text: str) -> Path:
    """Write the key readable by its owner only; never over an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise OperatorKeyError(f"{path}: already exists; choose a new file for the key") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    return path


def read_key_file(path: Path) -> tuple[str, str]:
    """The (username, secret) in a key file, refused if anyone but its owner can read it."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise OperatorKeyError(
            f"{path}: cannot read the operator key file ({exc.strerror})"
        ) from None
    except UnicodeDecodeError:
        raise OperatorKeyError(f"{path}: not an operator key file") from None
    if stat.S_IMODE(mode) & 0o077:
        raise OperatorKeyError(
            f"{path}: the key file can be read by others (mode {stat.S_IMODE(mode):04o}); "
            f"make it private with: chmod 600 {path}"
        )
    lines = text.splitlines()
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if not lines or lines[0] != MAGIC or "user" not in fields or "key" not in fields:
        raise OperatorKeyError(f"{path}:1: not an operator key file (it starts {MAGIC!r})")
    return fields["user"].strip(), fields["key"].strip()


def authenticate_key(db: Session, username: str, secret: str) -> User:
    """The user the key belongs to, if it is live and theirs; else :class:`OperatorKeyError`."""
    row = db.execute(
        select(OperatorKey, User)
        .join(User, User.id == OperatorKey.user_id)
        .where(OperatorKey.key_hash == _hash(secret))
    ).one_or_none()
    refused = OperatorKeyError("the operator key is unknown, revoked or not this user's")
    if row is None:
        raise refused
    key, user = row
    if key.revoked_at is not None or not hmac.compare_digest(
        user.username, username.strip().lower()
    ):
        raise refused
    if user.disabled:
        raise OperatorKeyError(f"user {user.username!r} is disabled")
    return user


def revoke_keys(db: Session, user: User) -> int:
    """Revoke every live key of ``user``; returns how many."""
    result = db.execute(
        update(OperatorKey)
        .where(OperatorKey.user_id == user.id, OperatorKey.revoked_at.is_(None))
        .values(revoked_at=models.utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
