"""The one way a room reads personal records: scoped, justified and logged together.

Every list, search, count, single-record view and export of a record type goes
through these functions, which run the query under the record policy
(:func:`~harmwatch.kernel.policy.scope`), require a justification for personal
kinds, and write the consultation or disclosure entry — naming the records returned
— in the same transaction as the read. A refused read (no justification, a role that
may not read the kind, a record of another unit) is logged too, as ``denied`` or
``refused``, before the refusal reaches the user.

Handling code C: its conditions come back with every record (:attr:`Read.conditions`)
for the view to show, and an export is refused until the exporter acknowledges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, Select, func, select

from harmwatch.errors import UserError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import Justification, resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import HandlingCode, RecordMixin
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

R = TypeVar("R", bound=RecordMixin)

#: An entry names at most this many records (and says how many there were in all).
MAX_REFS_LOGGED = 1000


class ConditionsNotAcknowledged(UserError):
    """An export includes handling-code C records whose conditions were not acknowledged."""

    http_status = 409


@dataclass
class Read(Generic[R]):
    """Records read under the policy, with the handling conditions to show beside them."""

    records: list[R]
    justification: Justification | None
    conditions: dict[str, str] = field(default_factory=dict)  # record ref -> C conditions


def _conditions(records: Sequence[RecordMixin]) -> dict[str, str]:
    return {
        str(r.ref): str(r.handling_conditions)
        for r in records
        if r.handling_code == HandlingCode.C.value
    }


def _refs_details(records: Sequence[RecordMixin]) -> dict[str, Any]:
    refs = [str(r.ref) for r in records]
    out: dict[str, Any] = {"rows": len(refs), "records": refs[:MAX_REFS_LOGGED]}
    if len(refs) > MAX_REFS_LOGGED:
        out["records_not_listed"] = len(refs) - MAX_REFS_LOGGED
    return out


def _justify(
    principal: Principal, model: type[RecordMixin], typed: str | None, what: str
) -> Justification | None:
    if not policy.record_type(model).personal:
        return Justification.typed(typed) if typed and typed.strip() else None
    return resolve(principal, typed, what=what)


def _check_kind(principal: Principal, model: type[RecordMixin], purpose: policy.Purpose) -> None:
    rtype = policy.record_type(model)
    if purpose is policy.Purpose.READ and not rtype.read.granted(principal.role):
        raise policy.PolicyDenied(f"your role ({principal.role}) may not see {rtype.title}")


def consult(
    engine: Engine,
    principal: Principal,
    model: type[R],
    statement: Select[Any] | None = None,
    *,
    justification: str | None,
    target: RecordRef | None = None,
    client: str = "",
    details: dict[str, Any] | None = None,
    purpose: policy.Purpose = policy.Purpose.READ,
) -> Read[R]:
    """A list or search: the rows of ``statement`` (default: all) the principal may see."""
    rtype = policy.record_type(model)
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        target or RecordRef(rtype.kind, "*"),
        client=client,
        details=details,
    ) as work:
        _check_kind(principal, model, purpose)
        why = work.justify(_justify(principal, model, justification, f"reading {rtype.title}"))
        stmt = statement if statement is not None else select(model)
        rows = list(work.db.scalars(policy.scope(principal, stmt, model, purpose)))
        work.details.update(_refs_details(rows))
        return Read(rows, why, _conditions(rows))


def count(
    engine: Engine,
    principal: Principal,
    model: type[RecordMixin],
    condition: Any = None,
    *,
    justification: str | None,
    client: str = "",
) -> int:
    """How many records the principal may see (itself a consultation: it reveals something)."""
    rtype = policy.record_type(model)
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        RecordRef(rtype.kind, "*"),
        client=client,
        details={"count": True},
    ) as work:
        _check_kind(principal, model, policy.Purpose.READ)
        work.justify(_justify(principal, model, justification, f"counting {rtype.title}"))
        stmt = select(func.count()).select_from(model)
        if condition is not None:
            stmt = stmt.where(condition)
        n = int(work.db.scalar(policy.scope(principal, stmt, model)) or 0)
        work.details["rows"] = n
        return n


def get(
    engine: Engine,
    principal: Principal,
    model: type[R],
    record_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> Read[R]:
    """One record by id. One the principal may not see is answered as not found, and the
    attempt is logged as ``denied`` (it exists) or ``refused`` (it does not)."""
    rtype = policy.record_type(model)
    ref = RecordRef(rtype.kind, str(record_id))
    with unit_of_work(engine, principal, AuditAction.CONSULTATION, ref, client=client) as work:
        _check_kind(principal, model, policy.Purpose.READ)
        why = work.justify(_justify(principal, model, justification, f"reading {ref}"))
        found = policy.visible_one(work.db, principal, model, record_id)
        return Read([found], why, _conditions([found]))


def disclose(
    engine: Engine,
    principal: Principal,
    model: type[R],
    statement: Select[Any] | None = None,
    *,
    justification: str | None,
    recipient: str | None = None,
    acknowledge_conditions: bool = False,
    target: RecordRef | None = None,
    client: str = "",
    details: dict[str, Any] | None = None,
) -> Read[R]:
    """An export or transfer: like :func:`consult`, logged as a disclosure with its
    recipient, and refused while any handling-code C record's conditions are unacknowledged."""
    rtype = policy.record_type(model)
    with unit_of_work(
        engine,
        principal,
        AuditAction.DISCLOSURE,
        target or RecordRef(rtype.kind, "*"),
        client=client,
        details=details,
        recipient=recipient,
    ) as work:
        _check_kind(principal, model, policy.Purpose.READ)
        why = work.justify(_justify(principal, model, justification, f"exporting {rtype.title}"))
        stmt = statement if statement is not None else select(model)
        rows = list(work.db.scalars(policy.scope(principal, stmt, model)))
        conditions = _conditions(rows)
        work.details.update(_refs_details(rows))
        if conditions:
            work.details["handling_conditions"] = conditions
            if not acknowledge_conditions:
                listed = "; ".join(f"{ref}: {text}" for ref, text in conditions.items())
                raise ConditionsNotAcknowledged(
                    f"{len(conditions)} record(s) carry handling code C; acknowledge their "
                    f"conditions before exporting: {listed}"
                )
            work.details["conditions_acknowledged"] = True
        return Read(rows, why, conditions)
