"""`harmwatch forensic incident|affected|queue|retest|notify|progress`: the lab-incident review.

Thin over :mod:`harmwatch.forensics` (incidents, priority, retests, progress): each
command signs in as a named user (``--as`` or an operator key); the library checks the
values (a problem names its field), scopes, justifies and logs every read and change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from harmwatch.forensics import incidents, priority, progress, retests

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

incident_app = typer.Typer(help="Laboratory incidents.", no_args_is_help=True)
retest_app = typer.Typer(
    help="Retests: request, sent, result, compare, dispose.", no_args_is_help=True
)
notify_app = typer.Typer(help="Notifications to the CPS, defence and court.", no_args_is_help=True)

JsonOption = typer.Option(False, "--json", help="Print JSON.")
IncidentOption = typer.Option(..., "--incident", help="The incident's id.")


def register(forensic_app: typer.Typer) -> None:
    forensic_app.add_typer(incident_app, name="incident")
    forensic_app.command("affected")(affected)
    forensic_app.command("queue")(queue)
    forensic_app.add_typer(retest_app, name="retest")
    forensic_app.add_typer(notify_app, name="notify")
    forensic_app.command("progress")(show_progress)


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _retest_out(view: retests.RetestView, json_out: bool) -> None:
    if json_out:
        print_json(view.to_json())
        return
    line = f"{view.ref} of {view.exhibit_ref}: {view.state}"
    if view.outcome:
        line += f"; {view.outcome}: {view.outcome_reason}"
    if view.disposition:
        line += f"; disposition {view.disposition} on {view.disposition_on}"
    console.print(line, highlight=False)


def _notice_out(view: retests.NotificationView, json_out: bool) -> None:
    if json_out:
        print_json(view.to_json())
        return
    sent = f"sent {view.sent_on} ({view.reference})" if view.sent_on else "not sent"
    console.print(
        f"{view.ref}: {view.recipient} about {view.case_reference} ({view.force}), "
        f"due {view.due_on}, {sent}",
        highlight=False,
    )


@incident_app.command("add")
@user_errors
@_database_errors
def incident_add(
    name: str = typer.Option(..., "--name"),
    provider: int = typer.Option(..., "--provider", help="The provider's id."),
    laboratory: int | None = typer.Option(None, "--laboratory", help="One laboratory's id."),
    tests: str | None = typer.Option(None, "--tests", help="Tests in question, separated with ;."),
    analysts: str | None = typer.Option(None, "--analysts", help="Analysts, separated with ;."),
    window_from: str = typer.Option(..., "--from", help="First day of the window."),
    window_to: str = typer.Option(..., "--to", help="Last day of the window."),
    description: str | None = typer.Option(None, "--description"),
    declared_on: str | None = typer.Option(None, "--declared-on"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Declare a laboratory incident (provider, laboratory, tests, analysts, window)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {
            "name": name, "provider_id": provider, "laboratory_id": laboratory, "tests": tests,
            "analysts": analysts, "window_from": window_from, "window_to": window_to,
            "description": description, "declared_on": declared_on,
        }
    )  # fmt: skip
    view = incidents.declare(engine, principal, values, client="cli")
    if json_out:
        print_json(view.to_json())
    else:
        console.print(f"declared {view.ref}: {view.name}", highlight=False)


@incident_app.command("list")
@user_errors
@_database_errors
def incident_list(
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Laboratory incidents, latest declared first."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    views = incidents.incidents(engine, principal)
    if json_out:
        print_json([v.to_json() for v in views])
        return
    table = Table(title=f"Laboratory incidents: {len(views)}")
    for column in ("id", "name", "provider", "window", "Regulator notified"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v.id), v.name, v.provider, f"{v.window_from} to {v.window_to}",
            str(len(v.regulator_notifications)),
        )  # fmt: skip
    console.print(table)


@incident_app.command("notify-regulator")
@user_errors
@_database_errors
def incident_notify(
    incident_id: int = typer.Argument(..., help="The incident's id."),
    to: str = typer.Option(..., "--to", help="Whom it went to."),
    on: str = typer.Option(..., "--on", help="The day it was made."),
    reference: str = typer.Option(..., "--reference"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a Forensic Science Regulator Code of Practice notification."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    view = incidents.notify_regulator(
        engine, principal, incident_id, {"to": to, "on": on, "reference": reference}, client="cli"
    )
    if json_out:
        print_json(view.to_json())
    else:
        console.print(f"{view.ref}: {len(view.regulator_notifications)} notification(s)")


@user_errors
@_database_errors
def affected(
    incident_id: int = IncidentOption,
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Every affected case and sample, per force and in total, and by cj status."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    found = incidents.affected(
        engine, principal, incident_id, justification=justification, client="cli"
    )
    if json_out:
        print_json(found.to_json())
        return
    table = Table(title=f"Affected by {found.incident.name}")
    for column in ("force", "cases", "samples"):
        table.add_column(column)
    for f in [*found.forces, found.total]:
        table.add_row(f.force, str(f.cases), str(f.samples))
    console.print(table)


@user_errors
@_database_errors
def queue(
    incident_id: int = IncidentOption,
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The priority queue, each case with its reason; cases with no sample left flagged."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    got = priority.queue(engine, principal, incident_id, justification=justification, client="cli")
    if json_out:
        print_json(got.to_json())
        return
    table = Table(title=f"Priority queue: {len(got.entries)} case(s)")
    for column in ("place", "case", "force", "tier", "reason"):
        table.add_column(column)
    for e in got.entries:
        table.add_row(str(e.place), e.reference, e.force, e.tier_title, e.reason)
    console.print(table)
    for r in got.legal_review:
        console.print(f"legal review: {r.reference} ({r.force}): {r.reason}", highlight=False)


@retest_app.command("request")
@user_errors
@_database_errors
def retest_request(
    exhibit_id: int = typer.Argument(..., help="The exhibit's id."),
    incident: int | None = typer.Option(None, "--incident"),
    requested_on: str | None = typer.Option(None, "--requested-on"),
    provider: int | None = typer.Option(None, "--provider"),
    laboratory: int | None = typer.Option(None, "--laboratory"),
    unit: str | None = typer.Option(None, "--unit"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Request a retest of an exhibit."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {"incident_id": incident, "requested_on": requested_on, "provider_id": provider,
         "laboratory_id": laboratory, "unit": unit}
    )  # fmt: skip
    _retest_out(retests.request(engine, principal, exhibit_id, values, client="cli"), json_out)


@retest_app.command("sent")
@user_errors
@_database_errors
def retest_sent(
    retest_id: int = typer.Argument(...),
    sent_on: str = typer.Option(..., "--sent-on"),
    provider: int | None = typer.Option(None, "--provider"),
    laboratory: int | None = typer.Option(None, "--laboratory"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record that the sample went to the laboratory."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given({"sent_on": sent_on, "provider_id": provider, "laboratory_id": laboratory})
    _retest_out(retests.mark_sent(engine, principal, retest_id, values, client="cli"), json_out)


@retest_app.command("result")
@user_errors
@_database_errors
def retest_result(
    retest_id: int = typer.Argument(...),
    analyte: str = typer.Option(..., "--analyte"),
    value: str = typer.Option(..., "--value"),
    unit: str = typer.Option(..., "--unit"),
    uncertainty: str | None = typer.Option(None, "--uncertainty"),
    method: str | None = typer.Option(None, "--method"),
    reported_on: str = typer.Option(..., "--reported-on"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record the retest's result (appended to the exhibit's chain)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {"analyte": analyte, "value": value, "unit": unit, "uncertainty": uncertainty,
         "method": method, "reported_on": reported_on}
    )  # fmt: skip
    view = retests.record_result(engine, principal, retest_id, values, client="cli")
    _retest_out(view, json_out)


@retest_app.command("compare")
@user_errors
@_database_errors
def retest_compare(
    retest_id: int = typer.Argument(...),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Compare the retest with the original: unchanged, changed or inconclusive."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    _retest_out(retests.compare(engine, principal, retest_id, client="cli"), json_out)


@retest_app.command("dispose")
@user_errors
@_database_errors
def retest_dispose(
    retest_id: int = typer.Argument(...),
    disposition: str = typer.Option(..., "--disposition", help=", ".join(retests.DISPOSITIONS)),
    on: str | None = typer.Option(None, "--on"),
    reason: str = typer.Option(..., "--reason"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record what follows a compared retest."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given({"disposition": disposition, "disposition_on": on, "reason": reason})
    _retest_out(retests.dispose(engine, principal, retest_id, values, client="cli"), json_out)


@notify_app.command("add")
@user_errors
@_database_errors
def notify_add(
    case_id: int = typer.Argument(..., help="The case's id."),
    recipient: str = typer.Option(..., "--to", help="cps, defence or court."),
    due_on: str = typer.Option(..., "--due-on"),
    incident: int | None = typer.Option(None, "--incident"),
    notes: str | None = typer.Option(None, "--notes"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """A notification to make about a case, with its due date."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = _given(
        {"recipient": recipient, "due_on": due_on, "incident_id": incident, "notes": notes}
    )
    _notice_out(
        retests.add_notification(engine, principal, case_id, values, client="cli"), json_out
    )


@notify_app.command("sent")
@user_errors
@_database_errors
def notify_sent(
    notification_id: int = typer.Argument(...),
    sent_on: str = typer.Option(..., "--sent-on"),
    reference: str = typer.Option(..., "--reference"),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record that a notification was sent."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values = {"sent_on": sent_on, "reference": reference}
    view = retests.notification_sent(engine, principal, notification_id, values, client="cli")
    _notice_out(view, json_out)


@notify_app.command("overdue")
@user_errors
@_database_errors
def notify_overdue(
    incident: int | None = typer.Option(None, "--incident"),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Notifications not sent by their due date."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    views = retests.overdue(
        engine, principal, incident_id=incident, justification=justification, client="cli"
    )
    if json_out:
        print_json([v.to_json() for v in views])
        return
    console.print(f"{len(views)} overdue", highlight=False)
    for v in views:
        console.print(
            f"{v.ref}: {v.recipient} about {v.case_reference}, {v.overdue_days} days late"
        )


@user_errors
@_database_errors
def show_progress(
    incident: int | None = typer.Option(None, "--incident"),
    justification: str | None = JustificationOption,
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The review's progress in figures, by force (small numbers suppressed for a PCC)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    got = progress.progress(
        engine, principal, incident_id=incident, justification=justification, client="cli"
    )
    if json_out:
        print_json(got.to_json())
        return
    table = Table(title="Review progress")
    for column in ("force", "cases", "samples", "retested", "unchanged", "changed",
                   "inconclusive", "notifications overdue", "disposed"):  # fmt: skip
        table.add_column(column)
    for f in [*got.forces, *([got.total] if got.total else [])]:
        s = f.samples_by_state
        table.add_row(
            f.force, str(f.cases), str(f.samples), str(f.retested), str(s["unchanged"]),
            str(s["changed"]), str(s["inconclusive"]),
            str(f.notifications_by_state["overdue"]), str(f.disposed),
        )  # fmt: skip
    console.print(table)
    if got.note:
        console.print(got.note, highlight=False)
