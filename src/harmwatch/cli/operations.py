"""`harmwatch ops …`: operations, their results, summaries, templates, imports and exports.

Thin over :mod:`harmwatch.operations`: each command signs in as a named user
(``--as`` or an operator key), and the library checks, scopes and logs every read
and change exactly as the web app does. A record's fields are given as
``--set field=value`` (the names are the template's columns: ``harmwatch ops
template KIND`` writes them with a line of guidance each).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.operations import bulk, checkback, service, summary
from harmwatch.operations.results import RESULT_FORMS

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import DbOption, console, iso_date, print_json, resolve_db, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

ops_app = typer.Typer(
    help="What we did: operations, results, seizures, summaries, templates and imports.",
    no_args_is_help=True,
    add_completion=False,
)

SetOption = typer.Option(
    None, "--set", help="A field as name=value (repeatable); see `ops template KIND`."
)
JsonOption = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    from . import ops_prices

    ops_prices.register(ops_app)
    app.add_typer(ops_app, name="ops")


def _fields(pairs: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {pair!r}: give it as name=value")
        values[name.strip()] = value
    return values


@ops_app.command("kinds")
def kinds(json_out: bool = JsonOption) -> None:
    """The record kinds a template, an import and an export take."""
    rows = [(k, s.form.title, s.record_type.title) for k, s in bulk.sheet_kinds().items()]
    if json_out:
        print_json([{"kind": k, "title": t, "records": r} for k, t, r in rows])
        return
    table = Table(title="Record kinds")
    for column in ("kind", "what", "kept as"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@ops_app.command("template")
@user_errors
def template(
    kind: str = typer.Argument(..., help="The kind (see `ops kinds`)."),
    out: Path | None = typer.Option(
        None, "--out", help="FILE.csv or FILE.xlsx (default KIND.csv)."
    ),
) -> None:
    """Write an empty template for KIND, with a line of guidance per column."""
    path = out or Path(f"{kind}.csv")
    bulk.write_template(kind, path)
    console.print(f"wrote {path}", highlight=False)


@ops_app.command("import")
@user_errors
@_database_errors
def import_(
    files: list[Path] = typer.Argument(..., help="Filled-in templates (.csv or .xlsx)."),
    kind: str | None = typer.Option(None, "--kind", help="A CSV's kind, if its name does not say."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Load filled-in templates, each all or nothing (every bad row listed with its line)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = []
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        done.append(
            bulk.import_file(
                engine, principal, path, kind=kind, justification=justification, client="cli"
            )
        )
        if not json_out:
            rows = ", ".join(f"{n} {k}" for k, n in done[-1].rows.items()) or "no rows"
            console.print(f"{path.name}: loaded {rows}", highlight=False)
    if json_out:
        print_json([d.to_json() for d in done])


@ops_app.command("export")
@user_errors
@_database_errors
def export(
    kind: str = typer.Argument(..., help="The kind (see `ops kinds`)."),
    out: Path = typer.Option(..., "--out", help="FILE.csv or FILE.xlsx"),
    recipient: str = typer.Option(..., "--recipient", help="Who the export is for (logged)."),
    acknowledge_conditions: bool = typer.Option(
        False, "--acknowledge-conditions", help="You have read any handling-code C conditions."
    ),
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Write the records of KIND you may see (a disclosure, logged with its recipient)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = bulk.export_file(
        engine, principal, kind, out, justification=justification, recipient=recipient,
        acknowledge_conditions=acknowledge_conditions, client="cli",
    )  # fmt: skip
    console.print(f"wrote {done.rows} {kind} record(s) to {out}", highlight=False)


@ops_app.command("list")
@user_errors
@_database_errors
def list_operations(
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The operations you may see, newest first."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    ops = service.operations_for_summaries(engine, principal, client="cli")
    if json_out:
        print_json([o.to_json() for o in ops])
        return
    table = Table(title=f"Operations: {len(ops)}")
    for column in ("id", "name", "lead force", "from", "to", "partners"):
        table.add_column(column)
    for o in ops:
        table.add_row(str(o.id), o.name + (" (SYNTHETIC)" if o.synthetic else ""), o.lead_force,
                      str(o.starts_on), str(o.ends_on or ""), ", ".join(o.partner_forces))  # fmt: skip
    console.print(table)


@ops_app.command("add")
@user_errors
@_database_errors
def add(
    fields: list[str] | None = SetOption,
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record an operation: --set name=… --set starts_on=… (see `ops template operation`)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = service.record_operation(engine, principal, _fields(fields), justification, client="cli")
    if json_out:
        print_json(done.to_json())
        return
    console.print(f"recorded {done.ref} {done.name}", highlight=False)


@ops_app.command("record")
@user_errors
@_database_errors
def record(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(RESULT_FORMS)}."),
    fields: list[str] | None = SetOption,
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record one result: --set operation=… --set occurred_on=… and the kind's fields."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = service.record_result(engine, principal, kind, _fields(fields), justification,
                                 client="cli")  # fmt: skip
    if json_out:
        print_json(done.to_json())
        return
    console.print(f"recorded {done.ref} ({kind})", highlight=False)


@ops_app.command("correct")
@user_errors
@_database_errors
def correct(
    result_id: int = typer.Argument(..., help="The result's id."),
    fields: list[str] | None = SetOption,
    reason: str = typer.Option(..., "--reason", help="Why it is corrected (logged)."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Correct a result's fields; the whole result is re-checked and each change logged."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = service.correct_result(
        engine, principal, result_id, _fields(fields), reason=reason,
        justification=justification, client="cli",
    )  # fmt: skip
    if json_out:
        print_json(done.to_json())
        return
    console.print(f"corrected {done.ref}", highlight=False)


@ops_app.command("results")
@user_errors
@_database_errors
def list_results(
    operation: str | None = typer.Option(None, "--operation", help="An operation's name or id."),
    kind: str | None = typer.Option(None, "--kind"),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Results you may see (of one operation or kind)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    op_id = service.operation(engine, principal, operation, client="cli").id if operation else None
    views = service.results(engine, principal, justification=justification, operation_id=op_id,
                            kind=kind, client="cli")  # fmt: skip
    if json_out:
        print_json([v.to_json() for v in views])
        return
    table = Table(title=f"Results: {len(views)}")
    for column in ("id", "kind", "date", "force", "operation", "officer"):
        table.add_column(column)
    for v in views:
        table.add_row(str(v.id), v.result_kind, str(v.occurred_on), v.force, v.operation or "",
                      v.officer)  # fmt: skip
    console.print(table)


@ops_app.command("summary")
@user_errors
@_database_errors
def summary_command(
    operation: list[str] | None = typer.Option(
        None, "--operation", help="An operation's name or id (repeatable; none: every result)."
    ),
    force: str | None = typer.Option(None, "--force", help="Where the results happened."),
    since: str | None = typer.Option(None, "--since", help="From this day (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="To this day (inclusive)."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """An operation's summary in one sentence and a table, computed from its records."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    got = summary.summarise(
        engine, principal, operations=operation or (), force=force,
        since=iso_date(since, "--since"), until=iso_date(until, "--until"),
        justification=justification, client="cli",
    )  # fmt: skip
    if json_out:
        print_json(got.to_json())
        return
    console.print(got.sentence(), highlight=False)
    table = Table(title="Computed from the records")
    for column in ("figure", "value", "records"):
        table.add_column(column)
    for name, value, n in got.table():
        table.add_row(name, value, str(n))
    console.print(table)
    for note in got.notes:
        console.print(f"note: {note}", highlight=False)


@ops_app.command("checkback")
@user_errors
@_database_errors
def checkback_command(
    db: Path | None = DbOption,
    on: str | None = typer.Option(None, "--on", help="Judge as of this day (default today)."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """County lines closed: pending, due for check-back, or resurfaced (with the evidence)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    store = resolve_db(db, quiet=True)
    items = checkback.check(
        engine, principal, justification=justification,
        store_path=store if store.exists() else None,
        on=iso_date(on, "--on") or date.today(), client="cli",
    )  # fmt: skip
    if json_out:
        print_json([c.to_json() for c in items])
        return
    table = Table(title=f"Line closures: {len(items)}")
    for column in ("ref", "line", "number", "type", "closed", "check back", "status", "evidence"):
        table.add_column(column)
    for c in items:
        table.add_row(c.ref, c.line_name, c.number, c.closure_type, str(c.closed_on),
                      str(c.check_back_on), c.status, "; ".join(c.evidence))  # fmt: skip
    console.print(table)
