"""The analytics database: police.uk rows and their provenance, in DuckDB.

- :mod:`.store` — :class:`AnalyticsStore`, the only way into the file: opened
  once per task (``with AnalyticsStore.open(path) as store:``), asked typed
  questions, written by the loader in one transaction per load.
- :mod:`.migrations` — the schema as numbered, frozen steps, applied in order on
  open; a store newer than this code is refused.
- :mod:`.schema` — the tables and how sensitive each is.
- :mod:`.sensitive` — the one read path for personal data, behind a caller's
  access checker.
- :mod:`.loading` — a loader's staging area and the batch it writes.
- :mod:`.rows` — the typed questions and answers.
"""

from __future__ import annotations

from .loading import DatasetKey, LoadBatch, LoadFiles, NewLoad, NewReject, StagedRows, Staging
from .migrations import LATEST_VERSION, MIGRATIONS, AppliedMigration, Migration, SchemaError
from .rows import (
    DatasetRow,
    ForceTypeCount,
    KindCounts,
    LoadRecord,
    LsoaFootprints,
    MonthTypeCount,
    RejectRow,
    StreetPoints,
    StreetScope,
)
from .schema import KIND_TABLES, LOADED_BY_UNKNOWN, ROW_TABLES, TABLES, Sensitivity
from .sensitive import SensitiveAccess, SensitiveAccessError, TableQuery, TableRows
from .store import DISTRICT_SQL, AnalyticsStore, LoadTransaction, StoreMissingError, copy_store

SCHEMA_VERSION = LATEST_VERSION

__all__ = [
    "DISTRICT_SQL",
    "KIND_TABLES",
    "LATEST_VERSION",
    "LOADED_BY_UNKNOWN",
    "MIGRATIONS",
    "ROW_TABLES",
    "SCHEMA_VERSION",
    "TABLES",
    "AnalyticsStore",
    "AppliedMigration",
    "DatasetKey",
    "DatasetRow",
    "ForceTypeCount",
    "KindCounts",
    "LoadBatch",
    "LoadFiles",
    "LoadRecord",
    "LoadTransaction",
    "LsoaFootprints",
    "Migration",
    "MonthTypeCount",
    "NewLoad",
    "NewReject",
    "RejectRow",
    "SchemaError",
    "SensitiveAccess",
    "SensitiveAccessError",
    "Sensitivity",
    "StagedRows",
    "Staging",
    "StoreMissingError",
    "StreetPoints",
    "StreetScope",
    "TableQuery",
    "TableRows",
    "copy_store",
]
