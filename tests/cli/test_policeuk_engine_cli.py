"""`harmwatch hotspots` and `harmwatch change` with `--engine spark --master local[2]`: the
same cell table and the same change document as the default DuckDB run; a Spark that
cannot start is refused saying what to install; and the default never loads Spark.

The engines' equality on every kind of place is tested in
tests/engines/test_engine_policeuk.py; here the commands are run as a user runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from harmwatch.cli.main import app
from harmwatch.engines import spark

runner = CliRunner()
SPARK = ["--engine", "spark", "--master", "local[2]", "--driver-memory", "1g"]
HOTSPOTS = ["hotspots", "--force", "hertfordshire", "--crime-type", "Drugs", "--cell", "250"]
CHANGE = ["change", "--force", "hertfordshire", "--period", "2022-01", "--baseline", "2021-01"]


@pytest.mark.skipif(
    spark.java_runtime() is None,
    reason="no Java runtime: Spark needs openjdk-17-jre-headless (scripts/system-deps.sh)",
)
def test_hotspots_and_change_on_spark_give_the_default_s_answers(
    herts_db: Path, tmp_path: Path
) -> None:
    db = ["--db", str(herts_db)]
    tables = []
    for engine in ([], SPARK):
        out = tmp_path / f"cells{len(engine)}.csv"
        made = runner.invoke(app, [*HOTSPOTS, *db, "--out", str(out), *engine])
        assert made.exit_code == 0, made.output
        tables.append(pd.read_csv(out))
    on_duckdb, on_spark = tables
    assert on_duckdb["n"].sum() > 100
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=False, rtol=0, atol=1e-9)
    documents = []
    for engine in ([], SPARK):
        done = runner.invoke(app, [*CHANGE, *db, "--json", *engine])
        assert done.exit_code == 0, done.output
        documents.append(json.loads(done.stdout))
    assert documents[0] == documents[1] and documents[0]["count_period"] > 0


@pytest.mark.parametrize("command", [HOTSPOTS, CHANGE])
def test_spark_without_java_is_refused_saying_what_to_install(
    command: list[str], herts_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark, "java_runtime", lambda: None)
    refused = runner.invoke(app, [*command, "--db", str(herts_db), *SPARK])
    assert refused.exit_code == 2
    assert "needs a Java 17+ runtime" in refused.output
    assert "openjdk-17-jre-headless" in refused.output


def test_an_unknown_engine_is_refused(
    herts_db: Path,
) -> None:
    unknown = runner.invoke(app, [*HOTSPOTS, "--db", str(herts_db), "--engine", "flink"])
    assert unknown.exit_code == 2 and "'flink' is not one of duckdb, spark" in unknown.output


def test_the_default_engine_never_loads_spark(herts_db: Path) -> None:
    script = (
        "import sys\n"
        "from harmwatch.where.hotspots import hotspots\n"
        "from harmwatch.where.requests import HotspotsRequest\n"
        "from harmwatch.evaluation.change import change\n"
        "from harmwatch.evaluation.requests import ChangeRequest\n"
        f"db = {str(herts_db)!r}\n"
        "hotspots(db, HotspotsRequest(forces=('hertfordshire',), cell=500.0))\n"
        "change(db, ChangeRequest(forces=('hertfordshire',), period=('2022-01', '2022-01')))\n"
        "loaded = [m for m in sys.modules if m.startswith(('pyspark', 'py4j'))]\n"
        "loaded += [m for m in sys.modules if m == 'harmwatch.engines.spark']\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
