"""`harmwatch intel …`: graded reports, entities, links, link analysis and exports; and
`harmwatch network …` for ad-hoc network files.

Thin over :mod:`harmwatch.intelligence`: each command signs in as a named user
(``--as`` or an operator key), and the library scopes, justifies and logs every read
exactly as the web app does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.errors import InputError
from harmwatch.intelligence import entities, imports, linkcharts, reports
from harmwatch.intelligence.grading import grade
from harmwatch.kernel.records import Handling, HandlingCode, Restriction

from . import network
from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, iso_date, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

intel_app = typer.Typer(
    help="Intelligence: graded reports (3x5x2), entities, links, link charts and exports.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(intel_app, name="intel")
    network.register(app)


@intel_app.command("add-report")
@user_errors
@_database_errors
def add_report(
    reference: str = typer.Option(..., "--reference"),
    scheme: str = typer.Option("3x5x2", "--scheme", help="3x5x2, or 5x5x5 for a legacy grade."),
    source: str = typer.Option(
        ..., "--source", help="3x5x2: 1 reliable, 2 untested, 3 not reliable."
    ),
    information: str = typer.Option(..., "--information", help="3x5x2: A, B, C, D or E."),
    handling: str = typer.Option("P", "--handling", help="P, or C with --conditions."),
    conditions: str | None = typer.Option(None, "--conditions"),
    text: str = typer.Option(..., "--text", help="The sanitised text."),
    full_text: str | None = typer.Option(None, "--full-text"),
    originator: str = typer.Option(..., "--originator"),
    reported_on: str = typer.Option(..., "--reported-on"),
    information_date: str | None = typer.Option(None, "--information-date"),
    nim_level: int = typer.Option(1, "--nim-level"),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record a graded intelligence report."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    draft = reports.ReportDraft(
        reference=reference,
        grade=grade(scheme, source, information, handling),
        sanitised_text=text,
        originator=originator,
        reported_on=iso_date(reported_on, "--reported-on") or date.today(),
        nim_level=nim_level,
        full_text=full_text,
        information_date=iso_date(information_date, "--information-date"),
        conditions=conditions,
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
    )
    report_id = reports.create(engine, principal, draft, client="cli")
    console.print(f"recorded intelligence-report:{report_id}", highlight=False)


@intel_app.command("reports")
@user_errors
@_database_errors
def list_reports(
    search: str = typer.Option("", "--search"),
    due: bool = typer.Option(False, "--due", help="Only reports due for review."),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Reports you may see, newest first."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    views, total = reports.listing(
        engine, principal, justification=justification, search=search, due_only=due, client="cli"
    )
    if json_out:
        print_json([v.to_json() for v in views])
        return
    table = Table(title=f"Intelligence reports: {total}")
    for column in ("id", "reference", "grade", "reported", "unit", "handling", "text"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v.id),
            v.reference,
            v.grade,
            str(v.reported_on),
            v.unit,
            "C" if v.conditions else "P",
            v.text[:80],
        )
    console.print(table)


@intel_app.command("add-entity")
@user_errors
@_database_errors
def add_entity(
    kind: str = typer.Argument(
        ..., help="person, phone, handset, address, vehicle, ocg, county-line"
    ),
    value: str = typer.Option("", "--value", help="Number, IMEI, VRM, postcode, OCG or line name."),
    label: str = typer.Option("", "--label", help="A person's name."),
    alias: list[str] | None = typer.Option(None, "--alias"),
    date_of_birth: str | None = typer.Option(None, "--date-of-birth"),
    address_lines: str = typer.Option("", "--address"),
    threat_tier: str = typer.Option("", "--threat-tier"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Record an entity (identifiers are normalised: E.164, IMEI, VRM, postcode)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    draft = entities.EntityDraft(
        kind=kind,
        label=label,
        value=value,
        aliases=tuple(alias or ()),
        date_of_birth=iso_date(date_of_birth, "--date-of-birth"),
        address_lines=address_lines,
        threat_tier=threat_tier,
        handling=Handling(HandlingCode.P),
    )
    entity_id = entities.create_entity(engine, principal, draft, client="cli")
    console.print(f"recorded intelligence-entity:{entity_id}", highlight=False)


@intel_app.command("link")
@user_errors
@_database_errors
def link(
    from_id: int = typer.Argument(...),
    to_id: int = typer.Argument(...),
    kind: str = typer.Option(..., "--kind"),
    strength: str = typer.Option(..., "--strength", help="confirmed, tentative or unconfirmed"),
    report: list[int] | None = typer.Option(
        None, "--report", help="A report it rests on (repeatable)."
    ),
    start: str | None = typer.Option(None, "--from-date"),
    end: str | None = typer.Option(None, "--to-date"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Link two entities on the reports it rests on (a link with no report is refused)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    link_id = entities.create_link(
        engine,
        principal,
        from_id,
        to_id,
        kind,
        strength,
        list(report or ()),
        start=iso_date(start, "--from-date"),
        end=iso_date(end, "--to-date"),
        client="cli",
    )
    console.print(f"recorded intelligence-link:{link_id}", highlight=False)


@intel_app.command("path")
@user_errors
@_database_errors
def path(
    start: str = typer.Argument(..., help="Entity id."),
    end: str = typer.Argument(..., help="Entity id."),
    max_length: int | None = typer.Option(None, "--max-length", help="All paths up to N hops."),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The path between two entities, hop by hop with the reports and grades behind each."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    result = linkcharts.find_path(
        engine,
        principal,
        start,
        end,
        max_length=max_length,
        justification=justification,
        client="cli",
    ).to_json()
    if json_out:
        print_json({k: v for k, v in result.items() if k != "chart"})
        return
    if not result["found"]:
        console.print("no path between them through entities you may see")
        return
    for p in result["paths"]:
        console.print(" → ".join(p["labels"]), highlight=False)
        for hop in p["hops"]:
            grades = ", ".join(f"{r['reference']} ({r['grade']})" for r in hop["reports"])
            console.print(f"  {hop['kind']} [{hop['strength']}]: {grades}", highlight=False)
        console.print(f"  weakest hop: {p['weakest_hop']['why']}", highlight=False)


@intel_app.command("export")
@user_errors
@_database_errors
def export(
    entity: str | None = typer.Argument(None, help="Centre entity id (default: everything)."),
    hops: int = typer.Option(2, "--hops"),
    fmt: str = typer.Option("graphml", "--format", help="graphml, gexf, i2, csv or ftm"),
    recipient: str = typer.Option(..., "--recipient", help="Who receives it (logged)."),
    acknowledge: bool = typer.Option(
        False,
        "--acknowledge-conditions",
        help="I have read the handling conditions and will meet them.",
    ),
    out: Path = typer.Option(..., "--out"),
    justification: str | None = JustificationOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Export a link chart (logged as a disclosure to the recipient; C conditions enforced)."""
    if not out.parent.exists():
        raise InputError(f"--out: folder {out.parent} does not exist")
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    content, _, _, chart = linkcharts.export_chart(
        engine,
        principal,
        entity,
        hops,
        fmt,
        recipient=recipient,
        justification=justification,
        acknowledge_conditions=acknowledge,
        client="cli",
    )
    out.write_bytes(content)
    console.print(
        f"wrote {out}: {len(chart.nodes)} entities, {len(chart.edges)} links", highlight=False
    )
    for condition in chart.conditions:
        console.print(f"handling condition: {condition}", highlight=False)


@intel_app.command("import")
@user_errors
@_database_errors
def import_command(
    reports_file: Path | None = typer.Option(None, "--reports"),
    entities_file: Path | None = typer.Option(None, "--entities"),
    links_file: Path | None = typer.Option(None, "--links"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Import reports, entities and links from CSV: all or nothing, problems as file:line: field."""
    files = {
        name: imports.ImportFile.read(path) if path else None
        for name, path in (
            ("reports", reports_file),
            ("entities", entities_file),
            ("links", links_file),
        )
    }
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    result = imports.import_files(engine, principal, client="cli", **files)
    console.print(result.summary(), highlight=False)


@intel_app.command("grant-full-text")
@user_errors
@_database_errors
def grant_full_text(
    username: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Let an analyst of your force read reports' unsanitised text (logged)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    reports.grant_full_text(engine, principal, username, reason, client="cli")
    console.print(f"{username} may now read the full text of reports they may see")


@intel_app.command("players")
@user_errors
@_database_errors
def players(
    top: int = typer.Option(10, "--top", help="How many key players to list."),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Key players, communities and the effect of removing the top players, on what you may see."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    result = linkcharts.key_players(
        engine, principal, top=top, justification=justification, client="cli"
    )
    if json_out:
        print_json(result)
        return
    table = Table(title=f"Key players (top {top} by betweenness)")
    for column in ("entity", "kind", "degree", "betweenness", "closeness", "eigenvector", "core"):
        table.add_column(column)
    for row in result["players"]:
        table.add_row(
            str(row["label"]),
            str(row["kind"]),
            str(row["degree"]),
            f"{row['betweenness']:.4f}",
            f"{row['closeness']:.4f}",
            f"{row['eigenvector']:.4f}",
            str(row["core"]),
        )
    console.print(table)
    removal = result["removal"]
    console.print(
        f"Removing {', '.join(removal['removed'])}: largest component "
        f"{removal['before']['largest_component']} → {removal['after']['largest_component']} "
        f"entities; {result['communities']['count']} communities",
        highlight=False,
    )
    for note in result["notes"]:
        console.print(f"note: {note}", highlight=False)


@intel_app.command("share")
@user_errors
@_database_errors
def share_command(
    record: str = typer.Argument(..., help="kind:id, e.g. intelligence-report:3"),
    force: str = typer.Option(..., "--force", help="The force to share with."),
    unit: str = typer.Option("", "--unit", help="One unit of that force (default: all of it)."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Share a record with another unit or force (sight, not ownership; logged)."""
    from harmwatch.intelligence import sharing

    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    sharing.share(engine, principal, record, force, unit, client="cli")
    console.print(f"shared {record} with {force}{'/' + unit if unit else ''}", highlight=False)
