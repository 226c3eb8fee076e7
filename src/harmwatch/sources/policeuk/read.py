"""Find data.police.uk files under the paths a user gives and parse them to Arrow.

Parsing keeps every value as text, plus the line it came from: checking values
and converting types happens afterwards, in one place, so that every problem can
be reported against its file, line and field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import igzip

from harmwatch.errors import InputError
from harmwatch.spatial.projection import to_bng

from .formats import FILE_NAME, HeaderMismatch, Kind, detect_kind

GZIP_MAGIC = b"\x1f\x8b"
LINE_COLUMN = "_line"
LON_COLUMN, LAT_COLUMN, X_COLUMN, Y_COLUMN = "_lon", "_lat", "_x", "_y"


class SourceError(InputError):
    """A path given to ingest cannot be read as police.uk data."""


@dataclass(frozen=True)
class SourceFile:
    """One CSV to load: a file on disk, or a member of a .zip archive."""

    path: Path
    member: str | None = None

    @property
    def display(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    def read_bytes(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


def _is_csv_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(".csv") or lower.endswith(".csv.gz")


def _zip_members(path: Path) -> list[SourceFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if _is_csv_name(n) and not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{path}: not a readable zip archive ({exc})") from exc
    return [SourceFile(path, name) for name in sorted(names)]


def discover(paths: Iterable[Path | str]) -> list[SourceFile]:
    """Every CSV, CSV.GZ and zip member under ``paths``, in a stable order."""
    found: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _is_csv_name(child.name):
                    found.append(SourceFile(child))
                elif child.name.lower().endswith(".zip"):
                    found.extend(_zip_members(child))
        elif path.name.lower().endswith(".zip"):
            found.extend(_zip_members(path))
        elif _is_csv_name(path.name):
            found.append(SourceFile(path))
        else:
            raise SourceError(f"{path}: not a .csv, .csv.gz or .zip file")
    seen: set[str] = set()
    unique = []
    for src in found:
        if src.display not in seen:
            seen.add(src.display)
            unique.append(src)
    return unique


@dataclass(frozen=True)
class Problem:
    """A reason one row (or the whole file) cannot be loaded."""

    source: str
    line: int
    field: str
    reason: str
    raw: str = ""

    def describe(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


@dataclass
class ParsedFile:
    source: SourceFile
    size: int
    sha256: str
    kind: Kind
    table: pa.Table  # all-text columns as in the header, plus LINE_COLUMN
    file_force: str | None
    file_month: str | None
    problems: list[Problem] = field(default_factory=list)


class HeaderError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(problem.describe())
        self.problem = problem


def fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse(source: SourceFile, raw: bytes) -> ParsedFile:
    """Parse one file's bytes (plain or gzip) into text columns with line numbers.

    Raises :class:`HeaderError` when the header matches no police.uk kind.
    Rows with the wrong number of fields are returned as problems, not rows.
    """
    sha = fingerprint(raw)
    data = igzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first_newline = data.find(b"\n")
    header_line = data if first_newline < 0 else data[:first_newline]
    header = next(csv.reader([header_line.decode("utf-8", errors="replace")]), [])
    kind = detect_kind(header)
    if isinstance(kind, HeaderMismatch):
        raise HeaderError(Problem(source.display, 1, _header_field(kind), kind.describe()))

    match = FILE_NAME.match(source.name.lower())
    bad_rows: list[Problem] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        bad_rows.append(
            Problem(
                source.display,
                int(row.number) if row.number is not None else -1,
                "(row)",
                f"{row.actual_columns} fields, expected {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    columns = list(header)
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 22),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    lines = _line_numbers(data, table.num_rows, [p.line for p in bad_rows])
    table = table.append_column(LINE_COLUMN, pa.array(lines, type=pa.int32()))
    table = _with_coordinates(table)
    return ParsedFile(
        source=source,
        size=len(raw),
        sha256=sha,
        kind=kind,
        table=table,
        file_force=match.group("force") if match else None,
        file_month=match.group("month") if match else None,
        problems=bad_rows,
    )


def _to_float(column: pa.ChunkedArray) -> pa.Array:
    """Text to float64, null where the text is empty or not a number.

    The fast vectorised cast refuses the whole column on one bad value; only then
    do we fall back to converting value by value (the row checks report why).
    """
    try:
        return pc.cast(column, pa.float64()).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out: list[float | None] = []
        for value in column.to_pylist():
            try:
                out.append(None if value is None else float(value))
            except ValueError:
                out.append(None)
        return pa.array(out, type=pa.float64())


def _with_coordinates(table: pa.Table) -> pa.Table:
    """Add numeric longitude/latitude and British National Grid x/y columns.

    Projecting here, in the parsing threads, spreads the pyproj work over the
    cores while other files are still being read.
    """
    lon = _to_float(table.column("Longitude"))
    lat = _to_float(table.column("Latitude"))
    valid = pc.and_(pc.is_valid(lon), pc.is_valid(lat))
    lon_np = pc.if_else(valid, lon, np.nan).to_numpy(zero_copy_only=False)
    lat_np = pc.if_else(valid, lat, np.nan).to_numpy(zero_copy_only=False)
    x, y = to_bng(lon_np, lat_np)
    mask = ~valid.to_numpy(zero_copy_only=False)
    return (
        table.append_column(LON_COLUMN, lon)
        .append_column(LAT_COLUMN, lat)
        .append_column(X_COLUMN, pa.array(x, mask=mask))
        .append_column(Y_COLUMN, pa.array(y, mask=mask))
    )


def _header_field(mismatch: HeaderMismatch) -> str:
    return f"header column {mismatch.position}"


def _line_numbers(data: bytes, n_rows: int, skipped: list[int]) -> np.ndarray:
    """The physical line of each parsed row (the header is line 1).

    pyarrow reports skipped rows by record number; records and lines coincide
    unless a quoted value holds a newline, which police.uk files never do. When
    they would not coincide we still number records, which is what a reader
    counting rows in a spreadsheet sees.
    """
    total_records = n_rows + len(skipped)
    all_lines = np.arange(2, total_records + 2, dtype=np.int64)
    if skipped:
        all_lines = np.setdiff1d(all_lines, np.asarray(skipped, dtype=np.int64), assume_unique=True)
    return all_lines[:n_rows]
