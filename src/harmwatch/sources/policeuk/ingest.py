"""Load data.police.uk files into the analytics database: atomic, idempotent, traceable.

The pipeline: find the files; read and parse them in parallel (text only, with
line numbers); check every value in SQL; refuse the whole load if anything is
wrong (or, with ``lenient``, set the bad rows aside with their reasons); project
coordinates to British National Grid; then, in ONE transaction, replace each
force-month the files provide and record where every row came from.
Nothing is written until everything has been checked, so a refused load leaves
the database exactly as it was.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from harmwatch.storage import analytics

from .checks import CHECKS, month_expression, q, raw_text, select_list
from .forces import force_slug
from .formats import Kind
from .read import (
    LINE_COLUMN,
    HeaderError,
    ParsedFile,
    Problem,
    SourceFile,
    discover,
    fingerprint,
    parse,
)

Progress = Callable[[str, int, int, int], None]
"""Called as ``progress(stage, done, total, rows_so_far)``; stages: read, check, write."""

MAX_PROBLEMS_IN_MESSAGE = 20


class IngestError(ValueError):
    """The load was refused; nothing was written."""

    def __init__(self, summary: str, problems: Sequence[Problem] = ()):
        self.summary = summary
        self.problems = list(problems)
        lines = [summary]
        for problem in self.problems[:MAX_PROBLEMS_IN_MESSAGE]:
            lines.append(f"  {problem.describe()}")
        if len(self.problems) > MAX_PROBLEMS_IN_MESSAGE:
            lines.append(f"  … and {len(self.problems) - MAX_PROBLEMS_IN_MESSAGE} more")
        lines.append("Nothing was loaded; the database is unchanged.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class FileReport:
    source: str
    kind: str
    force: str
    months: tuple[str, ...]
    rows_loaded: int
    rows_rejected: int
    rows_without_location: int
    lsoa_vintage: str
    status: str  # "loaded" or "unchanged"
    sha256: str


@dataclass
class _FileTally:
    """What one file contributes, gathered from the checked rows."""

    forces: set[str] = field(default_factory=set)
    months: list[str] = field(default_factory=list)
    rows: int = 0
    without_location: int = 0


@dataclass
class IngestResult:
    db_path: str
    run_id: str
    files: list[FileReport] = field(default_factory=list)
    replaced_datasets: int = 0
    seconds: float = 0.0
    rejects_sample: list[Problem] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files if f.status == "loaded")

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files if f.status == "loaded")

    def rows_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for f in self.files:
            if f.status == "loaded":
                out[f.kind] += f.rows_loaded
        return dict(out)


def _vintage_table() -> pa.Table:
    ref = resources.files("harmwatch") / "sample_data" / "lsoa" / "lsoa-code-vintages.csv"
    with resources.as_file(ref) as path:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={"lsoa_code": pa.string(), "vintage": pa.int16()}
            ),
        )


def ingest(
    paths: Iterable[str | Path],
    db_path: str | Path,
    *,
    lenient: bool = False,
    force: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Load police.uk files (CSV, CSV.GZ, folders, trees, archive zips) into ``db_path``.

    ``force`` overrides the force for every file (for extracts not named as
    data.police.uk names them). With ``lenient``, rows that fail a check are kept
    in the ``rejects`` table with their reasons instead of refusing the load.
    Files whose SHA-256 matches the load currently providing their rows are
    skipped as unchanged.
    """
    started = time.perf_counter()
    report = progress or (lambda *_: None)
    sources = discover(paths)
    if not sources:
        raise IngestError("No .csv, .csv.gz or .zip files were found in the paths given.")
    forced = force_slug(force) if force else None

    con = analytics.connect(db_path)
    try:
        result = IngestResult(db_path=str(db_path), run_id=uuid.uuid4().hex[:12])
        current = {
            sha: (kind, frc)
            for sha, kind, frc in con.execute(
                "SELECT DISTINCT l.sha256, l.kind, l.force FROM loads l "
                "JOIN datasets d USING (load_id)"
            ).fetchall()
        }
        parsed = _read_all(sources, current, forced, result, report, workers)
        if parsed:
            _check_and_write(con, parsed, forced, lenient, result, report)
        result.seconds = time.perf_counter() - started
        return result
    finally:
        con.close()


def _read_all(
    sources: list[SourceFile],
    current: dict[str, tuple[str, str]],
    forced: str | None,
    result: IngestResult,
    report: Progress,
    workers: int | None,
) -> list[ParsedFile]:
    def read_one(source: SourceFile) -> ParsedFile | FileReport | Problem:
        try:
            raw = source.read_bytes()
        except OSError as exc:
            return Problem(source.display, 0, "(file)", f"cannot be read: {exc}")
        sha = fingerprint(raw)
        if sha in current and forced is None:
            kind, frc = current[sha]
            return FileReport(source.display, kind, frc, (), 0, 0, 0, "", "unchanged", sha)
        try:
            return parse(source, raw)
        except HeaderError as exc:
            return exc.problem
        except (pa.ArrowInvalid, UnicodeDecodeError, OSError, EOFError) as exc:
            return Problem(source.display, 0, "(file)", f"cannot be parsed as CSV: {exc}")

    parsed: list[ParsedFile] = []
    fatal: list[Problem] = []
    rows = 0
    n_workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for done, outcome in enumerate(pool.map(read_one, sources), start=1):
            if isinstance(outcome, ParsedFile):
                parsed.append(outcome)
                rows += outcome.table.num_rows + len(outcome.problems)
            elif isinstance(outcome, FileReport):
                result.files.append(outcome)
            else:
                fatal.append(outcome)
            report("read", done, len(sources), rows)
    if fatal:
        raise IngestError(f"{len(fatal)} file(s) cannot be loaded at all:", fatal)
    return parsed


def _check_and_write(
    con: duckdb.DuckDBPyConnection,
    parsed: list[ParsedFile],
    forced: str | None,
    lenient: bool,
    result: IngestResult,
    report: Progress,
) -> None:
    problems: list[Problem] = [p for pf in parsed for p in pf.problems]
    by_kind: dict[Kind, list[int]] = defaultdict(list)
    for index, pf in enumerate(parsed):
        by_kind[pf.kind].append(index)

    # Per-file facts the SQL needs: which force a file's rows belong to.
    file_force = [forced or (force_slug(pf.file_force) if pf.file_force else None) for pf in parsed]
    for index, pf in enumerate(parsed):
        if pf.kind is Kind.STOP_SEARCH and file_force[index] is None:
            problems.append(
                Problem(
                    pf.source.display, 1, "(file name)",
                    "stop-and-search rows do not name their force: keep the data.police.uk file "
                    "name (YYYY-MM-<force>-stop-and-search.csv) or pass --force",
                )
            )  # fmt: skip

    con.register("lsoa_vintages", _vintage_table())
    for kind, indexes in by_kind.items():
        tables = [
            parsed[i].table.append_column(
                "_file", pa.array(np.full(parsed[i].table.num_rows, i, dtype=np.int32))
            )
            for i in indexes
        ]
        con.register(f"src_{kind.table}", pa.concat_tables(tables))
    names: set[str] = set()
    for kind in by_kind:
        if kind is not Kind.STOP_SEARCH:
            names.update(
                r[0]
                for r in con.execute(
                    f'SELECT DISTINCT "Falls within" FROM src_{kind.table} WHERE "Falls within" IS NOT NULL'
                ).fetchall()
            )
    con.register(
        "force_names",
        pa.table({"name": list(names), "slug": [force_slug(n) for n in names]}),
    )
    meta = {
        "_file": pa.array(range(len(parsed)), type=pa.int32()),
        "file_force": pa.array(file_force, type=pa.string()),
        "source": pa.array([pf.source.display for pf in parsed]),
    }
    con.register("file_meta", pa.table(meta))
    for kind, indexes in by_kind.items():
        # Rows take the force from the file name; only files named otherwise need
        # the (slower) per-row lookup of "Falls within".
        by_name = kind is not Kind.STOP_SEARCH and any(file_force[i] is None for i in indexes)
        force_sql = "coalesce(f.file_force, fn.slug)" if by_name else "f.file_force"
        join_names = 'LEFT JOIN force_names fn ON fn.name = src."Falls within"' if by_name else ""
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW stage_{kind.table} AS "
            f"SELECT src.*, {force_sql} AS _force, {month_expression(kind)} AS _month "
            f"FROM src_{kind.table} src JOIN file_meta f USING (_file) {join_names}"
        )

    # Row checks.
    total_rows = sum(pf.table.num_rows for pf in parsed)
    report("check", 0, len(by_kind), total_rows)
    for done, kind in enumerate(by_kind, start=1):
        # One scan finds the failing rows; the reasons are then worked out on
        # those few rows only.
        any_fails = " OR ".join(f"({check.fails})" for check in CHECKS[kind])
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE failing_{kind.table} AS "
            f"SELECT * FROM src_{kind.table} WHERE {any_fails}"
        )
        selects = [
            f"SELECT f.source, s._line, '{check.field}', {check.reason}, {raw_text(kind)} "
            f"FROM failing_{kind.table} s JOIN file_meta f USING (_file) WHERE {check.fails}"
            for check in CHECKS[kind]
        ]
        for source, line, fld, reason, raw in con.execute(" UNION ALL ".join(selects)).fetchall():
            problems.append(Problem(source, int(line), fld, reason, raw))
        report("check", done, len(by_kind), total_rows)

    fatal = [p for p in problems if p.field.startswith("(file")]
    if fatal or (problems and not lenient):
        problems.sort(key=lambda p: (p.source, p.line))
        n_files = len({p.source for p in problems})
        hint = (
            ""
            if fatal
            else " Use --lenient to load the good rows and keep the bad ones as rejects."
        )
        raise IngestError(
            f"{len(problems)} problem(s) in {n_files} file(s).{hint}", fatal or problems
        )

    bad = {(p.source, p.line) for p in problems}
    source_index = {pf.source.display: i for i, pf in enumerate(parsed)}
    bad_rows = pa.table(
        {
            "_file": pa.array([source_index[s] for s, _ in bad], type=pa.int32()),
            "_line": pa.array([line for _, line in bad], type=pa.int32()),
        }
    )
    con.register("bad_rows", bad_rows)
    for kind in by_kind:
        keep = (
            f" WHERE NOT EXISTS (SELECT 1 FROM bad_rows b WHERE b._file = s._file AND b._line = s.{LINE_COLUMN})"
            if bad
            else ""
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW good_{kind.table} AS SELECT * FROM stage_{kind.table} s{keep}"
        )

    # Which force-months each file provides; two files may not provide the same one.
    datasets: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    per_file: dict[int, _FileTally] = {}
    for kind in by_kind:
        for file_index, frc, month, n, no_location in con.execute(
            f"SELECT _file, _force, strftime(_month, '%Y-%m'), count(*), "
            f"count(*) FILTER (WHERE {q('Longitude')} IS NULL) FROM good_{kind.table} "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            datasets[(kind.value, frc, month)].add(file_index)
            tally = per_file.setdefault(file_index, _FileTally())
            tally.forces.add(frc)
            tally.months.append(month)
            tally.rows += n
            tally.without_location += no_location
    clashes = [
        Problem(
            parsed[min(files)].source.display, 0, "(file)",
            f"{kind} rows for {frc} {month} are also in "
            + ", ".join(parsed[i].source.display for i in sorted(files)[1:]),
        )
        for (kind, frc, month), files in datasets.items()
        if len(files) > 1
    ]  # fmt: skip
    if clashes:
        raise IngestError("The same force-month comes from more than one file:", clashes)

    vintages = _file_vintages(con, by_kind)
    rejected_per_file: dict[int, int] = defaultdict(int)
    for source, _line in bad:
        rejected_per_file[source_index[source]] += 1

    report("write", 0, 1, total_rows)
    _write(con, parsed, per_file, vintages, rejected_per_file, problems, datasets, lenient, result)
    report("write", 1, 1, total_rows)


def _file_vintages(
    con: duckdb.DuckDBPyConnection, by_kind: dict[Kind, list[int]]
) -> dict[int, str]:
    """The LSOA geography each file was published in, told by codes unique to one vintage."""
    out: dict[int, str] = {}
    for kind in by_kind:
        if kind is Kind.STOP_SEARCH:
            continue
        for file_index, n11, n21, n_codes in con.execute(
            f"SELECT d._file, count(*) FILTER (WHERE v.vintage = 2011), "
            f"count(*) FILTER (WHERE v.vintage = 2021), count(d.code) "
            f'FROM (SELECT DISTINCT _file, "LSOA code" AS code FROM src_{kind.table}) d '
            "LEFT JOIN lsoa_vintages v ON v.lsoa_code = d.code GROUP BY d._file"
        ).fetchall():
            if n11 and n21:
                out[file_index] = "mixed"
            elif n21:
                out[file_index] = "2021"
            elif n11:
                out[file_index] = "2011"
            else:
                out[file_index] = "either" if n_codes else "none"
    return out


def _write(
    con: duckdb.DuckDBPyConnection,
    parsed: list[ParsedFile],
    per_file: dict[int, _FileTally],
    vintages: dict[int, str],
    rejected_per_file: dict[int, int],
    problems: list[Problem],
    datasets: dict[tuple[str, str, str], set[int]],
    lenient: bool,
    result: IngestResult,
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        next_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]
        load_ids = {i: next_id + i for i in range(len(parsed))}
        vintage_rows = {i: {"2011": 2011, "2021": 2021}.get(vintages.get(i, "")) for i in load_ids}
        con.register(
            "file_load",
            pa.table(
                {
                    "_file": pa.array(list(load_ids), type=pa.int32()),
                    "load_id": pa.array(list(load_ids.values()), type=pa.int32()),
                    "vintage": pa.array([vintage_rows[i] for i in load_ids], type=pa.int16()),
                }
            ),
        )
        new_keys = pa.table(
            {
                "kind": [k for k, _, _ in datasets],
                "force": [f for _, f, _ in datasets],
                "month": [m for _, _, m in datasets],
                "load_id": pa.array(
                    [load_ids[min(files)] for files in datasets.values()], type=pa.int32()
                ),
            }
        )
        con.register("new_keys", new_keys)
        replaced = con.execute(
            "SELECT DISTINCT d.load_id, count(*) OVER () FROM datasets d JOIN new_keys n "
            "ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month"
        ).fetchall()
        result.replaced_datasets = int(replaced[0][1]) if replaced else 0
        for kind_value in {k for k, _, _ in datasets}:
            table = Kind(kind_value).table
            con.execute(
                f"DELETE FROM {table} t USING new_keys n WHERE n.kind = ? AND t.force = n.force "
                "AND strftime(t.month, '%Y-%m') = n.month",
                [kind_value],
            )
        con.execute(
            "UPDATE loads SET replaced_by_run = ? WHERE load_id IN (SELECT d.load_id FROM datasets d "
            "JOIN new_keys n ON d.kind = n.kind AND d.force = n.force AND strftime(d.month, '%Y-%m') = n.month)",
            [result.run_id],
        )
        con.execute(
            "DELETE FROM datasets d USING new_keys n WHERE d.kind = n.kind AND d.force = n.force "
            "AND strftime(d.month, '%Y-%m') = n.month"
        )

        for kind in {pf.kind for pf in parsed}:
            columns = select_list(kind)
            con.execute(
                f"INSERT INTO {kind.table} ({', '.join(columns)}) "
                f"SELECT {', '.join(columns.values())} FROM ("
                f"SELECT g.*, fl.load_id AS _load_id, fl.vintage AS _vintage FROM good_{kind.table} g "
                f"JOIN file_load fl USING (_file)) s"
            )
        con.execute(
            "INSERT INTO datasets SELECT n.kind, n.force, strptime(n.month || '-01', '%Y-%m-%d')::DATE, "
            "n.load_id, 0 FROM new_keys n"
        )
        for kind in {pf.kind for pf in parsed}:
            con.execute(
                f"UPDATE datasets d SET rows = c.n FROM (SELECT load_id, force, month, count(*) AS n "
                f"FROM {kind.table} WHERE load_id >= ? GROUP BY ALL) c "
                "WHERE d.kind = ? AND d.load_id = c.load_id AND d.force = c.force AND d.month = c.month",
                [next_id, kind.value],
            )

        load_rows = []
        for i, pf in enumerate(parsed):
            tally = per_file.get(i, _FileTally())
            forces = sorted(tally.forces) or ["(none)"]
            months = sorted(set(tally.months)) or [pf.file_month or "(none)"]
            report_row = FileReport(
                source=pf.source.display,
                kind=pf.kind.value,
                force=",".join(forces),
                months=tuple(months),
                rows_loaded=tally.rows,
                rows_rejected=rejected_per_file.get(i, 0),
                rows_without_location=tally.without_location,
                lsoa_vintage=vintages.get(i, "none"),
                status="loaded",
                sha256=pf.sha256,
            )
            result.files.append(report_row)
            load_rows.append(
                (
                    load_ids[i], result.run_id, now, pf.source.display, pf.source.name, pf.size,
                    pf.sha256, pf.kind.value, report_row.force, months[0], len(months),
                    report_row.rows_loaded, report_row.rows_rejected,
                    report_row.rows_without_location, report_row.lsoa_vintage, lenient, None,
                )
            )  # fmt: skip
        con.executemany("INSERT INTO loads VALUES (" + ", ".join("?" * 17) + ")", load_rows)
        if problems:
            source_index = {pf.source.display: i for i, pf in enumerate(parsed)}
            rejects = pa.table(
                {
                    "load_id": pa.array(
                        [load_ids[source_index[p.source]] for p in problems], type=pa.int32()
                    ),
                    "source": [p.source for p in problems],
                    "line": pa.array([p.line for p in problems], type=pa.int32()),
                    "field": [p.field for p in problems],
                    "reason": [p.reason for p in problems],
                    "raw": [p.raw for p in problems],
                }
            )
            con.register("new_rejects", rejects)
            con.execute("INSERT INTO rejects SELECT * FROM new_rejects")
            result.rejects_sample = problems[:MAX_PROBLEMS_IN_MESSAGE]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
