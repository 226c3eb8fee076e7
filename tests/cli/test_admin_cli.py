"""`harmwatch users …` and `harmwatch audit …` as an administrator runs them: as a named user.

Runs on SQLite and PostgreSQL; builds its own Typer app from the admin room's
commands, as cli/main.py registers them.
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
admin.register(app)
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


def bootstrap(url: str, tmp_path: Path) -> Path:
    """The first admin (no sign-in: the one such act), then an operator key for it."""
    r = run(
        url, "users", "create", "root", "--role", "admin", "--password-stdin", input=PASSWORD + "\n"
    )
    assert r.exit_code == 0, r.output
    key = tmp_path / "root.key"
    r = run(
        url, "users", "issue-key", "root", "--out", str(key), "--as", "root", input=PASSWORD + "\n"
    )
    assert r.exit_code == 0, r.output
    return key


def as_(key: Path, user: str = "root") -> list[str]:
    return ["--as", user, "--key-file", str(key)]


def make_user(url: str, key: Path, name: str, role: str) -> None:
    r = run(
        url,
        "users",
        "create",
        name,
        "--role",
        role,
        "--password-stdin",
        *as_(key),
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output


def test_user_lifecycle_and_every_command_is_audited(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    assert key.stat().st_mode & 0o777 == 0o600
    r = run(
        records_url,
        "users",
        "create",
        "Olivia",
        "--role",
        "neighbourhood-officer",
        "--force",
        "hertfordshire",
        "--unit",
        "dacorum-snt",
        *as_(key),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # prompted twice, hidden
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output
    assert run(records_url, "users", "set-role", "olivia", "analyst", *as_(key)).exit_code == 0
    r = run(
        records_url,
        "users",
        "set-units",
        "olivia",
        "--force",
        "hertfordshire",
        "--unit",
        "dacorum-cid",
        "--unit",
        "op-scorpion",
        *as_(key),
    )
    assert r.exit_code == 0 and "units: dacorum-cid, op-scorpion" in r.stdout, r.output
    r = run(records_url, "users", "disable", "olivia", *as_(key))
    assert r.exit_code == 0 and "disabled user 'olivia'" in r.stdout
    r = run(records_url, "users", "list", "--json", *as_(key))
    assert r.exit_code == 0, r.output
    listed = {
        u["username"]: (u["role"], u["force"], u["units"], u["disabled"])
        for u in json.loads(r.stdout)
    }
    assert listed == {
        "root": ("admin", "", [], False),
        "olivia": ("analyst", "hertfordshire", ["dacorum-cid", "op-scorpion"], True),
    }
    r = run(records_url, "users", "list", *as_(key))
    assert r.exit_code == 0 and "olivia" in r.stdout and "disabled" in r.stdout

    log = entries(records_url)
    assert [(e.actor, e.action, e.target, e.outcome) for e in log] == [
        (ME, "collection", "user:root", "ok"),
        ("root", "collection", "operator-key:root", "ok"),
        ("root", "collection", "user:olivia", "ok"),
        ("root", "alteration", "user:olivia", "ok"),
        ("root", "alteration", "user:olivia", "ok"),
        ("root", "alteration", "user:olivia", "ok"),
        ("root", "consultation", "user:*", "ok"),
        ("root", "consultation", "user:*", "ok"),
    ]
    assert log[0].details["bootstrap"] and log[0].details["via"] == "bootstrap"
    assert log[1].details["via"] == "cli-password"
    assert log[3].details == {
        "change": "set-role",
        "role": "analyst",
        "previous_role": "neighbourhood-officer",
        "via": "cli-key",
    }
    assert log[4].details["now"] == {
        "force": "hertfordshire",
        "units": ["dacorum-cid", "op-scorpion"],
    }
    assert log[5].details["change"] == "disable"
    assert all(e.client == "cli" for e in log)
    assert all(PASSWORD not in e.details_json for e in log)


def test_every_command_but_the_first_admin_needs_a_sign_in(
    records_url: str, tmp_path: Path
) -> None:
    bootstrap(records_url, tmp_path)
    r = run(records_url, "users", "list")
    assert r.exit_code == 2 and "give --as USER" in r.stderr
    r = run(
        records_url,
        "users",
        "create",
        "root2",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 2 and "give --as USER" in r.stderr  # an admin exists: no more bootstraps
    r = run(records_url, "users", "list", "--as", "root", input="wrong password here\n")
    assert r.exit_code == 2 and "unknown username or wrong password" in r.stderr
    failed = entries(records_url)[-1]
    assert (failed.actor, failed.action, failed.outcome) == ("root", "sign-in-failed", "refused")
    assert failed.details["via"] == "password"


def test_key_files_must_be_private_live_and_the_users_own(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    key.chmod(0o644)
    r = run(records_url, "users", "list", *as_(key))
    assert (
        r.exit_code == 2
        and "can be read by others (mode 0644)" in r.stderr
        and "chmod 600" in r.stderr
    )
    key.chmod(0o600)
    r = run(records_url, "users", "list", "--as", "someone", "--key-file", str(key))
    assert r.exit_code == 2 and "the key is 'root''s" in r.stderr
    other = tmp_path / "second.key"
    assert (
        run(records_url, "users", "issue-key", "root", "--out", str(other), *as_(key)).exit_code
        == 0
    )
    r = run(records_url, "users", "issue-key", "root", "--out", str(other), *as_(key))
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = run(records_url, "users", "revoke-keys", "root", *as_(key))
    assert r.exit_code == 0 and "revoked 2 key(s)" in r.stdout
    r = run(records_url, "users", "list", *as_(other))
    assert r.exit_code == 2 and "unknown, revoked" in r.stderr


def test_roles_are_checked_and_a_denial_is_logged(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    make_user(records_url, key, "pat", "pcc-viewer")
    make_user(records_url, key, "dora", "data-protection-officer")
    pat_key, dora_key = tmp_path / "pat.key", tmp_path / "dora.key"
    for name, path in (("pat", pat_key), ("dora", dora_key)):
        r = run(
            records_url,
            "users",
            "issue-key",
            name,
            "--out",
            str(path),
            "--as",
            name,
            input=PASSWORD + "\n",
        )
        assert r.exit_code == 0, r.output  # anyone may issue a key for themself
    r = run(records_url, "users", "list", *as_(pat_key, "pat"))
    assert r.exit_code == 2 and "may not do this: it needs manage-users" in r.stderr
    assert (entries(records_url)[-1].actor, entries(records_url)[-1].outcome) == ("pat", "denied")
    r = run(
        records_url,
        "users",
        "issue-key",
        "root",
        "--out",
        str(tmp_path / "x.key"),
        *as_(pat_key, "pat"),
    )
    assert r.exit_code == 2 and not (tmp_path / "x.key").exists()
    assert run(records_url, "audit", "verify", *as_(pat_key, "pat")).exit_code == 2
    assert entries(records_url)[-1].outcome == "denied"
    # The data protection officer reads the log but does not manage accounts.
    assert run(records_url, "audit", "verify", *as_(dora_key, "dora")).exit_code == 0
    assert run(records_url, "users", "disable", "pat", *as_(dora_key, "dora")).exit_code == 2


def test_refusals_exit_2_with_one_line_and_are_audited(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)

    def create(name: str, password_line: str):  # type: ignore[no-untyped-def]
        return run(
            records_url,
            "users",
            "create",
            name,
            "--role",
            "analyst",
            "--password-stdin",
            *as_(key),
            input=password_line,
        )

    r = create("amy", "short\n")
    assert r.exit_code == 2
    assert r.stderr.strip().startswith("error: password too short")
    assert "Traceback" not in r.output
    assert create("amy", PASSWORD + "\n").exit_code == 0
    r = create("AMY", PASSWORD + "\n")
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = run(records_url, "users", "disable", "nobody", *as_(key))
    assert r.exit_code == 2 and "no user named 'nobody'" in r.stderr
    r = run(records_url, "users", "set-role", "amy", "chief-constable", *as_(key))
    assert r.exit_code == 2  # Typer names the valid roles
    r = run(records_url, "users", "set-units", "amy", "--force", "Herts Police!", *as_(key))
    assert r.exit_code == 2 and "police.uk slug" in r.stderr
    r = create("bob", "")
    assert r.exit_code == 2 and "nothing was read" in r.stderr
    refused = [(e.action, e.target) for e in entries(records_url) if e.outcome == "refused"]
    assert refused == [
        ("collection", "user:amy"),
        ("collection", "user:amy"),
        ("alteration", "user:nobody"),
        ("alteration", "user:amy"),
        ("collection", "user:bob"),
    ]
    assert run(records_url, "audit", "verify", *as_(key)).exit_code == 0


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


def _seed(url: str, key: Path, n: int = 2) -> None:
    for i in range(n):
        make_user(url, key, f"user{i}", "pcc-viewer")


def test_audit_verify_passes_then_names_an_edited_row(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    _seed(records_url, key)  # 2 + 2 entries
    r = run(records_url, "audit", "verify", *as_(key))
    assert r.exit_code == 0, r.output
    assert "access log intact: 4 entries checked" in r.stdout
    assert "chain key: " in r.stdout and "warning" not in r.output  # every entry keyed
    _tamper(records_url, "UPDATE audit_log SET details = '{}' WHERE id = 2")
    r = run(records_url, "audit", "verify", *as_(key))
    assert r.exit_code == 1
    assert "access log BROKEN at entry 2: content hash mismatch at entry 2" in r.stderr
    # The verification itself is logged, failed or not.
    assert [(e.action, e.outcome) for e in entries(records_url)][-2:] == [
        ("verify", "ok"),
        ("verify", "failed"),
    ]


def test_audit_verify_names_a_deleted_row(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    _seed(records_url, key)
    _tamper(records_url, "DELETE FROM audit_log WHERE id = 3")
    r = run(records_url, "audit", "verify", *as_(key))
    assert r.exit_code == 1
    assert "BROKEN at entry 3: gap in ids: entry 3 is missing" in r.stderr


def test_audit_export_csv_and_jsonl_with_filters(records_url: str, tmp_path: Path) -> None:
    key = bootstrap(records_url, tmp_path)
    _seed(records_url, key, 1)  # 3 entries
    out = tmp_path / "log.csv"
    why = ["--justification", "annual audit of the access log"]
    r = run(records_url, "audit", "export", "--out", str(out), *why, *as_(key))
    assert r.exit_code == 0, r.output
    assert "wrote 3 entries" in r.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["actor"] == ME and rows[0]["action"] == "collection"
    jsonl = tmp_path / "log.jsonl"
    r = run(
        records_url,
        "audit",
        "export",
        "--out",
        str(jsonl),
        "--action",
        "disclosure",
        "--since",
        "2000-01-01",
        *why,
        *as_(key),
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert [x["action"] for x in lines] == ["disclosure"]  # the first export, itself logged
    first = json.loads(lines[0]["details"])
    assert first["rows"] == 3 and first["recipient"] == "root"
    assert lines[0]["justification"] == "annual audit of the access log"
    assert not list(tmp_path.glob("*.part"))
    r = run(
        records_url,
        "audit",
        "export",
        "--out",
        str(tmp_path / "x.csv"),
        "--since",
        "soon",
        *why,
        *as_(key),
    )
    assert r.exit_code == 2 and "--since" in r.stderr
    r = run(
        records_url, "audit", "export", "--out", str(tmp_path / "no" / "x.csv"), *why, *as_(key)
    )
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run(
        records_url,
        "audit",
        "export",
        "--out",
        str(tmp_path / "y.csv"),
        "--justification",
        "why",
        *as_(key),
    )
    assert r.exit_code == 2 and "justification too short" in r.stderr


def test_default_database_is_in_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HARMWATCH_DATABASE_URL", raising=False)
    r = runner.invoke(
        app,
        ["users", "create", "root", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
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


def test_changing_your_own_role_or_disabling_yourself_needs_yes(
    records_url: str, tmp_path: Path
) -> None:
    key = bootstrap(records_url, tmp_path)
    make_user(records_url, key, "second", "admin")
    r = run(records_url, "users", "set-role", "root", "analyst", *as_(key))
    assert r.exit_code == 2 and "your own role" in r.stderr and "--yes" in r.stderr
    r = run(records_url, "users", "disable", "root", *as_(key))
    assert r.exit_code == 2 and "your own account" in r.stderr
    assert entries(records_url)[-1].outcome == "refused"
    r = run(records_url, "users", "set-role", "root", "analyst", "--yes", *as_(key))
    assert r.exit_code == 0, r.output
