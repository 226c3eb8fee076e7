"""Retests of affected exhibits — requested, sent, resulted, compared, disposed — and the
notifications to the CPS, the defence and the court that follow.

**The workflow.** A retest is requested for one exhibit (for an incident), sent to a
provider, its result recorded — appended to the exhibit's hash chain with the
retest's id, beside the original, never replacing it — and then compared with the
exhibit's current original result of the same analyte. Each step is one unit of work
whose access-log entry says what changed; a step out of order is refused naming the
field. The retest belongs to the exhibit's force: only the force that owns the exhibit
(and, if restricted, its unit) orders and records its retests.

**The comparison** (:func:`judge`), with the original ``o ± Uo`` and the retest
``r ± Ur`` in the same unit (µg/L where a limit applies) and the combined uncertainty
``Uc = √(Uo² + Ur²)``:

- against a limit (:func:`harmwatch.forensics.limits.threshold_for` — the s5A limit
  in force on the sample's day): **inconclusive** when either result lies within its
  uncertainty of the limit (:func:`harmwatch.forensics.limits.position`); **changed**
  when they lie on different sides of it, or on the same side but differ by more than
  ``Uc``; **unchanged** otherwise;
- with no limit (a sample before s5A, a urine sample, an analyte not specified):
  **changed** when they differ by more than ``Uc``, else **unchanged**; and the
  comparison says why no limit applied;
- **inconclusive** too when either is not a number (``<LOQ``), the units cannot be
  compared, or the exhibit has no original result of the analyte.

**Dispositions** once compared: ``no-action``; ``discontinue`` (a live case only);
``reopen-s142`` — a magistrates' court conviction reopened under s.142 Magistrates'
Courts Act 1980, where most drug-driving cases were decided; ``refer-appeal`` and
``refer-ccrc`` (the Criminal Cases Review Commission) — convictions only.

**Notifications** (:class:`~harmwatch.forensics.models.CaseNotification`) to the CPS,
the defence or the court about an affected case, each with its due date; one not sent
by its due date (UK calendar day) is overdue (:func:`overdue`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.errors import NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from . import chain, limits
from .incidents import today
from .kinds import RETESTS, WRITE_FORENSICS
from .models import (
    CaseNotification,
    ExhibitResult,
    ForensicCase,
    ForensicExhibit,
    ForensicLaboratory,
    ForensicProvider,
    LabIncident,
    Retest,
)
from .priority import CLOSED, LIVE, current_results, number

OUTCOMES = ("unchanged", "changed", "inconclusive")
DISPOSITIONS = ("no-action", "discontinue", "reopen-s142", "refer-appeal", "refer-ccrc")
RECIPIENTS = ("cps", "defence", "court")
NOTIFICATION_KIND = "forensic-notification"

REQUEST_FORM = Form(
    kind="forensic-retest",
    title="retest request",
    fields=(
        Field("incident_id", "integer", "the incident the retest is for"),
        Field("requested_on", "date", "the day it was requested (default today)"),
        Field("provider_id", "integer", "the provider that will retest it"),
        Field("laboratory_id", "integer", "the provider's laboratory"),
        Field(
            "unit", "text", "your unit that owns the retest (default the exhibit's)", max_length=64
        ),
    ),
)
SENT_FORM = Form(
    kind="forensic-retest-sent",
    title="retest sent",
    fields=(
        Field("sent_on", "date", "the day the sample went", required=True),
        Field("provider_id", "integer", "the provider it went to"),
        Field("laboratory_id", "integer", "the provider's laboratory"),
    ),
)
RESULT_FORM = Form(
    kind="forensic-retest-result",
    title="retest result",
    fields=(
        Field("analyte", "text", "as the laboratory names it", required=True, max_length=64),
        Field(
            "value",
            "text",
            "the value as reported (a number, or <LOQ)",
            required=True,
            max_length=40,
        ),
        Field("unit", "text", "e.g. ug/L", required=True, max_length=16),
        Field(
            "uncertainty",
            "decimal",
            "± expanded measurement uncertainty, in the unit",
            minimum=Decimal(0),
        ),
        Field("method", "text", "e.g. LC-MS/MS", max_length=200),
        Field("reported_on", "date", "the day the laboratory reported it", required=True),
    ),
)
DISPOSE_FORM = Form(
    kind="forensic-retest-disposition",
    title="retest disposition",
    fields=(
        Field("disposition", "choice", "what follows", required=True, choices=DISPOSITIONS),
        Field("disposition_on", "date", "the day it was decided (default today)"),
        Field("reason", "text", "why, in a sentence", required=True, max_length=2000),
    ),
)
NOTIFY_FORM = Form(
    kind="forensic-notification",
    title="case notification",
    fields=(
        Field("recipient", "choice", "who must be told", required=True, choices=RECIPIENTS),
        Field("due_on", "date", "the day it must be sent by", required=True),
        Field("incident_id", "integer", "the incident it is about"),
        Field("notes", "text", "what must be said", max_length=2000),
    ),
)
NOTIFY_SENT_FORM = Form(
    kind="forensic-notification-sent",
    title="notification sent",
    fields=(
        Field("sent_on", "date", "the day it was sent", required=True),
        Field(
            "reference",
            "text",
            "its reference (letter, email, CPS case)",
            required=True,
            max_length=120,
        ),
    ),
)


class RetestRefused(FormRefused):
    """A retest step that breaks a rule, by field."""


def _refuse(field_name: str, reason: str) -> RetestRefused:
    return RetestRefused([Problem(field_name, reason)])


# -- the comparison ----------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    value: str  # as reported
    uncertainty: str | None
    unit: str


@dataclass(frozen=True)
class Comparison:
    outcome: str  # one of OUTCOMES
    reason: str
    threshold: str  # what it was judged against, in words


def _sqrt(x: Decimal) -> Decimal:
    return x.sqrt() if x > 0 else Decimal(0)


def _fmt(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral_value() else format(x, "f")


def judge(original: Measured, retest: Measured, threshold: limits.Threshold) -> Comparison:
    """The comparison of a retest with the original (the rule in the module docstring)."""
    basis = threshold.basis
    o, r = number(original.value), number(retest.value)
    if o is None or r is None:
        bad = original.value if o is None else retest.value
        return Comparison("inconclusive", f"{bad!r} is not a number to compare", basis)
    uo, ur = number(original.uncertainty) or Decimal(0), number(retest.uncertainty) or Decimal(0)
    if threshold.limit is not None or original.unit.strip().lower() != retest.unit.strip().lower():
        converted = [
            limits.to_ug_per_l(x, unit)
            for x, unit in (
                (o, original.unit),
                (uo, original.unit),
                (r, retest.unit),
                (ur, retest.unit),
            )
        ]
        if any(x is None for x in converted):
            return Comparison(
                "inconclusive",
                f"units {original.unit} and {retest.unit} cannot be compared as µg/L",
                basis,
            )
        o, uo, r, ur = (x for x in converted if x is not None)
        unit = "µg/L"
    else:
        unit = original.unit
    uo, ur = abs(uo), abs(ur)
    combined = _sqrt(uo * uo + ur * ur)
    diff = abs(o - r)
    shown = (
        f"original {_fmt(o)} ± {_fmt(uo)} {unit}, retest {_fmt(r)} ± {_fmt(ur)} {unit}; "
        f"difference {_fmt(diff)}, combined uncertainty {combined.quantize(Decimal('0.01'))}"
    )
    if threshold.limit is None:
        if diff > combined:
            return Comparison("changed", f"{shown}: they differ by more than it; {basis}", basis)
        return Comparison("unchanged", f"{shown}: they agree within it; {basis}", basis)
    limit = threshold.limit.limit
    po, pr = limits.position(o, uo, limit), limits.position(r, ur, limit)
    where = f"against the {_fmt(limit)} µg/L limit the original is {po}, the retest {pr}"
    if "within" in (po, pr):
        return Comparison(
            "inconclusive",
            f"{shown}; {where}: a result within its uncertainty of the limit cannot say which "
            "side it lies",
            basis,
        )
    if po != pr:
        return Comparison("changed", f"{shown}; {where}: the side of the limit changed", basis)
    if diff > combined:
        return Comparison(
            "changed",
            f"{shown}; both {po} the limit, but they differ by more than the combined uncertainty",
            basis,
        )
    return Comparison("unchanged", f"{shown}; both {po} the limit and agree within it", basis)


def compare_results(
    exhibit: ForensicExhibit, original: ExhibitResult, retest: ExhibitResult
) -> Comparison:
    threshold = limits.threshold_for(original.analyte, exhibit.exhibit_type, exhibit.taken_at)
    return judge(
        Measured(original.value, original.uncertainty, original.unit),
        Measured(retest.value, retest.uncertainty, retest.unit),
        threshold,
    )


# -- the workflow ------------------------------------------------------------------


@dataclass
class RetestView:
    id: int
    ref: str
    exhibit_id: int
    exhibit_ref: str
    incident_id: int | None
    state: str
    requested_on: date
    sent_on: date | None
    provider_id: int | None
    laboratory_id: int | None
    result_id: int | None
    outcome: str | None
    outcome_reason: str | None
    threshold: str | None
    disposition: str | None
    disposition_on: date | None
    force: str
    unit: str

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def _view(row: Retest) -> RetestView:
    return RetestView(
        row.id, str(row.ref), row.exhibit_id, f"forensic-exhibit:{row.exhibit_id}", row.incident_id,
        row.state, row.requested_on, row.sent_on, row.provider_id, row.laboratory_id,
        row.result_id, row.outcome, row.outcome_reason, row.threshold, row.disposition,
        row.disposition_on, row.owning_force, row.owning_unit,
    )  # fmt: skip


def _writer(by: Principal) -> None:
    if not WRITE_FORENSICS.granted(by.role):
        raise policy.PolicyDenied(f"your role ({by.role}) may not record retests")


def _exhibit_to_change(work: Work, exhibit_id: int) -> ForensicExhibit:
    exhibit = policy.visible_one(
        work.db, work.principal, ForensicExhibit, exhibit_id, what="forensic exhibit"
    )
    policy.require(work.db, work.principal, AuditAction.ALTERATION, exhibit)
    return exhibit


def _retest_to_change(work: Work, retest_id: int) -> Retest:
    row = policy.visible_one(work.db, work.principal, Retest, retest_id, what="forensic retest")
    policy.require(work.db, work.principal, AuditAction.ALTERATION, row)
    return row


def _provider(db: Session, provider_id: int | None, laboratory_id: int | None) -> list[Problem]:
    problems = []
    if provider_id is not None and db.get(ForensicProvider, provider_id) is None:
        problems.append(Problem("provider_id", f"no provider {provider_id}"))
    if laboratory_id is not None:
        lab = db.get(ForensicLaboratory, laboratory_id)
        if lab is None or (provider_id is not None and lab.provider_id != provider_id):
            problems.append(
                Problem("laboratory_id", f"no laboratory {laboratory_id} of the provider")
            )
    return problems


def _not_future(name: str, day: date, after: date | None = None, what: str = "") -> list[Problem]:
    if day > today():
        return [Problem(name, f"{day} is in the future")]
    if after is not None and day < after:
        return [Problem(name, f"{day} is before {what} ({after})")]
    return []


def _step(engine: Engine, by: Principal, retest_id: int, client: str, step: str) -> Any:
    return unit_of_work(
        engine, by, AuditAction.ALTERATION, RecordRef(RETESTS.kind, str(retest_id)),
        client=client, details={"step": step},
    )  # fmt: skip


def request(
    engine: Engine, by: Principal, exhibit_id: int, values: Mapping[str, Any], *, client: str = ""
) -> RetestView:
    """Request a retest of an exhibit (owned by the exhibit's force and, by default, unit)."""
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(RETESTS.kind, "new"), client=client,
        details={"step": "requested", "exhibit": f"forensic-exhibit:{exhibit_id}"},
    ) as work:  # fmt: skip
        _writer(by)
        clean = REQUEST_FORM.checked(values)
        exhibit = _exhibit_to_change(work, exhibit_id)
        problems = _provider(work.db, clean["provider_id"], clean["laboratory_id"])
        if (
            clean["incident_id"] is not None
            and work.db.get(LabIncident, clean["incident_id"]) is None
        ):
            problems.append(
                Problem("incident_id", f"no laboratory incident {clean['incident_id']}")
            )
        requested_on = clean["requested_on"] or today()
        problems += _not_future("requested_on", requested_on)
        unit = (clean["unit"] or "").strip().lower()
        if not unit:
            unit = exhibit.owning_unit if exhibit.owning_unit in by.units else ""
            if not unit and len(by.units) == 1:
                unit = next(iter(by.units))
        if not unit:
            problems.append(
                Problem("unit", f"say which of your units owns it ({', '.join(sorted(by.units))})")
            )
        if problems:
            raise RetestRefused(problems)
        policy.require_collect(by, RETESTS, by.force, unit)
        row = Retest(
            **envelope(
                by.actor,
                owning_force=by.force,
                owning_unit=unit,
                handling=Handling(HandlingCode(exhibit.handling_code), exhibit.handling_conditions),
                restriction=Restriction(exhibit.restriction),
                retention=exhibit.retention_group,
            ),
            exhibit_id=exhibit.id,
            incident_id=clean["incident_id"],
            state="requested",
            requested_on=requested_on,
            provider_id=clean["provider_id"],
            laboratory_id=clean["laboratory_id"],
        )
        work.db.add(row)
        work.db.flush()
        work.target(row.ref)
        work.details.update({"state": "requested", "requested_on": requested_on.isoformat()})
        return _view(row)


def mark_sent(
    engine: Engine, by: Principal, retest_id: int, values: Mapping[str, Any], *, client: str = ""
) -> RetestView:
    with _step(engine, by, retest_id, client, "sent") as work:
        _writer(by)
        row = _retest_to_change(work, retest_id)
        clean = SENT_FORM.checked(values)
        if row.state != "requested":
            raise _refuse("sent_on", f"the retest is {row.state}, not awaiting dispatch")
        provider = clean["provider_id"] or row.provider_id
        problems = _provider(work.db, provider, clean["laboratory_id"] or row.laboratory_id)
        problems += _not_future("sent_on", clean["sent_on"], row.requested_on, "the request")
        if provider is None:
            problems.append(Problem("provider_id", "say which provider it went to"))
        if problems:
            raise RetestRefused(problems)
        row.sent_on, row.provider_id = clean["sent_on"], provider
        row.laboratory_id = clean["laboratory_id"] or row.laboratory_id
        row.state = "sent"
        row.updated_at, row.updated_by = models.utcnow(), by.actor
        work.details.update({"from": "requested", "to": "sent", "sent_on": row.sent_on.isoformat()})
        return _view(row)


def record_result(
    engine: Engine, by: Principal, retest_id: int, values: Mapping[str, Any], *, client: str = ""
) -> RetestView:
    """Append the retest's result to the exhibit's chain (with its ``retest_id``)."""
    with _step(engine, by, retest_id, client, "resulted") as work:
        _writer(by)
        row = _retest_to_change(work, retest_id)
        clean = RESULT_FORM.checked(values)
        if row.state != "sent":
            raise _refuse("value", f"the retest is {row.state}: a result follows its dispatch")
        assert row.sent_on is not None
        problems = _not_future("reported_on", clean["reported_on"], row.sent_on, "it was sent")
        if problems:
            raise RetestRefused(problems)
        # Held while the result is appended: the chain finds the exhibit in the session.
        exhibit = _exhibit_to_change(work, row.exhibit_id)
        result = chain.append_result(
            work,
            row.exhibit_id,
            analyte=clean["analyte"],
            value=clean["value"],
            unit=clean["unit"],
            method=clean["method"] or "",
            uncertainty=str(clean["uncertainty"]) if clean["uncertainty"] is not None else None,
            reported_on=clean["reported_on"],
            retest_id=row.id,
        )
        row.result_id, row.state = result.id, "resulted"
        work.details["exhibit"] = str(exhibit.ref)
        row.updated_at, row.updated_by = models.utcnow(), by.actor
        work.details.update({"from": "sent", "to": "resulted", "result_id": result.id})
        return _view(row)


def compare(engine: Engine, by: Principal, retest_id: int, *, client: str = "") -> RetestView:
    """Compare the retest's result with the exhibit's current original of the analyte."""
    with _step(engine, by, retest_id, client, "compared") as work:
        _writer(by)
        row = _retest_to_change(work, retest_id)
        if row.state != "resulted" or row.result_id is None:
            raise _refuse("result_id", f"the retest is {row.state}: record its result first")
        exhibit = _exhibit_to_change(work, row.exhibit_id)
        retested = work.db.get(ExhibitResult, row.result_id)
        assert retested is not None
        original = current_results(work.db, [exhibit.id])[exhibit.id].get(retested.analyte)
        if original is None:
            threshold = limits.threshold_for(
                retested.analyte, exhibit.exhibit_type, exhibit.taken_at
            )
            found = Comparison(
                "inconclusive", f"the exhibit has no original result of {retested.analyte}",
                threshold.basis,
            )  # fmt: skip
        else:
            found = compare_results(exhibit, original, retested)
            work.details["original_result_id"] = original.id
        row.outcome, row.outcome_reason, row.threshold = (
            found.outcome,
            found.reason,
            found.threshold,
        )
        row.state = "compared"
        row.updated_at, row.updated_by = models.utcnow(), by.actor
        work.details.update({"from": "resulted", "to": "compared", "outcome": found.outcome})
        return _view(row)


def dispose(
    engine: Engine, by: Principal, retest_id: int, values: Mapping[str, Any], *, client: str = ""
) -> RetestView:
    """Record what follows a compared retest (the rules in the module docstring)."""
    with _step(engine, by, retest_id, client, "disposed") as work:
        _writer(by)
        row = _retest_to_change(work, retest_id)
        clean = DISPOSE_FORM.checked(values)
        if row.state != "compared":
            raise _refuse("disposition", f"the retest is {row.state}: compare it first")
        if row.disposition is not None:
            raise _refuse(
                "disposition", f"already disposed: {row.disposition} on {row.disposition_on}"
            )
        exhibit = policy.visible_one(
            work.db, by, ForensicExhibit, row.exhibit_id, what="forensic exhibit"
        )
        case = policy.visible_one(work.db, by, ForensicCase, exhibit.case_id, what="forensic case")
        kind, status = clean["disposition"], case.cj_status
        if kind == "discontinue" and (status in CLOSED or status == "convicted"):
            raise _refuse("disposition", f"the case is {status}: only a live case is discontinued")
        if kind in ("reopen-s142", "refer-appeal", "refer-ccrc") and status != "convicted":
            raise _refuse("disposition", f"the case is {status}: {kind} follows a conviction")
        if kind == "reopen-s142" and case.court != "magistrates":
            raise _refuse(
                "disposition",
                "s.142 Magistrates' Courts Act 1980 reopens a magistrates' court case; this "
                f"case was decided in {case.court or 'a court not recorded'}",
            )
        on = clean["disposition_on"] or today()
        problems = _not_future("disposition_on", on, row.requested_on, "the request")
        if problems:
            raise RetestRefused(problems)
        row.disposition, row.disposition_on = kind, on
        row.updated_at, row.updated_by = models.utcnow(), by.actor
        work.details.update(
            {"disposition": kind, "disposition_on": on.isoformat(), "reason": clean["reason"],
             "case": str(case.ref), "live": status in LIVE}
        )  # fmt: skip
        return _view(row)


def retests(
    engine: Engine,
    by: Principal,
    *,
    incident_id: int | None = None,
    justification: str | None,
    client: str = "",
) -> list[RetestView]:
    """The retests ``by`` may see (a justified, logged read)."""
    from harmwatch.kernel import reads

    stmt = select(Retest).order_by(Retest.id)
    if incident_id is not None:
        stmt = stmt.where(Retest.incident_id == incident_id)
    found = reads.consult(engine, by, Retest, stmt, justification=justification, client=client)
    return [_view(r) for r in found.records]


# -- notifications -----------------------------------------------------------------


@dataclass
class NotificationView:
    id: int
    ref: str
    case_id: int
    case_ref: str
    case_reference: str
    force: str
    incident_id: int | None
    recipient: str
    due_on: date
    sent_on: date | None
    reference: str | None
    notes: str
    overdue_days: int  # 0 when sent or not yet due

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def _notification_view(row: CaseNotification, case: ForensicCase, on: date) -> NotificationView:
    late = (on - row.due_on).days if row.sent_on is None and row.due_on < on else 0
    return NotificationView(
        row.id, f"{NOTIFICATION_KIND}:{row.id}", case.id, str(case.ref), case.reference,
        case.owning_force, row.incident_id, row.recipient, row.due_on, row.sent_on,
        row.reference, row.notes, late,
    )  # fmt: skip


def add_notification(
    engine: Engine, by: Principal, case_id: int, values: Mapping[str, Any], *, client: str = ""
) -> NotificationView:
    """A notification to be made about a case, with its due date."""
    with unit_of_work(
        engine, by, AuditAction.ALTERATION, RecordRef("forensic-case", str(case_id)), client=client,
        details={"step": "notification added"},
    ) as work:  # fmt: skip
        _writer(by)
        case = policy.visible_one(work.db, by, ForensicCase, case_id, what="forensic case")
        policy.require(work.db, by, AuditAction.ALTERATION, case)
        clean = NOTIFY_FORM.checked(values)
        if (
            clean["incident_id"] is not None
            and work.db.get(LabIncident, clean["incident_id"]) is None
        ):
            raise _refuse("incident_id", f"no laboratory incident {clean['incident_id']}")
        row = CaseNotification(
            case_id=case.id,
            incident_id=clean["incident_id"],
            recipient=clean["recipient"],
            due_on=clean["due_on"],
            notes=clean["notes"] or "",
            created_at=models.utcnow(),
            created_by=by.actor,
        )
        work.db.add(row)
        work.db.flush()
        work.details.update(
            {"notification": row.id, "recipient": row.recipient, "due_on": row.due_on.isoformat()}
        )
        return _notification_view(row, case, today())


def notification_sent(
    engine: Engine,
    by: Principal,
    notification_id: int,
    values: Mapping[str, Any],
    *,
    client: str = "",
) -> NotificationView:
    with unit_of_work(
        engine, by, AuditAction.ALTERATION, RecordRef(NOTIFICATION_KIND, str(notification_id)),
        client=client, details={"step": "notification sent"},
    ) as work:  # fmt: skip
        _writer(by)
        row = work.db.get(CaseNotification, notification_id) if notification_id > 0 else None
        if row is None:
            raise NotFoundError(f"no case notification {notification_id}")
        case = policy.visible_one(work.db, by, ForensicCase, row.case_id, what="forensic case")
        policy.require(work.db, by, AuditAction.ALTERATION, case)
        clean = NOTIFY_SENT_FORM.checked(values)
        if row.sent_on is not None:
            raise _refuse("sent_on", f"already sent on {row.sent_on} ({row.reference})")
        problems = _not_future("sent_on", clean["sent_on"])
        if problems:
            raise RetestRefused(problems)
        row.sent_on, row.reference = clean["sent_on"], clean["reference"]
        work.details.update({"case": str(case.ref), "sent_on": row.sent_on.isoformat()})
        return _notification_view(row, case, today())


def notifications(
    engine: Engine,
    by: Principal,
    *,
    incident_id: int | None = None,
    only_overdue: bool = False,
    justification: str | None,
    client: str = "",
) -> list[NotificationView]:
    """Notifications about cases ``by`` may see; ``only_overdue``: not sent by their due date."""
    on = today()
    with unit_of_work(
        engine, by, AuditAction.CONSULTATION, RecordRef("forensic-case", "*"), client=client,
        details={"question": "overdue case notifications" if only_overdue else "case notifications"},
    ) as work:  # fmt: skip
        if not policy.record_type(ForensicCase).read.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see forensic cases")
        work.justify(resolve(by, justification, what="reading case notifications"))
        stmt: Any = (
            select(CaseNotification, ForensicCase)
            .join(ForensicCase, ForensicCase.id == CaseNotification.case_id)
            .order_by(CaseNotification.due_on, CaseNotification.id)
        )
        if incident_id is not None:
            stmt = stmt.where(CaseNotification.incident_id == incident_id)
        if only_overdue:
            stmt = stmt.where(CaseNotification.sent_on.is_(None), CaseNotification.due_on < on)
        rows = work.db.execute(policy.scope(by, stmt, ForensicCase)).all()
        out = [_notification_view(n, c, on) for n, c in rows]
        work.details.update(
            {"rows": len(out), "records": list(dict.fromkeys(v.case_ref for v in out))[:1000]}
        )
        return out


def overdue(
    engine: Engine,
    by: Principal,
    *,
    incident_id: int | None = None,
    justification: str | None,
    client: str = "",
) -> list[NotificationView]:
    return notifications(
        engine,
        by,
        incident_id=incident_id,
        only_overdue=True,
        justification=justification,
        client=client,
    )
