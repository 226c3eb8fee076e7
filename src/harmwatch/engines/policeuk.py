"""Where the police.uk aggregation runs: the store's DuckDB, or Spark over its part files.

The scan, filter and group by behind hotspots, change and every analysis that
selects street crimes is written once, in DuckDB's SQL
(:mod:`harmwatch.storage.analytics.aggregate`). By default it runs on the store's own
connection. With Spark chosen, :func:`street_engine` gives a
:class:`~.spark.SparkEngine` whose ``street`` table is the store's live part files:
Parquet that the executors read where it lies, so on a cluster the store must be on
storage every executor mounts at the same path. Rows loaded before the part files
(the ``street_rows`` table) are not in any part file; when there are any they are
exported to Parquet for the run (in a private temporary folder, under ``stage_dir``
when given: a cluster needs one it can read) and read beside the part files.

What stays on this machine, and why: the questions of what is loaded (forces, crime
types, months: distinct values, answered from the same files in well under a second)
and everything after the aggregation. The groups are far fewer than the crimes — one
per map point, month, force and LSOA — and the statistics on them (the grid, KDE, Gi*,
rate ratios, polygon containment) take seconds on one machine even nationally, where
a cluster would spend longer shipping the grid about than computing it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from harmwatch.errors import InputError
from harmwatch.storage.analytics.aggregate import STREET_COLUMNS, quoted

from .sql import EngineChoice, SqlEngine

if TYPE_CHECKING:
    from harmwatch.storage.analytics import AnalyticsStore

#: ``street``'s columns that the aggregation reads, with their DuckDB types (an empty table).
STREET_TYPES = (
    ("force", "VARCHAR"), ("crime_type", "VARCHAR"), ("month", "DATE"), ("x", "DOUBLE"),
    ("y", "DOUBLE"), ("lsoa_code", "VARCHAR"), ("lsoa_name", "VARCHAR"),
)  # fmt: skip


def register_street(engine: SqlEngine, parts: Sequence[str], older: str | None = None) -> None:
    """Make ``street`` on ``engine``: the part files ``parts`` and the Parquet ``older``."""
    columns = ", ".join(quoted(c) for c in STREET_COLUMNS)
    selects = []
    if parts:
        engine.register_parquet("hw_street_parts", list(parts))
        selects.append(f"SELECT {columns} FROM hw_street_parts")
    if older is not None:
        engine.register_parquet("hw_street_rows", older)
        selects.append(f"SELECT {columns} FROM hw_street_rows")
    if not selects:
        engine.load_rows("street", STREET_TYPES, [])
        return
    engine.execute(f"CREATE OR REPLACE TEMP VIEW street AS {' UNION ALL '.join(selects)}")


@contextmanager
def rows_outside_parts(store: AnalyticsStore, choice: EngineChoice) -> Iterator[str | None]:
    """The store's street rows outside the part files as a Parquet file (None: there are none).

    Deleted when the block ends. On a cluster the file must be where the executors
    can read it, so a master that is not local needs ``stage_dir``.
    """
    if not store.rows_outside_parts("street"):
        yield None
        return
    if not choice.is_local and choice.stage_dir is None:
        raise InputError(
            f"master {choice.master}: {store.path} keeps street rows loaded before the part "
            "files in its database, which a cluster's executors cannot read there; give "
            "--stage-dir (a folder every executor mounts at the same path) to export them to "
            "for the run, or reload those months so that they go into part files"
        )
    folder = Path(tempfile.mkdtemp(prefix="harmwatch-street-", dir=choice.stage_dir))
    try:
        target = folder / "street_rows.parquet"
        store.export_rows_outside_parts(target, "street")
        yield str(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def street_engine(store: AnalyticsStore, choice: EngineChoice | None) -> Iterator[SqlEngine | None]:
    """The engine to run the street aggregation on: None for the store's own DuckDB.

    For Spark, the process's session on ``choice.master`` (started on first use) and a
    :class:`~.spark.SparkEngine` of its own over ``store``'s street rows.
    """
    if choice is None or choice.name == "duckdb":
        yield None
        return
    from . import spark

    # The rows outside the part files first: a store a cluster cannot read is refused
    # before a session starts.
    with rows_outside_parts(store, choice) as older:
        session = spark.spark_session(choice.master, driver_memory=choice.driver_memory)
        with spark.SparkEngine(session) as cluster:
            register_street(cluster, [str(p) for p in store.part_files("street")], older)
            yield cluster
