"""The SQL engine interface, and the DuckDB engine (the default: the SQL runs as written).

Statements are written in DuckDB's dialect. Parameters are ``?`` (in order) or
``$1`` … (by position), as DuckDB takes them. The interface is what the detector
needs and no more: run a statement, fetch its rows as tuples, load a few rows of
Python values as a temporary table, expose Parquet or Arrow data as a table, and
fetch a larger result as an Arrow table (the hand-off from a distributed engine back
to this machine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import duckdb
import pyarrow as pa

from harmwatch.errors import InputError, UserError

#: The engines a caller may choose (``--engine``).
ENGINES = ("duckdb", "spark")


class EngineUnavailable(UserError):
    """The chosen engine cannot start here (Java or PySpark missing); says what to install."""


@dataclass(frozen=True)
class EngineChoice:
    """Which engine runs the scalable part of an analysis, and where its input is.

    ``master`` is Spark's (``local[2]``, ``spark://host:7077``, ``yarn``). A cluster's
    executors cannot read this machine's temporary folder, so with a master that is
    not ``local…`` the visible rows are either exported to ``stage_dir`` (a folder on
    storage every executor mounts at the same path) or read from ``calls_parquet``
    (the ``calls`` table's columns in Parquet on shared storage; still limited to the
    caller's visible files). ``driver_memory`` is the Spark driver's heap — in local
    mode the one JVM that also runs the executors.

    ``parquet_in_place`` says the input is already Parquet that the executors read
    where it lies: police.uk's part files (:mod:`harmwatch.engines.policeuk`), so a
    cluster needs the store on shared storage, and ``stage_dir`` only for the rows
    kept outside the part files, which the run checks when it finds any.
    """

    name: str = "duckdb"
    master: str = "local[2]"
    calls_parquet: str | None = None
    stage_dir: Path | None = None
    driver_memory: str = "2g"
    parquet_in_place: bool = False

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InputError(f"engine: {self.name!r} is not one of {', '.join(ENGINES)}")
        if self.name == "spark":
            if not self.master.strip():
                raise InputError("master: give a Spark master such as local[2]")
            staged = self.calls_parquet is None and not self.parquet_in_place
            if not self.is_local and staged and self.stage_dir is None:
                raise InputError(
                    f"master {self.master}: a cluster's executors cannot read this machine's "
                    "temporary folder; give --stage-dir (a folder every executor mounts at the "
                    "same path) or --calls-parquet (the call rows on shared storage)"
                )

    @property
    def is_local(self) -> bool:
        return self.master.strip().startswith("local")


@runtime_checkable
class SqlEngine(Protocol):
    """Runs DuckDB-dialect SQL; rows come back as tuples of Python values."""

    name: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table: ...

    def load_rows(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """``table`` (temporary, replaced) with ``columns`` (name, DuckDB type) and ``rows``."""
        ...

    def register_parquet(self, table: str, path: str | Sequence[str]) -> None:
        """Expose the Parquet file or folder at ``path`` (or the files listed) as ``table``
        (temporary)."""
        ...

    def register_arrow(self, table: str, data: pa.Table) -> None:
        """Copy ``data`` into the temporary table ``table`` (replaced)."""
        ...


class DuckDBEngine:
    """A DuckDB connection behind the interface: every statement runs exactly as written."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.con.execute(sql, list(params) if params else None)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params) if params else None).fetchall()

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table()

    def load_rows(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        defined = ", ".join(f"{name} {kind}" for name, kind in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({defined})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(r) for r in rows])

    def register_parquet(self, table: str, path: str | Sequence[str]) -> None:
        # A view cannot take a prepared parameter: the paths go in as quoted literals.
        paths = [path] if isinstance(path, str) else list(path)
        quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM read_parquet([{quoted}])"
        )

    def register_arrow(self, table: str, data: pa.Table) -> None:
        # A registered Arrow object lives outside the catalogue; copying it makes the
        # table an ordinary temporary table that outlives the Python object.
        scratch = f"{table}__arrow"
        self.con.register(scratch, data)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {scratch}")
        finally:
            self.con.unregister(scratch)


def as_engine(db: SqlEngine | duckdb.DuckDBPyConnection) -> SqlEngine:
    """``db`` as an engine: a bare DuckDB connection is wrapped, an engine returned as is."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        return DuckDBEngine(db)
    return db
