"""The parameters several verbs share, declared once: forces, crime types, months, places.

A verb's request (``where/requests.py``, ``evaluation/requests.py``) takes these
specs as they are or with its own help text (``FORCES.but(help=…)``), so "a
force" or "the months" is read, checked and explained the same way by every
verb on every front. The text forms (a month spec, a comma list of LSOA codes, a
box) are parsed here too, with the messages a user sees.
"""

from __future__ import annotations

import math
import re
from typing import Any

from harmwatch.errors import InputError
from harmwatch.query.filter import DEFAULT_CRIME_TYPES, POLICE_UK, SOURCES
from harmwatch.query.params import CLI, FRONTS, LIBRARY, WEB, Limits, Param
from harmwatch.timeline.months import months_text, parse_month_spec, parse_period

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# The characters a month spec is written with (":" or ".." within a run, "," between
# parts); the API refuses anything else before a handler runs.
MONTHS_TEXT_PATTERN = r"^[0-9:, -]{0,200}$"
PERIOD_TEXT_PATTERN = r"^[0-9:,. -]{0,100}$"
LSOA_CODE_PATTERN = r"^[EW]0[0-9]{7}$"
LSOA_TEXT_PATTERN = r"^[A-Za-z0-9,;\s]{0,5000}$"
CELLS_TEXT_PATTERN = r"^[0-9,;\s]{0,10000}$"
BOUNDARY_ID_PATTERN = r"^[0-9a-f]{16}$"

ONLY_CLI = frozenset({CLI})
ONLY_WEB = frozenset({WEB})
__all__ = ["CLI", "FRONTS", "LIBRARY", "ONLY_CLI", "ONLY_WEB", "WEB"]


def split_list(text: str | None) -> list[str]:
    """Items separated by commas, semicolons or white space (as pasted from a spreadsheet)."""
    return [item for item in re.split(r"[,;\s]+", text or "") if item]


def months_value(text: str, name: str) -> tuple[str, ...]:
    return tuple(parse_month_spec(text))


def period_value(text: str, name: str) -> tuple[str, str]:
    return parse_period(text, name)


def period_text(period: tuple[str, str]) -> str:
    first, last = period
    return first if first == last else f"{first}:{last}"


def period_check(period: tuple[str, ...]) -> str | None:
    if len(period) != 2:
        return f"{{name}} must be (first, last) months, got {len(period)} values"
    first, last = period
    if (first, last) != tuple(sorted((first, last))):
        return f"{{name}} ends ({last}) before it starts ({first})"
    return None


def codes_value(text: str, name: str) -> tuple[str, ...]:
    return tuple(split_list(text))


def clean_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Codes upper-cased, blanks dropped and each kept once, in the order given."""
    return tuple(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))


def lsoa_codes_check(codes: tuple[str, ...]) -> str | None:
    bad = [c for c in codes if not re.fullmatch(LSOA_CODE_PATTERN, c)]
    if not bad:
        return None
    listed = ", ".join(bad[:5]) + (" …" if len(bad) > 5 else "")
    return f"{{name}}: not LSOA codes: {listed} (codes look like E01033803)"


def ids_value(text: str, name: str) -> tuple[int, ...]:
    ids = []
    for item in split_list(text):
        if not item.isdigit():
            raise InputError(f"{name}: cell ids must be whole numbers, got {item!r}")
        ids.append(int(item))
    return tuple(ids)


def clean_ids(ids: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(ids))


def bbox_value(text: str, name: str) -> tuple[float, float, float, float]:
    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise InputError(f"{name} must be four numbers 'xmin,ymin,xmax,ymax', got {text!r}")
    return (parts[0], parts[1], parts[2], parts[3])


def bbox_check(box: tuple[float, ...]) -> str | None:
    if len(box) != 4:
        return f"{{name}} must be four numbers (xmin, ymin, xmax, ymax), got {len(box)}"
    xmin, ymin, xmax, ymax = box
    if not all(math.isfinite(v) for v in box):
        return "{name} must be four finite numbers"
    if not (xmax > xmin and ymax > ymin):
        return f"{{name}} has no area: {xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}"
    return None


def numbers_text(values: tuple[Any, ...]) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def stripped_or_none(text: str) -> str | None:
    return text.strip() or None


def crime_types_clean(types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t.strip() for t in types if t.strip())


FORCES = Param(
    help="Force slug or name (repeatable); default: all loaded.",
    many=True,
    default=(),
    url="force",
    label="force",
    metavar="FORCE",
    server=Limits(max_items=50),
    place="forces",
)
CRIME_TYPES = Param(
    help="Crime type (repeatable); default: Drugs.",
    many=True,
    default=DEFAULT_CRIME_TYPES,
    url="crime_type",
    label="crime type",
    metavar="TYPE",
    clean=crime_types_clean,
    server=Limits(max_items=50),
)
MONTHS = Param(
    help="Months: 2021-01, 2021-01:2021-06 or a comma list; default: every month loaded.",
    default=(),
    parse=months_value,
    text=months_text,
    pattern=MONTH_PATTERN,
    looks_like="2025-01",
    text_pattern=MONTHS_TEXT_PATTERN,
    label="months",
    metavar="MONTHS",
)
SOURCE = Param(
    help="Where the crimes come from: police-uk (open files) or force-records (the force's "
    "own RMS exports: exact places and times, for those allowed; signed in, logged).",
    choices=SOURCES,
    default=POLICE_UK,
    label="source",
    metavar="SOURCE",
)


def _flags_clean(flags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.strip().lower() for f in flags if f.strip()))


FLAGS = Param(
    help="Force records only: keep records with this flag (repeatable), e.g. drug-related, "
    "hate-crime, domestic-abuse, county-lines.",
    many=True,
    default=(),
    url="flag",
    label="flag",
    metavar="FLAG",
    clean=_flags_clean,
    pattern=r"^[a-z-]{1,40}$",
    server=Limits(max_items=20),
)
OFFENCE_CLASSES = Param(
    help="Force records only: keep records of this Home Office offence class (repeatable), "
    "e.g. 92D and 92E (possession), 92A and 92C (trafficking).",
    many=True,
    default=(),
    url="offence_class",
    label="offence class",
    metavar="CLASS",
    pattern=r"^[0-9A-Za-z./]{1,8}$",
    server=Limits(max_items=40),
)
ALL_CRIME_TYPES = Param(
    help="Every crime type (crime_types must then be left alone).",
    type=bool,
    default=False,
    fronts=LIBRARY,
)
BOUNDARY = Param(
    help="Study area from a GeoJSON/GeoPackage/shapefile.",
    web_help="An uploaded boundary's id as study area.",
    web_pattern=BOUNDARY_ID_PATTERN,
    label="boundary",
    metavar="FILE",
    place="boundary",
)
BOUNDARY_LABEL = Param(
    help="How to name the boundary to readers (default: its path).",
    fronts=LIBRARY,
    place="boundary_label",
)
BBOX = Param(
    help="Study area box 'xmin,ymin,xmax,ymax' in BNG metres.",
    type=float,
    parse=bbox_value,
    text=numbers_text,
    check=bbox_check,
    fronts=ONLY_CLI,
    metavar="XMIN,YMIN,XMAX,YMAX",
    place="bbox",
)
LSOA_CODES = Param(
    help="LSOA codes, comma-separated (e.g. E01033803,E01033804).",
    default=(),
    parse=codes_value,
    text=",".join,
    clean=clean_codes,
    check=lsoa_codes_check,
    text_pattern=LSOA_TEXT_PATTERN,
    url="lsoa",
    label="LSOA codes",
    metavar="CODES",
    place="lsoa_codes",
)
DISTRICT = Param(
    help="Only crimes whose LSOA name starts with this district (e.g. 'St Albans').",
    max_length=100,
    clean=stripped_or_none,
    place="district",
)
