"""Import a force's own crime records (RMS exports, CSV or Excel) into DuckDB.

A records management system's export gives what police.uk hides: the exact place,
the date and time (or the range it happened in), the Home Office offence class and
the force's flags. Each file is one transaction, as a police.uk load is: every row
converted and checked, the file stored whole or not at all, its problems said as
``file:line: field: reason``; the same bytes are not imported twice (SHA-256).

**Only what the spec names is kept** (DPA 2018 s.37, data minimisation): the file is
read through :class:`~harmwatch.sources.csvfiles.BatchReader`, which reads only the
columns the import spec maps, so a victim's name, a suspect's date of birth or free
text in the export is never read, let alone stored. Each row keeps:

- reference, HO offence class (as exported and mapped to the police.uk crime type,
  :mod:`.offences`), the class when first recorded (a reclassification), description;
- committed from / to (UTC; a range is kept as a range, e.g. a burglary between 18:00
  and 07:30, for aoristic analysis), recorded; the local month of each;
- the place: easting/northing (British National Grid) or latitude/longitude (converted
  to BNG with pyproj), the district it lies in (point in the bundled district
  outlines), LSOA code, address or postcode as exported;
- flags, mapped to harmwatch's names (:mod:`.flags`); status; outcome.

A row is **counted** by every analysis when its status is ``recorded`` (not cancelled
or transferred) and its class is notifiable; the others are stored so that the
reconciliation with police.uk can say what became of them.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from harmwatch.sources.csvfiles import (
    BLOCK_BYTES,
    BatchReader,
    ImportRefused,
    check_columns,
    first_problems,
    read_header,
    sha256_of,
    text_size,
)
from harmwatch.sources.importspec import (
    ImportSpec,
    SpecError,
    TargetField,
    TargetSchema,
    choice_sql,
    float_sql,
    local_time_sql,
    sql_string,
    utc_sql,
)
from harmwatch.spatial.projection import to_bng

from .flags import FLAGS
from .offences import NON_NOTIFIABLE, normalise_code, offence_classes

STATUSES = ("recorded", "cancelled", "transferred")
ZONE = "Europe/London"

FORCE_RECORDS = TargetSchema(
    name="force crime records",
    fields=(
        TargetField("reference", required=True, help="the force's crime reference"),
        TargetField(
            "offence_code", required=True, help="the Home Office offence class (e.g. 92A, 8N)"
        ),
        TargetField("offence_description"),
        TargetField("original_offence_code", help="the class when the crime was first recorded"),
        TargetField(
            "committed_from", "timestamp", required=True, help="when the crime happened (or began)"
        ),
        TargetField("committed_from_date", "text"),
        TargetField("committed_from_time", "text"),
        TargetField("committed_to", "timestamp", help="the end of the range it happened in"),
        TargetField("recorded", "timestamp", help="when the force recorded the crime"),
        TargetField("easting", "number"),
        TargetField("northing", "number"),
        TargetField("latitude", "number"),
        TargetField("longitude", "number"),
        TargetField("address"),
        TargetField("postcode"),
        TargetField("lsoa_code"),
        TargetField("flags", "choice", help="the force's flags, in one column"),
        TargetField("status", "choice", help="recorded, cancelled or transferred"),
        TargetField("outcome"),
    ),
    choices={"flags": FLAGS, "status": STATUSES},
    alternatives={"committed_from": ("committed_from_date", "committed_from_time")},
)

_COLUMNS = (
    "file_id, line, force, reference, offence_code, offence_description, original_offence_code, "
    "crime_type, original_crime_type, committed_from, committed_to, recorded, committed_month, "
    "recorded_month, x, y, lsoa_code, district, address, postcode, flags, status, outcome, counted"
)


class ForceRecordsRefused(ImportRefused):
    """A force-records file was not imported; ``problems`` say file:line: field: reason."""


Progress = Callable[[str, int, int], None]  # (file name, bytes read, bytes in all)


@dataclass
class FileImport:
    """One file's outcome, as stored (or why not)."""

    path: str
    file_id: str
    sha256: str
    size_bytes: int
    rows: int
    counted: int
    first_committed: datetime | None
    last_committed: datetime | None
    already_imported: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def file_id_for(sha256: str) -> str:
    """The key of a file's rows: its content hash, so the same bytes are one file."""
    return "rms-" + sha256[:24]


def check_spec(spec: ImportSpec) -> None:
    """What the schema cannot say: a place given as a pair, aliases of known classes."""
    cols = spec.columns
    for a, b in (("easting", "northing"), ("latitude", "longitude")):
        if (a in cols) != (b in cols):
            raise SpecError(f"{spec.source}: columns: {a} and {b} go together; name both")
    aliases = spec.options.get("offence_codes", {})
    if not isinstance(aliases, dict):
        raise SpecError(f"{spec.source}: options.offence_codes: must be a table of code = class")
    known = offence_classes()
    for code, target in aliases.items():
        if not isinstance(target, str) or normalise_code(target) not in known:
            raise SpecError(
                f"{spec.source}: options.offence_codes.{code}: {target!r} is not a Home Office "
                "class in harmwatch's table (crimes/data/ho_offence_classes.csv)"
            )
    separator = spec.options.get("flags_separator", ";")
    if not isinstance(separator, str) or len(separator) != 1:
        raise SpecError(f"{spec.source}: options.flags_separator: must be one character")


def _offence_table(con: duckdb.DuckDBPyConnection, spec: ImportSpec) -> None:
    """``hw_offences``: every code a row may carry (the table's and the spec's aliases)."""
    rows = [
        (code, c.code, c.description, c.police_uk_type) for code, c in offence_classes().items()
    ]
    known = offence_classes()
    for alias, target in dict(spec.options.get("offence_codes", {})).items():
        c = known[normalise_code(str(target))]
        rows.append((normalise_code(str(alias)), c.code, c.description, c.police_uk_type))
    frame = pd.DataFrame(rows, columns=["hw_raw", "hw_code", "hw_description", "hw_type"])
    frame = frame.drop_duplicates("hw_raw", keep="last")
    con.register("hw_offences_frame", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE hw_offences AS SELECT * FROM hw_offences_frame")
    con.unregister("hw_offences_frame")


def _code_sql(raw: str) -> str:
    """The normalised code of a raw value, as :func:`.offences.normalise_code` makes it."""
    upper = f"upper(trim({raw}))"
    return f"CASE WHEN regexp_matches({upper}, '^0+[1-9A-Z]') THEN ltrim({upper}, '0') ELSE {upper} END"


def _local_month(utc: str) -> str:
    if utc == "NULL":
        return "CAST(NULL AS DATE)"
    return f"CAST(date_trunc('month', timezone('{ZONE}', timezone('UTC', {utc}))) AS DATE)"


def _conversion_sql(spec: ImportSpec, file_id: str, force: str) -> str:
    def col(name: str) -> str | None:
        column = spec.column(name)
        return None if column is None else '"' + column.replace('"', '""') + '"'

    def text(name: str) -> str:
        c = col(name)
        return f"nullif(trim({c}), '')" if c else "NULL"

    assert spec.time is not None
    problems: list[tuple[str, str]] = []
    ref = col("reference")
    problems.append(("reference", f"CASE WHEN trim({ref}) = '' THEN 'empty' END"))
    code = col("offence_code")
    problems.append(
        (
            "offence_code",
            f"CASE WHEN trim({code}) = '' THEN 'empty' WHEN hw_o.hw_code IS NULL THEN "
            "'not a Home Office class in harmwatch''s table; map it to one in the spec''s "
            "[options.offence_codes]' END",
        )
    )
    original = col("original_offence_code")
    if original:
        problems.append(
            (
                "original_offence_code",
                f"CASE WHEN trim({original}) <> '' AND hw_oo.hw_code IS NULL THEN "
                "'not a Home Office class in harmwatch''s table' END",
            )
        )
    if col("committed_from"):
        raw_from = f"trim({col('committed_from')})"
    else:
        raw_from = f"trim({col('committed_from_date')} || ' ' || {col('committed_from_time')})"
    # Each time is parsed once (hw_l_*), converted once (hw_u_*, with its reason hw_r_*),
    # in staged columns: written inline, the value and each check would parse it again.
    times = {"from": raw_from}
    if col("committed_to"):
        times["to"] = f"nullif(trim({col('committed_to')}), '')"
    if col("recorded"):
        times["rec"] = f"nullif(trim({col('recorded')}), '')"
    parsed = ", ".join(f"{local_time_sql(raw, spec.time)} AS hw_l_{k}" for k, raw in times.items())
    converted = []
    for key, raw in times.items():
        utc, reason = utc_sql(f"hw_l_{key}", raw, spec.time)
        if key != "from":
            reason = f"CASE WHEN {raw} IS NOT NULL THEN {reason} END"
        converted.append(f"{utc} AS hw_u_{key}, {reason} AS hw_r_{key}")
    staged = (
        f"WITH hw_p AS (SELECT *, {parsed} FROM hw_batch), "
        f"hw_u AS (SELECT *, {', '.join(converted)} FROM hw_p) "
    )
    start = "hw_u_from"
    problems.append(("committed_from", "hw_r_from"))
    end = "CAST(NULL AS TIMESTAMP)"
    if "to" in times:
        end = "hw_u_to"
        problems.append(("committed_to", "hw_r_to"))
        problems.append(
            (
                "committed_to",
                "CASE WHEN hw_u_to < hw_u_from THEN 'before committed_from (the range ends "
                "before it begins)' END",
            )
        )
    recorded = "hw_u_rec" if "rec" in times else "NULL"

    def month_of(key: str) -> str:
        if key not in times:
            return "CAST(NULL AS DATE)"
        if spec.time is not None and spec.time.carries_offset:
            return _local_month(f"hw_u_{key}")
        # The month of the wall time as written: no time-zone arithmetic needed.
        return f"CAST(date_trunc('month', hw_l_{key}) AS DATE)"

    x = y = "NULL"
    if col("easting"):
        east, north = col("easting") or "", col("northing") or ""
        x, reason = float_sql(east, 0, 700_000, "British National Grid easting")
        problems.append(("easting", reason))
        y, reason = float_sql(north, 0, 1_300_000, "British National Grid northing")
        problems.append(("northing", reason))
        problems.append(("easting", _pair_reason(east, north, "easting", "northing")))
    if col("latitude"):
        lat, lon = col("latitude") or "", col("longitude") or ""
        _, reason = float_sql(lat, 49, 61, "latitude in Great Britain")
        problems.append(("latitude", reason))
        _, reason = float_sql(lon, -9, 2.5, "longitude in Great Britain")
        problems.append(("longitude", reason))
        problems.append(("latitude", _pair_reason(lat, lon, "latitude", "longitude")))
        x = f"coalesce({x}, hw_lonlat_x)" if x != "NULL" else "hw_lonlat_x"
        y = f"coalesce({y}, hw_lonlat_y)" if y != "NULL" else "hw_lonlat_y"
    flags = "[]::VARCHAR[]"
    if col("flags"):
        flags = "hw_f.hw_flags"
    status = "'recorded'"
    if col("status"):
        status, reason = choice_sql(col("status") or "", spec.choices["status"], "status")
        problems.append(("status", reason))
    problem = (
        "coalesce(" + ", ".join(f"'{f}' || chr(9) || ({reason})" for f, reason in problems) + ")"
    )
    return (
        staged
        + f"""
        SELECT '{file_id}' AS file_id, hw_line AS line, {sql_string(force)} AS force,
            trim({ref}) AS reference, hw_o.hw_code AS offence_code,
            coalesce({text("offence_description")}, hw_o.hw_description) AS offence_description,
            {"hw_oo.hw_code" if original else "hw_o.hw_code"} AS original_offence_code,
            hw_o.hw_type AS crime_type,
            {"coalesce(hw_oo.hw_type, hw_o.hw_type)" if original else "hw_o.hw_type"}
                AS original_crime_type,
            {start} AS committed_from, {end} AS committed_to,
            {"CAST(NULL AS TIMESTAMP)" if recorded == "NULL" else recorded} AS recorded,
            {month_of("from")} AS committed_month, {month_of("rec")} AS recorded_month,
            {x} AS x, {y} AS y, upper({text("lsoa_code")}) AS lsoa_code,
            CAST(NULL AS VARCHAR) AS district,
            {text("address")} AS address, upper({text("postcode")}) AS postcode,
            {flags} AS flags, {status} AS status, {text("outcome")} AS outcome,
            ({status} = 'recorded' AND hw_o.hw_type IS NOT NULL) AS counted,
            {problem} AS problem
        FROM hw_u
        LEFT JOIN hw_offences hw_o ON hw_o.hw_raw = {_code_sql(code or "")}
        {f"LEFT JOIN hw_offences hw_oo ON hw_oo.hw_raw = {_code_sql(original)}" if original else ""}
        {f"JOIN hw_flagsets hw_f ON hw_f.hw_raw = {col('flags')}" if col("flags") else ""}"""
    )


def _flag_lookup_sql(spec: ImportSpec) -> str | None:
    """The statement adding a batch's new distinct flag texts, mapped, to ``hw_flagsets``.

    An export holds a few hundred distinct combinations ("DRUG;CL", "DA") in a million
    rows: each is split and mapped once, and the rows join to it.
    """
    column = spec.column("flags")
    if not column:
        return None
    quoted = '"' + column.replace('"', '""') + '"'
    separator = sql_string(str(spec.options.get("flags_separator", ";")))
    cases = " ".join(
        f"WHEN {sql_string(v)} THEN {sql_string(k)}"
        for v, k in sorted(spec.choices["flags"].items())
    )
    mapped = (
        f"list_sort(list_distinct(list_filter(list_transform(string_split(hw_raw, {separator}), "
        f"lambda f: CASE lower(trim(f)) {cases} END), lambda f: f IS NOT NULL)))"
    )
    return (
        f"INSERT INTO hw_flagsets SELECT hw_raw, {mapped} FROM (SELECT DISTINCT {quoted} AS hw_raw "
        "FROM hw_batch) WHERE hw_raw NOT IN (SELECT hw_raw FROM hw_flagsets)"
    )


def _pair_reason(a: str, b: str, a_name: str, b_name: str) -> str:
    return (
        f"CASE WHEN (nullif(trim({a}), '') IS NULL) <> (nullif(trim({b}), '') IS NULL) "
        f"THEN 'one of {a_name} and {b_name} is blank: give both or neither' END"
    )


def _with_lonlat(table: pa.Table, spec: ImportSpec) -> pa.Table:
    """Add BNG columns for a spec that gives latitude/longitude (pyproj, whole batch at once)."""
    if not spec.column("latitude"):
        return table
    lat = _numbers(table.column(spec.column("latitude") or ""))
    lon = _numbers(table.column(spec.column("longitude") or ""))
    ok = np.isfinite(lat) & np.isfinite(lon)
    x = np.full(len(lat), np.nan)
    y = np.full(len(lat), np.nan)
    if ok.any():
        x[ok], y[ok] = to_bng(lon[ok], lat[ok])
    return table.append_column("hw_lonlat_x", pa.array(x, from_pandas=True)).append_column(
        "hw_lonlat_y", pa.array(y, from_pandas=True)
    )


_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    """Text to floats, NaN where blank or not a number (the SQL checks say why)."""
    trimmed = pc.utf8_trim_whitespace(column)
    numeric = pc.if_else(
        pc.match_substring_regex(trimmed, _NUMBER), trimmed, pa.scalar(None, pa.string())
    )
    return np.asarray(pc.cast(numeric, pa.float64()).to_numpy(zero_copy_only=False), float)


def already_imported(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[str, ...] | None:
    row = con.execute(
        "SELECT file_id, file_name, imported_at, imported_by FROM force_crime_files "
        "WHERE sha256 = ?",
        [sha256],
    ).fetchone()
    return None if row is None else tuple(str(v) for v in row)


def _field_label(spec: ImportSpec, name: str) -> str:
    column = spec.column(name)
    if column is None and name == "committed_from":
        column = f"{spec.column('committed_from_date')} + {spec.column('committed_from_time')}"
    return f"{name} ({column})" if column else name


def _repeated_references(
    con: duckdb.DuckDBPyConnection, path: Path, file_id: str, force: str
) -> list[str]:
    """A reference twice in the file, or already stored from another file of the force.

    One row per crime is what every count assumes; an export with a row per victim or
    per offence, or two exports of overlapping months, would count crimes twice.
    """
    problems = [
        f"{path.name}:{line}: reference: {ref!r} again (first on line {first}); one row per crime"
        for ref, line, first in con.execute(
            """SELECT reference, line, first FROM (
                SELECT reference, line, min(line) OVER (PARTITION BY reference) AS first
                FROM force_crimes WHERE file_id = ?) WHERE line > first ORDER BY line LIMIT 20""",
            [file_id],
        ).fetchall()
    ]
    problems += [
        f"{path.name}:{line}: reference: {ref!r} is already stored from {name}; remove that "
        "file's records first (harmwatch crimes remove) or import only the new crimes"
        for ref, line, name in con.execute(
            """SELECT n.reference, n.line, f.file_name FROM force_crimes n
               JOIN force_crimes o ON o.reference = n.reference AND o.force = n.force
                   AND o.file_id <> n.file_id
               JOIN force_crime_files f ON f.file_id = o.file_id
               WHERE n.file_id = ? AND n.force = ? ORDER BY n.line LIMIT 20""",
            [file_id, force],
        ).fetchall()
    ]
    return problems


def _assign_districts(con: duckdb.DuckDBPyConnection, file_id: str) -> None:
    """Each located row's district: the bundled local-authority outline it lies in."""
    rows = con.execute(
        "SELECT line, x, y FROM force_crimes WHERE file_id = ? AND x IS NOT NULL", [file_id]
    ).fetchnumpy()
    if len(rows["line"]) == 0:
        return
    x = np.asarray(rows["x"], float)
    y = np.asarray(rows["y"], float)
    names = _district_names(x, y)
    frame = pd.DataFrame({"hw_line": np.asarray(rows["line"]), "hw_district": names})
    con.register("hw_districts", frame)
    con.execute(
        "UPDATE force_crimes SET district = d.hw_district FROM hw_districts d "
        "WHERE force_crimes.file_id = ? AND force_crimes.line = d.hw_line",
        [file_id],
    )
    con.unregister("hw_districts")


_DISTRICT_CELL_M = 1000.0


@cache
def _district_index() -> tuple[shapely.STRtree, np.ndarray]:
    from harmwatch.spatial.boundaries import districts

    lads = districts()
    return shapely.STRtree(lads.geometry.values), lads["name"].to_numpy(dtype=object)


def _district_names(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The district outline each point lies in (None outside all), by point in polygon.

    Most points lie in a kilometre square wholly inside one district: the squares are
    tested once each, and only the points in squares a boundary crosses are tested one
    by one. On a shared border the first outline (lowest index) is kept.
    """
    tree, lad_names = _district_index()
    names = np.full(len(x), None, dtype=object)
    cell = _DISTRICT_CELL_M
    keys = np.floor(x / cell).astype(np.int64) * 1_000_000 + np.floor(y / cell).astype(np.int64)
    squares, point_square = np.unique(keys, return_inverse=True)
    sx, sy = (squares // 1_000_000) * cell, (squares % 1_000_000) * cell
    boxes = shapely.box(sx, sy, sx + cell, sy + cell)
    box_index, lad_index = tree.query(boxes, predicate="within")
    inside = np.full(len(squares), -1, dtype=np.int64)
    inside[box_index] = lad_index
    whole = inside[point_square] >= 0
    names[whole] = lad_names[inside[point_square[whole]]]
    rest = np.flatnonzero(~whole)
    if len(rest):
        point_index, lad_index = tree.query(
            shapely.points(x[rest], y[rest]), predicate="intersects"
        )
        order = np.lexsort((lad_index, point_index))
        point_index, lad_index = point_index[order], lad_index[order]
        first = np.r_[True, point_index[1:] != point_index[:-1]] if len(point_index) else []
        names[rest[point_index[first]]] = lad_names[lad_index[first]]
    return names


@contextmanager
def _readable(path: Path, spec: ImportSpec) -> Iterator[tuple[Path, ImportSpec]]:
    """A CSV of the file: itself, or an Excel workbook's first sheet written out as text.

    Excel cells that hold dates are written in the spec's time format, so one spec
    reads both; row numbers are the sheet's, so ``file:line`` points at the row a
    user sees in Excel.
    """
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        yield path, spec
        return
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise ForceRecordsRefused(f"{path.name}: not a readable Excel workbook ({exc})") from None
    fmt = spec.time.format if spec.time and spec.time.format != "iso8601" else "%Y-%m-%d %H:%M:%S"
    with tempfile.TemporaryDirectory(prefix="harmwatch-xlsx-") as tmp:
        out = Path(tmp) / (path.stem + ".csv")
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=spec.delimiter)
            for row in book.worksheets[0].iter_rows(values_only=True):
                writer.writerow([_cell_text(v, fmt) for v in row])
        book.close()
        yield out, replace(spec, encoding="utf-8")


def _cell_text(value: Any, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(fmt)
    if isinstance(value, date):
        return value.strftime(fmt.split(" ")[0])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: ImportSpec,
    *,
    force: str,
    imported_by: str,
    synthetic: bool = False,
    progress: Progress | None = None,
    before_commit: Callable[[FileImport], None] | None = None,
) -> FileImport:
    """Import one file in one DuckDB transaction (see the module docstring).

    ``before_commit`` runs after every row is stored and checked but before the
    commit — the room creates the file's kernel record there, so that a failure to
    record it rolls the rows back too.
    """
    began = time.perf_counter()
    check_spec(spec)
    sha256, size = sha256_of(path)
    file_id = file_id_for(sha256)
    seen = already_imported(con, sha256)
    if seen is not None:
        return FileImport(
            str(path), seen[0], sha256, size, 0, 0, None, None, already_imported=True,
            notes=[f"already imported as {seen[0]} ({seen[1]}) on {seen[2]} by {seen[3]}; "
                   "not imported again"],
        )  # fmt: skip
    with _readable(path, spec) as (readable, read_spec):
        return _import_rows(
            con, path, readable, read_spec, file_id, sha256, size, force=force,
            imported_by=imported_by, synthetic=synthetic, progress=progress,
            before_commit=before_commit, began=began,
        )  # fmt: skip


def _import_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    spec: ImportSpec,
    file_id: str,
    sha256: str,
    size: int,
    *,
    force: str,
    imported_by: str,
    synthetic: bool,
    progress: Progress | None,
    before_commit: Callable[[FileImport], None] | None,
    began: float,
) -> FileImport:
    header = read_header(readable, spec, ForceRecordsRefused)
    check_columns(path, spec, header, ForceRecordsRefused)
    reader = BatchReader(readable, spec, header, ForceRecordsRefused, name=path.name)
    _offence_table(con, spec)
    con.execute("CREATE OR REPLACE TEMP TABLE hw_flagsets (hw_raw VARCHAR, hw_flags VARCHAR[])")
    flag_lookup = _flag_lookup_sql(spec)
    select = _conversion_sql(spec, file_id, force)
    problems: list[str] = []
    more = rows = read_bytes = 0
    unmapped: dict[str, int] = {}
    text_bytes = text_size(readable, readable.stat().st_size)
    name = path.name
    con.execute("BEGIN TRANSACTION")
    try:
        for table in reader.tables():
            con.register("hw_batch", _with_lonlat(table, spec))
            _count_unmapped_flags(con, spec, unmapped)
            if flag_lookup:
                con.execute(flag_lookup)
            con.execute(f"CREATE OR REPLACE TEMP TABLE hw_stage AS {select}")
            con.unregister("hw_batch")
            more += first_problems(con, path, lambda f: _field_label(spec, f), problems)
            if not problems and not more and not reader.parse_problems:
                con.execute(f"INSERT INTO force_crimes SELECT {_COLUMNS} FROM hw_stage")
            rows += table.num_rows
            read_bytes += BLOCK_BYTES
            if progress is not None:
                progress(name, min(read_bytes, text_bytes), text_bytes)
        reader.refuse_if_misread()
        if problems:
            raise ForceRecordsRefused(
                f"{name}: not imported: {len(problems) + more:,} row(s) refused; nothing "
                "from this file was stored",
                problems,
                more,
            )
        if rows == 0:
            raise ForceRecordsRefused(f"{name}:2: the file has a header but no rows")
        repeated = _repeated_references(con, path, file_id, force)
        if repeated:
            raise ForceRecordsRefused(
                f"{name}: not imported: crime references repeat; nothing from this file was stored",
                repeated,
            )
        _assign_districts(con, file_id)
        span = con.execute(
            "SELECT min(committed_from), max(committed_from), count(*) FILTER (WHERE counted) "
            "FROM force_crimes WHERE file_id = ?",
            [file_id],
        ).fetchone()
        first, last, counted = (span[0], span[1], int(span[2])) if span else (None, None, 0)
        outcome = FileImport(
            str(path), file_id, sha256, size, rows, counted, first, last,
            notes=_notes(con, file_id, spec, unmapped),
        )  # fmt: skip
        con.execute(
            "INSERT INTO force_crime_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_id, name, sha256, size, spec.name, spec.sha256 or "", force, rows,
                first, last, datetime.now(UTC).replace(tzinfo=None), imported_by, synthetic,
            ],
        )  # fmt: skip
        if before_commit is not None:
            before_commit(outcome)
        for scratch in ("hw_stage", "hw_flagsets", "hw_offences"):
            con.execute(f"DROP TABLE IF EXISTS {scratch}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    outcome.seconds = time.perf_counter() - began
    return outcome


def _count_unmapped_flags(
    con: duckdb.DuckDBPyConnection, spec: ImportSpec, counts: dict[str, int]
) -> None:
    """Tally the file's flag values the spec does not map: not kept, but said."""
    column = spec.column("flags")
    if not column:
        return
    separator = sql_string(str(spec.options.get("flags_separator", ";")))
    known = ", ".join(sql_string(v) for v in spec.choices["flags"]) or "''"
    quoted = '"' + column.replace('"', '""') + '"'
    for value, n in con.execute(
        f"""SELECT v, count(*) FROM (
            SELECT lower(trim(unnest(string_split({quoted}, {separator})))) AS v FROM hw_batch)
            WHERE v <> '' AND v NOT IN ({known}) GROUP BY v"""
    ).fetchall():
        counts[str(value)] = counts.get(str(value), 0) + int(n)


def _notes(
    con: duckdb.DuckDBPyConnection, file_id: str, spec: ImportSpec, unmapped: dict[str, int]
) -> list[str]:
    """What a user should know about the stored rows (not problems: they were refused)."""
    row = con.execute(
        """SELECT count(*) FILTER (WHERE x IS NULL),
                  count(*) FILTER (WHERE x IS NOT NULL AND district IS NULL),
                  count(*) FILTER (WHERE status <> 'recorded'),
                  count(*) FILTER (WHERE offence_code = ?),
                  count(*) FILTER (WHERE committed_to IS NOT NULL)
           FROM force_crimes WHERE file_id = ?""",
        [NON_NOTIFIABLE, file_id],
    ).fetchone()
    assert row is not None
    unlocated, outside, not_recorded, non_notifiable, ranged = (int(v) for v in row)
    notes = []
    if ranged:
        notes.append(f"{_n(ranged, 'crime')} known only within a time range (kept as ranges)")
    if unlocated:
        notes.append(f"{_n(unlocated, 'crime')} without a location: in counts, on no map")
    if outside:
        notes.append(f"{_n(outside, 'located crime')} outside every English district outline")
    if not_recorded:
        notes.append(f"{_n(not_recorded, 'record')} cancelled or transferred: kept, not counted")
    if non_notifiable:
        notes.append(f"{_n(non_notifiable, 'non-notifiable record')}: kept, not counted")
    if unmapped:
        listed = ", ".join(f"{v} ({n:,})" for v, n in sorted(unmapped.items())[:10])
        notes.append(f"flag values the spec does not map were not kept: {listed}")
    left_out = sorted(set(spec.columns.values()))
    notes.append(f"columns kept: {', '.join(left_out)}; every other column was not read")
    return notes


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
