"""Sharing an intelligence record with another unit or force (need-to-know, widened on purpose).

A share lends sight, not ownership (the kernel's rule): the other unit sees the report,
entity or link as if it were its own, but only the owner changes, reshares or deletes
it. Each share is an alteration of the record, logged with whom it was shared.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal, check_unit
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from .kinds import ENTITIES, LINKS, REPORTS

_TYPES = {t.kind: t for t in (REPORTS, ENTITIES, LINKS)}


def share(
    engine: Engine, by: Principal, record: str, force: str, unit: str = "", *, client: str = ""
) -> None:
    """Share ``record`` (``intelligence-report:3``) with ``force`` or one ``unit`` of it."""
    try:
        ref = RecordRef.parse(record)
    except ValueError:
        raise InputError(f"record: {record!r} is not kind:id") from None
    rtype = _TYPES.get(ref.kind)
    if rtype is None or not ref.id.isdigit():
        raise InputError(f"record: {record!r}; share an {', '.join(_TYPES)} by kind:id")
    if not force.strip():
        raise InputError("force: the force to share with (e.g. bedfordshire)")
    target_unit = check_unit(unit) if unit.strip() else ""
    with unit_of_work(
        engine,
        by,
        AuditAction.ALTERATION,
        ref,
        client=client,
        details={"share": f"{force.strip().lower()}/{target_unit or '(whole force)'}"},
    ) as work:
        model = rtype.model
        found = work.db.scalars(
            policy.scope(by, select(model).where(model.id == int(ref.id)), model)
        ).first()
        if found is None:
            raise NotFoundError(f"no {rtype.title} {ref.id} that you may see")
        policy.share(work.db, by, found, force, target_unit)
