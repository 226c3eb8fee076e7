"""Parquet part files: where police.uk rows are kept since schema 5, and why.

The DuckDB file is the catalogue (loads, datasets, rejects, the ``parts`` table and
the personal tables); the police.uk rows are Parquet files in a folder beside it::

    store.duckdb
    store.duckdb.parts/street/force=kent/<run>_<chunk>_<i>.parquet
    store.duckdb.parts/outcomes/force=kent/…
    store.duckdb.parts/stop_search/force=kent/…

Why Parquet, and why this layout (measured in ``benchmarks/bench_national.py``):

- **Size.** DuckDB's own storage took 62 bytes a street row, more than the 44 of the
  gzip CSV it came from; Parquet with zstd, sorted by force, crime type and month
  (long runs of one value), stays under the gzip CSV. Most of what is left is the
  64-hex crime identifier, which no encoding shrinks below its 32 bytes of entropy.
- **Streaming loads.** A load writes each chunk's rows as files while it goes, so
  its memory is a chunk's, not the whole load's, and it still commits once: a file
  is part of the store only once the ``parts`` table names it, and that table and
  the views change in the load's one transaction. A refused or failed load deletes
  the files it wrote; a crashed one leaves files no row names, which the next
  writer removes once they are an hour old (a younger one may be another writer's
  in this process, between its write and its commit).
- **Pruning.** One folder per force (hive style) lets DuckDB skip every other
  force's files unopened for a one-force question; within a file, row groups
  sorted by crime type let "drugs only" read only the drugs row groups.
- **Other engines.** Spark (and anything else that reads Parquet) reads the same
  files; the ``parts`` table says which are live.

``street``, ``outcomes`` and ``stop_search`` are views, rewritten by each load over
the live files (absolute paths: a view is SQL, and DuckDB resolves a relative path
against the working directory, not the database) and the ``*_rows`` tables that
keep the rows loaded before schema 5. A store moved with its parts folder still
reads: opening notices the folder has moved and redefines the views (read-write),
or shadows them with temporary views pointing at the new place (read-only).

Replacing a force-month rewrites each live file holding it without that month
(police.uk re-publishes months, so a reload is rare); the file it replaced is
deleted after the commit. No reader in another process can have the old list open
then, because DuckDB lets no other process open the file while one writes it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from .schema import KIND_TABLES

PARTS_SUFFIX = ".parts"
# Sort order inside a part: the columns questions filter on, longest runs first.
_SORT = {
    "street": "force, crime_type, month, load_id, line",
    "outcomes": "force, outcome_type, month, load_id, line",
    "stop_search": "force, month, object_of_search, load_id, line",
}
_ORPHAN_AGE_S = 3600.0
_META_ROOT = "parts_root"


def parts_root(db_path: Path) -> Path:
    """The folder of part files that belongs to the store at ``db_path``."""
    return db_path.with_name(db_path.name + PARTS_SUFFIX)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [f"{table}_rows"],
        ).fetchall()
    ]


def view_sql(con: duckdb.DuckDBPyConnection, table: str, root: Path) -> str:
    """The SELECT behind view ``table``: the live part files and the older rows."""
    kind = next(k for k, t in KIND_TABLES.items() if t == table)
    files = [
        str(root / str(p))
        for (p,) in con.execute(
            "SELECT path FROM parts WHERE kind = ? ORDER BY path", [kind]
        ).fetchall()
    ]
    columns = ", ".join(_columns(con, table))
    selects = []
    older = con.execute(f"SELECT count(*) FROM {table}_rows").fetchall()[0][0]
    if older or not files:
        selects.append(f"SELECT {columns} FROM {table}_rows")
    if files:
        listed = ", ".join(_literal(f) for f in files)
        selects.append(
            f"SELECT {columns} FROM read_parquet([{listed}], hive_partitioning = true, "
            "hive_types_autocast = false)"
        )
    return " UNION ALL ".join(selects)


def define_views(
    con: duckdb.DuckDBPyConnection, root: Path, tables: Sequence[str], *, temporary: bool = False
) -> None:
    """(Re)define the row views of ``tables`` over their live files under ``root``."""
    scope = "TEMP VIEW" if temporary else "VIEW"
    for table in tables:
        con.execute(f"CREATE OR REPLACE {scope} {table} AS {view_sql(con, table, root)}")
    if not temporary:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [_META_ROOT, str(root.resolve())])


def recorded_root(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [_META_ROOT]).fetchall()
    return str(rows[0][0]) if rows else None


def has_parts(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM parts").fetchall()[0][0])


def remove_orphans(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Delete part files no ``parts`` row names that are over an hour old (crashed loads)."""
    if not root.is_dir():
        return 0
    live = {str(p) for (p,) in con.execute("SELECT path FROM parts").fetchall()}
    cutoff = time.time() - _ORPHAN_AGE_S
    removed = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if not name.endswith(".parquet") or path.relative_to(root).as_posix() in live:
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
    return removed


def delete_files(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sort_order(table: str) -> str:
    return _SORT[table]
