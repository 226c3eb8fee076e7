"""An exhibit's history — custody events and result versions — as one hash chain per exhibit.

Evidence is only as good as the record of who held it and what was found. Each row
appended to an exhibit's history gets the next ``seq`` and an ``entry_hash``: SHA-256
of its canonical JSON (every field but the hash itself, the ``prev_hash`` included),
so changing any stored field, or removing or reordering a row, breaks the chain from
that row on. The database refuses an UPDATE of either table (triggers, migration
0011); the chain finds what the triggers cannot stop — a change made with them
dropped, or in the database file itself.

**Anchored in the access log.** :func:`append_custody` and :func:`append_result` put
the new head (``exhibit``, ``seq``, ``hash``) into the details of the unit of work's
access-log entry, which is itself hash-chained and keyed (``security/audit.py``). So
rewriting an exhibit's whole chain consistently still fails :func:`verify`: the
recomputed hashes no longer match the ones the log recorded when each row was added.

:func:`verify` recomputes every row in order and names the first that fails —
altered (its hash does not match its fields), out of order (its ``prev_hash`` is not
the previous row's hash), or not the row the log anchored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.work import Work
from harmwatch.storage import models

from .models import CustodyEvent, ExhibitResult, ForensicExhibit

GENESIS = "0" * 64
#: The access-log detail holding the chain heads an act appended.
ANCHOR_KEY = "exhibit_chain"

_CUSTODY_FIELDS = (
    "exhibit_id", "seq", "at", "action", "handled_by", "location", "seal_number",
    "condition", "notes", "recorded_at", "recorded_by", "prev_hash",
)  # fmt: skip
_RESULT_FIELDS = (
    "exhibit_id", "seq", "analyte", "version", "value", "unit", "method", "uncertainty",
    "reported_on", "amendment_reason", "retest_id", "recorded_at", "recorded_by", "prev_hash",
)  # fmt: skip


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(models.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_hash(row: CustodyEvent | ExhibitResult) -> str:
    """SHA-256 of the row's canonical JSON (its kind and every chained field)."""
    kind, names = (
        ("custody", _CUSTODY_FIELDS)
        if isinstance(row, CustodyEvent)
        else ("result", _RESULT_FIELDS)
    )
    payload = {"kind": kind, **{name: _text(getattr(row, name)) for name in names}}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def history(db: Session, exhibit_id: int) -> list[CustodyEvent | ExhibitResult]:
    """The exhibit's custody events and results, in chain order."""
    rows: list[CustodyEvent | ExhibitResult] = [
        *db.scalars(select(CustodyEvent).where(CustodyEvent.exhibit_id == exhibit_id)),
        *db.scalars(select(ExhibitResult).where(ExhibitResult.exhibit_id == exhibit_id)),
    ]
    return sorted(rows, key=lambda r: r.seq)


def _head(db: Session, exhibit_id: int) -> tuple[int, str]:
    """The last ``seq`` and hash of the exhibit's chain ((0, genesis) when empty)."""
    best = (0, GENESIS)
    for model in (CustodyEvent, ExhibitResult):
        row = db.execute(
            select(model.seq, model.entry_hash)
            .where(model.exhibit_id == exhibit_id)
            .order_by(model.seq.desc())
            .limit(1)
        ).first()
        if row is not None and row[0] > best[0]:
            best = (int(row[0]), str(row[1]))
    return best


def _anchor(work: Work, row: CustodyEvent | ExhibitResult) -> None:
    heads = work.details.setdefault(ANCHOR_KEY, [])
    heads.append({"exhibit": row.exhibit_id, "seq": row.seq, "hash": row.entry_hash})


def _append(work: Work, row: CustodyEvent | ExhibitResult) -> None:
    # The exhibit's row is locked for the length of the transaction (an UPDATE of its
    # updated_at), so two appends to one exhibit cannot take the same seq.
    exhibit = policy.visible_one(
        work.db, work.principal, ForensicExhibit, row.exhibit_id, what="forensic exhibit"
    )
    exhibit.updated_at = models.utcnow()
    exhibit.updated_by = work.principal.actor
    work.db.flush()
    seq, prev = _head(work.db, row.exhibit_id)
    row.seq, row.prev_hash = seq + 1, prev
    row.recorded_at = models.utcnow()
    row.recorded_by = work.principal.actor
    row.entry_hash = row_hash(row)
    work.db.add(row)
    work.db.flush()
    _anchor(work, row)


def append_custody(work: Work, exhibit_id: int, **fields: Any) -> CustodyEvent:
    """Append a custody event (``at``, ``action``, ``handled_by``, ``location``,
    ``seal_number``, ``condition``, ``notes``) to the exhibit's chain, in ``work``.

    The caller has checked the policy (the exhibit is the caller's to change) and the
    values; this only chains and anchors the row.
    """
    row = CustodyEvent(exhibit_id=exhibit_id, **fields)
    _append(work, row)
    return row


def next_version(db: Session, exhibit_id: int, analyte: str) -> int:
    current = db.scalar(
        select(func.max(ExhibitResult.version)).where(
            ExhibitResult.exhibit_id == exhibit_id, ExhibitResult.analyte == analyte
        )
    )
    return int(current or 0) + 1


def append_result(work: Work, exhibit_id: int, **fields: Any) -> ExhibitResult:
    """Append a result version (``analyte``, ``value``, ``unit``, ``method``,
    ``uncertainty``, ``reported_on``, ``amendment_reason``, ``retest_id``) to the chain.

    Its ``version`` is the next of its analyte on the exhibit; a version after the
    first is an amendment and must say why (``amendment_reason``) unless it is a
    retest's result (``retest_id``).
    """
    version = next_version(work.db, exhibit_id, str(fields["analyte"]))
    if version > 1 and not fields.get("amendment_reason") and not fields.get("retest_id"):
        from harmwatch.kernel.forms import FormRefused, Problem

        raise FormRefused(
            [
                Problem(
                    "amendment_reason",
                    f"{fields['analyte']} already has a result on this exhibit: an amendment "
                    "says why",
                )
            ]
        )
    row = ExhibitResult(exhibit_id=exhibit_id, version=version, **fields)
    _append(work, row)
    return row


@dataclass(frozen=True)
class Broken:
    """The first row of an exhibit's chain that fails, and how."""

    exhibit_id: int
    seq: int
    kind: str  # "custody" or "result"
    row_id: int
    reason: str

    def __str__(self) -> str:
        return (
            f"exhibit {self.exhibit_id}: {self.kind} #{self.row_id} (seq {self.seq}): {self.reason}"
        )


def anchored(entries: Iterable[dict[str, Any]]) -> dict[tuple[int, int], str]:
    """The chain hashes the access log recorded, by (exhibit, seq), from entries' details."""
    found: dict[tuple[int, int], str] = {}
    for details in entries:
        for head in details.get(ANCHOR_KEY) or ():
            found[(int(head["exhibit"]), int(head["seq"]))] = str(head["hash"])
    return found


def verify(
    db: Session, exhibit_id: int, anchors: dict[tuple[int, int], str] | None = None
) -> Broken | None:
    """The first row of the exhibit's chain that fails (None: it is whole).

    ``anchors`` (from :func:`anchored` over the access log's entries): each row's hash
    must also be the one the log recorded when it was appended.
    """
    prev = GENESIS
    for expected_seq, row in enumerate(history(db, exhibit_id), start=1):
        kind = "custody" if isinstance(row, CustodyEvent) else "result"

        def broken(reason: str, row: Any = row, kind: str = kind) -> Broken:
            return Broken(exhibit_id, row.seq, kind, row.id, reason)

        if row.seq != expected_seq:
            return broken(f"expected seq {expected_seq}: a row is missing or out of order")
        if row.prev_hash != prev:
            return broken("does not follow the row before it (prev_hash differs)")
        if row_hash(row) != row.entry_hash:
            return broken("altered: its fields no longer match its hash")
        if anchors is not None:
            logged = anchors.get((exhibit_id, row.seq))
            if logged is None:
                return broken("not anchored: the access log never recorded it")
            if logged != row.entry_hash:
                return broken("not the row the access log recorded when it was added")
        prev = row.entry_hash
    return None
