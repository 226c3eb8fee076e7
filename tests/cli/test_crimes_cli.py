"""`harmwatch synth force-records`, `crimes import|files|reconcile` and `--source force-records`
on the analyses, as an analyst with an operator key: the flow a new user runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harmwatch.cli.main import app
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import copy_store
from harmwatch.storage.records import make_engine, session_scope, upgrade

runner = CliRunner()
WHY = "Op CLI: force records command-line tests"


@pytest.fixture
def users(tmp_path: Path) -> dict[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    out = {}
    with session_scope(engine) as db:
        for name, role in (("analyst", Role.ANALYST), ("pcc", Role.PCC_VIEWER)):
            user = create_user(
                db, name, role, "a long enough password", force="hertfordshire",
                units=["herts-analysis"],
            )  # fmt: skip
            key = write_key_file(tmp_path / f"{name}.key", issue_key(db, user, created_by="test"))
            out[name] = ["--as", name, "--key-file", str(key), "--database-url", url]
    engine.dispose()
    return out


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_synthesise_import_reconcile_and_analyse_on_the_records(
    users: dict[str, list[str]], tmp_path: Path, sample_db: Path
) -> None:
    db = tmp_path / "analytics.duckdb"
    copy_store(sample_db, db)
    made = run(
        "synth", "force-records", "--force", "hertfordshire", "--months", "2025-01:2025-02",
        "--seed", "7", "--out", str(tmp_path / "rms"),
    )  # fmt: skip
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    csv_path = tmp_path / "rms" / "SYNTHETIC-rms-export.csv"
    spec = tmp_path / "rms" / "SYNTHETIC-rms-export.spec.toml"
    assert "SYNTHETIC" in (tmp_path / "rms" / "README.txt").read_text()
    refused = run(
        "crimes", "import", str(csv_path), "--spec", str(spec), "--db", str(db), *users["pcc"]
    )
    assert refused.exit_code != 0 and "may not import" in refused.output  # type: ignore[attr-defined]
    imported = run("crimes", "import", str(csv_path), "--spec", str(spec), "--db", str(db),
                   *users["analyst"])  # fmt: skip
    assert imported.exit_code == 0, imported.output  # type: ignore[attr-defined]
    assert "imported" in imported.output and "columns kept" in imported.output  # type: ignore[attr-defined]
    again = run("crimes", "import", str(csv_path), "--spec", str(spec), "--db", str(db),
                *users["analyst"])  # fmt: skip
    assert "already imported" in again.output  # type: ignore[attr-defined]
    listed = run("crimes", "files", "--json", "--justification", WHY, *users["analyst"])
    [held] = json.loads(listed.output)  # type: ignore[attr-defined]
    assert held["synthetic"] is True and held["file_name"] == csv_path.name

    bridge = tmp_path / "bridge.csv"
    reconciled = run("crimes", "reconcile", "--force", "hertfordshire", "--json", "--out",
                     str(bridge), "--db", str(db), *users["pcc"])  # fmt: skip
    assert reconciled.exit_code == 0, reconciled.output  # type: ignore[attr-defined]
    summary = json.loads(reconciled.output)  # type: ignore[attr-defined]
    assert summary["months"] == ["2025-01", "2025-02"]
    assert summary["totals"]["unexplained"] == 0 and "SYNTHETIC" in summary["source"]
    with bridge.open() as handle:
        assert {r["crime_type"] for r in csv.DictReader(handle)} >= {"Drugs", "Burglary"}

    no_sign_in = run("hotspots", "--force", "hertfordshire", "--source", "force-records",
                     "--db", str(db), "--json")  # fmt: skip
    assert no_sign_in.exit_code != 0  # type: ignore[attr-defined]
    hot = run("hotspots", "--force", "hertfordshire", "--source", "force-records", "--json",
              "--justification", WHY, "--db", str(db), *users["analyst"])  # fmt: skip
    assert hot.exit_code == 0, hot.output  # type: ignore[attr-defined]
    summary = json.loads(hot.output)  # type: ignore[attr-defined]
    assert any("force's own crime records" in d for d in summary["defaults_chosen"])
    when = tmp_path / "when.csv"
    plan = run(
        "patrol-plan", "--force", "hertfordshire", "--source", "force-records", "--cell", "250",
        "--top", "5", "--crime-type", "Violence and sexual offences", "--when-out", str(when),
        "--justification", WHY, "--db", str(db), *users["analyst"],
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output  # type: ignore[attr-defined]
    assert "When to visit" in plan.output and "Koper" in plan.output  # type: ignore[attr-defined]
    with when.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) % 168 == 0 and rows and sum(float(r["weight"]) for r in rows) > 0
    police_uk = run("patrol-plan", "--force", "hertfordshire", "--cell", "250", "--top", "5",
                    "--when-out", str(when), "--db", str(db))  # fmt: skip
    assert police_uk.exit_code != 0 and "crimes with known times" in police_uk.output  # type: ignore[attr-defined]
    flagged = run("hotspots", "--force", "hertfordshire", "--flag", "hate-crime", "--db", str(db))
    assert flagged.exit_code != 0 and "carry no flags" in flagged.output  # type: ignore[attr-defined]
