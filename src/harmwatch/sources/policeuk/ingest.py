"""Load data.police.uk files into the analytics database: atomic, idempotent, traceable.

The pipeline: find the files; read and parse them in parallel (text only, with
line numbers); check every value in SQL; refuse the whole load if anything is
wrong (or, with ``lenient``, set the bad rows aside with their reasons); project
coordinates to British National Grid; then, in ONE transaction, replace each
force-month the files provide and record where every row came from, and who
loaded it. Nothing is written until everything has been checked, so a refused
load leaves the database exactly as it was.

The checks run as SQL in the store's staging area, over the parsed Arrow tables;
the store writes the checked rows (:meth:`AnalyticsStore.write_load`) straight
from there, with no copy. This module knows police.uk's files; the store knows
its tables.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from harmwatch.errors import InputError
from harmwatch.storage.analytics import (
    AnalyticsStore,
    DatasetKey,
    LoadBatch,
    LoadTransaction,
    NewLoad,
    NewReject,
    StagedRows,
    Staging,
)

from .checks import CHECKS, month_expression, q, raw_text, select_list
from .forces import force_slug
from .formats import FILE_NAME, Kind
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
# Rows a streaming load holds in memory at once: about 1 GB of parsed Arrow.
DEFAULT_CHUNK_ROWS = 2_000_000
"""Called as ``progress(stage, done, total, rows_so_far)``; stages: read, check, write."""

MAX_PROBLEMS_IN_MESSAGE = 20


class IngestError(InputError):
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
    loaded_by: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> IngestResult:
    """Load police.uk files (CSV, CSV.GZ, folders, trees, archive zips) into ``db_path``.

    ``force`` overrides the force for every file (for extracts not named as
    data.police.uk names them). With ``lenient``, rows that fail a check are kept
    in the ``rejects`` table with their reasons instead of refusing the load.
    Files whose SHA-256 matches the load currently providing their rows are
    skipped as unchanged. ``loaded_by`` is recorded in every load's provenance:
    the web app passes ``web:<user>``; by default it is the operating-system user
    running this process, as ``cli:<user>`` (:func:`default_loaded_by`).

    The files are read, checked and written in chunks of about ``chunk_rows`` rows,
    so memory stays one chunk's whatever the size of the load, and all in one
    transaction, so the load is still all or nothing: a problem anywhere refuses
    it whole (listing the problems of every chunk) and leaves the store as it was.
    """
    started = time.perf_counter()
    report = _serialised(progress or (lambda *_: None))
    sources = discover(paths)
    if not sources:
        raise IngestError("No .csv, .csv.gz or .zip files were found in the paths given.")
    forced = force_slug(force) if force else None
    who = loaded_by if loaded_by is not None else default_loaded_by()
    chunks = _chunks(sources, chunk_rows)

    # Open (and hold, so no other process writes in between) for the whole load.
    with AnalyticsStore.open(db_path, read_only=False) as store:
        result = IngestResult(db_path=str(db_path), run_id=uuid.uuid4().hex[:12])
        current = store.current_files()
        seen: dict[tuple[str, str, str], str] = {}
        refused: list[IngestError] = []
        steps, offset = [], 0
        for number, chunk in enumerate(chunks, start=1):
            steps.append(_Chunk(number, len(chunks), offset, len(sources), report))
            offset += len(chunk)

        def read(index: int) -> Future[tuple[list[ParsedFile], list[FileReport]]]:
            return ahead.submit(_read_all, chunks[index], current, forced, steps[index], workers)

        # The next chunk is read (gunzip, CSV, projection) while this one is checked
        # and written (DuckDB): the two phases use the cores unevenly on their own,
        # and overlapping them costs one more chunk in memory.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read-ahead") as ahead,
            store.load(result.run_id) as load,
        ):
            pending = read(0)
            for index, step in enumerate(steps):
                parsed, unchanged = pending.result()
                if index + 1 < len(chunks):
                    pending = read(index + 1)
                result.files.extend(unchanged)
                if not parsed:
                    continue
                stage = store.staging()
                try:
                    _check_and_write(
                        stage, load, parsed, forced, lenient, who, result, step, seen,
                        write=not refused,
                    )  # fmt: skip
                except IngestError as exc:
                    # Keep checking the rest, so the refusal lists every problem at once;
                    # nothing more is written, and the block below rolls back.
                    refused.append(exc)
                finally:
                    stage.release()  # the chunk's Arrow tables go; the next one comes in
                del parsed
            if refused:
                raise _combined(refused)
            result.replaced_datasets = load.replaced
        result.seconds = time.perf_counter() - started
        return result


@dataclass(frozen=True)
class _Chunk:
    """Progress for one chunk of a streaming load, told as the whole load's."""

    number: int
    of: int
    files_before: int  # files in the chunks before this one
    files: int  # files in the whole load
    report: Progress

    def __call__(self, stage: str, done: int, total: int, rows: int) -> None:
        if stage == "read":
            self.report(stage, self.files_before + done, self.files, rows)
        else:
            self.report(stage, done, total, rows)
        if stage == "write" and done == total and self.of > 1:
            self.report("chunk", self.number, self.of, rows)


def _estimated_rows(source: SourceFile) -> int:
    """Rows a file holds, guessed from its size before reading it (to size chunks)."""
    try:
        if source.member is None:
            size = source.path.stat().st_size
            compressed = source.path.name.lower().endswith(".gz")
        else:
            with zipfile.ZipFile(source.path) as archive:
                size = archive.getinfo(source.member).compress_size
            compressed = True
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0
    # police.uk street rows take about 44 bytes gzipped and 200 as plain CSV.
    return size // (44 if compressed else 200)


def _chunks(sources: list[SourceFile], chunk_rows: int) -> list[list[SourceFile]]:
    """The files in chunks of about ``chunk_rows`` rows, each force's months together.

    A chunk is what the load holds in memory at once; keeping a force's files
    together gives each part file more of one force (see storage.analytics.parts).
    """

    def key(source: SourceFile) -> tuple[str, str, str, str]:
        named = FILE_NAME.match(source.name.lower())
        if named is None:
            return ("~", "", "", source.display)  # unnamed files last, in the order found
        return (named["force"], named["kind"], named["month"], source.display)

    chunks: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    rows = 0
    for source in sorted(sources, key=key):
        estimate = _estimated_rows(source)
        if current and rows + estimate > chunk_rows:
            chunks.append(current)
            current, rows = [], 0
        current.append(source)
        rows += estimate
    if current:
        chunks.append(current)
    return chunks


def _combined(refusals: list[IngestError]) -> IngestError:
    if len(refusals) == 1:
        return refusals[0]
    problems = [p for r in refusals for p in r.problems]
    n_files = len({p.source for p in problems})
    lenient = any("--lenient" in str(r) for r in refusals)
    hint = (
        " Use --lenient to load the good rows and keep the bad ones as rejects." if lenient else ""
    )
    return IngestError(f"{len(problems)} problem(s) in {n_files} file(s).{hint}", problems)


def default_loaded_by() -> str:
    """``cli:<user>``: who runs this process, for loads not made through the web app."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        uid = getattr(os, "getuid", None)
        return f"cli:uid-{uid()}" if uid else "cli:unknown"


def _serialised(report: Progress) -> Progress:
    """``report`` called from one thread at a time (the read-ahead thread reports too)."""
    lock = threading.Lock()

    def locked(stage: str, done: int, total: int, rows: int) -> None:
        with lock:
            report(stage, done, total, rows)

    return locked


def _read_all(
    sources: list[SourceFile],
    current: dict[str, tuple[str, str]],
    forced: str | None,
    report: Progress,
    workers: int | None,
) -> tuple[list[ParsedFile], list[FileReport]]:
    """The chunk's files parsed, and the reports of those skipped as unchanged."""

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
    unchanged: list[FileReport] = []
    fatal: list[Problem] = []
    rows = 0
    n_workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for done, outcome in enumerate(pool.map(read_one, sources), start=1):
            if isinstance(outcome, ParsedFile):
                parsed.append(outcome)
                rows += outcome.table.num_rows + len(outcome.problems)
            elif isinstance(outcome, FileReport):
                unchanged.append(outcome)
            else:
                fatal.append(outcome)
            report("read", done, len(sources), rows)
    if fatal:
        raise IngestError(f"{len(fatal)} file(s) cannot be loaded at all:", fatal)
    return parsed, unchanged


def _check_and_write(
    stage: Staging,
    load: LoadTransaction,
    parsed: list[ParsedFile],
    forced: str | None,
    lenient: bool,
    loaded_by: str,
    result: IngestResult,
    report: Progress,
    seen: dict[tuple[str, str, str], str],
    *,
    write: bool,
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

    stage.register("lsoa_vintages", _vintage_table())
    for kind, indexes in by_kind.items():
        tables = [
            parsed[i].table.append_column(
                "_file", pa.array(np.full(parsed[i].table.num_rows, i, dtype=np.int32))
            )
            for i in indexes
        ]
        stage.register(f"src_{kind.table}", pa.concat_tables(tables))
    names: set[str] = set()
    for kind in by_kind:
        if kind is not Kind.STOP_SEARCH:
            names.update(
                r[0]
                for r in stage.rows(
                    f'SELECT DISTINCT "Falls within" FROM src_{kind.table} WHERE "Falls within" IS NOT NULL'
                )
            )
    stage.register(
        "force_names",
        pa.table({"name": list(names), "slug": [force_slug(n) for n in names]}),
    )
    meta = {
        "_file": pa.array(range(len(parsed)), type=pa.int32()),
        "file_force": pa.array(file_force, type=pa.string()),
        "source": pa.array([pf.source.display for pf in parsed]),
    }
    stage.register("file_meta", pa.table(meta))
    for kind, indexes in by_kind.items():
        # Rows take the force from the file name; only files named otherwise need
        # the (slower) per-row lookup of "Falls within".
        by_name = kind is not Kind.STOP_SEARCH and any(file_force[i] is None for i in indexes)
        force_sql = "coalesce(f.file_force, fn.slug)" if by_name else "f.file_force"
        join_names = 'LEFT JOIN force_names fn ON fn.name = src."Falls within"' if by_name else ""
        stage.execute(
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
        stage.execute(
            f"CREATE OR REPLACE TEMP TABLE failing_{kind.table} AS "
            f"SELECT * FROM src_{kind.table} WHERE {any_fails}"
        )
        selects = [
            f"SELECT f.source, s._line, '{check.field}', {check.reason}, {raw_text(kind)} "
            f"FROM failing_{kind.table} s JOIN file_meta f USING (_file) WHERE {check.fails}"
            for check in CHECKS[kind]
        ]
        for source, line, fld, reason, raw in stage.rows(" UNION ALL ".join(selects)):
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
    stage.register("bad_rows", bad_rows)
    for kind in by_kind:
        keep = (
            f" WHERE NOT EXISTS (SELECT 1 FROM bad_rows b WHERE b._file = s._file AND b._line = s.{LINE_COLUMN})"
            if bad
            else ""
        )
        stage.execute(
            f"CREATE OR REPLACE TEMP VIEW good_{kind.table} AS SELECT * FROM stage_{kind.table} s{keep}"
        )

    # Which force-months each file provides; two files may not provide the same one.
    datasets: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    per_file: dict[int, _FileTally] = {}
    for kind in by_kind:
        for file_index, frc, month, n, no_location in stage.rows(
            f"SELECT _file, _force, strftime(_month, '%Y-%m'), count(*), "
            f"count(*) FILTER (WHERE {q('Longitude')} IS NULL) FROM good_{kind.table} "
            "GROUP BY ALL ORDER BY ALL"
        ):
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
    # ... or from a file in an earlier chunk of this load.
    clashes += [
        Problem(parsed[min(files)].source.display, 0, "(file)",
                f"{key[0]} rows for {key[1]} {key[2]} are also in {seen[key]}")
        for key, files in datasets.items()
        if key in seen
    ]  # fmt: skip
    for key, files in datasets.items():
        seen.setdefault(key, parsed[min(files)].source.display)
    if clashes:
        raise IngestError("The same force-month comes from more than one file:", clashes)

    vintages = _file_vintages(stage, by_kind)
    rejected_per_file: dict[int, int] = defaultdict(int)
    for source, _line in bad:
        rejected_per_file[source_index[source]] += 1

    report("write", 0, 1, total_rows)
    batch, reports = _batch(
        parsed,
        per_file,
        vintages,
        rejected_per_file,
        problems,
        datasets,
        lenient,
        loaded_by,
        result,
    )
    if write:
        load.write(stage, batch)
    result.files.extend(reports)
    if problems:
        result.rejects_sample = (result.rejects_sample + problems)[:MAX_PROBLEMS_IN_MESSAGE]
    report("write", 1, 1, total_rows)


def _file_vintages(stage: Staging, by_kind: dict[Kind, list[int]]) -> dict[int, str]:
    """The LSOA geography each file was published in, told by codes unique to one vintage."""
    out: dict[int, str] = {}
    for kind in by_kind:
        if kind is Kind.STOP_SEARCH:
            continue
        for file_index, n11, n21, n_codes in stage.rows(
            f"SELECT d._file, count(*) FILTER (WHERE v.vintage = 2011), "
            f"count(*) FILTER (WHERE v.vintage = 2021), count(d.code) "
            f'FROM (SELECT DISTINCT _file, "LSOA code" AS code FROM src_{kind.table}) d '
            "LEFT JOIN lsoa_vintages v ON v.lsoa_code = d.code GROUP BY d._file"
        ):
            if n11 and n21:
                out[file_index] = "mixed"
            elif n21:
                out[file_index] = "2021"
            elif n11:
                out[file_index] = "2011"
            else:
                out[file_index] = "either" if n_codes else "none"
    return out


def _batch(
    parsed: list[ParsedFile],
    per_file: dict[int, _FileTally],
    vintages: dict[int, str],
    rejected_per_file: dict[int, int],
    problems: list[Problem],
    datasets: dict[tuple[str, str, str], set[int]],
    lenient: bool,
    loaded_by: str,
    result: IngestResult,
) -> tuple[LoadBatch, list[FileReport]]:
    """What the store writes in its one transaction, and the per-file reports of it."""
    reports: list[FileReport] = []
    loads: list[NewLoad] = []
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
        reports.append(report_row)
        loads.append(
            NewLoad(
                source=pf.source.display,
                file_name=pf.source.name,
                size_bytes=pf.size,
                sha256=pf.sha256,
                kind=pf.kind.value,
                force=report_row.force,
                month=months[0],
                months=len(months),
                rows_loaded=report_row.rows_loaded,
                rows_rejected=report_row.rows_rejected,
                rows_without_location=report_row.rows_without_location,
                lsoa_vintage=report_row.lsoa_vintage,
                lenient=lenient,
            )
        )
    source_index = {pf.source.display: i for i, pf in enumerate(parsed)}
    batch = LoadBatch(
        run_id=result.run_id,
        loaded_at=datetime.now(UTC).replace(tzinfo=None),
        loaded_by=loaded_by,
        files=loads,
        datasets=[
            DatasetKey(kind, frc, month, min(files))
            for (kind, frc, month), files in datasets.items()
        ],
        rows=[
            StagedRows(kind.value, f"good_{kind.table}", select_list(kind))
            for kind in {pf.kind for pf in parsed}
        ],
        rejects=[
            NewReject(source_index[p.source], p.source, p.line, p.field, p.reason, p.raw)
            for p in problems
        ],
    )
    return batch, reports
