"""The demo's forensic casework: a small SYNTHETIC scenario of three forces, and its incident.

:func:`seed` generates a few years of casework for Bedfordshire, Cambridgeshire and
Hertfordshire (:mod:`.synth`, dated back from today, so live cases have hearings to
come), writes the exports to a temporary folder and imports each force's three files
(case management, LIMS, custody) **as a forensic reviewer of that force**: records
are owned by their own force, as in the review the demo shows. As the three forces
did after the real incident this imitates, the others share their cases and
exhibits with the lead force (the demo's, hertfordshire) for a joint review — sight
only: each force still owns and changes its own — so the demo's forensic reviewer
sees every force's affected cases; the PCC viewer gets their own force's figures.
It then declares the scenario's provider incident (Northgate Toxicology Ltd,
FICTIONAL) as the demo's reviewer.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.roles import Role
from harmwatch.storage import models

from . import importer, synth
from .models import ForensicLaboratory, ForensicProvider, LabIncident

SYNTHETIC_NOTE = (
    "SYNTHETIC forensic casework of three forces: invented cases, people, providers and "
    "laboratories (FICTIONAL), with a provider incident."
)
WHY = "Demo set-up: SYNTHETIC forensic casework and its lab incident"
DEMO_CASES_PER_YEAR = {"bedfordshire": 2, "cambridgeshire": 2, "hertfordshire": 5}
DEMO_SEED = 20170202


def demo_params() -> synth.ForensicParams:
    """Seven years to yesterday, a handful of cases a year per force."""
    as_of = models.utcnow().date() - timedelta(days=1)
    # The incident's provider and laboratory take more of the work than in the default,
    # so that a small scenario still has affected cases of every kind to review.
    others = {"Alder Forensic Services (FICTIONAL)": 0.2, "Fenwick Analytical Ltd (FICTIONAL)": 0.1}
    mix = {force: {synth.INCIDENT_PROVIDER: 0.7, **others} for force in synth.FORCES}
    return synth.ForensicParams(
        years=(as_of.year - 6, as_of.year),
        as_of=as_of,
        cases_per_year=DEMO_CASES_PER_YEAR,
        provider_mix=mix,
        marston_share=0.9,
    )


def seed(
    engine: Engine,
    force: str,
    unit: str,
    username: str = "forensic-reviewer",
    *,
    declare_incident: bool = True,
) -> dict[str, Any]:
    """Generate and import the scenario; what was stored per force, the incident's id, and
    the generator's affected counts (``truth``)."""
    data = synth.generate(demo_params(), DEMO_SEED)
    stored: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="harmwatch-forensic-demo-") as tmp:
        files = synth.write_export(data, Path(tmp))
        specs = {kind: importer.load(path, kind) for kind, path in files.specs.items()}
        for each in synth.FORCES:
            # Each force's reviewer imports their force's exports (owned by that force).
            by = Principal(username, Role.FORENSIC_REVIEWER, each, frozenset({unit}), "system")
            outcome = importer.import_files(
                engine,
                by,
                [(files.exports[each][kind], specs[kind], kind) for kind in importer.Kind],
                justification=WHY,
                client="demo set-up",
            )
            stored[each] = {k: v for k, v in outcome.to_json().items() if isinstance(v, int)}
            if each != force:
                _share_with(engine, by, force)
    incident_id = None
    if declare_incident:
        reviewer = Principal(username, Role.FORENSIC_REVIEWER, force, frozenset({unit}), "system")
        incident_id = _declare(engine, reviewer, data.truth["incident"])
    return {"forces": stored, "incident_id": incident_id, "truth": data.truth["affected"]}


def _share_with(engine: Engine, by: Principal, lead: str) -> None:
    """Share every case and exhibit of ``by``'s force with the lead force (a joint review)."""
    from harmwatch.kernel import policy

    from .models import ForensicCase, ForensicExhibit

    with unit_of_work(
        engine, by, AuditAction.ALTERATION, RecordRef("forensic-case", "*"),
        client="demo set-up", details={"shared_with": lead, "why": "joint incident review"},
    ) as work:  # fmt: skip
        records: list[ForensicCase | ForensicExhibit] = [
            *work.db.scalars(
                policy.scope(
                    by, select(ForensicCase).where(ForensicCase.owning_force == by.force),
                    ForensicCase,
                )
            ),
            *work.db.scalars(
                policy.scope(
                    by, select(ForensicExhibit).where(ForensicExhibit.owning_force == by.force),
                    ForensicExhibit,
                )
            ),
        ]  # fmt: skip
        for record in records:
            policy.share(work.db, by, record, lead)
        work.details["records"] = len(records)


def _declare(engine: Engine, by: Principal, incident: dict[str, Any]) -> int:
    """Record the scenario's incident (provider, laboratory, tests, analysts, window)."""
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef("forensic-incident", "new"),
        client="demo set-up",
    ) as work:  # fmt: skip
        provider = work.db.scalars(
            select(ForensicProvider).where(ForensicProvider.name == incident["provider"])
        ).one()
        lab = work.db.scalars(
            select(ForensicLaboratory).where(
                ForensicLaboratory.provider_id == provider.id,
                ForensicLaboratory.name == incident["laboratory"],
            )
        ).one()
        today = models.utcnow().date()
        row = LabIncident(
            name=incident["name"],
            provider_id=provider.id,
            laboratory_id=lab.id,
            tests=json.dumps(incident["tests"]),
            analysts=json.dumps(incident["analysts"]),
            window_from=date.fromisoformat(incident["window_from"]),
            window_to=date.fromisoformat(incident["window_to"]),
            description=(
                "SYNTHETIC: quality-control data of blood and urine toxicology found "
                f"manipulated by two analysts; every sample they tested in the window "
                f"({incident['window_applies_to']}) is in doubt."
            ),
            regulator_notifications="[]",
            declared_on=today,
            declared_by=by.actor,
            fictional=True,
        )
        work.db.add(row)
        work.db.flush()
        work.target(RecordRef("forensic-incident", str(row.id)))
        work.details.update({"provider": provider.name, "laboratory": lab.name})
        return int(row.id)
