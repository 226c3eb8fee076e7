"""`harmwatch evaluate` and `harmwatch change`: did it work, and did it really change."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.evaluation.areas import DEFAULT_BUFFER_M, TargetSpec
from harmwatch.where.selection import Filter

from .common import DbOption, console, err_console, print_json, resolve_db, user_errors
from .where import BboxOption, CrimeTypeOption, ForceOption, make_area


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def _cell_ids(text: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(c) for c in _codes(text))
    except ValueError:
        raise ValueError(
            f"--cells must be whole numbers separated by commas, got {text!r}"
        ) from None


def _print_notes(defaults: list[str], caveats: list[str], notes: list[str]) -> None:
    for line in defaults:
        err_console.print(f"[cyan]default[/cyan] {line}", highlight=False)
    for line in notes:
        err_console.print(f"[dim]note[/dim] {line}", highlight=False)
    for line in caveats:
        err_console.print(f"[yellow]caveat[/yellow] {line}", highlight=False)


@user_errors
def evaluate_command(
    db: Path | None = DbOption,
    lsoa: str | None = typer.Option(
        None, "--lsoa", help="Target LSOA codes, comma-separated (e.g. E01033803,E01033804)."
    ),
    boundary: Path | None = typer.Option(
        None, "--boundary", help="Target area from a GeoJSON/GeoPackage/shapefile."
    ),
    cells: str | None = typer.Option(
        None, "--cells", help="Target grid cell ids (as `harmwatch hotspots` numbers them)."
    ),
    cell: float | None = typer.Option(None, "--cell", help="Cell size in metres for --cells."),
    start: str = typer.Option(..., "--start", help="First month of the intervention (YYYY-MM)."),
    end: str | None = typer.Option(
        None, "--end", help="Last month to evaluate (default: end of the loaded run)."
    ),
    pre_start: str | None = typer.Option(
        None, "--pre-start", help="First pre-period month (default: up to 24 loaded months)."
    ),
    crime_type: list[str] | None = CrimeTypeOption,
    force: list[str] | None = ForceOption,
    buffer: float = typer.Option(
        DEFAULT_BUFFER_M, "--buffer", help="Buffer ring around the target, metres."
    ),
    controls: str | None = typer.Option(
        None, "--controls", help="Control LSOA codes, comma-separated (default: chosen)."
    ),
    n_controls: int | None = typer.Option(
        None,
        "--n-controls",
        help="Use the k nearest-matched LSOAs as controls (default: every uncontaminated LSOA).",
    ),
    chart: Path | None = typer.Option(None, "--chart", help="Draw the chart to this PNG."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Did it work? Before/after rate ratio, difference-in-differences and displacement (WDQ)."""
    from harmwatch.evaluation.charts import draw_evaluation_chart
    from harmwatch.evaluation.evaluate import evaluate

    target = TargetSpec(
        lsoa_codes=_codes(lsoa),
        boundary=str(boundary) if boundary else None,
        cells=_cell_ids(cells),
        cell_size=cell,
    )
    result = evaluate(
        resolve_db(db, quiet=json_out),
        target,
        start,
        end=end,
        pre_start=pre_start,
        crime_types=tuple(crime_type or ("Drugs",)),
        forces=tuple(force or ()),
        buffer_m=buffer,
        controls=list(_codes(controls)) or None,
        n_controls=n_controls,
    )
    written = draw_evaluation_chart(result, chart) if chart else None
    if json_out:
        payload = result.to_dict()
        payload["written"] = [str(written)] if written else []
        print_json(payload)
        return
    _print_notes(result.defaults_chosen, result.caveats, result.notes)
    table = Table(title="Evaluation")
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for name in ("target", "buffer", "controls"):
        table.add_row(
            name, f"{result.counts[f'{name}_before']:,}", f"{result.counts[f'{name}_after']:,}"
        )
    console.print(table)
    console.print(result.summary, highlight=False)
    if written:
        console.print(f"wrote {written}")


@user_errors
def change_command(
    db: Path | None = DbOption,
    period: str | None = typer.Option(
        None,
        "--period",
        help="Months to assess: 2024-01 or 2024-01:2024-03 (default: the latest 3 loaded).",
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Months to compare with (default: the same months a year earlier)."
    ),
    crime_type: list[str] | None = CrimeTypeOption,
    force: list[str] | None = ForceOption,
    lsoa: str | None = typer.Option(None, "--lsoa", help="Only these LSOA codes, comma-separated."),
    boundary: Path | None = typer.Option(
        None, "--boundary", help="Only crimes inside this boundary."
    ),
    bbox: str | None = BboxOption,
    district: str | None = typer.Option(
        None,
        "--district",
        help="Only crimes whose LSOA name starts with this district (e.g. 'St Albans').",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Did it really change? Counts, % change and an exact rate-ratio test between two periods."""
    from harmwatch.evaluation.change import change, parse_period

    if district and (lsoa or boundary or bbox):
        raise ValueError("--district cannot be combined with --lsoa, --boundary or --bbox")
    area = make_area(boundary, bbox)
    result = change(
        resolve_db(db, quiet=json_out),
        Filter(forces=tuple(force or ()), crime_types=tuple(crime_type or ("Drugs",))),
        parse_period(period, "--period") if period else None,
        parse_period(baseline, "--baseline") if baseline else None,
        area=area if (area.boundary or area.bbox) else None,
        lsoa_codes=_codes(lsoa),
        district=district,
    )
    if json_out:
        print_json(result.to_dict())
        return
    _print_notes(result.defaults_chosen, result.caveats, result.notes)
    console.print(result.sentence, highlight=False)
