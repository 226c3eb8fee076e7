"""`harmwatch areas` (LSOA ranking) and `harmwatch patrol-plan` (zones from hotspot cells).

Thin, like ``hotspots``: each command's analysis options come from its request
(:class:`~harmwatch.where.requests.AreaRankingRequest`,
:class:`~harmwatch.where.requests.PatrolPlanRequest`); the command calls the
library and prints what it returns. Both say which study area the shares are of,
because a share of area means nothing without it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.maps.results import draw_patrol_map
from harmwatch.outputs.tables import format_from_path, write_table
from harmwatch.where.areas import SOURCE_PRESENT, AreaRanking, area_ranking
from harmwatch.where.hotspots import HotspotResult
from harmwatch.where.patrol import PatrolPlan, plan_patrols
from harmwatch.where.requests import AreaRankingRequest, PatrolPlanRequest

from .common import DbOption, console, print_json, print_lines, resolve_db, user_errors
from .params import request_command
from .where import FormatOption, JsonOption


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def print_area_ranking(ranking: AreaRanking, top: int) -> None:
    print_lines("note", "cyan", [*ranking.notes, ranking.count_note])
    print_lines("caveat", "yellow", ranking.caveats)
    if ranking.denominator_source == SOURCE_PRESENT:
        # The library's caveat names no option; the command line says its own.
        print_lines("hint", "cyan", ["give --lsoa-list FILE to count the zero-crime LSOAs"])
    shown = min(top, len(ranking.table))
    table = Table(
        title=f"The {shown} LSOAs with most crimes, of {len(ranking.table):,} ranked"
        + (" (--out writes them all)" if shown < len(ranking.table) else "")
    )
    for column in ("rank", "lsoa_code", "lsoa_name", "n", "per month", "share", "cumulative"):
        table.add_column(column, justify="left" if column.startswith("lsoa") else "right")
    for row in ranking.table.head(max(top, 0)).itertuples(index=False):
        table.add_row(
            str(row.rank),
            str(row.lsoa_code),
            str(row.lsoa_name),
            f"{row.n:,}",
            f"{row.per_month:.2f}",
            _pct(row.share),
            _pct(row.cumulative_share),
        )
    console.print(table)
    conc = Table(
        title=f"Concentration ({ranking.denominator:,} LSOAs: {ranking.denominator_source})"
    )
    conc.add_column("top LSOAs", justify="right")
    conc.add_column("LSOAs", justify="right")
    conc.add_column("crimes", justify="right")
    conc.add_column("share of crimes", justify="right")
    for figures in ranking.concentration.values():
        conc.add_row(
            f"{figures['pct_of_lsoas']:g} %",
            f"{figures['lsoas']:,}",
            f"{figures['crimes']:,}",
            _pct(float(figures["crime_share"])),
        )
    console.print(conc)
    five = ranking.concentration.get("top_5pct")
    what = f"crimes ({', '.join(ranking.crime_types)})" if ranking.crime_types else "crimes"
    if five:
        console.print(
            f"The top 5 % of LSOAs ({five['lsoas']:,} of {ranking.denominator:,}) hold "
            f"{_pct(float(five['crime_share']))} of the {ranking.crimes_ranked:,} {what} ranked; "
            f"Gini coefficient {ranking.gini:.3f}. Study area: {ranking.study_area}.",
            highlight=False,
        )


@user_errors
@request_command(AreaRankingRequest)
def areas_command(
    request: AreaRankingRequest,
    db: Path | None = DbOption,
    out: Path | None = typer.Option(None, "--out", help="Write the whole ranking as .csv."),
    json_out: bool = JsonOption,
) -> None:
    """Rank LSOAs by crime, with the share the top 1/5/10/20 % hold and a Gini coefficient."""
    if out and format_from_path(out) != "csv":
        raise InputError(
            "the LSOA ranking is written as .csv only (no LSOA polygons are bundled to draw it)"
        )
    top = request.top
    ranking = area_ranking(resolve_db(db, quiet=json_out), request)
    written = [write_table(ranking.table, out, "csv")] if out else []
    if json_out:
        payload = ranking.summary(top)
        payload["written"] = [str(p) for p in written]
        print_json(payload)
        return
    print_area_ranking(ranking, top)
    for path in written:
        console.print(f"wrote {path}")


def print_zone_timing(plan: PatrolPlan, shown: int) -> None:
    """When to visit each zone: its peak hours of the week and the visit guidance."""
    assert plan.timing is not None
    table = Table(title="When to visit (local time; hours holding half of each zone's crimes)")
    for column in ("zone", "windows (visits)", "share", "crimes"):
        table.add_column(column, justify="right" if column != "windows (visits)" else "left")
    for zone, timing in zip(plan.zones["zone"].head(shown), plan.timing[:shown], strict=False):
        windows = "; ".join(f"{w.label()} ({w.visits})" for w in timing.windows) or (
            timing.note or ""
        )
        table.add_row(str(zone), windows, _pct(timing.covered_share), f"{timing.crimes:.1f}")
    console.print(table)
    if plan.timing:
        console.print(f"guidance: {plan.timing[0].guidance}", highlight=False)
        for source in plan.timing[0].sources:
            console.print(f"  source: {source}", highlight=False)


def write_zone_profiles(plan: PatrolPlan, path: Path) -> Path:
    """Each zone's hour-of-week profile (aoristic weights) as CSV: zone, day, hour, weight."""
    import csv

    from harmwatch.where.timing import profile_table

    if plan.profiles is None:
        raise InputError(
            "--when-out needs crimes with known times: use --source force-records "
            "(police.uk dates crimes only to the month)"
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["zone", "day", "hour", "weight"])
        for zone, profile in zip(plan.zones["zone"], plan.profiles, strict=True):
            for row in profile_table(profile):
                writer.writerow([zone, row["day"], row["hour"], f"{float(row['weight']):.6g}"])  # type: ignore[arg-type]
    return path


def print_patrol_plan(result: HotspotResult, plan: PatrolPlan, shown: int = 15) -> None:
    print_lines("default", "cyan", result.defaults_chosen)
    print_lines("note", "cyan", plan.notes)
    print_lines("warning", "yellow", result.warnings)
    cut = min(shown, len(plan.zones))
    table = Table(
        title=f"Patrol zones: the {cut} with most crimes, of {len(plan.zones)}"
        + (" (--out writes them all)" if cut < len(plan.zones) else "")
    )
    for column in ("zone", "cells", "km²", "crimes", "% crime", "% area", "PAI", "lon", "lat"):
        table.add_column(column, justify="right")
    table.add_column("main LSOAs")
    for row in plan.zones.head(shown).itertuples(index=False):
        table.add_row(
            str(row.zone),
            str(row.cells),
            f"{row.area_km2:.3g}",
            f"{row.crimes:,}",
            _pct(row.share_of_crime),
            f"{100 * row.share_of_area:.2f} %",
            f"{row.pai:.1f}",
            f"{row.lon:.4f}",
            f"{row.lat:.4f}",
            str(row.lsoas),
        )
    console.print(table)
    if plan.timing is not None:
        print_zone_timing(plan, cut)
    t = plan.totals
    console.print(
        f"The plan's {t['zones']} zone(s), {t['area_km2']:g} km² "
        f"({t['cells']} cells of {result.grid.cell:g} m), cover "
        f"{100 * t['share_of_area']:.2f} % of the study area and hold "
        f"{_pct(t['share_of_crime'])} of the {t['crimes_in_cells']:,} crimes in its cells "
        f"(PAI {t['pai']:.1f}, in-sample). Study area: {plan.study_area}.",
        highlight=False,
    )


@user_errors
@request_command(PatrolPlanRequest)
def patrol_plan_command(
    request: PatrolPlanRequest,
    db: Path | None = DbOption,
    out: Path | None = typer.Option(None, "--out", help="Write the zones (.csv, .geojson, .gpkg)."),
    fmt: str | None = FormatOption,
    map_png: Path | None = typer.Option(None, "--map", help="Draw the plan to this PNG."),
    when_out: Path | None = typer.Option(
        None, "--when-out", help="Write each zone's hour-of-week profile (CSV; force records)."
    ),
    json_out: bool = JsonOption,
) -> None:
    """Patrol zones: the highest-scoring cells within a budget, merged where they touch."""
    if out:
        format_from_path(out, fmt)  # refuse a bad name before the run, not after
    result, plan = plan_patrols(resolve_db(db, quiet=json_out), request)
    written = []
    if when_out:
        written.append(write_zone_profiles(plan, when_out))
    if out:
        written.append(write_table(plan.geo, out, fmt, layer="zones"))
    if map_png:
        written.append(draw_patrol_map(result, plan, map_png))
    if json_out:
        payload = plan.summary()
        payload["hotspot_run"] = result.summary()
        payload["written"] = [str(p) for p in written]
        print_json(payload)
        return
    print_patrol_plan(result, plan)
    for path in written:
        console.print(f"wrote {path}")
