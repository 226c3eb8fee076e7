"""The lazily built command line: its table of commands is the rooms' own, and stays lazy."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer.testing import CliRunner

from harmwatch.cli.main import COMMANDS, OWN_MODULES, app, module_commands
from harmwatch.kernel.rooms import adapters

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_every_command_each_module_registers_and_nothing_else() -> None:
    built: dict[str, str] = {}
    for module in [*adapters("cli"), *OWN_MODULES]:
        for name in module_commands(module):
            assert name not in built, f"{name} is registered by {built[name]} and {module}"
            built[name] = module
    # Same commands, same modules, and the order --help lists them in.
    assert list(built.items()) == list(COMMANDS.items())


def _tree(command: Any) -> Any:
    """A command's name and its subcommands' trees, as the user meets them."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        return command.name
    return [command.name, sorted((_tree(c) for c in subcommands.values()), key=str)]


# Built in a fresh process, as a user's `harmwatch <command>` builds it: in this one
# every module is imported already, which would hide a missing EXTENDED_BY entry.
_LAZY_TREES = """
import json, sys
from typing import Any
from typer import _click as click
import typer.main
from harmwatch.cli.main import app
{tree}
name = sys.argv[1]
group = typer.main.get_command(app)
print(json.dumps(_tree(group.get_command(click.Context(group), name))))
"""


def test_every_command_is_built_whole_as_the_eager_app_built_it() -> None:
    # One Typer holding every module's commands, as the app was built before: a
    # module that adds a subcommand to another's group (crimes' `synth
    # force-records`) shows up here and must be named in EXTENDED_BY.
    eager = typer.Typer()
    for module in [*adapters("cli"), *OWN_MODULES]:
        importlib.import_module(module).register(eager)
    want = typer.main.get_group(eager)
    for name in ("synth", "county-lines", "crimes", "status"):
        run = subprocess.run(
            [sys.executable, "-c", _LAZY_TREES.format(tree=inspect.getsource(_tree)), name],
            capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
        )  # fmt: skip
        assert json.loads(run.stdout) == _tree(want.commands[name]), name


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
