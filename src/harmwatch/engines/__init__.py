"""Where an analysis's SQL runs: DuckDB on this machine, or Apache Spark on a cluster.

An analysis whose input can outgrow one machine (the call-data features and deal-line
scoring, :mod:`harmwatch.calls.detection`; the police.uk street aggregation behind
hotspots, change and every street-crime selection,
:mod:`harmwatch.storage.analytics.aggregate`, run where :mod:`.policeuk` says) is
written once, as SQL in DuckDB's dialect, against :class:`~.sql.SqlEngine`. :class:`~.sql.DuckDBEngine` runs each
statement as written; :class:`~.spark.SparkEngine` transpiles it with SQLGlot and
runs it on a SparkSession (:func:`~.spark.spark_session`), so there is no second
copy of any query to drift from the first. :class:`EngineChoice` is what a caller
(the command line, a benchmark) says it wants; :mod:`.spark` is imported only when
Spark is chosen, so DuckDB users need neither Java nor PySpark.
"""

from __future__ import annotations

from .sql import (
    ENGINES,
    DuckDBEngine,
    EngineChoice,
    EngineUnavailable,
    SqlEngine,
    as_engine,
)

__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "EngineChoice",
    "EngineUnavailable",
    "SqlEngine",
    "as_engine",
]
