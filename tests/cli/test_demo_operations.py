"""`harmwatch demo` sets up Op Lantern, and `harmwatch ops list --json` names it at once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harmwatch.cli.main import app


def test_demo_then_ops_list_names_the_demo_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Op Lantern is FICTIONAL" in result.output
    command = re.search(r"harmwatch (ops list --json .+)", result.output)
    assert command is not None, result.output
    listed = runner.invoke(app, command.group(1).split())
    assert listed.exit_code == 0, listed.output
    ops = json.loads(listed.output)
    assert [o["name"] for o in ops] == ["Op Lantern"] and ops[0]["synthetic"] is True
    key = re.search(r"--key-file (\S+)", command.group(1))
    assert key is not None
    pcc = (
        command.group(1)
        .replace("--as analyst", "--as pcc-viewer")
        .replace(key.group(1), str(Path(key.group(1)).with_name("pcc-viewer.key")))
    )
    summary = runner.invoke(
        app, [*pcc.replace("list", "summary", 1).split(), "--operation", "Op Lantern"]
    )
    assert summary.exit_code == 0, summary.output
    figures = json.loads(summary.output)
    assert figures["people_charged"] == 22 and "SYNTHETIC Person" not in summary.output
