"""The guard every route passes, the signed-in user, CSRF checks and page rendering.

:func:`guard` is installed once, as an app-wide dependency, and reads the route
table (:mod:`harmwatch.web.rules`) for the route FastAPI matched. Handlers never
check access themselves, so a handler cannot forget to: a route without a rule
is refused.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from harmwatch.kernel import refs
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.rooms import navigation
from harmwatch.kernel.work import Outside, Work, outside_change, unit_of_work
from harmwatch.security import audit
from harmwatch.security.sessions import SessionInfo, SessionReader, Touch, touch_session
from harmwatch.storage.dblock import INGEST_LOCK, DatabaseLock, Held, Holder
from harmwatch.storage.records import Session, read_only, session_scope

from .analysis import WEB_READER, Analyses
from .filters import FILTERS
from .middleware import AuditInfo
from .rules import (
    EXPORT_FORMATS,
    JUSTIFICATION_MAX,
    JUSTIFICATION_MIN,
    UNSAFE_METHODS,
    Rule,
    rule_for,
)
from .settings import WebSettings
from .writer import GroupCommitWriter

SESSION_COOKIE = "hw_session"
LOGIN_CSRF_COOKIE = "hw_login_csrf"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters.update(FILTERS)

# Navigation, in room order, with the capability each entry needs.
NAV: list[tuple[str, str, Capability]] = [(e.href, e.label, e.capability) for e in navigation()]


class NotSignedIn(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""

    def __init__(self, kind: str) -> None:
        super().__init__("sign in first")
        self.kind = kind


class Forbidden(Exception):
    """Signed in, but the role may not do this (or the CSRF token is wrong): 403."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class JustificationRequired(Exception):
    """A search of sensitive records asked for without a reason: 400 with the form.

    The session's declared case or operation counts as the reason, as it does for
    consultations of personal records (:mod:`harmwatch.kernel.justification`).
    """

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"this search needs a justification: say in at least {JUSTIFICATION_MIN} "
            "characters why you are searching (it is kept in the access log)"
        )
        self.kind = kind


@dataclass
class AppContext:
    """Everything a request handler needs, built once by ``create_app``."""

    settings: WebSettings
    engine: Engine
    analyses: Analyses
    writer: GroupCommitWriter
    sessions: SessionReader

    @property
    def reader(self) -> Engine:
        return read_only(self.engine)

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    async def resolve(self, token: str) -> SessionInfo | None:
        """The session behind ``token``, read afresh (see :class:`SessionReader`): read
        without the writer, which only moves its last-seen time when that is a minute
        old (or forgets an expired session)."""
        if self.sessions.direct:
            # A read of a local file in WAL mode, some microseconds: far cheaper here
            # than the hand-over to a worker thread it would otherwise need.
            found = self.sessions.lookup(token)
        else:
            found = await run_in_threadpool(self.sessions.lookup, token)
        if found.touch is not Touch.NONE:
            await self.writer.run(lambda db: touch_session(db, found))
        return found.info

    async def record_async(self, **entry: Any) -> None:
        """Append an access-log entry and wait until it is committed.

        The entry is checked here, so a malformed one fails this request alone.
        """
        await self.writer.run(audit.prepare(**entry))

    def record(self, **entry: Any) -> None:
        """The same from synchronous code (a handler already in a worker thread)."""
        self.writer.call(audit.prepare(**entry))

    @contextmanager
    def writing_store(
        self,
        holder: str,
        what: str,
        *,
        wait_s: float | None = None,
        on_wait: Callable[[Holder | None], None] | None = None,
    ) -> Iterator[Held]:
        """The analytics store to write: the ingest lock, then this host's store gate.

        The lock, held in the records database, puts the loads of every app server
        (and of ``harmwatch ingest`` given the same records database) one after the
        other; the gate then keeps this host's readers out while the file is written.
        The lock is taken first so that a load queued behind another server's does not
        sit on the gate meanwhile: a waiting writer holds off new readers, and this
        host's analyses would stop for the whole of the other load.
        ``wait_s`` defaults to the settings' ``ingest_wait_s``; :class:`LockBusy`, naming
        the holder, when it runs out.
        """
        lock = DatabaseLock(self.engine, INGEST_LOCK)
        wait = self.settings.ingest_wait_s if wait_s is None else wait_s
        with (
            lock.hold(holder=holder, what=what, wait_s=wait, on_wait=on_wait) as held,
            self.analyses.gate.write(),
        ):
            yield held


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.hw
    return ctx


def client_ip(request: Request) -> str:
    """The caller's address: the socket peer, or, behind a trusted proxy, the address the
    proxy saw (the last one in ``X-Forwarded-For`` that is not itself a trusted proxy)."""
    peer = request.client.host if request.client else ""
    trusted = context(request).settings.trusted_proxies
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer


def client_of(request: Request) -> str:
    """The caller as the access log names it: IP address and (the start of) the user agent."""
    agent = request.headers.get("user-agent", "")[:200]
    return f"{client_ip(request)} {agent}".strip()


def current_user(request: Request) -> SessionInfo:
    """The signed-in user the guard resolved (every non-public handler has one)."""
    user: SessionInfo = request.state.user
    return user


def principal_of(request: Request) -> Principal:
    """The signed-in user as the records kernel knows them: role, force, units, purpose."""
    principal: Principal = request.state.principal
    return principal


def _mark_logged(request: Request, action: AuditAction, target: RecordRef) -> None:
    """The unit of work logs this request (done, refused or failed): the middleware must not."""
    info = getattr(request.state, "audit", None)
    if isinstance(info, AuditInfo):
        info.logged = True
        info.action = action
        info.target = str(target)


@contextmanager
def work(
    request: Request,
    action: AuditAction,
    target: RecordRef,
    *,
    details: dict[str, Any] | None = None,
) -> Iterator[Work]:
    """A change to the records database and its access-log entry, in one transaction.

    The request's query details travel with the entry; a refusal inside is logged by
    the unit of work, so the middleware writes nothing more for this request.
    """
    info = getattr(request.state, "audit", None)
    merged = {**(info.details if isinstance(info, AuditInfo) else {}), **(details or {})}
    merged["method"] = request.method
    _mark_logged(request, action, target)
    with unit_of_work(
        context(request).engine,
        principal_of(request),
        action,
        target,
        client=client_of(request),
        details=merged,
    ) as w:
        yield w


@contextmanager
def outside(
    request: Request,
    action: AuditAction,
    target: RecordRef,
    *,
    details: dict[str, Any] | None = None,
) -> Iterator[Outside]:
    """A change to another store (the analytics file, a file on disk): intent, then outcome."""
    merged = {**(details or {}), "method": request.method}
    _mark_logged(request, action, target)
    with outside_change(
        context(request).engine,
        principal_of(request),
        action,
        target,
        client=client_of(request),
        details=merged,
    ) as body:
        yield body


def audit_details(request: Request, **details: Any) -> None:
    """Add facts only the handler knows (rows returned, files loaded) to this request's log entry."""
    info = getattr(request.state, "audit", None)
    if isinstance(info, AuditInfo):
        info.details.update(details)


def set_audit_action(
    request: Request, action: AuditAction, target: RecordRef | None = None
) -> None:
    info = getattr(request.state, "audit", None)
    if isinstance(info, AuditInfo):
        info.action = action
        if target is not None:
            info.target = str(target)


def _query_details(request: Request) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in ("justification", "csrf_token"):
            continue
        query.setdefault(key, []).append(value[:200])
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


async def _form_value(request: Request, name: str) -> str | None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    form = await request.form()
    value = form.get(name)
    return value if isinstance(value, str) else None


async def _check_login_csrf(request: Request, rule: Rule) -> None:
    """Double-submit check for the sign-in form (there is no session to hold a token yet)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = await _form_value(request, "csrf_token") or ""
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise Forbidden(rule.kind, "the sign-in form has expired; reload the page and try again")


async def guard(request: Request) -> None:
    """Enforce the route table: session, capability, CSRF, justification; describe the access."""
    matched: str | None = getattr(request.scope.get("route"), "path", None)
    path = request.url.path if matched is None else matched
    rule = rule_for(request.method, path)
    kind = "api" if path.startswith("/api") else "page"
    if rule is None:
        raise Forbidden(kind, "this route has no access rule, so it is closed")
    request.state.rule = rule
    if rule.public:
        if rule.login_csrf:
            await _check_login_csrf(request, rule)
        return
    token = request.cookies.get(SESSION_COOKIE)
    ctx = context(request)
    info = await ctx.resolve(token) if token else None
    if info is None:
        raise NotSignedIn(rule.kind)
    request.state.user = info
    request.state.principal = info.principal()
    client = client_of(request)
    WEB_READER.set((ctx.engine, request.state.principal, client))
    target = str(refs.route(request.url.path))
    attempted = rule.audit or AuditAction.CONSULTATION
    if isinstance(rule.access, Capability) and not rule.access.granted(info.role):
        # Logged as the act attempted; the 403 makes its outcome "denied".
        request.state.audit = AuditInfo(
            actor=info.username,
            action=attempted,
            target=target,
            client=client,
            details={"needs": str(rule.access), "role": str(info.role)},
        )
        raise Forbidden(rule.kind, f"your role ({info.role}) may not do this")
    if request.method in UNSAFE_METHODS:
        sent = request.headers.get("x-csrf-token") or await _form_value(request, "csrf_token")
        if not sent or not hmac.compare_digest(sent, info.csrf_token):
            request.state.audit = AuditInfo(
                actor=info.username,
                action=attempted,
                target=target,
                client=client,
                details={"reason": "missing or wrong CSRF token"},
            )
            raise Forbidden(
                rule.kind, "the form's security token is missing or out of date; reload the page"
            )
    justification: str | None = None
    if rule.needs_justification:
        typed = (
            request.query_params.get("justification")
            or await _form_value(request, "justification")
            or ""
        ).strip()
        if len(typed) >= JUSTIFICATION_MIN:
            justification = typed[:JUSTIFICATION_MAX]
        elif info.purpose:
            justification = f"declared for the session: {info.purpose}"
        else:
            raise JustificationRequired(rule.kind)
    if rule.audit:
        action = rule.audit
        details: dict[str, Any] = {"query": _query_details(request)} if request.query_params else {}
        if (
            action is AuditAction.CONSULTATION
            and request.query_params.get("format") in EXPORT_FORMATS
        ):
            if drawn_by_a_page(request):
                details["drawn_on_page"] = True  # part of the view, not a download
            else:
                action = AuditAction.DISCLOSURE
        request.state.audit = AuditInfo(
            actor=info.username,
            action=action,
            target=target,
            client=client,
            details=details,
            justification=justification,
        )


def drawn_by_a_page(request: Request) -> bool:
    """A file the app's own page fetched to draw it (a map layer, a chart image).

    Browsers label every request (Fetch Metadata; a page's script cannot change these
    headers): a page's ``fetch`` or ``<img>`` is ``Sec-Fetch-Dest: empty`` or ``image``
    from ``same-origin``, while following a download link is a navigation. Anything
    else — a download, a script, curl — takes the data away and is a disclosure.
    """
    return request.headers.get("sec-fetch-site") == "same-origin" and request.headers.get(
        "sec-fetch-dest"
    ) in ("empty", "image")


def can(user: SessionInfo, capability: Capability) -> bool:
    return capability.granted(user.role)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page with the shared context: the user, their navigation, the CSRF token, demo flag."""
    user: SessionInfo | None = getattr(request.state, "user", None)
    ctx = context(request)
    nav = [(href, label) for href, label, cap in NAV if user is not None and can(user, cap)]
    values.setdefault("title", "harmwatch")
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "nav": nav,
            "csrf_token": user.csrf_token if user is not None else "",
            "purpose": user.purpose if user is not None else None,
            "demo": ctx.settings.demo,
            "path": request.url.path,
            **values,
        },
        status_code=status_code,
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//host`` or ``https://…`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def new_login_token() -> str:
    return secrets.token_urlsafe(32)
