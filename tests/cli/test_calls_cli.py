"""`harmwatch synth county-lines`, `calls import|analyse`, `county-lines detect|schedule|score`
as an intelligence officer with an operator key: the whole flow a new user runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import calls
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
calls.register(app)
runner = CliRunner()
WHY = "Op CLI: county-lines command-line tests"


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


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_synthesise_import_detect_schedule_and_score(officer: list[str], tmp_path: Path) -> None:
    out, db = tmp_path / "town", tmp_path / "analytics.duckdb"
    made = run("synth", "county-lines", "--seed", "1001", "--out", str(out))
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    assert "SYNTHETIC" in (out / "README.txt").read_text()
    imported = run(
        "calls", "import", str(out / "calls.csv.gz"), "--spec", str(out / "spec.toml"),
        "--legal-basis", "ipa-part3", "--authority-ref", "SYNTHETIC-CLI", "--synthetic",
        "--db", str(db), *officer,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output  # type: ignore[attr-defined]
    assert "imported" in imported.output  # type: ignore[attr-defined]
    again = run(
        "calls", "import", str(out / "calls.csv.gz"), "--spec", str(out / "spec.toml"),
        "--legal-basis", "ipa-part3", "--authority-ref", "SYNTHETIC-CLI", "--db", str(db), *officer,
    )  # fmt: skip
    assert "already imported" in again.output  # type: ignore[attr-defined]
    listed = run("calls", "files", "--json", "--justification", WHY, *officer)
    assert listed.exit_code == 0, listed.output  # type: ignore[attr-defined]
    [held] = json.loads(listed.output)  # type: ignore[attr-defined]
    assert (held["authority_ref"], held["legal_basis"], held["synthetic"]) == (
        "SYNTHETIC-CLI",
        "ipa-part3",
        True,
    )
    pred = tmp_path / "pred.json"
    detected = run(
        "county-lines", "detect", "--json", str(pred), "--csv", str(tmp_path / "lines.csv"),
        "--justification", WHY, "--db", str(db), *officer,
    )  # fmt: skip
    assert detected.exit_code == 0, detected.output  # type: ignore[attr-defined]
    assert "SYNTHETIC" in detected.output  # type: ignore[attr-defined]
    document = json.loads(pred.read_text())
    assert document["deal_lines"] and document["synthetic"] is True
    scored = run("county-lines", "score", "--truth", str(out / "truth.json"), "--pred", str(pred))
    assert scored.exit_code == 0, scored.output  # type: ignore[attr-defined]
    assert "deal lines" in scored.output  # type: ignore[attr-defined]
    schedule = tmp_path / "schedule.csv"
    scheduled = run(
        "county-lines", "schedule", "LINE-01", "--finding", "customers", "--out", str(schedule),
        "--justification", WHY, "--db", str(db), *officer,
    )  # fmt: skip
    assert scheduled.exit_code == 0, scheduled.output  # type: ignore[attr-defined]
    lines = schedule.read_text().splitlines()
    assert lines[1].startswith("# SYNTHETIC") and lines[2].startswith("file_id,file_name,line")
    number = document["lines"][0]["numbers"][0]["number"]
    contacts = run(
        "calls", "analyse", "contacts", number, "--json", "--justification", WHY,
        "--db", str(db), *officer,
    )  # fmt: skip
    assert contacts.exit_code == 0, contacts.output  # type: ignore[attr-defined]
    assert json.loads(contacts.output)["rows"]  # type: ignore[attr-defined]


def test_a_bad_file_is_refused_with_its_line_and_a_bad_rule_with_the_rules(
    officer: list[str], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[spec]\nname = "t"\n[columns]\na_number = "A"\nb_number = "B"\nstart = "S"\n'
        '[time]\nformat = "iso8601"\n'
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,S\n07700900001,07700900002,2026-11-02T10:00:00Z\n07700900001,,tuesday\n")
    refused = run(
        "calls", "import", str(bad), "--spec", str(spec), "--legal-basis", "warrant",
        "--authority-ref", "W/1", "--db", str(tmp_path / "a.duckdb"), *officer,
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "bad.csv:3: start (S): not a time" in refused.output  # type: ignore[attr-defined]
    rule = run(
        "county-lines", "detect", "--rule", "flag_point=3", "--justification", WHY,
        "--db", str(tmp_path / "a.duckdb"), *officer,
    )  # fmt: skip
    assert rule.exit_code == 2 and "no such rule" in rule.output  # type: ignore[attr-defined]
