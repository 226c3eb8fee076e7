"""The engine options (``--engine``, ``--master``, ``--driver-memory``, ``--stage-dir``),
declared once for every command whose scalable part can run on Spark: ``county-lines
detect`` (the call-data scoring), ``hotspots`` and ``change`` (the police.uk
aggregation) and ``report`` (its police.uk street crimes' scans). Spark itself is
imported only when chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from harmwatch.engines import ENGINES, EngineChoice


def engine_option(runs: str, stays: str) -> Any:
    """``--engine``: where ``runs`` (the part that scales) runs; ``stays`` says what does not move."""
    return typer.Option(
        "duckdb", "--engine", help=f"Where {runs} runs: {' or '.join(ENGINES)} ({stays})."
    )


MasterOption = typer.Option(
    "local[2]", "--master", help="Spark master: local[2], spark://host:7077, yarn."
)
DriverMemoryOption = typer.Option(
    "2g", "--driver-memory", help="Spark: the driver's heap (local mode: all of Spark's)."
)


def stage_dir_option(rows: str) -> Any:
    """``--stage-dir``: where a Spark run on a cluster exports ``rows`` for the executors."""
    return typer.Option(
        None,
        "--stage-dir",
        help=f"Spark: export {rows} under this folder (one every executor mounts at the same "
        "path); deleted after the run.",
    )


def engine_choice(
    name: str,
    master: str,
    driver_memory: str,
    stage_dir: Path | None,
    *,
    calls_parquet: str | None = None,
    parquet_in_place: bool = False,
) -> EngineChoice:
    """The options' :class:`~harmwatch.engines.EngineChoice`; for Spark, refused now (before
    signing in or reading anything) when Java or PySpark is missing, saying what to install."""
    choice = EngineChoice(
        name, master, calls_parquet, stage_dir, driver_memory, parquet_in_place=parquet_in_place
    )
    if choice.name == "spark":
        from harmwatch.engines import spark  # only when chosen: DuckDB users need no Java

        spark.check_available()
    return choice


# The police.uk aggregations' engine options (hotspots, change): the same on each command.
AggregationEngineOption = engine_option(
    "the scan, filter and group by of the crimes", "the grid and the statistics stay here"
)
StageDirOption = stage_dir_option("the street rows kept outside the store's part files")
# The report's: the same engine, saying which of the report's many sources it moves.
ReportEngineOption = engine_option(
    "the scan, filter and group by of the police.uk street crimes (the measures, maps and "
    "monthly counts)",
    "the records' sections, stop and search, outcomes and every statistic stay on DuckDB",
)


def aggregation_engine(
    name: str, master: str, driver_memory: str, stage_dir: Path | None
) -> EngineChoice | None:
    """The engine of a police.uk aggregation; None for DuckDB (the store's own connection)."""
    choice = engine_choice(name, master, driver_memory, stage_dir, parquet_in_place=True)
    return None if choice.name == "duckdb" else choice
