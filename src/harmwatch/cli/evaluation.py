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

from .common import DbOption, console, err_console, print_json, resolve_db, user_errors
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
    console.print(result.summary, highlight=False)
    if written:
        console.print(f"wrote {written}")


@user_errors
@request_command(ChangeRequest)
def change_command(
    request: ChangeRequest,
    db: Path | None = DbOption,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Did it really change? Counts, % change and an exact rate-ratio test between two periods."""
    from harmwatch.evaluation.change import change

    result = change(resolve_db(db, quiet=json_out), request)
    if json_out:
        print_json(result.to_dict())
        return
    _print_notes(result.defaults_chosen, result.caveats, result.notes)
    console.print(result.sentence, highlight=False)


def register(app: typer.Typer) -> None:
    """The "did it work" room's commands."""
    app.command("evaluate")(evaluate_command)
    app.command("change")(change_command)
