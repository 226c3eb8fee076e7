"""The demo's call data: a small SYNTHETIC county-lines scenario, imported and ready to detect.

``serve --demo`` writes a generated town (:mod:`.synth`, seed :data:`DEMO_SEED`, 800
people over 28 days) to the demo folder, imports it as the demo's intelligence
officer — marked synthetic, under the reference ``SYNTHETIC-DEMO`` — and records in
the intelligence graph the synthetic people behind the scenario's runners (names
and dates of birth from its ``people.csv``, each linked ``uses-phone`` to their
number) so that detection's safeguarding flags have someone to find: some of those
runners are under 18. Nothing is accepted into the graph automatically: running
detection and accepting a line is for the officer to do on the County lines page.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from harmwatch.intelligence import entities, reports
from harmwatch.intelligence.grading import grade
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore

from . import service
from .accept import phone_entity
from .importer import CALL_DATA, Authority, LegalBasis
from .synth.files import write_scenario
from .synth.generator import generate
from .synth.params import ScenarioParams

DEMO_SEED = 2026
DEMO_PARAMS = {"population": "800", "days": "28"}
SYNTHETIC_NOTE = "SYNTHETIC call data: a generated town, no real person or number."


def seed(
    engine: Engine,
    db_path: Path,
    folder: Path,
    force: str,
    unit: str,
    username: str = "intelligence-officer",
) -> dict[str, object]:
    """Generate, import and seed the demo's call data (see the module docstring)."""
    officer = Principal(username, Role.INTELLIGENCE_OFFICER, force, frozenset({unit}), "system")
    scenario = generate(ScenarioParams.with_overrides(DEMO_PARAMS), DEMO_SEED)
    written = write_scenario(scenario, folder)
    spec = load_spec(written["spec"], CALL_DATA)
    with AnalyticsStore.open(db_path, read_only=False) as store:
        imported = service.import_files(
            engine, store, officer, [written["calls"]], spec,
            service.ImportTerms(
                Authority(LegalBasis.IPA_PART3, "SYNTHETIC-DEMO"), synthetic=True, unit=unit
            ),
            client="demo set-up",
        )  # fmt: skip
    people = _runners(written["people"])
    report_id = reports.create(
        engine,
        officer,
        reports.ReportDraft(
            reference="SYNTHETIC-DEMO-PEOPLE",
            grade=grade("3x5x2", "1", "B", "P"),
            sanitised_text=(
                "SYNTHETIC: the generated scenario's runners, by name, date of birth and "
                "phone, as a custody record or a missing-person report would give them."
            ),
            originator="harmwatch demo set-up (synthetic)",
            reported_on=date.today(),
        ),
        client="demo set-up",
    )
    linked = 0
    for number, name, born in people:
        person = entities.create_entity(
            engine, officer,
            entities.EntityDraft(kind="person", label=f"{name} (synthetic)", date_of_birth=born),
            client="demo set-up",
        )  # fmt: skip
        with unit_of_work(
            engine, officer, AuditAction.COLLECTION, RecordRef("intelligence-entity", "new"),
            client="demo set-up",
        ) as work:  # fmt: skip
            phone_id = phone_entity(work.db, officer, number, unit).id
            work.details["phone"] = number
        entities.create_link(
            engine, officer, person, phone_id, "uses-phone", "confirmed", [report_id],
            client="demo set-up",
        )  # fmt: skip
        linked += 1
    return {"files": [i.file_id for i in imported], "rows": sum(i.rows for i in imported),
            "people": linked}  # fmt: skip


def _runners(path: Path) -> list[tuple[str, str, date]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row["number"], row["name"], date.fromisoformat(row["date_of_birth"]))
            for row in csv.DictReader(handle)
            if row.get("role") == "runner" and row.get("date_of_birth")
        ]
