"""Records-database fixtures: each test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from _postgres import (  # noqa: E402
    fast_hashing,
    fresh_postgres_url,
    pg_server,
    records_engine,
    records_url,
)

__all__ = [
    "Clock",
    "clock",
    "fast_hashing",
    "fresh_postgres_url",
    "pg_server",
    "records_engine",
    "records_url",
]


class Clock:
    """A clock the test moves by hand (every records-database timestamp reads it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from harmwatch.storage import models

    fake = Clock(datetime(2025, 6, 1, 9, 0, 0, 123456, tzinfo=UTC))
    monkeypatch.setattr(models, "utcnow", fake)
    return fake
