"""Helpers shared by the programmes tests (a plain module: test folders have no __init__.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.programmes import service
from harmwatch.security.roles import Role

FORCE, OTHER_FORCE = "hertfordshire", "bedfordshire"
UNIT, OTHER_UNIT = "dacorum-snt", "stevenage-snt"
WHY = "Op Harbour: programme tests, checking outcomes"


def who(role: Role, unit: str = UNIT, force: str = FORCE, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{force}-{unit}", role, force, frozenset({unit}))


OFFICER = who(Role.NEIGHBOURHOOD_OFFICER, name="officer")


def programme(
    engine: Engine, type_key: str, name: str, by: Principal = OFFICER, **extra: Any
) -> int:
    values = {"name": name, "programme_type": type_key, "starts_on": "2025-01-01", **extra}
    return service.create_programme(engine, by, values).id


def event(
    engine: Engine,
    programme_id: int,
    kind: str,
    on: date | str,
    participant: str | None = None,
    by: Principal = OFFICER,
    **fields: Any,
) -> service.EventView:
    values: dict[str, Any] = {"occurred_on": str(on), **fields}
    if participant is not None:
        values["participant"] = participant
    return service.record_event(engine, by, programme_id, kind, values, WHY)
