"""The web app's background jobs, kept in the records database so every app server sees them.

A call-data import runs in a thread of the server that received it, but the user's
next request (polling its progress) may land on another server behind the same
records database. So a job's state lives in ``web_jobs``, written by the thread that
runs it (progress at most every :data:`SAVE_EVERY_S`, every change of state at once)
and read by whichever server is asked. Each job is readable by its owner alone.
Finished jobs are kept :data:`JOB_KEPT_S` for the page (or a script) to read their
outcome, and at most :data:`JOBS_PER_USER` of them per user: a refused file's problems
can quote its rows, which are not to stay in the records database.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from harmwatch.errors import NotFoundError
from harmwatch.storage import models
from harmwatch.storage.models import WebJob
from harmwatch.storage.records import read_only, session_scope

log = logging.getLogger("harmwatch.web")

JOB_KEPT_S = 3600.0
JOBS_PER_USER = 20
SAVE_EVERY_S = 0.5
FINISHED = frozenset({"done", "refused", "failed"})


class JobStore:
    """Jobs of one kind: created, saved by the thread running them, read by their owner.

    ``write`` runs a function of a session in a committed transaction (the app's
    group-commit writer); reads go straight to the database, read-only.
    """

    def __init__(
        self, engine: Engine, kind: str, write: Callable[[Callable[[Session], Any]], Any]
    ) -> None:
        self.engine = engine
        self.kind = kind
        self._write = write

    def new_id(self) -> str:
        return secrets.token_urlsafe(16)

    def add(self, job_id: str, owner: str, state: str, document: dict[str, Any]) -> None:
        """Record a new job, forgetting this owner's oldest finished ones and any expired."""
        now = models.utcnow()

        def add(db: Session) -> None:
            db.execute(
                delete(WebJob).where(WebJob.finished_at < now - timedelta(seconds=JOB_KEPT_S))
            )
            old = db.scalars(
                select(WebJob.id)
                .where(WebJob.owner == owner, WebJob.finished_at.is_not(None))
                .order_by(WebJob.started_at.desc(), WebJob.id)
                .offset(JOBS_PER_USER - 1)
            ).all()
            if old:
                db.execute(delete(WebJob).where(WebJob.id.in_(old)))
            db.add(
                WebJob(
                    id=job_id, kind=self.kind, owner=owner, state=state,
                    state_json=json.dumps(document), host=socket.gethostname(),
                    pid=os.getpid(), started_at=now, updated_at=now, finished_at=None,
                )
            )  # fmt: skip

        self._write(add)

    def save(self, job_id: str, state: str, document: dict[str, Any]) -> None:
        now = models.utcnow()
        values: dict[str, Any] = {
            "state": state,
            "state_json": json.dumps(document),
            "updated_at": now,
        }
        if state in FINISHED:
            values["finished_at"] = now

        def save(db: Session) -> None:
            db.execute(update(WebJob).where(WebJob.id == job_id).values(**values))

        self._write(save)

    def get(self, job_id: str, owner: str) -> dict[str, Any]:
        """The job's document, if it is ``owner``'s; another user's is answered as missing."""
        with session_scope(read_only(self.engine)) as db:
            row = db.scalar(
                select(WebJob).where(
                    WebJob.id == job_id[:32], WebJob.kind == self.kind, WebJob.owner == owner
                )
            )
            if row is None:
                # The same answer for another user's job: its id says nothing to them.
                raise NotFoundError(f"no import job {job_id[:40]} of yours")
            document: dict[str, Any] = json.loads(row.state_json)
        return document


class Saver:
    """Saves one job's document: every change of state at once, progress now and then."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store = store
        self.job_id = job_id
        self._last = 0.0

    def __call__(self, state: str, document: dict[str, Any], *, progress: bool = False) -> None:
        now = time.monotonic()
        if progress and now - self._last < SAVE_EVERY_S:
            return
        self._last = now
        try:
            self.store.save(self.job_id, state, document)
        except Exception:
            if not progress:
                raise
            # A progress report lost is shown at the next one; the import goes on.
            log.warning("could not save the progress of job %s", self.job_id[:6], exc_info=True)
