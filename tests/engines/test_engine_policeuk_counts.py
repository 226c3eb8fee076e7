"""The police.uk counts behind the report and trends — street crimes a month, and a month
by crime type — give the same answers on Spark in local mode as on DuckDB, on real
police.uk files: the part files, and the rows kept in the database from before them.

Each count is one DuckDB-dialect statement (harmwatch.storage.analytics.aggregate)
that Spark runs transpiled, over the ``street`` that harmwatch.engines.policeuk
registers for hotspots and change. One SparkSession serves the whole test session.
The Spark tests are skipped only where no Java runtime is installed at all; a missing
PySpark or a JVM that fails to start fails them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sparkworld import bare_street, local_session, with_one_part_as_older_rows

from harmwatch.engines import EngineChoice, spark
from harmwatch.engines.policeuk import street_engine
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.storage.analytics.aggregate import month_counts, month_type_counts

needs_java = pytest.mark.skipif(
    spark.java_runtime() is None,
    reason="no Java runtime: Spark needs openjdk-17-jre-headless (scripts/system-deps.sh)",
)
SPARK = EngineChoice("spark", "local[2]", parquet_in_place=True)

# The bundled sample: Hertfordshire, Bedfordshire and Cambridgeshire, 2025-01…2025-12.
SCOPES = {
    "everything": StreetScope(),
    "drugs, one force": StreetScope(forces=("hertfordshire",), crime_types=("Drugs",)),
    "two forces, two types, three months": StreetScope(
        forces=("bedfordshire", "cambridgeshire"),
        crime_types=("Drugs", "Possession of weapons"),
        months=("2025-03", "2025-04", "2025-11"),
    ),
    "a district": StreetScope(forces=("hertfordshire",), district="St Albans"),
    "no LSOA name": StreetScope(lsoa_name_missing=True),
    "a month not written YYYY-MM": StreetScope(months=("2025-13", "March")),
    "nothing": StreetScope(forces=()),
}


@pytest.fixture(scope="session")
def spark_local() -> Iterator[Any]:
    yield local_session()


@pytest.fixture(scope="module")
def with_older_rows(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with one part file's rows kept as a store from before the part files
    keeps them: in the ``street_rows`` table."""
    return with_one_part_as_older_rows(
        sample_db, tmp_path_factory.mktemp("older-counts") / "older.duckdb"
    )


def counts_on(store: AnalyticsStore, on: Any = None) -> dict[str, tuple[Any, Any]]:
    return {
        name: (
            store.street_counts_by_month(scope, on),
            store.street_counts_by_month_and_type(scope, on),
        )
        for name, scope in SCOPES.items()
    }


def plain(db: Path, scope: StreetScope) -> Counter[tuple[str, str]]:
    """The month-by-type count written out by hand, the way the store used to ask it."""
    from harmwatch.storage.analytics.aggregate import street_where

    where, params = street_where(scope)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"SELECT strftime(month, '%Y-%m'), crime_type, count(*) FROM street WHERE {where} "
            "GROUP BY 1, 2",
            params,
        ).fetchall()
    finally:
        con.close()
    return Counter({(m, t): n for m, t, n in rows})


# -- without Spark ----------------------------------------------------------------------


def test_the_counts_are_every_crime_once_in_order(sample_db: Path) -> None:
    with AnalyticsStore.open(sample_db) as store:
        found = counts_on(store)
    for name, scope in SCOPES.items():
        by_month, by_type = found[name]
        expected = plain(sample_db, scope)
        assert Counter({(c.month, c.crime_type): c.n for c in by_type}) == expected, name
        per_month: Counter[str] = Counter()
        for (month, _), n in expected.items():
            per_month[month] += n
        assert by_month == dict(per_month), name
        assert list(by_month) == sorted(by_month), name
        assert by_type == sorted(by_type, key=lambda c: (c.month, c.crime_type)), name
        assert all(n > 0 for n in by_month.values())
    everything, _ = found["everything"]
    assert len(everything) == 12 and sum(everything.values()) > 100_000
    assert found["nothing"] == ({}, []) and found["a month not written YYYY-MM"] == ({}, [])
    assert 0 < sum(found["a district"][0].values()) < sum(everything.values())


def test_part_files_on_a_bare_connection_give_the_store_s_counts(
    sample_db: Path, with_older_rows: Path, tmp_path: Path
) -> None:
    """The registration Spark is given, tried on DuckDB: the same statements over the
    part files (and the exported older rows) give the store's counts."""
    for db in (sample_db, with_older_rows):
        with AnalyticsStore.open(db) as store:
            bare, had_older = bare_street(store, tmp_path)
            expected = counts_on(store)
        for name, scope in SCOPES.items():
            assert (month_counts(bare, scope), month_type_counts(bare, scope)) == expected[name]
    assert had_older  # the second store did keep rows outside the part files


# -- on Spark -----------------------------------------------------------------------------


@needs_java
@pytest.mark.parametrize("which", ["part files", "with older rows"])
def test_spark_counts_equal_duckdb_s(
    which: str, sample_db: Path, with_older_rows: Path, spark_local: Any
) -> None:
    db = sample_db if which == "part files" else with_older_rows
    with AnalyticsStore.open(db) as store:
        on_duckdb = counts_on(store)
        with street_engine(store, SPARK) as cluster:
            assert cluster is not None and cluster.name == "spark"
            on_spark = counts_on(store, cluster)
    assert on_spark == on_duckdb
    assert sum(on_spark["everything"][0].values()) > 100_000
