"""Sharing the analytics database between requests: a reader/writer gate and a result cache.

DuckDB lets a file be open read-write by one process alone, or read-only by any
number of processes, never both at once. So an upload (read-write) must not
overlap an analysis (read-only), in this process or in another worker of the same
app: the :class:`StoreGate` lets any number of readers in together and a writer in
alone, with threads of this process and, through ``flock`` on files beside the
database, with every other process that uses the same gate. Analyses open the
store read-only for each computation and close it after, so between two of them a
writer can get in; the writer is preferred (readers queue behind a waiting one),
so a steady stream of map requests cannot hold a load off for ever.

A hotspot run over the sample takes 0.1–0.7 s of CPU; fifty analysts opening the
same map would queue behind each other. :class:`ResultCache` keeps computed
results (and their rendered GeoJSON/CSV/PNG bytes) in a small LRU keyed by the
request's parameters *and* the store's version, so an upload — by this app or
by ``harmwatch ingest`` from a shell — makes every older entry unreachable
rather than stale.
"""

from __future__ import annotations

import contextvars
import fcntl
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


class StoreGate:
    """A writer-preferring reader/writer lock around the analytics database file.

    ``lock_path``: the file (created beside the database) whose ``flock`` makes the gate
    hold across processes; None keeps it to this process (tests, one worker).
    """

    def __init__(self, lock_path: Path | None = None) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self.generation = 0  # bumped after every write through the gate
        self.lock_path = lock_path

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            with self._shared():
                yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting_writers -= 1
            self._writer = True
        try:
            with self._exclusive():
                yield
        finally:
            with self._cond:
                self._writer = False
                self.generation += 1
                self._cond.notify_all()

    # Each holder opens its own descriptors: flock belongs to an open file, so two
    # threads sharing one descriptor would release each other's lock.

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if self.lock_path is None:
            yield
            return
        with _locked(self._intent_path, fcntl.LOCK_SH):  # wait behind a waiting writer
            pass
        with _locked(self.lock_path, fcntl.LOCK_SH):
            yield

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self.lock_path is None:
            yield
            return
        with _locked(self._intent_path, fcntl.LOCK_EX), _locked(self.lock_path, fcntl.LOCK_EX):
            yield

    @property
    def _intent_path(self) -> Path:
        assert self.lock_path is not None
        return self.lock_path.with_name(self.lock_path.name + ".intent")


@contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def gate_for(db_path: Path) -> StoreGate:
    """The gate every worker serving ``db_path`` shares (its lock files beside the database)."""
    return StoreGate(lock_path=db_path.with_name(db_path.name + ".gate"))


def store_version(db_path: Path, generation: int = 0) -> tuple[Any, ...]:
    """A cheap fingerprint of the analytics database that changes whenever a load is written.

    DuckDB writes through its ``.wal`` file and folds it into the main file on
    checkpoint, so both files' size and modification time are part of it; the
    gate's generation covers writes made through this app within one mtime tick.
    """
    parts: list[Any] = [generation]
    for path in (db_path, db_path.with_name(db_path.name + ".wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            parts.append(None)
        else:
            parts.append((stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(parts)


class CacheMiss(Exception):
    """Raised inside :func:`cached_first`'s first try: the answer needs computing."""


_CACHED_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("cached_only", default=False)


async def cached_first(answer: Callable[[], T]) -> T:
    """``answer()`` on the event loop if every result it needs is cached, else in a thread.

    A map layer asked for again is a few dictionary lookups: handing it to a worker
    thread costs more than answering it (under load, the hand-over was most of the
    request's time). So the handler is first run here with the cache forbidden to
    compute; the first result it lacks raises :class:`CacheMiss`, and the handler is
    run again, from the start, in a worker thread, where computing is allowed. The
    handler must therefore do nothing before its cached calls that cannot be done
    twice (adding facts to the request's log entry is fine: the second run sets the
    same ones).
    """
    token = _CACHED_ONLY.set(True)
    try:
        return answer()
    except CacheMiss:
        pass
    finally:
        _CACHED_ONLY.reset(token)
    return await run_in_threadpool(answer)


class ResultCache:
    """A thread-safe LRU of computed results with one computation per key at a time.

    ``maxsize`` 0 disables it: every call computes (the benchmark's baseline).
    Concurrent callers asking for the same missing key wait for the first one's
    result instead of all computing it (fifty clients opening one map cost one run).
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.maxsize <= 0:
            if _CACHED_ONLY.get():
                raise CacheMiss(key)
            return compute()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            if _CACHED_ONLY.get():
                raise CacheMiss(key)
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
                self.misses += 1
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._inflight.pop(key, None)
                raise
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
                self._inflight.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
