"""The demo's force records: a SYNTHETIC Hertfordshire RMS export, imported and ready.

``serve --demo`` generates the export from the bundled police.uk months
(:mod:`.synth`, seed :data:`DEMO_SEED`), writes it with its spec to the demo folder and
imports it as the demo's analyst, so that every analysis can be run on either source,
the reconciliation page has something to explain, and patrol plans say when to visit.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore

from . import service
from .importer import FORCE_RECORDS
from .synth import RmsParams, generate, read_street_files, write_export

DEMO_SEED = 2026
SYNTHETIC_NOTE = "SYNTHETIC force records: generated from police.uk, no real crime or person."


def seed(
    engine: Engine, db_path: Path, folder: Path, force: str, unit: str, username: str = "analyst"
) -> dict[str, object]:
    """Generate and import the demo's force records (see the module docstring)."""
    analyst = Principal(username, Role.ANALYST, force, frozenset({unit}), "system")
    result = generate(read_street_files(force), RmsParams(seed=DEMO_SEED))
    files = write_export(result, folder)
    spec = load_spec(files.spec, FORCE_RECORDS)
    with AnalyticsStore.open(db_path, read_only=False) as store:
        done = service.import_files(
            engine, store, analyst, [files.csv], spec,
            service.ImportTerms(unit=unit, synthetic=True), client="demo set-up",
        )  # fmt: skip
    return {"files": [d.file_id for d in done], "rows": sum(d.rows for d in done)}
