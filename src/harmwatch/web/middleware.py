"""ASGI middleware: security headers, the access log written before a response leaves, defects.

All are plain ASGI (no ``BaseHTTPMiddleware``) so that they see the response's
first message and can act before the client sees anything:

- :class:`SecurityHeadersMiddleware` adds the headers every response needs and
  turns anything that still escapes into a plain 500 that carries them.
- :class:`AuditMiddleware` records the access the guard described
  (``scope["state"]["audit"]``) with the outcome taken from the status code. It
  writes the entry *before* passing the response on, and if the access log
  cannot be written the client gets a 500 instead of the data: a view that was
  not logged must not have happened. A change is logged by its unit of work, in
  the change's own transaction (:func:`harmwatch.web.deps.work`); the middleware
  then writes nothing more.
- :class:`InternalErrorMiddleware` answers a defect (any exception that is not a
  :class:`~harmwatch.errors.UserError`) with "internal error, reference …": the
  reference and the traceback go to the server's log, never the exception's text
  to the client; the access-log entry of the request names the reference too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harmwatch.errors import InternalError, internal_error_reference
from harmwatch.kernel.actions import AuditAction, Outcome

log = logging.getLogger("harmwatch.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Acts that change records: they must be logged in their own transaction, never here.
_CHANGES = frozenset(
    {AuditAction.COLLECTION, AuditAction.ALTERATION, AuditAction.ERASURE, AuditAction.COMBINATION}
)
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# The headers every response gets, encoded once.
_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", PERMISSIONS.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_CSP_HEADER = (b"content-security-policy", CSP.encode())
_CACHE_STATIC = (b"cache-control", b"public, max-age=3600")
_CACHE_NEVER = (b"cache-control", b"no-store")
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


async def send_plain_500(start: Send, body_send: Send, body: bytes) -> None:
    """A bare 500 in plain text, for failures outside any handler (nothing rendered can help)."""
    await start(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await body_send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, frame, referrer and permissions headers (and HSTS when secure)."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    def headers_for(self, path: str, existing: set[bytes]) -> list[tuple[bytes, bytes]]:
        out = list(_ALWAYS)
        if b"content-security-policy" not in existing:
            out.append(_CSP_HEADER)
        if b"cache-control" not in existing:
            # Vendored assets never change within a release; everything else may be
            # personal to the signed-in user and must not sit in a shared cache.
            out.append(_CACHE_STATIC if path.startswith("/static/") else _CACHE_NEVER)
        if self.secure:
            out.append(_HSTS)
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                existing = {k.lower() for k, _ in headers}
                headers += self.headers_for(scope.get("path", ""), existing)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_plain_500(
                send_with_headers, send, b"Internal server error. The error has been logged."
            )


@dataclass
class AuditInfo:
    """What the guard knows about an access before it runs; the handler may add details.

    ``logged``: a unit of work has logged this request itself, in the transaction of
    its change (or its refusal), so the middleware writes nothing more.
    """

    actor: str
    action: AuditAction
    target: str
    client: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    justification: str | None = None
    logged: bool = False


def outcome_of(status: int) -> Outcome:
    if status < 400:
        return Outcome.OK
    if status in (401, 403):
        return Outcome.DENIED
    if status < 500:
        return Outcome.REFUSED
    return Outcome.ERROR


class AuditMiddleware:
    """Writes the access-log entry for a request as its response starts (fail closed)."""

    def __init__(self, app: ASGIApp, *, record: Callable[..., Awaitable[object]]) -> None:
        self.app = app
        self.record = record

    async def _write(self, scope: Scope, status: int) -> None:
        info = scope.get("state", {}).get("audit")
        if not isinstance(info, AuditInfo) or info.logged:
            return
        details = dict(info.details)
        details["status"] = status
        details["method"] = scope.get("method", "")
        if info.action in _CHANGES and status < 400:
            # A change that succeeded without its unit of work: its entry is written
            # here, apart from the change's transaction. A defect in the route (use
            # deps.work or deps.outside); reported, and it fails the test suite.
            internal_error_reference(
                RuntimeError(
                    f"{details['method']} {info.target} changed data outside a unit of work"
                ),
                "the audit middleware",
            )
        reference = scope.get("state", {}).get("internal_error")
        if reference:
            details["internal_error"] = reference
        await self.record(
            actor=info.actor,
            action=info.action,
            target=info.target,
            outcome=outcome_of(status),
            details=details,
            justification=info.justification,
            client=info.client,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        blocked = False
        logged = False

        async def send_after_logging(message: Message) -> None:
            nonlocal blocked, logged
            if blocked:
                return
            if message["type"] == "http.response.start":
                logged = True
                try:
                    await self._write(scope, int(message["status"]))
                except Exception:
                    log.exception("access log write failed; refusing the response")
                    blocked = True
                    await send_plain_500(
                        send,
                        send,
                        b"The access log could not be written, so the request was refused.",
                    )
                    return
            await send(message)

        try:
            await self.app(scope, receive, send_after_logging)
        except Exception:
            if not logged:
                try:
                    await self._write(scope, 500)
                except Exception:
                    log.exception("access log write failed")
            raise


_PAGE_500 = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Internal error · harmwatch</title><link rel="stylesheet" href="/static/css/app.css"></head>
<body><main id="main" class="page"><h1>Something went wrong on our side</h1>
<p>{message}. Quote the reference to your administrator: the server's log holds the details.</p>
<p><a href="/">Back to the overview</a></p></main></body></html>"""


class InternalErrorMiddleware:
    """A defect becomes a 500 naming a reference; its text and traceback go to the log only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            path = scope.get("path", "")
            reference = internal_error_reference(exc, f"{scope.get('method')} {path}")
            if started:
                raise
            scope.setdefault("state", {})["internal_error"] = reference
            message = str(InternalError(reference))
            if path.startswith("/api") or path == "/health":
                body = json.dumps({"detail": message, "reference": reference}).encode()
                kind = b"application/json"
            else:
                body = _PAGE_500.format(message=message).encode()
                kind = b"text/html; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", kind),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
