"""What every room's pages and API share: running the library off the event loop, the
justification a request carries, and the answers for a refused form and a new record.

The justification is an ``X-Justification`` header or a ``justification`` field of a
posted body — never a query parameter, which would land in server logs and browser
history. A refused form answers 422 with every problem by field (and, for an import
row, where), in the words the library used, so a client can show each beside its input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from harmwatch.kernel.forms import FormRefused

from .responses import json_response

#: A record's id in a URL: a positive 64-bit integer, so a huge one is a 422 (the database
#: could not even be asked), not an overflow deep in the driver.
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The library call in the thread pool: its database work must not block other users."""
    return await run_in_threadpool(lambda: fn(*args, **kwargs))


def justification_of(request: Request, body: dict[str, Any] | None = None) -> str | None:
    typed = request.headers.get("x-justification") or (body or {}).get("justification")
    return str(typed) if typed else None


def refused(exc: FormRefused) -> Response:
    response = json_response({"detail": str(exc), "problems": [p.to_json() for p in exc.problems]})
    response.status_code = 422
    return response


def created(payload: dict[str, Any]) -> Response:
    response = json_response(payload)
    response.status_code = 201
    return response
