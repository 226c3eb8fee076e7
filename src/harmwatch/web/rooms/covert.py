"""The covert room's pages and API: today's alerts, the list, record one, review, renew, cancel.

Thin over :mod:`harmwatch.covert.authorisations`, which checks the forms, computes
expiry, scopes every read by the record policy and logs every read and change with
its justification (so these routes' rules log nothing themselves). Only the
intelligence officer's role reaches any of these routes (the route rules); of the
records, only their units' (the policy). The justification is the case or operation
declared for the session, a ``justification`` form field, or, for the API, an
``X-Justification`` header or a ``justification`` field of a posted body — never a
query parameter, which would land in server logs and browser history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.covert import authorisations as covert
from harmwatch.covert.forms import AUTHORISATION_FORM, CANCEL_FORM, RENEWAL_FORM, REVIEW_FORM
from harmwatch.errors import InputError, UserError
from harmwatch.kernel.forms import Form, FormRefused
from harmwatch.kernel.justification import JustificationRequired

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import RecordId
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why
from ..roomkit import refused as _refused

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/covert", tags=["covert"])
routers = (pages, api)

MAX_FIELD = 2000
ACTIONS: dict[str, tuple[Form, Any, str]] = {
    "review": (REVIEW_FORM, covert.review, "The review is recorded."),
    "renew": (RENEWAL_FORM, covert.renew, "The renewal is recorded."),
    "cancel": (CANCEL_FORM, covert.cancel, "The cancellation is recorded."),
}


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON body's form fields (``justification`` is the reason, not a field)."""
    return {k: v for k, v in body.items() if k != "justification"}


async def _form(request: Request, form: Form) -> tuple[dict[str, str], str | None]:
    posted = await request.form()
    values = {}
    for name in form.names:
        value = posted.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = value[:MAX_FIELD]
    typed = posted.get("justification")
    return values, typed[:500] if isinstance(typed, str) and typed.strip() else None


def _errors(exc: UserError) -> tuple[dict[str, str], str | None]:
    """Errors by field (shown beside it), and one for the whole form."""
    if isinstance(exc, FormRefused):
        return exc.by_field(), None
    if isinstance(exc, JustificationRequired):
        return {"justification": str(exc)}, None
    return {}, str(exc)


# -- pages ----------------------------------------------------------------------------------


async def _dashboard(request: Request, justification: str | None) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    values: dict[str, Any] = {"title": "Covert authorisations", "flagged": None, "listed": None}
    if not justification and not by.purpose:
        # Nothing is read (or logged) until the user says why: the page asks first.
        return render(request, "covert_index.html", ask_purpose=True, **values)
    try:
        flagged = await _call(
            covert.alerts, ctx.engine, by, justification=justification, client=client_of(request)
        )
        listed, total = await _call(
            covert.listing,
            ctx.engine,
            by,
            justification=justification,
            client=client_of(request),
        )
    except JustificationRequired as exc:
        return render(request, "covert_index.html", 400, need_reason=str(exc), **values)
    groups: dict[str, list[tuple[covert.AuthorisationView, covert.Alert]]] = {
        kind: [] for kind in covert.ALERT_KINDS
    }
    for f in flagged:
        for alert in f.alerts:
            groups[alert.kind].append((f.authorisation, alert))
    today = [a for a in ("review-due-today", "expires-today") if groups[a]]
    values.update(flagged=flagged, groups=groups, today=today, listed=listed, total=total)
    return render(request, "covert_index.html", **values)


@pages.get("/covert", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Today's alerts and every authorisation the user may see (the declared purpose logged)."""
    return await _dashboard(request, None)


@pages.post("/covert", response_class=HTMLResponse)
async def index_with_reason(request: Request) -> HTMLResponse:
    posted = await request.form()
    typed = posted.get("justification")
    return await _dashboard(request, typed[:500] if isinstance(typed, str) else None)


def _new_page(
    request: Request,
    values: dict[str, str],
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "covert_form.html",
        status_code,
        title="Record a covert authorisation",
        form=AUTHORISATION_FORM,
        values=values,
        errors=errors or {},
        error=error,
    )


@pages.get("/covert/new", response_class=HTMLResponse)
async def new_form(request: Request) -> HTMLResponse:
    return _new_page(request, {})


@pages.post("/covert/new", response_class=HTMLResponse)
async def record_page(request: Request) -> HTMLResponse:
    """Record it; its page, or the form again with each problem beside its field."""
    ctx, by = context(request), principal_of(request)
    values, typed = await _form(request, AUTHORISATION_FORM)
    try:
        done = await _call(covert.record, ctx.engine, by, values, typed, client=client_of(request))
        found = await _call(
            covert.read, ctx.engine, by, done.id, justification=typed, client=client_of(request)
        )
    except UserError as exc:
        errors, error = _errors(exc)
        status = 422 if errors else exc.http_status
        return _new_page(request, values, status, errors=errors, error=error)
    return _detail_page(request, found, done="The authorisation is recorded.")


def _detail_page(
    request: Request,
    found: covert.AuthorisationView,
    status_code: int = 200,
    *,
    done: str | None = None,
    action: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "covert_authorisation.html",
        status_code,
        title=f"Authorisation {found.urn}",
        a=found,
        done=done,
        action=action,
        values=values or {},
        errors=errors or {},
        error=error,
        forms={"review": REVIEW_FORM, "renew": RENEWAL_FORM, "cancel": CANCEL_FORM},
    )


@pages.get("/covert/{authorisation_id}", response_class=HTMLResponse)
async def detail_page(request: Request, authorisation_id: RecordId) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        values: dict[str, Any] = {"title": "Covert authorisation", "flagged": None, "listed": None}
        return render(request, "covert_index.html", ask_purpose=True, **values)
    found = await _call(
        covert.read, ctx.engine, by, authorisation_id, justification=None, client=client_of(request)
    )
    return _detail_page(request, found)


async def _act(request: Request, authorisation_id: RecordId, action: str) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    form, fn, done = ACTIONS[action]
    values, typed = await _form(request, form)
    try:
        found = await _call(
            fn, ctx.engine, by, authorisation_id, values, typed, client=client_of(request)
        )
    except UserError as exc:
        errors, error = _errors(exc)
        try:
            current = await _call(
                covert.read,
                ctx.engine,
                by,
                authorisation_id,
                justification=typed,
                client=client_of(request),
            )
        except UserError:
            raise exc from None
        status = 422 if errors else exc.http_status
        return _detail_page(
            request, current, status, action=action, values=values, errors=errors, error=error
        )
    return _detail_page(request, found, done=done)


@pages.post("/covert/{authorisation_id}/review", response_class=HTMLResponse)
async def review_page(request: Request, authorisation_id: RecordId) -> HTMLResponse:
    return await _act(request, authorisation_id, "review")


@pages.post("/covert/{authorisation_id}/renew", response_class=HTMLResponse)
async def renew_page(request: Request, authorisation_id: RecordId) -> HTMLResponse:
    return await _act(request, authorisation_id, "renew")


@pages.post("/covert/{authorisation_id}/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, authorisation_id: RecordId) -> HTMLResponse:
    return await _act(request, authorisation_id, "cancel")


# -- API ------------------------------------------------------------------------------------


@api.get("/authorisations")
async def api_list(
    request: Request,
    kind: Annotated[str, Query(max_length=32)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Authorisations you may see, soonest to cease first."""
    ctx, by = context(request), principal_of(request)
    views, total = await _call(
        covert.listing,
        ctx.engine,
        by,
        justification=_why(request),
        kind=kind,
        state=status,
        client=client_of(request),
    )
    return json_response({"total": total, "authorisations": [v.to_json() for v in views]})


@api.post("/authorisations", status_code=201)
async def api_record(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Record an authorisation: the form's fields (``GET /covert/new`` lists them)."""
    ctx, by = context(request), principal_of(request)
    try:
        done = await _call(
            covert.record,
            ctx.engine,
            by,
            _fields(body),
            _why(request, body),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    response = json_response(done.to_json())
    response.status_code = 201
    return response


@api.get("/authorisations/{authorisation_id}")
async def api_read(request: Request, authorisation_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    found = await _call(
        covert.read,
        ctx.engine,
        by,
        authorisation_id,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(found.to_json())


async def _api_act(
    request: Request, authorisation_id: RecordId, body: dict[str, Any], action: str
) -> Response:
    ctx, by = context(request), principal_of(request)
    _, fn, _ = ACTIONS[action]
    try:
        found = await _call(
            fn,
            ctx.engine,
            by,
            authorisation_id,
            _fields(body),
            _why(request, body),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    return json_response(found.to_json())


@api.post("/authorisations/{authorisation_id}/reviews")
async def api_review(
    request: Request, authorisation_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    return await _api_act(request, authorisation_id, body, "review")


@api.post("/authorisations/{authorisation_id}/renewals")
async def api_renew(
    request: Request, authorisation_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    return await _api_act(request, authorisation_id, body, "renew")


@api.post("/authorisations/{authorisation_id}/cancellation")
async def api_cancel(
    request: Request, authorisation_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    return await _api_act(request, authorisation_id, body, "cancel")


@api.get("/alerts")
async def api_alerts(request: Request) -> Response:
    """Today's alerts (the UK date): reviews due and overdue, expiring, expired not cancelled."""
    ctx, by = context(request), principal_of(request)
    flagged = await _call(
        covert.alerts, ctx.engine, by, justification=_why(request), client=client_of(request)
    )
    return json_response({"alerts": [f.to_json() for f in flagged]})


@api.post("/check")
async def api_check(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """The form's problems as typed (``{"fields": {...}, "partial": true}``); reads nothing."""
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the form's fields")
    _, problems = AUTHORISATION_FORM.check(fields, partial=body.get("partial") is True)
    return json_response({"problems": [p.to_json() for p in problems]})


@api.post("/export")
async def api_export(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Authorisations as CSV: a disclosure to ``recipient``; 409 until
    ``acknowledge_conditions`` when any carries handling code C."""
    ctx, by = context(request), principal_of(request)
    for name in ("kind", "recipient"):
        if not isinstance(body.get(name, ""), str):
            raise InputError(f"{name}: text")
    content = await _call(
        covert.export_csv,
        ctx.engine,
        by,
        justification=_why(request, body),
        recipient=str(body.get("recipient") or ""),
        acknowledge_conditions=body.get("acknowledge_conditions") is True,
        kind=str(body.get("kind") or ""),
        client=client_of(request),
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="covert-authorisations.csv"'},
    )
