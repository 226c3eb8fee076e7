"""Fixtures shared across the suite: the real police.uk data in ../shared/data, and records
databases on SQLite and on a real PostgreSQL server (tests/_postgres.py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import settings

from _postgres import (  # noqa: F401  (fixtures: records databases on SQLite and PostgreSQL)
    fast_hashing,
    fresh_postgres_url,
    pg_server,
    records_engine,
    records_url,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
POLICE_UK = SHARED / "police-uk"
# The sample bundled with the package (what `harmwatch demo` loads).
SAMPLE = Path(str(resources.files("harmwatch") / "sample_data" / "police-uk"))

# Property tests draw the same examples on every run, and nothing is replayed from a local
# example database: a test must not pass or fail by chance, nor differ between two clones.
settings.register_profile("harmwatch", derandomize=True, database=None)
settings.load_profile("harmwatch")


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
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample (three forces' street crimes, 2025-01…2025-12), loaded once.

    Shared by every test that reads it; a test that writes copies it first.
    """
    from harmwatch.sources.policeuk.ingest import ingest

    db = tmp_path_factory.mktemp("sample") / "analytics.duckdb"
    ingest([SAMPLE], db)
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


def bedfordshire_street(police_uk: Path) -> list[Path]:
    files = sorted(police_uk.glob("202[1-4]-*/*-bedfordshire-street.csv.gz"))
    assert len(files) == 36 and files[0].name.startswith("2021-05")
    assert files[-1].name.startswith("2024-04")
    return files


@pytest.fixture(scope="session")
def beds_db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bedfordshire street crimes 2021-05…2024-04: 36 consecutive months, LSOA 2021 codes."""
    from harmwatch.sources.policeuk.ingest import ingest

    db = tmp_path_factory.mktemp("beds") / "beds.duckdb"
    ingest(bedfordshire_street(police_uk), db)
    return db


@pytest.fixture(scope="session", autouse=True)
def data_home_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Logs and default databases go to a temporary folder, not the user's home."""
    os.environ.setdefault("HARMWATCH_HOME", str(tmp_path_factory.mktemp("harmwatch-home")))


class _InternalErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """A defect reported as "internal error, reference …" fails the test that caused it.

    The web app and the CLI turn unexpected exceptions into a reference, so a test
    that only checks the status code could pass over a bug; this catches every one.
    A test that provokes one on purpose marks itself ``internal_error_expected``.
    """
    from harmwatch.errors import INTERNAL_LOG

    handler = _InternalErrors()
    INTERNAL_LOG.addHandler(handler)
    try:
        yield
    finally:
        INTERNAL_LOG.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("internal_error_expected") is None:
        first = handler.records[0]
        pytest.fail(f"internal error during the test: {first.getMessage()}", pytrace=False)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The Spark equality tests skip where no Java is installed (a developer's laptop);
    # the project's own test command installs Java first and says so with this
    # variable, so there, and in CI, a missing Java fails the run instead of skipping.
    import shutil

    if os.environ.get("HARMWATCH_TESTS_NEED_JAVA") == "1" and shutil.which("java") is None:
        raise pytest.UsageError(
            "HARMWATCH_TESTS_NEED_JAVA=1 (set by scripts/test.sh) but no java is on PATH: "
            "scripts/system-deps.sh should have installed openjdk-17-jre-headless, so the "
            "Spark equality tests would be skipped, not run"
        )
