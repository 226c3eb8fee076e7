"""Helpers for the casework, custody and verify tests (a plain module: no __init__.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from harmwatch.forensics import casework, providers
from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role
from harmwatch.storage import models

FORCE = "hertfordshire"
UNIT = "herts-forensics"
WHY = "Op Retest: forensic casework tests"


def who(role: Role, force: str = FORCE, unit: str = UNIT, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{force}", role, force, frozenset({unit}))


REVIEWER = who(Role.FORENSIC_REVIEWER, name="reviewer")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def freeze(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    monkeypatch.setattr(models, "utcnow", lambda: at)


def case_form(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": "HC/2024/0001",
        "offence_code": "RTA5A",
        "cj_status": "awaiting-trial",
        "next_hearing_on": "2025-04-07",
        "court": "magistrates",
        "custody_status": "bailed",
        "officer_in_charge": "PC 123 Example",
        "subject_label": "Alex Fictional",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def exhibit_form(case_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "case_id": case_id,
        "reference": "AB/1",
        "exhibit_type": "blood",
        "test_requested": "s5A drug-driving panel",
        "taken_at": "2025-03-01 23:40",
        "sent_on": "2025-03-03",
        "received_on": "2025-03-04",
        "remaining_quantity": "4.5",
        "remaining_unit": "mL",
        "storage_location": "Lab freezer 2",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def setup_exhibit(engine: Engine, **exhibit: Any) -> tuple[int, int, int]:
    """A provider with one laboratory, a case and an exhibit tested there: their ids."""
    made = providers.add_provider(
        engine,
        REVIEWER,
        {"name": "Fictional Toxicology Ltd", "accredited_from": "2015-01-01", "fictional": "yes"},
        laboratories=({"name": "Northgate Lab"},),
    )
    lab = made.laboratories[0]["id"]
    case = casework.add_case(engine, REVIEWER, case_form(), WHY)
    shown = casework.add_exhibit(
        engine,
        REVIEWER,
        exhibit_form(case.id, provider_id=made.id, laboratory_id=lab, **exhibit),
        WHY,
    )
    return made.id, case.id, shown.id


def event(**values: Any) -> dict[str, Any]:
    base = {"handled_by": "PC 123 Example", "location": "Hatfield custody suite"}
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


#: A clean chain: seized and sealed, sent to the laboratory, received, opened, sampled,
#: resealed and stored.
CLEAN = (
    event(at="2025-03-01 23:45", action="seized", seal_number="S100"),
    event(at="2025-03-01 23:50", action="sealed", seal_number="S100"),
    event(
        at="2025-03-03 09:00", action="transferred", location="Northgate Lab", seal_number="S100"
    ),
    event(
        at="2025-03-04 10:00",
        action="received",
        handled_by="Lab clerk J",
        location="Northgate Lab",
        seal_number="S100",
    ),
    event(at="2025-03-05 10:00", action="opened", handled_by="Analyst K", location="Northgate Lab"),
    event(
        at="2025-03-05 10:30", action="sampled", handled_by="Analyst K", location="Northgate Lab"
    ),
    event(
        at="2025-03-05 11:00",
        action="resealed",
        handled_by="Analyst K",
        location="Northgate Lab",
        seal_number="S200",
    ),
    event(
        at="2025-03-05 11:10",
        action="stored",
        handled_by="Analyst K",
        location="Northgate Lab",
        seal_number="S200",
    ),
)
