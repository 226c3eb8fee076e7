"""A clock the tests move by hand (the records databases come from tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


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
