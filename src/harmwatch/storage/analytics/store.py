"""The analytics store: one DuckDB file, opened once per task, asked typed questions.

Every verb that reads police.uk rows (hotspots, trends, change, evaluation,
status) and the loader that writes them go through :class:`AnalyticsStore`, so
that the SQL against the store lives here, next to the schema it depends on
(:mod:`~harmwatch.storage.analytics.migrations`), and a schema step can change a
query in the same place. Methods answer with plain values (named tuples,
dataclasses of numpy arrays); none hands out a cursor.

Opening runs the schema steps the file lacks (see the migrations module for why
a read-only open upgrades first). Big row tables carry no indexes or keys on
purpose: DuckDB scans are fast and ART indexes make the delete-and-replace of a
force-month slow.

Tables of personal data are read only through :meth:`AnalyticsStore.read_sensitive`
(:mod:`~harmwatch.storage.analytics.sensitive`); every other query names only
tables the schema declares open, and says which.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np

from harmwatch.engines.sql import DuckDBEngine, SqlEngine
from harmwatch.errors import InputError, NotFoundError

from . import migrations, parts
from .aggregate import (
    DISTRICT_SQL,
    StreetGroups,
    month_counts,
    month_type_counts,
    sql_in,
    street_groups,
    street_where,
)
from .loading import LoadBatch, LoadFiles, Staging, write_batch
from .migrations import AppliedMigration, SchemaError
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
from .schema import KIND_TABLES, TABLES, Sensitivity, sensitivity_of
from .sensitive import SensitiveAccess, SensitiveAccessError, TableQuery, TableRows

# One in-process upgrade at a time; readers that meet it wait for it (see _connect_read_only).
_UPGRADE_LOCK = threading.Lock()
# How long an upgrade waits for this process's other read-only connections to close.
_UPGRADE_WAIT_S = 5.0

_LOAD_COLUMNS = (
    "load_id", "run_id", "loaded_at", "source", "file_name", "size_bytes", "sha256", "kind",
    "force", "month", "months", "rows_loaded", "rows_rejected", "rows_without_location",
    "lsoa_vintage", "lenient", "loaded_by",
)  # fmt: skip


def copy_store(source: str | Path, target: str | Path) -> Path:
    """Copy the store at ``source`` (its DuckDB file and its parts folder) to ``target``.

    Part files are never changed once written (a load writes new ones), so the
    copy hard-links them where it can: instant, and no extra disk.
    """
    source, target = Path(source), Path(target)
    if not source.exists():
        raise StoreMissingError(f"{source}: no analytics database here to copy")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    src_root, dst_root = parts.parts_root(source), parts.parts_root(target)
    if dst_root.exists():
        shutil.rmtree(dst_root)
    if src_root.is_dir():

        def link(src: str, dst: str) -> None:
            try:
                os.link(src, dst)
            except OSError:  # another file system, or links not allowed: copy
                shutil.copy2(src, dst)

        shutil.copytree(src_root, dst_root, copy_function=link)
    return target


class StoreMissingError(NotFoundError, FileNotFoundError):
    """No analytics database at that path yet (also a FileNotFoundError, as it used to be)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # This process holds the file read-write: an upgrade under way. Wait for it.
        with _UPGRADE_LOCK:
            pass
        return duckdb.connect(str(path), read_only=True)


def _upgrade(path: Path, version: int) -> None:
    """Bring the store at ``path`` to the latest schema with a short read-write open."""
    latest = migrations.LATEST_VERSION
    what = (
        f"{path}: this analytics database has schema {version} and this harmwatch needs "
        f"schema {latest}; it upgrades the file in place, but"
    )
    with _UPGRADE_LOCK:
        deadline = time.monotonic() + _UPGRADE_WAIT_S
        while True:
            try:
                con = duckdb.connect(str(path))
                break
            except duckdb.ConnectionException as exc:
                # Another thread of this process still has it open read-only.
                if time.monotonic() > deadline:
                    raise SchemaError(
                        f"{what} this process kept it open read-only; try again"
                    ) from exc
                time.sleep(0.05)
            except duckdb.IOException as exc:
                reason = str(exc).split(" However,")[0]
                raise SchemaError(
                    f"{what} could not open it for writing ({reason}). Close whatever else has "
                    f"it open, then run `harmwatch status --db {path}` once as a user who may "
                    "write it"
                ) from exc
        try:
            migrations.migrate(con)
        finally:
            con.close()


class LoadTransaction:
    """A load under way (:meth:`AnalyticsStore.load`): write batches, then leave the block."""

    def __init__(self, con: duckdb.DuckDBPyConnection, files: LoadFiles) -> None:
        self._con = con
        self._files = files
        self.replaced = 0

    def write(self, staging: Staging, batch: LoadBatch) -> int:
        """Write one batch; return the datasets it replaced (they add up in ``replaced``)."""
        n = write_batch(self._con, staging, batch, self._files)
        self.replaced += n
        return n


class AnalyticsStore:
    """An open analytics database. Use :meth:`open`, as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = True) -> AnalyticsStore:
        """Open the store at ``path``, bringing its schema up to date.

        Read-write creates the file (and its folder) when missing. Read-only
        refuses a missing file with :class:`StoreMissingError`, and upgrades an
        old schema first (:func:`_upgrade`), or refuses with :class:`SchemaError`
        when it cannot. A store newer than this code is refused either way.
        """
        path = Path(path)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path))
            try:
                migrations.migrate(con)
                store = cls(con, path, read_only=False)
                store._place_views()
            except BaseException:
                con.close()
                raise
            return store
        if not path.exists():
            raise StoreMissingError(
                f"{path}: no analytics database here yet; load police.uk files first (the Data page, or `harmwatch ingest`)"
            )
        for attempt in range(2):
            con = _connect_read_only(path)
            try:
                todo = migrations.pending(con)
                version = migrations.stored_version(con)
            except BaseException:
                con.close()
                raise
            if not todo:
                store = cls(con, path, read_only=True)
                try:
                    store._place_views()
                except BaseException:
                    con.close()
                    raise
                return store
            con.close()
            if attempt == 0:
                _upgrade(path, version)
        raise SchemaError(f"{path}: the analytics database is still at schema {version}")

    def close(self) -> None:
        self._con.close()

    @property
    def parts_root(self) -> Path:
        """The folder of this store's Parquet part files (see :mod:`.parts`)."""
        return parts.parts_root(self.path)

    def part_files(self, kind: str | None = None) -> list[Path]:
        """The live Parquet part files (of one kind, or all), for engines that read Parquet."""
        if kind is not None and kind not in KIND_TABLES:
            raise InputError(f"no such kind of police.uk data: {kind!r}")
        rows = self._rows(
            ("parts",),
            "SELECT path FROM parts WHERE ? IS NULL OR kind = ? ORDER BY path",
            [kind, kind],
        )
        return [self.parts_root / str(r[0]) for r in rows]

    def _place_views(self) -> None:
        """Point the row views at this store's parts folder, wherever the store now is."""
        root = self.parts_root
        if not parts.has_parts(self._con):
            return
        if parts.recorded_root(self._con) == str(root.resolve()):
            if not self.read_only:
                parts.remove_orphans(self._con, root)
            return
        if not root.is_dir():
            raise StoreMissingError(
                f"{self.path}: this store's rows are in its parts folder, {root}, which is "
                f"missing (they were loaded at {parts.recorded_root(self._con)}); copy or move "
                "the store with its .parts folder (harmwatch.storage.analytics.copy_store)"
            )
        # Moved (or copied) with its parts folder: the views name the old place.
        parts.define_views(self._con, root, list(KIND_TABLES.values()), temporary=self.read_only)

    def __enter__(self) -> AnalyticsStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    @staticmethod
    def _check_open(tables: Sequence[str]) -> None:
        """Each of this class's queries names its tables; every one must be declared open."""
        for table in tables:
            if sensitivity_of(table) is not Sensitivity.OPEN:
                raise SensitiveAccessError(
                    f"{table} is not open data; read it with read_sensitive and an access checker"
                )

    def _rows(
        self, tables: Sequence[str], sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        self._check_open(tables)
        return self._con.execute(sql, list(params)).fetchall()

    def _numpy(
        self, tables: Sequence[str], sql: str, params: Sequence[object] = ()
    ) -> dict[str, Any]:
        self._check_open(tables)
        return dict(self._con.execute(sql, list(params)).fetchnumpy())

    def _catalog_tables(self) -> list[str]:
        return [
            str(r[0])
            for r in self._con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' UNION SELECT view_name FROM duckdb_views() "
                "WHERE database_name = current_database() AND schema_name = 'main' "
                "AND NOT internal ORDER BY 1"
            ).fetchall()
        ]

    # -- schema -----------------------------------------------------------------

    def schema_version(self) -> int:
        return migrations.stored_version(self._con)

    def applied_migrations(self) -> list[AppliedMigration]:
        """The schema steps recorded in ``schema_migrations``, oldest first."""
        return migrations.applied(self._con)

    def tables(self) -> list[str]:
        """The store's tables (see :meth:`sensitivity` for how each may be read)."""
        return self._catalog_tables()

    @staticmethod
    def sensitivity(table: str) -> Sensitivity:
        return sensitivity_of(table)

    # -- street crimes ----------------------------------------------------------

    def street_forces(self) -> list[str]:
        """Forces with street crimes loaded, sorted."""
        return [
            r[0] for r in self._rows(("street",), "SELECT DISTINCT force FROM street ORDER BY 1")
        ]

    def street_crime_types(self, forces: Sequence[str] | None = None) -> list[str]:
        """Crime types present among ``forces``' street crimes (every force: None), sorted."""
        where, params = street_where(StreetScope(forces=None if forces is None else tuple(forces)))
        return [
            r[0]
            for r in self._rows(
                ("street",),
                f"SELECT DISTINCT crime_type FROM street WHERE {where} ORDER BY 1",
                params,
            )
        ]

    def street_months(self, scope: StreetScope) -> list[str]:
        """Months ('YYYY-MM') holding at least one street crime in ``scope``, sorted."""
        where, params = street_where(scope)
        return [
            r[0]
            for r in self._rows(
                ("street",),
                f"SELECT DISTINCT strftime(month, '%Y-%m') FROM street WHERE {where} ORDER BY 1",
                params,
            )
        ]

    def street_groups(self, scope: StreetScope, engine: SqlEngine | None = None) -> StreetGroups:
        """The street crimes in ``scope``, located or not, grouped (:mod:`.aggregate`).

        ``engine`` None runs the aggregation on this store's connection; another
        engine (Spark, :mod:`harmwatch.engines.policeuk`) must have this store's
        ``street`` rows as its table ``street``.
        """
        self._check_open(("street",))
        return street_groups(engine or DuckDBEngine(self._con), scope)

    def street_points(self, scope: StreetScope) -> StreetPoints:
        """The located street crimes in ``scope``, one entry per crime, in a fixed order.

        The order is the groups' (by map point, month, force, LSOA), so every figure
        that depends on order (ties in a ranking, float sums) is repeatable.
        """
        return self.street_groups(scope).points()

    def rows_outside_parts(self, kind: str = "street") -> int:
        """Rows of ``kind`` kept in the table of rows loaded before the part files."""
        table = f"{KIND_TABLES[kind]}_rows"
        return int(self._rows((table,), f"SELECT count(*) FROM {table}")[0][0])

    def export_rows_outside_parts(self, target: Path, kind: str = "street") -> None:
        """Write the rows :meth:`rows_outside_parts` counts to the Parquet file ``target``."""
        table = f"{KIND_TABLES[kind]}_rows"
        self._check_open((table,))
        quoted = "'" + str(target).replace("'", "''") + "'"
        self._con.execute(f"COPY (SELECT * FROM {table}) TO {quoted} (FORMAT parquet)")

    def street_count(self, scope: StreetScope, *, located: bool | None = None) -> int:
        """Street crimes in ``scope``: all, only located (True) or only unlocated (False)."""
        where, params = street_where(scope)
        if located is not None:
            where += " AND x IS NOT NULL" if located else " AND x IS NULL"
        return int(
            self._rows(("street",), f"SELECT count(*) FROM street WHERE {where}", params)[0][0]
        )

    def street_counts_by_month(
        self, scope: StreetScope, engine: SqlEngine | None = None
    ) -> dict[str, int]:
        """Street crimes in ``scope`` per month ('YYYY-MM', in order); months without any are
        absent. ``engine``: as for :meth:`street_groups`."""
        self._check_open(("street",))
        return month_counts(engine or DuckDBEngine(self._con), scope)

    def street_counts_by_month_and_type(
        self, scope: StreetScope, engine: SqlEngine | None = None
    ) -> list[MonthTypeCount]:
        """Street crimes in ``scope`` per month and crime type, sorted by both; zero counts
        are absent. ``engine``: as for :meth:`street_groups`."""
        self._check_open(("street",))
        return month_type_counts(engine or DuckDBEngine(self._con), scope)

    def district_counts(self, forces: Sequence[str]) -> dict[str, int]:
        """Street crimes per district (LSOA name less its code) among ``forces``' crimes."""
        where, params = sql_in("force", list(forces))
        return {
            str(k): int(n)
            for k, n in self._rows(
                ("street",),
                f"SELECT {DISTRICT_SQL}, count(*) FROM street WHERE {where} "
                "AND lsoa_name IS NOT NULL GROUP BY 1",
                params,
            )
        }

    def lsoa_footprints(self, forces: Sequence[str]) -> LsoaFootprints:
        """Every distinct located snap point of ``forces``' street crimes that carry an LSOA."""
        where, params = sql_in("force", list(forces))
        fp = self._numpy(
            ("street",),
            f"SELECT DISTINCT x, y, lsoa_code, force FROM street WHERE {where} "
            "AND x IS NOT NULL AND lsoa_code IS NOT NULL",
            params,
        )
        return LsoaFootprints(
            x=np.asarray(fp["x"], dtype=float),
            y=np.asarray(fp["y"], dtype=float),
            lsoa_code=np.asarray(fp["lsoa_code"], dtype=object),
            force=np.asarray(fp["force"], dtype=object),
        )

    def lsoa_names(self, forces: Sequence[str]) -> dict[str, str]:
        """A name for each LSOA code in ``forces``' street crimes ('' where none is given)."""
        where, params = sql_in("force", list(forces))
        rows = self._rows(
            ("street",),
            f"SELECT lsoa_code, any_value(lsoa_name) FROM street WHERE {where} "
            "AND lsoa_code IS NOT NULL GROUP BY 1",
            params,
        )
        return {str(k): str(v or "") for k, v in rows}

    # -- datasets: what is loaded ------------------------------------------------

    def dataset_forces(self, kind: str = "street") -> list[str]:
        """Forces with at least one ``kind`` month loaded, sorted."""
        return [
            r[0]
            for r in self._rows(
                ("datasets",),
                "SELECT DISTINCT force FROM datasets WHERE kind = ? ORDER BY 1",
                [kind],
            )
        ]

    def covered_months(self, forces: Sequence[str], kind: str = "street") -> list[str]:
        """Months every one of ``forces`` has loaded: a month one force lacks would undercount."""
        where, params = sql_in("force", list(forces))
        return [
            r[0]
            for r in self._rows(
                ("datasets",),
                "SELECT strftime(month, '%Y-%m') AS m FROM datasets "
                f"WHERE kind = ? AND {where} GROUP BY m HAVING count(DISTINCT force) = ? ORDER BY m",
                [kind, *params, len(set(forces))],
            )
        ]

    def loaded_months(self, forces: Sequence[str], kind: str = "street") -> list[str]:
        """Months any of ``forces`` has loaded, sorted."""
        where, params = sql_in("force", list(forces))
        return [
            r[0]
            for r in self._rows(
                ("datasets",),
                "SELECT DISTINCT strftime(month, '%Y-%m') FROM datasets "
                f"WHERE kind = ? AND {where} ORDER BY 1",
                [kind, *params],
            )
        ]

    def lsoa_vintages(
        self,
        forces: Sequence[str] | None = None,
        months: Sequence[str] | None = None,
        kind: str = "street",
    ) -> set[str]:
        """LSOA code vintages of the files providing ``kind`` for ``forces`` and ``months``."""
        clauses = ["d.kind = ?"]
        params: list[object] = [kind]
        for column, values in (("d.force", forces), ("strftime(d.month, '%Y-%m')", months)):
            if values is not None:
                sql, p = sql_in(column, list(values))
                clauses.append(sql)
                params += p
        rows = self._rows(
            ("datasets", "loads"),
            "SELECT DISTINCT l.lsoa_vintage FROM datasets d JOIN loads l USING (load_id) "
            f"WHERE {' AND '.join(clauses)}",
            params,
        )
        return {str(r[0]) for r in rows}

    def datasets(self) -> list[DatasetRow]:
        """Every loaded dataset (kind, force, month) with its rows and load, in that order."""
        return [
            DatasetRow(k, f, m, int(r), int(lid))
            for k, f, m, r, lid in self._rows(
                ("datasets",),
                "SELECT kind, force, strftime(month, '%Y-%m'), rows, load_id FROM datasets "
                "ORDER BY kind, force, month",
            )
        ]

    # -- status and provenance ---------------------------------------------------

    def kind_counts(self) -> list[KindCounts]:
        """Rows, drug rows and rows without a location, per kind."""
        out = []
        for table, kind, drugs in (
            ("street", "street", "crime_type = 'Drugs'"),
            ("outcomes", "outcomes", "false"),
            ("stop_search", "stop-and-search", "object_of_search = 'Controlled drugs'"),
        ):
            n, n_drugs, n_noloc = self._rows(
                (table,),
                f"SELECT count(*), count(*) FILTER (WHERE {drugs}), "
                f"count(*) FILTER (WHERE x IS NULL) FROM {table}",
            )[0]
            out.append(KindCounts(kind, int(n), int(n_drugs), int(n_noloc)))
        return out

    def street_counts_by_force_and_type(self) -> list[ForceTypeCount]:
        return [
            ForceTypeCount(f, c, int(r))
            for f, c, r in self._rows(
                ("street",),
                "SELECT force, crime_type, count(*) FROM street GROUP BY ALL "
                "ORDER BY force, crime_type",
            )
        ]

    def current_reject_count(self) -> int:
        """Rows set aside by the loads that currently provide data."""
        return int(
            self._rows(
                ("rejects", "loads"),
                "SELECT count(DISTINCT (r.load_id, r.line)) FROM rejects r "
                "JOIN loads l USING (load_id) WHERE l.replaced_by_run IS NULL",
            )[0][0]
        )

    def current_rejects(self, limit: int = 200) -> list[RejectRow]:
        """The first ``limit`` rejected rows of current loads, by file and line."""
        return [
            RejectRow(s, f, r, int(line))
            for s, f, r, line in self._rows(
                ("rejects", "loads"),
                "SELECT r.source, r.field, r.reason, r.line FROM rejects r JOIN loads l "
                "USING (load_id) WHERE l.replaced_by_run IS NULL ORDER BY r.source, r.line LIMIT ?",
                [limit],
            )
        ]

    def current_loads(self) -> list[LoadRecord]:
        """Provenance of the loads that currently provide data, oldest first."""
        return [
            LoadRecord(*row)
            for row in self._rows(
                ("loads",),
                f"SELECT {', '.join(_LOAD_COLUMNS)} FROM loads WHERE replaced_by_run IS NULL "
                "ORDER BY load_id",
            )
        ]

    def current_files(self) -> dict[str, tuple[str, str]]:
        """SHA-256 -> (kind, force) of every file that currently provides a dataset."""
        return {
            sha: (kind, frc)
            for sha, kind, frc in self._rows(
                ("loads", "datasets"),
                "SELECT DISTINCT l.sha256, l.kind, l.force FROM loads l JOIN datasets d USING (load_id)",
            )
        }

    # -- bulk loads -------------------------------------------------------------

    def staging(self) -> Staging:
        """Scratch space for a bulk loader's checks (see :mod:`.loading`)."""
        if self.read_only:
            raise ValueError(f"{self.path} is open read-only; open it read-write to load")
        stored = self._catalog_tables()
        closed = [t for t in stored if sensitivity_of(t) is not Sensitivity.OPEN]
        return Staging(self._con.cursor(), frozenset(t.lower() for t in stored), frozenset(closed))

    def write_load(self, staging: Staging, batch: LoadBatch) -> int:
        """Write a checked batch in one transaction; return the datasets it replaced."""
        with self.load(batch.run_id) as load:
            return load.write(staging, batch)

    @contextlib.contextmanager
    def load(self, run_id: str) -> Iterator[LoadTransaction]:
        """One load's transaction, written in as many batches as it likes.

        Committed when the block ends; on any exception rolled back, with the part
        files it wrote deleted, and re-raised. The files it superseded are deleted
        after the commit.
        """
        if self.read_only:
            raise ValueError(f"{self.path} is open read-only; open it read-write to load")
        files = LoadFiles(self.parts_root, run_id)
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield LoadTransaction(self._con, files)
            if files.tables:
                parts.define_views(self._con, self.parts_root, sorted(files.tables))
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            parts.delete_files(files.written)
            raise
        parts.delete_files(files.superseded)

    # -- personal data ----------------------------------------------------------

    def room_connection(
        self, tables: Sequence[str], *, scoped_by: str
    ) -> duckdb.DuckDBPyConnection:
        """The connection, for a room's own queries of its own personal tables.

        A room whose rows are scoped by kernel records (the calls room: every query
        limited to the call-data files whose import records the caller may see, and
        logged in the same unit of work) runs its SQL here rather than through
        :meth:`read_sensitive`'s one-table reads. The room names the tables it will
        touch and how it scopes them; every one must be a declared personal table,
        so open data still goes through the typed queries above.
        """
        if not scoped_by.strip():
            raise SensitiveAccessError("say how the room scopes its reads of personal tables")
        for table in tables:
            if table.lower() not in TABLES or sensitivity_of(table) is Sensitivity.OPEN:
                raise SensitiveAccessError(
                    f"{table} is not a declared personal table; open data has typed queries"
                )
        return self._con

    def read_sensitive(
        self, table: str, query: TableQuery, *, access: SensitiveAccess, purpose: str
    ) -> TableRows:
        """Read a table that is not open data: checked by ``access`` first, logged after.

        ``access.check`` raising refuses the read and nothing is read; the rows
        are returned only after ``access.log`` has recorded how many there were,
        so a read that cannot be logged is not given.
        """
        if access is None or not isinstance(access, SensitiveAccess):
            raise SensitiveAccessError(
                f"reading {table} needs an access checker (check and log); none was given"
            )
        if not isinstance(purpose, str) or not purpose.strip():
            raise SensitiveAccessError(f"reading {table} needs a purpose, said in words")
        if sensitivity_of(table) is Sensitivity.OPEN:
            raise SensitiveAccessError(f"{table} is open data: use the store's typed queries")
        access.check(table, purpose)
        columns = [
            str(r[0])
            for r in self._con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
                [table],
            ).fetchall()
        ]
        if not columns:
            raise NotFoundError(f"{self.path}: no table {table!r}")
        chosen = tuple(query.columns) or tuple(columns)
        named = [*chosen, *query.where, *query.order_by]
        unknown = sorted({c for c in named if c not in columns})
        if unknown:
            raise InputError(
                f"{table}: no column(s) {', '.join(unknown)}; columns: {', '.join(columns)}"
            )
        sql = f"SELECT {', '.join(_quote(c) for c in chosen)} FROM {_quote(table)}"
        params: list[object] = []
        conditions = []
        for column, values in query.where.items():
            condition, p = sql_in(_quote(column), list(values))
            conditions.append(condition)
            params += p
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if query.order_by:
            sql += " ORDER BY " + ", ".join(_quote(c) for c in query.order_by)
        if query.limit is not None:
            if query.limit < 0:
                raise InputError(f"a row limit cannot be negative, got {query.limit}")
            sql += " LIMIT ?"
            params.append(int(query.limit))
        rows = self._con.execute(sql, params).fetchall()
        access.log(table, len(rows), purpose)
        return TableRows(table, chosen, rows)
