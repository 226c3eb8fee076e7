"""What the Spark equality tests share: one local session, and a store with older rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from harmwatch.engines import DuckDBEngine, spark
from harmwatch.engines.policeuk import register_street
from harmwatch.storage.analytics import AnalyticsStore, copy_store, parts


def local_session() -> Any:
    """The process's ``local[2]`` session with the JVM's first (C1) compiler only.

    These jobs are over before the optimising compiler would pay for itself. One
    process holds one Spark context: whichever test module starts it, the others
    reuse it (the same master and settings).
    """
    local = spark.session_settings("local[2]")
    java = local["spark.driver.extraJavaOptions"] + " -XX:TieredStopAtLevel=1"
    return spark.spark_session("local[2]", settings={"spark.driver.extraJavaOptions": java})


def with_one_part_as_older_rows(db: Path, to: Path) -> Path:
    """A copy of ``db`` with one street part file's rows kept as a store from before the
    part files keeps them: in the ``street_rows`` table, not in any part file."""
    copied = copy_store(db, to)
    con = duckdb.connect(str(copied))
    try:
        root = parts.parts_root(copied)
        [(moved,)] = con.execute(
            "SELECT path FROM parts WHERE kind = 'street' ORDER BY path LIMIT 1"
        ).fetchall()
        quoted = "'" + str(root / moved).replace("'", "''") + "'"
        con.execute(f"INSERT INTO street_rows SELECT * FROM read_parquet({quoted})")
        con.execute("DELETE FROM parts WHERE path = ?", [moved])
        parts.define_views(con, root, ["street"])
    finally:
        con.close()
    return copied


def bare_street(store: AnalyticsStore, scratch: Path) -> tuple[DuckDBEngine, bool]:
    """A fresh DuckDB given ``street`` as Spark is given it: the store's part files, and
    its rows outside them exported to ``scratch``. Also: whether there were such rows."""
    files = [str(p) for p in store.part_files("street")]
    older = None
    if store.rows_outside_parts("street"):
        older = str(scratch / f"{store.path.stem}-rows.parquet")
        store.export_rows_outside_parts(Path(older))
    bare = DuckDBEngine(duckdb.connect())
    register_street(bare, files, older)
    return bare, older is not None
