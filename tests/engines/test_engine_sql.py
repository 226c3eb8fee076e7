"""The engine interface on DuckDB, the engine choice, and the DuckDB-to-Spark SQL translation
(SQLGlot only: none of these start Java)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from harmwatch.engines import DuckDBEngine, EngineChoice, EngineUnavailable, as_engine, spark
from harmwatch.errors import InputError


def test_the_duckdb_engine_runs_sql_as_written_and_loads_rows(tmp_path: Path) -> None:
    con = duckdb.connect()
    db = as_engine(con)
    assert isinstance(db, DuckDBEngine) and as_engine(db) is db
    db.load_rows("t", [("n", "VARCHAR"), ("k", "INTEGER"), ("d", "DATE")],
                 [["a", 1, date(2026, 1, 2)], ["b", 2, None]])  # fmt: skip
    db.execute("CREATE OR REPLACE TEMP TABLE u AS SELECT n, k * 10 AS k FROM t WHERE k >= ?", [1])
    assert db.fetchall("SELECT * FROM u ORDER BY n") == [("a", 10), ("b", 20)]
    assert db.fetchall("SELECT d FROM t WHERE n = $1", ["a"]) == [(date(2026, 1, 2),)]
    db.load_rows("t", [("n", "VARCHAR")], [])  # replaced, and empty
    assert db.fetchall("SELECT count(*) FROM t") == [(0,)]
    path = tmp_path / "it's here.parquet"  # a quote in the path
    con.execute(
        f"COPY (SELECT 1 AS x UNION ALL SELECT 2) TO '{str(path).replace(chr(39), chr(39) * 2)}'"
    )
    db.register_parquet("p", str(path))
    assert db.fetchall("SELECT sum(x) FROM p") == [(3,)]
    db.register_arrow("a", pa.table({"x": [1, 2, 3]}))
    assert db.fetch_arrow("SELECT x FROM a WHERE x > ?", [1]).column("x").to_pylist() == [2, 3]


def test_an_engine_choice_is_checked_and_a_cluster_needs_shared_storage(tmp_path: Path) -> None:
    assert EngineChoice().name == "duckdb" and EngineChoice("spark").is_local
    with pytest.raises(InputError, match="engine: 'flink' is not one of duckdb, spark"):
        EngineChoice("flink")
    with pytest.raises(InputError, match=r"give --stage-dir .* or --calls-parquet"):
        EngineChoice("spark", "spark://head:7077")
    assert EngineChoice("spark", "yarn", stage_dir=tmp_path).stage_dir == tmp_path
    assert EngineChoice("spark", "spark://head:7077", calls_parquet="hdfs:///calls").calls_parquet


def test_spark_without_java_or_pyspark_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spark, "java_runtime", lambda: None)
    with pytest.raises(EngineUnavailable, match="apt-get install openjdk-17-jre-headless"):
        spark.check_available()
    monkeypatch.setattr(spark, "java_runtime", lambda: "/opt/old/java")
    monkeypatch.setattr(spark, "java_major", lambda java: 11)
    with pytest.raises(EngineUnavailable, match="needs Java 17 or newer; /opt/old/java is Java 11"):
        spark.check_available()
    monkeypatch.setattr(spark, "java_major", lambda java: 17)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import fails as if not installed
    with pytest.raises(EngineUnavailable, match=r"pip install pyspark==4\.3\.0"):
        spark.check_available()


def test_local_masters_get_coalesced_shuffle_partitions_and_loopback_only() -> None:
    assert spark.local_cores("local[2]") == 2 and spark.local_cores("local") == 1
    assert spark.local_cores("spark://head:7077") is None
    local = spark.session_settings("local[2]")
    assert local["spark.sql.shuffle.partitions"] == "64"
    assert local["spark.sql.adaptive.coalescePartitions.enabled"] == "true"
    assert local["spark.driver.maxResultSize"] == local["spark.driver.memory"] == "2g"
    assert local["spark.driver.bindAddress"] == "127.0.0.1" and local["spark.ui.enabled"] == "false"
    assert local["spark.sql.session.timeZone"] == "UTC"
    cluster = spark.session_settings("yarn")
    assert "spark.driver.bindAddress" not in cluster
    assert "spark.sql.shuffle.partitions" not in cluster


@pytest.mark.parametrize(
    "value",
    ["x'; DROP TABLE calls; --", "back\\slash\\'", "new\nline", "£ ünïcödé", "", "$1", "?"],
)
def test_a_bound_string_is_one_literal_whatever_it_holds(value: str) -> None:
    written = spark.to_spark("SELECT a FROM t WHERE b = ? AND c = 1", [value])
    tree = sqlglot.parse_one(written, read="spark")
    where = tree.args["where"].this
    literal = where.this.expression
    assert isinstance(literal, exp.Literal) and literal.is_string and literal.this == value
    assert where.expression.sql() == "c = 1"


def test_parameters_bind_by_position_and_type() -> None:
    written = spark.to_spark(
        "SELECT $2, $1, $2", [datetime(2026, 10, 25, 1, 30, 5, 250), date(2026, 10, 25)]
    )
    assert written == (
        "SELECT CAST('2026-10-25' AS DATE), CAST('2026-10-25 01:30:05.000250' AS TIMESTAMP_NTZ), "
        "CAST('2026-10-25' AS DATE)"
    )
    assert spark.to_spark("SELECT ?, ?, ?, ?", [-3, 0.1, True, None]) == (
        "SELECT -3, CAST('0.1' AS DOUBLE), TRUE, NULL"
    )
    with pytest.raises(ValueError, match="takes 2 parameter"):
        spark.to_spark("SELECT ?, ?", [1])
    with pytest.raises(ValueError, match="naive UTC"):
        spark.to_spark("SELECT ?", [datetime(2026, 1, 1, tzinfo=UTC)])


def test_what_sqlglot_leaves_wrong_for_spark_is_rewritten() -> None:
    asof = spark.to_spark(
        "SELECT o.n, x.t FROM o ASOF LEFT JOIN (SELECT * FROM r) x ON o.n = x.n AND o.t < x.t"
    )
    assert "ASOF" not in asof
    assert (
        "LAG(t) OVER (PARTITION BY n ORDER BY t) AS __asof_bound FROM (SELECT * FROM r) AS __asof_src"
        in asof
    )
    assert "(x.__asof_bound IS NULL OR x.__asof_bound <= o.t)" in asof
    backward = spark.to_spark("SELECT * FROM o ASOF JOIN r ON o.n = r.n AND o.t >= r.t")
    assert "LEAD(t)" in backward and "r.__asof_bound > o.t" in backward
    bucket = spark.to_spark("SELECT time_bucket(INTERVAL 10 MINUTE, t) FROM e")
    assert "946857600 + FLOOR((UNIX_MICROS(t) / 1000000 - 946857600) / 600) * 600" in bucket
    series = spark.to_spark("SELECT b + d FROM m, range(-1, 2) r(d)")
    assert series == "SELECT b + d FROM m, (SELECT EXPLODE(SEQUENCE(-1, 2 - 1)) AS d) AS r"
    listed = spark.to_spark("SELECT list(DISTINCT day ORDER BY day) FROM h")
    assert listed == "SELECT ARRAY_SORT(COLLECT_SET(day)) FROM h"
    with pytest.raises(NotImplementedError, match="only ascending"):
        spark.to_spark("SELECT list(DISTINCT day ORDER BY day DESC) FROM h")
    with pytest.raises(NotImplementedError, match="months and years"):
        spark.to_spark("SELECT time_bucket(INTERVAL 1 MONTH, t) FROM e")
