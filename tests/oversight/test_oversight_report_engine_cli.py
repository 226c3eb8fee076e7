"""`harmwatch report --engine spark --master local[2]`: the same page as the default DuckDB
run, every figure, table, chart and map alike; a Spark that cannot start is refused
before anything is computed.

With Spark chosen only the police.uk street crimes' scans move (the measures', the maps'
and the monthly counts'); their equality on each kind of count is tested in
tests/engines/test_engine_policeuk_counts.py and tests/engines/test_engine_policeuk.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from _oversight_report_world import Page
from typer import _click as click
from typer.testing import CliRunner

from harmwatch.cli.main import app
from harmwatch.engines import spark
from harmwatch.storage.analytics.aggregate import MONTH_COUNTS_SQL, STREET_GROUPS_SQL

runner = CliRunner()
PERIOD = "2025-10:2025-12"
# Two forces: a roll-up, so each force's monthly chart and districts are counted.
REPORT = ["report", "--force", "hertfordshire", "--force", "bedfordshire", "--period", PERIOD]
# local[2], the master the other Spark tests use: one process holds one Spark context.
SPARK = ["--engine", "spark", "--master", "local[2]", "--driver-memory", "1g"]


def head(statement: str) -> str:
    """A statement up to its WHERE: what a run of it begins with, whatever its scope."""
    return statement.split(" WHERE ")[0]


@pytest.mark.skipif(
    spark.java_runtime() is None,
    reason="no Java runtime: Spark needs openjdk-17-jre-headless (scripts/system-deps.sh)",
)
def test_the_report_on_spark_is_the_default_s_page(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    for method in ("fetchall", "fetch_arrow"):
        original = getattr(spark.SparkEngine, method)

        def counted(self: Any, sql: str, params: Any = (), _o: Any = original) -> Any:
            asked.append(sql)
            return _o(self, sql, params)

        monkeypatch.setattr(spark.SparkEngine, method, counted)
    pages, on = [], {}
    for name, engine in (("duckdb", []), ("spark", SPARK)):
        out = tmp_path / f"{name}.html"
        made = runner.invoke(app, [*REPORT, "--db", str(sample_db), "--out", str(out), *engine])
        assert made.exit_code == 0, made.output
        pages.append(out.read_text(encoding="utf-8"))
        on[name] = list(asked)
        asked.clear()
    # Nothing on Spark by default; with it, the groups (measures, hotspots) and the
    # monthly counts (charts, change map) were all asked of Spark.
    assert on["duckdb"] == []
    statements = {head(q) for q in on["spark"]}
    assert {head(STREET_GROUPS_SQL), head(MONTH_COUNTS_SQL)} <= statements
    on_duckdb, on_spark = pages
    text = Page(on_duckdb).text
    # The police.uk parts were drawn and counted, not left out, on the default run …
    assert "Hotspots of" in text and "Change in" in text and "Drug offences" in text
    # … and Spark's page is the same page: every figure, and the charts' and maps' images.
    assert Page(on_spark).text == text
    assert on_spark == on_duckdb


def test_spark_without_java_is_refused_before_any_work(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark, "java_runtime", lambda: None)
    out = tmp_path / "board.html"
    refused = runner.invoke(app, [*REPORT, "--db", str(sample_db), "--out", str(out), *SPARK])
    assert refused.exit_code == 2
    assert "needs a Java 17+ runtime" in refused.output
    assert "computing" not in refused.output and not out.exists()


def test_the_report_s_options_say_what_moves_to_spark() -> None:
    group: Any = typer.main.get_command(app)
    report = group.get_command(click.Context(group), "report")
    assert report is not None
    helps = {p.opts[0]: getattr(p, "help", "") or "" for p in report.params}
    assert {"--engine", "--master", "--driver-memory", "--stage-dir"} <= set(helps)
    assert "police.uk street crimes" in helps["--engine"]
    assert "stay on DuckDB" in helps["--engine"]
