"""Bulk loads: a loader's scratch space on the store, and the one transaction that writes.

A loader (police.uk's ``ingest``) parses files to Arrow, registers them in a
:class:`Staging` and checks every value there in SQL; only then does it hand the
store a :class:`LoadBatch` naming the staged, checked rows. The store writes the
batch inside the load's ONE transaction: each dataset (kind, force, month) it
provides replaces any earlier load of it, the rows go into Parquet part files
(:mod:`.parts`), and every file's provenance and refused rows are recorded; on any
failure it rolls back, deletes the files it wrote, and the store is as it was.

A big load is written as several batches (chunks of its files) in that one
transaction, so its memory is one chunk's: the rows leave memory as part files
while the transaction stays open, and become the store's only when it commits.

Staging shares the store's DuckDB connection on purpose: the checked rows go
from the registered Arrow tables into the part files without a copy (a second
database would add an Arrow round trip of every row, about 5 % of a full
ingest). Its SQL is the loader's own; a statement naming a table that is not
declared open is refused, so staging cannot become a way round
:meth:`AnalyticsStore.read_sensitive` by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import duckdb
import pyarrow as pa

from .parts import sort_order
from .schema import KIND_TABLES
from .sensitive import SensitiveAccessError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# street.lsoa_vintage / outcomes.lsoa_vintage hold the file's vintage as a number.
_VINTAGE_NUMBER = {"2011": 2011, "2021": 2021}


class Staging:
    """Scratch relations for one bulk load (one chunk of it), on a cursor of its own.

    A cursor, not the load's connection: DuckDB keeps an Arrow table registered on a
    connection in the middle of a transaction until that transaction ends, even once
    unregistered, so staging every chunk on the load's connection held every chunk's
    rows until the commit (23 GB, then killed, on the national archive). The cursor's
    staged tables and views go with it at :meth:`release`; the rows reach the part
    files from here (:func:`write_batch`), and only the catalogue's rows are written
    in the load's transaction.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, stored: frozenset[str], closed: frozenset[str]
    ) -> None:
        self._con = con
        self._stored = stored  # the store's own tables: not to be shadowed
        self._closed = closed  # tables not declared open: not to be named
        self._registered: set[str] = set()
        self._mentions = (
            re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(closed)) + r")\b", re.I)
            if closed
            else None
        )

    def _allowed(self, sql: str) -> str:
        hit = self._mentions.search(sql) if self._mentions else None
        if hit:
            raise SensitiveAccessError(
                f"staging SQL names {hit.group(1)!r}, which is not open data; "
                "read it with read_sensitive and an access checker"
            )
        return sql

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name`` for the rest of the load."""
        if not _NAME.match(name) or name.lower() in self._stored:
            raise ValueError(f"cannot stage a relation named {name!r}")
        self._con.register(name, table)
        self._registered.add(name)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The cursor the staged relations live on (the part files are written from it)."""
        return self._con

    def release(self) -> None:
        """Let go of every staged Arrow table and view (a streaming load's chunk is done)."""
        for name in sorted(self._registered):
            self._con.unregister(name)
        self._registered.clear()
        self._con.close()

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement over staged relations (typically ``CREATE TEMP VIEW``)."""
        self._con.execute(self._allowed(sql), list(params))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query over staged relations."""
        return self._con.execute(self._allowed(sql), list(params)).fetchall()


@dataclass(frozen=True)
class NewLoad:
    """One file's provenance; the store gives it its ``load_id``."""

    source: str
    file_name: str
    size_bytes: int
    sha256: str
    kind: str
    force: str
    month: str  # first month provided
    months: int
    rows_loaded: int
    rows_rejected: int
    rows_without_location: int
    lsoa_vintage: str  # '2011', '2021', 'mixed', 'either' or 'none'
    lenient: bool


@dataclass(frozen=True)
class DatasetKey:
    """A dataset the batch provides, and which of its files provides it."""

    kind: str
    force: str
    month: str  # 'YYYY-MM'
    file: int  # index into LoadBatch.files


@dataclass(frozen=True)
class StagedRows:
    """Checked rows of one kind, in a staged relation with an ``_file`` column.

    ``columns`` maps each target column to an SQL expression over ``s``: the
    staged row plus ``s._load_id`` (its file's new load id) and ``s._vintage``
    (its file's LSOA vintage as a number, or NULL).
    """

    kind: str
    relation: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class NewReject:
    file: int  # index into LoadBatch.files
    source: str
    line: int
    field: str
    reason: str
    raw: str | None


@dataclass(frozen=True)
class LoadBatch:
    run_id: str
    loaded_at: datetime  # UTC, naive
    loaded_by: str | None
    files: Sequence[NewLoad]
    datasets: Sequence[DatasetKey]
    rows: Sequence[StagedRows]
    rejects: Sequence[NewReject] = ()


@dataclass
class LoadFiles:
    """The part files one load has written, and the live ones it has superseded.

    Files are written as the load goes; whether they count is the transaction's
    business (the ``parts`` table). After a commit the superseded files go; after a
    rollback the written ones do.
    """

    root: Path
    run_id: str
    written: list[Path] = field(default_factory=list)
    superseded: list[Path] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    chunks: int = 0


def _typed_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(n), str(t))
        for n, t in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [f"{table}_rows"],
        ).fetchall()
    ]


def write_batch(
    con: duckdb.DuckDBPyConnection, staging: Staging, batch: LoadBatch, files: LoadFiles
) -> int:
    """Write ``batch`` inside the caller's open transaction; return the datasets it replaced.

    A load may call this once per chunk of its files (a streaming load): each call
    takes the next load ids, so the chunks of one load read as one.
    """
    for staged in batch.rows:
        if staged.kind not in KIND_TABLES or not _NAME.match(staged.relation):
            raise ValueError(f"cannot load {staged.kind!r} rows from {staged.relation!r}")
        for column, expression in staged.columns.items():
            if not _NAME.match(column):
                raise ValueError(f"not a column name: {column!r}")
            staging._allowed(expression)
    files.chunks += 1
    chunk = files.chunks
    next_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]
    load_ids = [next_id + i for i in range(len(batch.files))]
    staging.connection.register(
        "file_load",
        pa.table(
            {
                "_file": pa.array(range(len(batch.files)), type=pa.int32()),
                "load_id": pa.array(load_ids, type=pa.int32()),
                "vintage": pa.array(
                    [_VINTAGE_NUMBER.get(f.lsoa_vintage) for f in batch.files],
                    type=pa.int16(),
                ),
            }
        ),
    )
    con.register(
        "new_keys",
        pa.table(
            {
                "kind": [d.kind for d in batch.datasets],
                "force": [d.force for d in batch.datasets],
                "month": [d.month for d in batch.datasets],
                "load_id": pa.array([load_ids[d.file] for d in batch.datasets], type=pa.int32()),
            }
        ),
    )
    replaced = con.execute(
        "SELECT DISTINCT d.load_id, count(*) OVER () FROM datasets d JOIN new_keys n "
        "ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month"
    ).fetchall()
    for kind in {d.kind for d in batch.datasets}:
        table = KIND_TABLES[kind]
        files.tables.add(table)
        con.execute(
            f"DELETE FROM {table}_rows t USING new_keys n WHERE n.kind = ? "
            "AND t.force = n.force AND strftime(t.month, '%Y-%m') = n.month",
            [kind],
        )
        _drop_months_from_parts(con, kind, table, files, chunk)
    con.execute(
        "UPDATE loads SET replaced_by_run = ? WHERE load_id IN (SELECT d.load_id FROM datasets d "
        "JOIN new_keys n ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month)",
        [batch.run_id],
    )
    con.execute(
        "DELETE FROM datasets d USING new_keys n WHERE d.kind = n.kind AND d.force = n.force "
        "AND strftime(d.month, '%Y-%m') = n.month"
    )
    con.execute(
        "INSERT INTO datasets SELECT n.kind, n.force, strptime(n.month || '-01', '%Y-%m-%d')::DATE, "
        "n.load_id, 0 FROM new_keys n"
    )
    for staged in batch.rows:
        _write_parts(con, staging.connection, staged, files, chunk)
    con.executemany(
        "INSERT INTO loads (load_id, run_id, loaded_at, source, file_name, size_bytes, sha256, "
        "kind, force, month, months, rows_loaded, rows_rejected, rows_without_location, "
        "lsoa_vintage, lenient, replaced_by_run, loaded_by) VALUES ("
        + ", ".join("?" * 18)
        + ")",
        [
            [
                load_ids[i], batch.run_id, batch.loaded_at, f.source, f.file_name, f.size_bytes,
                f.sha256, f.kind, f.force, f.month, f.months, f.rows_loaded, f.rows_rejected,
                f.rows_without_location, f.lsoa_vintage, f.lenient, None, batch.loaded_by,
            ]
            for i, f in enumerate(batch.files)
        ],
    )  # fmt: skip
    if batch.rejects:
        con.register(
            "new_rejects",
            pa.table(
                {
                    "load_id": pa.array([load_ids[r.file] for r in batch.rejects], type=pa.int32()),
                    "source": [r.source for r in batch.rejects],
                    "line": pa.array([r.line for r in batch.rejects], type=pa.int32()),
                    "field": [r.field for r in batch.rejects],
                    "reason": [r.reason for r in batch.rejects],
                    "raw": [r.raw for r in batch.rejects],
                }
            ),
        )
        con.execute("INSERT INTO rejects SELECT * FROM new_rejects")
        con.unregister("new_rejects")
    con.unregister("new_keys")
    staging.connection.unregister("file_load")
    return int(replaced[0][1]) if replaced else 0


def _write_parts(
    con: duckdb.DuckDBPyConnection,
    staged_on: duckdb.DuckDBPyConnection,
    staged: StagedRows,
    files: LoadFiles,
    chunk: int,
) -> None:
    """The staged rows as part files, one per force, and their rows in ``datasets``.

    The files are written from the staging cursor ``staged_on``, where the rows are;
    what they hold is recorded on ``con``, in the load's transaction.
    """
    table = KIND_TABLES[staged.kind]
    # Every column of the table, typed as the table has it, so that all parts of a
    # kind have one schema whatever a loader provides.
    selected = ", ".join(
        f"CAST({staged.columns[name]} AS {kind}) AS {name}"
        if name in staged.columns
        else f"CAST(NULL AS {kind}) AS {name}"
        for name, kind in _typed_columns(con, table)
    )
    rows_sql = (
        f"SELECT {selected} FROM (SELECT g.*, fl.load_id AS _load_id, fl.vintage AS _vintage "
        f"FROM {staged.relation} g JOIN file_load fl USING (_file)) s"
    )
    folder = files.root / table
    folder.mkdir(parents=True, exist_ok=True)
    # Straight from the staged rows to the files: no copy of the chunk in between.
    written = staged_on.execute(
        f"COPY ({rows_sql} ORDER BY {sort_order(table)}) TO {_literal(str(folder))} "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (force), WRITE_PARTITION_COLUMNS true, "
        "OVERWRITE_OR_IGNORE true, RETURN_FILES true, "
        f"FILENAME_PATTERN {_literal(f'{files.run_id}_{chunk}_{{i}}')})"
    ).fetchall()
    paths = [Path(p) for p in (written[0][1] if written else [])]
    if not paths:
        return
    files.written.extend(paths)
    listed = [str(p) for p in paths]
    # What the files hold, read back from them (three small columns): the rows each
    # dataset now has, and the months each file holds.
    con.execute(
        "UPDATE datasets d SET rows = c.n FROM (SELECT load_id, force, month, count(*) AS n "
        "FROM read_parquet(?) GROUP BY ALL) c "
        "WHERE d.kind = ? AND d.load_id = c.load_id AND d.force = c.force AND d.month = c.month",
        [listed, staged.kind],
    )
    months = {
        str(force): list(ms)
        for force, ms in con.execute(
            "SELECT force, list(DISTINCT month ORDER BY month) FROM read_parquet(?) GROUP BY force",
            [listed],
        ).fetchall()
    }
    _record_parts(con, staged.kind, paths, months, files)


def _record_parts(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    paths: Sequence[Path],
    months: Mapping[str, list[object]],
    files: LoadFiles,
) -> None:
    rows = {
        str(name): int(n)
        for name, n in con.execute(
            "SELECT file_name, sum(num_rows) FROM parquet_file_metadata(?) GROUP BY ALL",
            [[str(p) for p in paths]],
        ).fetchall()
    }
    con.executemany(
        "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                path.relative_to(files.root).as_posix(), kind, _force_of(path),
                months[_force_of(path)], rows[str(path)], path.stat().st_size, files.run_id,
            ]
            for path in paths
        ],
    )  # fmt: skip


def _force_of(path: Path) -> str:
    folder = path.parent.name
    if not folder.startswith("force="):
        raise ValueError(f"not a part file's folder: {path}")
    return unquote(folder.removeprefix("force="))


def _drop_months_from_parts(
    con: duckdb.DuckDBPyConnection, kind: str, table: str, files: LoadFiles, chunk: int
) -> None:
    """Rewrite each live part holding a replaced force-month without it."""
    hit = con.execute(
        "SELECT p.path, p.force, p.months, list(DISTINCT n.month) FROM parts p JOIN new_keys n "
        "ON n.kind = p.kind AND n.force = p.force AND list_contains(p.months, "
        "strptime(n.month || '-01', '%Y-%m-%d')::DATE) WHERE p.kind = ? GROUP BY ALL",
        [kind],
    ).fetchall()
    for index, (rel, force, months, gone) in enumerate(hit):
        old = files.root / str(rel)
        keep = [m for m in months if m.strftime("%Y-%m") not in set(gone)]
        con.execute("DELETE FROM parts WHERE path = ?", [rel])
        files.superseded.append(old)
        if not keep:
            continue
        new = old.with_name(f"{files.run_id}_{chunk}_r{index}.parquet")
        con.execute(
            f"COPY (SELECT * FROM read_parquet({_literal(str(old))}) "
            "WHERE strftime(month, '%Y-%m') NOT IN (SELECT unnest(?::VARCHAR[])) "
            f"ORDER BY {sort_order(table)}) TO {_literal(str(new))} "
            "(FORMAT parquet, COMPRESSION zstd)",
            [list(gone)],
        )
        files.written.append(new)
        _record_parts(con, kind, [new], {str(force): keep}, files)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
