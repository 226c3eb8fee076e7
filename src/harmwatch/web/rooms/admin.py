"""The admin room's pages and API: the access log, and accounts with their forces and units.

The access log reveals who looked at what, so searching it is itself a search of
sensitive records: the route table marks it ``needs_justification``, the guard
refuses it without a reason, and the search is logged with that reason. Account
changes run in the records kernel's unit of work — the change and its log entry
commit together — and the accounts library's refusals (a short password, the last
admin) are shown beside the form, logged as refused.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.rooms import role_capabilities
from harmwatch.security import audit
from harmwatch.security.accounts import (
    AccountError,
    create_user,
    disable_user,
    get_user,
    list_users,
    normalise_username,
    set_role,
    set_units,
    user_units,
)
from harmwatch.security.roles import Role

from ..deps import audit_details, context, current_user, render, set_audit_action, work
from ..params import parse_when
from ..responses import FILE_RESPONSES, FORMAT_DOC, json_response

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api")
routers = (pages, api)

#: What the access-log page's action filter offers: the s.62 categories and sign-in
#: events. A category also finds the words logged before it (view, search, export …).
AUDIT_ACTIONS = tuple(a.value for a in AuditAction)


def _action_filter(value: str | None) -> AuditAction | str | None:
    if not value or not value.strip():
        return None
    try:
        return AuditAction(value.strip())
    except ValueError:
        return value.strip()  # an old word, matched exactly


def audit_filters(
    actor: Annotated[str | None, Form(max_length=255)] = None,
    action: Annotated[str | None, Form(max_length=64)] = None,
    since: Annotated[str | None, Form(max_length=40, description="YYYY-MM-DD or ISO time.")] = None,
    until: Annotated[
        str | None, Form(max_length=40, description="YYYY-MM-DD (inclusive) or ISO time.")
    ] = None,
    text: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    """Access-log filters, posted (never in a URL); a date-only ``until`` includes that day."""
    end = parse_when(until)
    if end is not None and until and len(until.strip()) == 10:
        end = end + timedelta(days=1)
    return {
        "actor": actor.strip().lower() if actor and actor.strip() else None,
        "action": _action_filter(action),
        "since": parse_when(since),
        "until": end,
        "text": text.strip() if text and text.strip() else None,
    }


def _filters_logged(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) for k, v in filters.items() if v is not None}


def _csv_download(request: Request, filters: dict[str, Any]) -> Response:
    """Every matching entry up to now, streamed in short transactions (never cut)."""
    ctx = context(request)
    with ctx.db() as db:
        up_to = audit.head_id(db)
        total = audit.count(db, up_to=up_to, **filters)
    audit_details(request, rows=total, up_to_entry=up_to, filters=_filters_logged(filters))

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _stream_csv(ctx.engine, up_to, filters),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="access-log-{stamp}.csv"'},
    )


def _stream_csv(engine: Any, up_to: int, filters: dict[str, Any]) -> Iterator[bytes]:
    """The CSV a few hundred rows at a time, so a large log is never held in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(audit.EXPORT_FIELDS)
    for n, entry in enumerate(audit.stream_entries(engine, up_to=up_to, **filters), start=1):
        writer.writerow(audit.csv_row(entry))
        if n % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


@api.post("/audit", tags=["admin"], responses=FILE_RESPONSES)
def audit_log(
    request: Request,
    filters: Annotated[dict[str, Any], Depends(audit_filters)],
    justification: Annotated[
        str, Form(max_length=500, description="Why you are searching (kept in the log).")
    ] = "",
    limit: Annotated[int, Form(ge=1, le=10_000)] = 500,
    format: Annotated[Literal["json", "csv"], Form(description=FORMAT_DOC)] = "json",
) -> Response:
    """Search the access log; ``format=csv`` downloads every matching entry.

    Posted as a form, so the justification and the search terms stay out of URLs and
    server logs. JSON gives the newest ``limit`` entries and says how many matched.
    """
    if format == "csv":
        set_audit_action(request, AuditAction.DISCLOSURE)
        return _csv_download(request, filters)
    with context(request).db() as db:
        total = audit.count(db, **filters)
        rows = [audit.entry_dict(e) for e in audit.query(db, limit=limit, **filters)]
    audit_details(request, entries=len(rows), matching=total, filters=_filters_logged(filters))
    return json_response({"entries": rows, "count": len(rows), "matching": total, "limit": limit})


@api.get("/users", tags=["admin"])
def users(request: Request) -> list[dict[str, Any]]:
    """Every account: name, role, force, units, whether disabled, when created and last signed in."""
    with context(request).db() as db:
        found = list_users(db)
        return [
            {
                "username": u.username,
                "role": u.role,
                "force": u.force,
                "units": sorted(user_units(u)),
                "disabled": u.disabled,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in found
        ]


def _chain_state(request: Request, *, full: bool = False) -> dict[str, Any]:
    """The chain checked from its checkpoint (or, ``full``, from the first entry)."""
    with context(request).db() as db:
        result, checkpoint = audit.verify_and_checkpoint(db, full=full)
    return {"result": result, "checkpoint": checkpoint, "full": full}


def _audit_page(
    request: Request,
    *,
    filters: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    justification: str = "",
    limit: int = 200,
    chain: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    entries: list[dict[str, Any]] = []
    total = 0
    if filters is not None:
        with context(request).db() as db:
            total = audit.count(db, **filters)
            entries = [audit.entry_dict(e) for e in audit.query(db, limit=limit, **filters)]
        for entry in entries:
            entry["detail_items"] = detail_items(entry["details"])
            ip, _, agent = str(entry["client"] or "").partition(" ")
            entry["client_ip"], entry["client_agent"] = ip, agent
        audit_details(
            request, entries=len(entries), matching=total, filters=_filters_logged(filters)
        )
    return render(
        request,
        "audit.html",
        status,
        title="Access log",
        searched=filters is not None,
        entries=entries,
        total=total,
        chain=chain or _chain_state(request),
        form=form or {},
        justification=justification,
        actions=AUDIT_ACTIONS,
        limit=limit,
    )


@pages.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    """The search form and the chain's state; entries only after a search with a reason."""
    return _audit_page(request)


@pages.post("/admin/audit", response_class=HTMLResponse)
def audit_search(
    request: Request,
    filters: Annotated[dict[str, Any], Depends(audit_filters)],
    justification: Annotated[str, Form(max_length=500)] = "",
    limit: Annotated[int, Form(ge=1, le=2000)] = 200,
) -> HTMLResponse:
    """The newest ``limit`` matching entries, with how many matched in all."""
    form = {
        k: str(v) for k, v in _posted(request).items() if k not in ("csrf_token", "justification")
    }
    return _audit_page(
        request, filters=filters, form=form, justification=justification, limit=limit
    )


@pages.post("/admin/audit/export")
def audit_export(
    request: Request, filters: Annotated[dict[str, Any], Depends(audit_filters)]
) -> Response:
    """Every entry matching the search, as CSV (oldest first, streamed)."""
    return _csv_download(request, filters)


@pages.post("/admin/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request) -> HTMLResponse:
    """The whole chain checked from the first entry (the page otherwise checks the new ones)."""
    chain = _chain_state(request, full=True)
    result = chain["result"]
    audit_details(
        request, checked=result.checked, ok=result.ok, first_broken_id=result.first_broken_id
    )
    return _audit_page(request, chain=chain)


def _posted(request: Request) -> dict[str, Any]:
    form = getattr(request, "_form", None)
    return dict(form.items()) if form is not None else {}


def detail_items(details: str | None) -> list[tuple[str, str]]:
    """An entry's details as short ``key=value`` pairs, the query's parameters listed one by one."""
    try:
        parsed = json.loads(details or "{}")
    except ValueError:
        return [("details", str(details))]
    if not isinstance(parsed, dict):
        return [("details", str(parsed))]
    items: list[tuple[str, str]] = []
    for key, value in parsed.items():
        if key == "query" and isinstance(value, dict):
            items += [
                (str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in value.items()
            ]
        elif key not in ("method", "status"):
            items.append((str(key), value if isinstance(value, str) else json.dumps(value)))
    return items


def _user_rows(users: list[Any]) -> list[dict[str, Any]]:
    return [{"user": u, "units": ", ".join(sorted(user_units(u)))} for u in users]


def _users_page(request: Request, *, error: str = "", status: int = 200) -> HTMLResponse:
    with context(request).db() as db:
        users = list_users(db)
    return render(
        request,
        "users.html",
        status,
        title="Users",
        users=_user_rows(users),
        roles=list(Role),
        grants={r.value: sorted(c.name for c in caps) for r, caps in role_capabilities().items()},
        error=error,
        done=request.query_params.get("done", ""),
    )


def _done(message: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?{urlencode({'done': message})}", 303)


def _unit_list(text: str) -> list[str]:
    return [u for u in (part.strip() for part in text.replace(";", ",").split(",")) if u]


@pages.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    """Every account with its role, force and units; create, change, disable."""
    return _users_page(request)


@pages.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
    force: Annotated[str, Form(max_length=64)] = "",
    units: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    target = RecordRef("user", normalise_username(username) or "(blank)")
    try:
        with work(
            request, AuditAction.COLLECTION, target, details={"role": role, "force": force}
        ) as w:
            user = create_user(w.db, username, role, password, force=force, units=_unit_list(units))
            w.details["units"] = sorted(user_units(user))
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=422)
    return _done(f"created {user.username} ({user.role})")


class ConfirmationNeeded(UserError):
    """An admin is about to take their own rights away: asked once more before it is done."""

    http_status = 409


def _confirm_page(
    request: Request, action: str, question: str, fields: dict[str, str]
) -> HTMLResponse:
    return render(
        request,
        "confirm.html",
        409,
        title="Confirm",
        action=action,
        question=question,
        fields=fields,
    )


@pages.post("/admin/users/{username}/role", response_class=HTMLResponse)
def users_set_role(
    request: Request,
    username: str,
    role: Annotated[str, Form(max_length=32)],
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    target = RecordRef("user", normalise_username(username) or "(blank)")
    me = current_user(request)
    try:
        with work(
            request, AuditAction.ALTERATION, target, details={"change": "set-role", "role": role}
        ) as w:
            before = get_user(w.db, username)
            w.details["previous_role"] = before.role if before else None
            if target.id == me.username and role != me.role.value and confirm != "yes":
                raise ConfirmationNeeded(
                    f"you are about to change your own role to {role}: you would lose the "
                    "rights of an admin at your next request"
                )
            user = set_role(w.db, username, role)
    except ConfirmationNeeded as exc:
        return _confirm_page(
            request, f"/admin/users/{target.id}/role", str(exc), {"role": role, "confirm": "yes"}
        )
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=422)
    return _done(f"{user.username} is now {user.role}")


@pages.post("/admin/users/{username}/units", response_class=HTMLResponse)
def users_set_units(
    request: Request,
    username: str,
    force: Annotated[str, Form(max_length=64)] = "",
    units: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    target = RecordRef("user", normalise_username(username) or "(blank)")
    try:
        with work(request, AuditAction.ALTERATION, target, details={"change": "set-units"}) as w:
            before = get_user(w.db, username)
            if before is not None:
                w.details["previous"] = {"force": before.force, "units": sorted(user_units(before))}
            user = set_units(w.db, username, force, _unit_list(units))
            w.details["now"] = {"force": user.force, "units": sorted(user_units(user))}
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=422)
    shown = ", ".join(sorted(user_units(user))) or "no units"
    return _done(f"{user.username} is in {user.force or 'no force'} ({shown})")


@pages.post("/admin/users/{username}/disable", response_class=HTMLResponse)
def users_disable(
    request: Request, username: str, confirm: Annotated[str, Form(max_length=3)] = ""
) -> Response:
    target = RecordRef("user", normalise_username(username) or "(blank)")
    try:
        with work(request, AuditAction.ALTERATION, target, details={"change": "disable"}) as w:
            if target.id == current_user(request).username and confirm != "yes":
                raise ConfirmationNeeded(
                    "you are about to disable your own account: you will be signed out and "
                    "cannot sign in again until another admin enables it"
                )
            user = disable_user(w.db, username)
    except ConfirmationNeeded as exc:
        return _confirm_page(
            request, f"/admin/users/{target.id}/disable", str(exc), {"confirm": "yes"}
        )
    except AccountError as exc:
        return _users_page(request, error=str(exc), status=422)
    return _done(f"{user.username} is disabled")
