"""Group commit for the records database: many requests' small writes, one transaction.

Every request writes twice: ``resolve_session`` moves the session's last-seen time
(the idle timeout depends on it) and ``audit.record`` appends its access-log entry
before the response leaves. Each write alone is a transaction of its own, and on
SQLite every transaction takes the single write lock and syncs the log to disk:
with fifty analysts at once the requests queued on that lock (SQLite's busy
handler polls with growing sleeps, so the slowest waited seconds) and the app
managed about a hundred requests a second whatever it served.

Here one thread owns those writes. Requests hand it a job (a function of a
Session, or an access-log entry already checked by :func:`audit.prepare`) and
wait; it takes every job waiting, runs them in one transaction, commits once, and
only then answers each request (if one job fails, the batch is rolled back and
each job retried alone, so a bad job fails by itself). Nothing is acknowledged
before it is committed, so an access-log entry still exists before its response
is sent; the library functions called are the same, only the transaction around
them is shared. Consecutive log entries in a batch are chained together
(:func:`audit.append_pending`: one read of the chain head, the inserts and the
head's moves each sent as one batch of statements), and a batch's waiting
requests are woken with one call into their event loop, not one each. With
several workers (``harmwatch serve --workers N``) each process has its own writer,
and the writers take turns at the file (:meth:`GroupCommitWriter._turn`), each
gathering its batch once its turn has come.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar, overload

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from harmwatch.security import audit
from harmwatch.security.audit import PendingEntry
from harmwatch.storage.records import session_scope

log = logging.getLogger("harmwatch.web")
T = TypeVar("T")
Job = Callable[[Session], Any] | PendingEntry
MAX_BATCH = 256
WAIT_S = 30.0


class WriterStopped(RuntimeError):
    pass


class _Waiter:
    """Where a job's result goes: a thread's future, or a future of an event loop."""

    __slots__ = ("future", "loop")

    def __init__(
        self, future: Future[Any] | asyncio.Future[Any], loop: asyncio.AbstractEventLoop | None
    ) -> None:
        self.future = future
        self.loop = loop

    def wanted(self) -> bool:
        if self.loop is None:
            assert isinstance(self.future, Future)
            return self.future.set_running_or_notify_cancel()
        return not self.future.cancelled()  # the request gave up waiting (its timeout)


_Item = tuple[Job, _Waiter]
_Outcome = tuple[_Waiter, bool, Any]  # the waiter, whether its job succeeded, result or error


def _settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """On the event loop: hand each waiting request its job's result (or failure)."""
    for future, ok, value in outcomes:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class GroupCommitWriter:
    """A thread that runs submitted jobs in shared transactions, committing before answering."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._stopped = False
        database = engine.url.database or ""
        plain_file = database not in ("", ":memory:") and not database.startswith("file:")
        self._lock_path = (
            f"{database}.writer-lock" if engine.dialect.name == "sqlite" and plain_file else None
        )
        self.batches = 0
        self.jobs = 0
        self._thread = threading.Thread(
            target=self._run, name="harmwatch-records-writer", daemon=True
        )
        self._thread.start()

    @overload
    def submit(self, job: PendingEntry) -> Future[int]: ...
    @overload
    def submit(self, job: Callable[[Session], T]) -> Future[T]: ...
    def submit(self, job: Job) -> Future[Any]:
        if self._stopped:
            raise WriterStopped("the records writer has stopped")
        future: Future[Any] = Future()
        self._queue.put((job, _Waiter(future, None)))
        return future

    @overload
    def call(self, job: PendingEntry) -> int: ...
    @overload
    def call(self, job: Callable[[Session], T]) -> T: ...
    def call(self, job: Job) -> Any:
        """Run ``job`` and wait for its commit (for code already off the event loop)."""
        return self.submit(job).result(timeout=WAIT_S)

    @overload
    async def run(self, job: PendingEntry) -> int: ...
    @overload
    async def run(self, job: Callable[[Session], T]) -> T: ...
    async def run(self, job: Job) -> Any:
        """Run ``job`` and wait for its commit without blocking the event loop.

        An access-log entry's id is its result.
        """
        if self._stopped:
            raise WriterStopped("the records writer has stopped")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((job, _Waiter(future, loop)))
        return await asyncio.wait_for(future, WAIT_S)

    def close(self) -> None:
        self._stopped = True
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            # The batch is gathered once this process's turn has come, so that what
            # queued while another worker's writer committed goes into this commit.
            with self._turn():
                batch = self._gather(item)
                try:
                    outcomes = self._commit(batch)
                except Exception as exc:  # a defect: fail the batch, keep the writer going
                    log.exception("the records writer failed a batch")
                    outcomes = [(waiter, False, exc) for _, waiter in batch]
            self._answer(outcomes)

    def _gather(self, first: _Item) -> list[_Item]:
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(more)
        return batch

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn at the records file's write lock, among the app's workers.

        On SQLite each worker process has its own writer, and only one transaction can
        write at a time. SQLite's own wait for that lock polls with growing sleeps
        (1, 2, 5, 10 ms …), so a writer whose turn came while it slept lost the rest of
        the sleep, and in a burst the workers' writers kept missing each other. Taking
        an ``flock`` on a file beside the database first, the kernel hands the turn to
        the next writer the moment one commits. It only orders the app's writers;
        SQLite's lock still guards the file against everyone else (a command run from
        a shell waits on SQLite's lock as before).
        """
        fd = None
        if self._lock_path is not None:
            with contextlib.suppress(OSError):  # no lock file: SQLite's own lock still holds
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if fd is None:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _commit(self, batch: list[_Item]) -> list[_Outcome]:
        """Run the batch in one transaction; if any job fails, run each on its own.

        The common case (every job succeeds) costs one BEGIN and one COMMIT for the
        lot. A failing job rolls the whole transaction back, and the jobs are then
        retried one transaction each, so one bad job fails alone and the others
        are still committed; every job here (a last-seen time, a log append) can
        safely run again after a rollback, because the rollback undid it. Returns each
        waiter's outcome, to be given only after the commit.
        """
        live = [(job, waiter) for job, waiter in batch if waiter.wanted()]
        if not live:
            return []
        try:
            with session_scope(self.engine) as db:
                values = _run_jobs(db, [job for job, _ in live])
        except Exception as exc:
            if len(live) == 1:
                return [(live[0][1], False, exc)]
            return [self._commit_one(job, waiter) for job, waiter in live]
        self.batches += 1
        self.jobs += len(live)
        return [(waiter, True, value) for (_, waiter), value in zip(live, values, strict=True)]

    def _commit_one(self, job: Job, waiter: _Waiter) -> _Outcome:
        try:
            with session_scope(self.engine) as db:
                (value,) = _run_jobs(db, [job])
        except Exception as exc:
            return (waiter, False, exc)
        self.batches += 1
        self.jobs += 1
        return (waiter, True, value)

    @staticmethod
    def _answer(outcomes: list[_Outcome]) -> None:
        """Give each job's result to its waiter, only after the commit (one wake-up a loop)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for waiter, ok, value in outcomes:
            if waiter.loop is None:
                assert isinstance(waiter.future, Future)
                if ok:
                    waiter.future.set_result(value)
                else:
                    waiter.future.set_exception(value)
            else:
                assert isinstance(waiter.future, asyncio.Future)
                by_loop.setdefault(waiter.loop, []).append((waiter.future, ok, value))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, settled)


def _run_jobs(db: Session, jobs: list[Job]) -> list[Any]:
    """Each job's result, in order; runs of access-log entries are chained in one go."""
    values: list[Any] = [None] * len(jobs)
    waiting: list[tuple[int, PendingEntry]] = []  # entries not chained yet, by position

    def chain() -> None:
        ids = audit.append_pending(db, [entry for _, entry in waiting])
        for (position, _), entry_id in zip(waiting, ids, strict=True):
            values[position] = entry_id
        waiting.clear()

    for position, job in enumerate(jobs):
        if isinstance(job, PendingEntry):
            waiting.append((position, job))
            continue
        if waiting:
            chain()
        values[position] = job(db)
    if waiting:
        chain()
    return values
