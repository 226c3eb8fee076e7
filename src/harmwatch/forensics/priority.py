"""The priority queue of a laboratory-incident review: which affected case to retest first, and why.

Each affected case (:mod:`harmwatch.forensics.incidents`) takes one place, in tiers:

1. **Live cases** — under investigation, charged or awaiting trial (any status not
   listed below is treated as live, so that it is never left behind): a defendant in
   custody or remanded first (their liberty turns on the evidence now, and custody time
   limits run), then by the next hearing date, soonest first (none set: after those with
   one);
2. **Convictions where the result was decisive** — a result that lay within the
   measurement uncertainty of its legal limit (or below it): the conviction may rest on
   a figure the measurement cannot support; the nearest the limit first (by how many
   uncertainties above it the result lay);
3. **Other convictions** — results far above the limit, or with no limit to judge by;
   the nearest the limit first;
4. **Closed without conviction** — acquitted or discontinued.

Within a tier, then, by offence seriousness (:data:`SERIOUSNESS`, by the offence's
maximum sentence), then by reference. Each place comes with its reason in words.

**No sample left.** A case none of whose affected exhibits has any quantity left
(``remaining_quantity`` 0 or not recorded on every one) cannot be retested: it is not
queued but flagged for legal review — the CPS must decide what the evidence can still
support without a retest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from . import limits
from .incidents import INCIDENT_KIND, affected_rows, incident_row, today
from .kinds import READ_FORENSICS
from .models import ExhibitResult, ForensicCase, ForensicExhibit

LIVE = ("under-investigation", "charged", "awaiting-trial")
CLOSED = ("acquitted", "discontinued")
IN_CUSTODY = ("in-custody", "remanded")

#: Offence seriousness, most serious first: (rank, title, maximum sentence). A code not
#: listed ranks after all of them.
SERIOUSNESS: dict[str, tuple[int, str, str]] = {
    "RTA1": (1, "causing death by dangerous driving (RTA 1988 s.1)", "life"),
    "RTA3A": (
        1,
        "causing death by careless driving when under the influence (RTA 1988 s.3A)",
        "life",
    ),
    "92A": (2, "trafficking in controlled drugs (HO class 92A)", "life (class A)"),
    "92D": (
        3,
        "possession of controlled drugs, excluding cannabis (HO class 92D)",
        "7 years (class A)",
    ),
    "92E": (4, "possession of cannabis (HO class 92E)", "5 years (class B)"),
    "RTA4": (5, "driving or in charge when unfit through drugs (RTA 1988 s.4)", "6 months"),
    "RTA5A": (5, "driving with a specified drug above the limit (RTA 1988 s.5A)", "6 months"),
}
UNLISTED_RANK = 9

TIERS = {
    1: "live case",
    2: "conviction: the result was decisive",
    3: "conviction",
    4: "closed without conviction",
}


def seriousness(code: str) -> tuple[int, str]:
    found = SERIOUSNESS.get(code.strip().upper())
    if found is None:
        return UNLISTED_RANK, f"offence {code} is not in the seriousness table"
    return found[0], f"{found[1]}, maximum {found[2]}"


def quantity_left(exhibit: ForensicExhibit) -> Decimal | None:
    """What is left of the exhibit (None: not recorded or not a number)."""
    try:
        left = Decimal(str(exhibit.remaining_quantity).strip())
    except (InvalidOperation, ValueError):
        return None
    return left if left.is_finite() else None


def current_results(db: Session, exhibit_ids: list[int]) -> dict[int, dict[str, ExhibitResult]]:
    """Each exhibit's current original result per analyte: its latest version that is not
    a retest's (a retest's result is compared with it, it does not replace it)."""
    out: dict[int, dict[str, ExhibitResult]] = {i: {} for i in exhibit_ids}
    if not exhibit_ids:
        return out
    rows = db.scalars(
        select(ExhibitResult)
        .where(ExhibitResult.exhibit_id.in_(exhibit_ids), ExhibitResult.retest_id.is_(None))
        .order_by(ExhibitResult.exhibit_id, ExhibitResult.analyte, ExhibitResult.version)
    )
    for r in rows:
        out[r.exhibit_id][r.analyte] = r  # the last version wins
    return out


@dataclass(frozen=True)
class Reading:
    """A result as judged against its limit (value and uncertainty in µg/L)."""

    analyte: str
    value: Decimal
    uncertainty: Decimal
    threshold: limits.Threshold
    position: limits.Position | None  # None: no limit applies

    @property
    def margin(self) -> Decimal | None:
        """How many uncertainties above the limit the result lay (None: no limit)."""
        limit = self.threshold.value
        if limit is None:
            return None
        if self.uncertainty == 0:
            return Decimal("Infinity") if self.value > limit else Decimal(0)
        return (self.value - limit) / self.uncertainty

    def describe(self) -> str:
        text = f"{self.analyte} {self.value} ± {self.uncertainty} µg/L"
        if self.threshold.limit is None:
            return f"{text} ({self.threshold.basis})"
        where = {
            "above": "above",
            "below": "below",
            "within": "within the measurement uncertainty of",
        }[self.position or "within"]
        return f"{text}, {where} the {self.threshold.limit.limit} µg/L limit"


def number(text: str | None) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def reading(exhibit: ForensicExhibit, result: ExhibitResult) -> Reading | None:
    """The result as judged against its limit; None when it is not a number in a mass
    concentration (``<LOQ``, a purity in %)."""
    value = number(result.value)
    uncertainty = number(result.uncertainty) if result.uncertainty else Decimal(0)
    if value is None or uncertainty is None:
        return None
    threshold = limits.threshold_for(result.analyte, exhibit.exhibit_type, exhibit.taken_at)
    if threshold.limit is None:
        return Reading(result.analyte, value, abs(uncertainty), threshold, None)
    v, u = limits.to_ug_per_l(value, result.unit), limits.to_ug_per_l(abs(uncertainty), result.unit)
    if v is None or u is None:
        return None
    return Reading(result.analyte, v, u, threshold, limits.position(v, u, threshold.limit.limit))


@dataclass
class QueueEntry:
    place: int
    case_id: int
    case_ref: str
    reference: str
    force: str
    tier: int
    tier_title: str
    reason: str
    offence_code: str
    cj_status: str
    custody_status: str
    next_hearing_on: date | None
    exhibits: list[str]
    samples_left: list[str]

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["next_hearing_on"] = self.next_hearing_on.isoformat() if self.next_hearing_on else None
        return out


@dataclass
class LegalReview:
    case_id: int
    case_ref: str
    reference: str
    force: str
    cj_status: str
    reason: str
    exhibits: list[str]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Queue:
    incident_id: int
    entries: list[QueueEntry] = field(default_factory=list)
    legal_review: list[LegalReview] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "queue": [e.to_json() for e in self.entries],
            "legal_review": [r.to_json() for r in self.legal_review],
        }


def _place(
    case: ForensicCase, readings: list[Reading], on: date
) -> tuple[tuple[Any, ...], int, str]:
    """The case's sort key, tier and reason (see the module docstring)."""
    rank, serious = seriousness(case.offence_code)
    status = case.cj_status
    if status in CLOSED:
        return (4, rank, case.reference), 4, f"closed ({status}); {serious}"
    if status != "convicted":
        custody = case.custody_status in IN_CUSTODY
        hearing = case.next_hearing_on
        parts = [f"live ({status}" + (")" if status in LIVE else ": status not recognised)")]
        parts.append(f"{case.custody_status.replace('-', ' ')}" if custody else "not in custody")
        if hearing is not None:
            days = (hearing - on).days
            when = f"in {days} days" if days >= 0 else f"{-days} days ago: update the case"
            parts.append(f"next hearing {hearing.isoformat()} ({when})")
        else:
            parts.append("no hearing date set")
        key = (1, 0 if custody else 1, hearing or date.max, rank, case.reference)
        return key, 1, "; ".join([*parts, serious])
    judged = [r for r in readings if r.margin is not None]
    decided = f"convicted{f' {case.decided_on.isoformat()}' if case.decided_on else ''}"
    if not judged:
        return (
            (3, Decimal("Infinity"), rank, case.reference),
            3,
            (f"{decided}; no result with a legal limit to judge by; {serious}"),
        )
    nearest = min(judged, key=lambda r: r.margin or Decimal(0))
    margin = nearest.margin if nearest.margin is not None else Decimal("Infinity")
    decisive = nearest.position in ("within", "below")
    tier = 2 if decisive else 3
    how = (
        "the result was decisive: " if decisive else "the result lay clear of the limit: "
    ) + nearest.describe()
    return (tier, margin, rank, case.reference), tier, f"{decided}; {how}; {serious}"


def build(
    rows: list[tuple[ForensicExhibit, ForensicCase]],
    results: dict[int, dict[str, ExhibitResult]],
    on: date,
) -> tuple[list[QueueEntry], list[LegalReview]]:
    """The queue and the legal-review list from affected rows and their current results."""
    by_case: dict[int, tuple[ForensicCase, list[ForensicExhibit]]] = {}
    for exhibit, case in rows:
        by_case.setdefault(case.id, (case, []))[1].append(exhibit)
    placed: list[tuple[tuple[Any, ...], QueueEntry]] = []
    review: list[LegalReview] = []
    for case, exhibits in by_case.values():
        left = [e for e in exhibits if (quantity_left(e) or Decimal(0)) > 0]
        if not left:
            review.append(
                LegalReview(
                    case.id,
                    str(case.ref),
                    case.reference,
                    case.owning_force,
                    case.cj_status,
                    "no sample left to retest on any affected exhibit "
                    f"({', '.join(e.reference for e in exhibits)}): for legal review, not retest",
                    [str(e.ref) for e in exhibits],
                )
            )
            continue
        readings = [
            r
            for e in exhibits
            for result in results.get(e.id, {}).values()
            if (r := reading(e, result)) is not None
        ]
        key, tier, why = _place(case, readings, on)
        entry = QueueEntry(
            0, case.id, str(case.ref), case.reference, case.owning_force, tier, TIERS[tier], why,
            case.offence_code, case.cj_status, case.custody_status, case.next_hearing_on,
            [str(e.ref) for e in exhibits], [str(e.ref) for e in left],
        )  # fmt: skip
        placed.append((key, entry))
    placed.sort(key=lambda pair: pair[0])
    entries = [e for _, e in placed]
    for n, e in enumerate(entries, start=1):
        e.place = n
    review.sort(key=lambda r: (r.force, r.reference))
    return entries, review


def queue(
    engine: Engine,
    by: Principal,
    incident_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> Queue:
    """The incident's priority queue over the affected cases ``by`` may see (a logged read)."""
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef(INCIDENT_KIND, str(incident_id)),
        client=client,
        details={"question": "a laboratory incident's priority queue"},
    ) as work:
        if not READ_FORENSICS.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see forensic cases")
        work.justify(resolve(by, justification, what="the incident's priority queue"))
        row = incident_row(work.db, incident_id)
        rows = affected_rows(work.db, by, row)
        results = current_results(work.db, [e.id for e, _ in rows])
        entries, review = build(rows, results, today())
        work.details.update(
            {
                "rows": len(entries) + len(review),
                "records": [e.case_ref for e in entries][:1000],
                "legal_review": [r.case_ref for r in review][:1000],
            }
        )
        return Queue(incident_id, entries, review)
