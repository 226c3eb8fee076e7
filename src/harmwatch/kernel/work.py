"""One unit of work: a change and its access-log entry, saved in one database transaction.

Before this, a web change (adding a user) committed in its own transaction and the
audit middleware wrote the log entry afterwards in another: if that write failed the
client saw a 500 but the change stayed, unlogged. Here the change and its entry
commit together or not at all, and every front end uses the same code:

- the body succeeds: its entries are appended to the log, then the one transaction
  commits. If appending or committing fails, everything is rolled back — the change
  is not saved without its entry;
- the body raises a :class:`~harmwatch.errors.UserError` (bad input, a policy
  refusal): the change is rolled back and the refusal is logged on its own, as
  ``refused`` or ``denied`` — never ``ok``;
- the body raises anything else (a defect): rolled back, logged as ``error`` with the
  exception's type only (its text may hold internal detail), and re-raised.

A change to a store the records database cannot share a transaction with (the
DuckDB analytics file, a boundary file on disk) uses :func:`outside_change`: the
intent is logged and committed *before* the change (``started``), and the outcome
after; if the second write fails, the log still shows the change was attempted, with
the ids to reconcile it by, and the error reaches the user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.justification import Justification
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.storage.records import session_scope

log = logging.getLogger("harmwatch.kernel")


@dataclass
class Entry:
    """An access-log entry waiting for its transaction."""

    action: AuditAction
    target: RecordRef
    details: dict[str, Any] = field(default_factory=dict)
    justification: Justification | None = None
    recipient: str | None = None


class Work:
    """What the body of a unit of work sees: the session, and the entry it will log."""

    def __init__(self, db: Session, principal: Principal, client: str, primary: Entry) -> None:
        self.db = db
        self.principal = principal
        self.client = client
        self.primary = primary
        self.extra: list[Entry] = []

    @property
    def details(self) -> dict[str, Any]:
        """Facts for the main entry that only the body knows (rows, ids, what changed)."""
        return self.primary.details

    def target(self, ref: RecordRef) -> None:
        """Name the record acted on, once the body knows it (a new record's id)."""
        self.primary.target = ref

    def justify(self, justification: Justification | None) -> Justification | None:
        """Attach the reason, once the body has resolved it (typed, or the declared purpose)."""
        self.primary.justification = justification
        return justification

    def also(
        self,
        action: AuditAction,
        target: RecordRef,
        *,
        details: dict[str, Any] | None = None,
        justification: Justification | None = None,
        recipient: str | None = None,
    ) -> None:
        """Log another act done in the same transaction (a record read to make the change)."""
        self.extra.append(Entry(action, target, dict(details or {}), justification, recipient))


def write_entry(
    db: Session, principal: Principal, client: str, entry: Entry, outcome: Outcome
) -> None:
    from harmwatch.security import audit  # the log depends on the kernel's vocabulary

    details = dict(entry.details)
    if principal.via != "web":
        details.setdefault("via", principal.via)  # how the command line signed in
    audit.record(
        db,
        actor=principal.actor,
        action=entry.action,
        target=entry.target,
        outcome=outcome,
        details=details,
        justification=entry.justification.logged() if entry.justification else None,
        client=client or principal.client,
        recipient=entry.recipient,
    )


def log_alone(
    engine: Engine, principal: Principal, client: str, entry: Entry, outcome: Outcome
) -> None:
    """Write one entry in a transaction of its own (refusals, reads, intents)."""
    with session_scope(engine) as db:
        write_entry(db, principal, client, entry, outcome)


def log_failure(
    engine: Engine, principal: Principal, client: str, entry: Entry, exc: BaseException
) -> None:
    """Log why a unit of work did not happen; never hides the original failure."""
    if isinstance(exc, UserError):
        outcome = Outcome.DENIED if isinstance(exc, PolicyDenied) else Outcome.REFUSED
        details = {**entry.details, "error": str(exc)[:1000]}
    else:
        outcome = Outcome.ERROR
        details = {**entry.details, "error": type(exc).__name__}
    try:
        log_alone(
            engine,
            principal,
            client,
            Entry(entry.action, entry.target, details, entry.justification, entry.recipient),
            outcome,
        )
    except Exception:
        log.exception("could not log the failure of %s %s", entry.action, entry.target)


@contextmanager
def unit_of_work(
    engine: Engine,
    principal: Principal,
    action: AuditAction,
    target: RecordRef,
    *,
    client: str = "",
    details: dict[str, Any] | None = None,
    justification: Justification | None = None,
    recipient: str | None = None,
) -> Iterator[Work]:
    """Do a change and log it in one transaction (see the module docstring)."""
    primary = Entry(action, target, dict(details or {}), justification, recipient)
    db = Session(engine, expire_on_commit=False)
    work = Work(db, principal, client, primary)
    try:
        try:
            yield work
        except BaseException as exc:
            db.rollback()
            if isinstance(exc, Exception):
                log_failure(engine, principal, client, primary, exc)
            raise
        try:
            write_entry(db, principal, client, primary, Outcome.OK)
            for entry in work.extra:
                write_entry(db, principal, client, entry, Outcome.OK)
            db.commit()
        except BaseException as exc:
            # The change must not stay without its entry: undo both.
            db.rollback()
            if isinstance(exc, Exception):
                log_failure(engine, principal, client, primary, exc)
            raise
    finally:
        db.close()


@dataclass
class Outside:
    """What the body of :func:`outside_change` sees: the entry's details to add to."""

    principal: Principal
    details: dict[str, Any]
    target_ref: RecordRef

    def target(self, ref: RecordRef) -> None:
        self.target_ref = ref


@contextmanager
def outside_change(
    engine: Engine,
    principal: Principal,
    action: AuditAction,
    target: RecordRef,
    *,
    client: str = "",
    details: dict[str, Any] | None = None,
) -> Iterator[Outside]:
    """A change to another store: log the intent first (committed), then the outcome."""
    start = Entry(action, target, dict(details or {}))
    log_alone(engine, principal, client, start, Outcome.STARTED)
    body = Outside(principal, dict(details or {}), target)
    try:
        yield body
    except BaseException as exc:
        if isinstance(exc, Exception):
            log_failure(
                engine, principal, client, Entry(action, body.target_ref, body.details), exc
            )
        raise
    log_alone(engine, principal, client, Entry(action, body.target_ref, body.details), Outcome.OK)
