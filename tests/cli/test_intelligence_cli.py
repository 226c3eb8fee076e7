"""`harmwatch intel …` as an intelligence officer with an operator key: record, import, path, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import intelligence
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.models import User
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
intelligence.register(app)
runner = CliRunner()
WHY = "Op CLI: command-line tests"


@pytest.fixture
def officer(tmp_path: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        user: User = create_user(
            db,
            "io",
            Role.INTELLIGENCE_OFFICER,
            "a long enough password",
            force="hertfordshire",
            units=["dacorum-cid"],
        )
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / "io.key", secret)
    return url, ["--as", "io", "--key-file", str(key), "--database-url", url]


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_an_officer_imports_then_follows_a_path_and_exports(
    officer: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, me = officer
    (tmp_path / "r.csv").write_text(
        "reference,scheme,source_evaluation,intelligence_assessment,handling_code,conditions,sanitised_text,originator,reported_on\n"
        "HC-1,3x5x2,2,B,P,,Ann uses a phone,PC A,2025-01-01\n"
        "HC-2,3x5x2,1,C,C,Not outside Herts,Ann runs ACE,PC B,2025-02-01\n"
    )
    (tmp_path / "e.csv").write_text(
        "id,kind,label,value\nann,person,Ann Example,\nline,county-line,,ACE line\n"
    )
    (tmp_path / "l.csv").write_text(
        "from,to,kind,strength,reports\nann,line,runs-line,tentative,HC-2\n"
    )
    r = runner.invoke(
        app,
        [
            "intel",
            "import",
            "--reports",
            str(tmp_path / "r.csv"),
            "--entities",
            str(tmp_path / "e.csv"),
            "--links",
            str(tmp_path / "l.csv"),
            *me,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "imported 2 report(s), 2 entity(ies), 1 link(s)" in r.output
    r = runner.invoke(app, ["intel", "reports", "--json", "--justification", WHY, *me])
    assert r.exit_code == 0, r.output
    assert {x["reference"]: x["grade"] for x in json.loads(r.output)} == {
        "HC-1": "2B P",
        "HC-2": "1C C",
    }
    r = runner.invoke(app, ["intel", "path", "1", "2", "--json", "--justification", WHY, *me])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["paths"][0]["labels"] == ["Ann Example", "ACE line"]
    out = tmp_path / "chart.graphml"
    args = [
        "intel",
        "export",
        "1",
        "--format",
        "graphml",
        "--recipient",
        "CPS East",
        "--out",
        str(out),
        "--justification",
        WHY,
        *me,
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "Not outside Herts" in refused.output and not out.exists()
    r = runner.invoke(app, [*args, "--acknowledge-conditions"])
    assert r.exit_code == 0, r.output
    assert "Not outside Herts" in out.read_text()
    engine = make_engine(url)
    with session_scope(engine) as db:
        last = audit.query(db, limit=1)[0]
    engine.dispose()
    assert (last.action, last.outcome, last.details["recipient"], last.details["via"]) == (
        "disclosure",
        "ok",
        "CPS East",
        "cli-key",
    )


def test_a_bad_import_names_file_line_and_field(
    officer: tuple[str, list[str]], tmp_path: Path
) -> None:
    _, me = officer
    (tmp_path / "e.csv").write_text("id,kind,label,value\nx,phone,,12\n")
    r = runner.invoke(app, ["intel", "import", "--entities", str(tmp_path / "e.csv"), *me])
    assert r.exit_code == 2
    assert "e.csv:2: value:" in r.output and "nothing was imported" in r.output


def test_the_network_commands_are_there_too() -> None:
    r = runner.invoke(app, ["network", "--help"])
    assert r.exit_code == 0 and "centrality" in r.output and "path" in r.output


def test_key_players_on_the_demo_set(officer: tuple[str, list[str]]) -> None:
    from harmwatch.intelligence import demo
    from harmwatch.storage.records import make_engine

    url, me = officer
    engine = make_engine(url)
    demo.seed(engine, "hertfordshire", "dacorum-cid", username="io")
    engine.dispose()
    r = runner.invoke(
        app, ["intel", "players", "--top", "3", "--json", "--justification", WHY, *me]
    )
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["players"][0]["label"] == "TONY line (fictional)"
    assert (
        result["removal"]["before"]["largest_component"]
        > result["removal"]["after"]["largest_component"]
    )
