"""`harmwatch referral …` as a neighbourhood officer with an operator key: add, list, decide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import safeguarding
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.models import User
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
safeguarding.register(app)
runner = CliRunner()
WHY = "Op CLI: referral command-line tests"


@pytest.fixture
def officer(tmp_path: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        user: User = create_user(
            db,
            "pc",
            Role.NEIGHBOURHOOD_OFFICER,
            "a long enough password",
            force="hertfordshire",
            units=["dacorum-snt"],
        )
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / "pc.key", secret)
    return url, ["--as", "pc", "--key-file", str(key), "--database-url", url]


def test_an_officer_adds_lists_and_decides(officer: tuple[str, list[str]]) -> None:
    url, me = officer
    common = ["--concern", "cuckooing", "--referred-on", "2025-04-01", "--justification", WHY]
    adult = runner.invoke(
        app,
        [
            "referral",
            "add",
            "--kind",
            "nrm",
            "--subject",
            "Tenant Fictional",
            "--adult",
            "--consent",
            "no",
            "--agency",
            "Single Competent Authority",
            *common,
            *me,
        ],
    )
    assert adult.exit_code == 0, adult.output
    assert "(duty-to-notify)" in adult.output and "s.52" in adult.output
    child = runner.invoke(
        app,
        [
            "referral",
            "add",
            "--kind",
            "nrm",
            "--subject",
            "Kai Fictional",
            "--child",
            "--agency",
            "Single Competent Authority",
            *common,
            *me,
        ],
    )
    assert child.exit_code == 0 and "(nrm)" in child.output, child.output
    listed = runner.invoke(app, ["referral", "list", "--json", "--justification", WHY, *me])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["referral_kind"], r["subject_identified"]) for r in rows] == [
        ("nrm", True),
        ("duty-to-notify", False),
    ]
    nrm_id = str(rows[0]["id"])
    early = runner.invoke(
        app,
        [
            "referral",
            "decide",
            nrm_id,
            "--conclusive",
            "positive",
            "--conclusive-on",
            "2025-05-01",
            "--justification",
            WHY,
            *me,
        ],
    )
    assert early.exit_code == 2 and "reasonable grounds" in early.output
    done = runner.invoke(
        app,
        [
            "referral",
            "decide",
            nrm_id,
            "--reasonable",
            "positive",
            "--reasonable-on",
            "2025-04-05",
            "--justification",
            WHY,
            *me,
        ],
    )
    assert done.exit_code == 0 and "awaiting conclusive grounds" in done.output, done.output
    engine = make_engine(url)
    with session_scope(engine) as db:
        entries = audit.query(db, actor="pc", limit=None)
    engine.dispose()
    assert entries[0].action == "alteration" and entries[0].details["via"] == "cli-key"
    assert [e.outcome for e in entries[:2]] == ["ok", "refused"]
