"""`harmwatch forensic provider|case|exhibit|custody|result|verify …`: forensic casework.

Thin over :mod:`harmwatch.forensics` (casework, providers, verify): each command signs
in as a named user (``--as`` or an operator key); the library checks the forms, scopes,
justifies and logs every read and change as the web app does. Option values go to the
library as typed, so a problem names the form's field (``received_on: … is before sent
on``). ``verify`` exits 1 when a chain is broken, naming the first broken row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from harmwatch.forensics import casework, providers
from harmwatch.forensics import verify as chains
from harmwatch.forensics.forms import (
    CJ_STATUSES,
    CONDITIONS,
    CUSTODY_ACTIONS,
    CUSTODY_STATUSES,
    EXHIBIT_TYPES,
)

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

JsonOption = typer.Option(False, "--json", help="Print JSON.")


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _say(text: str) -> None:
    console.print(text, highlight=False)


def _show_case(view: casework.CaseView, json_out: bool, done: str = "") -> None:
    if json_out:
        print_json(view.to_json())
        return
    if done:
        _say(done)
    hearing = f", next hearing {view.next_hearing_on}" if view.next_hearing_on else ""
    decided = f", decided {view.decided_on}" if view.decided_on else ""
    court = f" ({view.court} court)" if view.court else ""
    _say(
        f"{view.ref} {view.reference}: {view.offence_code} {view.offence} — {view.cj_status}"
        f"{court}{hearing}{decided}; custody {view.custody_status}; OIC {view.officer_in_charge}; "
        f"subject {view.subject_label}"
    )
    _say(view.handling_banner)
    for e in view.exhibits:
        _say(
            f"exhibit {e['ref']} {e['reference']} ({e['exhibit_type']}): "
            f"{e['custody_events']} custody event(s), {e['flags']} flag(s)"
        )


def _show_exhibit(view: casework.ExhibitView, json_out: bool, done: str = "") -> None:
    if json_out:
        print_json(view.to_json())
        return
    if done:
        _say(done)
    dates = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("sent", view.sent_on),
            ("received", view.received_on),
            ("tested", view.tested_on),
            ("reported", view.reported_on),
        )
        if value
    )
    left = (
        f"; {view.remaining_quantity} {view.remaining_unit} left" if view.remaining_quantity else ""
    )
    _say(
        f"{view.ref} {view.reference}: {view.exhibit_type}, {view.test_requested}; "
        f"{view.provider or 'no provider'} / {view.laboratory or 'no laboratory'}; "
        f"taken {view.taken_local}{'; ' + dates if dates else ''}{left}"
    )
    _say(view.handling_banner)
    for e in view.custody:
        seal = f" seal {e.seal_number}" if e.seal_number else ""
        _say(
            f"custody #{e.id} (seq {e.seq}) {e.at.isoformat()} {e.action} by {e.handled_by} "
            f"at {e.location}{seal} [{e.condition}]"
        )
    for f in view.flags:
        _say(f"flag: {f}")
    for analyte in view.results:
        current = analyte.current.id
        for r in analyte.versions:
            mark = " (current)" if r.id == current else ""
            why = f" — amended: {r.amendment_reason}" if r.amendment_reason else ""
            _say(f"result {r.analyte} v{r.version}{mark}: {r.value} {r.unit}{why}")


def register(forensic_app: typer.Typer) -> None:
    """Add the casework commands to ``harmwatch forensic``."""
    provider_app = typer.Typer(help="Forensic providers and laboratories.", no_args_is_help=True)
    case_app = typer.Typer(help="Forensic cases.", no_args_is_help=True)
    exhibit_app = typer.Typer(help="Exhibits and samples.", no_args_is_help=True)
    custody_app = typer.Typer(help="Chain of custody.", no_args_is_help=True)
    result_app = typer.Typer(help="Results (append-only versions).", no_args_is_help=True)
    forensic_app.add_typer(provider_app, name="provider")
    forensic_app.add_typer(case_app, name="case")
    forensic_app.add_typer(exhibit_app, name="exhibit")
    forensic_app.add_typer(custody_app, name="custody")
    forensic_app.add_typer(result_app, name="result")

    @provider_app.command("add")
    @user_errors
    @_database_errors
    def provider_add(
        name: str = typer.Option(..., "--name"),
        body: str | None = typer.Option(None, "--body", help="Accreditation body (UKAS)."),
        number: str | None = typer.Option(None, "--number", help="Accreditation number."),
        scope: str | None = typer.Option(None, "--scope", help="ISO/IEC 17025 scope."),
        accredited_from: str | None = typer.Option(None, "--from", help="Accredited from."),
        accredited_until: str | None = typer.Option(None, "--until", help="Accredited until."),
        fictional: bool = typer.Option(False, "--fictional", help="A made-up provider."),
        labs: list[str] = typer.Option([], "--lab", help="A laboratory's name (repeat)."),
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record a provider, its accreditation and laboratories."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _given(
            {
                "name": name,
                "accreditation_body": body,
                "accreditation_number": number,
                "accreditation_scope": scope,
                "accredited_from": accredited_from,
                "accredited_until": accredited_until,
                "fictional": "yes" if fictional else None,
            }
        )
        done = providers.add_provider(
            engine, principal, values, laboratories=tuple({"name": n} for n in labs), client="cli"
        )
        if json_out:
            print_json(done.to_json())
            return
        _say(f"recorded provider {done.id} {done.name}")
        for lab in done.laboratories:
            _say(f"laboratory {lab['id']} {lab['name']}")

    @provider_app.command("list")
    @user_errors
    @_database_errors
    def provider_list(
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Providers, their accreditation and laboratories."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        found = providers.list_providers(engine, principal, client="cli")
        if json_out:
            print_json([p.to_json() for p in found])
            return
        table = Table(title=f"Forensic providers: {len(found)}")
        for column in ("id", "name", "accreditation", "from", "until", "laboratories"):
            table.add_column(column)
        for p in found:
            table.add_row(
                str(p.id),
                p.name,
                f"{p.accreditation_body} {p.accreditation_number}".strip(),
                str(p.accredited_from or ""),
                str(p.accredited_until or ""),
                "; ".join(f"{lab['id']} {lab['name']}" for lab in p.laboratories),
            )
        console.print(table)

    @case_app.command("add")
    @user_errors
    @_database_errors
    def case_add(
        reference: str = typer.Option(..., "--reference"),
        offence_code: str = typer.Option(..., "--offence-code", help="HO class, RTA5A or RTA4."),
        offence: str | None = typer.Option(None, "--offence", help="Default: the code's title."),
        cj_status: str = typer.Option(..., "--status", help=f"One of: {', '.join(CJ_STATUSES)}."),
        next_hearing_on: str | None = typer.Option(None, "--next-hearing"),
        decided_on: str | None = typer.Option(None, "--decided-on"),
        court: str | None = typer.Option(None, "--court", help="magistrates or crown."),
        custody_status: str = typer.Option(
            ..., "--custody", help=f"One of: {', '.join(CUSTODY_STATUSES)}."
        ),
        officer: str = typer.Option(..., "--officer", help="The officer in charge."),
        subject: str = typer.Option(..., "--subject", help="The suspect or defendant."),
        unit: str | None = typer.Option(None, "--unit"),
        conditions: str | None = typer.Option(None, "--conditions", help="Handling code C."),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record a case."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _given(
            {
                "reference": reference,
                "offence_code": offence_code,
                "offence": offence,
                "cj_status": cj_status,
                "next_hearing_on": next_hearing_on,
                "decided_on": decided_on,
                "court": court,
                "custody_status": custody_status,
                "officer_in_charge": officer,
                "subject_label": subject,
                "unit": unit,
                "handling_conditions": conditions,
            }
        )
        done = casework.add_case(engine, principal, values, justification, client="cli")
        _show_case(done, json_out, f"recorded {done.ref}")

    @case_app.command("list")
    @user_errors
    @_database_errors
    def case_list(
        cj_status: str = typer.Option("", "--status"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Cases you may see."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        found = casework.list_cases(
            engine, principal, justification=justification, cj_status=cj_status, client="cli"
        )
        if json_out:
            print_json([c.to_json() for c in found])
            return
        table = Table(title=f"Forensic cases: {len(found)}")
        for column in ("id", "reference", "offence", "status", "next hearing", "custody"):
            table.add_column(column)
        for c in found:
            table.add_row(
                str(c.id),
                c.reference,
                c.offence_code,
                c.cj_status,
                str(c.next_hearing_on or ""),
                c.custody_status,
            )
        console.print(table)

    @case_app.command("show")
    @user_errors
    @_database_errors
    def case_show(
        case_id: int = typer.Argument(..., help="The case's id."),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """One case and its exhibits."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        found = casework.read_case(
            engine, principal, case_id, justification=justification, client="cli"
        )
        _show_case(found, json_out)

    @case_app.command("status")
    @user_errors
    @_database_errors
    def case_status(
        case_id: int = typer.Argument(..., help="The case's id."),
        cj_status: str | None = typer.Option(None, "--status"),
        next_hearing_on: str | None = typer.Option(None, "--next-hearing"),
        decided_on: str | None = typer.Option(None, "--decided-on"),
        court: str | None = typer.Option(None, "--court"),
        custody_status: str | None = typer.Option(None, "--custody"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Change a case's criminal-justice or custody status (logged old → new)."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _given(
            {
                "cj_status": cj_status,
                "next_hearing_on": next_hearing_on,
                "decided_on": decided_on,
                "court": court,
                "custody_status": custody_status,
            }
        )
        done = casework.change_status(
            engine, principal, case_id, values, justification, client="cli"
        )
        _show_case(done, json_out, f"status changed on {done.ref}")

    @exhibit_app.command("add")
    @user_errors
    @_database_errors
    def exhibit_add(
        case_id: int = typer.Option(..., "--case", help="The case's id."),
        reference: str = typer.Option(..., "--reference"),
        exhibit_type: str = typer.Option(
            ..., "--type", help=f"One of: {', '.join(EXHIBIT_TYPES)}."
        ),
        test: str = typer.Option(..., "--test", help="The test requested."),
        provider_id: int | None = typer.Option(None, "--provider", help="The provider's id."),
        laboratory_id: int | None = typer.Option(None, "--lab", help="The laboratory's id."),
        analyst: str | None = typer.Option(None, "--analyst"),
        taken_at: str = typer.Option(..., "--taken", help="UK time, e.g. '2025-03-31 14:30'."),
        sent_on: str | None = typer.Option(None, "--sent"),
        received_on: str | None = typer.Option(None, "--received"),
        tested_on: str | None = typer.Option(None, "--tested"),
        reported_on: str | None = typer.Option(None, "--reported"),
        remaining: str | None = typer.Option(None, "--remaining", help="Quantity left."),
        remaining_unit: str | None = typer.Option(None, "--remaining-unit", help="mL, g …"),
        storage: str | None = typer.Option(None, "--storage", help="Where it is stored."),
        unit: str | None = typer.Option(None, "--unit"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record an exhibit (a sample) of a case; its dates must fall in order."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _given(
            {
                "case_id": case_id,
                "reference": reference,
                "exhibit_type": exhibit_type,
                "test_requested": test,
                "provider_id": provider_id,
                "laboratory_id": laboratory_id,
                "analyst": analyst,
                "taken_at": taken_at,
                "sent_on": sent_on,
                "received_on": received_on,
                "tested_on": tested_on,
                "reported_on": reported_on,
                "remaining_quantity": remaining,
                "remaining_unit": remaining_unit,
                "storage_location": storage,
                "unit": unit,
            }
        )
        done = casework.add_exhibit(engine, principal, values, justification, client="cli")
        _show_exhibit(done, json_out, f"recorded {done.ref}")

    @exhibit_app.command("show")
    @user_errors
    @_database_errors
    def exhibit_show(
        exhibit_id: int = typer.Argument(..., help="The exhibit's id."),
        transfer_days: int = typer.Option(
            7, "--transfer-days", help="Days allowed from transfer to receipt before a gap."
        ),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """One exhibit: its custody events and flags, and every result version."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        found = casework.read_exhibit(
            engine,
            principal,
            exhibit_id,
            justification=justification,
            max_transfer_days=transfer_days,
            client="cli",
        )
        _show_exhibit(found, json_out)

    @custody_app.command("add")
    @user_errors
    @_database_errors
    def custody_add(
        exhibit_id: int = typer.Argument(..., help="The exhibit's id."),
        action: str = typer.Option(..., "--action", help=f"One of: {', '.join(CUSTODY_ACTIONS)}."),
        at: str = typer.Option(..., "--at", help="UK time, e.g. '2025-03-31 14:30'."),
        handled_by: str = typer.Option(..., "--by", help="Who handled it."),
        location: str = typer.Option(..., "--location", help="Where (a transfer: to where)."),
        seal: str | None = typer.Option(None, "--seal", help="The seal number."),
        condition: str | None = typer.Option(
            None, "--condition", help=f"One of: {', '.join(CONDITIONS)} (default intact)."
        ),
        notes: str | None = typer.Option(None, "--notes"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record a movement or handling of an exhibit (appended to its chain)."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _given(
            {
                "at": at,
                "action": action,
                "handled_by": handled_by,
                "location": location,
                "seal_number": seal,
                "condition": condition,
                "notes": notes,
            }
        )
        done = casework.record_custody(
            engine, principal, exhibit_id, values, justification, client="cli"
        )
        _show_exhibit(done, json_out, f"custody event recorded on {done.ref}")

    def _result_values(
        analyte: str,
        value: str,
        unit: str,
        method: str | None,
        uncertainty: str | None,
        reported_on: str | None,
        reason: str | None,
    ) -> dict[str, Any]:
        return _given(
            {
                "analyte": analyte,
                "value": value,
                "unit": unit,
                "method": method,
                "uncertainty": uncertainty,
                "reported_on": reported_on,
                "amendment_reason": reason,
            }
        )

    @result_app.command("add")
    @user_errors
    @_database_errors
    def result_add(
        exhibit_id: int = typer.Argument(..., help="The exhibit's id."),
        analyte: str = typer.Option(..., "--analyte"),
        value: str = typer.Option(..., "--value", help="As reported: 4.2, <LOQ, not detected."),
        unit: str = typer.Option(..., "--unit", help="e.g. µg/L."),
        method: str | None = typer.Option(None, "--method"),
        uncertainty: str | None = typer.Option(None, "--uncertainty", help="± in the unit."),
        reported_on: str | None = typer.Option(None, "--reported-on"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record an analyte's result on an exhibit."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _result_values(analyte, value, unit, method, uncertainty, reported_on, None)
        done = casework.add_result(
            engine, principal, exhibit_id, values, justification, client="cli"
        )
        _show_exhibit(done, json_out, f"result recorded on {done.ref}")

    @result_app.command("amend")
    @user_errors
    @_database_errors
    def result_amend(
        exhibit_id: int = typer.Argument(..., help="The exhibit's id."),
        analyte: str = typer.Option(..., "--analyte"),
        value: str = typer.Option(..., "--value"),
        unit: str = typer.Option(..., "--unit"),
        reason: str = typer.Option(..., "--reason", help="Why the result is amended."),
        method: str | None = typer.Option(None, "--method"),
        uncertainty: str | None = typer.Option(None, "--uncertainty"),
        reported_on: str | None = typer.Option(None, "--reported-on"),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Record a new version of an analyte's result, saying why."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        values = _result_values(analyte, value, unit, method, uncertainty, reported_on, reason)
        done = casework.amend_result(
            engine, principal, exhibit_id, values, justification, client="cli"
        )
        _show_exhibit(done, json_out, f"result amended on {done.ref}")

    @forensic_app.command("verify")
    @user_errors
    @_database_errors
    def verify(
        exhibit_id: int | None = typer.Option(None, "--exhibit", help="Only this exhibit."),
        justification: str | None = JustificationOption,
        json_out: bool = JsonOption,
        as_user: str | None = AsOption,
        key_file: Path | None = KeyFileOption,
        database_url_: str | None = DatabaseUrlOption,
    ) -> None:
        """Verify exhibits' custody and result chains against the access log (exit 1: broken)."""
        engine = open_records(database_url_)
        principal = sign_in(engine, as_user, key_file)
        report = chains.verify_exhibits(
            engine, principal, justification=justification, exhibit_id=exhibit_id, client="cli"
        )
        if json_out:
            print_json(report.to_json())
        elif report.ok:
            _say(f"ok: {report.checked} exhibit chain(s) whole and anchored in the access log")
        else:
            _say(f"BROKEN: {report.first}")
            for b in report.broken[1:]:
                _say(f"also broken: {report.references.get(b.exhibit_id, b.exhibit_id)}: {b}")
        if not report.ok:
            raise typer.Exit(1)


__all__ = ["register"]
