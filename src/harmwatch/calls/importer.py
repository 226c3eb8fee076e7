"""Import call-data records: operators' CSV files, mapped by an import spec, into DuckDB.

Each file is one transaction: every row is converted and checked, and the file is
stored whole or not at all — a refused file leaves the store as it was, and its
problems say ``file:line: field: reason`` (the first :data:`MAX_PROBLEMS`, and how
many more). A file already imported (the same bytes, by SHA-256) is not imported
twice: the outcome says when and under which reference it was.

The file is read as a stream of Arrow record batches (``pyarrow.csv``: parsed in
parallel, memory bounded by the block size, gzip read on the fly) and each batch is
converted by one SQL statement in DuckDB — numbers to typed keys
(:mod:`.parties`), times to UTC with the spec's time-zone rules
(:func:`harmwatch.sources.importspec.timestamp_sql`), durations, event types, IMEIs,
cell coordinates — so tens of millions of rows import without a Python loop over
them. A row's ``line`` is its line in the file (the header is line 1); quoted values
with line breaks inside are refused rather than miscounted.

Provenance: each file's record holds its name, size, SHA-256, the spec's name and
SHA-256, who imported it and when, and the legal basis and reference it was obtained
under (:class:`LegalBasis`); every finding cites the file and line of its rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

from harmwatch.errors import InputError
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
    TargetField,
    TargetSchema,
    choice_sql,
    duration_sql,
    float_sql,
    timestamp_sql,
)

from . import parties

CALL_DATA = TargetSchema(
    name="call data",
    fields=(
        TargetField("a_number", required=True, help="the originating party (caller or sender)"),
        TargetField("b_number", required=True, help="the receiving party"),
        TargetField("start", "timestamp", required=True, help="when the call or message began"),
        TargetField("start_date", "text"),
        TargetField("start_time", "text"),
        TargetField("duration", "duration", help="a call's length (SMS: 0; absent: 0)"),
        TargetField("event_type", "choice", help="call or SMS (absent: every row a call)"),
        TargetField("imei", help="the located party's handset"),
        TargetField("cell_id", help="the located party's serving cell"),
        TargetField("cell_lat", "number"),
        TargetField("cell_lon", "number"),
        TargetField(
            "served_number",
            help="the number whose records these are (its handset and cell are given); "
            "absent: the originating party's",
        ),
    ),
    choices={"event_type": ("call", "sms")},
    alternatives={"start": ("start_date", "start_time")},
)


class LegalBasis(StrEnum):
    """Under what authority the call data was obtained (typed at import, kept with it)."""

    #: Investigatory Powers Act 2016 Part 3: an authorisation to obtain communications data.
    IPA_PART3 = "ipa-part3"
    #: A warrant (e.g. IPA 2016 Part 2 targeted interception, Part 5 equipment interference).
    WARRANT = "warrant"
    #: Data downloaded from a seized device under PACE 1984 powers.
    PACE_DOWNLOAD = "pace-download"

    @property
    def described(self) -> str:
        return {
            "ipa-part3": "IPA 2016 Part 3 communications-data authorisation",
            "warrant": "warrant",
            "pace-download": "PACE device download",
        }[self.value]


def legal_basis(text: str) -> LegalBasis:
    try:
        return LegalBasis(text.strip().lower())
    except ValueError:
        choices = ", ".join(b.value for b in LegalBasis)
        raise InputError(f"legal basis: {text!r} is not one of {choices}") from None


class CallImportRefused(ImportRefused):
    """A call-data file was not imported; ``problems`` say file:line: field: reason."""


@dataclass(frozen=True)
class Authority:
    """What the importer records about how the data was obtained."""

    basis: LegalBasis
    reference: str

    def __post_init__(self) -> None:
        if not self.reference.strip():
            raise InputError(
                "authority reference: required — the authorisation, warrant or exhibit "
                "reference the data was obtained under"
            )


@dataclass
class FileImport:
    """One file's outcome, as stored (or why not)."""

    path: str
    file_id: str
    sha256: str
    size_bytes: int
    rows: int
    first_event: datetime | None
    last_event: datetime | None
    already_imported: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: (party key, kind, rows naming it) — the file's index for subject access
    parties: list[tuple[str, str, int]] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (file name, bytes read, bytes in all)


def file_id_for(sha256: str) -> str:
    """The key of a file's rows: its content hash, so the same bytes are one file."""
    return "cdr-" + sha256[:24]


def _conversion_sql(spec: ImportSpec, file_id: str, name: str) -> tuple[str, str]:
    """(SELECT of converted rows with a ``problem`` column, the problem expression)."""

    def col(field_name: str) -> str | None:
        column = spec.column(field_name)
        return None if column is None else '"' + column.replace('"', '""') + '"'

    problems: list[tuple[str, str]] = []  # (field, reason SQL)
    a, b = col("a_number"), col("b_number")
    assert a and b
    if col("start"):
        raw_start = col("start")
    else:
        raw_start = f"({col('start_date')} || ' ' || {col('start_time')})"
    assert raw_start is not None and spec.time is not None
    utc, reason = timestamp_sql(f"trim({raw_start})", spec.time)
    problems.append(("start", reason))
    if col("duration"):
        duration, reason = duration_sql(col("duration") or "", spec.duration_unit)
        problems.append(("duration", reason))
    else:
        duration = "0"
    if col("event_type"):
        event, reason = choice_sql(col("event_type") or "", spec.choices["event_type"], "type")
        problems.append(("event_type", reason))
    else:
        event = "'call'"
    served = col("served_number")
    # Keys are computed once per distinct value (``hw_keys``, ``hw_imeis``, built by
    # :func:`_lookup_sql` for each batch) and joined back: a file of ten million rows
    # holds tens of thousands of numbers and handsets, and the regular expressions
    # and Luhn sums are the costly part of the conversion.
    located = "hw_s.hw_key" if served else "hw_a.hw_key"
    imei_raw = col("imei")
    if imei_raw:
        imei = "CASE WHEN hw_i.hw_reason IS NULL THEN hw_i.hw_key END"
        problems.append(("imei", "hw_i.hw_reason"))
        imei_given = f"nullif(trim({imei_raw}), '')"
    else:
        imei = imei_given = "NULL"
    cell = f"nullif(trim({col('cell_id')}), '')" if col("cell_id") else "NULL"
    lat = lon = "NULL"
    if col("cell_lat"):
        lat, reason = float_sql(col("cell_lat") or "", -90, 90, "latitude")
        problems.append(("cell_lat", reason))
    if col("cell_lon"):
        lon, reason = float_sql(col("cell_lon") or "", -180, 180, "longitude")
        problems.append(("cell_lon", reason))
    problems.append(
        (
            "a_number",
            "CASE WHEN hw_a.hw_key = 'withheld' AND hw_b.hw_key = 'withheld' "
            "THEN 'both parties are withheld or empty: nothing to analyse' END",
        )
    )
    # The first problem of a row, as 'field\treason', or NULL.
    # (Concatenating NULL gives NULL, so each term is NULL when its field is fine.)
    problem = (
        "coalesce(" + ", ".join(f"'{f}' || chr(9) || ({reason})" for f, reason in problems) + ")"
    )
    select = f"""
        SELECT '{file_id}' AS file_id, hw_line AS line,
            hw_a.hw_key AS a_party, hw_a.hw_kind AS a_kind,
            hw_b.hw_key AS b_party, hw_b.hw_kind AS b_kind,
            {utc} AS started_utc,
            timezone('Europe/London', timezone('UTC', {utc})) AS started_local,
            {duration} AS duration_s, {event} AS event,
            {located} AS located, {imei} AS imei, {imei_given} AS imei_as_given,
            {cell} AS cell_id, {lat} AS cell_lat, {lon} AS cell_lon,
            {problem} AS problem
        FROM hw_batch
        JOIN hw_keys hw_a ON hw_a.hw_raw = {a}
        JOIN hw_keys hw_b ON hw_b.hw_raw = {b}
        {f"JOIN hw_keys hw_s ON hw_s.hw_raw = {served}" if served else ""}
        {f"JOIN hw_imeis hw_i ON hw_i.hw_raw = {imei_raw}" if imei_raw else ""}"""
    return select, problem


def _lookup_sql(spec: ImportSpec) -> list[str]:
    """Statements adding each batch's new distinct parties and IMEIs, with their keys, to the
    file's lookup tables (``hw_keys``, ``hw_imeis``; see :func:`_lookup_tables`). A value
    seen in an earlier batch is not worked out again."""

    def col(field_name: str) -> str | None:
        column = spec.column(field_name)
        return None if column is None else '"' + column.replace('"', '""') + '"'

    party_columns = [c for c in (col("a_number"), col("b_number"), col("served_number")) if c]
    distinct = " UNION ".join(f"SELECT {c} AS hw_raw FROM hw_batch" for c in party_columns)
    statements = [
        "INSERT INTO hw_keys SELECT hw_raw, hw_party_key(hw_raw), "
        f"hw_party_kind(hw_party_key(hw_raw)) FROM ({distinct}) "
        "WHERE hw_raw NOT IN (SELECT hw_raw FROM hw_keys)"
    ]
    imei = col("imei")
    if imei:
        statements.append(
            "INSERT INTO hw_imeis SELECT hw_raw, hw_imei_key(hw_raw), hw_imei_reason(hw_raw) "
            f"FROM (SELECT DISTINCT {imei} AS hw_raw FROM hw_batch) "
            "WHERE hw_raw NOT IN (SELECT hw_raw FROM hw_imeis)"
        )
    return statements


def _lookup_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE hw_keys (hw_raw VARCHAR, hw_key VARCHAR, hw_kind VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE hw_imeis (hw_raw VARCHAR, hw_key VARCHAR, hw_reason VARCHAR)"
    )


_CALL_COLUMNS = (
    "file_id, line, a_party, a_kind, b_party, b_kind, started_utc, started_local, duration_s, "
    "event, located, imei, imei_as_given, cell_id, cell_lat, cell_lon"
)


def party_index(con: duckdb.DuckDBPyConnection, file_id: str) -> list[tuple[str, str, int]]:
    """Every party of a stored file — caller, recipient, handset (kind ``imei``) — with how
    many of its rows name it (see :class:`~.models.CallDataParty`)."""
    rows = con.execute(
        """SELECT party, kind, count(*) FROM (
            SELECT a_party AS party, a_kind AS kind FROM calls WHERE file_id = $1
            UNION ALL SELECT b_party, b_kind FROM calls WHERE file_id = $1
            UNION ALL SELECT imei, 'imei' FROM calls WHERE file_id = $1 AND imei IS NOT NULL)
        GROUP BY ALL ORDER BY 1, 2""",
        [file_id],
    ).fetchall()
    return [(str(p), str(k), int(n)) for p, k, n in rows]


def already_imported(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[str, ...] | None:
    row = con.execute(
        "SELECT file_id, file_name, imported_at, imported_by, authority_ref FROM call_files "
        "WHERE sha256 = ?",
        [sha256],
    ).fetchone()
    return None if row is None else tuple(str(v) for v in row)


@parties.within_work_memory
def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: ImportSpec,
    *,
    authority: Authority,
    force: str,
    imported_by: str,
    synthetic: bool = False,
    progress: Progress | None = None,
    before_commit: Callable[[FileImport], None] | None = None,
) -> FileImport:
    """Import one file in one DuckDB transaction (see the module docstring), under
    :data:`~.parties.WORK_MEMORY`.

    ``before_commit`` runs after every row is stored and checked but before the
    commit — the calls room creates the file's kernel record there, so that a
    failure to record it rolls the rows back too.
    """
    began = time.perf_counter()
    sha256, size = sha256_of(path)
    file_id = file_id_for(sha256)
    seen = already_imported(con, sha256)
    if seen is not None:
        return FileImport(
            str(path), seen[0], sha256, size, 0, None, None, already_imported=True,
            notes=[f"already imported as {seen[0]} ({seen[1]}) on {seen[2]} by {seen[3]}, "
                   f"reference {seen[4]}; not imported again"],
        )  # fmt: skip
    header = read_header(path, spec, CallImportRefused)
    check_columns(path, spec, header, CallImportRefused)
    parties.install(con)
    _lookup_tables(con)
    reader = BatchReader(path, spec, header, CallImportRefused)
    select, _ = _conversion_sql(spec, file_id, path.name)
    lookups = _lookup_sql(spec)
    problems: list[str] = []
    more = 0
    rows = 0
    read_bytes = 0
    text_bytes = text_size(path, size)
    con.execute("BEGIN TRANSACTION")
    try:
        for table in reader.tables():
            con.register("hw_batch", table)
            for statement in lookups:
                con.execute(statement)
            con.execute(f"CREATE OR REPLACE TEMP TABLE hw_stage AS {select}")
            con.unregister("hw_batch")
            more += first_problems(con, path, lambda f: _field_label(spec, f), problems)
            if not problems and not more and not reader.parse_problems:
                con.execute(f"INSERT INTO calls SELECT {_CALL_COLUMNS} FROM hw_stage")
            rows += table.num_rows
            read_bytes += BLOCK_BYTES
            if progress is not None:
                progress(path.name, min(read_bytes, text_bytes), text_bytes)
        reader.refuse_if_misread()
        if problems:
            raise CallImportRefused(
                f"{path.name}: not imported: {len(problems) + more:,} row(s) refused; nothing "
                "from this file was stored",
                problems,
                more,
            )
        if rows == 0:
            raise CallImportRefused(f"{path.name}:2: the file has a header but no rows")
        span = con.execute(
            "SELECT min(started_utc), max(started_utc) FROM calls WHERE file_id = ?", [file_id]
        ).fetchone()
        first, last = (span[0], span[1]) if span else (None, None)
        outcome = FileImport(
            str(path), file_id, sha256, size, rows, first, last,
            seconds=time.perf_counter() - began, parties=party_index(con, file_id),
        )  # fmt: skip
        con.execute(
            "INSERT INTO call_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_id, path.name, sha256, size, spec.name, spec.sha256,
                authority.basis.value, authority.reference, force, rows, first, last,
                datetime.now(UTC).replace(tzinfo=None), imported_by, synthetic,
            ],
        )  # fmt: skip
        if before_commit is not None:
            before_commit(outcome)
        for scratch in ("hw_stage", "hw_keys", "hw_imeis"):
            con.execute(f"DROP TABLE IF EXISTS {scratch}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    outcome.seconds = time.perf_counter() - began
    return outcome


def _field_label(spec: ImportSpec, field_name: str) -> str:
    column = spec.column(field_name)
    if column is None and field_name == "start":
        column = f"{spec.column('start_date')} + {spec.column('start_time')}"
    return f"{field_name} ({column})" if column else field_name
