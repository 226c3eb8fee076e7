"""Query parameters shared by the pages and the API, and turning results into JSON and files.

The API declares its parameters with types and bounds (so the OpenAPI document
and the fuzzer know them); the pages read the same names from a plain GET form,
where an empty field means "default", and report a bad value beside the form
instead of failing the whole page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from .analysis import AnalysisQuery
from .jsontools import json_bytes, jsonable, records

__all__ = ["json_bytes", "jsonable", "records"]

Method = Literal["count", "kde", "gistar"]
METHODS = ("gistar", "kde", "count")
CELL_MIN, CELL_MAX = 50.0, 50_000.0
BOUNDARY_PATTERN = r"^[0-9a-f]{16}$"
_MONTHS_PATTERN = r"^[0-9:, -]{0,200}$"

MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "png": "image/png",
    "svg": "image/svg+xml",
}


async def analysis_query(
    force: Annotated[
        list[str] | None, Query(description="Force slug or name (repeatable); default: all loaded.")
    ] = None,
    crime_type: Annotated[
        list[str] | None, Query(description="Crime type (repeatable); default: Drugs.")
    ] = None,
    months: Annotated[
        str | None,
        Query(
            description="2025-01, 2025-01:2025-06 or a comma list; default: every month loaded.",
            pattern=_MONTHS_PATTERN,
        ),
    ] = None,
    cell: Annotated[
        float | None,
        Query(ge=CELL_MIN, le=CELL_MAX, description="Cell size in metres; default: ~50 across."),
    ] = None,
    method: Annotated[Method, Query(description="count, kde or gistar.")] = "gistar",
    boundary: Annotated[
        str | None,
        Query(pattern=BOUNDARY_PATTERN, description="An uploaded boundary's id as study area."),
    ] = None,
) -> AnalysisQuery:
    """The analysis parameters of an API call (FastAPI has already checked types and bounds)."""
    return AnalysisQuery(
        forces=tuple(f for f in (force or []) if f.strip())[:50],
        crime_types=tuple(t for t in (crime_type or []) if t.strip())[:50] or ("Drugs",),
        months=months.strip() or None if months else None,
        cell=cell,
        method=method,
        boundary=boundary,
    )


def page_query(params: Mapping[str, Any]) -> tuple[AnalysisQuery, list[str]]:
    """The same parameters from a page's GET form; bad values fall back to defaults with a message."""
    errors: list[str] = []
    getlist = getattr(params, "getlist", None)

    def many(name: str) -> list[str]:
        values = getlist(name) if getlist else [params.get(name, "")]
        return [str(v).strip() for v in values if str(v).strip()]

    def one(name: str) -> str:
        value = params.get(name)
        return str(value).strip() if value is not None else ""

    cell: float | None = None
    if one("cell"):
        try:
            cell = float(one("cell"))
        except ValueError:
            errors.append(f"cell size must be a number of metres, got {one('cell')!r}")
        else:
            if not (CELL_MIN <= cell <= CELL_MAX) or not math.isfinite(cell):
                errors.append(f"cell size must lie between {CELL_MIN:g} and {CELL_MAX:g} m")
                cell = None
    method = one("method") or "gistar"
    if method not in METHODS:
        errors.append(f"unknown method {method!r}; choose gistar, kde or count")
        method = "gistar"
    months = one("months")
    if months and not re.match(_MONTHS_PATTERN, months):
        errors.append(f"months must look like 2025-01 or 2025-01:2025-06, got {months!r}")
        months = ""
    boundary = one("boundary")
    if boundary and not re.match(BOUNDARY_PATTERN, boundary):
        errors.append("unknown boundary")
        boundary = ""
    query = AnalysisQuery(
        forces=tuple(many("force"))[:50],
        crime_types=tuple(many("crime_type"))[:50] or ("Drugs",),
        months=months or None,
        cell=cell,
        method=method,
        boundary=boundary or None,
    )
    return query, errors


def parse_when(text: str | None, *, end: bool = False) -> datetime | None:
    """A date (YYYY-MM-DD, the whole day) or an ISO date-time, as an aware UTC datetime."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return (
                moment.replace(hour=23, minute=59, second=59, microsecond=999999) if end else moment
            )
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD) or date-time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def file_response(data: bytes, fmt: str, stem: str, *, download: bool = True) -> Response:
    """``data`` with the right media type; a download names a file (CSV, GeoJSON, PNG, SVG)."""
    headers = {}
    if download and fmt != "json":
        extension = "geojson" if fmt == "geojson" else fmt
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-")[:120] or "harmwatch"
        headers["content-disposition"] = f'attachment; filename="{safe}.{extension}"'
    if fmt == "svg":
        # The downloaded SVG carries its own <style>; opened from this origin it needs it.
        headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(content=data, media_type=MEDIA[fmt], headers=headers)


def stem_for(kind: str, query: AnalysisQuery) -> str:
    parts = [kind, *query.forces, *query.crime_types, query.method]
    if query.cell:
        parts.append(f"{query.cell:g}m")
    if query.months:
        parts.append(query.months.replace(":", "-to-"))
    return "-".join(p.lower().replace(" ", "-") for p in parts)
