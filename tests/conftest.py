"""Fixtures shared across the suite: the real police.uk data in ../shared/data, and records
databases on SQLite and on a real PostgreSQL server (tests/_postgres.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from _postgres import (  # noqa: F401  (fixtures: records databases on SQLite and PostgreSQL)
    fast_hashing,
    fresh_postgres_url,
    pg_server,
    records_engine,
    records_url,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
POLICE_UK = SHARED / "police-uk"


def herts_2021_street() -> list[Path]:
    return sorted(POLICE_UK.glob("202[12]-*/*-hertfordshire-street.csv.gz"))[:13]


@pytest.fixture(scope="session", autouse=True)
def audit_keys_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """PostgreSQL test databases' chain keys go to a temporary folder, not the user's home."""
    from harmwatch.security.audit_key import KEY_DIR_ENV

    os.environ[KEY_DIR_ENV] = str(tmp_path_factory.mktemp("audit-keys"))


@pytest.fixture(scope="session")
def police_uk() -> Path:
    if not POLICE_UK.exists():
        pytest.skip(f"real police.uk data not found at {POLICE_UK}")
    return POLICE_UK


@pytest.fixture(scope="session")
def full_db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared police.uk file, loaded once for the session."""
    from harmwatch.sources.policeuk.ingest import ingest

    db = tmp_path_factory.mktemp("full") / "all.duckdb"
    ingest([police_uk], db)
    return db


@pytest.fixture(scope="session")
def herts_db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hertfordshire street crimes 2021-01…2022-01 (13 consecutive months, LSOA 2011 codes)."""
    from harmwatch.sources.policeuk.ingest import ingest

    files = herts_2021_street()
    assert len(files) == 13 and files[0].name.startswith("2021-01")
    db = tmp_path_factory.mktemp("herts") / "herts.duckdb"
    ingest(files, db)
    return db
