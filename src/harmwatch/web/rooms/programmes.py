"""The programmes room's pages and API: programmes with their outcome measures, events, entry.

Thin over :mod:`harmwatch.programmes.service` and :mod:`harmwatch.programmes.outcomes`,
which check every event with its kind's form, pseudonymise participants, scope every
read by the record policy and log it (so these routes' rules log nothing themselves).
A PCC viewer reaches ``/programmes`` and the outcomes API only: the same measures,
their force's, small numbers suppressed, never a participant or an event.

The justification for reading events is the session's declared purpose or a
``justification`` form field (the API: an ``X-Justification`` header or a body
field) — never a query parameter.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.forms import FormRefused, Problem
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.programmes import outcomes as measures
from harmwatch.programmes import service
from harmwatch.programmes.config import programme_type, programme_types
from harmwatch.programmes.kinds import READ_PROGRAMMES, WRITE_PROGRAMMES

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import RecordId
from ..roomkit import created as _created
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why
from ..roomkit import refused as _refused

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/programmes", tags=["programmes"])
routers = (pages, api)

MAX_FIELD = 2000


async def _form(request: Request) -> tuple[dict[str, str], str | None]:
    form = await request.form()
    values = {
        k: v[:MAX_FIELD]
        for k, v in form.items()
        if isinstance(v, str) and k not in ("csrf_token", "justification")
    }
    typed = form.get("justification")
    return values, typed[:500] if isinstance(typed, str) and typed.strip() else None


def _errors(exc: UserError) -> tuple[dict[str, str], str | None]:
    if isinstance(exc, FormRefused):
        return exc.by_field(), None
    if isinstance(exc, JustificationRequired):
        return {"justification": str(exc)}, None
    return {}, str(exc)


# -- pages ----------------------------------------------------------------------------------


@pages.get("/programmes", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Programmes with their outcome measures (a PCC viewer: the figures, suppressed)."""
    ctx, by = context(request), principal_of(request)
    results = await _call(measures.outcomes, ctx.engine, by, client=client_of(request))
    return render(
        request,
        "programmes_index.html",
        title="Programmes and referrals",
        results=results,
        can_read=READ_PROGRAMMES.granted(by.role),
        can_write=WRITE_PROGRAMMES.granted(by.role),
    )


def _new_page(
    request: Request,
    values: dict[str, str],
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    values = {"starts_on": date.today().isoformat(), **values}
    return render(
        request,
        "programmes_new.html",
        status_code,
        title="Set up a programme",
        form=service.PROGRAMME_FORM,
        values=values,
        errors=errors or {},
        error=error,
        types=programme_types(),
    )


@pages.get("/programmes/new", response_class=HTMLResponse)
async def new_form(request: Request) -> HTMLResponse:
    return _new_page(request, {})


@pages.post("/programmes/new", response_class=HTMLResponse)
async def create_page(request: Request) -> Response:
    ctx, by = context(request), principal_of(request)
    values, _ = await _form(request)
    restricted = values.pop("restricted", "") == "on"
    try:
        done = await _call(
            service.create_programme,
            ctx.engine,
            by,
            values,
            restricted=restricted,
            client=client_of(request),
        )
    except UserError as exc:
        errors, error = _errors(exc)
        return _new_page(
            request, values, 422 if errors else exc.http_status, errors=errors, error=error
        )
    return await _programme_page(request, done.id, None, done=f"{done.name} is set up.")


async def _programme_page(
    request: Request,
    programme_id: RecordId,
    justification: str | None,
    status_code: int = 200,
    *,
    kind: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    programme = await _call(
        service.get_programme, ctx.engine, by, programme_id, client=client_of(request)
    )
    ptype = programme_type(programme.programme_type)
    chosen = ptype.event(kind) if kind else ptype.events[0]
    page: dict[str, Any] = {
        "title": programme.name,
        "programme": programme,
        "ptype": ptype,
        "chosen": chosen,
        "entry": service.entry_form(ptype, chosen),
        "values": values or {"occurred_on": date.today().isoformat()},
        "errors": errors or {},
        "error": error,
        "done": done,
        "listing": None,
        "can_write": WRITE_PROGRAMMES.granted(by.role),
    }
    if not justification and not by.purpose:
        # Nothing personal is read (or logged) until the user says why: the page asks first.
        return render(request, "programmes_programme.html", status_code, ask_purpose=True, **page)
    try:
        page["listing"] = await _call(
            service.list_events,
            ctx.engine,
            by,
            programme_id,
            justification=justification,
            client=client_of(request),
        )
    except JustificationRequired as exc:
        return render(request, "programmes_programme.html", 400, need_reason=str(exc), **page)
    return render(request, "programmes_programme.html", status_code, **page)


@pages.get("/programmes/{programme_id}", response_class=HTMLResponse)
async def programme_page(
    request: Request, programme_id: RecordId, kind: Annotated[str, Query(max_length=48)] = ""
) -> HTMLResponse:
    """A programme's events (with the declared purpose) and the form to add one."""
    return await _programme_page(request, programme_id, None, kind=kind)


@pages.post("/programmes/{programme_id}", response_class=HTMLResponse)
async def programme_read(request: Request, programme_id: RecordId) -> HTMLResponse:
    """The events, read for the justification typed on the page."""
    values, typed = await _form(request)
    return await _programme_page(request, programme_id, typed, kind=values.get("kind", ""))


@pages.post("/programmes/{programme_id}/events", response_class=HTMLResponse)
async def event_page(request: Request, programme_id: RecordId) -> HTMLResponse:
    """Record an event; the page again with it, or with each problem beside its field."""
    ctx, by = context(request), principal_of(request)
    values, typed = await _form(request)
    kind = values.pop("event_kind", "")
    try:
        done = await _call(
            service.record_event,
            ctx.engine,
            by,
            programme_id,
            kind,
            values,
            typed,
            client=client_of(request),
        )
    except UserError as exc:
        errors, error = _errors(exc)
        status = 422 if errors else exc.http_status
        return await _programme_page(
            request,
            programme_id,
            typed,
            status,
            kind=kind if "event_kind" not in errors else "",
            values=values,
            errors=errors,
            error=error,
        )
    return await _programme_page(
        request, programme_id, typed, kind=kind, done=f"Recorded: {done.title}, {done.occurred_on}."
    )


# -- API ------------------------------------------------------------------------------------


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value[:40]!r} is not a date like 2025-03-31") from None


@api.get("")
async def api_outcomes(
    request: Request,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    programme_type_key: Annotated[str, Query(alias="type", max_length=48)] = "",
) -> Response:
    """Every programme you may count, with its outcome measures."""
    ctx, by = context(request), principal_of(request)
    results = await _call(
        measures.outcomes,
        ctx.engine,
        by,
        since=_day(since, "since"),
        until=_day(until, "until"),
        programme_type_key=programme_type_key,
        client=client_of(request),
    )
    return json_response({"programmes": [r.to_json() for r in results]})


@api.post("", status_code=201)
async def api_create(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    ctx, by = context(request), principal_of(request)
    values = {k: v for k, v in body.items() if k not in ("restricted", "justification")}
    try:
        done = await _call(
            service.create_programme,
            ctx.engine,
            by,
            values,
            restricted=bool(body.get("restricted")),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    return _created(done.to_json())


@api.get("/types")
async def api_types(request: Request) -> Response:
    """The configured programme types: their event kinds' fields and their measures."""
    out = {}
    for key, t in programme_types().items():
        out[key] = {
            "title": t.title,
            "description": t.description,
            "source": t.source,
            "participants": t.participants,
            "pseudonymised": t.pseudonymised,
            "events": {
                k.key: [
                    {
                        "name": f.name,
                        "type": f.type,
                        "required": f.required,
                        "choices": list(f.choices),
                        "guidance": f.guidance,
                    }
                    for f in service.entry_form(t, k).fields
                ]
                for k in t.events
            },
            "measures": [{"key": m.key, "title": m.title, "kind": m.kind} for m in t.measures],
        }
    return json_response(out)


@api.post("/check/{kind}")
async def api_check(
    request: Request, kind: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Problems of a half-typed event (``kind``: ``TYPE.EVENT``); stores and logs nothing."""
    type_key, _, event_kind = kind.partition(".")
    given = body.get("fields")
    fields = (
        {k: v for k, v in given.items() if k != "event_kind"} if isinstance(given, dict) else {}
    )  # the form's hidden input
    try:
        problems = service.check_event(
            type_key, event_kind, fields, partial=bool(body.get("partial", True))
        )
    except InputError as exc:
        problems = [Problem("event_kind", str(exc))]
        response = json_response({"problems": [p.to_json() for p in problems]})
        response.status_code = 404
        return response
    return json_response({"problems": [p.to_json() for p in problems]})


@api.get("/{programme_id}")
async def api_programme(
    request: Request, programme_id: RecordId, kind: Annotated[str, Query(max_length=48)] = ""
) -> Response:
    """A programme's events, pseudonymous participants included (needs a justification)."""
    ctx, by = context(request), principal_of(request)
    listing = await _call(
        service.list_events,
        ctx.engine,
        by,
        programme_id,
        justification=_why(request),
        event_kind=kind,
        client=client_of(request),
    )
    return json_response(
        {
            "programme": listing.programme.to_json(),
            "total": listing.total,
            "participants": listing.participants,
            "events": [v.to_json() for v in listing.events],
        }
    )


@api.get("/{programme_id}/outcomes")
async def api_programme_outcomes(
    request: Request,
    programme_id: RecordId,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    ctx, by = context(request), principal_of(request)
    results = await _call(
        measures.outcomes,
        ctx.engine,
        by,
        programme_id,
        since=_day(since, "since"),
        until=_day(until, "until"),
        client=client_of(request),
    )
    return json_response(results[0].to_json())


@api.post("/{programme_id}/participants", status_code=201)
async def api_participant(
    request: Request, programme_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Enrol (or find) a participant by ``identifier``: the answer is their pseudonym."""
    ctx, by = context(request), principal_of(request)
    attributes = body.get("attributes") if isinstance(body.get("attributes"), dict) else None
    try:
        done = await _call(
            service.add_participant,
            ctx.engine,
            by,
            programme_id,
            str(body.get("identifier") or ""),
            attributes,
            _why(request, body),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    return _created(done.to_json())


@api.post("/{programme_id}/events", status_code=201)
async def api_event(
    request: Request, programme_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Record an event: ``event_kind`` and ``fields`` (the head and the kind's fields)."""
    ctx, by = context(request), principal_of(request)
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    try:
        done = await _call(
            service.record_event,
            ctx.engine,
            by,
            programme_id,
            str(body.get("event_kind") or ""),
            fields,
            _why(request, body),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    return _created(done.to_json())


@api.post("/events/{event_id}/corrections")
async def api_correct(
    request: Request, event_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Correct an event's date, operation or fields (``fields``: only those that change)."""
    ctx, by = context(request), principal_of(request)
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    try:
        done = await _call(
            service.correct_event,
            ctx.engine,
            by,
            event_id,
            fields,
            _why(request, body),
            client=client_of(request),
        )
    except FormRefused as exc:
        return _refused(exc)
    return json_response(done.to_json())
