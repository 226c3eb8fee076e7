"""`harmwatch synth forensics` then `harmwatch forensic import` as a forensic reviewer with a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import forensic_data
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

forensic = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
synth = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
forensic_data.register(forensic)
forensic_data.register_synth(synth)
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(forensic, name="forensic")
app.add_typer(synth, name="synth")
runner = CliRunner()
WHY = "Op Glass: importing the force's forensic casework"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _user(tmp_path: Path, url: str, name: str, role: Role) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as db:
        user = create_user(
            db, name, role, "a long enough password", force="hertfordshire", units=["fsu"]
        )
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / f"{name}.key", secret)
    return ["--as", name, "--key-file", str(key), "--database-url", url]


def test_generate_then_import_a_forces_exports(tmp_path: Path, db_url: str) -> None:
    me = _user(tmp_path, db_url, "reviewer", Role.FORENSIC_REVIEWER)
    out = tmp_path / "synth"
    made = runner.invoke(app, ["synth", "forensics", "--out", str(out), "--years", "2019-2019"])
    assert made.exit_code == 0, made.output
    assert made.output.startswith("SYNTHETIC:")
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["params"]["years"] == [2019, 2019]
    counts = {}
    for kind in ("case-management", "lims"):
        done = runner.invoke(
            app,
            [
                "forensic", "import", str(out / f"SYNTHETIC-hertfordshire-{kind}.csv"),
                "--kind", kind, "--spec", str(out / f"SYNTHETIC-{kind}.spec.toml"),
                "--justification", WHY, "--json", *me,
            ],
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        counts[kind] = json.loads(done.output)
    assert counts["case-management"]["cases"] == truth["rows"]["hertfordshire"]["cases"]
    assert counts["lims"]["exhibits"] > 0
    assert "Northgate Toxicology Ltd (FICTIONAL)" in counts["lims"]["providers_created"]

    # The same file again: every case is already held; the error names file:line: field.
    again = runner.invoke(
        app,
        [
            "forensic", "import", str(out / "SYNTHETIC-hertfordshire-case-management.csv"),
            "--kind", "case-management", "--spec", str(out / "SYNTHETIC-case-management.spec.toml"),
            "--justification", WHY, *me,
        ],
    )  # fmt: skip
    assert again.exit_code == 2
    assert "SYNTHETIC-hertfordshire-case-management.csv:2: reference (Case Ref):" in again.output
    assert "nothing from" in again.output


def test_a_wrong_kind_and_a_role_without_the_capability_are_refused(
    tmp_path: Path, db_url: str
) -> None:
    analyst = _user(tmp_path, db_url, "analyst", Role.ANALYST)
    out = tmp_path / "synth"
    assert (
        runner.invoke(app, ["synth", "forensics", "--out", str(out), "--years", "2019"]).exit_code
        == 0
    )
    cases = str(out / "SYNTHETIC-hertfordshire-case-management.csv")
    spec = str(out / "SYNTHETIC-case-management.spec.toml")
    wrong = runner.invoke(
        app, ["forensic", "import", cases, "--kind", "lab", "--spec", spec, *analyst]
    )
    assert wrong.exit_code == 2 and "kind: 'lab' is not one of" in wrong.output
    denied = runner.invoke(
        app,
        ["forensic", "import", cases, "--kind", "case-management", "--spec", spec,
         "--justification", WHY, *analyst],
    )  # fmt: skip
    assert denied.exit_code != 0 and "may not create forensic cases" in denied.output
