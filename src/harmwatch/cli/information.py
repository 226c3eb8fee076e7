"""`harmwatch records …`: subject access requests and MoPI reviews across every room.

Run as the force's data protection officer (``--as``); each search and each review
decision is logged, a deletion as an erasure naming what was erased.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.kernel.records import SubjectTerms
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.subjects import (
    HeldItem,
    ReviewDecision,
    due_for_review,
    review,
    subject_access,
)

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, print_json, user_errors
from .identity import AsOption, KeyFileOption, sign_in

records_app = typer.Typer(
    help="Subject access requests and retention reviews across every room.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")


JustificationOption = typer.Option(
    ..., "--justification", help="Why (the request's reference, the review); kept in the log."
)


def _table(title: str, items: list[HeldItem]) -> Table:
    table = Table(title=title)
    for column in ("room", "kind", "record", "summary", "owner", "review"):
        table.add_column(column)
    for item in items:
        table.add_row(
            item.room,
            item.kind,
            item.ref or "—",
            item.summary,
            item.owner or "—",
            item.review_date or "—",
        )
    return table


@records_app.command("subject-access")
@user_errors
@_database_errors
def subject_access_command(
    name: str = typer.Option("", "--name", help="The data subject's name."),
    identifier: list[str] | None = typer.Option(
        None, "--identifier", help="A phone number, username, email … (repeatable)."
    ),
    justification: str = JustificationOption,
    out: Path | None = typer.Option(None, "--out", help="Also write the report as JSON."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """What do we hold about this person? Every room is searched; the search is logged."""
    if out is not None and not out.parent.exists():
        raise InputError(f"--out: folder {out.parent} does not exist")
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    report = subject_access(
        engine,
        principal,
        SubjectTerms(name=name, identifiers=tuple(identifier or ())),
        justification=justification,
        client="cli",
    )
    if out is not None:
        out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    if json_out:
        print_json(report.to_dict())
        return
    console.print(
        _table(f"Held about {name or ', '.join(identifier or [])}: {len(report.held)}", report.held)
    )
    console.print("Searched: " + "; ".join(report.searched), highlight=False)
    if out is not None:
        console.print(f"wrote {out}")


@records_app.command("review-due")
@user_errors
@_database_errors
def review_due_command(
    on: str | None = typer.Option(
        None, "--on", help="Due on or before this date (default: today)."
    ),
    justification: str = JustificationOption,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Records of your force due for review (retain or delete), oldest first."""
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise InputError(f"--on: {on!r} is not a date (use 2026-12-31)") from None
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    items = due_for_review(engine, principal, day, justification=justification, client="cli")
    if json_out:
        print_json([item.__dict__ for item in items])
        return
    console.print(_table(f"Due for review on {day}: {len(items)}", items))


@records_app.command("review")
@user_errors
@_database_errors
def review_command(
    record: str = typer.Argument(..., help="The record, as kind:id (from review-due)."),
    retain: bool = typer.Option(False, "--retain", help="Keep it until its next review."),
    delete: bool = typer.Option(False, "--delete", help="Delete it (the erasure is logged)."),
    reason: str = typer.Option(..., "--reason", help="Why (10+ characters; kept in the log)."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a review decision on one record: --retain or --delete."""
    if retain == delete:
        raise InputError("say --retain or --delete (one of them)")
    ref = RecordRef.parse(record)
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    decision = ReviewDecision.RETAIN if retain else ReviewDecision.DELETE
    item = review(engine, principal, ref, decision, reason, client="cli")
    verb = "retained" if retain else "deleted"
    console.print(f"{verb} {ref}: {item.summary}", highlight=False)
