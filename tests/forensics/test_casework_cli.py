"""`harmwatch forensic …` casework as a forensic reviewer with an operator key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from casework_helpers import freeze, utc
from sqlalchemy import text
from typer.testing import CliRunner

from harmwatch.cli import forensic_casework
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
forensic_app = typer.Typer()
forensic_casework.register(forensic_app)
app.add_typer(forensic_app, name="forensic")
runner = CliRunner()
WHY = ["--justification", "Op Retest: casework command-line tests"]


def _user(tmp_path: Path, url: str, name: str, role: Role) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as db:
        user = create_user(
            db,
            name,
            role,
            "a long enough password",
            force="hertfordshire",
            units=["herts-forensics"],
        )
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / f"{name}.key", secret)
    return ["--as", name, "--key-file", str(key), "--database-url", url]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    freeze(monkeypatch, utc(2025, 3, 31, 12))
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def run(*args: str) -> tuple[int, str]:
    got = runner.invoke(app, ["forensic", *args])
    return got.exit_code, got.output


def test_a_reviewer_records_a_case_end_to_end_and_verify_finds_tampering(
    tmp_path: Path, db_url: str
) -> None:
    me = _user(tmp_path, db_url, "fr", Role.FORENSIC_REVIEWER)
    code, out = run(
        "provider", "add", "--name", "Fictional Tox Ltd", "--from", "2015-01-01",
        "--scope", "blood toxicology", "--lab", "Northgate", "--fictional", "--json", *me,
    )  # fmt: skip
    assert code == 0, out
    provider = json.loads(out)
    code, out = run("provider", "list", *me)
    assert code == 0 and "Fictional Tox Ltd" in out, out
    code, out = run(
        "case", "add", "--reference", "HC/1", "--offence-code", "RTA5A", "--status",
        "awaiting-trial", "--custody", "bailed", "--officer", "PC 1", "--subject", "Alex Fictional",
        *WHY, *me,
    )  # fmt: skip
    assert code == 2 and "next_hearing_on: a case awaiting trial" in out, out
    code, out = run(
        "case", "add", "--reference", "HC/1", "--offence-code", "RTA5A", "--status",
        "awaiting-trial", "--next-hearing", "2025-04-07", "--custody", "bailed", "--officer",
        "PC 1", "--subject", "Alex Fictional", "--json", *WHY, *me,
    )  # fmt: skip
    assert code == 0, out
    case = str(json.loads(out)["id"])
    code, out = run("case", "status", case, "--custody", "remanded", *WHY, *me)
    assert code == 0 and "custody remanded" in out, out
    code, out = run("case", "list", "--status", "awaiting-trial", "--json", *WHY, *me)
    assert [c["reference"] for c in json.loads(out)] == ["HC/1"]
    exhibit_args = [
        "exhibit", "add", "--case", case, "--reference", "AB/1", "--type", "blood",
        "--test", "s5A panel", "--provider", str(provider["id"]),
        "--lab", str(provider["laboratories"][0]["id"]), "--taken", "2025-03-01 23:40",
        "--sent", "2025-03-03",
    ]  # fmt: skip
    code, out = run(*exhibit_args, "--received", "2025-03-02", *WHY, *me)
    assert code == 2 and "received_on: 2025-03-02 is before sent on" in out, out
    code, out = run(*exhibit_args, "--json", *WHY, *me)
    assert code == 0, out
    exhibit = str(json.loads(out)["id"])
    for action, at, by, where, seal in (
        ("seized", "2025-03-01 23:45", "PC 1", "Hatfield", "S1"),
        ("transferred", "2025-03-03 09:00", "PC 1", "Northgate", "S1"),
        ("received", "2025-03-04 09:00", "Clerk", "Northgate", "S2"),
    ):
        code, out = run(
            "custody", "add", exhibit, "--action", action, "--at", at, "--by", by,
            "--location", where, "--seal", seal, *WHY, *me,
        )  # fmt: skip
        assert code == 0, out
    assert "flag: seal-mismatch" in out and "received under seal S2" in out, out
    code, out = run(
        "result", "add", exhibit, "--analyte", "THC", "--value", "3.1", "--unit", "µg/L", *WHY, *me
    )
    assert code == 0, out
    code, out = run(
        "result", "amend", exhibit, "--analyte", "THC", "--value", "2.9", "--unit", "µg/L",
        "--reason", "calibration re-run", *WHY, *me,
    )  # fmt: skip
    assert code == 0 and "result THC v2 (current): 2.9" in out and "THC v1: 3.1" in out, out
    code, out = run("case", "show", case, *WHY, *me)
    assert code == 0 and "3 custody event(s), 1 flag(s)" in out, out
    code, out = run("verify", *WHY, *me)
    assert code == 0 and "ok: 1 exhibit chain(s)" in out, out

    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER forensic_custody_events_no_update"))
        conn.execute(text("UPDATE forensic_custody_events SET handled_by = 'PC 2' WHERE seq = 2"))
        tampered = conn.execute(
            text("SELECT id FROM forensic_custody_events WHERE seq = 2")
        ).scalar()
    code, out = run("verify", "--exhibit", exhibit, *WHY, *me)
    assert code == 1 and f"BROKEN: AB/1: exhibit {exhibit}: custody #{tampered} (seq 2)" in out, out
    code, out = run("verify", "--json", *WHY, *me)
    report = json.loads(out)
    assert code == 1 and report["broken"][0]["row_id"] == tampered and not report["ok"]
    with session_scope(engine) as db:
        entries = audit.query(db, actor="fr", limit=None)
    engine.dispose()
    assert {e.details.get("via") for e in entries} == {"cli-key"}


def test_a_pcc_viewer_is_refused_and_the_refusal_logged(tmp_path: Path, db_url: str) -> None:
    me = _user(tmp_path, db_url, "pcc", Role.PCC_VIEWER)
    for command in (["case", "list"], ["case", "show", "1"], ["exhibit", "show", "1"], ["verify"]):
        code, out = run(*command, *WHY, *me)
        assert code == 2 and "may not" in out, (command, out)
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        entries = audit.query(db, actor="pcc", limit=None)
    engine.dispose()
    assert [e.outcome for e in entries] == ["denied"] * 4
