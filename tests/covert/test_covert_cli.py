"""`harmwatch covert …` as an intelligence officer with an operator key; an analyst refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from covert_helpers import Clock, utc
from typer.testing import CliRunner

from harmwatch.cli import covert
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.models import User
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
covert.register(app)
runner = CliRunner()
WHY = "Op CLI: covert command-line tests"


def _user(tmp_path: Path, url: str, name: str, role: Role) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as db:
        user: User = create_user(
            db, name, role, "a long enough password", force="hertfordshire", units=["dacorum-cid"]
        )
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / f"{name}.key", secret)
    return ["--as", name, "--key-file", str(key), "--database-url", url]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_an_officer_adds_lists_reviews_renews_and_cancels(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, utc(2025, 3, 31, 9, 0))
    me = _user(tmp_path, db_url, "io", Role.INTELLIGENCE_OFFICER)
    added = runner.invoke(
        app,
        [
            "covert", "add", "--urn", "DS/2025/7", "--kind", "directed-surveillance",
            "--subject", "Dee Fictional", "--applied-on", "2024-12-31", "--applicant", "DC A",
            "--authorised-by", "Supt B", "--rank", "Superintendent", "--granted-on", "2025-01-01",
            "--granted-time", "09:30", "--justification", WHY, "--json", *me,
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    made = json.loads(added.output)
    assert made["expires_local"] == "2025-03-31 23:59:59 BST"
    assert [a["kind"] for a in made["alerts"]] == ["expires-today", "review-overdue"]
    ident = str(made["id"])
    alerts = runner.invoke(app, ["covert", "alerts", "--justification", WHY, *me])
    assert alerts.exit_code == 0 and "expires-today" in alerts.output, alerts.output
    listed = runner.invoke(app, ["covert", "list", "--json", "--justification", WHY, *me])
    assert [r["urn"] for r in json.loads(listed.output)] == ["DS/2025/7"]
    reviewed = runner.invoke(
        app, ["covert", "review", ident, "--by", "Supt B", "--justification", WHY, *me]
    )
    assert reviewed.exit_code == 0 and "next review 2025-04-28" in reviewed.output, reviewed.output
    renewed = runner.invoke(
        app,
        ["covert", "renew", ident, "--authorised-by", "Supt B", "--rank", "Superintendent",
         "--justification", WHY, *me],
    )  # fmt: skip
    assert renewed.exit_code == 0 and "ceases 2025-06-30 23:59:59 BST" in renewed.output
    clock.set(utc(2025, 7, 2, 9, 0))
    late = runner.invoke(
        app,
        ["covert", "renew", ident, "--authorised-by", "Supt B", "--rank", "Superintendent",
         "--justification", WHY, *me],
    )  # fmt: skip
    assert late.exit_code == 2 and "renewed_on: it ceased 2025-06-30" in late.output
    cancelled = runner.invoke(
        app,
        ["covert", "cancel", ident, "--by", "Supt B", "--reason", "Operation concluded",
         "--justification", WHY, *me],
    )  # fmt: skip
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output, cancelled.output
    shown = runner.invoke(app, ["covert", "show", ident, "--justification", WHY, *me])
    assert "renewed 2025-03-31" in shown.output and "reviewed 2025-03-31" in shown.output
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        entries = audit.query(db, actor="io", limit=None)
    engine.dispose()
    assert {e.details.get("via") for e in entries} == {"cli-key"}
    assert [(e.action, e.outcome) for e in entries[:3]] == [
        ("consultation", "ok"),  # show
        ("alteration", "ok"),  # cancel
        ("alteration", "refused"),  # the late renewal
    ]


def test_an_analyst_is_refused_and_the_refusal_logged(tmp_path: Path, db_url: str) -> None:
    me = _user(tmp_path, db_url, "analyst", Role.ANALYST)
    for command in (["list"], ["alerts"], ["show", "1"]):
        got = runner.invoke(app, ["covert", *command, "--justification", WHY, *me])
        assert got.exit_code == 2 and "may not" in got.output, (command, got.output)
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        entries = audit.query(db, actor="analyst", limit=None)
    engine.dispose()
    assert [e.outcome for e in entries] == ["denied", "denied", "denied"]
