"""Records-database fixtures: each test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import sys
from pathlib import Path

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

__all__ = ["fast_hashing", "fresh_postgres_url", "pg_server", "records_engine", "records_url"]
