"""`harmwatch ops prices list|show|load` and `harmwatch ops revalue`: price tables and values.

Thin over :mod:`harmwatch.operations.prices` and :mod:`harmwatch.operations.valuation`:
each command signs in as a named user (``--as`` or an operator key), and the library
checks the role, logs every read and change and refuses a bad price file whole,
naming each row's line and field, exactly as the web app does.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.operations import prices, valuation

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, iso_date, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

prices_app = typer.Typer(
    help="Street-price tables: list, show, load the next version.",
    no_args_is_help=True,
    add_completion=False,
)


def register(ops_app: typer.Typer) -> None:
    """Add ``prices`` and ``revalue`` to ``harmwatch ops``."""
    ops_app.add_typer(prices_app, name="prices")
    ops_app.command("revalue")(revalue)


def _label(table: prices.TableView) -> None:
    if table.label:
        console.print(f"[bold]{table.label}[/bold]", highlight=False)


@prices_app.command("list")
@user_errors
@_database_errors
def list_tables(
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Every table version your force may use (its own and the shipped illustrative one)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    tables = prices.list_tables(engine, principal, client="cli")
    if json_out:
        print_json({"tables": [t.to_json() for t in tables]})
        return
    table = Table("id", "table", "valid from", "entries", "source", "illustrative")
    for t in tables:
        table.add_row(
            str(t.id),
            t.title,
            t.valid_from.isoformat(),
            str(len(t.entries)),
            t.source,
            "ILLUSTRATIVE" if t.illustrative else "",
        )
    console.print(table)
    for label in sorted({t.label for t in tables if t.label}):
        console.print(f"[bold]{label}[/bold]", highlight=False)


@prices_app.command("show")
@user_errors
@_database_errors
def show(
    table_id: int = typer.Argument(..., help="The table version's id (from `ops prices list`)."),
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """One table version: its source, valid-from and prices per unit."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    found = prices.get_table(engine, principal, table_id, client="cli")
    if json_out:
        print_json(found.to_json())
        return
    console.print(
        f"{found.title} (id {found.id}), valid from {found.valid_from}; source: {found.source}",
        highlight=False,
    )
    _label(found)
    table = Table("drug", "form", "region", "unit", "low", "high")
    for e in found.entries:
        table.add_row(
            e.drug,
            e.form,
            e.region,
            e.unit,
            prices.pounds(e.low_pence),
            prices.pounds(e.high_pence),
        )
    console.print(table)


@prices_app.command("load")
@user_errors
@_database_errors
def load(
    file: Path = typer.Argument(..., help="A CSV or XLSX file: drug,form,region,unit,low,high."),
    name: str = typer.Option(
        ..., "--name", help="The table's name; an existing one's next version."
    ),
    source: str = typer.Option(..., "--source", help="Where the prices come from."),
    valid_from: str = typer.Option(..., "--valid-from", help="The first day they hold."),
    illustrative: bool = typer.Option(
        False, "--illustrative", help="Illustrative figures, not prices to publish."
    ),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Load a price table (or its next version); one bad row refuses the whole file."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    day = iso_date(valid_from, "--valid-from")
    done = prices.load_table(
        engine,
        principal,
        file,
        name=name,
        source=source,
        valid_from=day or valid_from,
        illustrative=illustrative,
        client="cli",
    )
    console.print(
        f"loaded {done.title} (id {done.id}): {len(done.entries)} prices, "
        f"valid from {done.valid_from}",
        highlight=False,
    )
    _label(done)


@user_errors
@_database_errors
def revalue(
    result_id: int = typer.Argument(..., help="The drug seizure's result id."),
    reason: str = typer.Option(..., "--reason", help="Why: a new table, a correction."),
    table: int | None = typer.Option(
        None, "--table", help="A table version's id; default: the one it would get today."
    ),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Value a drug seizure again; the earlier value is kept in its history."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = valuation.revalue(
        engine,
        principal,
        result_id,
        reason=reason,
        justification=justification,
        table_id=table,
        client="cli",
    )
    if json_out:
        print_json(done.to_json())
        return
    console.print(f"revalued {done.result_ref}: {done.range_text} ({done.table})", highlight=False)
    if done.label:
        console.print(f"[bold]{done.label}[/bold]", highlight=False)
