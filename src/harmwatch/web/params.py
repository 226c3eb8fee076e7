"""Answers and values shared by the pages and the API: media types, downloads, dates.

A verb's own parameters are not declared here: each comes from its request's
field specs (:mod:`harmwatch.web.forms`). What remains is what every route
shares: the media types of the downloads, the download response itself, and the
date filter of the access-log pages.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.responses import Response

from harmwatch.errors import InputError
from harmwatch.query.fields import BOUNDARY_ID_PATTERN

from .jsontools import json_bytes, jsonable, records

__all__ = ["BOUNDARY_PATTERN", "json_bytes", "jsonable", "records"]

BOUNDARY_PATTERN = BOUNDARY_ID_PATTERN

MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "png": "image/png",
    "svg": "image/svg+xml",
}


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
        raise InputError(f"not a date (YYYY-MM-DD) or date-time: {text!r}") from None
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
