"""`harmwatch hotspots` (and the other 'where' commands).

Each command's analysis options come from its request
(:mod:`harmwatch.where.requests`) through :func:`.params.request_command`; the
options declared here say only what to do with the result (write it, draw it,
print JSON).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from harmwatch.crimes.aggregates import aggregates_only, suppressed_cells
from harmwatch.maps.charts import draw_coverage_curve, draw_forecast_chart
from harmwatch.maps.results import draw_emerging_map, draw_hotspot_map
from harmwatch.outputs.tables import format_from_path, write_table
from harmwatch.sources.policeuk.forces import forces_text
from harmwatch.where.hotspots import HotspotResult, hotspots
from harmwatch.where.requests import EmergingHotspotsRequest, ForecastEvalRequest, HotspotsRequest

from .common import (
    DbOption,
    console,
    print_json,
    print_lines,
    print_notes,
    resolve_db,
    user_errors,
)
from .engines import (
    AggregationEngineOption,
    DriverMemoryOption,
    MasterOption,
    StageDirOption,
    aggregation_engine,
)
from .params import request_command

CellTableOutOption = typer.Option(
    None, "--out", help="Write the cell table (.csv, .geojson, .gpkg)."
)
FormatOption = typer.Option(None, "--format", help="csv, geojson or gpkg (default: from --out).")
JsonOption = typer.Option(False, "--json", help="Print a JSON summary for scripts.")


def print_hotspot_summary(result: HotspotResult) -> None:
    summary = result.summary()
    print_notes(result.defaults_chosen, result.warnings)
    table = Table(title="Hotspot run")
    table.add_column("")
    table.add_column("", justify="right")
    for key in ("method", "cells", "cell_size_m", "study_area_km2", "points_in_study_area",
                "points_outside_study_area", "points_in_cells", "points_without_location",
                "hot_cells", "cold_cells"):  # fmt: skip
        if key in summary:
            value = summary[key]
            table.add_row(
                key.replace("_", " "),
                f"{value:,}" if isinstance(value, int | float) else str(value),
            )
    console.print(table)
    print_lines("note", "cyan", [str(summary["cells_note"])])
    top = result.cells.sort_values("n", ascending=False).head(10)
    if aggregates_only():  # the busiest by the true counts, shown through the one rule
        top = suppressed_cells(result.cells).loc[top.index]
    cols = [
        c for c in ("cell_id", "x", "y", "n", "kde", "gistar", "pvalue_adj", "class") if c in top
    ]
    busiest = Table(
        title=f"The {len(top)} busiest of {len(result.cells):,} cells (x, y: cell centre, BNG "
        "metres; --out writes them all)"
    )
    for c in cols:
        busiest.add_column(c, justify="right")
    for _, row in top.iterrows():
        busiest.add_row(*[_fmt(row[c]) for c in cols])
    console.print(busiest)


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:.4g}" if abs(number) < 1000 else f"{number:,.0f}"
    return str(value)


@user_errors
@request_command(HotspotsRequest)
def hotspots_command(
    request: HotspotsRequest,
    db: Path | None = DbOption,
    out: Path | None = CellTableOutOption,
    fmt: str | None = FormatOption,
    map_png: Path | None = typer.Option(None, "--map", help="Draw the map to this PNG."),
    json_out: bool = JsonOption,
    engine_name: str = AggregationEngineOption,
    master: str = MasterOption,
    driver_memory: str = DriverMemoryOption,
    stage_dir: Path | None = StageDirOption,
) -> None:
    """Hotspots on a square grid: counts, quartic KDE and Getis-Ord Gi* with FDR/Holm correction."""
    if out:
        format_from_path(out, fmt)  # refuse a bad name before the run, not after
    choice = aggregation_engine(engine_name, master, driver_memory, stage_dir)
    result = hotspots(resolve_db(db, quiet=json_out), request, engine=choice)
    written = []
    cells = suppressed_cells(result.cells) if aggregates_only() else result.cells
    if out:
        written.append(write_table(cells, out, fmt, cell=result.grid.cell))
    if map_png:
        written.append(draw_hotspot_map(result, map_png))
    if json_out:
        payload = result.summary()
        payload["written"] = [str(p) for p in written]
        print_json(payload)
        return
    print_hotspot_summary(result)
    for path in written:
        console.print(f"wrote {path}")


@user_errors
@request_command(ForecastEvalRequest)
def forecast_eval_command(
    request: ForecastEvalRequest,
    db: Path | None = DbOption,
    out: Path | None = typer.Option(None, "--out", help="Write the month-by-month scores as CSV."),
    chart: Path | None = typer.Option(None, "--chart", help="Draw hit rate by month to this PNG."),
    curve: Path | None = typer.Option(
        None,
        "--curve",
        help="Draw hit rate by share of the area flagged, every method, to this PNG.",
    ),
    json_out: bool = JsonOption,
) -> None:
    """Rolling next-month forecast evaluation: hit rate, PAI and PEI at 1 %, 5 % and 10 % of the area."""
    from harmwatch.where.forecast_eval import forecast_eval

    result = forecast_eval(resolve_db(db, quiet=json_out), request)
    crimes = ", ".join(result.crime_types) or "all crime"
    if out:
        write_table(result.monthly, out, "csv")
    if curve:
        draw_coverage_curve(
            result.coverage_curve(),
            curve,
            f"Share of next month's {crimes} found, by share of the area flagged: "
            f"{forces_text(result.forces)} ({result.grid.cell:g} m cells; study area: "
            f"{result.study_area.kind}; all months scored)",
        )
    if chart:
        draw_forecast_chart(
            result.monthly,
            chart,
            f"Next-month forecasts of {crimes}, {forces_text(result.forces)} "
            f"({result.grid.cell:g} m cells; "
            f"study area: {result.study_area.kind}; each run of consecutive months on its own)",
        )
    if json_out:
        print_json(result.to_dict())
        return
    print_notes(result.defaults_chosen, result.warnings)
    for run in result.runs:
        console.print(
            f"run {run['first']}…{run['last']}: {run['months']} months, "
            f"{run.get('scored_months', 0)} forecast and scored {run.get('note', '')}",
            highlight=False,
        )
    for coverage, group in result.summary.groupby("coverage"):
        table = Table(
            title=f"Flagging {float(coverage):.0%} of the study area ({result.n_cells:,} cells of {result.grid.cell:g} m)"
        )
        for col in (
            "method",
            "months scored",
            "mean hit rate",
            "pooled hit rate",
            "mean PAI",
            "mean PEI",
        ):
            table.add_column(col, justify="left" if col == "method" else "right")
        for _, row in group.sort_values("mean_pai", ascending=False).iterrows():
            table.add_row(
                str(row["method"]),
                f"{int(row['months_scored'])}",
                f"{row['mean_hit_rate']:.1%}",
                f"{row['pooled_hit_rate']:.1%}",
                f"{row['mean_pai']:.2f}",
                f"{row['mean_pei']:.2f}",
            )
        console.print(table)
    for lead in result.leaders().values():
        console.print(lead.note[:1].upper() + lead.note[1:] + ".", highlight=False)
    rec = result.recommendation()
    console.print(f"Recommended for the coming month: {rec.method} ({rec.rule}).", highlight=False)
    comparisons = Table(
        title="The recommended choice, made each month on the months before it, against each "
        "method (paired difference in hit rate, 95 % interval)"
    )
    for col in ("against", "coverage", "months", "difference", "95 % interval"):
        comparisons.add_column(col, justify="left" if col == "against" else "right")
    for c in result.comparisons():
        interval = "—" if c.months < 2 else f"{c.ci_low:+.3f} to {c.ci_high:+.3f}"
        comparisons.add_row(
            c.against, f"{100 * c.coverage:g} %", str(c.months), f"{c.difference:+.3f}", interval
        )
    console.print(comparisons)
    console.print(
        "A method is only worth recommending if it beats last-1/last-3 here.", highlight=False
    )
    for path in (out, chart, curve):
        if path:
            console.print(f"wrote {path}")


@user_errors
@request_command(EmergingHotspotsRequest)
def emerging_command(
    request: EmergingHotspotsRequest,
    db: Path | None = DbOption,
    out: Path | None = CellTableOutOption,
    fmt: str | None = FormatOption,
    map_png: Path | None = typer.Option(None, "--map", help="Draw the categories to this PNG."),
    json_out: bool = JsonOption,
) -> None:
    """Emerging hot spots (ArcGIS Pro categories, Mann–Kendall trend) over monthly Gi*."""
    from harmwatch.where.emerging_hotspots import emerging_hotspots

    if out:
        format_from_path(out, fmt)
    result = emerging_hotspots(resolve_db(db, quiet=json_out), request)
    if out:
        write_table(result.cells, out, fmt, cell=result.grid.cell)
    if map_png:
        draw_emerging_map(result, map_png)
    if json_out:
        print_json(result.to_dict())
        return
    print_notes(result.defaults_chosen, result.warnings)
    table = Table(title=f"Emerging hot spots, {result.months[0]}…{result.months[-1]}")
    table.add_column("category")
    table.add_column("cells", justify="right")
    for name, n in sorted(result.category_counts().items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{n:,}")
    console.print(table)
    if out:
        console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """The "where" room's commands."""
    from . import where_plans

    app.command("hotspots")(hotspots_command)
    app.command("emerging-hotspots")(emerging_command)
    app.command("forecast-eval")(forecast_eval_command)
    app.command("areas")(where_plans.areas_command)
    app.command("patrol-plan")(where_plans.patrol_plan_command)
