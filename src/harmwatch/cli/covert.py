"""`harmwatch covert …`: surveillance, CHIS, property interference and communications-data
authorisations — record, list, show, review, renew, cancel, and today's alerts.

Thin over :mod:`harmwatch.covert.authorisations`: each command signs in as a named
user (``--as`` or an operator key); the library checks the forms, computes expiry by
the statutory period, scopes, justifies and logs every read and change exactly as the
web app does. Option values go to the library as typed, so a problem names the form's
field (``granted_on: … is in the future``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from harmwatch.covert import authorisations as covert
from harmwatch.covert.periods import kinds

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

covert_app = typer.Typer(
    help="Surveillance and covert authorisations (intelligence officers only).",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(covert_app, name="covert")


JsonOption = typer.Option(False, "--json", help="Print JSON.")


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _show(view: covert.AuthorisationView, json_out: bool, done: str = "") -> None:
    if json_out:
        print_json(view.to_json())
        return
    if done:
        console.print(done, highlight=False)
    console.print(
        f"{view.ref} {view.urn}: {view.kind_title}, {view.subject} — {view.status}; "
        f"granted {view.granted_local}, ceases {view.expires_local} ({view.period}); "
        f"next review {view.next_review_on or 'none set'}",
        highlight=False,
    )
    console.print(view.handling_banner, highlight=False)
    for alert in view.alerts:
        console.print(f"alert: {alert.kind}: {alert.message}", highlight=False)


@covert_app.command("add")
@user_errors
@_database_errors
def add(
    urn: str = typer.Option(..., "--urn", help="The authorisation's URN, as on the form."),
    kind: str = typer.Option(..., "--kind", help=f"One of: {', '.join(kinds())}."),
    subject: str = typer.Option(..., "--subject", help="The subject's names or description."),
    operation: str | None = typer.Option(None, "--operation"),
    applied_on: str = typer.Option(..., "--applied-on", help="The application's day."),
    applicant: str = typer.Option(..., "--applicant"),
    authorised_by: str = typer.Option(..., "--authorised-by", help="The authorising officer."),
    rank: str = typer.Option(..., "--rank", help="The authorising officer's rank."),
    granted_on: str = typer.Option(..., "--granted-on", help="The day it took effect."),
    granted_time: str = typer.Option(..., "--granted-time", help="HH:MM, UK time."),
    urgent_oral: bool = typer.Option(False, "--urgent-oral", help="Granted orally (72 hours)."),
    review_every: int | None = typer.Option(None, "--review-every", help="Days (default 28)."),
    first_review_on: str | None = typer.Option(None, "--first-review-on"),
    unit: str | None = typer.Option(None, "--unit", help="Your unit that owns it."),
    conditions: str | None = typer.Option(None, "--conditions", help="Handling code C terms."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record an authorisation; its expiry follows from its kind's statutory period."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {
            "urn": urn,
            "authorisation_kind": kind,
            "subject": subject,
            "operation": operation,
            "applied_on": applied_on,
            "applicant": applicant,
            "authorised_by": authorised_by,
            "authorising_rank": rank,
            "granted_on": granted_on,
            "granted_time": granted_time,
            "urgent_oral": "yes" if urgent_oral else None,
            "review_interval_days": review_every,
            "first_review_on": first_review_on,
            "unit": unit,
            "handling_conditions": conditions,
        }
    )
    done = covert.record(engine, principal, values, justification, client="cli")
    _show(done, json_out, f"recorded {done.ref}")


@covert_app.command("list")
@user_errors
@_database_errors
def list_authorisations(
    kind: str = typer.Option("", "--kind"),
    status: str = typer.Option("", "--status", help="open or cancelled."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Authorisations you may see, soonest to cease first."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    views, total = covert.listing(
        engine, principal, justification=justification, kind=kind, state=status, client="cli"
    )
    if json_out:
        print_json([v.to_json() for v in views])
        return
    table = Table(title=f"Covert authorisations: {total}")
    for column in ("id", "URN", "kind", "subject", "status", "ceases", "next review"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v.id),
            v.urn,
            v.authorisation_kind,
            v.subject,
            v.status,
            v.expires_local,
            str(v.next_review_on or ""),
        )
    console.print(table)


@covert_app.command("show")
@user_errors
@_database_errors
def show(
    authorisation_id: int = typer.Argument(..., help="The authorisation's id."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """One authorisation, its reviews, renewals and the call data resting on it."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    found = covert.read(
        engine, principal, authorisation_id, justification=justification, client="cli"
    )
    _show(found, json_out)
    if not json_out:
        for r in found.renewals:
            console.print(
                f"renewed {r['renewed_local']} by {r['authorised_by']}: ceases {r['expires_local']}",
                highlight=False,
            )
        for r in found.reviews:
            console.print(f"reviewed {r['reviewed_on']} by {r['reviewed_by']}", highlight=False)
        for i in found.call_data_imports:
            console.print(f"call data: {i['ref']} {i['file_name']}", highlight=False)


@covert_app.command("review")
@user_errors
@_database_errors
def review(
    authorisation_id: int = typer.Argument(...),
    reviewed_by: str = typer.Option(..., "--by", help="The authorising officer who reviewed it."),
    reviewed_on: str | None = typer.Option(None, "--on", help="The review's day (default today)."),
    notes: str | None = typer.Option(None, "--notes"),
    next_review_on: str | None = typer.Option(None, "--next", help="The next review's day."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a review; it sets the next (the date given, else by the review interval)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {
            "reviewed_by": reviewed_by,
            "reviewed_on": reviewed_on,
            "notes": notes,
            "next_review_on": next_review_on,
        }
    )
    done = covert.review(engine, principal, authorisation_id, values, justification, client="cli")
    _show(done, json_out, f"review recorded on {done.ref}")


@covert_app.command("renew")
@user_errors
@_database_errors
def renew(
    authorisation_id: int = typer.Argument(...),
    authorised_by: str = typer.Option(..., "--authorised-by"),
    rank: str = typer.Option(..., "--rank"),
    renewed_on: str | None = typer.Option(None, "--on", help="The day granted (default today)."),
    renewed_time: str | None = typer.Option(None, "--time", help="HH:MM, UK time."),
    urgent_oral: bool = typer.Option(False, "--urgent-oral"),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a renewal (granted while in force); the new expiry follows from the period."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {
            "authorised_by": authorised_by,
            "authorising_rank": rank,
            "renewed_on": renewed_on,
            "renewed_time": renewed_time,
            "urgent_oral": "yes" if urgent_oral else None,
        }
    )
    done = covert.renew(engine, principal, authorisation_id, values, justification, client="cli")
    _show(done, json_out, f"renewal recorded on {done.ref}")


@covert_app.command("cancel")
@user_errors
@_database_errors
def cancel(
    authorisation_id: int = typer.Argument(...),
    cancelled_by: str = typer.Option(..., "--by"),
    reason: str = typer.Option(..., "--reason"),
    cancelled_on: str | None = typer.Option(None, "--on", help="Default today."),
    cancelled_time: str | None = typer.Option(None, "--time", help="HH:MM, UK time."),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record the cancellation: no alert is raised after it."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {
            "cancelled_by": cancelled_by,
            "reason": reason,
            "cancelled_on": cancelled_on,
            "cancelled_time": cancelled_time,
        }
    )
    done = covert.cancel(engine, principal, authorisation_id, values, justification, client="cli")
    _show(done, json_out, f"cancellation recorded on {done.ref}")


@covert_app.command("alerts")
@user_errors
@_database_errors
def alerts(
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Today's alerts (UK date): reviews due and overdue, expiring, expired and not cancelled."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    flagged = covert.alerts(engine, principal, justification=justification, client="cli")
    if json_out:
        print_json([f.to_json() for f in flagged])
        return
    if not flagged:
        console.print("no alerts today", highlight=False)
    for f in flagged:
        for alert in f.alerts:
            console.print(
                f"{f.authorisation.ref} {f.authorisation.urn}: {alert.kind}: {alert.message}",
                highlight=False,
            )
