"""`harmwatch users …` and `harmwatch audit …` as an administrator runs them.

Runs on SQLite and PostgreSQL; builds its own Typer app holding the two sub-apps, as
cli/main.py registers them.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _postgres import (
    fast_hashing,
    fresh_postgres_url,
    pg_server,
    records_url,
)
from harmwatch.cli import admin
from harmwatch.security import audit
from harmwatch.storage.records import make_engine, session_scope

__all__ = ["fast_hashing", "fresh_postgres_url", "pg_server", "records_url"]

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.audit_app, name="audit")
runner = CliRunner()
ME = f"cli:{getpass.getuser()}"
PASSWORD = "a long enough password"

pytestmark = pytest.mark.usefixtures("fast_hashing")


def run(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--database-url", url], input=input)


def entries(url: str) -> list[audit.AuditEntry]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            return list(audit.iter_entries(db))
    finally:
        engine.dispose()


def test_user_lifecycle_and_every_command_is_audited(records_url: str) -> None:
    r = run(
        records_url,
        "users",
        "create",
        "root",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    assert "created user 'root' with role admin" in r.stdout
    r = run(
        records_url,
        "users",
        "create",
        "Olivia",
        "--role",
        "neighbourhood-officer",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # prompted twice, hidden
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output
    assert run(records_url, "users", "set-role", "olivia", "analyst").exit_code == 0
    r = run(records_url, "users", "disable", "olivia")
    assert r.exit_code == 0 and "disabled user 'olivia'" in r.stdout
    r = run(records_url, "users", "list", "--json")
    assert r.exit_code == 0, r.output
    listed = {u["username"]: (u["role"], u["disabled"]) for u in json.loads(r.stdout)}
    assert listed == {"root": ("admin", False), "olivia": ("analyst", True)}
    r = run(records_url, "users", "list")
    assert r.exit_code == 0 and "olivia" in r.stdout and "disabled" in r.stdout

    log = entries(records_url)
    assert [(e.actor, e.action, e.target, e.outcome) for e in log] == [
        (ME, "create", "user:root", "ok"),
        (ME, "create", "user:olivia", "ok"),
        (ME, "change", "user:olivia", "ok"),
        (ME, "change", "user:olivia", "ok"),
        (ME, "view", "users", "ok"),
        (ME, "view", "users", "ok"),
    ]
    assert log[0].details == {"role": "admin"}
    assert log[2].details == {
        "change": "set-role",
        "role": "analyst",
        "previous_role": "neighbourhood-officer",
    }
    assert log[3].details["change"] == "disable"
    assert all(e.client == "cli" for e in log)
    assert all(PASSWORD not in e.details_json for e in log)


def test_refusals_exit_2_with_one_line_and_are_audited(records_url: str) -> None:
    r = run(
        records_url,
        "users",
        "create",
        "amy",
        "--role",
        "analyst",
        "--password-stdin",
        input="short\n",
    )
    assert r.exit_code == 2
    assert r.stderr.strip().startswith("error: password too short")
    assert "Traceback" not in r.output
    assert (
        run(
            records_url,
            "users",
            "create",
            "amy",
            "--role",
            "analyst",
            "--password-stdin",
            input=PASSWORD + "\n",
        ).exit_code
        == 0
    )
    r = run(
        records_url,
        "users",
        "create",
        "AMY",
        "--role",
        "analyst",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = run(records_url, "users", "disable", "nobody")
    assert r.exit_code == 2 and "no user named 'nobody'" in r.stderr
    r = run(records_url, "users", "set-role", "amy", "chief-constable")
    assert r.exit_code == 2  # Typer names the valid roles
    r = run(
        records_url, "users", "create", "bob", "--role", "analyst", "--password-stdin", input=""
    )
    assert r.exit_code == 2 and "nothing was read" in r.stderr
    failed = [(e.action, e.target) for e in entries(records_url) if e.outcome == "failed"]
    assert failed == [
        ("create", "user:amy"),
        ("create", "user:amy"),
        ("change", "user:nobody"),
        ("create", "user:bob"),
    ]
    assert run(records_url, "audit", "verify").exit_code == 0


def _tamper(url: str, statement: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
        conn.execute(text(statement))
    engine.dispose()


def _seed(url: str, n: int = 4) -> None:
    for i in range(n):
        r = run(
            url,
            "users",
            "create",
            f"user{i}",
            "--role",
            "pcc-viewer",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        assert r.exit_code == 0, r.output


def test_audit_verify_passes_then_names_an_edited_row(records_url: str) -> None:
    _seed(records_url)
    r = run(records_url, "audit", "verify")
    assert r.exit_code == 0, r.output
    assert "access log intact: 4 entries checked" in r.stdout
    assert "chain key: " in r.stdout and "warning" not in r.output  # every entry keyed
    _tamper(records_url, "UPDATE audit_log SET details = '{}' WHERE id = 2")
    r = run(records_url, "audit", "verify")
    assert r.exit_code == 1
    assert "access log BROKEN at entry 2: content hash mismatch at entry 2" in r.stderr
    # The verification itself is logged, failed or not.
    assert [(e.action, e.outcome) for e in entries(records_url)][-2:] == [
        ("verify", "ok"),
        ("verify", "failed"),
    ]


def test_audit_verify_names_a_deleted_row(records_url: str) -> None:
    _seed(records_url)
    _tamper(records_url, "DELETE FROM audit_log WHERE id = 3")
    r = run(records_url, "audit", "verify")
    assert r.exit_code == 1
    assert "BROKEN at entry 3: gap in ids: entry 3 is missing" in r.stderr


def test_audit_export_csv_and_jsonl_with_filters(records_url: str, tmp_path: Path) -> None:
    _seed(records_url, 3)
    out = tmp_path / "log.csv"
    r = run(records_url, "audit", "export", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "wrote 3 entries" in r.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["actor"] == ME and rows[0]["action"] == "create"
    jsonl = tmp_path / "log.jsonl"
    r = run(
        records_url,
        "audit",
        "export",
        "--out",
        str(jsonl),
        "--action",
        "export",
        "--since",
        "2000-01-01",
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert [x["action"] for x in lines] == ["export"]  # the first export, itself logged
    assert json.loads(lines[0]["details"])["rows"] == 3
    assert not list(tmp_path.glob("*.part"))
    r = run(records_url, "audit", "export", "--out", str(tmp_path / "x.csv"), "--since", "soon")
    assert r.exit_code == 2 and "--since" in r.stderr
    r = run(records_url, "audit", "export", "--out", str(tmp_path / "no" / "x.csv"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_default_database_is_in_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HARMWATCH_DATABASE_URL", raising=False)
    r = runner.invoke(app, ["users", "list"])
    assert r.exit_code == 0, r.output
    assert "records database:" in r.stderr and "default" in r.stderr
    assert (tmp_path / "home" / "records.sqlite").is_file()


def test_bad_database_urls_are_one_line_errors_without_the_password() -> None:
    r = runner.invoke(app, ["users", "list", "--database-url", "mysql://u:hunter2@h/db"])
    assert r.exit_code == 2
    assert "unsupported records database" in r.stderr and "hunter2" not in r.output
    r = runner.invoke(
        app, ["users", "list", "--database-url", "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"]
    )
    assert r.exit_code == 2
    assert r.stderr.startswith("error: records database:") and "hunter2" not in r.output
    assert "Traceback" not in r.output
