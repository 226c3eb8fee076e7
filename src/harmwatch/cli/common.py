"""Shared pieces of the command line: the console, the --db option and clean errors.

An expected failure (:class:`~harmwatch.errors.UserError`) prints ``error: …`` and
exits 2; anything else is a defect: its traceback goes to the log file in the data
directory under a reference, and the user sees only "internal error, reference …"
with exit status 1, so a bug is reported as a bug, not as bad input.
"""

from __future__ import annotations

import functools
import getpass
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import typer
from rich.console import Console

from harmwatch.errors import (
    INTERNAL_LOG,
    InputError,
    InternalError,
    UserError,
    internal_error_reference,
)
from harmwatch.storage.paths import analytics_db_path, data_home

if TYPE_CHECKING:
    from sqlalchemy import Engine

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


def internal_log_file() -> Path:
    """Where the command line writes the tracebacks of internal errors."""
    return data_home() / "logs" / "harmwatch-cli.log"


def _log_to_file() -> Path:
    path = internal_log_file()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in INTERNAL_LOG.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        INTERNAL_LOG.addHandler(handler)
        INTERNAL_LOG.propagate = False  # the traceback goes to the file, not the terminal
    return path


def user_errors(func: F) -> F:
    """Expected failures: one clear message, exit 2. Defects: a reference, exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            sys.stderr.write(f"error: {exc}\n")
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            try:
                where = _log_to_file()
            except OSError:
                where = None  # no writable data directory: the log goes to stderr
            reference = internal_error_reference(exc, f"harmwatch {func.__name__}")
            shown = f" (details in {where})" if where else ""
            sys.stderr.write(f"error: {InternalError(reference)}{shown}\n")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def iso_date(value: str | None, option: str) -> date | None:
    """An option's ISO date (``2025-03-31``), None when not given; refused naming the option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date like 2025-03-31") from None


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


@contextmanager
def file_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per file for an import: yields the ``(name, done, total)`` callback."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as progress:  # fmt: skip
        tasks: dict[str, Any] = {}

        def on_progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done, total=total)

        yield on_progress


@contextmanager
def store_lock(engine: Engine | None, what: str) -> Iterator[None]:
    """Write the analytics store holding the records database's ingest lock (None: no lock).

    The web app's uploads and imports take the same lock, so a load from a shell waits
    for one running on any app server behind that records database, and they for it.
    It waits as long as it takes (Ctrl+C gives up), saying whose load it waits for.
    """
    if engine is None:
        yield
        return
    from harmwatch.storage.dblock import INGEST_LOCK, DatabaseLock, Holder

    def waiting(holder: Holder | None) -> None:
        whose = holder.describe() if holder else "another load of the analytics store"
        err_console.print(f"waiting for {whose} to finish …", highlight=False, markup=False)

    lock = DatabaseLock(engine, INGEST_LOCK)
    with lock.hold(holder=f"cli:{getpass.getuser()}", what=what, wait_s=None, on_wait=waiting):
        yield
