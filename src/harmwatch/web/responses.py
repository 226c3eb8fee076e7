"""Answers shared by every room's routes: JSON, file downloads, gzipped map layers, links."""

from __future__ import annotations

import gzip
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from .deps import context
from .params import json_bytes

FORMAT_DOC = "json (default), or a file to download"
GZIP_MIN_BYTES = 16 * 1024
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/geo+json": {},
            "image/png": {},
            "image/svg+xml": {},
        }
    },
    422: {"description": "The filter matches nothing or a value cannot be used."},
}


def json_response(payload: Any) -> Response:
    return Response(json_bytes(payload), media_type="application/json")


def map_layer(request: Request, data: bytes, key: tuple[object, ...]) -> Response:
    """A layer for the web map, gzipped once per cache entry when the browser accepts it.

    Map layers are GeoJSON that compresses about tenfold (a KDE layer over three
    counties is 5.6 MB, 0.6 MB gzipped), which matters on a force's network.
    """
    headers = {"vary": "Accept-Encoding"}
    if len(data) > GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        analyses = context(request).analyses
        data = analyses.cache.get_or_compute(
            (analyses.version(), "gzip", key), lambda: gzip.compress(data, compresslevel=5)
        )
        headers["content-encoding"] = "gzip"
    return Response(data, media_type="application/geo+json", headers=headers)


def query_string(params: dict[str, Any], **extra: Any) -> str:
    """Query parameters for a link: empty values left out, lists repeated."""
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "", [])}, doseq=True)
