"""Subject access and review: "what do we hold about this person?", asked of every room at once.

A subject access request under DPA 2018 Part 3 (s.45) and a MoPI review both need
everything the force holds about a person, wherever it is. Each room answers through
one hook: every record type it declares with a ``subject_match`` is searched under
the policy (purpose: subject access, so the data protection officer sees the whole
force's records, not only their unit's), and any ``subject_finders`` it declares
search what is not a record type (user accounts and the access log about them).

A review of a record decides **retain** (a new review date, logged as an alteration)
or **delete** (the record and its sharing are erased, and the erasure itself is
logged with what was erased, when it was created and by whom — the log keeps the
fact of the record, not its content).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import SUBJECT_ACCESS
from harmwatch.kernel.justification import Justification, resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import RecordMixin, RecordType, SubjectTerms, retention_group
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.rooms import installed_rooms
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models
from harmwatch.storage.models import RecordShare

__all__ = [
    "HeldItem",
    "ReviewDecision",
    "SubjectAccessReport",
    "SubjectFinder",
    "SubjectTerms",
    "due_for_review",
    "review",
    "subject_access",
]


@dataclass(frozen=True)
class HeldItem:
    """One thing held about the subject: a record, or a summary of non-record data."""

    room: str
    kind: str
    summary: str
    ref: str | None = None  # "kind:id" for a record
    owner: str = ""  # owning force/unit
    created_at: str | None = None
    review_date: str | None = None
    handling: str | None = None


SubjectFinder = Callable[[Session, Principal, SubjectTerms], list[HeldItem]]


@dataclass
class SubjectAccessReport:
    terms: SubjectTerms
    held: list[HeldItem]
    searched: list[str]  # "room: what" for every search run, found or not
    at: str
    by: str
    justification: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": {
                "name": self.terms.name,
                "identifiers": list(self.terms.identifiers),
                "date_of_birth": self.terms.date_of_birth.isoformat()
                if self.terms.date_of_birth
                else None,
            },
            "held": [asdict(item) for item in self.held],
            "searched": self.searched,
            "at": self.at,
            "by": self.by,
            "justification": self.justification,
            "notes": self.notes,
        }


def _item(room: str, rtype: RecordType, record: RecordMixin) -> HeldItem:
    return HeldItem(
        room=room,
        kind=rtype.kind,
        summary=rtype.describe(record),
        ref=str(record.ref),
        owner=f"{record.owning_force}/{record.owning_unit}",
        created_at=record.created_at.isoformat(),
        review_date=record.review_date.isoformat(),
        handling=record.handling.banner(),
    )


def _searchable() -> list[tuple[str, RecordType]]:
    found = [(room.name, rtype) for room in installed_rooms() for rtype in room.record_types]
    declared = {rtype.kind for _, rtype in found}
    found += [("(registered)", t) for t in policy.all_record_types() if t.kind not in declared]
    return found


def _require_capability(principal: Principal) -> None:
    if not SUBJECT_ACCESS.granted(principal.role):
        raise policy.PolicyDenied(
            f"your role ({principal.role}) may not search across rooms for a data subject"
        )


def subject_access(
    engine: Engine,
    principal: Principal,
    terms: SubjectTerms,
    *,
    justification: str | None,
    client: str = "",
) -> SubjectAccessReport:
    """Search every room for ``terms``; one consultation entry names everything found."""
    if not (terms.name.strip() or terms.identifiers):
        raise InputError("give the subject's name or at least one identifier to search for")
    described = terms.name.strip() or ", ".join(terms.identifiers)
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        RecordRef("subject", described[:200]),
        client=client,
        details={
            "search": "subject access",
            "name": terms.name,
            "identifiers": list(terms.identifiers),
        },
    ) as work:
        _require_capability(principal)
        why = resolve(principal, justification, what="a subject access search")
        work.justify(why)
        held: list[HeldItem] = []
        searched: list[str] = []
        for room_name, rtype in _searchable():
            if rtype.subject_match is None:
                continue
            stmt = select(rtype.model).where(rtype.subject_match(rtype.model, terms))
            rows = work.db.scalars(
                policy.scope(principal, stmt, rtype.model, policy.Purpose.SUBJECT_ACCESS)
            ).all()
            held += [_item(room_name, rtype, r) for r in rows]
            searched.append(f"{room_name}: {rtype.title}")
        for room in installed_rooms():
            for finder in room.subject_finders:
                held += finder(work.db, principal, terms)
                searched.append(f"{room.name}: {_first_line(finder.__doc__) or finder.__name__}")
        work.details["found"] = len(held)
        work.details["records"] = [item.ref for item in held if item.ref][:1000]
        return SubjectAccessReport(
            terms=terms,
            held=held,
            searched=searched,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            by=principal.actor,
            justification=why.logged(),
        )


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0]


def due_for_review(
    engine: Engine,
    principal: Principal,
    on: date,
    *,
    justification: str | None,
    client: str = "",
) -> list[HeldItem]:
    """Every record of the principal's force whose review date is on or before ``on``."""
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        RecordRef("route", "review-due"),
        client=client,
        details={"on": on.isoformat()},
    ) as work:
        _require_capability(principal)
        work.justify(resolve(principal, justification, what="a review listing"))
        due: list[HeldItem] = []
        for room_name, rtype in _searchable():
            stmt = select(rtype.model).where(rtype.model.review_date <= on)
            rows = work.db.scalars(
                policy.scope(principal, stmt, rtype.model, policy.Purpose.SUBJECT_ACCESS)
            ).all()
            due += [_item(room_name, rtype, r) for r in rows]
        due.sort(key=lambda item: (item.review_date or "", item.ref or ""))
        work.details["rows"] = len(due)
        return due


class ReviewDecision(StrEnum):
    RETAIN = "retain"
    DELETE = "delete"


def review(
    engine: Engine,
    principal: Principal,
    ref: RecordRef,
    decision: ReviewDecision,
    reason: str,
    *,
    today: date | None = None,
    client: str = "",
) -> HeldItem:
    """Record a review: retain (next review date from the retention group) or delete."""
    decision = ReviewDecision(decision)
    why = Justification.typed(reason)
    action = AuditAction.ALTERATION if decision is ReviewDecision.RETAIN else AuditAction.ERASURE
    rtype = policy.record_type(ref.kind)
    with unit_of_work(
        engine,
        principal,
        action,
        ref,
        client=client,
        details={"review": decision.value},
        justification=why,
    ) as work:
        _require_capability(principal)
        record_id = int(ref.id) if ref.id.isdigit() else -1
        model = rtype.model
        record = work.db.scalars(
            policy.scope(
                principal,
                select(model).where(model.id == record_id),
                model,
                policy.Purpose.SUBJECT_ACCESS,
            )
        ).first()
        if record is None:
            raise NotFoundError(f"no record {ref} in {principal.force or 'your force'} to review")
        item = _item("(review)", rtype, record)
        work.details.update(
            {
                "summary": item.summary,
                "owner": item.owner,
                "created_at": item.created_at,
                "created_by": record.created_by,
                "review_date": item.review_date,
            }
        )
        if decision is ReviewDecision.RETAIN:
            next_review = retention_group(record.retention_group).first_review(
                today or date.today()
            )
            record.review_date = next_review
            record.updated_by = principal.actor
            record.updated_at = models.utcnow()
            work.details["next_review_date"] = next_review.isoformat()
        else:
            if rtype.before_erase is not None:
                rtype.before_erase(work.db, record)
            work.db.execute(
                delete(RecordShare).where(
                    RecordShare.kind == rtype.kind, RecordShare.record_id == record.id
                )
            )
            work.db.delete(record)
        work.db.flush()
    return item
