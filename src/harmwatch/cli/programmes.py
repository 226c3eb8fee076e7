"""`harmwatch programmes …`: programmes, participants, events and outcome measures.

Thin over :mod:`harmwatch.programmes.service` and :mod:`harmwatch.programmes.outcomes`:
each command signs in as a named user (``--as`` or an operator key), and the library
checks every event with its kind's form, pseudonymises participants, scopes,
justifies and logs exactly as the web app does. Event fields are given as
``--field NAME=VALUE`` (repeat it); ``harmwatch programmes show ID`` lists a
programme type's event kinds and their fields.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.programmes import outcomes as outcome_measures
from harmwatch.programmes import service
from harmwatch.programmes.config import programme_type, programme_types

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, iso_date, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

programmes_app = typer.Typer(
    help="Programmes and referrals: treatment referral, diversion, victim services and more.",
    no_args_is_help=True,
    add_completion=False,
)

JsonOption = typer.Option(False, "--json", help="Print JSON.")
FieldOption = typer.Option(
    [], "--field", help="A field of the event (or participant): NAME=VALUE; repeat it."
)


def register(app: typer.Typer) -> None:
    app.add_typer(programmes_app, name="programmes")


def _pairs(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--field: {pair[:40]!r} is not NAME=VALUE")
        out[name.strip()] = value
    return out


@programmes_app.command("list")
@user_errors
@_database_errors
def list_command(
    programme_type_key: str = typer.Option("", "--type", help="Only programmes of this type."),
    json_out: bool = JsonOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    justification: str | None = JustificationOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Programmes you may see with their outcome measures (a PCC viewer: the figures only)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    results = outcome_measures.outcomes(
        engine,
        principal,
        programme_type_key=programme_type_key,
        justification=justification,
        client="cli",
    )
    if json_out:
        print_json([r.to_json() for r in results])
        return
    table = Table(title=f"Programmes: {len(results)}")
    for column in ("id", "name", "type", "force", "from", "measures"):
        table.add_column(column)
    for r in results:
        figures = "; ".join(f"{m.title}: {_figure(m)}" for m in r.measures)
        table.add_row(
            str(r.programme_id), r.name, r.programme_type, r.force, str(r.starts_on), figures
        )
    console.print(table)
    if results and results[0].note:
        console.print(results[0].note, highlight=False)


def _figure(m: outcome_measures.MeasureResult) -> str:
    if m.kind == "ratio":
        if m.percent is None:
            return f"{m.numerator} of {m.denominator}"
        return f"{m.percent}% ({m.numerator} of {m.denominator})"
    return str(m.value)


@programmes_app.command("show")
@user_errors
@_database_errors
def show_command(
    programme_id: int = typer.Argument(..., help="The programme's id."),
    event_kind: str = typer.Option("", "--kind", help="Only events of this kind."),
    json_out: bool = JsonOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """A programme's events (pseudonymous participants) and its type's event kinds."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    listing = service.list_events(
        engine,
        principal,
        programme_id,
        justification=justification,
        event_kind=event_kind,
        client="cli",
    )
    ptype = programme_type(listing.programme.programme_type)
    if json_out:
        print_json(
            {
                "programme": listing.programme.to_json(),
                "total": listing.total,
                "participants": listing.participants,
                "events": [v.to_json() for v in listing.events],
                "event_kinds": {
                    k.key: [f.name for f in service.entry_form(ptype, k).fields]
                    for k in ptype.events
                },
            }
        )
        return
    p = listing.programme
    console.print(
        f"{p.ref} {p.name} ({p.type_title}); {listing.total} events, "
        f"{listing.participants} participants",
        highlight=False,
    )
    table = Table()
    for column in ("id", "date", "kind", "participant", "fields"):
        table.add_column(column)
    for v in listing.events:
        fields = "; ".join(f"{k}={val}" for k, val in v.fields.items() if val)
        table.add_row(str(v.id), str(v.occurred_on), v.event_kind, v.participant or "", fields)
    console.print(table)
    for k in ptype.events:
        names = ", ".join(f.name + ("*" if f.required else "") for f in k.fields) or "none"
        console.print(f"event kind {k.key}: fields {names}", highlight=False)


@programmes_app.command("add")
@user_errors
@_database_errors
def add_command(
    name: str = typer.Option(..., "--name"),
    type_key: str = typer.Option(..., "--type", help="The programme type's key."),
    starts_on: str = typer.Option(..., "--starts-on"),
    ends_on: str | None = typer.Option(None, "--ends-on"),
    partner: str = typer.Option("", "--partner", help="The provider or partner agency."),
    description: str = typer.Option("", "--description"),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    json_out: bool = JsonOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Set up a programme of a configured type."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    iso_date(starts_on, "--starts-on")
    iso_date(ends_on, "--ends-on")
    values = {
        "name": name,
        "programme_type": type_key,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "partner": partner,
        "description": description,
    }
    done = service.create_programme(engine, principal, values, restricted=restricted, client="cli")
    if json_out:
        print_json(done.to_json())
        return
    console.print(f"recorded {done.ref} {done.name} ({done.programme_type})", highlight=False)


@programmes_app.command("participant")
@user_errors
@_database_errors
def participant_command(
    programme_id: int = typer.Argument(..., help="The programme's id."),
    identifier: str = typer.Option(
        ...,
        "--identifier",
        prompt=True,
        hide_input=True,
        help="Custody number or name: only its pseudonym is kept (asked for if not given).",
    ),
    fields: list[str] = FieldOption,
    json_out: bool = JsonOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Enrol a participant (or find them) and print their pseudonym."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    done = service.add_participant(
        engine,
        principal,
        programme_id,
        identifier,
        _pairs(fields) or None,
        justification,
        client="cli",
    )
    if json_out:
        print_json(done.to_json())
        return
    state = "enrolled" if done.enrolled else "already enrolled"
    console.print(f"{done.label} ({state})", highlight=False)


@programmes_app.command("event")
@user_errors
@_database_errors
def event_command(
    programme_id: int = typer.Argument(..., help="The programme's id."),
    event_kind: str = typer.Option(..., "--kind", help="The event kind (see `show`)."),
    occurred_on: str = typer.Option(..., "--on", help="The day it happened."),
    participant: str | None = typer.Option(
        None, "--participant", help="Custody number, name, pseudonym (P-…) or reference."
    ),
    operation: str | None = typer.Option(None, "--operation", help="Operation name or id."),
    fields: list[str] = FieldOption,
    json_out: bool = JsonOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record an event, checked by its kind's form (each problem names its field)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    values: dict[str, str] = {"occurred_on": occurred_on, **_pairs(fields)}
    if participant:
        values["participant"] = participant
    if operation:
        values["operation"] = operation
    done = service.record_event(
        engine, principal, programme_id, event_kind, values, justification, client="cli"
    )
    if json_out:
        print_json(done.to_json())
        return
    who = f" for {done.participant}" if done.participant else ""
    console.print(f"recorded {done.ref} ({done.event_kind}){who}", highlight=False)
    for note in done.notes:
        console.print(f"note: {note}", highlight=False)


@programmes_app.command("outcomes")
@user_errors
@_database_errors
def outcomes_command(
    programme_id: int | None = typer.Argument(None, help="One programme (default: all)."),
    since: str | None = typer.Option(None, "--since"),
    until: str | None = typer.Option(None, "--until"),
    json_out: bool = JsonOption,
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Outcome measures (a PCC viewer: their force's, small numbers suppressed)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    results = outcome_measures.outcomes(
        engine,
        principal,
        programme_id,
        since=iso_date(since, "--since"),
        until=iso_date(until, "--until"),
        justification=justification,
        client="cli",
    )
    if json_out:
        print_json([r.to_json() for r in results])
        return
    for r in results:
        table = Table(title=f"{r.name} ({r.type_title})")
        table.add_column("measure")
        table.add_column("figure")
        for m in r.measures:
            table.add_row(m.title, _figure(m))
        console.print(table)
        if r.note:
            console.print(r.note, highlight=False)


@programmes_app.command("types")
@user_errors
def types_command(json_out: bool = JsonOption) -> None:
    """The configured programme types (shipped, and $HARMWATCH_PROGRAMMES's)."""
    types = programme_types()
    if json_out:
        print_json(
            {
                k: {
                    "title": t.title,
                    "source": t.source,
                    "participants": t.participants,
                    "pseudonymised": t.pseudonymised,
                    "events": [e.key for e in t.events],
                    "measures": [m.key for m in t.measures],
                }
                for k, t in types.items()
            }
        )
        return
    for t in types.values():
        console.print(f"{t.key}: {t.title} — {t.source}", highlight=False)
