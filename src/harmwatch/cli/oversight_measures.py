"""`harmwatch check-claim` and `harmwatch measures`: claims checked, the framework's measures.

Thin over :mod:`harmwatch.oversight.claims` and :mod:`harmwatch.oversight.measures`.
``check-claim`` needs no data: two quoted counts are enough. ``measures`` reads the
analytics store for police.uk measures and, with ``--as`` (a password or an
operator key), the records rooms through their own functions, which check the role
and log the read; several ``--force`` give the roll-up with a total. Figures go
through the small-number rule unless ``--working-figures`` is given (never for a
PCC viewer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from harmwatch.oversight.claims import check_claim
from harmwatch.oversight.framework import ENV as FRAMEWORK_ENV
from harmwatch.oversight.framework import load_framework
from harmwatch.oversight.measures import MeasureResult, compute
from harmwatch.oversight.population import load_population, shipped_population
from harmwatch.oversight.rollup import AreaFigure
from harmwatch.timeline.months import parse_period

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import DbOption, console, print_json, print_notes, resolve_db, user_errors
from .identity import AsOption, KeyFileOption, sign_in

JsonOption = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.command("check-claim")(check_claim_command)
    app.command("measures")(measures_command)


@user_errors
def check_claim_command(
    before: int = typer.Option(..., "--before", help="The earlier count quoted (e.g. 1111)."),
    after: int = typer.Option(..., "--after", help="The later count quoted (e.g. 1208)."),
    before_months: float = typer.Option(
        1.0, "--before-months", help="Months the earlier count covers (only the ratio matters)."
    ),
    after_months: float = typer.Option(
        1.0, "--after-months", help="Months the later count covers."
    ),
    crime_type: str | None = typer.Option(
        None,
        "--crime-type",
        help="drugs, drug-possession, drug-trafficking, weapons-possession, hate-crime or "
        "other: chooses the caveats.",
    ),
    json_out: bool = JsonOption,
) -> None:
    """Check a quoted change: the exact rate ratio, its 95 % interval, p and what chance explains."""
    checked = check_claim(
        before, after, before_months=before_months, after_months=after_months,
        crime_type=crime_type,
    )  # fmt: skip
    if json_out:
        print_json(checked.to_dict())
        return
    c = checked.comparison
    console.print(f"{c.before:,} → {c.after:,}: {c.ratio_text()}", highlight=False)
    console.print(c.sentence[0].upper() + c.sentence[1:] + ".", highlight=False)
    console.print(checked.verdict(), highlight=False)
    for caveat in checked.caveats:
        console.print(f"caveat: {caveat}", highlight=False)


def _figure(area: AreaFigure, result: MeasureResult) -> tuple[str, str, str, str]:
    """(figure, baseline, change, rate per 1,000) as a table shows them."""
    if not area.available:
        return ("—", "—", area.reason, "")

    def text(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else str(value if value is not None else "—")

    if result.shape == "count":
        figure, base = text(area.value), text(area.baseline)
        changed = area.comparison.sentence if area.comparison else "not shown (suppressed)"
    else:
        share = f" ({area.percent:.1f} %" if area.percent is not None else ""
        if share and area.percent_low is not None and area.percent_high is not None:
            share += f", 95 % interval {area.percent_low:.1f}–{area.percent_high:.1f} %"
        figure = f"{text(area.value)} of {text(area.denominator)}" + (f"{share})" if share else "")
        base, changed = "", ""
    rate = ""
    if area.rate is not None:
        rate = f"{area.rate.rate:.2f} ({area.rate.low:.2f}–{area.rate.high:.2f})"
    elif area.population_note:
        rate = area.population_note
    return figure, base, changed, rate


def _print_result(result: MeasureResult) -> None:
    table = Table(
        title=f"{result.title} [{result.priority_title}; direction {result.direction}]",
        title_justify="left",
    )
    for column in ("force", "figure", "baseline", "change", "per 1,000 residents in the period"):
        table.add_column(column)
    rows = [*result.areas, *([result.total] if result.total else [])]
    for area in rows:
        table.add_row(area.name, *_figure(area, result))
    console.print(table)
    if result.target is not None:
        console.print(
            f"target: {result.target.wording} — {result.target_status}: {result.target_reason}",
            highlight=False,
        )
    console.print(f"source: {result.source}", highlight=False)
    for note in dict.fromkeys(a.population_note for a in rows if a.available and a.rate):
        if note:
            console.print(f"population: {note}", highlight=False)
    for caveat in result.caveats:
        console.print(f"caveat: {caveat}", highlight=False)


#: The outcomes framework and the population table, as every oversight command takes them.
FrameworkOption = typer.Option(
    None,
    "--framework",
    help=f"An outcomes framework file (default: ${FRAMEWORK_ENV}, else the shipped one).",
)
PopulationOption = typer.Option(
    None,
    "--population",
    help="CSV of force,population[,year] (default: the shipped ONS table).",
)


@user_errors
@_database_errors
def measures_command(
    force: list[str] = typer.Option(..., "--force", help="Force slug (repeatable: a roll-up)."),
    period: str | None = typer.Option(
        None, "--period", help="2025-10:2025-12 (default: the latest 3 months loaded)."
    ),
    framework: Path | None = FrameworkOption,
    population: Path | None = PopulationOption,
    measure: list[str] | None = typer.Option(
        None, "--measure", help="Only this measure's key (repeatable)."
    ),
    working_figures: bool = typer.Option(
        False,
        "--working-figures",
        help="Exact figures, not through the small-number rule "
        "(refused to nobody, ignored for a PCC viewer): not for publication.",
    ),
    json_out: bool = JsonOption,
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The framework's measures for one force or several (a roll-up with the total)."""
    engine = principal = None
    if as_user:
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
    report = compute(
        resolve_db(db, quiet=json_out),
        force,
        parse_period(period, "--period") if period else None,
        framework=load_framework(framework),
        engine=engine,
        principal=principal,
        published=not working_figures,
        population=load_population(population) if population else shipped_population(),
        measures=measure or (),
        client="cli",
    )
    if json_out:
        print_json(report.to_dict())
        return
    print_notes(report.defaults_chosen, [])
    for result in report.results:
        _print_result(result)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
