"""`harmwatch forensic import` (case-management, LIMS and custody exports) and
`harmwatch synth forensics` (the SYNTHETIC three-force generator).

Thin over :mod:`harmwatch.forensics.importer` and :mod:`harmwatch.forensics.synth`:
the import signs in as a named user (``--as`` or an operator key) and the library
checks every row, stores the files all or nothing in one unit of work and logs it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from harmwatch.forensics import importer
from harmwatch.kernel.records import Handling, HandlingCode, Restriction

from .admin import DatabaseUrlOption, _database_errors, open_records
from .common import console, print_json, user_errors
from .identity import AsOption, JustificationOption, KeyFileOption, sign_in


def register(forensic_app: typer.Typer) -> None:
    forensic_app.command("import")(import_command)


def register_synth(synth_app: typer.Typer) -> None:
    synth_app.command("forensics")(synth_command)


@user_errors
@_database_errors
def import_command(
    files: list[Path] = typer.Argument(
        ..., help="CSV or CSV.GZ exports of one kind, imported together, all or nothing."
    ),
    spec_path: Path = typer.Option(..., "--spec", help="The import spec (TOML or JSON)."),
    kind: str = typer.Option(..., "--kind", help="case-management, lims or custody."),
    unit: str | None = typer.Option(None, "--unit", help="Owning unit (default: your first)."),
    restricted: bool = typer.Option(False, "--restricted", help="Only your unit (and shares)."),
    conditions: str | None = typer.Option(
        None, "--conditions", help="Handling code C: the terms of sharing."
    ),
    synthetic: bool = typer.Option(False, "--synthetic", help="Mark the records synthetic."),
    justification: str | None = JustificationOption,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Import forensic exports: every row checked, nothing stored unless every row is good."""
    chosen = importer.kind_of(kind)
    spec = importer.load(spec_path, chosen)
    engine = open_records(database_url_)
    principal = sign_in(engine, as_user, key_file)
    terms = importer.ImportTerms(
        unit=unit,
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
        handling=Handling(HandlingCode.C, conditions) if conditions else Handling(HandlingCode.P),
        synthetic=synthetic,
    )
    outcome = importer.import_files(
        engine,
        principal,
        [(path, spec, chosen) for path in files],
        justification=justification,
        terms=terms,
        client="cli",
    )
    if json_out:
        print_json(outcome.to_json())
        return
    for f in outcome.files:
        console.print(
            f"{f.file}: {f.rows:,} rows — {f.cases:,} cases, {f.exhibits:,} exhibits, "
            f"{f.results:,} results ({f.amendments:,} amendments), "
            f"{f.custody_events:,} custody events",
            highlight=False,
        )
    for name in outcome.providers_created:
        console.print(f"new provider: {name}", highlight=False)
    for name in outcome.laboratories_created:
        console.print(f"new laboratory: {name}", highlight=False)


@user_errors
def synth_command(
    out: Path = typer.Option(..., "--out", help="Folder for the exports, specs and truth file."),
    seed: int = typer.Option(20170201, "--seed", help="Seed of every random draw."),
    years: str = typer.Option("2012-2019", "--years", help="First and last year, e.g. 2012-2019."),
    gz: bool = typer.Option(False, "--gz", help="Write the exports as .csv.gz."),
) -> None:
    """SYNTHETIC toxicology casework of three forces, with a provider incident and its truth."""
    from harmwatch.forensics import synth

    data = synth.generate(synth.ForensicParams(years=synth.parse_years(years)), seed)
    files = synth.write_export(data, out, gz=gz)
    total = data.truth["affected"]["total"]
    console.print(
        f"SYNTHETIC: {sum(len(v) for v in data.cases.values()):,} cases of "
        f"{', '.join(synth.FORCES)} ({years}, seed {seed}); the incident affects "
        f"{total['cases']} cases, {total['samples']} samples",
        highlight=False,
    )
    for paths in files.exports.values():
        for path in paths.values():
            console.print(f"  wrote {path}", highlight=False)
    for path in (*files.specs.values(), files.truth, files.readme):
        console.print(f"  wrote {path}", highlight=False)
