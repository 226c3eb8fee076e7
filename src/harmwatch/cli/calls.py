"""`harmwatch calls …` (import and everyday analysis of call data), `harmwatch county-lines …`
(detection, schedules, scoring) and `harmwatch synth county-lines` (the scenario generator).

Thin over :mod:`harmwatch.calls`: each command that reads call data signs in as a named
user (``--as`` or an operator key) and the library scopes, justifies and logs the read
exactly as the web app does. ``score`` and ``synth`` read and write files only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import typer
from rich.table import Table

from harmwatch.calls import findings, importer, service
from harmwatch.calls.questions import ANALYSES, analysis_question
from harmwatch.calls.rules import DetectionRules
from harmwatch.calls.tables import Table as CallTable
from harmwatch.calls.tables import to_csv
from harmwatch.errors import InputError
from harmwatch.kernel.records import Handling, HandlingCode, Restriction
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import (
    DbOption,
    console,
    file_progress,
    print_json,
    resolve_db,
    store_lock,
    user_errors,
)
from .engines import (
    DriverMemoryOption,
    MasterOption,
    engine_choice,
    engine_option,
    stage_dir_option,
)
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in

calls_app = typer.Typer(
    help="Call data: import operators' files (by an import spec) and the everyday analysis.",
    no_args_is_help=True,
    add_completion=False,
)
lines_app = typer.Typer(
    help="County lines: detect deal lines, roles and cuckooed addresses; schedules; scoring.",
    no_args_is_help=True,
    add_completion=False,
)
synth_app = typer.Typer(
    help="Synthetic data generators (everything they write is labelled SYNTHETIC).",
    no_args_is_help=True,
    add_completion=False,
)


ScoringEngineOption = engine_option("the scoring", "line assembly stays on DuckDB")
CallStageDirOption = stage_dir_option("the rows you may see")


def register(app: typer.Typer) -> None:
    app.add_typer(calls_app, name="calls")
    app.add_typer(lines_app, name="county-lines")
    app.add_typer(synth_app, name="synth")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{what}: {value!r} is not name=value")
        out[name.strip()] = text.strip()
    return out


@calls_app.command("import")
@user_errors
@_database_errors
def import_calls(
    files: list[Path] = typer.Argument(..., help="CSV or CSV.GZ files from one operator layout."),
    spec_path: Path = typer.Option(..., "--spec", help="The import spec (TOML or JSON)."),
    basis: str = typer.Option(
        ...,
        "--legal-basis",
        help="ipa-part3 (IPA 2016 Part 3 authorisation), warrant, or pace-download.",
    ),
    reference: str = typer.Option(
        ..., "--authority-ref", help="The authorisation, warrant or exhibit reference."
    ),
    unit: str | None = typer.Option(None, "--unit", help="Owning unit (default: your first)."),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    synthetic: bool = typer.Option(False, "--synthetic", help="Mark the data synthetic."),
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Import call-data files: each whole or not at all, never twice."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    spec = load_spec(spec_path, importer.CALL_DATA)
    terms = service.ImportTerms(
        authority=importer.Authority(importer.legal_basis(basis), reference),
        unit=unit,
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
        handling=Handling(HandlingCode.P),
        synthetic=synthetic,
    )
    db_path = resolve_db(db)
    with (
        store_lock(engine, "a call-data import (harmwatch calls import)"),
        file_progress() as on_progress,
        AnalyticsStore.open(db_path, read_only=False) as store,
    ):
        done = service.import_files(
            engine, store, principal, files, spec, terms, progress=on_progress, client="cli"
        )
    for outcome in done:
        if outcome.already_imported:
            console.print(f"{Path(outcome.path).name}: {'; '.join(outcome.notes)}", highlight=False)
        else:
            console.print(
                f"{Path(outcome.path).name}: imported {outcome.rows:,} rows as {outcome.file_id} "
                f"in {outcome.seconds:.1f} s ({outcome.first_event} to {outcome.last_event} UTC)",
                highlight=False,
            )


@calls_app.command("files")
@user_errors
@_database_errors
def list_files(
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json"),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The call-data files you may see, with their authority and provenance."""
    from harmwatch.calls.models import CallDataImport
    from harmwatch.kernel import reads

    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    found = reads.consult(
        engine, principal, CallDataImport, justification=justification, client="cli"
    ).records
    rows = [service.file_json(f) for f in found]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"Call-data files you may see: {len(rows)}")
    for column in ("record", "file", "rows", "first", "last", "basis", "reference", "unit", ""):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["ref"], r["file_name"], f"{r['rows']:,}", str(r["first_event_utc"]),
            str(r["last_event_utc"]),
            r["legal_basis"], r["authority_ref"], r["unit"], "SYNTHETIC" if r["synthetic"] else "",
        )  # fmt: skip
    console.print(table)


@calls_app.command("purge")
@user_errors
@_database_errors
def purge(
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Delete the rows of call-data files whose records a review erased (data protection officer)."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    with AnalyticsStore.open(resolve_db(db), read_only=False) as store:
        purged = service.purge_erased(engine, store, principal, client="cli")
    if not purged:
        console.print("nothing to purge: every stored file has its record", highlight=False)
    for file_id, rows in purged.items():
        console.print(f"purged {file_id}: {rows:,} rows", highlight=False)


def _open(db: Path | None) -> AnalyticsStore:
    return AnalyticsStore.open(resolve_db(db), read_only=True)


def _show(table: CallTable, csv_out: Path | None, json_out: bool) -> None:
    if csv_out is not None:
        csv_out.write_text(to_csv(table), encoding="utf-8")
        console.print(f"wrote {len(table.rows):,} rows to {csv_out}", highlight=False)
        return
    if json_out:
        print_json({"title": table.title, "columns": list(table.columns),
                    "rows": [list(r) for r in table.rows], "notes": list(table.notes)})  # fmt: skip
        return
    shown = Table(title=table.title)
    for column in table.columns:
        shown.add_column(column, overflow="fold")
    for row in table.rows[:200]:
        shown.add_row(*("" if v is None else str(v) for v in row))
    console.print(shown)
    if len(table.rows) > 200:
        console.print(f"… {len(table.rows) - 200:,} more rows: use --csv FILE", highlight=False)
    for note in table.notes:
        console.print(f"note: {note}", highlight=False)


@calls_app.command("analyse")
@user_errors
@_database_errors
def analyse(
    kind: str = typer.Argument(..., help=", ".join(ANALYSES)),
    numbers: list[str] = typer.Argument(..., help="The number(s) asked about."),
    window: int = typer.Option(30, "--window", help="colocation: minutes apart at most."),
    limit: int = typer.Option(50, "--limit", help="contacts: how many counterparts."),
    justification: str | None = JustificationOption,
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the whole table as CSV."),
    json_out: bool = typer.Option(False, "--json"),
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The everyday call-data questions: top contacts, common contacts, patterns, cells …"""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    question = analysis_question(kind, numbers, window=window, limit=limit)
    with _open(db) as store:
        table = service.read_calls(
            engine, store, principal, question, what=f"{kind} {' '.join(numbers)}",
            justification=justification, details={"numbers": numbers[:20]},
            export_to="csv file" if csv_out else None, client="cli",
        )  # fmt: skip
    _show(table, csv_out, json_out)


@lines_app.command("detect")
@user_errors
@_database_errors
def detect(
    json_path: Path | None = typer.Option(
        None, "--json", help="Write the whole document (deal_lines, roles, cuckooed_cells, lines)."
    ),
    csv_path: Path | None = typer.Option(None, "--csv", help="Write one row per number found."),
    rule: list[str] = typer.Option([], "--rule", help="Change a rule: name=value (repeatable)."),
    engine_name: str = ScoringEngineOption,
    master: str = MasterOption,
    calls_parquet: str | None = typer.Option(
        None,
        "--calls-parquet",
        help="Spark: read the call rows from this Parquet on shared storage (still limited "
        "to the files you may see) instead of exporting them from --db.",
    ),
    stage_dir: Path | None = CallStageDirOption,
    driver_memory: str = DriverMemoryOption,
    justification: str | None = JustificationOption,
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Find deal lines, their numbers over time, roles and cuckooed cells in your call data."""
    choice = engine_choice(
        engine_name, master, driver_memory, stage_dir, calls_parquet=calls_parquet
    )
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    rules = DetectionRules().with_overrides(_pairs(rule, "--rule"))
    with _open(db) as store:
        result = service.detect(
            engine, store, principal, justification=justification, rules=rules,
            client="cli", run_on=choice,
        )  # fmt: skip
    document = result.to_document()
    if json_path is not None:
        json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_path}", highlight=False)
    if csv_path is not None:
        csv_path.write_text(findings.lines_csv(result), encoding="utf-8")
        console.print(f"wrote {csv_path}", highlight=False)
    label = " (SYNTHETIC data)" if result.synthetic else ""
    table = Table(title=f"Deal lines found: {len(result.lines)}{label}")
    for column in ("line", "numbers", "controllers", "runners", "users", "cuckooed cells"):
        table.add_column(column, overflow="fold")
    for line in result.lines:
        table.add_row(
            line.line_id,
            ", ".join(f"{n.number} ({n.first_seen}–{n.last_seen})" for n in line.numbers),
            ", ".join(line.controllers),
            ", ".join(line.runners),
            str(len(line.users)),
            ", ".join(c.cell_id for c in line.cuckooed),
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


@lines_app.command("schedule")
@user_errors
@_database_errors
def schedule(
    line_id: str = typer.Argument(..., help="The line, as detect names it (LINE-01)."),
    finding: str = typer.Option("line", "--finding", help=", ".join(findings.FINDINGS)),
    number: str | None = typer.Option(
        None, "--number", help="role: whose role; cuckooed: the cell."
    ),
    out: Path = typer.Option(..., "--out", help="Write the schedule (CSV) here."),
    rule: list[str] = typer.Option([], "--rule"),
    justification: str | None = JustificationOption,
    db: Path | None = DbOption,
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """The contacts behind a finding, each with its file, line and authority reference."""
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    rules = DetectionRules().with_overrides(_pairs(rule, "--rule"))

    def question(con: duckdb.DuckDBPyConnection, files: list[str]) -> findings.Schedule:
        result = findings.detect(con, files, rules)
        return findings.schedule(con, result, finding, line_id, number)

    with _open(db) as store:
        table = service.read_calls(
            engine, store, principal, question, what=f"schedule {finding} {line_id}",
            justification=justification, export_to=f"file {out.name}", client="cli",
        )  # fmt: skip
    out.write_text(table.to_csv(), encoding="utf-8")
    console.print(f"wrote {len(table.rows):,} rows to {out}: {table.title}", highlight=False)


@lines_app.command("score")
@user_errors
def score(
    truth: Path = typer.Option(
        ..., "--truth", help="truth.json from `harmwatch synth county-lines`."
    ),
    pred: Path = typer.Option(..., "--pred", help="The document from `detect --json`."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Precision, recall and F1 of a detection against a scenario's ground truth."""
    from harmwatch.calls import scoring

    scores = scoring.score(_read_json(truth), _read_json(pred))
    if json_out:
        print_json(scores.to_dict())
    else:
        console.print(scoring.format_scores(scores), highlight=False)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object")
    return data


@synth_app.command("county-lines")
@user_errors
def synth_county_lines(
    seed: int = typer.Option(..., "--seed", help="The seed: the same seed writes the same files."),
    out: Path = typer.Option(..., "--out", help="The folder to write (created)."),
    param: list[str] = typer.Option([], "--param", help="Change a parameter: name=value."),
) -> None:
    """A SYNTHETIC town's call data with county lines and look-alikes, and its ground truth."""
    from harmwatch.calls.synth import files as synth_files
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    params = ScenarioParams.with_overrides(_pairs(param, "--param"))
    scenario = generate(params, seed)
    written = synth_files.write_scenario(scenario, out)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
