"""Helpers shared by the covert room's tests (a plain module: the test folders have no __init__.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role
from harmwatch.storage import models

FORCE = "hertfordshire"
UNIT, OTHER = "dacorum-cid", "stevenage-cid"
WHY = "Op Lantern: covert authorisation tests"


def who(role: Role, unit: str = UNIT, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{unit}", role, FORCE, frozenset({unit}))


OFFICER = who(Role.INTELLIGENCE_OFFICER, name="io-author")


def form(**overrides: Any) -> dict[str, Any]:
    """An authorisation's form values as typed: directed surveillance granted 1 January 2025."""
    values: dict[str, Any] = {
        "urn": "DS/2025/001",
        "authorisation_kind": "directed-surveillance",
        "subject": "Dee Fictional, of 1 Example Street",
        "operation": "Op Lantern",
        "applied_on": "2024-12-30",
        "applicant": "DC Applicant",
        "authorised_by": "Supt Authority",
        "authorising_rank": "Superintendent",
        "granted_on": "2025-01-01",
        "granted_time": "10:00",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


class Clock:
    """The records clock, set by a test (``harmwatch.storage.models.utcnow``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(models, "utcnow", lambda: self.at)

    def set(self, at: datetime) -> None:
        self.at = at
