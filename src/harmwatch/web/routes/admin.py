"""Administration pages: the access-log viewer and the user list.

The access log reveals who looked at what, so searching it is itself a search of
sensitive records: the route table marks it ``needs_justification``, the guard
refuses it without a typed reason, and the search is logged with that reason.
User changes use the accounts library, whose refusals (a short password, the
last admin) are shown beside the form.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from harmwatch.security import audit
from harmwatch.security.accounts import (
    AccountError,
    create_user,
    disable_user,
    list_users,
    set_role,
)
from harmwatch.security.roles import ROLE_CAPABILITIES, Role

from ..deps import audit_details, context, render, set_audit_action
from .api import AUDIT_ACTIONS, audit_filters

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    filters: Annotated[dict[str, Any], Depends(audit_filters)],
    justification: str = "",
    limit: int = 200,
) -> HTMLResponse:
    """Filter the access log; export the same search as CSV; check the hash chain."""
    ctx = context(request)
    limit = max(1, min(limit, 2000))
    with ctx.db() as db:
        entries = [audit.entry_dict(e) for e in audit.query(db, limit=limit, **filters)]
        chain = audit.verify(db)
    for entry in entries:
        entry["detail_items"] = detail_items(entry["details"])
        ip, _, agent = str(entry["client"] or "").partition(" ")
        entry["client_ip"], entry["client_agent"] = ip, agent
    audit_details(request, entries=len(entries))
    form = {k: v for k, v in request.query_params.items() if k not in ("justification",)}
    export = urlencode({**form, "justification": justification, "format": "csv"})
    return render(
        request,
        "audit.html",
        title="Access log",
        entries=entries,
        chain=chain,
        form=form,
        justification=justification,
        actions=AUDIT_ACTIONS,
        export_url=f"/api/audit?{export}",
        limit=limit,
    )


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


def _users_page(request: Request, *, error: str = "", status: int = 200) -> HTMLResponse:
    with context(request).db() as db:
        users = list_users(db)
    return render(
        request,
        "users.html",
        status,
        title="Users",
        users=users,
        roles=list(Role),
        grants={r.value: sorted(c.value for c in caps) for r, caps in ROLE_CAPABILITIES.items()},
        error=error,
        done=request.query_params.get("done", ""),
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    """Every account with its role; create, change role, disable."""
    return _users_page(request)


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    set_audit_action(request, "create", target=f"user {username.strip().lower()}")
    audit_details(request, role=role)
    try:
        with context(request).db() as db:
            user = create_user(db, username, role, password)
    except AccountError as exc:
        audit_details(request, refused=str(exc))
        return _users_page(request, error=str(exc), status=422)
    return RedirectResponse(
        f"/admin/users?{urlencode({'done': f'created {user.username} ({user.role})'})}", 303
    )


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
def users_set_role(
    request: Request, username: str, role: Annotated[str, Form(max_length=32)]
) -> Response:
    set_audit_action(request, "change", target=f"user {username}")
    audit_details(request, role=role)
    try:
        with context(request).db() as db:
            user = set_role(db, username, role)
    except AccountError as exc:
        audit_details(request, refused=str(exc))
        return _users_page(request, error=str(exc), status=422)
    return RedirectResponse(
        f"/admin/users?{urlencode({'done': f'{user.username} is now {user.role}'})}", 303
    )


@router.post("/admin/users/{username}/disable", response_class=HTMLResponse)
def users_disable(request: Request, username: str) -> Response:
    set_audit_action(request, "change", target=f"user {username}")
    audit_details(request, disabled=True)
    try:
        with context(request).db() as db:
            user = disable_user(db, username)
    except AccountError as exc:
        audit_details(request, refused=str(exc))
        return _users_page(request, error=str(exc), status=422)
    return RedirectResponse(
        f"/admin/users?{urlencode({'done': f'{user.username} is disabled'})}", 303
    )
