"""Outcome measures: each programme's configured measures, computed from its events.

A measure (:class:`~harmwatch.programmes.config.Measure`) is computed over the events
of one programme, between ``since`` and ``until`` (by the day each happened):

- ``count``: events of the kind (and ``where`` its fields have the given values);
- ``participants``: distinct participants with such an event;
- ``sum``: the field added up over such events;
- ``ratio``: one measure over another, with its numerator and denominator, shown as a
  percentage to one decimal place (none when the denominator is 0).

Who sees what:

- a reader of programmes (``read-programmes``) gets the figures from the events the
  record policy lets them see, with the event refs behind each figure (drill-down:
  opening them is a justified read like any other);
- a viewer of outcomes only (the PCC viewer) gets their own force's figures — every
  programme the force owns, whatever unit holds it, read past the policy because a
  PCC oversees the whole force and no event leaves the store — never a ref, with
  small numbers suppressed by the one rule (:mod:`harmwatch.outputs.suppression`):
  counts of people or things (``count``, ``participants`` and a ``sum`` of a whole
  number field) from 1 to 4 are "fewer than 5"; a sum of hours or money is withheld
  when fewer than 5 participants (or events) lie behind it; a ratio is a two-cell
  table (met, not met) whose total is its denominator, so that neither its numerator
  nor its complement can be worked out when either is small — the numerator's own
  measure is withheld with it. Measures are linked to each other only through their
  ratios; a type whose measures are related otherwise must say so in a ratio.

Each call is one consultation in the access log, of aggregates, naming the
programmes counted and how many events lay behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, and_, false, or_, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import jsonable
from harmwatch.kernel.justification import Justification
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.outputs.suppression import NOTE, WITHHELD, suppress_counts

from .config import Measure, ProgrammeType, programme_type, programme_types
from .kinds import PROGRAMMES, READ_PROGRAMMES, VIEW_PROGRAMME_OUTCOMES
from .models import Programme, ProgrammeEvent
from .service import _one, typed_fields

Figure = int | Decimal | str  # a count, a sum, or what is shown in its place

PRIVILEGED_REASON = (
    "a viewer of outcomes counts every programme of their own force; no event leaves the store"
)


@dataclass
class MeasureResult:
    key: str
    title: str
    kind: str
    value: Figure
    numerator: Figure | None = None
    denominator: Figure | None = None
    percent: str | None = None  # "62.5" (a ratio), or None
    refs: tuple[str, ...] = ()  # the events behind it (readers only)
    suppressed: bool = False  # this figure is not shown as counted

    def to_json(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.__dict__.items()}


@dataclass
class ProgrammeOutcomes:
    programme_id: int
    ref: str
    name: str
    programme_type: str
    type_title: str
    force: str
    starts_on: date
    ends_on: date | None
    partner: str
    synthetic: bool
    events_counted: int
    measures: list[MeasureResult] = field(default_factory=list)
    suppressed: bool = False  # the small-number rule was applied (a viewer of outcomes)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {k: jsonable(v) for k, v in self.__dict__.items() if k != "measures"}
        out["measures"] = [m.to_json() for m in self.measures]
        return out


@dataclass
class _Event:
    ref: str
    kind: str
    participant_id: int | None
    fields: dict[str, Any]


def _matching(m: Measure, events: Sequence[_Event]) -> list[_Event]:
    return [
        e
        for e in events
        if (m.event is None or e.kind == m.event)
        and all(e.fields.get(name) == value for name, value in m.where)
    ]


def percent(numerator: int | Decimal, denominator: int | Decimal) -> str | None:
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def compute(ptype: ProgrammeType, events: Sequence[_Event]) -> list[MeasureResult]:
    """Every measure of ``ptype`` over ``events``, as counted (no suppression)."""
    out: dict[str, MeasureResult] = {}
    for m in ptype.measures:
        if m.kind == "ratio":
            num, den = out[m.numerator or ""], out[m.denominator or ""]
            assert isinstance(num.value, (int, Decimal)) and isinstance(den.value, (int, Decimal))
            out[m.key] = MeasureResult(
                m.key,
                m.title,
                m.kind,
                value=num.value,
                numerator=num.value,
                denominator=den.value,
                percent=percent(num.value, den.value),
                refs=tuple(dict.fromkeys(num.refs + den.refs)),
            )
            continue
        matched = _matching(m, events)
        value: int | Decimal
        if m.kind == "count":
            value = len(matched)
        elif m.kind == "participants":
            matched = [e for e in matched if e.participant_id is not None]
            value = len({e.participant_id for e in matched})
        else:  # sum
            matched = [e for e in matched if e.fields.get(m.field or "") is not None]
            total = sum((Decimal(e.fields[m.field or ""]) for e in matched), Decimal(0))
            value = int(total) if total == total.to_integral_value() else total
        out[m.key] = MeasureResult(
            m.key, m.title, m.kind, value=value, refs=tuple(e.ref for e in matched)
        )
    return list(out.values())


def _is_count(ptype: ProgrammeType, m: Measure) -> bool:
    """Whether a measure counts people or things (a sum of a whole-number field does)."""
    if m.kind in ("count", "participants"):
        return True
    if m.kind == "sum" and m.event:
        return ptype.event(m.event).form.field(m.field or "").type == "integer"
    return False


def suppressed(
    ptype: ProgrammeType, results: list[MeasureResult], events: Sequence[_Event]
) -> list[MeasureResult]:
    """The figures a viewer of outcomes may see (see the module docstring); no refs."""
    measures = {m.key: m for m in ptype.measures}
    shown: dict[str, MeasureResult] = {}
    plain = [r for r in results if measures[r.key].kind != "ratio"]
    counts = [r for r in plain if _is_count(ptype, measures[r.key])]
    if counts:
        table = suppress_counts([int(r.value) for r in counts], total=False)
        for i, r in enumerate(counts):
            figure = table.shown(i)
            shown[r.key] = MeasureResult(
                r.key, r.title, r.kind, value=figure, suppressed=not table.is_shown(i)
            )
    for r in plain:
        if r.key in shown:
            continue
        behind = _matching(measures[r.key], events)
        people = {e.participant_id for e in behind if e.participant_id is not None}
        n = len(people) if ptype.participants else len(behind)
        small = 1 <= n < 5
        shown[r.key] = MeasureResult(
            r.key, r.title, r.kind, value=WITHHELD if small else r.value, suppressed=small
        )
    for r in results:
        m = measures[r.key]
        if m.kind != "ratio":
            continue
        num_key, den_key = m.numerator or "", m.denominator or ""
        num, den = shown[num_key], shown[den_key]
        raw_num, raw_den = r.numerator, r.denominator
        result = MeasureResult(r.key, r.title, r.kind, value=WITHHELD, suppressed=True)
        if (
            num.suppressed
            or den.suppressed
            or not isinstance(raw_num, (int, Decimal))
            or not isinstance(raw_den, (int, Decimal))
            or raw_num > raw_den
        ):
            result.numerator, result.denominator = num.value, den.value
            shown[r.key] = result
            continue
        if _is_count(ptype, measures[num_key]) and _is_count(ptype, measures[den_key]):
            table = suppress_counts(
                [int(raw_num), int(raw_den) - int(raw_num)], total=True, total_fixed=True
            )
            if not table.is_shown(0) or not table.safe:
                # The numerator (or what it leaves) is small: neither may be worked out.
                shown[num_key] = MeasureResult(
                    num.key,
                    num.title,
                    num.kind,
                    value=table.shown(0) if table.safe else WITHHELD,
                    suppressed=True,
                )
                result.numerator, result.denominator = shown[num_key].value, den.value
                shown[r.key] = result
                continue
        shown[r.key] = MeasureResult(
            r.key,
            r.title,
            r.kind,
            value=raw_num,
            numerator=raw_num,
            denominator=raw_den,
            percent=percent(raw_num, raw_den),
        )
    return [shown[r.key] for r in results]


def _events(db: Session, stmt: Any, type_key: str) -> list[_Event]:
    out = []
    for e in db.scalars(stmt):
        out.append(_Event(str(e.ref), e.event_kind, e.participant_id, typed_fields(type_key, e)))
    return out


def outcomes(
    engine: Engine,
    principal: Principal,
    programme_id: int | None = None,
    *,
    force: str | None = None,
    since: date | None = None,
    until: date | None = None,
    programme_type_key: str = "",
    justification: str | None = None,
    client: str = "",
) -> list[ProgrammeOutcomes]:
    """The outcome measures of one programme, or of every programme the caller may count."""
    by = principal
    target = RecordRef(PROGRAMMES.kind, str(programme_id) if programme_id else "*")
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        target,
        client=client,
        details={"aggregates": True, "question": "programme outcome measures"},
    ) as work:
        reader = READ_PROGRAMMES.granted(by.role)
        if not reader and not VIEW_PROGRAMME_OUTCOMES.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see programme outcomes")
        if justification and justification.strip():
            work.justify(Justification.typed(justification))
        if since and until and until < since:
            raise InputError(f"until: {until} is before since ({since})")
        if not reader and force and force != by.force:
            raise policy.PolicyDenied(
                f"a viewer of outcomes sees their own force's programmes ({by.force or 'none'})"
            )
        stmt = select(Programme).order_by(Programme.name, Programme.id)
        if programme_type_key:
            programme_type(programme_type_key)
            stmt = stmt.where(Programme.programme_type == programme_type_key)
        if force:
            stmt = stmt.where(Programme.owning_force == force)
        if reader:
            if programme_id is not None:
                _one(work.db, by, Programme, programme_id, "programme")
                stmt = stmt.where(Programme.id == programme_id)
            programmes = list(work.db.scalars(policy.scope(by, stmt, Programme)))
        else:
            own = (
                stmt.where(Programme.owning_force == by.force) if by.force else stmt.where(false())
            )
            if programme_id is not None:
                own = own.where(Programme.id == programme_id)
            programmes = list(work.db.scalars(policy.privileged(own, PRIVILEGED_REASON)))
            if programme_id is not None and not programmes:
                from harmwatch.errors import NotFoundError

                raise NotFoundError(f"no programme {programme_id} of your force")
            work.details["privileged"] = PRIVILEGED_REASON
        types = programme_types()
        out: list[ProgrammeOutcomes] = []
        counted = 0
        for p in programmes:
            ptype = types.get(p.programme_type)
            if ptype is None:
                continue  # a type no longer configured has no measures to compute
            events_stmt = select(ProgrammeEvent).where(ProgrammeEvent.programme_id == p.id)
            if since:
                events_stmt = events_stmt.where(ProgrammeEvent.occurred_on >= since)
            if until:
                events_stmt = events_stmt.where(ProgrammeEvent.occurred_on <= until)
            events_stmt = events_stmt.order_by(ProgrammeEvent.id)
            if reader:
                events = _events(
                    work.db, policy.scope(by, events_stmt, ProgrammeEvent), p.programme_type
                )
            else:
                events = _events(
                    work.db, policy.privileged(events_stmt, PRIVILEGED_REASON), p.programme_type
                )
            counted += len(events)
            results = compute(ptype, events)
            if not reader:
                results = suppressed(ptype, results, events)
            out.append(
                ProgrammeOutcomes(
                    programme_id=p.id,
                    ref=str(p.ref),
                    name=p.name,
                    programme_type=p.programme_type,
                    type_title=ptype.title,
                    force=p.owning_force,
                    starts_on=p.starts_on,
                    ends_on=p.ends_on,
                    partner=p.partner,
                    synthetic=p.synthetic,
                    events_counted=len(events) if reader else 0,
                    measures=results,
                    suppressed=not reader,
                    note="" if reader else NOTE,
                )
            )
        work.details.update(
            {
                "programmes": [o.ref for o in out],
                "events_counted": counted,
                "suppressed": not reader,
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            }
        )
        return out


@dataclass
class TreatmentReferrals:
    """Referrals into treatment linked to one operation (for the operation's summary)."""

    operation_id: int
    count: int | None  # as counted (readers); None for a viewer of outcomes
    shown: int | str  # as a summary may show it: through the one rule for a viewer of outcomes
    refs: tuple[str, ...] = ()


def treatment_referrals_for_operation(
    engine: Engine, principal: Principal, operation_id: int, *, client: str = ""
) -> TreatmentReferrals:
    """Events of each treatment-referral type's referral kind that name ``operation_id``."""
    by = principal
    kinds = [
        (t.key, t.treatment_referral_event)
        for t in programme_types().values()
        if t.treatment_referral_event
    ]
    target = RecordRef("operation", str(operation_id))
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        target,
        client=client,
        details={"aggregates": True, "question": "referrals into treatment"},
    ) as work:
        reader = READ_PROGRAMMES.granted(by.role)
        if not reader and not VIEW_PROGRAMME_OUTCOMES.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see programme outcomes")
        condition = or_(
            false(),
            *(
                and_(
                    ProgrammeEvent.event_kind == event,
                    ProgrammeEvent.programme_id.in_(
                        select(Programme.id).where(Programme.programme_type == key)
                    ),
                )
                for key, event in kinds
            ),
        )
        stmt = select(ProgrammeEvent).where(ProgrammeEvent.operation_id == operation_id, condition)
        if reader:
            rows = list(work.db.scalars(policy.scope(by, stmt, ProgrammeEvent)))
            refs = tuple(str(e.ref) for e in rows)
            work.details["rows"] = len(refs)
            return TreatmentReferrals(operation_id, len(refs), len(refs), refs)
        own = (
            stmt.where(ProgrammeEvent.owning_force == by.force) if by.force else stmt.where(false())
        )
        n = len(list(work.db.scalars(policy.privileged(own, PRIVILEGED_REASON))))
        work.details.update({"privileged": PRIVILEGED_REASON, "suppressed": True})
        return TreatmentReferrals(operation_id, None, suppress_counts([n], total=False).shown(0))
