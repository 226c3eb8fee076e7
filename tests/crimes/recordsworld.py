"""Shared by the force-records tests: a world with the bundled police.uk sample and a SYNTHETIC Hertfordshire RMS export of the
same months, imported by an analyst: what the force-records tests read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from harmwatch.crimes import service
from harmwatch.crimes.importer import FORCE_RECORDS
from harmwatch.crimes.synth import (
    RmsParams,
    SyntheticRms,
    generate,
    read_street_files,
    write_export,
)
from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore, copy_store
from harmwatch.storage.records import make_engine, upgrade

FORCE = "hertfordshire"
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")
SEED = 1414
WHY = "Op Test: force records in the test suite"


def who(role: Role, unit: str = "herts-analysis", force: str = FORCE) -> Principal:
    return Principal(f"{role.value}-{unit}", role, force, frozenset({unit}), "cli")


ANALYST = who(Role.ANALYST)
PCC = who(Role.PCC_VIEWER, "pcc-office")


@dataclass
class World:
    engine: Engine
    db: Path
    synthetic: SyntheticRms
    csv: Path
    spec: Path
    file_id: str


def make_world(tmp: Path, sample_db: Path) -> World:
    db = tmp / "analytics.duckdb"
    copy_store(sample_db, db)
    engine = make_engine(f"sqlite:///{tmp / 'records.sqlite'}")
    upgrade(engine)
    synthetic = generate(read_street_files(FORCE, MONTHS), RmsParams(seed=SEED))
    files = write_export(synthetic, tmp / "rms")
    spec = load_spec(files.spec, FORCE_RECORDS)
    with AnalyticsStore.open(db, read_only=False) as store:
        [done] = service.import_files(
            engine, store, ANALYST, [files.csv], spec, service.ImportTerms()
        )
    return World(engine, db, synthetic, files.csv, files.spec, done.file_id)
