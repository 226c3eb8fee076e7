"""Bulk loads: a loader's scratch space on the store, and the one transaction that writes.

A loader (police.uk's ``ingest``) parses files to Arrow, registers them in a
:class:`Staging` and checks every value there in SQL; only then does it hand the
store a :class:`LoadBatch` naming the staged, checked rows. The store writes the
batch in ONE transaction: each dataset (kind, force, month) it provides replaces
any earlier load of it, the rows go in, and every file's provenance and refused
rows are recorded; on any failure it rolls back and the store is as it was.

Staging shares the store's DuckDB connection on purpose: the checked rows go
from the registered Arrow tables into the store tables without a copy (a second
database would add an Arrow round trip of every row, about 5 % of a full
ingest). Its SQL is the loader's own; a statement naming a table that is not
declared open is refused, so staging cannot become a way round
:meth:`AnalyticsStore.read_sensitive` by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from .schema import KIND_TABLES
from .sensitive import SensitiveAccessError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# street.lsoa_vintage / outcomes.lsoa_vintage hold the file's vintage as a number.
_VINTAGE_NUMBER = {"2011": 2011, "2021": 2021}


class Staging:
    """Scratch relations for one bulk load, on the store's connection."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, stored: frozenset[str], closed: frozenset[str]
    ) -> None:
        self._con = con
        self._stored = stored  # the store's own tables: not to be shadowed
        self._closed = closed  # tables not declared open: not to be named
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


def write_batch(con: duckdb.DuckDBPyConnection, staging: Staging, batch: LoadBatch) -> int:
    """Write ``batch`` in one transaction; return how many datasets it replaced."""
    for staged in batch.rows:
        if staged.kind not in KIND_TABLES or not _NAME.match(staged.relation):
            raise ValueError(f"cannot load {staged.kind!r} rows from {staged.relation!r}")
        for column, expression in staged.columns.items():
            if not _NAME.match(column):
                raise ValueError(f"not a column name: {column!r}")
            staging._allowed(expression)
    con.execute("BEGIN TRANSACTION")
    try:
        next_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]
        load_ids = [next_id + i for i in range(len(batch.files))]
        con.register(
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
                    "load_id": pa.array(
                        [load_ids[d.file] for d in batch.datasets], type=pa.int32()
                    ),
                }
            ),
        )
        replaced = con.execute(
            "SELECT DISTINCT d.load_id, count(*) OVER () FROM datasets d JOIN new_keys n "
            "ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month"
        ).fetchall()
        for kind in {d.kind for d in batch.datasets}:
            con.execute(
                f"DELETE FROM {KIND_TABLES[kind]} t USING new_keys n WHERE n.kind = ? "
                "AND t.force = n.force AND strftime(t.month, '%Y-%m') = n.month",
                [kind],
            )
        con.execute(
            "UPDATE loads SET replaced_by_run = ? WHERE load_id IN (SELECT d.load_id FROM datasets d "
            "JOIN new_keys n ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month)",
            [batch.run_id],
        )
        con.execute(
            "DELETE FROM datasets d USING new_keys n WHERE d.kind = n.kind AND d.force = n.force "
            "AND strftime(d.month, '%Y-%m') = n.month"
        )
        for staged in batch.rows:
            con.execute(
                f"INSERT INTO {KIND_TABLES[staged.kind]} ({', '.join(staged.columns)}) "
                f"SELECT {', '.join(staged.columns.values())} FROM ("
                f"SELECT g.*, fl.load_id AS _load_id, fl.vintage AS _vintage FROM {staged.relation} g "
                f"JOIN file_load fl USING (_file)) s"
            )
        con.execute(
            "INSERT INTO datasets SELECT n.kind, n.force, strptime(n.month || '-01', '%Y-%m-%d')::DATE, "
            "n.load_id, 0 FROM new_keys n"
        )
        for staged in batch.rows:
            con.execute(
                f"UPDATE datasets d SET rows = c.n FROM (SELECT load_id, force, month, count(*) AS n "
                f"FROM {KIND_TABLES[staged.kind]} WHERE load_id >= ? GROUP BY ALL) c "
                "WHERE d.kind = ? AND d.load_id = c.load_id AND d.force = c.force AND d.month = c.month",
                [next_id, staged.kind],
            )
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
                        "load_id": pa.array(
                            [load_ids[r.file] for r in batch.rejects], type=pa.int32()
                        ),
                        "source": [r.source for r in batch.rejects],
                        "line": pa.array([r.line for r in batch.rejects], type=pa.int32()),
                        "field": [r.field for r in batch.rejects],
                        "reason": [r.reason for r in batch.rejects],
                        "raw": [r.raw for r in batch.rejects],
                    }
                ),
            )
            con.execute("INSERT INTO rejects SELECT * FROM new_rejects")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(replaced[0][1]) if replaced else 0
