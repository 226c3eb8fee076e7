"""Operations and their results: record, read, list and correct — through the kernel.

Every change is one unit of work (the record and its access-log entry together);
every read of results is scoped by the record policy and logged with its
justification (results name people: the arrested, the charged, a line's holder). A
correction re-checks the whole result with its form and logs each field it changed,
old and new — except fields naming a person, logged only as "changed" so the log
does not become a second copy of who was arrested.

A drug seizure is valued on entry against the street-price table in force on its
day (:mod:`harmwatch.operations.valuation`); correcting its drug, form, quantity or
unit revalues it and keeps the earlier valuation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem, jsonable, shown
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from .kinds import OPERATIONS, RESULTS, WRITE_OPERATIONS
from .models import Operation, OperationResult
from .results import HEAD_NAMES, PERSON_FIELDS, default_check_back, result_form

#: Fields of a seizure whose change changes its value.
_VALUED_FIELDS = ("drug", "form", "quantity", "unit", "price_region", "occurred_on")


def _force_list(values: dict[str, Any]) -> list[Problem]:
    from harmwatch.sources.policeuk.forces import FORCES, force_slug

    problems = []
    for name in ("lead_force",) if values.get("lead_force") else ():
        if force_slug(values[name]) not in FORCES:
            problems.append(Problem(name, f"{values[name]!r} is not a police.uk force"))
    for partner in values.get("partner_forces") or ():
        if force_slug(partner) not in FORCES:
            problems.append(
                Problem(
                    "partner_forces",
                    f"{partner!r} is not a police.uk force; put agencies (NCA, Border Force) "
                    "under partner agencies",
                )
            )
    start, end = values.get("starts_on"), values.get("ends_on")
    if start and end and end < start:
        problems.append(Problem("ends_on", f"{end} is before the start ({start})"))
    return problems


OPERATION_FORM = Form(
    "operation",
    "operation",
    (
        Field(
            "name", "text", "the operation's name, e.g. Op Hypernova", required=True, max_length=120
        ),
        Field("lead_force", "text", "the lead force (police.uk slug); empty: yours", max_length=64),
        Field("partner_forces", "choices", "partner forces (police.uk slugs), separated with ;"),
        Field("partner_agencies", "choices", "partner agencies, e.g. NCA; Border Force; council"),
        Field("starts_on", "date", "the day it started", required=True),
        Field("ends_on", "date", "the day it ended (empty: running)"),
        Field("aims", "text", "what it set out to do", max_length=2000),
        Field(
            "linked_entities",
            "ids",
            "the OCGs and county lines it targets: intelligence entity ids, separated with ;",
        ),
    ),
    rules=(_force_list,),
)


@dataclass
class OperationView:
    id: int
    ref: str
    name: str
    lead_force: str
    partner_forces: list[str]
    partner_agencies: list[str]
    starts_on: date
    ends_on: date | None
    aims: str
    linked_entities: list[int]
    force: str
    unit: str
    synthetic: bool
    handling_banner: str

    def to_json(self) -> dict[str, Any]:
        return {k: jsonable(v) if not isinstance(v, list) else v for k, v in self.__dict__.items()}


@dataclass
class ResultView:
    id: int
    ref: str
    result_kind: str
    operation_id: int | None
    operation: str | None
    occurred_on: date
    force: str
    officer: str
    reference: str | None
    fields: dict[str, Any]
    owning_force: str
    unit: str
    synthetic: bool
    handling_banner: str
    notes: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """Every field of the result's form, typed (for a form or a template row)."""
        form = result_form(self.result_kind)
        typed = dict(self.fields)
        typed.update(
            operation=self.operation,
            occurred_on=self.occurred_on,
            force=self.force,
            officer=self.officer,
            reference=self.reference,
        )
        return {f.name: _typed(f, typed.get(f.name)) for f in form.fields}

    def shown_values(self) -> dict[str, str]:
        form = result_form(self.result_kind)
        typed = self.values()
        return {f.name: shown(f, typed[f.name]) for f in form.fields}

    def to_json(self) -> dict[str, Any]:
        out = {k: jsonable(v) for k, v in self.__dict__.items() if k != "fields"}
        out["fields"] = {k: jsonable(v) for k, v in self.fields.items()}
        return out


def _typed(f: Field, stored: Any) -> Any:
    """A stored JSON value back to its form's type."""
    if stored is None:
        return None
    if f.type == "decimal":
        return Decimal(str(stored))
    if f.type == "date" and isinstance(stored, str):
        return date.fromisoformat(stored)
    if f.type in ("choices", "ids"):
        return tuple(stored)
    return stored


def _handling(conditions: str | None) -> Handling:
    if conditions and conditions.strip():
        return Handling(HandlingCode.C, conditions)
    return Handling(HandlingCode.P)


def operation_view(op: Operation) -> OperationView:
    return OperationView(
        id=op.id,
        ref=str(op.ref),
        name=op.name,
        lead_force=op.lead_force,
        partner_forces=json.loads(op.partner_forces or "[]"),
        partner_agencies=json.loads(op.partner_agencies or "[]"),
        starts_on=op.starts_on,
        ends_on=op.ends_on,
        aims=op.aims,
        linked_entities=json.loads(op.linked_entities or "[]"),
        force=op.owning_force,
        unit=op.owning_unit,
        synthetic=op.synthetic,
        handling_banner=op.handling.banner(),
    )


def result_view(result: OperationResult, operation_name: str | None) -> ResultView:
    return ResultView(
        id=result.id,
        ref=str(result.ref),
        result_kind=result.result_kind,
        operation_id=result.operation_id,
        operation=operation_name,
        occurred_on=result.occurred_on,
        force=result.force,
        officer=result.officer,
        reference=result.reference,
        fields=json.loads(result.fields or "{}"),
        owning_force=result.owning_force,
        unit=result.owning_unit,
        synthetic=result.synthetic,
        handling_banner=result.handling.banner(),
    )


# -- operations ----------------------------------------------------------------------


def _check_links(work: Work, by: Principal, ids: Sequence[int], why: Any) -> list[Problem]:
    """Each linked entity must be an OCG or county line the recorder may see (logged)."""
    if not ids:
        return []
    from harmwatch.intelligence.models import IntelligenceEntity

    found = {
        e.id: e
        for e in work.db.scalars(
            policy.scope(
                by,
                select(IntelligenceEntity).where(IntelligenceEntity.id.in_(list(ids))),
                IntelligenceEntity,
            )
        )
    }
    problems = []
    for entity_id in ids:
        entity = found.get(entity_id)
        if entity is None:
            problems.append(
                Problem("linked_entities", f"no intelligence entity {entity_id} that you may see")
            )
        elif entity.entity_kind not in ("ocg", "county-line"):
            problems.append(
                Problem(
                    "linked_entities",
                    f"entity {entity_id} is a {entity.entity_kind}: link OCGs and county lines",
                )
            )
        else:
            work.also(
                AuditAction.CONSULTATION,
                entity.ref,
                details={"for": "linking an operation"},
                justification=why,
            )
    return problems


def store_operation(
    work: Work,
    values: Mapping[str, Any],
    *,
    unit: str | None = None,
    conditions: str | None = None,
    restriction: Restriction = Restriction.FORCE,
    synthetic: bool = False,
) -> Operation:
    """Create an operation from checked values in ``work`` (the import and the form share it)."""
    from harmwatch.sources.policeuk.forces import force_slug

    by = work.principal
    owning_unit = unit or (sorted(by.units)[0] if by.units else "")
    policy.require_collect(by, OPERATIONS, by.force, owning_unit)
    name = str(values["name"])
    clash = work.db.scalar(
        policy.privileged(
            select(func.count())
            .select_from(Operation)
            .where(Operation.owning_force == by.force, func.lower(Operation.name) == name.lower()),
            "operation names are unique in a force, whoever may see the other one",
        )
    )
    if clash:
        raise FormRefused([Problem("name", f"your force already has an operation named {name!r}")])
    linked = tuple(values.get("linked_entities") or ())
    if linked:
        why = resolve(by, work.primary.justification.text if work.primary.justification else None,
                      what="linking intelligence entities to an operation")  # fmt: skip
        problems = _check_links(work, by, linked, why)
        if problems:
            raise FormRefused(problems)
    op = Operation(
        name=name,
        lead_force=force_slug(values.get("lead_force") or by.force),
        partner_forces=json.dumps(
            sorted({force_slug(f) for f in values.get("partner_forces") or ()})
        ),
        partner_agencies=json.dumps(list(values.get("partner_agencies") or ())),
        starts_on=values["starts_on"],
        ends_on=values.get("ends_on"),
        aims=values.get("aims") or "",
        linked_entities=json.dumps(list(linked)),
        synthetic=synthetic,
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=owning_unit,
            handling=_handling(conditions),
            restriction=restriction,
        ),
    )
    work.db.add(op)
    work.db.flush()
    work.details.setdefault("created", []).append(str(op.ref))
    return op


def record_operation(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    justification: str | None = None,
    *,
    unit: str | None = None,
    conditions: str | None = None,
    restriction: Restriction = Restriction.FORCE,
    synthetic: bool = False,
    client: str = "",
) -> OperationView:
    """Record an operation (``values``: its form's fields as typed or given)."""
    with unit_of_work(
        engine, principal, AuditAction.COLLECTION, RecordRef(OPERATIONS.kind, "new"), client=client
    ) as work:
        if justification:
            work.justify(resolve(principal, justification, what="recording an operation"))
        clean = OPERATION_FORM.checked(values)
        op = store_operation(
            work, clean, unit=unit, conditions=conditions, restriction=restriction,
            synthetic=synthetic,
        )  # fmt: skip
        work.target(op.ref)
        work.details["name"] = op.name
        return operation_view(op)


def _operation_by_name(db: Session, by: Principal, name: str) -> Operation | None:
    return db.scalars(
        policy.scope(
            by,
            select(Operation).where(func.lower(Operation.name) == name.strip().lower()),
            Operation,
        )
    ).first()


def operations(engine: Engine, principal: Principal, *, client: str = "") -> list[OperationView]:
    """The operations the principal may see, newest first (a logged consultation)."""
    got = reads.consult(
        engine,
        principal,
        Operation,
        select(Operation).order_by(Operation.starts_on.desc(), Operation.id.desc()),
        justification=None,
        client=client,
    )
    return [operation_view(o) for o in got.records]


def operations_for_summaries(
    engine: Engine, principal: Principal, *, client: str = ""
) -> list[OperationView]:
    """The operations whose summaries the principal may ask for.

    A reader gets :func:`operations`. A viewer of figures (the PCC viewer) gets the
    names and dates of their own force's operations that are not restricted — what a
    public statement names — with the aims and the linked intelligence left out.
    """
    from .kinds import READ_OPERATIONS, VIEW_OPERATION_SUMMARIES

    if READ_OPERATIONS.granted(principal.role):
        return operations(engine, principal, client=client)
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, RecordRef(OPERATIONS.kind, "*"),
        client=client, details={"question": "operation names, for summaries"},
    ) as work:  # fmt: skip
        if not VIEW_OPERATION_SUMMARIES.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not see operations")
        rows = list(
            work.db.scalars(
                policy.privileged(
                    select(Operation)
                    .where(
                        Operation.owning_force == principal.force,
                        Operation.restriction != Restriction.RESTRICTED.value,
                    )
                    .order_by(Operation.starts_on.desc(), Operation.id.desc()),
                    "a viewer of figures names their own force's operations to ask for a summary",
                )
            )
        )
        work.details["rows"] = len(rows)
        views = [operation_view(op) for op in rows]
        for view in views:
            view.aims, view.linked_entities = "", []
        return views


def operation(
    engine: Engine, principal: Principal, ref: int | str, *, client: str = ""
) -> OperationView:
    """One operation by id or name; one the principal may not see is "not found" (logged)."""
    if isinstance(ref, int) or str(ref).isdigit():
        got = reads.get(engine, principal, Operation, int(ref), justification=None, client=client)
        return operation_view(got.records[0])
    got = reads.consult(
        engine,
        principal,
        Operation,
        select(Operation).where(func.lower(Operation.name) == str(ref).strip().lower()),
        justification=None,
        client=client,
        details={"name": str(ref)},
    )
    if not got.records:
        raise NotFoundError(f"no operation named {ref!r} that you may see")
    return operation_view(got.records[0])


# -- results -------------------------------------------------------------------------


def _split(kind: str, clean: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    head = {name: clean.get(name) for name in HEAD_NAMES}
    own = {
        name: jsonable(value)
        for name, value in clean.items()
        if name not in HEAD_NAMES and value is not None
    }
    closed_on = head["occurred_on"]
    if kind == "line-closure" and not own.get("check_back_on") and isinstance(closed_on, date):
        own["check_back_on"] = default_check_back(closed_on).isoformat()
    return head, own


def store_result(
    work: Work,
    kind: str,
    values: Mapping[str, Any],
    *,
    operation_id: int | None = None,
    unit: str | None = None,
    conditions: str | None = None,
    restriction: Restriction = Restriction.FORCE,
    synthetic: bool = False,
) -> OperationResult:
    """Create one result from checked values in ``work``; the operation is named or given."""
    from harmwatch.sources.policeuk.forces import force_slug

    by = work.principal
    owning_unit = unit or (sorted(by.units)[0] if by.units else "")
    policy.require_collect(by, RESULTS, by.force, owning_unit)
    head, own = _split(kind, values)
    op: Operation | None = None
    if operation_id is not None:
        op = work.db.scalars(
            policy.scope(by, select(Operation).where(Operation.id == operation_id), Operation)
        ).first()
        if op is None:
            raise FormRefused(
                [Problem("operation", f"no operation {operation_id} that you may see")]
            )
    elif head.get("operation"):
        # An import names the same operation on every row: look it up once per unit of work.
        known = work.db.info.setdefault("operations_by_name", {})
        key = str(head["operation"]).strip().lower()
        if key not in known:
            known[key] = _operation_by_name(work.db, by, str(head["operation"]))
        op = known[key]
        if op is None:
            raise FormRefused(
                [Problem("operation", f"no operation named {head['operation']!r} that you may see")]
            )
    if op is not None and head["occurred_on"] < op.starts_on:
        raise FormRefused(
            [
                Problem(
                    "occurred_on",
                    f"{head['occurred_on']} is before {op.name} began ({op.starts_on})",
                )
            ]
        )
    if head["occurred_on"] > models.utcnow().date():
        raise FormRefused([Problem("occurred_on", f"{head['occurred_on']} is in the future")])
    result = OperationResult(
        operation_id=op.id if op else None,
        result_kind=kind,
        occurred_on=head["occurred_on"],
        force=force_slug(head.get("force") or by.force),
        officer=str(head["officer"]),
        reference=head.get("reference"),
        fields=json.dumps(own, sort_keys=True),
        synthetic=synthetic,
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=owning_unit,
            handling=_handling(conditions),
            restriction=restriction,
        ),
    )
    work.db.add(result)
    work.db.flush()
    if kind == "drug-seizure":
        from . import valuation

        valuation.value_seizure(work.db, by.actor, result, reason="on entry")
    work.details.setdefault("created", []).append(str(result.ref))
    return result


def record_result(
    engine: Engine,
    principal: Principal,
    kind: str,
    values: Mapping[str, Any],
    justification: str | None = None,
    *,
    operation_id: int | None = None,
    unit: str | None = None,
    conditions: str | None = None,
    restriction: Restriction = Restriction.FORCE,
    synthetic: bool = False,
    client: str = "",
) -> ResultView:
    """Record one result of ``kind`` (its form's fields); refused with every problem listed."""
    form = result_form(kind)
    with unit_of_work(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef(RESULTS.kind, "new"),
        client=client,
        details={"kind": kind},
    ) as work:
        work.justify(resolve(principal, justification, what=f"recording a {form.title}"))
        clean = form.checked(values)
        result = store_result(
            work, kind, clean, operation_id=operation_id, unit=unit, conditions=conditions,
            restriction=restriction, synthetic=synthetic,
        )  # fmt: skip
        work.target(result.ref)
        name = _operation_name(work.db, principal, result.operation_id)
        return result_view(result, name)


def _operation_name(db: Session, by: Principal, operation_id: int | None) -> str | None:
    if operation_id is None:
        return None
    op = db.scalars(
        policy.scope(by, select(Operation).where(Operation.id == operation_id), Operation)
    ).first()
    return op.name if op else None


def _one_result(db: Session, by: Principal, result_id: int) -> OperationResult:
    return policy.visible_one(db, by, OperationResult, result_id, what="operation result")


def correct_result(
    engine: Engine,
    principal: Principal,
    result_id: int,
    changes: Mapping[str, Any],
    *,
    reason: str,
    justification: str | None = None,
    client: str = "",
) -> ResultView:
    """Correct fields of a result: the whole result is re-checked, each change logged."""
    ref = RecordRef(RESULTS.kind, str(result_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        if not WRITE_OPERATIONS.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not correct results")
        work.justify(resolve(principal, justification, what="correcting a result"))
        why = " ".join((reason or "").split())
        if len(why) < 5:
            raise FormRefused(
                [Problem("reason", "say why it is corrected (at least 5 characters)")]
            )
        result = _one_result(work.db, principal, result_id)
        policy.require(work.db, principal, AuditAction.ALTERATION, result)
        form = result_form(result.result_kind)
        before = result_view(result, _operation_name(work.db, principal, result.operation_id))
        old = before.values()
        merged: dict[str, Any] = {f.name: shown(f, old[f.name]) for f in form.fields}
        for name, value in changes.items():
            if name not in form.names:
                raise FormRefused([Problem(str(name), f"not a field of {form.title}")])
            merged[name] = value
        clean = form.checked(merged)
        changed = {n for n in form.names if clean[n] != old[n]}
        if not changed:
            raise FormRefused([Problem(next(iter(changes), "fields"), "nothing changes")])
        head, own = _split(result.result_kind, clean)
        if "operation" in changed:
            op = (
                _operation_by_name(work.db, principal, str(head["operation"]))
                if head["operation"]
                else None
            )
            if head["operation"] and op is None:
                raise FormRefused(
                    [Problem("operation", f"no operation named {head['operation']!r}")]
                )
            result.operation_id = op.id if op else None
        from harmwatch.sources.policeuk.forces import force_slug

        result.occurred_on = head["occurred_on"]
        result.force = force_slug(head.get("force") or principal.force)
        result.officer = str(head["officer"])
        result.reference = head.get("reference")
        result.fields = json.dumps(own, sort_keys=True)
        result.updated_at = models.utcnow()
        result.updated_by = principal.actor
        work.db.flush()
        logged: dict[str, Any] = {}
        for name in sorted(changed):
            if name in PERSON_FIELDS:
                logged[name] = "changed"
            else:
                f = form.field(name)
                logged[name] = [shown(f, old[name]) or None, shown(f, clean[name]) or None]
        work.details.update({"kind": result.result_kind, "changed": logged, "reason": why})
        if result.result_kind == "drug-seizure" and changed & set(_VALUED_FIELDS):
            from . import valuation

            valued = valuation.value_seizure(
                work.db, principal.actor, result, reason=f"corrected: {why}"
            )
            if valued is None:
                # The earlier valuation was for the seizure as it was: kept as the current
                # value it would misstate the corrected one, so the correction waits for a price.
                raise FormRefused(
                    [
                        Problem(
                            "unit" if "unit" in changed else sorted(changed)[0],
                            "the corrected seizure cannot be valued: "
                            f"{valuation.not_valued_reason(work.db, result)}; load a price for "
                            "it first",
                        )
                    ]
                )
            work.details["revalued"] = True
        return result_view(result, _operation_name(work.db, principal, result.operation_id))


def _results_statement(
    *, operation_ids: Sequence[int] | None = None, kind: str | None = None
) -> Select[Any]:
    stmt = select(OperationResult)
    if operation_ids is not None:
        stmt = stmt.where(OperationResult.operation_id.in_(list(operation_ids)))
    if kind:
        result_form(kind)
        stmt = stmt.where(OperationResult.result_kind == kind)
    return stmt.order_by(OperationResult.occurred_on, OperationResult.id)


def results(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    operation_id: int | None = None,
    kind: str | None = None,
    ids: Sequence[int] | None = None,
    client: str = "",
) -> list[ResultView]:
    """Results the principal may see (of one operation, one kind, or given ids), logged."""
    stmt = _results_statement(
        operation_ids=[operation_id] if operation_id is not None else None, kind=kind
    )
    details: dict[str, Any] = {}
    if operation_id is not None:
        details["operation"] = operation_id
    if kind:
        details["kind"] = kind
    if ids is not None:
        stmt = stmt.where(OperationResult.id.in_(list(ids)))
    got = reads.consult(
        engine, principal, OperationResult, stmt, justification=justification,
        client=client, details=details,
    )  # fmt: skip
    names = _names_of(engine, principal, {r.operation_id for r in got.records})
    return [result_view(r, names.get(r.operation_id)) for r in got.records]


def _names_of(engine: Engine, principal: Principal, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    with Session(engine) as db:
        rows = db.scalars(
            policy.scope(principal, select(Operation).where(Operation.id.in_(wanted)), Operation)
        )
        return {op.id: op.name for op in rows}


def result(
    engine: Engine,
    principal: Principal,
    result_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> ResultView:
    got = reads.get(
        engine, principal, OperationResult, result_id, justification=justification, client=client
    )
    found = got.records[0]
    names = _names_of(engine, principal, {found.operation_id})
    return result_view(found, names.get(found.operation_id))


def check_values(kind: str, values: Mapping[str, Any], *, partial: bool) -> list[Problem]:
    """The problems of a half-filled form, for the as-you-type check (reads no record)."""
    form = OPERATION_FORM if kind == "operation" else result_form(kind)
    _, problems = form.check(values, partial=partial)
    return problems


def form_for(kind: str) -> Form:
    if kind == "operation":
        return OPERATION_FORM
    return result_form(kind)


__all__ = [
    "OPERATION_FORM",
    "InputError",
    "OperationView",
    "ResultView",
    "check_values",
    "correct_result",
    "operation",
    "operations",
    "record_operation",
    "record_result",
    "result",
    "results",
    "store_operation",
    "store_result",
]
