"""Shared pieces of the command line: the console, the --db option and clean errors."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from harmwatch.errors import USER_ERRORS
from harmwatch.storage.paths import analytics_db_path

# soft_wrap: file paths and file:line messages must print whole, never folded or
# cut with an ellipsis, so that a user can copy them.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

DbOption = typer.Option(
    None, "--db", help="DuckDB analytics file (default: $HARMWATCH_DB, else the data directory)."
)


def resolve_db(db: Path | None, *, quiet: bool = False) -> Path:
    path, origin = analytics_db_path(db)
    if not quiet and origin == "default":
        err_console.print(f"[dim]database: {path} (default; --db or HARMWATCH_DB to change)[/dim]")
    return path


def user_errors(func: F) -> F:
    """Turn expected failures into one clear message and exit status 2, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            sys.stderr.write(f"error: {exc}\n")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def print_lines(label: str, colour: str, lines: list[str]) -> None:
    """Labelled notes on stderr, so that --json output on stdout stays clean."""
    for line in lines:
        err_console.print(f"[{colour}]{label}[/{colour}] {line}", highlight=False)


def print_notes(defaults: list[str], warnings: list[str]) -> None:
    """Tell the user which defaults were chosen and what to be wary of."""
    print_lines("default", "cyan", defaults)
    print_lines("warning", "yellow", warnings)
