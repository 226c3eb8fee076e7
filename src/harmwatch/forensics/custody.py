"""An exhibit's chain of custody: recording an event, and what its events give away.

An event is appended to the exhibit's hash chain (:func:`harmwatch.forensics.chain.append_custody`),
never changed. What matters to a court is whether the record shows the exhibit held
continuously, and sealed as it was sealed; :func:`flags` reads the events in the order
they were recorded and says where it does not, naming the events and why.

The rules (stated, because they decide what is flagged):

**Gaps** — the custody is not continuous:

- custody passes from one person or place to another only by a ``transferred`` event
  (its ``location`` is where it is sent) followed by a ``received`` event there: an
  event after a transfer that is not its receipt, a receipt with no transfer before it,
  a receipt somewhere else than the transfer named, or any other event somewhere else
  than the exhibit last was, is a gap;
- a transfer is made by whoever holds the exhibit (who seized it, or last received it);
- more than ``max_transfer_days`` (default :data:`DEFAULT_TRANSFER_DAYS`, 7) between a
  transfer and its receipt;
- an event dated before the event recorded before it.

**Seal mismatches** — a seal number changes with no ``opened`` or ``resealed`` event
between, or a ``received`` carries a seal other than the one the exhibit was sent under.

**A broken seal** (condition ``seal-broken``), and a **damaged** (or leaking) exhibit, are flagged too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from harmwatch.kernel.forms import FormRefused, Problem
from harmwatch.kernel.work import Work
from harmwatch.storage import models

from . import chain
from .forms import CUSTODY_FORM, local_text, parse_instant
from .models import CustodyEvent, ForensicExhibit

#: Days allowed between a transfer and its receipt before the gap is flagged.
DEFAULT_TRANSFER_DAYS = 7
FLAG_KINDS = ("gap", "seal-mismatch", "seal-broken", "damaged")


@dataclass(frozen=True)
class Flag:
    """One thing wrong with an exhibit's custody: which events (ids, in order) and why."""

    kind: str  # one of FLAG_KINDS
    events: tuple[int, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "events": list(self.events), "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.kind} (events {', '.join(f'#{e}' for e in self.events)}): {self.reason}"


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _named(e: CustodyEvent) -> str:
    return f"#{e.id} {e.action} {local_text(e.at)}"


def flags(
    events: Sequence[CustodyEvent], *, max_transfer_days: int = DEFAULT_TRANSFER_DAYS
) -> list[Flag]:
    """What the events (in the order recorded) show wrong with the custody (module docstring)."""
    out: list[Flag] = []
    ordered = sorted(events, key=lambda e: e.seq)
    holder: str | None = None
    place: str | None = None
    pending: CustodyEvent | None = None  # a transfer not yet received
    seal: CustodyEvent | None = None  # the event that last showed the seal number
    opened = False
    previous: CustodyEvent | None = None
    for e in ordered:
        ids = (previous.id, e.id) if previous is not None else (e.id,)
        if previous is not None and e.at < previous.at:
            out.append(
                Flag(
                    "gap",
                    ids,
                    f"{_named(e)} is dated before the event before it, {_named(previous)}",
                )
            )
        # -- continuity
        if pending is not None:
            if e.action != "received":
                out.append(
                    Flag(
                        "gap",
                        (pending.id, e.id),
                        f"{_named(pending)} to {pending.location} has no receipt: the next event "
                        f"is {_named(e)}",
                    )
                )
            else:
                if not _same(e.location, pending.location):
                    out.append(
                        Flag(
                            "gap",
                            (pending.id, e.id),
                            f"sent to {pending.location} ({_named(pending)}) but received at "
                            f"{e.location} ({_named(e)})",
                        )
                    )
                delay = e.at - pending.at
                if delay > timedelta(days=max_transfer_days):
                    out.append(
                        Flag(
                            "gap",
                            (pending.id, e.id),
                            f"{delay.days} days between {_named(pending)} and its receipt "
                            f"{_named(e)} (more than {max_transfer_days})",
                        )
                    )
        elif e.action == "received" and previous is not None:
            out.append(
                Flag("gap", ids, f"{_named(e)} follows no transfer (last: {_named(previous)})")
            )
        elif (
            previous is not None
            and place is not None
            and e.action != "transferred"  # its location is where it is sent
            and not _same(e.location, place)
        ):
            out.append(
                Flag(
                    "gap",
                    ids,
                    f"{_named(e)} at {e.location}, but the exhibit was at {place} and no transfer "
                    "is recorded",
                )
            )
        if e.action == "transferred" and holder is not None and not _same(e.handled_by, holder):
            out.append(
                Flag(
                    "gap",
                    ids,
                    f"{_named(e)} by {e.handled_by}, but the exhibit was held by {holder}",
                )
            )
        # -- seals
        if e.seal_number:
            sent_under = pending.seal_number if pending is not None else None
            if e.action == "received" and sent_under and not _same(e.seal_number, sent_under):
                out.append(
                    Flag(
                        "seal-mismatch",
                        (pending.id, e.id),  # type: ignore[union-attr]
                        f"received under seal {e.seal_number} ({_named(e)}), sent under seal "
                        f"{sent_under}",
                    )
                )
            elif (
                seal is not None
                and not opened
                and e.action != "resealed"
                and not _same(e.seal_number, seal.seal_number)
            ):
                out.append(
                    Flag(
                        "seal-mismatch",
                        (seal.id, e.id),
                        f"seal {e.seal_number} at {_named(e)}, but {seal.seal_number} at "
                        f"{_named(seal)}, with no opened or resealed event between",
                    )
                )
            seal, opened = e, False
        if e.action == "opened":
            opened = True
        if e.condition == "seal-broken":
            out.append(Flag("seal-broken", (e.id,), f"seal found broken at {_named(e)}"))
        elif e.condition in ("damaged", "leaking"):
            out.append(Flag("damaged", (e.id,), f"exhibit found {e.condition} at {_named(e)}"))
        # -- who holds it, and where, after this event
        if e.action == "transferred":
            pending = e
        else:
            if pending is not None or e.action in ("seized", "received") or holder is None:
                holder = e.handled_by
            pending = None
            place = e.location
        previous = e
    return out


def store(work: Work, exhibit: ForensicExhibit, values: Mapping[str, Any]) -> CustodyEvent:
    """Append one custody event from a form's values (text as typed) to the exhibit's chain.

    The caller has checked the policy. Refused (by field) when it is dated in the future
    or before the exhibit was taken.
    """
    clean = CUSTODY_FORM.checked(values)
    at = parse_instant(clean["at"])
    assert at is not None  # the form's rule
    now = models.utcnow()
    if at > now:
        raise FormRefused([Problem("at", f"{local_text(at)} is in the future")])
    if at < exhibit.taken_at:
        raise FormRefused(
            [
                Problem(
                    "at",
                    f"{local_text(at)} is before the exhibit was taken ({local_text(exhibit.taken_at)})",
                )
            ]
        )
    return chain.append_custody(
        work,
        exhibit.id,
        at=at,
        action=clean["action"],
        handled_by=clean["handled_by"],
        location=clean["location"],
        seal_number=clean["seal_number"] or None,
        condition=clean["condition"] or "intact",
        notes=clean["notes"] or "",
    )


def event_json(e: CustodyEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": e.seq,
        "at": e.at.isoformat(),
        "at_local": local_text(e.at),
        "action": e.action,
        "handled_by": e.handled_by,
        "location": e.location,
        "seal_number": e.seal_number,
        "condition": e.condition,
        "notes": e.notes,
        "recorded_at": e.recorded_at.isoformat(),
        "recorded_by": e.recorded_by,
        "entry_hash": e.entry_hash,
    }


__all__ = ["DEFAULT_TRANSFER_DAYS", "FLAG_KINDS", "Flag", "event_json", "flags", "store"]
