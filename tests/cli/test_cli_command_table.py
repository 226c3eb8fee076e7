"""The lazily built command line: its table of commands is the rooms' own, and stays lazy."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from harmwatch.cli.main import COMMANDS, OWN_MODULES, app, module_commands
from harmwatch.kernel.rooms import adapters


def test_the_table_names_every_command_each_module_registers_and_nothing_else() -> None:
    built: dict[str, str] = {}
    for module in [*adapters("cli"), *OWN_MODULES]:
        for name in module_commands(module):
            assert name not in built, f"{name} is registered by {built[name]} and {module}"
            built[name] = module
    # Same commands, same modules, and the order --help lists them in.
    assert list(built.items()) == list(COMMANDS.items())


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert f" {name} " in result.output


def test_an_unknown_command_is_refused_by_name() -> None:
    result = CliRunner().invoke(app, ["hotspot"])
    assert result.exit_code == 2
    assert "No such command 'hotspot'" in result.output


def test_a_command_imports_its_own_room_only() -> None:
    probe = (
        "import sys\n"
        "from harmwatch.cli.main import app\n"
        "try:\n"
        "    app(['status', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('harmwatch.where.hotspots', 'harmwatch.maps.results', "
        "'harmwatch.evaluation.evaluate', 'matplotlib') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Usage: " in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"
