"""`harmwatch stop-search` and `harmwatch outcomes`: the oversight room's police.uk figures.

Thin over :mod:`harmwatch.oversight.stop_search` and
:mod:`harmwatch.oversight.crime_outcomes`: the options come from their requests
(:mod:`harmwatch.oversight.police_requests`), the tables are drawn from the same
dictionaries ``--json`` prints, so that ``--suppressed`` (the view a PCC viewer or
a published report gets) is shown exactly as it is published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from harmwatch.oversight.police_requests import OutcomesRequest, StopSearchRequest

from .common import DbOption, console, print_json, print_lines, resolve_db, user_errors
from .params import request_command

JsonOption = typer.Option(False, "--json", help="Print one JSON object for scripts.")
SuppressedOption = typer.Option(
    False,
    "--suppressed",
    help="The aggregate view, as a PCC viewer or a published report gets it (small numbers "
    "suppressed).",
)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _rate(row: dict[str, Any], name: str) -> str:
    value, low, high = row.get(name), row.get(f"{name}_low"), row.get(f"{name}_high")
    if value is None or low is None or high is None:
        return "—"
    return f"{100 * value:.1f} % ({100 * low:.1f}–{100 * high:.1f})"


def _print_context(payload: dict[str, Any]) -> None:
    print_lines("default", "cyan", payload["defaults_chosen"])
    print_lines("note", "dim", payload["notes"])
    print_lines("caveat", "yellow", payload["caveats"])
    print_lines("suppression", "magenta", payload.get("suppression", []))


def _searches_table(title: str, rows: list[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(title=title)
    table.add_column("")
    for column in ("searches", "finds", "find rate (95 % CI)", "link blank",
                   "arrests", "arrest rate (95 % CI)"):  # fmt: skip
        # A count is a number or a label ("fewer than 5"): never folded over two lines.
        table.add_column(column, justify="right", no_wrap="rate" not in column)
    for name, row in rows:
        table.add_row(
            name, _count(row["searches"]), _count(row["finds"]), _rate(row, "find_rate"),
            _count(row["link_blank"]), _count(row["arrests"]), _rate(row, "arrest_rate"),
        )  # fmt: skip
    return table


def _print_stop_search(payload: dict[str, Any]) -> None:
    console.print(payload["title"], style="bold", highlight=False)
    for key in ("all_searches", "drug_searches"):
        slice_ = payload[key]
        overall = slice_["overall"]
        console.print(_searches_table(f"{slice_['label']}: overall", [("all", overall)]))
        console.print(
            "find rate among searches with another outcome than no further action: "
            f"{_rate(overall, 'find_rate_other_outcomes')} of "
            f"{_count(overall['other_outcome_searches'])}",
            highlight=False,
        )
        for name, breakdown in slice_["breakdowns"].items():
            if key == "drug_searches" and name in ("object_of_search", "legislation"):
                continue  # one object of search by definition; legislation follows it
            title = f"{slice_['label']} by {breakdown['label']}"
            if breakdown.get("withheld"):
                console.print(f"{title}: withheld ({breakdown['withheld']})", highlight=False)
                continue
            console.print(_searches_table(title, [(g["group"], g) for g in breakdown["groups"]]))
        _print_disproportionality(slice_)


def _print_disproportionality(slice_: dict[str, Any]) -> None:
    d = slice_["disproportionality"]
    if not d["computed"]:
        console.print(f"{slice_['label']}, disproportionality: {d['status']}", highlight=False)
        return
    for force in d["forces"]:
        table = Table(
            title=f"{slice_['label']}, {force['force_name']}: searches per 1,000 residents "
            f"against White residents ({d['source']}, {d['year']}; {d['per']})"
        )
        table.add_column("self-defined group")
        for column in ("searches", "residents", "per 1,000", "rate ratio", "95 % CI", "p"):
            table.add_column(column, justify="right")
        for g in force["groups"]:
            per = g["searches_per_1000"]
            ratio, low, high = g["rate_ratio"], g["rate_ratio_low"], g["rate_ratio_high"]
            table.add_row(
                g["group"], _count(g["searches"]), _count(g["residents"]),
                "—" if per is None else f"{per:.2f}",
                "comparison" if g["group"] == d["comparison_group"]
                else "—" if ratio is None else f"{ratio:.2f}",
                "" if g["group"] == d["comparison_group"] else
                f"{'—' if low is None else f'{low:.2f}'}–{'∞' if high is None else f'{high:.2f}'}",
                "" if g["p_value"] is None else f"{g['p_value']:.3g}",
            )  # fmt: skip
        console.print(table)
        console.print(
            f"ethnicity not stated: {_count(force['not_stated'])} searches, in no group's rate",
            highlight=False,
        )


@user_errors
@request_command(StopSearchRequest)
def stop_search_command(
    request: StopSearchRequest,
    db: Path | None = DbOption,
    residents: Path | None = typer.Option(
        None,
        "--residents",
        help="CSV of residents by force and broad ethnic group (force,ethnic_group,residents,"
        "source,year) for disproportionality; without it none is computed.",
    ),
    suppressed: bool = SuppressedOption,
    json_out: bool = JsonOption,
) -> None:
    """Stop and search: by object, legislation, age, sex and ethnicity; find and arrest rates."""
    from harmwatch.oversight.residents import load_residents
    from harmwatch.oversight.stop_search import stop_search

    table = load_residents(residents) if residents else None
    result = stop_search(
        resolve_db(db, quiet=json_out), request.forces, request.months or None, table
    )
    payload = result.to_dict(suppressed=suppressed)
    if json_out:
        print_json(payload)
        return
    _print_context(payload)
    _print_stop_search(payload)


@user_errors
@request_command(OutcomesRequest)
def outcomes_command(
    request: OutcomesRequest,
    db: Path | None = DbOption,
    suppressed: bool = SuppressedOption,
    json_out: bool = JsonOption,
) -> None:
    """What happened to drug crimes: shares charged, cautioned … by month, time to outcome."""
    from harmwatch.oversight.crime_outcomes import crime_outcomes

    result = crime_outcomes(
        resolve_db(db, quiet=json_out), request.forces, request.months or None, request.crime_type
    )
    payload = result.to_dict(suppressed=suppressed)
    if json_out:
        print_json(payload)
        return
    _print_context(payload)
    console.print(payload["title"], style="bold", highlight=False)
    table = Table(title=f"Outcomes of {_count(payload['crimes'])} crimes with a Crime ID")
    table.add_column("outcome")
    for column in ("crimes", "share (95 % CI)", "months to outcome: median (IQR)"):
        table.add_column(column, justify="right")
    for g in payload["groups"]:
        t = g["time_to_outcome"]
        time = (
            "—"
            if t["median_months"] is None
            else f"{t['median_months']:g} ({t['q1_months']:g}–{t['q3_months']:g})"
        )
        table.add_row(g["group"], _count(g["crimes"]), _rate(g, "share"), time)
    console.print(table)
    console.print(
        f"outcome from the outcomes files: {_count(payload['from_outcomes'])}; from the street "
        f"file: {_count(payload['from_street'])}; without a Crime ID (left out): "
        f"{_count(payload['without_crime_id'])}",
        highlight=False,
    )
    groups = [g["group"] for g in payload["groups"]]
    by_month = Table(title="Share of the month's crimes, by month of the crime")
    by_month.add_column("month")
    by_month.add_column("crimes", justify="right")
    pooled = payload["by_month"][0].get("pooled") if payload["by_month"] else None
    shown = [n for n in groups if pooled is None or n not in pooled["groups"]]
    for name in shown:
        by_month.add_column(name, justify="right")
    if pooled:
        by_month.add_column("pooled: " + ", ".join(pooled["groups"]), justify="right")
    for month in payload["by_month"]:
        cells = {g["group"]: g for g in month["groups"]}
        row = [cells[n] for n in shown] + ([month["pooled"]] if pooled else [])
        by_month.add_row(
            month["month"],
            _count(month["crimes"]),
            *("—" if c["share"] is None else f"{100 * c['share']:.0f} %" for c in row),
        )
    console.print(by_month)


def register(app: typer.Typer) -> None:
    """The oversight room's police.uk commands."""
    app.command("stop-search")(stop_search_command)
    app.command("outcomes")(outcomes_command)
