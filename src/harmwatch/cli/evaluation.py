"""`harmwatch evaluate` and `harmwatch change`: did it work, and did it really change.

The options come from :class:`~harmwatch.evaluation.requests.EvaluateRequest` and
:class:`~harmwatch.evaluation.requests.ChangeRequest`; the commands print what the
library returns.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.evaluation.requests import ChangeRequest, EvaluateRequest

from .common import (
    DbOption,
    console,
    err_console,
    print_json,
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


def _print_notes(defaults: list[str], caveats: list[str], notes: list[str]) -> None:
    for line in defaults:
        err_console.print(f"[cyan]default[/cyan] {line}", highlight=False)
    for line in notes:
        err_console.print(f"[dim]note[/dim] {line}", highlight=False)
    for line in caveats:
        err_console.print(f"[yellow]caveat[/yellow] {line}", highlight=False)


@user_errors
@request_command(EvaluateRequest)
def evaluate_command(
    request: EvaluateRequest,
    db: Path | None = DbOption,
    chart: Path | None = typer.Option(None, "--chart", help="Draw the chart to this PNG."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Did it work? Before/after rate ratio, difference-in-differences and displacement (WDQ)."""
    from harmwatch.evaluation.charts import draw_evaluation_chart
    from harmwatch.evaluation.evaluate import evaluate

    result = evaluate(resolve_db(db, quiet=json_out), request)
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
    figures = Table(title="Figures")
    figures.add_column("")
    figures.add_column("estimate", justify="right")
    figures.add_column("95 % interval", justify="right")
    figures.add_column("p", justify="right")
    rr, did, wdd = result.rate_ratio, result.did, result.wdd
    figures.add_row(
        "rate ratio, after ÷ before", f"{rr.ratio:.2f}", f"{rr.ci_low:.2f}–{rr.ci_high:.2f}",
        f"{rr.p_value:.3g}",
    )  # fmt: skip
    figures.add_row(
        "difference-in-differences", f"{did.estimate:.2f}", f"{did.ci_low:.2f}–{did.ci_high:.2f}",
        f"{did.p_value:.3g}",
    )  # fmt: skip
    if did.off_centre:
        figures.add_row(
            "  uncorrected (all controls alike)", f"{did.uncorrected_estimate:.2f}", "", ""
        )
    figures.add_row(
        "net effect, WDD (crimes)" + ("" if result.buffer_catchment is None else " (target only)"),
        f"{wdd.total:+.0f}",
        f"{wdd.ci_low:+.0f} to {wdd.ci_high:+.0f}",
        f"{wdd.p_value:.3g}",
    )
    figures.add_row(
        "displacement, WDQ", "—" if result.wdq.value is None else f"{result.wdq.value:.2f}", "", ""
    )
    console.print(figures)
    console.print(result.summary, highlight=False)
    if written:
        console.print(f"wrote {written}")


@user_errors
@request_command(ChangeRequest)
def change_command(
    request: ChangeRequest,
    db: Path | None = DbOption,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
    engine_name: str = AggregationEngineOption,
    master: str = MasterOption,
    driver_memory: str = DriverMemoryOption,
    stage_dir: Path | None = StageDirOption,
) -> None:
    """Did it really change? Counts, % change and an exact rate-ratio test between two periods.

    With no --baseline: the same months a year earlier, or, where those are not loaded,
    as many months just before the period (as the web panel does; the output says which).
    """
    from harmwatch.evaluation.change import change

    choice = aggregation_engine(engine_name, master, driver_memory, stage_dir)
    # The library refuses a year-earlier baseline that is not loaded unless told it may
    # fall back; the command line, like the web panel, falls back and says so.
    result = change(
        resolve_db(db, quiet=json_out), request.replace(baseline_fallback=True), engine=choice
    )
    if json_out:
        print_json(result.to_dict())
        return
    _print_notes(result.defaults_chosen, result.caveats, result.notes)
    console.print(result.sentence, highlight=False)


def register(app: typer.Typer) -> None:
    """The "did it work" room's commands."""
    app.command("evaluate")(evaluate_command)
    app.command("change")(change_command)
