"""Helpers for the seizure and price-table tests: who acts, a price file, a recorded seizure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from harmwatch.kernel.principal import Principal
from harmwatch.operations import service
from harmwatch.operations.models import PriceTable, SeizureValuation
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

FORCE, UNIT = "hertfordshire", "dacorum-cid"
WHY = "Op Price: seizure valuation tests"
ANALYST = Principal("ana", Role.ANALYST, FORCE, frozenset({UNIT}))
OFFICER = Principal("pc", Role.NEIGHBOURHOOD_OFFICER, FORCE, frozenset({UNIT}))
PCC = Principal("pcc", Role.PCC_VIEWER, FORCE, frozenset({UNIT}))
ESSEX = Principal("ess", Role.ANALYST, "essex", frozenset({"basildon-cid"}))
HEADER = "drug,form,region,unit,low,high\n"


def price_file(folder: Path, name: str, *rows: str) -> Path:
    """A CSV price file with ``rows`` (each ``drug,form,region,unit,low,high``)."""
    path = folder / name
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def seize(engine: Engine, by: Principal = OFFICER, **fields: Any) -> int:
    """Record a drug seizure through the operations service; its id (valued on entry)."""
    values: dict[str, Any] = {
        "occurred_on": "2025-03-01",
        "officer": "PC 1234",
        "drug": "cocaine",
        "form": "powder",
        "quantity": "1.5",
        "unit": "kg",
        "location": "a flat in Hemel Hempstead",
    }
    values.update(fields)
    done = service.record_result(engine, by, "drug-seizure", values, WHY)
    return done.id


def tables_named(engine: Engine, name: str) -> int:
    with session_scope(engine) as db:
        return int(
            db.scalar(select(func.count()).select_from(PriceTable).where(PriceTable.name == name))
            or 0
        )


def valuations_of(engine: Engine, result_id: int) -> list[tuple[int, int, int, str]]:
    """(table id, low, high, reason) of every valuation of a result, oldest first."""
    with session_scope(engine) as db:
        rows = db.scalars(
            select(SeizureValuation)
            .where(SeizureValuation.result_id == result_id)
            .order_by(SeizureValuation.valued_at, SeizureValuation.id)
        ).all()
        return [(r.price_table_id, r.low_pence, r.high_pence, r.reason) for r in rows]


def log(engine: Engine, actor: str) -> list[audit.AuditEntry]:
    """The actor's entries, oldest first."""
    with session_scope(engine) as db:
        return list(reversed(audit.query(db, actor=actor, limit=None)))
