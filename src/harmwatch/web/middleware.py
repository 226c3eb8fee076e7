"""ASGI middleware: security headers on every response, and the access log written before it leaves.

Both are plain ASGI (no ``BaseHTTPMiddleware``) so that they see the response's
first message and can act before the client sees anything:

- :class:`SecurityHeadersMiddleware` adds the headers every response needs and
  turns an unhandled exception into a plain 500 page that still carries them.
- :class:`AuditMiddleware` records the access the guard described
  (``scope["state"]["audit"]``) with the outcome taken from the status code. It
  writes the entry *before* passing the response on, and if the access log
  cannot be written the client gets a 500 instead of the data: a view that was
  not logged must not have happened.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("harmwatch.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


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
        out = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", PERMISSIONS.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        if b"content-security-policy" not in existing:
            out.append((b"content-security-policy", CSP.encode()))
        if b"cache-control" not in existing:
            # Vendored assets never change within a release; everything else may be
            # personal to the signed-in user and must not sit in a shared cache.
            static = path.startswith("/static/")
            out.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
        if self.secure:
            out.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
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
    """What the guard knows about an access before it runs; the handler may add details."""

    actor: str
    action: str
    target: str
    client: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    justification: str | None = None


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "denied"
    if status < 500:
        return "refused"
    return "error"


class AuditMiddleware:
    """Writes the access-log entry for a request as its response starts (fail closed)."""

    def __init__(self, app: ASGIApp, *, record: Callable[..., Awaitable[object]]) -> None:
        self.app = app
        self.record = record

    async def _write(self, scope: Scope, status: int) -> None:
        info = scope.get("state", {}).get("audit")
        if not isinstance(info, AuditInfo):
            return
        details = dict(info.details)
        details["status"] = status
        details["method"] = scope.get("method", "")
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
