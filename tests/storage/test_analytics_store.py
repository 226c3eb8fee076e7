"""The analytics store object: opening, its typed queries against plain SQL, closing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from harmwatch.errors import NotFoundError, UserError
from harmwatch.storage.analytics import (
    LATEST_VERSION,
    AnalyticsStore,
    StoreMissingError,
    StreetScope,
)


def sql(db: Path, query: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def test_a_missing_store_is_a_user_error_and_still_a_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError, match="harmwatch ingest") as caught:
        AnalyticsStore.open(tmp_path / "none.duckdb")
    assert isinstance(caught.value, UserError) and isinstance(caught.value, NotFoundError)
    assert isinstance(caught.value, FileNotFoundError)  # the web's data page catches this
    assert not (tmp_path / "none.duckdb").exists()


def test_a_new_store_is_created_at_the_latest_schema(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "new.duckdb"
    with AnalyticsStore.open(db, read_only=False) as store:
        assert store.schema_version() == LATEST_VERSION
        assert [m.version for m in store.applied_migrations()] == list(range(1, LATEST_VERSION + 1))
        assert all(m.applied_at is not None for m in store.applied_migrations())
        assert store.street_forces() == [] and store.current_loads() == []
    with AnalyticsStore.open(db) as store, pytest.raises(ValueError, match="read-only"):
        store.staging()


def test_the_context_manager_closes_the_connection(sample_db: Path) -> None:
    with AnalyticsStore.open(sample_db) as store:
        assert store.street_forces()
    with pytest.raises(duckdb.ConnectionException):
        store.street_forces()


def test_street_queries_agree_with_plain_sql(sample_db: Path) -> None:
    forces = ("hertfordshire", "bedfordshire")
    with AnalyticsStore.open(sample_db) as store:
        assert store.street_forces() == ["bedfordshire", "cambridgeshire", "hertfordshire"]
        assert store.dataset_forces() == store.street_forces()
        assert "Drugs" in store.street_crime_types(forces)
        drugs = StreetScope(forces=forces, crime_types=("Drugs",), months=("2025-03", "2025-04"))
        points = store.street_points(drugs)
        unlocated = store.street_count(drugs, located=False)
        by_month = store.street_counts_by_month(drugs)
        nothing = store.street_count(StreetScope(forces=()))
        districts = store.district_counts(("hertfordshire",))
        in_stalbans = store.street_count(
            StreetScope(forces=("hertfordshire",), district="St Albans")
        )
        no_lsoa = store.street_count(StreetScope(forces=("hertfordshire",), lsoa_name_missing=True))
        covered = store.covered_months(forces)
    expected = sql(
        sample_db,
        "SELECT count(*) FILTER (WHERE x IS NOT NULL), count(*) FILTER (WHERE x IS NULL) "
        "FROM street WHERE force IN ('hertfordshire', 'bedfordshire') AND crime_type = 'Drugs' "
        "AND month IN ('2025-03-01'::DATE, '2025-04-01'::DATE)",
    )[0]
    assert (len(points.x), unlocated) == expected
    assert sum(by_month.values()) == sum(expected) and set(by_month) == {"2025-03", "2025-04"}
    assert set(np.unique(points.force)) == set(forces) and np.isfinite(points.x).all()
    assert nothing == 0  # an empty tuple matches nothing; None would mean every force
    assert (
        in_stalbans
        == districts["St Albans"]
        == sql(
            sample_db,
            "SELECT count(*) FROM street WHERE force = 'hertfordshire' "
            "AND starts_with(lsoa_name, 'St Albans ')",
        )[0][0]
    )
    assert (
        no_lsoa
        == sql(
            sample_db,
            "SELECT count(*) FROM street WHERE force = 'hertfordshire' AND lsoa_name IS NULL",
        )[0][0]
    )
    assert covered == [f"2025-{m:02d}" for m in range(1, 13)]
