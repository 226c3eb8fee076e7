"""Forensic casework: cases, their exhibits, each exhibit's custody and results.

What this service adds to the forms' rules (:mod:`harmwatch.forensics.forms`):

1. **References are unique per force**, for cases and for exhibits.
2. **A case's status** (criminal-justice and custody) is changed as a logged
   alteration whose entry gives each field's old and new value; the whole case is then
   re-checked (awaiting trial has its next hearing; a decided case its decision day).
3. **An exhibit belongs to a case of the same force**, names a provider and one of that
   provider's laboratories, and has its dates in order (taken ≤ sent ≤ received ≤
   tested ≤ reported), none in the future; a refusal names the field out of order.
4. **Custody events and results are appended**, never changed, to the exhibit's hash
   chain (:mod:`harmwatch.forensics.chain`), which anchors each new head in this act's
   access-log entry; reading an exhibit gives its custody flags
   (:func:`harmwatch.forensics.custody.flags`) and every result version.

Need-to-know: only the forensic reviewer reads or writes any of it (``read-forensics``,
``write-forensics``), and of it only what the record policy lets them see. Every read is
justified (cases name suspects) and logged with the records it returned; every refusal
is logged as denied or refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import FormRefused, Problem, jsonable
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal, check_unit
from harmwatch.kernel.records import Handling, HandlingCode, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from . import chain
from . import custody as _custody
from . import results as _results
from .forms import (
    CASE_FORM,
    CASE_STATUS_FORM,
    EXHIBIT_DATES,
    EXHIBIT_FORM,
    EXHIBIT_UPDATE_FIELDS,
    LONDON,
    exhibit_date_problems,
    local_text,
    offence_code,
    offence_title,
    parse_instant,
    status_problems,
)
from .kinds import CASES, EXHIBITS, READ_FORENSICS, WRITE_FORENSICS
from .models import (
    CustodyEvent,
    ExhibitResult,
    ForensicCase,
    ForensicExhibit,
    ForensicLaboratory,
    ForensicProvider,
)

RETENTION = "mopi-3"
STATUS_FIELDS = ("cj_status", "next_hearing_on", "decided_on", "court", "custody_status")


# -- views ----------------------------------------------------------------------------------


@dataclass
class CaseView:
    id: int
    ref: str
    reference: str
    offence_code: str
    offence: str
    cj_status: str
    next_hearing_on: date | None
    decided_on: date | None
    court: str | None
    custody_status: str
    officer_in_charge: str
    subject_label: str
    force: str
    unit: str
    handling_banner: str
    exhibits: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.__dict__.items()}


@dataclass
class ExhibitView:
    id: int
    ref: str
    case_id: int
    reference: str
    exhibit_type: str
    test_requested: str
    provider: str | None
    laboratory: str | None
    analyst: str | None
    taken_at: datetime
    taken_local: str
    sent_on: date | None
    received_on: date | None
    tested_on: date | None
    reported_on: date | None
    remaining_quantity: str | None
    remaining_unit: str | None
    storage_location: str | None
    force: str
    unit: str
    handling_banner: str
    custody: list[CustodyEvent] = field(default_factory=list)
    flags: list[_custody.Flag] = field(default_factory=list)
    results: list[_results.AnalyteResults] = field(default_factory=list)
    max_transfer_days: int = _custody.DEFAULT_TRANSFER_DAYS

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "custody":
                out[key] = [_custody.event_json(e) for e in value]
            elif key in ("flags", "results"):
                out[key] = [v.to_json() for v in value]
            elif isinstance(value, datetime):
                out[key] = value.isoformat()
            else:
                out[key] = jsonable(value)
        return out


def case_view(record: ForensicCase) -> CaseView:
    return CaseView(
        id=record.id,
        ref=str(record.ref),
        reference=record.reference,
        offence_code=record.offence_code,
        offence=record.offence,
        cj_status=record.cj_status,
        next_hearing_on=record.next_hearing_on,
        decided_on=record.decided_on,
        court=record.court,
        custody_status=record.custody_status,
        officer_in_charge=record.officer_in_charge,
        subject_label=record.subject_label,
        force=record.owning_force,
        unit=record.owning_unit,
        handling_banner=record.handling.banner(),
    )


def _names(db: Session, record: ForensicExhibit) -> tuple[str | None, str | None]:
    provider = db.get(ForensicProvider, record.provider_id) if record.provider_id else None
    lab = db.get(ForensicLaboratory, record.laboratory_id) if record.laboratory_id else None
    return (provider.name if provider else None, lab.name if lab else None)


def exhibit_view(
    db: Session, record: ForensicExhibit, *, max_transfer_days: int = _custody.DEFAULT_TRANSFER_DAYS
) -> ExhibitView:
    """The exhibit with its custody events, their flags and its results (every version)."""
    provider, lab = _names(db, record)
    rows = chain.history(db, record.id)
    events = [r for r in rows if isinstance(r, CustodyEvent)]
    found = [r for r in rows if isinstance(r, ExhibitResult)]
    return ExhibitView(
        id=record.id,
        ref=str(record.ref),
        case_id=record.case_id,
        reference=record.reference,
        exhibit_type=record.exhibit_type,
        test_requested=record.test_requested,
        provider=provider,
        laboratory=lab,
        analyst=record.analyst,
        taken_at=record.taken_at,
        taken_local=local_text(record.taken_at),
        sent_on=record.sent_on,
        received_on=record.received_on,
        tested_on=record.tested_on,
        reported_on=record.reported_on,
        remaining_quantity=record.remaining_quantity,
        remaining_unit=record.remaining_unit,
        storage_location=record.storage_location,
        force=record.owning_force,
        unit=record.owning_unit,
        handling_banner=record.handling.banner(),
        custody=events,
        flags=_custody.flags(events, max_transfer_days=max_transfer_days),
        results=_results.versions(found),
        max_transfer_days=max_transfer_days,
    )


# -- shared pieces --------------------------------------------------------------------------


def _refuse(name: str, reason: str) -> FormRefused:
    return FormRefused([Problem(name, reason)])


def _clean(text: Any) -> str:
    return " ".join(str(text or "").split())


def _today() -> date:
    return models.utcnow().astimezone(LONDON).date()


def _require_role(by: Principal, capability: Any, what: str) -> None:
    if not capability.granted(by.role):
        raise policy.PolicyDenied(f"your role ({by.role}) may not {what} forensic casework")


def _unit(by: Principal, given: Any, default: str | None = None) -> str:
    if given:
        return check_unit(str(given))
    if default and default in by.units:
        return default
    return sorted(by.units)[0] if by.units else ""


def _handling(values: Mapping[str, Any]) -> Handling:
    conditions = _clean(values.get("handling_conditions"))
    return Handling(HandlingCode.C, conditions) if conditions else Handling(HandlingCode.P)


def _flush_unique(work: Work, name: str, reference: str, what: str) -> None:
    # The caller's scoped check cannot see a restricted record of another unit; the
    # force-wide unique index does, and is answered as the same refusal.
    try:
        work.db.flush()
    except IntegrityError:
        raise _refuse(name, f"{what} {reference} is already recorded in the force") from None


@contextmanager
def _reading(
    engine: Engine, by: Principal, ref: RecordRef, justification: str | None, client: str
) -> Iterator[Work]:
    with unit_of_work(engine, by, AuditAction.CONSULTATION, ref, client=client) as work:
        _require_role(by, READ_FORENSICS, "see")
        work.justify(resolve(by, justification, what=f"reading {ref}"))
        yield work


@contextmanager
def _changing(
    engine: Engine,
    by: Principal,
    action: AuditAction,
    ref: RecordRef,
    justification: str | None,
    client: str,
) -> Iterator[Work]:
    with unit_of_work(engine, by, action, ref, client=client) as work:
        _require_role(by, WRITE_FORENSICS, "record or change")
        work.justify(resolve(by, justification, what=f"changing {ref}"))
        yield work


def _exhibit_to_change(work: Work, exhibit_id: int) -> ForensicExhibit:
    found = policy.visible_one(work.db, work.principal, ForensicExhibit, exhibit_id, what="exhibit")
    policy.require(work.db, work.principal, AuditAction.ALTERATION, found)
    return found


# -- cases ----------------------------------------------------------------------------------


def store_case(work: Work, values: Mapping[str, Any]) -> ForensicCase:
    """Create one case from a form's checked values in ``work`` (policy first)."""
    by = work.principal
    unit = _unit(by, values.get("unit"))
    policy.require_collect(by, CASES, by.force, unit)
    reference = _clean(values["reference"])
    problems = []
    taken = work.db.scalars(
        policy.scope(
            by,
            select(ForensicCase.id).where(
                ForensicCase.owning_force == by.force, ForensicCase.reference == reference
            ),
            ForensicCase,
        )
    ).first()
    if taken is not None:
        problems.append(Problem("reference", f"case {reference} is already recorded ({taken})"))
    today = _today()
    for name in ("decided_on",):
        if values.get(name) and values[name] > today:
            problems.append(Problem(name, f"{values[name]} is in the future"))
    if problems:
        raise FormRefused(problems)
    code = offence_code(values["offence_code"])
    record = ForensicCase(
        reference=reference,
        offence_code=code,
        offence=_clean(values.get("offence")) or str(offence_title(code)),
        cj_status=values["cj_status"],
        next_hearing_on=values.get("next_hearing_on"),
        decided_on=values.get("decided_on"),
        court=values.get("court"),
        custody_status=values["custody_status"],
        officer_in_charge=_clean(values["officer_in_charge"]),
        subject_label=_clean(values["subject_label"]),
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=unit,
            handling=_handling(values),
            retention=RETENTION,
        ),
    )
    work.db.add(record)
    _flush_unique(work, "reference", reference, "case")
    return record


def add_case(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> CaseView:
    """Record a case from a form's values (text as typed); refused by field."""
    with _changing(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef(CASES.kind, "new"),
        justification,
        client,
    ) as work:
        created = store_case(work, CASE_FORM.checked(values))
        work.target(created.ref)
        work.details.update(
            {"reference": created.reference, "offence_code": created.offence_code,
             "cj_status": created.cj_status}
        )  # fmt: skip
        return case_view(created)


def change_status(
    engine: Engine,
    principal: Principal,
    case_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> CaseView:
    """Change a case's criminal-justice or custody status (and the dates they need).

    The access-log entry gives each changed field as ``[old, new]``; the whole case
    must still follow the rules (awaiting trial: a next hearing; decided: the day).
    Moving out of awaiting trial clears the next hearing unless one is given.
    """
    ref = RecordRef(CASES.kind, str(case_id))
    with _changing(engine, principal, AuditAction.ALTERATION, ref, justification, client) as work:
        found = policy.visible_one(work.db, principal, ForensicCase, case_id, what="forensic case")
        policy.require(work.db, principal, AuditAction.ALTERATION, found)
        clean = CASE_STATUS_FORM.checked(values)
        given = {k: v for k, v in clean.items() if v is not None}
        if not given:
            raise _refuse("cj_status", "give a new status, custody status, hearing or decision")
        merged = {name: getattr(found, name) for name in STATUS_FIELDS}
        leaving_trial = given.get("cj_status") not in (None, "awaiting-trial", found.cj_status)
        if leaving_trial and "next_hearing_on" not in given:
            merged["next_hearing_on"] = None
        merged.update(given)
        problems = status_problems(merged)
        if merged["decided_on"] and merged["decided_on"] > _today():
            problems.append(Problem("decided_on", f"{merged['decided_on']} is in the future"))
        if problems:
            raise FormRefused(problems)
        changed = {}
        for name in STATUS_FIELDS:
            old, new = getattr(found, name), merged[name]
            if old != new:
                changed[name] = [jsonable(old), jsonable(new)]
                setattr(found, name, new)
        if not changed:
            raise _refuse("cj_status", "nothing would change")
        found.updated_at = models.utcnow()
        found.updated_by = principal.actor
        work.db.flush()
        work.details["changed"] = changed
        return case_view(found)


def _case_exhibits(db: Session, by: Principal, case_id: int) -> list[ForensicExhibit]:
    return list(
        db.scalars(
            policy.scope(
                by,
                select(ForensicExhibit)
                .where(ForensicExhibit.case_id == case_id)
                .order_by(ForensicExhibit.reference),
                ForensicExhibit,
            )
        )
    )


def read_case(
    engine: Engine,
    principal: Principal,
    case_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> CaseView:
    """One case and the exhibits of it the reader may see (each with its flags count)."""
    with _reading(
        engine, principal, RecordRef(CASES.kind, str(case_id)), justification, client
    ) as work:
        found = policy.visible_one(work.db, principal, ForensicCase, case_id, what="forensic case")
        out = case_view(found)
        exhibits = _case_exhibits(work.db, principal, found.id)
        for e in exhibits:
            shown = exhibit_view(work.db, e)
            out.exhibits.append(
                {"id": e.id, "ref": str(e.ref), "reference": e.reference,
                 "exhibit_type": e.exhibit_type, "custody_events": len(shown.custody),
                 "flags": len(shown.flags), "analytes": [r.analyte for r in shown.results]}
            )  # fmt: skip
        work.details["records"] = [str(found.ref), *(str(e.ref) for e in exhibits)]
        return out


def list_cases(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    cj_status: str = "",
    client: str = "",
) -> list[CaseView]:
    """Cases the reader may see (optionally of one status), by reference."""
    stmt = select(ForensicCase).order_by(ForensicCase.reference, ForensicCase.id)
    if cj_status:
        CASE_STATUS_FORM.checked({"cj_status": cj_status})
        stmt = stmt.where(ForensicCase.cj_status == cj_status)
    with _reading(engine, principal, RecordRef(CASES.kind, "*"), justification, client) as work:
        found = list(work.db.scalars(policy.scope(principal, stmt, ForensicCase)))
        work.details.update({"rows": len(found), "records": [str(c.ref) for c in found][:1000]})
        if cj_status:
            work.details["cj_status"] = cj_status
        return [case_view(c) for c in found]


# -- exhibits -------------------------------------------------------------------------------


def _provider_problems(db: Session, values: Mapping[str, Any]) -> list[Problem]:
    problems = []
    provider_id, lab_id = values.get("provider_id"), values.get("laboratory_id")
    if provider_id is not None and db.get(ForensicProvider, provider_id) is None:
        problems.append(Problem("provider_id", f"no forensic provider {provider_id}"))
    elif lab_id is not None:
        lab = db.get(ForensicLaboratory, lab_id)
        if lab is None or lab.provider_id != provider_id:
            problems.append(
                Problem("laboratory_id", f"no laboratory {lab_id} of provider {provider_id}")
            )
    return problems


def _future_problems(values: Mapping[str, Any]) -> list[Problem]:
    today, now = _today(), models.utcnow()
    problems = []
    for name in EXHIBIT_DATES:
        value = values.get(name)
        if isinstance(value, datetime):
            if value > now:
                problems.append(Problem(name, f"{local_text(value)} is in the future"))
        elif value is not None and value > today:
            problems.append(Problem(name, f"{value} is in the future"))
    return problems


def store_exhibit(work: Work, values: Mapping[str, Any]) -> ForensicExhibit:
    """Create one exhibit from a form's checked values in ``work`` (policy first)."""
    by = work.principal
    case = policy.visible_one(work.db, by, ForensicCase, values["case_id"], what="forensic case")
    policy.require(work.db, by, AuditAction.ALTERATION, case)
    unit = _unit(by, values.get("unit"), case.owning_unit)
    policy.require_collect(by, EXHIBITS, case.owning_force, unit)
    reference = _clean(values["reference"])
    taken_at = parse_instant(values["taken_at"])
    assert taken_at is not None  # the form's rule
    typed = {**values, "taken_at": taken_at}
    problems = _provider_problems(work.db, values) + _future_problems(typed)
    taken = work.db.scalars(
        policy.scope(
            by,
            select(ForensicExhibit.id).where(
                ForensicExhibit.owning_force == by.force, ForensicExhibit.reference == reference
            ),
            ForensicExhibit,
        )
    ).first()
    if taken is not None:
        problems.append(Problem("reference", f"exhibit {reference} is already recorded ({taken})"))
    if problems:
        raise FormRefused(problems)
    quantity = values.get("remaining_quantity")
    record = ForensicExhibit(
        case_id=case.id,
        reference=reference,
        exhibit_type=values["exhibit_type"],
        test_requested=_clean(values["test_requested"]),
        provider_id=values.get("provider_id"),
        laboratory_id=values.get("laboratory_id"),
        analyst=_clean(values.get("analyst")) or None,
        taken_at=taken_at,
        sent_on=values.get("sent_on"),
        received_on=values.get("received_on"),
        tested_on=values.get("tested_on"),
        reported_on=values.get("reported_on"),
        remaining_quantity=str(quantity) if quantity is not None else None,
        remaining_unit=_clean(values.get("remaining_unit")) or None,
        storage_location=_clean(values.get("storage_location")) or None,
        **envelope(
            by.actor,
            owning_force=case.owning_force,
            owning_unit=unit,
            handling=_handling(values),
            retention=RETENTION,
        ),
    )
    work.db.add(record)
    _flush_unique(work, "reference", reference, "exhibit")
    return record


def add_exhibit(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> ExhibitView:
    """Record an exhibit of a case from a form's values (text as typed); refused by field."""
    with _changing(
        engine, principal, AuditAction.COLLECTION, RecordRef(EXHIBITS.kind, "new"),
        justification, client,
    ) as work:  # fmt: skip
        created = store_exhibit(work, EXHIBIT_FORM.checked(values))
        work.target(created.ref)
        work.details.update(
            {"reference": created.reference, "case": f"{CASES.kind}:{created.case_id}",
             "exhibit_type": created.exhibit_type}
        )  # fmt: skip
        return exhibit_view(work.db, created)


def update_exhibit(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> ExhibitView:
    """Record an exhibit's later dates, analyst, what is left of it and where it is stored.

    Only :data:`~harmwatch.forensics.forms.EXHIBIT_UPDATE_FIELDS` change; the dates
    must still fall in order. The entry gives each changed field as ``[old, new]``.
    """
    ref = RecordRef(EXHIBITS.kind, str(exhibit_id))
    with _changing(engine, principal, AuditAction.ALTERATION, ref, justification, client) as work:
        found = _exhibit_to_change(work, exhibit_id)
        wrong = [
            Problem(k, "cannot be changed here") for k in values if k not in EXHIBIT_UPDATE_FIELDS
        ]
        if wrong:
            raise FormRefused(wrong)
        clean, problems = EXHIBIT_FORM.check(values, partial=True)
        problems = [p for p in problems if p.field in values]
        if problems:
            raise FormRefused(problems)
        given = {k: clean[k] for k in values if clean.get(k) is not None}
        merged: dict[str, Any] = {name: getattr(found, name) for name in EXHIBIT_DATES}
        merged.update({k: v for k, v in given.items() if k in EXHIBIT_DATES})
        problems = exhibit_date_problems(merged) + _future_problems(given)
        if problems:
            raise FormRefused(problems)
        changed = {}
        for name, new in given.items():
            if name == "remaining_quantity":
                new = str(new)
            elif isinstance(new, str):
                new = _clean(new)
            old = getattr(found, name)
            if old != new:
                changed[name] = [jsonable(old), jsonable(new)]
                setattr(found, name, new)
        if not changed:
            raise _refuse(next(iter(values), "storage_location"), "nothing would change")
        found.updated_at = models.utcnow()
        found.updated_by = principal.actor
        work.db.flush()
        work.details["changed"] = changed
        return exhibit_view(work.db, found)


def read_exhibit(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    *,
    justification: str | None,
    max_transfer_days: int = _custody.DEFAULT_TRANSFER_DAYS,
    client: str = "",
) -> ExhibitView:
    """One exhibit: its custody events and their flags, and every result version."""
    ref = RecordRef(EXHIBITS.kind, str(exhibit_id))
    with _reading(engine, principal, ref, justification, client) as work:
        found = policy.visible_one(work.db, principal, ForensicExhibit, exhibit_id, what="exhibit")
        out = exhibit_view(work.db, found, max_transfer_days=max_transfer_days)
        work.details["flags"] = len(out.flags)
        return out


def record_custody(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> ExhibitView:
    """Append a custody event (see :func:`harmwatch.forensics.custody.store`); the exhibit
    as it now stands, flags included."""
    ref = RecordRef(EXHIBITS.kind, str(exhibit_id))
    with _changing(engine, principal, AuditAction.ALTERATION, ref, justification, client) as work:
        found = _exhibit_to_change(work, exhibit_id)
        event = _custody.store(work, found, values)
        out = exhibit_view(work.db, found)
        work.details.update(
            {"custody_event": event.id, "action": event.action,
             "flags": [f.kind for f in out.flags if event.id in f.events]}
        )  # fmt: skip
        return out


def _result(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    client: str,
    amending: bool,
) -> ExhibitView:
    ref = RecordRef(EXHIBITS.kind, str(exhibit_id))
    with _changing(engine, principal, AuditAction.ALTERATION, ref, justification, client) as work:
        found = _exhibit_to_change(work, exhibit_id)
        row = _results.store(work, found, values, amending=amending)
        work.details.update(
            {"result": row.id, "analyte": row.analyte, "version": row.version,
             "amended": row.version > 1}
        )  # fmt: skip
        return exhibit_view(work.db, found)


def add_result(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> ExhibitView:
    """Record an analyte's first result on the exhibit (a second is an amendment)."""
    return _result(engine, principal, exhibit_id, values, justification, client, False)


def amend_result(
    engine: Engine,
    principal: Principal,
    exhibit_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> ExhibitView:
    """Record a new version of an analyte's result; ``amendment_reason`` is required."""
    return _result(engine, principal, exhibit_id, values, justification, client, True)


__all__ = [
    "CaseView",
    "ExhibitView",
    "add_case",
    "add_exhibit",
    "add_result",
    "amend_result",
    "case_view",
    "change_status",
    "exhibit_view",
    "list_cases",
    "read_case",
    "read_exhibit",
    "record_custody",
    "store_case",
    "store_exhibit",
    "update_exhibit",
]
