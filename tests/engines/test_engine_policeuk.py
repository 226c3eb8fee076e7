"""The police.uk aggregation gives the same answers on Spark in local mode as on DuckDB:
the groups themselves, hotspots (every cell's count, density, Gi* and class) and change
(every place: whole forces, a district, LSOA codes, a box), on real police.uk files.

The aggregation is one DuckDB-dialect statement (harmwatch.storage.analytics.aggregate);
Spark reads the store's Parquet part files directly, and the rows kept in the database
from before the part files through an export. One SparkSession serves the whole test
session. The Spark tests are skipped only where no Java runtime is installed at all; a
missing PySpark or a JVM that fails to start fails them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from sparkworld import bare_street, local_session, with_one_part_as_older_rows

from harmwatch.engines import EngineChoice, spark
from harmwatch.engines.policeuk import street_engine
from harmwatch.errors import InputError
from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.query.filter import FORCE_RECORDS, Filter
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.storage.analytics.aggregate import StreetGroups, district_of, street_groups
from harmwatch.where import selection
from harmwatch.where.hotspots import hotspots
from harmwatch.where.requests import HotspotsRequest

NO_JAVA = spark.java_runtime() is None
needs_java = pytest.mark.skipif(
    NO_JAVA, reason="no Java runtime: Spark needs openjdk-17-jre-headless (scripts/system-deps.sh)"
)
SPARK = EngineChoice("spark", "local[2]", parquet_in_place=True)


@pytest.fixture(scope="session")
def spark_local() -> Iterator[Any]:
    yield local_session()


@pytest.fixture(scope="module")
def two_forces(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hertfordshire 2021-01…2022-01 and Bedfordshire 2021-05…2022-01, real files."""
    from harmwatch.sources.policeuk.ingest import ingest

    herts = sorted(police_uk.glob("202[12]-*/*-hertfordshire-street.csv.gz"))[:13]
    beds = sorted(police_uk.glob("202[12]-*/*-bedfordshire-street.csv.gz"))[:9]
    assert herts[-1].name.startswith("2022-01") and beds[-1].name.startswith("2022-01")
    db = tmp_path_factory.mktemp("two-forces") / "two.duckdb"
    ingest([*herts, *beds], db)
    return db


@pytest.fixture(scope="module")
def with_older_rows(two_forces: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same store with some street rows kept as a store from before the part files
    keeps them: in the ``street_rows`` table, not in any part file."""
    return with_one_part_as_older_rows(
        two_forces, tmp_path_factory.mktemp("older") / "older.duckdb"
    )


SCOPES = {
    "everything": StreetScope(),
    "drugs in two months": StreetScope(crime_types=("Drugs",), months=("2021-06", "2021-07")),
    "one force, violence": StreetScope(
        forces=("bedfordshire",), crime_types=("Violence and sexual offences",)
    ),
    "a district": StreetScope(forces=("hertfordshire",), district="St Albans"),
    "no LSOA name": StreetScope(lsoa_name_missing=True),
    "nothing": StreetScope(forces=()),
}


def assert_same_groups(a: StreetGroups, b: StreetGroups) -> None:
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.x, b.x)  # NaN (no location) equal to NaN
    np.testing.assert_array_equal(a.y, b.y)
    for name in ("month", "force", "lsoa_code", "lsoa_name", "lsoa_named", "n"):
        assert getattr(a, name).tolist() == getattr(b, name).tolist(), name


def plain_count(db: Path, where: str = "TRUE") -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        located, unlocated = con.execute(
            "SELECT count(*) FILTER (WHERE x IS NOT NULL), count(*) FILTER (WHERE x IS NULL) "
            f"FROM street WHERE {where}"
        ).fetchall()[0]
    finally:
        con.close()
    return int(located), int(unlocated)


# -- without Spark ----------------------------------------------------------------------


def test_the_groups_hold_every_crime_once(two_forces: Path) -> None:
    with AnalyticsStore.open(two_forces) as store:
        groups = store.street_groups(StreetScope())
        drugs = store.street_groups(StreetScope(crime_types=("Drugs",)))
        points = store.street_points(StreetScope(crime_types=("Drugs",)))
    located, unlocated = plain_count(two_forces)
    assert (groups.total - groups.without_location, groups.without_location) == (
        located,
        unlocated,
    )
    # Far fewer groups than crimes: crimes share police.uk's map points.
    assert len(groups) < 0.8 * groups.total
    assert len(points.x) == plain_count(two_forces, "crime_type = 'Drugs'")[0]
    assert np.isfinite(points.x).all() and len(points.month) == len(points.x)
    con = duckdb.connect(str(two_forces), read_only=True)
    by_month = con.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM street WHERE crime_type = 'Drugs' "
        "GROUP BY 1"
    ).fetchall()
    con.close()
    assert drugs.counts_by_month() == dict(by_month)
    # Sorted here, so the order does not depend on the engine's parallel scan.
    order = np.lexsort((groups.month, groups.y, groups.x))
    assert (order == np.arange(len(groups))).all()


def test_a_district_is_the_lsoa_name_less_its_code() -> None:
    assert district_of("St Albans 012B") == "St Albans"
    assert district_of("North Hertfordshire 001A") == "North Hertfordshire"
    assert district_of("Nocode") == "Nocode" and district_of("Trailing ") == "Trailing "


def test_part_files_on_a_bare_connection_give_the_store_s_groups(
    two_forces: Path, with_older_rows: Path, tmp_path: Path
) -> None:
    """The registration Spark is given, tried on DuckDB: the part files and the exported
    older rows are exactly the store's ``street``."""
    for db in (two_forces, with_older_rows):
        with AnalyticsStore.open(db) as store:
            bare, had_older = bare_street(store, tmp_path)
            expected = {k: store.street_groups(s) for k, s in SCOPES.items()}
        for name, scope in SCOPES.items():
            assert_same_groups(street_groups(bare, scope), expected[name])
    assert had_older  # the second store did have rows outside the part files


def test_a_cluster_cannot_read_rows_outside_the_part_files_without_a_stage_dir(
    with_older_rows: Path, tmp_path: Path
) -> None:
    cluster = EngineChoice("spark", "spark://head:7077", parquet_in_place=True)
    with (
        AnalyticsStore.open(with_older_rows) as store,
        pytest.raises(InputError, match="--stage-dir"),
        street_engine(store, cluster),
    ):
        pass  # refused before any Spark session starts


def test_force_records_stay_on_duckdb(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Records:
        kind = FORCE_RECORDS

    monkeypatch.setattr(selection, "crime_source", lambda store, flt: Records())
    with (
        AnalyticsStore.open(sample_db) as store,
        pytest.raises(InputError, match="personal data"),
    ):
        selection.select_points(store, Filter(source=FORCE_RECORDS), engine=SPARK)


def test_parameters_bind_in_the_order_they_are_written() -> None:
    sql = spark.to_spark(
        "SELECT 1 FROM t WHERE a IN (?, ?) AND b IN (?) AND c IN (?, ?) AND d = ?",
        [1, 2, 3, 4, 5, 6],
    )
    assert "a IN (1, 2) AND b IN (3) AND c IN (4, 5) AND d = 6" in sql


# -- Spark against DuckDB -----------------------------------------------------------------


@needs_java
def test_the_aggregation_is_the_same_on_spark(
    spark_local: Any, two_forces: Path, with_older_rows: Path
) -> None:
    for db in (two_forces, with_older_rows):
        with AnalyticsStore.open(db) as store, street_engine(store, SPARK) as cluster:
            assert cluster is not None
            for name, scope in SCOPES.items():
                on_duckdb = store.street_groups(scope)
                on_spark = store.street_groups(scope, cluster)
                assert_same_groups(on_spark, on_duckdb)
                assert name == "nothing" or len(on_duckdb) > 0, name


def assert_same_hotspots(a: Any, b: Any) -> None:
    assert a.summary() == b.summary()
    assert a.cells["cell_id"].tolist() == b.cells["cell_id"].tolist()
    assert a.cells["n"].tolist() == b.cells["n"].tolist()  # cell counts exactly
    for column in ("kde", "gistar", "pvalue", "pvalue_adj"):
        if column in a.cells:
            np.testing.assert_allclose(
                b.cells[column].to_numpy(), a.cells[column].to_numpy(), rtol=0, atol=1e-9
            )
    if "class" in a.cells:
        assert a.cells["class"].tolist() == b.cells["class"].tolist()


@needs_java
def test_hotspots_are_the_same_on_spark(spark_local: Any, two_forces: Path) -> None:
    requests = [
        HotspotsRequest(forces=("hertfordshire",), crime_types=("Drugs",), cell=250.0),
        HotspotsRequest(
            crime_types=("Burglary",), months=("2021-06", "2021-07", "2021-08"), method="kde"
        ),
    ]
    for request in requests:
        on_duckdb = hotspots(two_forces, request)
        on_spark = hotspots(two_forces, request, engine=SPARK)
        assert_same_hotspots(on_duckdb, on_spark)
        assert int(on_duckdb.cells["n"].sum()) > 100


@needs_java
def test_change_is_the_same_on_spark_for_every_kind_of_place(
    spark_local: Any, two_forces: Path, with_older_rows: Path
) -> None:
    con = duckdb.connect(str(two_forces), read_only=True)
    busiest = [
        str(code)
        for (code,) in con.execute(
            "SELECT lsoa_code FROM street WHERE force = 'hertfordshire' AND lsoa_code IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3"
        ).fetchall()
    ]
    con.close()
    herts, drugs = ("hertfordshire",), ("Drugs",)
    period, baseline = ("2022-01", "2022-01"), ("2021-01", "2021-01")
    requests = [
        ChangeRequest(forces=herts, crime_types=drugs, period=period, baseline=baseline),
        ChangeRequest(
            all_crime_types=True, period=("2021-11", "2022-01"), baseline=("2021-08", "2021-10")
        ),
        ChangeRequest(
            forces=herts, crime_types=drugs, district="St Albans", period=period, baseline=baseline
        ),
        ChangeRequest(
            forces=herts,
            all_crime_types=True,
            lsoa=tuple(busiest),
            period=period,
            baseline=baseline,
        ),
        ChangeRequest(
            forces=herts,
            crime_types=drugs,
            bbox=(505000.0, 200000.0, 525000.0, 215000.0),
            period=period,
            baseline=baseline,
        ),
    ]
    for db in (two_forces, with_older_rows):
        for request in requests:
            on_duckdb = change(db, request)
            on_spark = change(db, request, engine=SPARK)
            assert on_spark.to_dict() == on_duckdb.to_dict()
            assert on_duckdb.count_period + on_duckdb.count_baseline > 0
            assert math.isfinite(on_duckdb.rate.p_value)
