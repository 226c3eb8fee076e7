"""Named locks held through the records database: one holder at a time, across processes and hosts.

Several ``harmwatch serve`` processes (on one host or several) can stand behind one
records database and one analytics store. DuckDB lets one process write the store at
a time, and two loads that interleave could each replace a force-month the other
loaded, so every write to the store takes the lock :data:`INGEST_LOCK` first. Only
the records database is shared by every server, so the lock is held there:

- **PostgreSQL**: a session-level advisory lock (``pg_advisory_lock``) on a connection
  of its own, kept for the hold and closed after. The server releases it when that
  connection ends, so a holder that dies (killed, its host lost) frees the lock without
  anyone clearing it. The key is the first 8 bytes of the name's SHA-256 as a signed
  bigint, the same in every process and release. A wait is bounded by ``lock_timeout``,
  so the server hands the lock over the moment it is free, in the order asked.
- **SQLite**: an ``flock`` on a file beside the database (``records.sqlite.<name>.lock``),
  which the kernel also drops when its process dies. Not a transaction on the records
  file: ``BEGIN IMMEDIATE`` held for a whole ingest would hold SQLite's single write
  lock, and every request's access-log entry would wait behind the load. SQLite is a
  one-host database, so a lock on one host is all it needs. An in-memory database
  (tests) gets a lock within the process.

Who holds a lock (holder, what, host, process, since) is written to ``db_locks`` once it
is taken, with a count of holds, so that whoever waits can say what it waits for
("a police.uk upload by web:alice on host-b since 10:02 UTC") and a hold's number and
times (read from the database server's clock on PostgreSQL, so that holds taken on
different hosts compare) show the order the holds came in. The row only describes:
a row whose holder no longer holds the lock (its process died) is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import OperationalError

from harmwatch.errors import UserError

from . import models
from .models import DatabaseLockHolder
from .records import session_scope

__all__ = [
    "DEFAULT_WAIT_S",
    "INGEST_LOCK",
    "DatabaseLock",
    "Held",
    "Holder",
    "LockBusy",
    "lock_key",
]

log = logging.getLogger("harmwatch.storage")

#: The lock every write to the analytics store takes (uploads, imports, ``harmwatch ingest``).
INGEST_LOCK = "analytics-ingest"
DEFAULT_WAIT_S = 600.0
# A SQLite file lock has no timed wait; polled this often while waiting.
_POLL_S = 0.02
_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout expiring


def lock_key(name: str) -> int:
    """The advisory-lock key of ``name``: its SHA-256's first 8 bytes as a signed bigint."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its holder recorded it."""

    name: str
    holder: str  # web:alice, cli:root
    what: str  # a police.uk upload, a call-data import
    host: str
    pid: int
    since: datetime
    hold: int  # this hold's number among every hold of the lock

    def describe(self) -> str:
        return (
            f"{self.what} by {self.holder} on {self.host} (process {self.pid}) "
            f"since {self.since:%H:%M:%S} UTC on {self.since:%Y-%m-%d}"
        )


class LockBusy(UserError):
    """The lock was not free within the wait allowed; says who holds it, when known."""

    http_status = 503

    def __init__(self, name: str, holder: Holder | None, waited_s: float) -> None:
        self.name = name
        self.holder = holder
        self.waited_s = waited_s
        who = holder.describe() if holder else "another process, which has not said who it is"
        super().__init__(
            f"the {name} lock is held by {who}; gave up after waiting {waited_s:.0f} s. "
            "Try again once it has finished"
        )


@dataclass
class Held:
    """One hold of a lock: its number, when it was taken and released, what it waited for."""

    name: str
    hold: int
    acquired_at: datetime
    waited_s: float
    queued_behind: Holder | None = None
    released_at: datetime | None = None

    def facts(self) -> dict[str, Any]:
        """The hold for an access-log entry or a job's outcome."""
        return {
            "lock": self.name,
            "hold": self.hold,
            "acquired_at": self.acquired_at.isoformat(),
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "waited_s": round(self.waited_s, 3),
            "queued_behind": self.queued_behind.describe() if self.queued_behind else None,
        }


class _Backend(Protocol):
    """One hold's mechanism: made for each hold, so its connection or descriptor is its own."""

    backend_pid: int | None

    def try_acquire(self) -> bool: ...
    def acquire(self, timeout_s: float | None) -> bool: ...
    def now(self) -> datetime: ...
    def release(self) -> None: ...


class _Advisory:
    """A PostgreSQL session-level advisory lock on a connection used for nothing else."""

    def __init__(self, engine: Engine, key: int) -> None:
        self.key = key
        self.conn: Connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.backend_pid: int | None = int(
            self.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        )

    def try_acquire(self) -> bool:
        return bool(
            self.conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        )

    def acquire(self, timeout_s: float | None) -> bool:
        # lock_timeout 0 waits for ever; otherwise the wait ends with SQLSTATE 55P03.
        ms = 0 if timeout_s is None else max(1, int(timeout_s * 1000))
        self.conn.execute(text(f"SET lock_timeout = {ms}"))
        try:
            self.conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                return False
            raise
        finally:
            with contextlib.suppress(Exception):
                self.conn.execute(text("RESET lock_timeout"))
        return True

    def now(self) -> datetime:
        return _utc(self.conn.execute(text("SELECT clock_timestamp()")).scalar_one())

    def release(self) -> None:
        try:
            unlocked = self.conn.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
            ).scalar()
        except Exception:
            unlocked = False
        if unlocked:
            self.conn.close()
            return
        # The connection was lost (so the server has already dropped the lock) or no
        # longer holds it: it must not go back to the pool as it is.
        log.warning("the %s advisory lock's connection was lost during the hold", self.key)
        self.conn.invalidate()
        self.conn.close()

    @staticmethod
    def held_by(conn: Connection, key: int, backend_pid: int) -> bool:
        """Whether the connection ``backend_pid`` holds the advisory lock ``key``."""
        return _pg_locks(conn, key, granted=True, pid=backend_pid) > 0


def _pg_locks(conn: Connection, key: int, *, granted: bool, pid: int | None = None) -> int:
    """Held (``granted``) or awaited requests for advisory lock ``key`` in this database.

    A bigint key shows in ``pg_locks`` as two oids, its high and low 32 bits
    (``objsubid`` 1 marks a single-bigint key).
    """
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    found = conn.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = :granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::text::bigint = :hi AND objid::text::bigint = :lo AND objsubid = 1 "
            "AND (CAST(:pid AS integer) IS NULL OR pid = :pid)"
        ),
        {"granted": granted, "hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF, "pid": pid},
    ).scalar()
    return int(found or 0)


class _FileLock:
    """``flock`` on a file beside a SQLite database."""

    backend_pid: int | None = None

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self, timeout_s: float | None) -> bool:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    def now(self) -> datetime:
        return models.utcnow()

    def release(self) -> None:
        os.close(self.fd)  # closing releases the lock

    @staticmethod
    def held(path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


_IN_PROCESS: dict[tuple[str, str], threading.Lock] = {}
_IN_PROCESS_GUARD = threading.Lock()


class _ProcessLock:
    """A lock within this process, for a records database no other process can open."""

    backend_pid: int | None = None

    def __init__(self, key: tuple[str, str]) -> None:
        with _IN_PROCESS_GUARD:
            self.lock = _IN_PROCESS.setdefault(key, threading.Lock())

    def try_acquire(self) -> bool:
        return self.lock.acquire(blocking=False)

    def acquire(self, timeout_s: float | None) -> bool:
        return self.lock.acquire(timeout=-1 if timeout_s is None else timeout_s)

    def now(self) -> datetime:
        return models.utcnow()

    def release(self) -> None:
        self.lock.release()


class DatabaseLock:
    """The lock called ``name`` in the records database behind ``engine``."""

    def __init__(self, engine: Engine, name: str) -> None:
        if not _NAME.fullmatch(name):
            raise ValueError(f"lock name {name!r}: 1-64 of a-z, 0-9, . and -")
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self.dialect = engine.dialect.name
        database = engine.url.database or ""
        self._file: Path | None = None
        plain_file = database not in ("", ":memory:") and not database.startswith("file:")
        if self.dialect == "sqlite" and plain_file:
            self._file = Path(f"{database}.{name}.lock")

    def _backend(self) -> _Backend:
        if self.dialect == "postgresql":
            return _Advisory(self.engine, self.key)
        if self._file is not None:
            return _FileLock(self._file)
        return _ProcessLock((self.engine.url.render_as_string(hide_password=False), self.name))

    def holder(self) -> Holder | None:
        """Who holds the lock now, as they recorded it; None when free or not yet recorded."""
        with session_scope(self.engine) as db:
            row = db.scalar(
                select(DatabaseLockHolder).where(
                    DatabaseLockHolder.name == self.name, DatabaseLockHolder.released_at.is_(None)
                )
            )
            if row is None:
                return None
            if self.dialect == "postgresql":
                live = row.backend_pid is not None and _Advisory.held_by(
                    db.connection(), self.key, row.backend_pid
                )
            elif self._file is not None:
                live = _FileLock.held(self._file)
            else:
                live = True
            if not live:
                return None  # left by a holder that died: the lock itself is free
            return Holder(
                self.name, row.holder, row.what, row.host, row.pid, _utc(row.since), row.holds
            )

    def waiting(self) -> int | None:
        """How many connections wait for the lock now (PostgreSQL); None where unknown."""
        if self.dialect != "postgresql":
            return None
        with self.engine.connect() as conn:
            return _pg_locks(conn, self.key, granted=False)

    @contextlib.contextmanager
    def hold(
        self,
        *,
        holder: str,
        what: str,
        wait_s: float | None = DEFAULT_WAIT_S,
        on_wait: Callable[[Holder | None], None] | None = None,
    ) -> Iterator[Held]:
        """Hold the lock for the block, waiting up to ``wait_s`` (None: for ever) for it.

        ``on_wait`` is told who holds it when the lock is not free at once (before
        waiting), so a caller can say it is queued. Raises :class:`LockBusy`, naming
        the holder, when the wait runs out.
        """
        started = time.monotonic()
        backend = self._backend()
        try:
            queued_behind: Holder | None = None
            if not backend.try_acquire():
                queued_behind = self.holder()
                if on_wait is not None:
                    on_wait(queued_behind)
                if not backend.acquire(wait_s):
                    raise LockBusy(
                        self.name, self.holder() or queued_behind, time.monotonic() - started
                    )
        except BaseException:
            _discard(backend)
            raise
        try:
            acquired_at = backend.now()
            number = self._record(holder, what, acquired_at, backend.backend_pid)
        except BaseException:
            backend.release()
            raise
        held = Held(self.name, number, acquired_at, time.monotonic() - started, queued_behind)
        try:
            yield held
        finally:
            try:
                held.released_at = backend.now()
                self._record_release(number, held.released_at)
            except Exception:  # the hold's record is a description; the lock must still go
                log.warning("could not record the release of the %s lock", self.name, exc_info=True)
            finally:
                backend.release()

    def _record(self, holder: str, what: str, since: datetime, backend_pid: int | None) -> int:
        # Written while holding the lock, so no other holder writes the row meanwhile.
        with session_scope(self.engine) as db:
            row = db.get(DatabaseLockHolder, self.name)
            if row is None:
                row = DatabaseLockHolder(name=self.name, holds=0)
                db.add(row)
            row.holds = int(row.holds) + 1
            row.holder = holder[:200]
            row.what = what[:200]
            row.host = socket.gethostname()
            row.pid = os.getpid()
            row.backend_pid = backend_pid
            row.since = since
            row.released_at = None
            db.flush()
            return int(row.holds)

    def _record_release(self, number: int, at: datetime) -> None:
        with session_scope(self.engine) as db:
            db.execute(
                update(DatabaseLockHolder)
                .where(DatabaseLockHolder.name == self.name, DatabaseLockHolder.holds == number)
                .values(released_at=at)
            )


def _discard(backend: _Backend) -> None:
    """Give up a backend that did not get the lock (its connection or descriptor)."""
    if isinstance(backend, _Advisory):
        # Closed, not pooled: interrupted as the server granted it, the connection could
        # hold the lock unknown to us, and pooled it would keep it for whoever came next.
        with contextlib.suppress(Exception):
            backend.conn.invalidate()
            backend.conn.close()
    elif isinstance(backend, _FileLock):
        with contextlib.suppress(OSError):
            os.close(backend.fd)
