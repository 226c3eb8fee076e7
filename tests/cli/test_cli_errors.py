"""The command line: bad input exits 2 with the reason; a defect exits 1 with a reference."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli.common import internal_log_file, user_errors
from harmwatch.errors import InputError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
SECRET_TEXT = "internal detail: row 42 of /srv/secret"


@app.command("bad-input")
@user_errors
def bad_input() -> None:
    raise InputError("--months: 2025-13 is not a month")


@app.command("defect")
@user_errors
def defect() -> None:
    raise KeyError(SECRET_TEXT)


@app.command("other")
def other() -> None:  # a second command, so Typer keeps the names above
    pass


def test_a_user_error_exits_2_with_its_message() -> None:
    result = CliRunner().invoke(app, ["bad-input"])
    assert result.exit_code == 2
    assert result.stderr == "error: --months: 2025-13 is not a month\n"


@pytest.mark.internal_error_expected
def test_a_defect_exits_1_with_a_reference_and_the_traceback_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["defect"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error, reference ")
    assert SECRET_TEXT not in result.output and "Traceback" not in result.output
    reference = result.stderr.split("reference ")[1].split()[0]
    log = internal_log_file().read_text(encoding="utf-8")
    assert reference in log and SECRET_TEXT in log and "Traceback" in log
    assert str(internal_log_file()) in result.stderr
