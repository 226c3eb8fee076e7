"""The kernel's tests run on SQLite and on a real PostgreSQL server (tests/_postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sample_records import sample_notes_declared
from sqlalchemy import Engine


@pytest.fixture
def notes_engine(records_engine: Engine) -> Iterator[Engine]:
    """A migrated records database with the sample note type declared and its table made."""
    with sample_notes_declared(records_engine):
        yield records_engine
