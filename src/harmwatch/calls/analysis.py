"""The everyday call-data analysis: contacts, patterns, cells, co-location, timeline.

Every function reads the analytics store's ``calls`` table through a DuckDB
connection, limited to ``files`` — the file_ids the record policy lets the caller
see. An empty ``files`` gives an empty table, never every file; a row in a file not
listed never counts. All the work is one parameterised SQL query per function
(issue 13 item 12: features are relational queries, so a distributed engine can
run the same definitions); no caller text is ever spliced into SQL.

Definitions shared by every function:

- **Party keys** are compared exactly as stored (E.164 ``+447…``, ``short:…``,
  ``alpha:…``, ``withheld``); normalise typed input with the import's normaliser
  before calling.
- **Events of a number** are the rows with ``a_party = number`` or
  ``b_party = number``. ``a_party = number`` is **out** (the number originated the
  call or SMS), otherwise **in**; a row with the number on both ends counts once,
  as out. The **counterpart** is the other end (``b_party`` for out, ``a_party``
  for in).
- **Talk seconds** sum ``duration_s`` of calls; SMS rows have duration 0 and are
  never included.
- **Local time** is ``started_local``, UK wall clock (Europe/London), so hours and
  weekdays are read as the people lived them: an event at 00:30 BST is hour 0 on the
  day after the clock change, not hour 23 (its UTC hour), and a day's pattern does not
  shift by an hour across the change. Gaps between events and "earliest/latest" are
  measured on ``started_utc``, which the autumn repeated hour cannot reorder.
- **A day** is the local calendar date of ``started_local``.
- **Located rows** of a number are those with ``located = number``: only these give
  the number's own handset (``imei``, the 14-digit match key) and serving cell.
- **Traceability**: row-level tables carry ``file_id`` and ``line``; each aggregate
  row carries ``sources``, every row behind it as ``file_id:line`` joined by ``;``,
  ordered by file_id then line — the full list, not a sample (it can be long for a
  busy line). :func:`source_rows` and :func:`rows_for_sources` give those rows in
  full for an evidential schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from harmwatch.calls.tables import Table
from harmwatch.errors import InputError

_LONDON = ZoneInfo("Europe/London")

_NOTE_LOCAL = (
    "Times *_local are UK wall clock (Europe/London); *_utc are UTC. Hours, weekdays and "
    "days are read on local time, so the BST change does not shift a day's pattern."
)
_NOTE_SOURCES = "sources: every row behind the figures, as file_id:line joined by ';'."
#: The note on every table asked of no visible files (its rows are empty).
NO_FILES_NOTE = "No visible files: nothing to analyse."

_VISIBLE = "visible AS (SELECT * FROM calls WHERE file_id IN (SELECT unnest($files::VARCHAR[])))"
# One number's events, with their direction and counterpart (see the module's definitions).
_MINE = """mine AS (
    SELECT *,
        CASE WHEN a_party = $number THEN 'out' ELSE 'in' END AS direction,
        CASE WHEN a_party = $number THEN b_party ELSE a_party END AS counterpart,
        CASE WHEN a_party = $number THEN b_kind ELSE a_kind END AS counterpart_kind
    FROM visible WHERE a_party = $number OR b_party = $number)"""
# Several targets' events: two equality joins, not one join on OR, so DuckDB hashes both.
_TARGET_EVENTS = """targets AS (
    SELECT unnest($targets::VARCHAR[]) AS target, generate_subscripts($targets::VARCHAR[], 1) AS pos),
target_events AS (
    SELECT v.*, t.target, 'out' AS direction, v.b_party AS counterpart, v.b_kind AS counterpart_kind
    FROM visible v JOIN targets t ON v.a_party = t.target
    UNION ALL
    SELECT v.*, t.target, 'in' AS direction, v.a_party AS counterpart, v.a_kind AS counterpart_kind
    FROM visible v JOIN targets t ON v.b_party = t.target AND v.a_party <> t.target)"""
_SOURCES = "string_agg(file_id || ':' || line, ';' ORDER BY file_id, line)"
_DAY = "CAST(started_local AS DATE)"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -- argument checks -------------------------------------------------------------------------


def _files(files: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too; iterating it would ask for one-letter file ids.
    if isinstance(files, str):
        raise InputError("files: give a list of file ids, not one string")
    out = list(files)
    for f in out:
        if not isinstance(f, str) or not f:
            raise InputError(f"files: {f!r} is not a file id")
    return out


def _party(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name}: give a party key such as '+447700900123', got {value!r}")
    return value.strip()


def _parties(name: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        raise InputError(f"{name}: give a list of party keys, not one string")
    return list(dict.fromkeys(_party(name, v) for v in values))


def _positive(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name}: must be a whole number of at least 1, got {value!r}")
    return value


def _local(name: str, value: datetime | None) -> datetime | None:
    """A bound as naive UK wall clock: naive is taken as local, aware is converted."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InputError(f"{name}: must be a date and time, got {value!r}")
    if value.tzinfo is not None:
        return value.astimezone(_LONDON).replace(tzinfo=None)
    return value


def _query(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in con.execute(sql, params).fetchall()]


def _bounds(start: datetime | None, end: datetime | None, params: dict[str, Any]) -> str:
    """SQL conditions for local start (inclusive) and end (exclusive); fills ``params``."""
    start = _local("start", start)
    end = _local("end", end)
    if start is not None and end is not None and end <= start:
        raise InputError(f"end: {end} is not after start {start}")
    where = ""
    if start is not None:
        params["start"] = start
        where += " AND started_local >= $start"
    if end is not None:
        params["end"] = end
        where += " AND started_local < $end"
    return where


# -- 1. top contacts -------------------------------------------------------------------------

TOP_CONTACTS_COLUMNS = (
    "counterpart",
    "counterpart_kind",
    "events",
    "events_out",
    "events_in",
    "calls",
    "sms",
    "talk_s",
    "first_seen_local",
    "last_seen_local",
    "days",
    "sources",
)


def top_contacts(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], number: str, limit: int | None = 50
) -> Table:
    """Each counterpart of ``number``, busiest first.

    Per counterpart: ``events`` (rows between the two), ``events_out`` (``a_party =
    number``) and ``events_in``, ``calls`` and ``sms`` (by ``event``), ``talk_s`` (sum
    of call durations, seconds), ``first_seen_local``/``last_seen_local`` (local time
    of the earliest/latest event by UTC), ``days`` (distinct local dates with an
    event) and ``sources``. Ordered by events descending, then counterpart; at most
    ``limit`` rows (None: all). A withheld caller is one counterpart, ``withheld``.
    """
    fs = _files(files)
    number = _party("number", number)
    limit = _positive("limit", limit)
    title = f"Top contacts of {number}"
    notes = (_NOTE_LOCAL, _NOTE_SOURCES)
    if not fs:
        return Table(title, TOP_CONTACTS_COLUMNS, [], (*notes, NO_FILES_NOTE))
    params: dict[str, Any] = {"files": fs, "number": number}
    sql = f"""WITH {_VISIBLE}, {_MINE}
    SELECT counterpart, min(counterpart_kind),
        count(*),
        count(*) FILTER (WHERE direction = 'out'),
        count(*) FILTER (WHERE direction = 'in'),
        count(*) FILTER (WHERE event = 'call'),
        count(*) FILTER (WHERE event = 'sms'),
        CAST(coalesce(sum(duration_s) FILTER (WHERE event = 'call'), 0) AS BIGINT),
        arg_min(started_local, started_utc), arg_max(started_local, started_utc),
        count(DISTINCT {_DAY}),
        {_SOURCES}
    FROM mine GROUP BY counterpart
    ORDER BY count(*) DESC, counterpart"""
    if limit is not None:
        params["limit"] = limit
        sql += " LIMIT $limit"
    return Table(title, TOP_CONTACTS_COLUMNS, _query(con, sql, params), notes)


# -- 2. common contacts ----------------------------------------------------------------------


def common_contacts(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], numbers: Sequence[str]
) -> Table:
    """Counterparts shared by two or more of the target ``numbers``.

    A counterpart of a target is the other end of one of its events (module
    definitions); the target itself and ``withheld`` (many unknown callers under one
    key) are never counterparts. Columns: ``counterpart``, ``counterpart_kind``,
    ``targets`` (how many targets it is in contact with), ``events`` (all its events
    with any target), one ``events_<target>`` column per target in the order given,
    and ``sources``. An event between two targets counts for each of them, with the
    other as counterpart — so a target can be another target's common contact.
    Ordered by targets, then events, descending, then counterpart.
    """
    fs = _files(files)
    targets = _parties("numbers", numbers)
    if len(targets) < 2:
        raise InputError("numbers: give at least two different target numbers")
    columns = (
        "counterpart",
        "counterpart_kind",
        "targets",
        "events",
        *(f"events_{t}" for t in targets),
        "sources",
    )
    title = "Common contacts of " + ", ".join(targets)
    notes = (_NOTE_SOURCES, "Withheld callers are left out: one key stands for many people.")
    if not fs:
        return Table(title, columns, [], (*notes, NO_FILES_NOTE))
    params: dict[str, Any] = {"files": fs, "targets": targets}
    # Per-target columns are named by position only ($t0, $t1 …), never by caller text.
    per_target = []
    for i, t in enumerate(targets):
        params[f"t{i}"] = t
        per_target.append(f"count(*) FILTER (WHERE target = $t{i})")
    sql = f"""WITH {_VISIBLE}, {_TARGET_EVENTS},
    contacts AS (
        SELECT * FROM target_events
        WHERE counterpart <> target AND counterpart_kind <> 'withheld'),
    shared AS (
        SELECT counterpart FROM contacts GROUP BY counterpart
        HAVING count(DISTINCT target) >= 2)
    SELECT counterpart, min(counterpart_kind), count(DISTINCT target), count(*),
        {", ".join(per_target)},
        {_SOURCES}
    FROM contacts JOIN shared USING (counterpart)
    GROUP BY counterpart
    ORDER BY count(DISTINCT target) DESC, count(*) DESC, counterpart"""
    return Table(title, columns, _query(con, sql, params), notes)


# -- 3. hour of day and day of week ----------------------------------------------------------

_PATTERN_COUNTS = """count(m.line),
        count(m.line) FILTER (WHERE m.event = 'call' AND m.direction = 'out'),
        count(m.line) FILTER (WHERE m.event = 'call' AND m.direction = 'in'),
        count(m.line) FILTER (WHERE m.event = 'sms' AND m.direction = 'out'),
        count(m.line) FILTER (WHERE m.event = 'sms' AND m.direction = 'in'),
        CAST(coalesce(sum(m.duration_s) FILTER (WHERE m.event = 'call'), 0) AS BIGINT),
        count(DISTINCT CAST(m.started_local AS DATE)),
        coalesce(string_agg(m.file_id || ':' || m.line, ';' ORDER BY m.file_id, m.line), '')"""
_PATTERN_COLUMNS = (
    "events",
    "calls_out",
    "calls_in",
    "sms_out",
    "sms_in",
    "talk_s",
    "days",
    "sources",
)
HOUR_COLUMNS = ("hour", *_PATTERN_COLUMNS)
WEEKDAY_COLUMNS = ("iso_weekday", "weekday", *_PATTERN_COLUMNS)


def hour_of_day(con: duckdb.DuckDBPyConnection, files: Sequence[str], number: str) -> Table:
    """Events of ``number`` by local hour, 0–23: all 24 rows, hours with none at zero.

    ``hour`` is the hour of ``started_local`` (UK wall clock). Per hour: ``events``,
    calls and SMS split out/in (``a_party = number`` is out), ``talk_s`` (sum of call
    durations), ``days`` (distinct local dates with an event in that hour, the
    divisor for an average per active day) and ``sources``.
    """
    fs = _files(files)
    number = _party("number", number)
    title = f"Hour of day, {number}"
    notes = (_NOTE_LOCAL, _NOTE_SOURCES)
    if not fs:
        return Table(title, HOUR_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql = f"""WITH {_VISIBLE}, {_MINE}
    SELECT g.hour, {_PATTERN_COUNTS}
    FROM generate_series(0, 23) AS g(hour)
    LEFT JOIN mine m ON hour(m.started_local) = g.hour
    GROUP BY g.hour ORDER BY g.hour"""
    return Table(title, HOUR_COLUMNS, _query(con, sql, {"files": fs, "number": number}), notes)


def day_of_week(con: duckdb.DuckDBPyConnection, files: Sequence[str], number: str) -> Table:
    """Events of ``number`` by local ISO weekday, Mon (1) to Sun (7): all 7 rows.

    The weekday is that of ``started_local`` (UK wall clock), so 00:30 BST on a Monday
    is Monday although it is 23:30 UTC on Sunday. Counts as :func:`hour_of_day`;
    ``days`` is the number of distinct dates of that weekday with an event.
    """
    fs = _files(files)
    number = _party("number", number)
    title = f"Day of week, {number}"
    notes = (_NOTE_LOCAL, _NOTE_SOURCES)
    if not fs:
        return Table(title, WEEKDAY_COLUMNS, [], (*notes, NO_FILES_NOTE))
    params: dict[str, Any] = {"files": fs, "number": number}
    names = ", ".join(f"'{d}'" for d in _WEEKDAYS)
    sql = f"""WITH {_VISIBLE}, {_MINE}
    SELECT g.d, [{names}][g.d], {_PATTERN_COUNTS}
    FROM generate_series(1, 7) AS g(d)
    LEFT JOIN mine m ON isodow(m.started_local) = g.d
    GROUP BY g.d ORDER BY g.d"""
    return Table(title, WEEKDAY_COLUMNS, _query(con, sql, params), notes)


# -- 4. usual cells --------------------------------------------------------------------------

USUAL_CELLS_COLUMNS = (
    "period",
    "rank",
    "cell_id",
    "events",
    "share",
    "days",
    "first_seen_local",
    "last_seen_local",
    "cell_lat",
    "cell_lon",
    "sources",
)


def _night_hours(night_hours: tuple[int, int]) -> tuple[int, int]:
    try:
        start, end = night_hours
    except (TypeError, ValueError):
        raise InputError(f"night_hours: give (start, end) hours, got {night_hours!r}") from None
    for name, h in (("start", start), ("end", end)):
        if isinstance(h, bool) or not isinstance(h, int) or not 0 <= h <= 23:
            raise InputError(f"night_hours: {name} must be an hour 0–23, got {h!r}")
    if start == end:
        raise InputError("night_hours: start and end must differ")
    return start, end


def usual_cells(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    number: str,
    night_hours: tuple[int, int] = (22, 6),
) -> Table:
    """The cells ``number``'s handset was served by, night-time and day-time.

    Only the number's located rows count (``located = number`` with a ``cell_id``).
    A row is **night** when its local hour h satisfies ``h >= start or h < end`` for
    ``night_hours = (start, end)`` (default 22:00–05:59), or ``start <= h < end`` when
    ``start < end``; otherwise **day**. Per period and cell: ``events``, ``share`` =
    events / all located rows with a cell in that period, ``rank`` within the period
    (1 = most events, ties by cell id), ``days`` (distinct local days; when the night
    runs across midnight a day runs from ``end`` o'clock to ``end`` o'clock, so one
    night counts once), first/last seen (local time of the earliest/latest by UTC),
    ``cell_lat``/``cell_lon`` (the cell-site coordinates on the latest row, as the
    operator gave them) and ``sources``. Night rows come first.

    The usual night-time cell (rank 1 at night) is an analyst's estimate of where the
    handset's user sleeps — a home-location estimate, not a fact: a cell covers an
    area (hundreds of metres in a town, kilometres in the country) and a handset may
    be served by a neighbouring cell.
    """
    fs = _files(files)
    number = _party("number", number)
    start, end = _night_hours(night_hours)
    title = f"Usual cells of {number}"
    notes = (
        _NOTE_LOCAL,
        _NOTE_SOURCES,
        f"Night: local hours from {start:02d}:00 to {end:02d}:00; the usual night cell is an "
        "estimate of home location, not a fact.",
    )
    if not fs:
        return Table(title, USUAL_CELLS_COLUMNS, [], (*notes, NO_FILES_NOTE))
    params: dict[str, Any] = {"files": fs, "number": number, "ns": start, "ne": end}
    night = (
        "(hour(started_local) >= $ns OR hour(started_local) < $ne)"
        if start > end
        else "(hour(started_local) >= $ns AND hour(started_local) < $ne)"
    )
    day = (
        "CAST(started_local - to_hours(CAST($ne AS BIGINT)) AS DATE)"
        if start > end
        else "CAST(started_local AS DATE)"
    )
    sql = f"""WITH {_VISIBLE},
    here AS (
        SELECT *, CASE WHEN {night} THEN 'night' ELSE 'day' END AS period, {day} AS aday
        FROM visible WHERE located = $number AND cell_id IS NOT NULL),
    site AS (
        SELECT cell_id, cell_lat, cell_lon, row_number() OVER (
            PARTITION BY cell_id ORDER BY started_utc DESC, file_id DESC, line DESC) AS rn
        FROM here),
    per AS (
        SELECT period, cell_id, count(*) AS events, count(DISTINCT aday) AS days,
            arg_min(started_local, started_utc) AS first_local,
            arg_max(started_local, started_utc) AS last_local,
            {_SOURCES} AS sources
        FROM here GROUP BY period, cell_id)
    SELECT p.period,
        row_number() OVER (PARTITION BY p.period ORDER BY p.events DESC, p.cell_id),
        p.cell_id, p.events, p.events / sum(p.events) OVER (PARTITION BY p.period),
        p.days, p.first_local, p.last_local, s.cell_lat, s.cell_lon, p.sources
    FROM per p JOIN site s ON s.cell_id = p.cell_id AND s.rn = 1
    ORDER BY p.period = 'day', p.events DESC, p.cell_id"""
    return Table(title, USUAL_CELLS_COLUMNS, _query(con, sql, params), notes)


# -- 5. co-location --------------------------------------------------------------------------

CO_LOCATION_COLUMNS = (
    "cell_id",
    "cell_lat",
    "cell_lon",
    "a_local",
    "b_local",
    "gap_min",
    "a_file_id",
    "a_line",
    "b_file_id",
    "b_line",
)
CO_LOCATION_DAY_COLUMNS = (
    "day",
    "occasions",
    "cells",
    "cell_ids",
    "first_local",
    "last_local",
    "sources",
)


def _co_location_sql(fs: list[str], a: str, b: str, window: int) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"files": fs, "a": a, "b": b, "w": window}
    sql = f"""WITH {_VISIBLE},
    ra AS (SELECT * FROM visible WHERE located = $a AND cell_id IS NOT NULL),
    rb AS (SELECT * FROM visible WHERE located = $b AND cell_id IS NOT NULL),
    pairs AS (
        SELECT ra.cell_id, ra.cell_lat, ra.cell_lon,
            ra.started_local AS a_local, rb.started_local AS b_local,
            (epoch(rb.started_utc) - epoch(ra.started_utc)) / 60.0 AS gap_min,
            ra.file_id AS a_file_id, ra.line AS a_line, rb.file_id AS b_file_id, rb.line AS b_line,
            ra.started_utc AS a_utc, rb.started_utc AS b_utc
        FROM ra JOIN rb ON ra.cell_id = rb.cell_id
            AND rb.started_utc BETWEEN ra.started_utc - to_minutes(CAST($w AS BIGINT))
                                   AND ra.started_utc + to_minutes(CAST($w AS BIGINT)))"""
    return sql, params


def _co_location_args(
    files: Sequence[str], number_a: str, number_b: str, window_minutes: int
) -> tuple[list[str], str, str, int]:
    fs = _files(files)
    a = _party("number_a", number_a)
    b = _party("number_b", number_b)
    if a == b:
        raise InputError("number_b: must differ from number_a")
    if isinstance(window_minutes, bool) or not isinstance(window_minutes, int):
        raise InputError(f"window_minutes: must be a whole number, got {window_minutes!r}")
    if window_minutes < 0:
        raise InputError(f"window_minutes: must not be negative, got {window_minutes}")
    return fs, a, b, window_minutes


def co_location(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    number_a: str,
    number_b: str,
    window_minutes: int = 30,
) -> Table:
    """Occasions when the handsets of ``number_a`` and ``number_b`` used the same cell.

    An occasion is a pair of rows, one located row of each number (``located =`` the
    number, with a ``cell_id``), with the same ``cell_id`` and start times at most
    ``window_minutes`` apart (measured on UTC, both ends inclusive). Every such pair
    is listed — a busy hour gives several — with the cell and its coordinates (from
    number_a's row), both local times, ``gap_min`` = b's start minus a's in minutes
    (negative when b came first) and both rows' file_id and line. Ordered by a's then
    b's time.

    The same cell id is a co-location only on one network: two operators' cells
    never share an id, so numbers on different networks never match here.
    """
    fs, a, b, window = _co_location_args(files, number_a, number_b, window_minutes)
    title = f"Co-location of {a} and {b} (same cell within {window} min)"
    notes = (
        _NOTE_LOCAL,
        "Same cell id only: numbers on different networks cannot match.",
    )
    if not fs:
        return Table(title, CO_LOCATION_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql, params = _co_location_sql(fs, a, b, window)
    sql += f"""
    SELECT {", ".join(CO_LOCATION_COLUMNS)} FROM pairs
    ORDER BY a_utc, b_utc, a_file_id, a_line, b_file_id, b_line"""
    return Table(title, CO_LOCATION_COLUMNS, _query(con, sql, params), notes)


def co_location_days(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    number_a: str,
    number_b: str,
    window_minutes: int = 30,
) -> Table:
    """:func:`co_location`'s occasions summed per local day.

    An occasion's day is the local date of the earlier of its two rows. Per day:
    ``occasions`` (pairs), ``cells`` (distinct cell ids) and ``cell_ids`` (joined by
    ``;``), ``first_local``/``last_local`` (earliest and latest of either row's local
    time, by UTC) and ``sources`` (every row in that day's pairs, each once).
    """
    fs, a, b, window = _co_location_args(files, number_a, number_b, window_minutes)
    title = f"Co-location of {a} and {b} by day (same cell within {window} min)"
    notes = (
        _NOTE_LOCAL,
        _NOTE_SOURCES,
        "Same cell id only: numbers on different networks cannot match.",
    )
    if not fs:
        return Table(title, CO_LOCATION_DAY_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql, params = _co_location_sql(fs, a, b, window)
    sql += f""",
    dated AS (
        SELECT *, CAST(CASE WHEN a_utc <= b_utc THEN a_local ELSE b_local END AS DATE) AS day
        FROM pairs),
    ends AS (
        SELECT day, a_file_id AS file_id, a_line AS line, a_utc AS utc, a_local AS local
        FROM dated
        UNION
        SELECT day, b_file_id, b_line, b_utc, b_local FROM dated),
    rows_per_day AS (
        SELECT day, arg_min(local, utc) AS first_local, arg_max(local, utc) AS last_local,
            {_SOURCES} AS sources
        FROM ends GROUP BY day)
    SELECT d.day, count(*), count(DISTINCT d.cell_id),
        string_agg(DISTINCT d.cell_id, ';' ORDER BY d.cell_id),
        any_value(r.first_local), any_value(r.last_local), any_value(r.sources)
    FROM dated d JOIN rows_per_day r USING (day)
    GROUP BY d.day ORDER BY d.day"""
    return Table(title, CO_LOCATION_DAY_COLUMNS, _query(con, sql, params), notes)


# -- 6. first and last seen ------------------------------------------------------------------

FIRST_LAST_COLUMNS = (
    "number",
    "events",
    "first_local",
    "last_local",
    "first_utc",
    "last_utc",
    "days",
    "imeis",
    "imei_list",
    "cells",
    "sources",
)


def first_last_seen(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], numbers: Sequence[str]
) -> Table:
    """For each number, when it was first and last seen, and on how many handsets and cells.

    One row per distinct number, in the order given, including numbers with no event
    (events 0, times empty). ``events``: its events (module definitions);
    ``first_utc``/``last_utc``: the earliest/latest ``started_utc``, and
    ``first_local``/``last_local`` those same events' local times; ``days``: distinct
    local dates with an event; ``imeis``: distinct 14-digit IMEI keys on its located
    rows, listed in ``imei_list`` (``;``); ``cells``: distinct cell ids on its located
    rows; ``sources``: its events' rows.
    """
    fs = _files(files)
    targets = _parties("numbers", numbers)
    if not targets:
        raise InputError("numbers: give at least one number")
    title = "First and last seen"
    notes = (_NOTE_LOCAL, _NOTE_SOURCES, "IMEIs and cells: from the number's own located rows.")
    if not fs:
        return Table(title, FIRST_LAST_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql = f"""WITH {_VISIBLE}, {_TARGET_EVENTS},
    ev AS (
        SELECT target, count(*) AS events,
            min(started_utc) AS first_utc, max(started_utc) AS last_utc,
            arg_min(started_local, started_utc) AS first_local,
            arg_max(started_local, started_utc) AS last_local,
            count(DISTINCT {_DAY}) AS days, {_SOURCES} AS sources
        FROM target_events GROUP BY target),
    loc AS (
        SELECT t.target, count(DISTINCT v.imei) AS imeis,
            string_agg(DISTINCT v.imei, ';' ORDER BY v.imei) AS imei_list,
            count(DISTINCT v.cell_id) AS cells
        FROM visible v JOIN targets t ON v.located = t.target GROUP BY t.target)
    SELECT t.target, coalesce(ev.events, 0), ev.first_local, ev.last_local,
        ev.first_utc, ev.last_utc, coalesce(ev.days, 0), coalesce(loc.imeis, 0),
        coalesce(loc.imei_list, ''), coalesce(loc.cells, 0), coalesce(ev.sources, '')
    FROM targets t LEFT JOIN ev USING (target) LEFT JOIN loc USING (target)
    ORDER BY t.pos"""
    rows = _query(con, sql, {"files": fs, "targets": targets})
    return Table(title, FIRST_LAST_COLUMNS, rows, notes)


# -- 7. timeline and the rows behind a figure ------------------------------------------------

TIMELINE_COLUMNS = (
    "started_local",
    "started_utc",
    "direction",
    "counterpart",
    "counterpart_kind",
    "event",
    "duration_s",
    "located",
    "cell_id",
    "cell_lat",
    "cell_lon",
    "imei",
    "file_id",
    "line",
)


def timeline(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    number: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> Table:
    """Every event of ``number`` in time order (UTC, then file_id, line).

    ``start`` (inclusive) and ``end`` (exclusive) bound ``started_local``: a naive
    datetime is UK wall clock, an aware one is converted to it. ``direction`` and
    ``counterpart`` as in the module's definitions. ``cell_*`` and ``imei`` are those
    of the ``located`` party — which may be the counterpart, not ``number``, on a row
    from the counterpart's own records. At most ``limit`` rows (None: all).
    """
    fs = _files(files)
    number = _party("number", number)
    limit = _positive("limit", limit)
    params: dict[str, Any] = {"files": fs, "number": number}
    where = _bounds(start, end, params)
    title = f"Timeline of {number}"
    notes = (_NOTE_LOCAL, "cell and imei belong to the located party.")
    if not fs:
        return Table(title, TIMELINE_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql = f"""WITH {_VISIBLE}, {_MINE}
    SELECT {", ".join(TIMELINE_COLUMNS)} FROM mine WHERE TRUE {where}
    ORDER BY started_utc, file_id, line"""
    if limit is not None:
        params["limit"] = limit
        sql += " LIMIT $limit"
    return Table(title, TIMELINE_COLUMNS, _query(con, sql, params), notes)


SOURCE_COLUMNS = (
    "file_id",
    "line",
    "started_local",
    "started_utc",
    "a_party",
    "a_kind",
    "b_party",
    "b_kind",
    "event",
    "duration_s",
    "located",
    "imei",
    "imei_as_given",
    "cell_id",
    "cell_lat",
    "cell_lon",
)


def source_rows(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    number: str,
    counterpart: str | None = None,
    *,
    cell_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Table:
    """The source rows behind a figure, as stored, for an evidential schedule.

    The events of ``number``; with ``counterpart``, only those with that counterpart
    (the rows behind a :func:`top_contacts` row); with ``cell_id``, only its located
    rows served by that cell (behind a :func:`usual_cells` row, both periods together).
    ``start``/``end`` bound local time as in :func:`timeline`. Ordered by file_id,
    line, the order of ``sources``. For any other figure, pass its ``sources`` text to
    :func:`rows_for_sources`.
    """
    fs = _files(files)
    number = _party("number", number)
    params: dict[str, Any] = {"files": fs, "number": number}
    where = _bounds(start, end, params)
    title = f"Source rows, {number}"
    if counterpart is not None:
        params["counterpart"] = _party("counterpart", counterpart)
        title += f" with {params['counterpart']}"
        where += " AND counterpart = $counterpart"
    if cell_id is not None:
        params["cell"] = _party("cell_id", cell_id)
        title += f" in cell {params['cell']}"
        where += " AND located = $number AND cell_id = $cell"
    notes = (_NOTE_LOCAL,)
    if not fs:
        return Table(title, SOURCE_COLUMNS, [], (*notes, NO_FILES_NOTE))
    sql = f"""WITH {_VISIBLE}, {_MINE}
    SELECT {", ".join(SOURCE_COLUMNS)} FROM mine WHERE TRUE {where}
    ORDER BY file_id, line"""
    return Table(title, SOURCE_COLUMNS, _query(con, sql, params), notes)


def parse_sources(sources: str) -> list[tuple[str, int]]:
    """``'f1:3;f1:7;f2:1'`` → ``[('f1', 3), ('f1', 7), ('f2', 1)]``; the line follows the last colon."""
    out: list[tuple[str, int]] = []
    for i, item in enumerate(s for s in sources.split(";") if s.strip()):
        file_id, sep, line = item.strip().rpartition(":")
        if not sep or not file_id or not line.isdigit():
            raise InputError(f"sources: item {i + 1} {item!r} is not file_id:line")
        out.append((file_id, int(line)))
    return out


def rows_for_sources(con: duckdb.DuckDBPyConnection, files: Sequence[str], sources: str) -> Table:
    """The stored rows a ``sources`` text names, ordered by file_id, line.

    Only rows in visible ``files`` are returned: a ``sources`` text cannot reach a
    file the caller may not see. A named row that is not stored (or not visible) is
    simply absent; compare the row count with the number of items to check.
    """
    fs = _files(files)
    wanted = parse_sources(sources)
    title = "Source rows"
    notes = (_NOTE_LOCAL,)
    if not fs or not wanted:
        return Table(title, SOURCE_COLUMNS, [], (*notes, NO_FILES_NOTE) if not fs else notes)
    params: dict[str, Any] = {
        "files": fs,
        "wf": [f for f, _ in wanted],
        "wl": [line for _, line in wanted],
    }
    sql = f"""WITH {_VISIBLE},
    wanted AS (SELECT DISTINCT unnest($wf::VARCHAR[]) AS file_id, unnest($wl::BIGINT[]) AS line)
    SELECT {", ".join("v." + c for c in SOURCE_COLUMNS)}
    FROM visible v JOIN wanted w ON v.file_id = w.file_id AND v.line = w.line
    ORDER BY v.file_id, v.line"""
    return Table(title, SOURCE_COLUMNS, _query(con, sql, params), notes)
