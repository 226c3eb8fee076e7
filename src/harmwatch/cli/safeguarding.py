"""`harmwatch referral …`: record safeguarding, NRM and Duty to Notify referrals and decisions.

Thin over :mod:`harmwatch.safeguarding.referrals`: each command signs in as a named
user (``--as`` or an operator key), and the library applies the rules (an adult's
NRM referral without consent becomes the Duty to Notify), scopes, justifies and logs
every read and change exactly as the web app does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.kernel.records import Restriction
from harmwatch.safeguarding import referrals

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, iso_date, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

referral_app = typer.Typer(
    help="Safeguarding, National Referral Mechanism and Duty to Notify referrals.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(referral_app, name="referral")


def _consent(value: str | None) -> bool | None:
    if value is None or value == "not-asked":
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise InputError("--consent: yes, no or not-asked")


@referral_app.command("add")
@user_errors
@_database_errors
def add(
    kind: str = typer.Option(..., "--kind", help="safeguarding, nrm or duty-to-notify."),
    subject: str = typer.Option("", "--subject", help="Who: a name or number as known."),
    child: bool = typer.Option(False, "--child/--adult", help="Under 18 (or believed to be)."),
    date_of_birth: str | None = typer.Option(None, "--date-of-birth"),
    entity: int | None = typer.Option(None, "--entity", help="The intelligence entity's id."),
    concern: str = typer.Option(
        ..., "--concern", help="child-criminal-exploitation, cuckooing, modern-slavery, other."
    ),
    referred_on: str = typer.Option(..., "--referred-on"),
    agency: str = typer.Option(..., "--agency", help="Who it went to."),
    agency_reference: str | None = typer.Option(None, "--agency-reference"),
    consent: str | None = typer.Option(
        None, "--consent", help="An adult's informed consent: yes, no or not-asked."
    ),
    source_kind: str | None = typer.Option(None, "--source-kind", help="e.g. county-lines-flag"),
    source_ref: str | None = typer.Option(None, "--source-ref", help="The finding's id."),
    conditions: str | None = typer.Option(None, "--conditions", help="Handling code C terms."),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a referral; an adult's NRM referral without consent is recorded as the Duty to Notify."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    draft = referrals.ReferralDraft(
        referral_kind=kind,
        subject_label=subject,
        subject_is_child=child,
        subject_date_of_birth=iso_date(date_of_birth, "--date-of-birth"),
        subject_entity_id=entity,
        concern=concern,
        referred_on=iso_date(referred_on, "--referred-on") or date.today(),
        agency=agency,
        agency_reference=agency_reference,
        consent=_consent(consent),
        source_kind=source_kind,
        source_ref=source_ref,
        conditions=conditions,
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
    )
    done = referrals.record_referral(engine, principal, draft, justification, client="cli")
    console.print(f"recorded {done.ref} ({done.referral_kind})", highlight=False)
    for note in done.notes:
        console.print(f"note: {note}", highlight=False)


@referral_app.command("list")
@user_errors
@_database_errors
def list_referrals(
    kind: str = typer.Option("", "--kind"),
    concern: str = typer.Option("", "--concern"),
    source_kind: str = typer.Option("", "--source-kind"),
    source_ref: str = typer.Option("", "--source-ref"),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Referrals you may see, newest first."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    views, total = referrals.listing(
        engine,
        principal,
        justification=justification,
        referral_kind=kind,
        concern=concern,
        source_kind=source_kind,
        source_ref=source_ref,
        client="cli",
    )
    if json_out:
        print_json([v.to_json() for v in views])
        return
    table = Table(title=f"Referrals: {total}")
    for column in ("id", "kind", "subject", "child", "concern", "referred", "agency", "awaiting"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v.id),
            v.referral_kind,
            v.subject_label,
            "yes" if v.subject_is_child else "no",
            v.concern,
            str(v.referred_on),
            v.agency,
            v.awaiting or "",
        )
    console.print(table)


@referral_app.command("decide")
@user_errors
@_database_errors
def decide(
    referral_id: int = typer.Argument(..., help="The referral's id."),
    reasonable: str | None = typer.Option(None, "--reasonable", help="positive or negative."),
    reasonable_on: str | None = typer.Option(None, "--reasonable-on"),
    conclusive: str | None = typer.Option(None, "--conclusive", help="positive or negative."),
    conclusive_on: str | None = typer.Option(None, "--conclusive-on"),
    outcome: str | None = typer.Option(None, "--outcome"),
    agency_reference: str | None = typer.Option(None, "--agency-reference"),
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record the reasonable or conclusive grounds decision, an outcome or the agency's reference."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    decision = referrals.DecisionDraft(
        reasonable_grounds=reasonable,
        reasonable_grounds_on=iso_date(reasonable_on, "--reasonable-on"),
        conclusive_grounds=conclusive,
        conclusive_grounds_on=iso_date(conclusive_on, "--conclusive-on"),
        outcome=outcome,
        agency_reference=agency_reference,
    )
    done = referrals.record_decision(
        engine, principal, referral_id, decision, justification, client="cli"
    )
    waiting = f"; awaiting {done.awaiting}" if done.awaiting else ""
    console.print(f"recorded on {done.ref}{waiting}", highlight=False)
