"""Spark in local mode gives DuckDB's answers: every feature and score, every flag, and the
whole detection document, on a SYNTHETIC scenario from the seeded generator.

One SparkSession for the session (the JVM starts once). Skipped only where no Java
runtime is installed at all; a missing PySpark or a JVM that fails to start fails.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harmwatch.calls import findings
from harmwatch.calls.detection import NumberScore
from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
from harmwatch.calls.synth.files import write_scenario
from harmwatch.calls.synth.generator import generate
from harmwatch.calls.synth.params import ScenarioParams
from harmwatch.engines import DuckDBEngine, EngineChoice, SqlEngine
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import migrations

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="no Java runtime: Spark needs openjdk-17-jre-headless (scripts/system-deps.sh)",
)

# A development seed; 1,200 people and 4 lines keep the Spark run short while holding
# every finding: a number change, a handset swap, a re-brand, cuckooed cells, runners.
SEED = 1000
PARAMS = {"population": "1200", "lines": "4"}

Three = tuple[findings.Detection, findings.Detection, findings.Detection]
#: Tables to load before a query: (name, columns (name, DuckDB type), rows).
Setup = list[tuple[str, list[tuple[str, str]], list[list[Any]]]]


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    from harmwatch.engines import spark

    local = spark.session_settings("local[2]")
    # The JVM's first (C1) compiler only: these jobs are over in seconds, before the
    # optimising compiler would pay for itself, and warm-up is most of their time.
    java = local["spark.driver.extraJavaOptions"] + " -XX:TieredStopAtLevel=1"
    session = spark.spark_session("local[2]", settings={"spark.driver.extraJavaOptions": java})
    yield session
    spark.stop_session()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, str]:
    out = tmp_path_factory.mktemp("spark-scenario")
    written = write_scenario(generate(ScenarioParams.with_overrides(PARAMS), SEED), out)
    con = duckdb.connect(str(out / "calls.duckdb"))
    migrations.migrate(con)
    imported = import_file(
        con, written["calls"], load_spec(written["spec"], CALL_DATA),
        authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC-TEST"), force="synthetic",
        imported_by="test", synthetic=True,
    )  # fmt: skip
    return con, imported.file_id


@pytest.fixture(scope="module")
def both(spark_session: Any, store: tuple[duckdb.DuckDBPyConnection, str]) -> Three:
    con, file_id = store
    on_duckdb = findings.detect(con, [file_id])
    on_spark = findings.detect(con, [file_id], engine=EngineChoice("spark", "local[2]"))
    # The same connection afterwards: Spark's hand-off must not linger in DuckDB's run.
    again = findings.detect(con, [file_id])
    return on_duckdb, on_spark, again


def _same_score(a: NumberScore, b: NumberScore) -> None:
    for f in fields(NumberScore):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert type(x) is type(y), (a.number, f.name)
        if isinstance(x, float):
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12), (a.number, f.name, x, y)
        else:
            assert x == y, (a.number, f.name, x, y)


def test_every_number_score_and_flag_is_the_same_on_spark(both: Three) -> None:
    on_duckdb, on_spark, _ = both
    assert [s.number for s in on_spark.scores] == [s.number for s in on_duckdb.scores]
    assert len(on_duckdb.scores) > 500
    for a, b in zip(on_duckdb.scores, on_spark.scores, strict=True):
        _same_score(a, b)
    flagged = [s.number for s in on_duckdb.scores if s.flagged]
    assert flagged and flagged == [s.number for s in on_spark.scores if s.flagged]


def test_the_whole_detection_is_the_same_on_spark(both: Three) -> None:
    on_duckdb, on_spark, again = both
    ours, theirs = on_duckdb.to_document(), on_spark.to_document()
    ours.pop("scores"), theirs.pop("scores")  # compared field by field above
    assert theirs == ours
    assert again.to_document() == on_duckdb.to_document()
    # A comparison worth making: the scenario's every kind of finding is in it.
    kinds = {c.kind for line in on_duckdb.lines for c in line.continuity}
    assert kinds == {"number-change", "handset-swap", "rebrand"}
    assert on_duckdb.cuckooed_cells and all(line.runners for line in on_duckdb.lines)
    assert on_spark.synthetic


def _engines(spark_session: Any) -> Iterator[SqlEngine]:
    from harmwatch.engines.spark import SparkEngine

    yield DuckDBEngine(duckdb.connect())
    with SparkEngine(spark_session) as engine:
        yield engine


def _on_both(
    spark_session: Any, setup: Setup, sql: str, params: list[Any] | None = None
) -> list[list[tuple[Any, ...]]]:
    out = []
    for engine in _engines(spark_session):
        for table, columns, rows in setup:
            engine.load_rows(table, columns, rows)
        out.append(engine.fetchall(sql, params or []))
    return out


def test_values_come_back_with_duckdbs_types(spark_session: Any) -> None:
    values = [
        "x'; DROP TABLE calls; --", "back\\slash\\' and \"quotes\"", "new\nline £ ü", 7, -3,
        2**40, 0.1, True, None, date(2026, 10, 25), datetime(2026, 10, 25, 1, 30, 5),
    ]  # fmt: skip
    marks = ", ".join("?" for _ in values)
    duck, spark = _on_both(spark_session, [], f"SELECT {marks}", values)
    assert spark == duck == [tuple(values)]
    assert [type(v) for v in spark[0]] == [type(v) for v in duck[0]]
    derived = (
        "SELECT count(*), sum(k), avg(k), 1 / 2, CAST(t AS DATE), t + INTERVAL 90 MINUTE, "
        "epoch(t), hour(t), CAST(floor(epoch(t) / 7) AS BIGINT) FROM e GROUP BY t"
    )
    when = datetime(2026, 3, 29, 0, 59, 1, 500000)  # the hour BST begins; half a second
    setup: Setup = [("e", [("k", "INTEGER"), ("t", "TIMESTAMP")], [[1, when]])]
    duck, spark = _on_both(spark_session, setup, derived)
    assert spark == duck
    assert [type(v) for v in spark[0]] == [type(v) for v in duck[0]]


def test_the_rewritten_constructs_mean_what_they_mean_in_duckdb(spark_session: Any) -> None:
    t = datetime(2026, 11, 2, 10, 0)
    setup: Setup = [
        ("o", [("n", "VARCHAR"), ("t", "TIMESTAMP")],
         [["a", t], ["a", t.replace(minute=30)], ["a", t.replace(hour=12)], ["b", t], [None, t]]),
        ("r", [("n", "VARCHAR"), ("t", "TIMESTAMP"), ("v", "INTEGER")],
         [["a", t, 0], ["a", t.replace(minute=10), 1], ["a", t.replace(minute=40), 2],
          ["a", t.replace(minute=50), 3], ["c", t, 9]]),
    ]  # fmt: skip
    for inequality in ("x.t > o.t", "x.t >= o.t", "o.t > x.t", "x.t <= o.t"):
        sql = (
            "SELECT o.n, o.t, x.t, x.v FROM o ASOF LEFT JOIN r x ON o.n = x.n AND "
            f"{inequality} ORDER BY o.n NULLS FIRST, o.t"
        )
        duck, spark = _on_both(spark_session, setup, sql)
        assert spark == duck, inequality
    buckets: Setup = [("e", [("t", "TIMESTAMP")], [[t.replace(minute=m, second=s)] for m, s in
               ((0, 0), (9, 59), (10, 0), (19, 0), (59, 59))])]  # fmt: skip
    sql = "SELECT time_bucket(INTERVAL 10 MINUTE, t) AS w, count(*) FROM e GROUP BY w ORDER BY w"
    duck, spark = _on_both(spark_session, buckets, sql)
    assert spark == duck and len(duck) == 3
    sql = (
        "SELECT k, list(DISTINCT d ORDER BY d) FROM (SELECT k + r.d AS k, r.d AS d "
        "FROM (SELECT 1 AS k) s, range(-1, 2) r(d) UNION ALL SELECT 0, 1) GROUP BY k ORDER BY k"
    )
    duck, spark = _on_both(spark_session, [], sql)
    assert spark == duck == [(0, [-1, 1]), (1, [0]), (2, [1])]


def test_spark_reads_what_the_parquet_holds_and_only_the_visible_files(
    spark_session: Any, store: tuple[duckdb.DuckDBPyConnection, str], tmp_path: Path
) -> None:
    from harmwatch.calls import detection
    from harmwatch.calls.distributed import staged_calls
    from harmwatch.engines.spark import SparkEngine

    con, file_id = store
    duck = DuckDBEngine(con)
    detection.scope(duck, [file_id])
    with (
        staged_calls(duck, EngineChoice("spark", stage_dir=tmp_path)) as parquet,
        SparkEngine(spark_session) as engine,
    ):
        assert Path(parquet).is_relative_to(tmp_path) and Path(parquet).exists()
        engine.register_parquet("calls", parquet)
        detection.scope(engine, [file_id])
        total = "SELECT count(*), min(started_utc), max(cell_lat) FROM hw_ev"
        assert engine.fetchall(total) == duck.fetchall(total)
        detection.scope(engine, ["another force's file"])
        assert engine.fetchall("SELECT count(*) FROM hw_ev") == [(0,)]
    assert list(tmp_path.iterdir()) == []  # the export is deleted with the run
