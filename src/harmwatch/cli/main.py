"""The `harmwatch` command. Thin: every verb calls a library function and prints its result.

Each room registers its own commands (its ``room.py`` names the module); the demo and
the web server are the command line's own.
"""

from __future__ import annotations

import typer

from harmwatch.kernel.rooms import adapters, import_adapter

from . import demo, serve

app = typer.Typer(
    name="harmwatch",
    help="Drug-harm analytics for UK police forces, PCCs and drug partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _module in adapters("cli"):
    import_adapter(_module).register(app)
app.command("demo")(demo.demo_command)
app.command("serve")(serve.serve_command)


if __name__ == "__main__":
    app()
