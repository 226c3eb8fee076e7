"""`harmwatch ingest` and `harmwatch status`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from harmwatch.sources.policeuk.ingest import IngestResult, ingest
from harmwatch.sources.policeuk.status import store_status
from harmwatch.storage.records import DATABASE_URL_ENV

from .common import (
    DbOption,
    console,
    err_console,
    print_json,
    resolve_db,
    store_lock,
    user_errors,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _rows_per_second(progress: Progress, task: TaskID) -> str:
    t = progress.tasks[task]
    elapsed = t.elapsed or 0.0
    rows = int(t.fields.get("rows", 0))
    rate = rows / elapsed if elapsed > 0 else 0.0
    return f"{rows:,} rows  {rate:,.0f} rows/s"


@user_errors
def ingest_command(
    paths: list[Path] = typer.Argument(
        ..., help="police.uk CSV/CSV.GZ files, folders, trees or archive .zip files."
    ),
    db: Path | None = DbOption,
    lenient: bool = typer.Option(
        False,
        "--lenient",
        help="Load the good rows and keep bad ones, with reasons, in the rejects table.",
    ),
    force: str | None = typer.Option(
        None, "--force", help="Force for every file (when file names do not say)."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print one JSON object instead of the summary."
    ),
    database_url_opt: str | None = typer.Option(
        None,
        "--database-url",
        envvar=DATABASE_URL_ENV,
        show_envvar=False,
        help=f"Records database of the web app (default: ${DATABASE_URL_ENV}): the load waits "
        "for any upload or import the app servers behind it are running, and they for it.",
    ),
) -> None:
    """Load data.police.uk street, outcomes and stop-and-search files (atomic, idempotent)."""
    db_path = resolve_db(db, quiet=json_out)
    engine = _records(database_url_opt)
    with (
        store_lock(engine, "harmwatch ingest"),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=json_out,
        ) as progress,
    ):
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, done: int, total: int, rows: int) -> None:
            label = {
                "read": "reading files",
                "check": "checking rows",
                "write": "writing",
                "chunk": "chunks written",  # a big load streams in chunks (one transaction)
            }[stage]
            if stage not in tasks:
                tasks[stage] = progress.add_task(label, total=total, rows=rows, rate="")
            task = tasks[stage]
            progress.update(task, completed=done, total=total, rows=rows)
            progress.update(task, rate=_rows_per_second(progress, task))

        result = ingest(paths, db_path, lenient=lenient, force=force, progress=on_progress)
    if engine is not None:
        engine.dispose()
    if json_out:
        print_json(_result_json(result))
        return
    _print_summary(result)


def _records(url: str | None) -> Engine | None:
    """The records database whose ingest lock the load takes; None when none was given."""
    if not url:
        return None
    from harmwatch.storage.records import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    return engine


def _result_json(result: IngestResult) -> dict[str, object]:
    return {
        "db": result.db_path,
        "run_id": result.run_id,
        "seconds": round(result.seconds, 3),
        "rows_loaded": result.rows_by_kind(),
        "rows_rejected": result.rows_rejected,
        "files_loaded": sum(f.status == "loaded" for f in result.files),
        "files_unchanged": sum(f.status == "unchanged" for f in result.files),
        "datasets_replaced": result.replaced_datasets,
        "rejects": [p.describe() for p in result.rejects_sample],
    }


def _print_summary(result: IngestResult) -> None:
    loaded = [f for f in result.files if f.status == "loaded"]
    unchanged = [f for f in result.files if f.status == "unchanged"]
    table = Table(title=f"Loaded into {result.db_path}", show_lines=False)
    for col in ("kind", "files", "forces", "months", "rows", "rejected", "no location"):
        table.add_column(col, justify="right" if col not in ("kind", "forces") else "left")
    by_kind: dict[str, list] = {}
    for f in loaded:
        by_kind.setdefault(f.kind, []).append(f)
    for kind, files in sorted(by_kind.items()):
        forces = sorted({x for f in files for x in f.force.split(",")})
        months = sorted({m for f in files for m in f.months})
        table.add_row(
            kind,
            f"{len(files):,}",
            ", ".join(forces) if len(forces) <= 4 else f"{len(forces)} forces",
            f"{months[0]}…{months[-1]}" if months else "",
            f"{sum(f.rows_loaded for f in files):,}",
            f"{sum(f.rows_rejected for f in files):,}",
            f"{sum(f.rows_without_location for f in files):,}",
        )
    if loaded:
        console.print(table)
    vintages = Counter(f.lsoa_vintage for f in loaded if f.kind != "stop-and-search")
    if vintages:
        console.print(
            "LSOA code vintage by file: "
            + ", ".join(f"{v}: {n}" for v, n in sorted(vintages.items()))
            + "  (2011/2021 told from codes unique to one vintage; 'either' = only unchanged codes)"
        )
    rate = result.rows_loaded / result.seconds if result.seconds else 0
    console.print(
        f"{len(loaded)} file(s) loaded, {result.rows_loaded:,} rows in {result.seconds:.1f} s "
        f"({rate:,.0f} rows/s); {len(unchanged)} unchanged file(s) skipped; "
        f"{result.replaced_datasets} force-month(s) replaced."
    )
    if result.rows_rejected:
        console.print(
            f"[yellow]{result.rows_rejected:,} row(s) rejected and kept in the rejects table "
            "(see `harmwatch status`):[/yellow]"
        )
        for problem in result.rejects_sample[:10]:
            console.print(f"  {problem.describe()}", markup=False, highlight=False)


@user_errors
def status_command(
    db: Path | None = DbOption,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Say what is loaded: rows per kind, force, month and crime type, rejects and provenance."""
    db_path = resolve_db(db, quiet=json_out)
    status = store_status(db_path)
    if json_out:
        print_json(status.to_dict())
        return
    console.print(f"[bold]{db_path}[/bold]")
    summary = Table(title="Rows loaded")
    for col in ("kind", "rows", "drugs", "no location"):
        summary.add_column(col, justify="right" if col != "kind" else "left")
    for kind, n in status.rows.items():
        summary.add_row(
            kind,
            f"{n:,}",
            f"{status.drugs_rows[kind]:,}",
            f"{status.rows_without_location[kind]:,}",
        )
    console.print(summary)
    runs = Table(title="Months loaded (runs of consecutive months)")
    for col in ("kind", "force", "first", "last", "months"):
        runs.add_column(col)
    for run in status.month_runs:
        runs.add_row(run["kind"], run["force"], run["first"], run["last"], str(run["months"]))
    console.print(runs)
    types: dict[str, int] = Counter()
    for row in status.by_crime_type:
        types[row["crime_type"]] += row["rows"]
    crime = Table(title="Street crimes by type (all forces)")
    crime.add_column("crime type")
    crime.add_column("rows", justify="right")
    for name, n in sorted(types.items(), key=lambda kv: -kv[1]):
        crime.add_row(name, f"{n:,}")
    console.print(crime)
    console.print(
        f"{len(status.loads)} file(s) in the provenance list (`--json` lists each with size and SHA-256); "
        f"{status.rejects:,} rejected row(s)."
    )
    for reject in status.rejects_by_reason[:10]:
        console.print(
            f"  {reject['source']}:{reject['line']}: {reject['field']}: {reject['reason']}",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """The data room's commands."""
    app.command("ingest")(ingest_command)
    app.command("status")(status_command)
