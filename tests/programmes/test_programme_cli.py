"""`harmwatch programmes …` as a neighbourhood officer with an operator key, and as a PCC viewer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import programmes
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
programmes.register(app)
runner = CliRunner()
WHY = "Op CLI: programme command-line tests"


@pytest.fixture
def people(tmp_path: Path) -> tuple[str, dict[str, list[str]]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    args: dict[str, list[str]] = {}
    with session_scope(engine) as db:
        for name, role in (("pc", Role.NEIGHBOURHOOD_OFFICER), ("pcc", Role.PCC_VIEWER)):
            user = create_user(
                db,
                name,
                role,
                "a long enough password",
                force="hertfordshire",
                units=["dacorum-snt"],
            )
            secret = issue_key(db, user, created_by="test")
            key = write_key_file(tmp_path / f"{name}.key", secret)
            args[name] = ["--as", name, "--key-file", str(key), "--database-url", url]
    engine.dispose()
    return url, args


def test_an_officer_sets_up_records_and_counts(people: tuple[str, dict[str, list[str]]]) -> None:
    url, args = people
    me = args["pc"]
    added = runner.invoke(
        app,
        [
            "programmes",
            "add",
            "--name",
            "Checkpoint Dacorum",
            "--type",
            "checkpoint",
            "--starts-on",
            "2025-01-01",
            "--json",
            *me,
        ],
    )
    assert added.exit_code == 0, added.output
    pid = str(json.loads(added.output)["id"])
    enrolled = runner.invoke(
        app,
        [
            "programmes",
            "participant",
            pid,
            "--identifier",
            "41/77/25",
            "--field",
            "age_band=25-34",
            "--json",
            "--justification",
            WHY,
            *me,
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    pseudonym = json.loads(enrolled.output)["label"]
    assert pseudonym.startswith("P-") and "41/77/25" not in enrolled.output
    for months, again in (("12", "no"), ("24", "yes")):
        done = runner.invoke(
            app,
            [
                "programmes",
                "event",
                pid,
                "--kind",
                "reoffending-check",
                "--on",
                "2026-01-05",
                "--participant",
                "41 77 25",
                "--field",
                f"months={months}",
                "--field",
                f"reoffended={again}",
                "--justification",
                WHY,
                *me,
            ],
        )
        assert done.exit_code == 0 and pseudonym in done.output, done.output
    bad = runner.invoke(
        app,
        [
            "programmes",
            "event",
            pid,
            "--kind",
            "reoffending-check",
            "--on",
            "2026-01-05",
            "--participant",
            pseudonym,
            "--field",
            "months=36",
            "--justification",
            WHY,
            *me,
        ],
    )
    assert bad.exit_code == 2 and "months:" in bad.output and "reoffended: required" in bad.output
    shown = runner.invoke(app, ["programmes", "show", pid, "--json", "--justification", WHY, *me])
    assert shown.exit_code == 0, shown.output
    listing = json.loads(shown.output)
    assert listing["total"] == 2 and {e["participant"] for e in listing["events"]} == {pseudonym}
    counted = runner.invoke(app, ["programmes", "outcomes", pid, "--json", *me])
    figures = {m["key"]: m for m in json.loads(counted.output)[0]["measures"]}
    assert figures["reoffended-24"]["value"] == 1 and figures["reoffended-12"]["value"] == 0
    assert figures["reoffending-rate-24"]["percent"] == "100.0"
    # the PCC viewer: the figures through the one rule, no events
    pcc = args["pcc"]
    theirs = runner.invoke(app, ["programmes", "list", "--json", *pcc])
    assert theirs.exit_code == 0, theirs.output
    (only,) = json.loads(theirs.output)
    measures = {m["key"]: m for m in only["measures"]}
    assert measures["reoffended-24"]["value"] == "fewer than 5" and pseudonym not in theirs.output
    refused = runner.invoke(app, ["programmes", "show", pid, "--justification", WHY, *pcc])
    assert refused.exit_code != 0 and pseudonym not in refused.output
    engine = make_engine(url)
    with session_scope(engine) as db:
        mine = audit.query(db, actor="pc", limit=None)
        theirs_log = audit.query(db, actor="pcc", limit=None)
    engine.dispose()
    assert mine[0].details["via"] == "cli-key" and mine[0].details["aggregates"]
    assert [(e.action, e.outcome) for e in mine[1:4]] == [
        ("consultation", "ok"),
        ("collection", "refused"),
        ("collection", "ok"),
    ]
    assert [e.outcome for e in theirs_log] == ["denied", "ok"]
