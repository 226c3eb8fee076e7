"""The `harmwatch` command. Thin: every verb calls a library function and prints its result.

Each room registers its own commands (its ``room.py`` names the module); the demo and
the web server are the command line's own (:data:`OWN_MODULES`).

The rooms' command modules are imported only when one of their commands runs: importing
all of them (and the mapping, statistics and plotting libraries they use) took 2.3 s,
paid by every ``harmwatch status`` and every analysis the national benchmark times.
:data:`COMMANDS` says which module holds which command; a test builds the table again
from every room's ``register`` and fails when the two differ, so a new command cannot
be missed (or answered from the wrong module).
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core
import typer.main
from typer import _click as click  # Typer builds its commands with its own copy of click

from harmwatch.kernel.rooms import import_adapter

#: Every room command, in the order ``harmwatch --help`` lists them, and its module.
COMMANDS: dict[str, str] = {
    "ingest": "harmwatch.cli.data",
    "status": "harmwatch.cli.data",
    "hotspots": "harmwatch.cli.where",
    "emerging-hotspots": "harmwatch.cli.where",
    "forecast-eval": "harmwatch.cli.where",
    "areas": "harmwatch.cli.where",
    "patrol-plan": "harmwatch.cli.where",
    "evaluate": "harmwatch.cli.evaluation",
    "change": "harmwatch.cli.evaluation",
    "intel": "harmwatch.cli.intelligence",
    "network": "harmwatch.cli.intelligence",
    "calls": "harmwatch.cli.calls",
    "county-lines": "harmwatch.cli.calls",
    "synth": "harmwatch.cli.calls",
    "crimes": "harmwatch.cli.crimes",
    "referral": "harmwatch.cli.safeguarding",
    "ops": "harmwatch.cli.operations",
    "covert": "harmwatch.cli.covert",
    "programmes": "harmwatch.cli.programmes",
    "forensic": "harmwatch.cli.forensic",
    "check-claim": "harmwatch.cli.oversight",
    "measures": "harmwatch.cli.oversight",
    "stop-search": "harmwatch.cli.oversight",
    "outcomes": "harmwatch.cli.oversight",
    "report": "harmwatch.cli.oversight",
    "records": "harmwatch.cli.information",
    "users": "harmwatch.cli.admin",
    "audit": "harmwatch.cli.admin",
    "demo": "harmwatch.cli.demo",
    "serve": "harmwatch.cli.serve",
}

#: Modules that add subcommands to another module's group (``crimes`` adds ``synth
#: force-records``, forensic ``synth forensics`` to the call-data room's ``synth``):
#: registered before that group is built.
EXTENDED_BY: dict[str, tuple[str, ...]] = {
    "synth": ("harmwatch.cli.crimes", "harmwatch.cli.forensic"),
}

#: The command line's own modules (the rest come from the rooms' ``cli`` adapters).
OWN_MODULES = ("harmwatch.cli.demo", "harmwatch.cli.serve")


#: Each module's commands once built (a test's many invocations build each once).
_BUILT: dict[str, dict[str, click.Command]] = {}


def module_commands(module: str) -> dict[str, click.Command]:
    """The commands ``module``'s ``register`` declares, as click builds them."""
    for name, owner in COMMANDS.items():
        if owner == module:
            for extension in EXTENDED_BY.get(name, ()):
                # Their register adds the subcommands (crimes' at import, forensic's
                # in the call); their own commands land in a Typer thrown away.
                import_adapter(extension).register(typer.Typer())
    room_app = typer.Typer()
    import_adapter(module).register(room_app)
    group = typer.main.get_group(room_app)
    return dict(group.commands)


class RoomCommands(typer.core.TyperGroup):
    """The top-level group: a room's commands are built the first time they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return super().get_command(ctx, cmd_name)
        if module not in _BUILT:
            _BUILT[module] = module_commands(module)
        return _BUILT[module].get(cmd_name)


def _group_class() -> Any:
    return RoomCommands


app = typer.Typer(
    name="harmwatch",
    help="Drug-harm analytics for UK police forces, PCCs and drug partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_group_class(),
)


@app.callback()
def _harmwatch() -> None:
    # A group needs a callback or a command of its own before Typer builds it; the
    # commands all come from RoomCommands.
    pass


if __name__ == "__main__":
    app()
