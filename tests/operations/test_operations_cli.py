"""`harmwatch ops …` as an analyst with an operator key: a template filled in, imported, summarised."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import operations
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
operations.register(app)
runner = CliRunner()
WHY = "Op CLI: operations command-line tests"


def _user(db: object, tmp_path: Path, name: str, role: Role) -> list[str]:
    user = create_user(db, name, role, "a long enough password", force="hertfordshire",  # type: ignore[arg-type]
                       units=["herts-ocu"])  # fmt: skip
    secret = issue_key(db, user, created_by="test")  # type: ignore[arg-type]
    key = write_key_file(tmp_path / f"{name}.key", secret)
    return ["--as", name, "--key-file", str(key)]


@pytest.fixture
def accounts(tmp_path: Path) -> dict[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        analyst = _user(db, tmp_path, "analyst", Role.ANALYST)
        pcc = _user(db, tmp_path, "pcc", Role.PCC_VIEWER)
    engine.dispose()
    return {"analyst": [*analyst, "--database-url", url], "pcc": [*pcc, "--database-url", url]}


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_template_import_summary_and_list(accounts: dict[str, list[str]], tmp_path: Path) -> None:
    me = accounts["analyst"]
    _ok(["ops", "add", "--set", "name=Op Comet", "--set", "starts_on=2025-01-06",
         "--justification", WHY, *me])  # fmt: skip
    template = tmp_path / "charge.csv"
    assert "wrote" in _ok(["ops", "template", "charge", "--out", str(template)])
    with template.open("a", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Op Comet", "2025-02-01", "", "PC 9", "", "A Fictional", "92A", "3"])
        writer.writerow(["Op Comet", "2025-02-02", "", "PC 9", "", "B Fictional", "92A;92E", "4"])
    loaded = json.loads(
        _ok(["ops", "import", str(template), "--json", "--justification", WHY, *me])
    )
    assert loaded[0]["rows"] == {"charge": 2}
    _ok(["ops", "record", "line-closure", "--set", "operation=Op Comet", "--set",
         "occurred_on=2025-02-03", "--set", "officer=DC 1", "--set", "line_name=Comet",
         "--set", "number=07700 900555", "--set", "closure_type=type-2", "--set",
         "deactivated_on=2025-02-03", "--justification", WHY, *me])  # fmt: skip
    got = json.loads(_ok(["ops", "summary", "--operation", "Op Comet", "--json",
                          "--justification", WHY, *me]))  # fmt: skip
    for key in ("people_charged", "offences_charged", "lines_closed", "lines_closed_type1",
                "lines_closed_type2", "warrants_executed", "drugs_value_low", "drugs_value_high",
                "cash_seized", "ocg_disruptions", "records"):  # fmt: skip
        assert key in got
    assert (got["people_charged"], got["offences_charged"]) == (2, 7)
    assert (got["lines_closed"], got["lines_closed_type2"]) == (1, 1)
    assert got["exact"] is True and len(got["records"]["people_charged"]) == 2
    names = [o["name"] for o in json.loads(_ok(["ops", "list", "--json", *me]))]
    assert names == ["Op Comet"]
    # The PCC viewer: the operation's name, and figures with no name in them.
    pcc = accounts["pcc"]
    assert [o["name"] for o in json.loads(_ok(["ops", "list", "--json", *pcc]))] == ["Op Comet"]
    theirs = json.loads(_ok(["ops", "summary", "--operation", "Op Comet", "--json", *pcc]))
    assert (theirs["people_charged"], theirs["exact"]) == (2, False)
    assert "Fictional" not in json.dumps(theirs)
    text = _ok(["ops", "summary", "--operation", "Op Comet", "--justification", WHY, *me])
    assert "2 people charged with 7 offences; 1 county line closed (0 Type 1, 1 Type 2)" in text


def test_a_bad_row_is_an_error_naming_line_and_field(
    accounts: dict[str, list[str]], tmp_path: Path
) -> None:
    me = accounts["analyst"]
    path = tmp_path / "arrests.csv"
    path.write_text(
        "occurred_on,officer,person,offence\n2025-13-01,PC 1,X,supply\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["ops", "import", str(path), "--kind", "arrest", "--justification", WHY, *me]
    )
    assert result.exit_code == 2
    assert "arrests.csv:2: occurred_on: '2025-13-01' is not a date like 2025-03-31" in result.output
    result = runner.invoke(app, ["ops", "import", str(path), "--justification", WHY, *me])
    assert result.exit_code == 2 and "--kind" in result.output
