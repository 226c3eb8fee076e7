"""`harmwatch crimes …` (a force's own crime records) and `harmwatch synth force-records`.

Thin over :mod:`harmwatch.crimes`: importing and reading records signs in as a named
user (``--as`` or an operator key), and the library checks, scopes and logs each act
exactly as the web app does. Every analysis takes ``--source force-records`` (with
``--as``) to run on these records instead of police.uk.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.crimes import importer, service
from harmwatch.kernel.records import Restriction
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore

from .admin import DatabaseUrlOption, _database_errors, open_records
from .calls import synth_app
from .common import (
    DbOption,
    console,
    file_progress,
    print_json,
    resolve_db,
    store_lock,
    user_errors,
)
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

crimes_app = typer.Typer(
    help="A force's own crime records (RMS exports): import, list, reconcile with police.uk.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(crimes_app, name="crimes")


@crimes_app.command("import")
@user_errors
@_database_errors
def import_crimes(
    files: list[Path] = typer.Argument(..., help="CSV, CSV.GZ or Excel (.xlsx) RMS exports."),
    spec_path: Path = typer.Option(..., "--spec", help="The import spec (TOML or JSON)."),
    unit: str | None = typer.Option(None, "--unit", help="Owning unit (default: your first)."),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    synthetic: bool = typer.Option(
        False, "--synthetic", help="Mark the data synthetic (a spec may say so itself)."
    ),
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Import RMS crime exports: each whole or not at all, never twice; only mapped columns kept."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    spec = load_spec(spec_path, importer.FORCE_RECORDS)
    terms = service.ImportTerms(
        unit=unit,
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
        synthetic=synthetic,
    )
    db_path = resolve_db(db)
    with (
        store_lock(engine, "a force crime-records import (harmwatch crimes import)"),
        file_progress() as on_progress,
        AnalyticsStore.open(db_path, read_only=False) as store,
    ):
        done = service.import_files(
            engine, store, principal, files, spec, terms, progress=on_progress, client="cli"
        )
    for outcome in done:
        name = Path(outcome.path).name
        if outcome.already_imported:
            console.print(f"{name}: {'; '.join(outcome.notes)}", highlight=False)
            continue
        console.print(
            f"{name}: imported {outcome.rows:,} records ({outcome.counted:,} counted) as "
            f"{outcome.file_id} in {outcome.seconds:.1f} s",
            highlight=False,
        )
        for note in outcome.notes:
            console.print(f"  {note}", highlight=False)


@crimes_app.command("files")
@user_errors
@_database_errors
def list_files(
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The RMS exports you may see, with their provenance."""
    from harmwatch.crimes.models import ForceRecordsImport
    from harmwatch.kernel import reads

    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    found = reads.consult(
        engine, principal, ForceRecordsImport, justification=justification, client="cli"
    ).records
    rows = [service.file_json(f) for f in found]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"Force crime-record files you may see: {len(rows)}")
    for column in ("record", "file", "records", "counted", "first", "last", "unit", ""):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["ref"], r["file_name"], f"{r['rows']:,}", f"{r['rows_counted']:,}",
            str(r["first_committed_utc"]), str(r["last_committed_utc"]), r["unit"],
            "SYNTHETIC" if r["synthetic"] else "",
        )  # fmt: skip
    console.print(table)


@crimes_app.command("purge")
@user_errors
@_database_errors
def purge(
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Delete the rows of RMS exports whose records a review erased (data protection officer)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    with (
        store_lock(engine, "a purge of erased force records (harmwatch crimes purge)"),
        AnalyticsStore.open(resolve_db(db), read_only=False) as store,
    ):
        purged = service.purge_erased(engine, store, principal, client="cli")
    if not purged:
        console.print("nothing to purge: every stored file has its record", highlight=False)
    for file_id, rows in purged.items():
        console.print(f"purged {file_id}: {rows:,} records", highlight=False)


@crimes_app.command("reconcile")
@user_errors
@_database_errors
def reconcile_command(
    force: str = typer.Option(..., "--force", help="The force whose records to reconcile."),
    months: str | None = typer.Option(
        None, "--months", help="Months (2025-01:2025-06); default: every month both cover."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the type-by-month bridge as CSV."),
    json_out: bool = typer.Option(False, "--json"),
    db: Path | None = DbOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """How the force's records and police.uk differ, by crime type and month, and why."""
    from harmwatch.crimes.reconcile import COLUMNS, REASONS, reconcile
    from harmwatch.sources.policeuk.forces import force_slug
    from harmwatch.timeline.months import parse_month_spec

    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    slug = force_slug(force)
    with (
        service.reading(
            engine, principal, what=f"reconciliation of {slug} with police.uk",
            justification=justification, client="cli",
        ) as grant,
        AnalyticsStore.open(resolve_db(db, quiet=json_out)) as store,
    ):  # fmt: skip
        result = reconcile(store, slug, parse_month_spec(months) if months else None, grant=grant)
    if out:
        result.table.reset_index().to_csv(out, index=False)
    if json_out:
        print_json(result.summary())
        return
    console.print(result.source, highlight=False)
    table = Table(
        title=f"{slug}: force records → police.uk, {result.months[0]} to {result.months[-1]}"
    )
    table.add_column("crime type")
    for column in COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    for kind, row in result.by_type.iterrows():
        table.add_row(str(kind), *(f"{int(row[c]):,}" for c in COLUMNS))
    totals = result.totals()
    table.add_row("all", *(f"{totals[c]:,}" for c in COLUMNS), style="bold")
    console.print(table)
    for key, why in REASONS.items():
        console.print(f"{key}: {why}", highlight=False)
    if result.non_notifiable:
        n = sum(result.non_notifiable.values())
        console.print(f"non-notifiable records in the export (never on police.uk): {n:,}")
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if out:
        console.print(f"wrote {out}")


@synth_app.command("force-records")
@user_errors
def synth_force_records(
    out: Path = typer.Option(..., "--out", help="Folder to write the export, spec and README to."),
    force: str = typer.Option("hertfordshire", "--force", help="A force in the bundled sample."),
    months: str | None = typer.Option(
        None, "--months", help="Months of the bundled police.uk files (default: all)."
    ),
    seed: int = typer.Option(20261201, "--seed", help="Seed of every random draw."),
    copies: int = typer.Option(1, "--copies", help="Repeat the export (for benchmarks)."),
    xlsx: bool = typer.Option(False, "--xlsx", help="Also write an Excel workbook."),
) -> None:
    """A SYNTHETIC force RMS export from the bundled police.uk months, with planted differences."""
    from harmwatch.crimes.synth import RmsParams, generate, read_street_files, write_export
    from harmwatch.sources.policeuk.forces import force_slug
    from harmwatch.timeline.months import parse_month_spec

    street = read_street_files(force_slug(force), parse_month_spec(months) if months else None)
    result = generate(street, RmsParams(seed=seed, copies=copies))
    files = write_export(result, out, xlsx=xlsx)
    console.print(
        f"SYNTHETIC: {len(result.rows):,} records from {len(result.source_files)} police.uk "
        f"file(s) of {force_slug(force)} (seed {seed})",
        highlight=False,
    )
    for path in (files.csv, files.spec, files.planted, files.readme, files.xlsx):
        if path is not None:
            console.print(f"  wrote {path}", highlight=False)
    console.print(
        f"import it: harmwatch crimes import {files.csv} --spec {files.spec} --as USER",
        highlight=False,
    )
