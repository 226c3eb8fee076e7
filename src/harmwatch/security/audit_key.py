"""The access log's chain key: a secret kept outside the records database.

A hash chain alone shows naive edits, but someone who can write to the database
can edit an entry and recompute every later hash. Keying the chain (HMAC-SHA256)
with a secret the database does not hold closes that: without the key file the
recomputed chain does not verify.

One key file per records database, because it also records ``keyed_from``, the
first entry id chained with the key (entries before it were written by a
version that did not key the chain, and verify as unkeyed). Kept outside the
database, ``keyed_from`` cannot be moved by someone rewriting the log to pass
keyed entries off as older unkeyed ones.

Where the file is:

- ``$HARMWATCH_AUDIT_KEY_FILE`` if set: a deployment's secret (on a shared
  PostgreSQL server every app server must point at the same file);
- beside a SQLite records file: ``records.sqlite.audit-key``;
- otherwise ``$HARMWATCH_AUDIT_KEY_DIR`` (default ``<data home>/audit-keys``), one file
  per database URL (password left out of the name).

An in-memory SQLite database gets a key that lives as long as the process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from harmwatch.storage.paths import data_home

KEY_FILE_ENV = "HARMWATCH_AUDIT_KEY_FILE"
KEY_DIR_ENV = "HARMWATCH_AUDIT_KEY_DIR"
FORMAT = "harmwatch-audit-key/1"

_LOCK = threading.Lock()
_IN_MEMORY: dict[str, ChainKey] = {}


class AuditKeyError(Exception):
    """The key file cannot be used: unreadable, malformed, or made for another log."""


@dataclass(frozen=True)
class ChainKey:
    secret: bytes
    keyed_from: int  # the first entry id chained with this key
    path: Path | None  # None: an in-memory database's key, gone with the process


def key_file_for(url: URL) -> Path | None:
    """Where the key of the records database at ``url`` is kept (None: in memory)."""
    explicit = os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            return None
        return Path(f"{database}.audit-key")
    folder = Path(os.environ.get(KEY_DIR_ENV) or data_home() / "audit-keys")
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:24]
    return folder / f"{name}.key"


def _url_of(db: Session) -> URL:
    return db.get_bind().engine.url


_READ: dict[Path, tuple[tuple[int, int, int], ChainKey]] = {}


def read_key(path: Path) -> ChainKey:
    """The key in ``path``; parsed once per version of the file (every append asks for it)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise AuditKeyError(f"the access-log key file {path} cannot be used: {exc}") from exc
    version = (info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _READ.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    key = _parse(path)
    _READ[path] = (version, key)
    return key


def _parse(path: Path) -> ChainKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        secret = bytes.fromhex(str(data["secret"]))
        keyed_from = int(data["keyed_from"])
        if len(secret) < 32 or keyed_from < 1:
            raise ValueError("secret shorter than 32 bytes or keyed_from below 1")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuditKeyError(f"the access-log key file {path} cannot be used: {exc}") from exc
    return ChainKey(secret, keyed_from, path)


def existing_key(db: Session) -> tuple[ChainKey | None, Path | None]:
    """The key of ``db``'s log if it has one, and where it is (or would be) kept."""
    url = _url_of(db)
    path = key_file_for(url)
    if path is None:
        return _IN_MEMORY.get(url.render_as_string(hide_password=False)), None
    if not path.exists():
        return None, path
    return read_key(path), path


def key_for_append(db: Session, next_id: int) -> ChainKey:
    """The key to chain entry ``next_id`` with, made (``keyed_from = next_id``) if there is none.

    Called with the chain head locked, so no other writer can append between
    reading ``next_id`` and making the key.
    """
    url = _url_of(db)
    path = key_file_for(url)
    with _LOCK:
        if path is None:
            memory_key = url.render_as_string(hide_password=False)
            found = _IN_MEMORY.get(memory_key)
            if found is None:
                found = _IN_MEMORY[memory_key] = ChainKey(secrets.token_bytes(32), next_id, None)
            return found
        if not path.exists():
            _create(path, next_id, url)
    key = read_key(path)
    if key.keyed_from > next_id:
        raise AuditKeyError(
            f"the access-log key file {path} starts keying at entry {key.keyed_from}, but this "
            f"log's next entry is {next_id}: the file belongs to another (or an earlier) records "
            "database. Move it aside only if this database is new"
        )
    return key


def _create(path: Path, keyed_from: int, url: URL) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(
        {
            "format": FORMAT,
            "secret": secrets.token_hex(32),
            "keyed_from": keyed_from,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": url.render_as_string(hide_password=True),
        },
        indent=2,
    )
    # Written whole to a private temporary file, then linked into place: link fails if
    # the name exists, so two processes starting at once cannot write two keys, and
    # nobody ever reads a half-written file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
