"""Group commit for the records database: many requests' small writes, one transaction.

Every request writes twice: ``resolve_session`` moves the session's last-seen time
(the idle timeout depends on it) and ``audit.record`` appends its access-log entry
before the response leaves. Each write alone is a transaction of its own, and on
SQLite every transaction takes the single write lock and syncs the log to disk:
with fifty analysts at once the requests queued on that lock (SQLite's busy
handler polls with growing sleeps, so the slowest waited seconds) and the app
managed about a hundred requests a second whatever it served.

Here one thread owns those writes. Requests hand it a job (a function of a
Session) and wait; it takes every job waiting, runs them in one transaction,
commits once, and only then answers each request (if one job fails, the batch is
rolled back and each job retried alone, so a bad job fails by itself). Nothing is acknowledged before it is committed, so an access-log
entry still exists before its response is sent; the library functions called
are the same, only the transaction around them is shared.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from harmwatch.storage.records import session_scope

log = logging.getLogger("harmwatch.web")
T = TypeVar("T")
Job = Callable[[Session], Any]
MAX_BATCH = 256
WAIT_S = 30.0


class WriterStopped(RuntimeError):
    pass


class GroupCommitWriter:
    """A thread that runs submitted jobs in shared transactions, committing before answering."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._stopped = False
        self.batches = 0
        self.jobs = 0
        self._thread = threading.Thread(
            target=self._run, name="harmwatch-records-writer", daemon=True
        )
        self._thread.start()

    def submit(self, job: Callable[[Session], T]) -> Future[T]:
        if self._stopped:
            raise WriterStopped("the records writer has stopped")
        future: Future[T] = Future()
        self._queue.put((job, future))
        return future

    def call(self, job: Callable[[Session], T]) -> T:
        """Run ``job`` and wait for its commit (for code already off the event loop)."""
        return self.submit(job).result(timeout=WAIT_S)

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job`` and wait for its commit without blocking the event loop."""
        return await asyncio.wait_for(asyncio.wrap_future(self.submit(job)), WAIT_S)

    def close(self) -> None:
        self._stopped = True
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Job, Future[Any]]]) -> None:
        """Run the batch in one transaction; if any job fails, run each on its own.

        The common case (every job succeeds) costs one BEGIN and one COMMIT for the
        lot. A failing job rolls the whole transaction back, and the jobs are then
        retried one transaction each, so one bad job fails alone and the others
        are still committed; every job here (a session lookup, a log append) can
        safely run again after a rollback, because the rollback undid it.
        """
        live = [(job, future) for job, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            with session_scope(self.engine) as db:
                values = [job(db) for job, _ in live]
        except Exception as exc:
            if len(live) == 1:
                live[0][1].set_exception(exc)
                return
            for job, future in live:
                self._commit_one(job, future)
            return
        self.batches += 1
        self.jobs += len(live)
        for (_, future), value in zip(live, values, strict=True):
            future.set_result(value)

    def _commit_one(self, job: Job, future: Future[Any]) -> None:
        try:
            with session_scope(self.engine) as db:
                value = job(db)
        except Exception as exc:
            future.set_exception(exc)
        else:
            self.batches += 1
            self.jobs += 1
            future.set_result(value)
