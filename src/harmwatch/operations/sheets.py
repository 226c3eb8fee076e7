"""The operations room's record types as bulk templates: an operation, and each result kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.forms import SheetKind
from harmwatch.kernel.work import Work

from . import service
from .kinds import OPERATIONS, RESULTS
from .models import Operation, OperationResult
from .results import RESULT_FORMS


def _operation_values(db: Session, record: Operation) -> dict[str, Any]:
    view = service.operation_view(record)
    return {
        "name": view.name,
        "lead_force": view.lead_force,
        "partner_forces": tuple(view.partner_forces),
        "partner_agencies": tuple(view.partner_agencies),
        "starts_on": view.starts_on,
        "ends_on": view.ends_on,
        "aims": view.aims,
        "linked_entities": tuple(view.linked_entities),
    }


def _store_operation(work: Work, values: dict[str, Any]) -> Operation:
    return service.store_operation(work, values)


def _result_sheet(kind: str) -> SheetKind:
    def store(work: Work, values: dict[str, Any]) -> OperationResult:
        return service.store_result(work, kind, values)

    def values(db: Session, record: OperationResult) -> dict[str, Any]:
        principal = db.info.get("principal")
        name = None
        if record.operation_id is not None and principal is not None:
            op = db.scalars(
                policy.scope(
                    principal,
                    select(Operation).where(Operation.id == record.operation_id),
                    Operation,
                )
            ).first()
            name = op.name if op else None
        return service.result_view(record, name).values()

    return SheetKind(
        form=RESULT_FORMS[kind],
        record_type=RESULTS,
        store=store,
        values=values,
        statement=lambda: (
            select(OperationResult)
            .where(OperationResult.result_kind == kind)
            .order_by(OperationResult.occurred_on, OperationResult.id)
        ),
    )


SHEETS: tuple[SheetKind, ...] = (
    SheetKind(
        form=service.OPERATION_FORM,
        record_type=OPERATIONS,
        store=_store_operation,
        values=_operation_values,
        statement=lambda: select(Operation).order_by(Operation.starts_on, Operation.id),
    ),
    *(_result_sheet(kind) for kind in RESULT_FORMS),
)
