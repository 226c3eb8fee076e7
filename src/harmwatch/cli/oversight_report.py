"""`harmwatch report`: the PCC / partnership board report as one HTML page or a PDF.

Thin over :func:`harmwatch.oversight.report.build_report` and
:mod:`harmwatch.oversight.render`. The format is the ``--out`` file's extension
(``.html`` or ``.pdf``), checked before anything is computed; the file is written
whole or not at all. With ``--as`` (a password or an operator key) the records'
sections are read through their rooms, which check the role and log the read;
without it they say they were not read. ``--published`` makes the version to
publish (small numbers suppressed); a PCC viewer always gets it. ``--engine spark``
moves only the police.uk street crimes' scans (:mod:`.engines`).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from harmwatch.oversight.framework import load_framework
from harmwatch.oversight.population import load_population
from harmwatch.oversight.render import output_format, write_report
from harmwatch.oversight.report import build_report
from harmwatch.timeline.months import parse_period

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import DbOption, err_console, resolve_db, user_errors
from .engines import (
    DriverMemoryOption,
    MasterOption,
    ReportEngineOption,
    StageDirOption,
    aggregation_engine,
)
from .identity import AsOption, KeyFileOption, sign_in
from .oversight_measures import FrameworkOption, PopulationOption


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


@user_errors
@_database_errors
def report_command(
    force: list[str] = typer.Option(..., "--force", help="Force slug (repeatable: a roll-up)."),
    period: str | None = typer.Option(
        None, "--period", help="2025-10:2025-12 (default: the latest 3 months loaded)."
    ),
    out: Path = typer.Option(..., "--out", help="report.pdf or report.html"),
    published: bool = typer.Option(
        False,
        "--published",
        help="The version to publish: small numbers suppressed, maps of areas only "
        "(always, for a PCC viewer).",
    ),
    framework: Path | None = FrameworkOption,
    population: Path | None = PopulationOption,
    residents: Path | None = typer.Option(
        None,
        "--residents",
        help="CSV of residents by force and broad ethnic group, for stop-and-search "
        "disproportionality (see `harmwatch stop-search --help`).",
    ),
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
    engine_name: str = ReportEngineOption,
    master: str = MasterOption,
    driver_memory: str = DriverMemoryOption,
    stage_dir: Path | None = StageDirOption,
) -> None:
    """The board report for a force or several and a period: summary, measures, maps, records."""
    from harmwatch.oversight.residents import load_residents

    output_format(out)  # an extension that names no format is refused before any work
    months = parse_period(period, "--period") if period else None
    chosen = load_framework(framework)
    table = load_population(population) if population else None
    groups = load_residents(residents) if residents else None
    # Before signing in: a Spark that cannot start is refused before anything is read.
    aggregation = aggregation_engine(engine_name, master, driver_memory, stage_dir)
    engine = principal = None
    if as_user:
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
    started = time.monotonic()

    def progress(text: str) -> None:
        err_console.print(
            f"[dim]{time.monotonic() - started:5.1f} s  {text} …[/dim]", highlight=False
        )

    report = build_report(
        resolve_db(db), force, months, engine=engine, principal=principal,
        published=published, framework=chosen, population=table, residents=groups,
        progress=progress, client="cli", aggregation=aggregation,
    )  # fmt: skip
    progress(f"writing {out}")
    written = write_report(report, out)
    err_console.print(
        f"wrote {written} ({report.marking}; {len(report.measures)} measures)", highlight=False
    )
