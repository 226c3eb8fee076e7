"""The ingest and status commands as a user runs them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from harmwatch.cli.main import app

runner = CliRunner()


def test_status_json_reports_the_issue_figures(full_db: Path) -> None:
    result = runner.invoke(app, ["status", "--db", str(full_db), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["rows"] == {"street": 2_582_284, "outcomes": 235_516, "stop-and-search": 24_671}
    assert payload["drugs_rows"]["street"] == 65_730
    assert len(payload["loads"]) == 453
    herts = [
        r for r in payload["month_runs"] if r["kind"] == "street" and r["force"] == "hertfordshire"
    ]
    assert [(r["first"], r["last"], r["months"]) for r in herts] == [
        ("2018-10", "2019-02", 5),
        ("2021-01", "2022-01", 13),
        ("2025-01", "2025-12", 12),
    ]


def test_ingest_refusal_exits_2_with_file_and_line(police_uk: Path, tmp_path: Path) -> None:
    src = police_uk / "2021-05/2021-05-bedfordshire-street.csv.gz"
    lines = gzip.decompress(src.read_bytes()).decode().splitlines(keepends=True)
    cells = lines[6].split(",")
    cells[5] = "999"
    lines[6] = ",".join(cells)
    bad = tmp_path / src.name
    bad.write_bytes(gzip.compress("".join(lines).encode()))
    db = tmp_path / "cli.duckdb"
    result = runner.invoke(app, ["ingest", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert f"{bad}:7: Latitude: out of range: 999" in result.stderr
    assert "Traceback" not in result.output
    lenient = runner.invoke(app, ["ingest", str(bad), "--db", str(db), "--lenient", "--json"])
    assert lenient.exit_code == 0, lenient.output
    payload = json.loads(lenient.stdout)
    assert payload["rows_rejected"] == 1
    assert payload["rows_loaded"] == {"street": len(lines) - 2}


def test_db_from_environment(police_uk: Path, tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("HARMWATCH_DB", str(db))
    result = runner.invoke(
        app, ["ingest", str(police_uk / "2021-05/2021-05-bedfordshire-street.csv.gz")]
    )
    assert result.exit_code == 0, result.output
    assert db.exists()
    status = runner.invoke(app, ["status", "--json"])
    assert json.loads(status.stdout)["rows"]["street"] == 5_082


def test_status_without_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "harmwatch ingest" in result.stderr
