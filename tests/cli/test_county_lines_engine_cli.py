"""`harmwatch county-lines detect --engine …`: the choice reaches the detector with the
caller's visible files, and a Spark that cannot start is refused saying what to install.

The Spark run itself is tested in tests/engines/test_engine_spark.py; here the Spark
path is replaced by a recorder, so no JVM starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.calls import detection, distributed
from harmwatch.cli import calls
from harmwatch.engines import EngineChoice
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
calls.register(app)
runner = CliRunner()
WHY = "Op CLI: county-lines engine tests"


@pytest.fixture
def officer(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        user = create_user(
            db, "io", Role.INTELLIGENCE_OFFICER, "a long enough password",
            force="hertfordshire", units=["stevenage-cid"],
        )  # fmt: skip
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / "io.key", secret)
    return ["--as", "io", "--key-file", str(key), "--database-url", url]


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_the_engine_choice_reaches_the_detector_with_the_visible_files(
    officer: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, db = tmp_path / "town", tmp_path / "analytics.duckdb"
    made = run("synth", "county-lines", "--seed", "1002", "--out", str(out),
               "--param", "population=400")  # fmt: skip
    assert made.exit_code == 0, made.output
    imported = run(
        "calls", "import", str(out / "calls.csv.gz"), "--spec", str(out / "spec.toml"),
        "--legal-basis", "ipa-part3", "--authority-ref", "SYNTHETIC-CLI", "--synthetic",
        "--db", str(db), *officer,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    seen: list[tuple[list[str], EngineChoice]] = []

    def recorded(
        con: Any, files: list[str], rules: Any, choice: EngineChoice, step: Any
    ) -> tuple[list[Any], list[Any]]:
        seen.append((list(files), choice))
        detection.scope(con, files)  # as the real one leaves it, for the synthetic mark
        return [], []

    monkeypatch.setattr(distributed, "detect", recorded)
    monkeypatch.setattr("harmwatch.engines.spark.check_available", lambda: None)
    pred = tmp_path / "pred.json"
    detected = run(
        "county-lines", "detect", "--engine", "spark", "--master", "local[2]",
        "--json", str(pred), "--justification", WHY, "--db", str(db), *officer,
    )  # fmt: skip
    assert detected.exit_code == 0, detected.output
    [(files, choice)] = seen
    assert files == json.loads(pred.read_text())["files"] and len(files) == 1
    assert (choice.name, choice.master, choice.calls_parquet) == ("spark", "local[2]", None)
    plain = run("county-lines", "detect", "--justification", WHY, "--db", str(db), *officer)
    assert plain.exit_code == 0, plain.output
    assert len(seen) == 1  # the default stays on DuckDB


def test_spark_that_cannot_start_is_refused_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("harmwatch.engines.spark.java_runtime", lambda: None)
    refused = run("county-lines", "detect", "--engine", "spark", "--db", str(tmp_path / "x"))
    assert refused.exit_code == 2
    assert "openjdk-17-jre-headless" in refused.output
    unknown = run("county-lines", "detect", "--engine", "flink", "--db", str(tmp_path / "x"))
    assert unknown.exit_code == 2 and "not one of duckdb, spark" in unknown.output
    cluster = run("county-lines", "detect", "--engine", "spark", "--master", "yarn")
    assert cluster.exit_code == 2 and "--stage-dir" in cluster.output
