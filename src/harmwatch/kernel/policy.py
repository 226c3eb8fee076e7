"""Record-level policy, closed by default: :func:`require` for one record, :func:`scope` for queries.

A route rule says whether a role may open a page; it cannot say *which* records the
page may show. That is decided here, for every record type alike, from the record's
envelope (:mod:`harmwatch.kernel.records`) and the caller (:class:`Principal`):

1. the caller's role must hold the record type's ``read`` capability (``write`` to
   change it): a kind nobody declared a policy for is refused to everyone;
2. ``force`` records: the owning force, and forces (or single units of a force) it is
   shared with;
3. ``restricted`` records: only the owning unit and the units it is shared with;
   a share lends sight only: changing, resharing or deleting a record stays with
   the owning force (and, if restricted, the owning unit);
4. subject access and review (:data:`Purpose.SUBJECT_ACCESS`): the data protection
   officer of a force sees every record the force owns or was shared, whatever the
   unit, because answering "what do we hold about this person?" must find it all.

:func:`scope` adds the same rule to a query as SQL, so a list, search, count or
export can never include what the caller may not see, and marks the query as
scoped. The query guard (:func:`install_query_guard`, installed on import) refuses
any ORM query that reads a record table without that mark: a record service that
forgets the policy fails the first test that runs it — the way a route without a
rule fails the route-table test — and fails closed in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, and_, event, exists, false, func, or_, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import ColumnElement

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import SUBJECT_ACCESS
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import RecordMixin, RecordType, Restriction
from harmwatch.kernel.rooms import record_types
from harmwatch.storage.models import RecordShare

S = TypeVar("S", bound=Select[Any])

POLICY_OPTION = "harmwatch_policy"


class Purpose(StrEnum):
    READ = "read"
    SUBJECT_ACCESS = "subject-access"  # also MoPI review


class PolicyDenied(UserError):
    """The policy refuses this act on this record (or kind). Shown as "not allowed"."""

    http_status = 403


class UnscopedRecordQuery(RuntimeError):
    """A defect: a record table was read without :func:`scope`. Never a user error."""


# Record types registered outside the installed rooms (the tests' sample type).
_extra_types: dict[str, RecordType] = {}


def record_type(kind_or_model: str | type[RecordMixin] | RecordMixin) -> RecordType:
    """The declaration of a record kind; :class:`PolicyDenied` for an undeclared one."""
    if isinstance(kind_or_model, str):
        kind = kind_or_model
    else:
        kind = getattr(kind_or_model, "record_kind", "")
    if kind in _extra_types:
        return _extra_types[kind]
    for rtype in record_types():
        if rtype.kind == kind:
            return rtype
    raise PolicyDenied(f"no policy is declared for records of kind {kind!r}, so they are closed")


def all_record_types() -> list[RecordType]:
    return [*record_types(), *_extra_types.values()]


@contextmanager
def registered(rtype: RecordType) -> Iterator[RecordType]:
    """Declare a record type for the length of a block (a test's sample type, a plug-in)."""
    if rtype.kind in _extra_types or any(t.kind == rtype.kind for t in record_types()):
        raise ValueError(f"record kind {rtype.kind!r} is already declared")
    _extra_types[rtype.kind] = rtype
    try:
        yield rtype
    finally:
        del _extra_types[rtype.kind]


def _may_read_kind(principal: Principal, rtype: RecordType, purpose: Purpose) -> bool:
    if purpose is Purpose.SUBJECT_ACCESS:
        return SUBJECT_ACCESS.granted(principal.role)
    return rtype.read.granted(principal.role)


def visible(
    principal: Principal, model: type[RecordMixin], purpose: Purpose = Purpose.READ
) -> ColumnElement[bool]:
    """The SQL condition: rows of ``model`` the principal may see (see the module docstring)."""
    rtype = record_type(model)
    if not principal.force or not _may_read_kind(principal, rtype, purpose):
        return false()
    share = RecordShare
    shared = and_(
        share.kind == rtype.kind,
        share.record_id == model.id,
        share.force == principal.force,
    )
    units = sorted(principal.units)
    force_level = or_(
        model.owning_force == principal.force,
        exists().where(shared, or_(share.unit == "", share.unit.in_(units))),
    )
    if purpose is Purpose.SUBJECT_ACCESS:
        return force_level
    unit_level = or_(
        and_(model.owning_force == principal.force, model.owning_unit.in_(units)),
        exists().where(shared, share.unit.in_(units)),
    )
    return or_(
        and_(model.restriction != Restriction.RESTRICTED.value, force_level),
        and_(model.restriction == Restriction.RESTRICTED.value, unit_level),
    )


def scope(
    principal: Principal,
    statement: S,
    model: type[RecordMixin],
    purpose: Purpose = Purpose.READ,
) -> S:
    """``statement`` narrowed to what ``principal`` may see of ``model``, and marked scoped.

    Use it for every read of a record table: lists, searches, counts
    (``select(func.count()).select_from(Model)``), exports. Joins to other record
    tables need their own :func:`visible` condition added.
    """
    return statement.where(visible(principal, model, purpose)).execution_options(
        **{POLICY_OPTION: principal.actor}
    )


def privileged(statement: S, reason: str) -> S:
    """Mark a kernel-internal read that must see past the policy, saying why.

    Only the kernel uses it (telling a denied read from a missing record, so the
    denial can be logged); a room that needs it has a policy gap to fix instead.
    """
    if len(reason) < 10:
        raise ValueError("say why the policy is bypassed")
    return statement.execution_options(**{POLICY_OPTION: f"privileged: {reason}"})


R = TypeVar("R", bound=RecordMixin)


def visible_one(
    session: Session,
    principal: Principal,
    model: type[R],
    record_id: int,
    purpose: Purpose = Purpose.READ,
    *,
    what: str | None = None,
) -> R:
    """The record ``record_id`` of ``model`` if ``principal`` may see it (``what``: its
    name in the message, e.g. "safeguarding referral"; default the record type's title).

    One the principal may not see is answered as not found, whether it exists or not,
    so a refusal tells nothing; but it is raised as :class:`PolicyDenied` when it
    exists and :class:`~harmwatch.errors.NotFoundError` when it does not, so that the
    unit of work logs it as ``denied`` or ``refused`` — the log tells the truth.
    """
    from harmwatch.errors import NotFoundError

    if not 1 <= record_id <= 2**63 - 1:  # no such id can be stored: not found, before the driver
        raise NotFoundError(f"no {what or record_type(model).title} {record_id}")
    found = session.scalars(
        scope(principal, select(model).where(model.id == record_id), model, purpose)
    ).first()
    if found is not None:
        return found
    exists = session.scalar(
        privileged(
            select(func.count()).select_from(model).where(model.id == record_id),
            "tell a denied act from a missing record, to log it",
        )
    )
    message = f"no {what or record_type(model).title} {record_id} that you may see"
    if exists:
        raise PolicyDenied(message)
    raise NotFoundError(message)


def _shares(session: Session, record: RecordMixin) -> list[tuple[str, str]]:
    rows = session.execute(
        select(RecordShare.force, RecordShare.unit).where(
            RecordShare.kind == record.record_kind, RecordShare.record_id == record.id
        )
    ).all()
    return [(str(f), str(u)) for f, u in rows]


def may(
    session: Session,
    principal: Principal,
    action: AuditAction,
    record: RecordMixin,
    purpose: Purpose = Purpose.READ,
) -> bool:
    """The same rule as :func:`visible`, for one record already in hand, and for ``action``."""
    rtype = record_type(record)
    writing = action in (AuditAction.ALTERATION, AuditAction.ERASURE, AuditAction.COLLECTION)
    if (
        writing
        and purpose is not Purpose.SUBJECT_ACCESS
        and not rtype.write.granted(principal.role)
    ):
        return False
    if not principal.force or not _may_read_kind(principal, rtype, purpose):
        return False
    mine = record.owning_force == principal.force
    if writing and purpose is not Purpose.SUBJECT_ACCESS:
        # A share lends sight, not ownership: only the owning force (and, for a
        # restricted record, the owning unit) changes, reshares or deletes it.
        if record.restriction == Restriction.RESTRICTED.value:
            return mine and record.owning_unit in principal.units
        return mine
    shares = _shares(session, record)
    force_level = mine or any(
        f == principal.force and (u == "" or u in principal.units) for f, u in shares
    )
    if purpose is Purpose.SUBJECT_ACCESS or record.restriction != Restriction.RESTRICTED.value:
        return force_level
    return (mine and record.owning_unit in principal.units) or any(
        f == principal.force and u in principal.units for f, u in shares
    )


def require(
    session: Session,
    principal: Principal,
    action: AuditAction,
    record: RecordMixin,
    purpose: Purpose = Purpose.READ,
) -> None:
    """:class:`PolicyDenied` unless ``principal`` may do ``action`` to ``record``."""
    if not may(session, principal, action, record, purpose):
        raise PolicyDenied(f"you may not {_verb(action)} {record.ref}")


def require_collect(
    principal: Principal, rtype: RecordType, owning_force: str, owning_unit: str
) -> None:
    """A new record must be owned by the creator's own force and one of their units."""
    if not rtype.write.granted(principal.role):
        raise PolicyDenied(f"your role ({principal.role}) may not create {rtype.title}")
    if owning_force != principal.force or owning_unit not in principal.units:
        raise PolicyDenied(
            f"a new {rtype.title} must be owned by your force and one of your units "
            f"({principal.force or 'none'}: {', '.join(sorted(principal.units)) or 'none'})"
        )


def share(
    session: Session, principal: Principal, record: RecordMixin, force: str, unit: str = ""
) -> RecordShare:
    """Share ``record`` with another force (``unit`` "") or one unit of a force.

    Only someone who may change the record may share it; the caller's unit of work
    logs it (as an alteration of the record).
    """
    require(session, principal, AuditAction.ALTERATION, record)
    from harmwatch.storage import models

    row = RecordShare(
        kind=record.record_kind,
        record_id=record.id,
        force=force.strip().lower(),
        unit=unit.strip().lower(),
        shared_at=models.utcnow(),
        shared_by=principal.actor,
    )
    session.add(row)
    session.flush()
    return row


def _verb(action: AuditAction) -> str:
    return {
        AuditAction.CONSULTATION: "see",
        AuditAction.DISCLOSURE: "export or disclose",
        AuditAction.ALTERATION: "change",
        AuditAction.ERASURE: "delete",
        AuditAction.COLLECTION: "create",
        AuditAction.COMBINATION: "combine",
    }.get(action, str(action))


# -- the query guard -------------------------------------------------------------


def record_tables() -> set[str]:
    """Names of every table holding records (every mapped subclass of RecordMixin)."""
    names: set[str] = set()
    pending = list(RecordMixin.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if table is not None:
            names.add(table.name)
    return names


def _tables_read(statement: Any) -> set[str]:
    return {
        t.name for t in sql_util.find_tables(statement, include_aliases=True, include_joins=True)
    }


def _guard(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(POLICY_OPTION):
        return
    touched = _tables_read(state.statement) & record_tables()
    if touched:
        raise UnscopedRecordQuery(
            f"a query reads {', '.join(sorted(touched))} without the record policy: "
            "build it with harmwatch.kernel.policy.scope(principal, statement, Model)"
        )


_installed = False


def install_query_guard() -> None:
    """Refuse unscoped reads of record tables in every ORM session (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Session, "do_orm_execute", _guard)
        _installed = True


install_query_guard()
__all__ = [
    "PolicyDenied",
    "Purpose",
    "UnscopedRecordQuery",
    "may",
    "privileged",
    "record_type",
    "registered",
    "require",
    "require_collect",
    "scope",
    "share",
    "visible",
    "visible_one",
]
