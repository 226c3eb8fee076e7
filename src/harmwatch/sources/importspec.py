"""Import specifications: which column of a supplier's file is which field, and how to read it.

Operators, forensic providers and force systems each export their own layout. Like an
i2 Analyst's Notebook *import specification*, a small file (TOML or JSON) names, for
one layout, the column holding each field a harmwatch import needs, the format and
time zone of its times, and what its code values mean. The same module serves every
import (call data now; force records, forensic casework and operations later): each
importer declares its :class:`TargetSchema` — the fields it needs, which are
required, and the canonical values of its coded fields — and :func:`load_spec`
checks a spec against it, so a wrong spec is refused before any row is read, with
``spec-file: key: reason``.

The shape (TOML; JSON the same keys)::

    [spec]
    name = "operator-x-2026"       # recorded with every import made with it
    description = "..."
    delimiter = ","                # one character; "\\t" for tab
    header = true                  # the first line names the columns (required: true)
    encoding = "utf-8"             # or "latin-1" / "cp1252"

    [columns]                      # field = column name in the header
    a_number = "Calling Number"
    start = "Start"                # or start_date + start_time, joined by a space

    [time]
    format = "%d/%m/%Y %H:%M:%S"   # strptime codes, or "iso8601" (each value has Z or an offset)
    zone = "Europe/London"         # the zone of wall-clock values without an offset
    ambiguous = "refuse"           # the repeated autumn hour: refuse | earlier | later
    nonexistent = "refuse"         # the skipped spring hour: refuse | shift-forward

    [duration]
    unit = "seconds"               # seconds | minutes | hh:mm:ss

    [event_type]                   # a coded field: canonical value = the file's values
    call = ["VOICE", "MOC", "MTC"]
    sms = ["SMS-MO", "SMS-MT"]

Local times are converted to UTC by the ICU time-zone rules DuckDB carries. A wall
time the zone skips (01:00–01:59 on the last Sunday of March in the UK) or repeats
(01:00–01:59 on the last Sunday of October) names no one instant, so it is refused
unless the spec says how to resolve it: an analyst who guesses wrong moves a call by
an hour, which can put a phone in the wrong place at the time of an offence.
``earlier`` takes the first occurrence (BST), ``later`` the second (GMT);
``shift-forward`` reads a skipped time as if the clock had not yet changed (01:30
becomes 02:30 BST, i.e. 01:30 UTC). The checks assume the zone's shifts are one hour,
as every UK and EU shift is.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harmwatch.errors import InputError

FieldKind = Literal["text", "timestamp", "duration", "number", "choice"]
Ambiguous = Literal["refuse", "earlier", "later"]
Nonexistent = Literal["refuse", "shift-forward"]
DurationUnit = Literal["seconds", "minutes", "hh:mm:ss"]

_AMBIGUOUS = ("refuse", "earlier", "later")
_NONEXISTENT = ("refuse", "shift-forward")
_DURATION_UNITS = ("seconds", "minutes", "hh:mm:ss")
_ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")
ISO8601 = "iso8601"


class SpecError(InputError):
    """An import spec cannot be used; the message names the spec file and key."""


@dataclass(frozen=True)
class TargetField:
    """One field an importer needs: its name, whether it must be mapped, its kind."""

    name: str
    kind: FieldKind = "text"
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class TargetSchema:
    """What one importer needs from a spec (declared by the importer, checked here).

    ``choices``: for each coded field, its canonical values; the spec maps the file's
    values to them. ``alternatives``: a required field that may instead be given as
    other fields (``start`` as ``start_date`` + ``start_time``).
    """

    name: str
    fields: tuple[TargetField, ...]
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def field_named(self, name: str) -> TargetField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class TimeSpec:
    format: str
    zone: str
    ambiguous: Ambiguous = "refuse"
    nonexistent: Nonexistent = "refuse"

    @property
    def carries_offset(self) -> bool:
        """The values name their own instant (Z or +hh:mm), so the zone is not used."""
        return self.format == ISO8601 or "%z" in self.format


@dataclass(frozen=True)
class ImportSpec:
    """A checked import spec. ``sha256`` is of the file's bytes, recorded with each import."""

    name: str
    description: str
    delimiter: str
    encoding: str
    columns: Mapping[str, str]
    time: TimeSpec | None
    duration_unit: DurationUnit
    choices: Mapping[str, Mapping[str, str]]  # field -> file value -> canonical value
    source: str
    sha256: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> str | None:
        return self.columns.get(name)

    def missing_columns(self, header: Sequence[str]) -> list[tuple[str, str]]:
        """The (field, column) pairs whose column is not in ``header``."""
        present = set(header)
        return [(f, c) for f, c in self.columns.items() if c not in present]


def _need(where: str, table: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in table:
        raise SpecError(f"{where}.{key}: required")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SpecError(f"{where}.{key}: must be {kind.__name__}, got {value!r}")
    return value


def _optional(where: str, table: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    return _need(where, table, key, kind) if key in table else default


def _table(source: str, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise SpecError(f"{source}: [{key}] must be a table of keys")
    return value


def _one_of(where: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise SpecError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def parse_spec(
    data: Mapping[str, Any], schema: TargetSchema, *, source: str, sha256: str = ""
) -> ImportSpec:
    """Check ``data`` (a parsed TOML/JSON spec) against ``schema``; see the module docstring."""
    known_tables = {"spec", "columns", "time", "duration", "options", *schema.choices}
    unknown = sorted(set(data) - known_tables)
    if unknown:
        raise SpecError(
            f"{source}: unknown section(s) {', '.join(unknown)}; "
            f"sections are: {', '.join(sorted(known_tables))}"
        )
    head = _table(source, data, "spec")
    where = f"{source}: spec"
    name = _need(where, head, "name", str).strip()
    if not name:
        raise SpecError(f"{where}.name: must not be empty")
    delimiter = _optional(where, head, "delimiter", str, ",")
    delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise SpecError(f"{where}.delimiter: must be one character, got {delimiter!r}")
    if not _optional(where, head, "header", bool, True):
        raise SpecError(
            f"{where}.header: files without a header row are not supported; "
            "name the columns in the file's first line"
        )
    encoding = _one_of(
        f"{where}.encoding", _optional(where, head, "encoding", str, "utf-8").lower(), _ENCODINGS
    )
    description = _optional(where, head, "description", str, "")

    columns_in = _table(source, data, "columns")
    columns: dict[str, str] = {}
    alternative_names = {n for names in schema.alternatives.values() for n in names}
    for key, value in columns_in.items():
        if schema.field_named(key) is None and key not in alternative_names:
            names = [f.name for f in schema.fields] + sorted(alternative_names)
            raise SpecError(
                f"{source}: columns.{key}: {schema.name} has no field {key!r}; "
                f"fields: {', '.join(names)}"
            )
        if not isinstance(value, str) or not value.strip():
            raise SpecError(f"{source}: columns.{key}: must be the column's name in the header")
        columns[key] = value
    for target in schema.fields:
        if not target.required or target.name in columns:
            continue
        alternative = schema.alternatives.get(target.name, ())
        if alternative and all(a in columns for a in alternative):
            continue
        either = f" (or {' + '.join(alternative)})" if alternative else ""
        raise SpecError(f"{source}: columns.{target.name}{either}: required — {target.help}")
    clash = sorted(c for c in set(columns.values()) if list(columns.values()).count(c) > 1)
    if clash:
        raise SpecError(f"{source}: columns: {', '.join(clash)} named for more than one field")

    time = None
    needs_time = any(
        f.kind == "timestamp" and (f.name in columns or f.name in schema.alternatives)
        for f in schema.fields
    )
    if needs_time:
        t = _table(source, data, "time")
        where_t = f"{source}: time"
        fmt = _need(where_t, t, "format", str)
        if fmt != ISO8601 and "%" not in fmt:
            raise SpecError(f"{where_t}.format: strptime codes (e.g. %d/%m/%Y %H:%M) or iso8601")
        zone = _optional(where_t, t, "zone", str, "")
        if not zone and not (fmt == ISO8601 or "%z" in fmt):
            raise SpecError(
                f"{where_t}.zone: required — say the zone the file's times are in "
                "(e.g. UTC or Europe/London)"
            )
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SpecError(f"{where_t}.zone: {zone!r} is not a time zone name") from None
        ambiguous = _one_of(
            f"{where_t}.ambiguous", _optional(where_t, t, "ambiguous", str, "refuse"), _AMBIGUOUS
        )
        nonexistent = _one_of(
            f"{where_t}.nonexistent",
            _optional(where_t, t, "nonexistent", str, "refuse"),
            _NONEXISTENT,
        )
        time = TimeSpec(fmt, zone or "UTC", ambiguous, nonexistent)  # type: ignore[arg-type]

    unit = _one_of(
        f"{source}: duration.unit",
        _optional(f"{source}: duration", _table(source, data, "duration"), "unit", str, "seconds"),
        _DURATION_UNITS,
    )

    choices: dict[str, dict[str, str]] = {}
    for coded, canonical in schema.choices.items():
        mapping = _table(source, data, coded)
        if coded not in columns:
            continue
        if not mapping:
            raise SpecError(
                f"{source}: [{coded}]: say which of the file's values mean "
                f'{", ".join(canonical)} (e.g. {canonical[0]} = ["..."])'
            )
        seen: dict[str, str] = {}
        for key, values in mapping.items():
            _one_of(f"{source}: {coded}.{key}", key, canonical)
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SpecError(f"{source}: {coded}.{key}: must be a list of the file's values")
            for value in values:
                folded = value.strip().casefold()
                if folded in seen and seen[folded] != key:
                    raise SpecError(
                        f"{source}: {coded}: {value!r} means both {seen[folded]} and {key}"
                    )
                seen[folded] = key
        choices[coded] = seen

    options = _table(source, data, "options")
    return ImportSpec(
        name=name,
        description=description,
        delimiter=delimiter,
        encoding=encoding,
        columns=MappingProxyType(columns),
        time=time,
        duration_unit=unit,  # type: ignore[arg-type]
        choices=MappingProxyType({k: MappingProxyType(v) for k, v in choices.items()}),
        source=source,
        sha256=sha256,
        options=MappingProxyType(dict(options)),
    )


def load_spec(path: str | Path, schema: TargetSchema) -> ImportSpec:
    """Read and check the spec at ``path`` (``.toml`` or ``.json``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the import spec ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        elif path.suffix.lower() == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            raise SpecError(f"{path}: an import spec is a .toml or .json file")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not a readable spec: {exc}") from None
    if not isinstance(data, Mapping):
        raise SpecError(f"{path}: a spec is a table of sections")
    return parse_spec(data, schema, source=path.name, sha256=hashlib.sha256(raw).hexdigest())


# -- SQL for DuckDB ------------------------------------------------------------------------
#
# Importers convert in SQL over whole batches (not per row in Python), so each kind of
# value has a pair of expressions: the converted value, and the reason a raw value is
# refused (NULL when it is fine). ``raw`` is an SQL expression over a VARCHAR column.


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal (only for values checked here, never user rows)."""
    return "'" + text.replace("'", "''") + "'"


# Zones whose clocks have changed, every year since 1996, at 01:00 UTC on the last
# Sundays of March (to UTC+1) and October (back to UTC+0): the UK's and Ireland's. For a
# wall time outside the last week of those months the offset is simply +1 hour from
# April to October, so it is computed in SQL without the ICU time-zone library — five
# to ten times faster, and what most rows of a UK force's files take. The rule is
# checked against the zone database when first used (:func:`_rule_holds`); if the
# database ever disagrees (a change in the law), every row takes the general path.
_UK_RULE_ZONES = frozenset(
    {"Europe/London", "GB", "GB-Eire", "Europe/Belfast", "Europe/Jersey", "Europe/Guernsey",
     "Europe/Isle_of_Man", "Europe/Dublin", "Eire"}
)  # fmt: skip
_UK_RULE_YEARS = (1996, 2099)


def _last_sunday(year: int, month: int) -> int:
    import calendar

    last = calendar.monthrange(year, month)[1]
    return last - (calendar.weekday(year, month, last) - 6) % 7


@cache
def _rule_holds(zone: str) -> bool:
    """Whether the zone database gives ``zone`` exactly the UK rule in the rule's years."""
    from datetime import UTC, datetime, timedelta

    tz = ZoneInfo(zone)
    hour = timedelta(hours=1)
    for year in range(_UK_RULE_YEARS[0], _UK_RULE_YEARS[1] + 1):
        for month in range(1, 13):
            offset = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(tz).utcoffset()
            if offset != (hour if 4 <= month <= 10 else timedelta(0)):
                return False
        for month, before, after in ((3, timedelta(0), hour), (10, hour, timedelta(0))):
            change = datetime(year, month, _last_sunday(year, month), 1, tzinfo=UTC)
            if (change - timedelta(seconds=1)).astimezone(tz).utcoffset() != before:
                return False
            if change.astimezone(tz).utcoffset() != after:
                return False
    return True


def local_time_sql(raw: str, spec: TimeSpec) -> str:
    """The parsed time as written: naive wall time, or TIMESTAMPTZ when it carries an offset."""
    if spec.carries_offset:
        if spec.format == ISO8601:
            return f"TRY_CAST({raw} AS TIMESTAMPTZ)"
        return f"TRY_STRPTIME({raw}, {sql_string(spec.format)})"
    return f"TRY_STRPTIME({raw}, {sql_string(spec.format)})"


def utc_sql(local: str, raw: str, spec: TimeSpec) -> tuple[str, str]:
    """(UTC naive TIMESTAMP, refusal reason) from ``local`` (:func:`local_time_sql` of ``raw``).

    Computing ``local`` once (a column of a staged batch) and passing its name here
    keeps a file's times from being parsed once for the value and again for each check.
    """
    if spec.carries_offset:
        shape = (
            f"NOT regexp_matches({raw}, '(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$')"
            if spec.format == ISO8601
            else "FALSE"
        )
        reason = (
            f"CASE WHEN {local} IS NULL OR {shape} THEN 'not a time in the spec''s format "
            f"({spec.format}, with Z or an offset)' END"
        )
        return f"timezone('UTC', {local})", reason
    if spec.zone.upper() in ("UTC", "ETC/UTC", "GMT", "ETC/GMT"):
        reason = f"CASE WHEN {local} IS NULL THEN 'not a time in the format {spec.format}' END"
        return local, reason
    zone = sql_string(spec.zone)

    def to_utc(expr: str) -> str:
        return f"timezone('UTC', timezone({zone}, {expr}))"

    def to_local(expr: str) -> str:
        return f"timezone({zone}, timezone('UTC', {expr}))"

    # ICU reads a repeated wall time as its later (standard-time) instant; one hour
    # before that instant shows the same wall time exactly when the hour repeats.
    later = to_utc(local)
    nonexistent = f"({to_local(later)} <> {local})"
    ambiguous = f"({to_local(later + ' - INTERVAL 1 HOUR')} = {local})"
    earlier = f"({later} - INTERVAL 1 HOUR)"
    utc = later
    if spec.ambiguous == "earlier":
        utc = f"CASE WHEN {ambiguous} THEN {earlier} ELSE {utc} END"
    checks = [f"WHEN {local} IS NULL THEN 'not a time in the format {spec.format}'"]
    if spec.zone in _UK_RULE_ZONES and _rule_holds(spec.zone):
        low, high = _UK_RULE_YEARS
        plain = (
            f"(year({local}) BETWEEN {low} AND {high} AND NOT (month({local}) IN (3, 10) "
            f"AND day({local}) >= 25))"
        )
        utc = (
            f"CASE WHEN {plain} THEN {local} - CASE WHEN month({local}) BETWEEN 4 AND 10 "
            f"THEN INTERVAL 1 HOUR ELSE INTERVAL 0 HOUR END ELSE {utc} END"
        )
        checks.append(f"WHEN {plain} THEN NULL")
    if spec.nonexistent == "refuse":
        checks.append(
            f"WHEN {nonexistent} THEN 'this local time does not exist in {spec.zone} (the clocks "
            "went forward); set time.nonexistent in the spec to resolve it'"
        )
    if spec.ambiguous == "refuse":
        checks.append(
            f"WHEN {ambiguous} THEN 'this local time occurs twice in {spec.zone} (the clocks went "
            'back); set time.ambiguous = "earlier" or "later" in the spec to resolve it\''
        )
    # shift-forward: ICU already reads a skipped wall time as the pre-change offset.
    return utc, f"CASE {' '.join(checks)} END"


def timestamp_sql(raw: str, spec: TimeSpec) -> tuple[str, str]:
    """(UTC naive TIMESTAMP, refusal reason) for the raw text ``raw`` under ``spec``."""
    return utc_sql(local_time_sql(raw, spec), raw, spec)


def duration_sql(raw: str, unit: DurationUnit) -> tuple[str, str]:
    """(whole seconds INTEGER, refusal reason) for a duration written in ``unit``."""
    text = f"trim({raw})"
    if unit == "hh:mm:ss":
        parts = f"string_split({text}, ':')"
        ok = f"regexp_matches({text}, '^([0-9]+:)?[0-5]?[0-9]:[0-5][0-9]$')"
        seconds = (
            f"CASE WHEN {ok} THEN list_reduce(list_transform({parts}, lambda p: CAST(p AS BIGINT)),"
            " lambda acc, x: acc * 60 + x) END"
        )
        reason = f"CASE WHEN {text} = '' OR NOT {ok} THEN 'not a duration hh:mm:ss or mm:ss' END"
        return f"CAST({seconds} AS INTEGER)", reason
    scale = 60 if unit == "minutes" else 1
    number = f"TRY_CAST({text} AS DOUBLE)"
    seconds = f"CAST(round({number} * {scale}) AS INTEGER)"
    reason = (
        f"CASE WHEN {number} IS NULL THEN 'not a number of {unit}' "
        f"WHEN {number} < 0 THEN 'a duration cannot be negative' "
        f"WHEN {number} * {scale} > 604800 THEN 'longer than a week' END"
    )
    return seconds, reason


def choice_sql(raw: str, mapping: Mapping[str, str], what: str) -> tuple[str, str]:
    """(canonical value, refusal reason) for a coded value, matched case-insensitively."""
    cases = " ".join(
        f"WHEN {sql_string(value)} THEN {sql_string(canonical)}"
        for value, canonical in sorted(mapping.items())
    )
    folded = f"lower(trim({raw}))"
    value = f"CASE {folded} {cases} END"
    listed = ", ".join(sorted(mapping))
    reason = (
        f"CASE WHEN ({value}) IS NULL THEN 'not a value the spec maps for {what} "
        f"(it maps: {listed.replace(chr(39), chr(39) * 2)})' END"
    )
    return value, reason


def float_sql(raw: str, low: float, high: float, what: str) -> tuple[str, str]:
    """(DOUBLE or NULL when blank, refusal reason) for a number between ``low`` and ``high``."""
    number = f"TRY_CAST(nullif(trim({raw}), '') AS DOUBLE)"
    reason = (
        f"CASE WHEN nullif(trim({raw}), '') IS NOT NULL AND {number} IS NULL THEN 'not a number' "
        f"WHEN {number} < {low} OR {number} > {high} THEN 'not a {what} ({low} to {high})' END"
    )
    return number, reason
