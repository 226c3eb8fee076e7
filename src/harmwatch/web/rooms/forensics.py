"""The forensics room's pages and API: the incident review, its queue, retests, exhibits, progress.

Thin over :mod:`harmwatch.forensics`, which checks every value, scopes every read and
logs every read and change with its justification (these routes' rules log nothing
themselves). Cases name suspects and defendants, so the queue and the exhibit pages
read nothing until a reason is declared for the session (or typed); the progress
figures need none, and are all the PCC viewer sees.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import InputError, NotFoundError, UserError
from harmwatch.forensics import (
    casework,
    forms,
    incidents,
    priority,
    progress,
    providers,
    retests,
    verify,
)
from harmwatch.forensics.kinds import READ_FORENSICS, WRITE_FORENSICS
from harmwatch.forensics.retests import DISPOSITIONS
from harmwatch.kernel.forms import FormRefused

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import RecordId
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why
from ..roomkit import refused as _refused

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/forensics", tags=["forensics"])
routers = (pages, api)

MAX_FIELD = 500
STEP_FIELDS = {
    "sent": ("sent_on", "provider_id", "laboratory_id"),
    "result": ("analyte", "value", "unit", "uncertainty", "method", "reported_on"),
    "dispose": ("disposition", "disposition_on", "reason"),
}


def _can(request: Request) -> dict[str, bool]:
    by = principal_of(request)
    return {
        "can_read": READ_FORENSICS.granted(by.role),
        "can_write": WRITE_FORENSICS.granted(by.role),
    }


async def _posted(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {
        name: str(form.get(name))[:MAX_FIELD]
        for name in names
        if isinstance(form.get(name), str) and str(form.get(name)).strip()
    }


# -- pages ---------------------------------------------------------------------------------


@pages.get("/forensics", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Incidents and the review's progress (figures only for the PCC viewer)."""
    ctx, by = context(request), principal_of(request)
    can = _can(request)
    shown = await _call(progress.progress, ctx.engine, by, client=client_of(request))
    listed = await _call(incidents.incidents, ctx.engine, by) if can["can_read"] else []
    overdue = None
    if can["can_read"] and by.purpose:
        overdue = await _call(
            retests.overdue, ctx.engine, by, justification=None, client=client_of(request)
        )
    return render(
        request,
        "forensics_index.html",
        title="Forensic review",
        progress=shown,
        incidents=listed,
        overdue=overdue,
        **can,
    )


async def _incident_page(
    request: Request,
    incident_id: int,
    status_code: int = 200,
    *,
    done: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    failed_retest: int | None = None,
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    incident = await _call(incidents.incident, ctx.engine, by, incident_id)
    values: dict[str, Any] = {
        "title": incident.name,
        "incident": incident,
        "dispositions": DISPOSITIONS,
        "done": done,
        "error": error,
        "errors": errors or {},
        "failed_retest": failed_retest,
        "my_force": by.force,
        **_can(request),
    }
    if not by.purpose:
        return render(request, "forensics_incident.html", status_code, ask_purpose=True, **values)
    client = client_of(request)
    values["affected"] = await _call(
        incidents.affected, ctx.engine, by, incident_id, justification=None, client=client
    )
    values["queue"] = await _call(
        priority.queue, ctx.engine, by, incident_id, justification=None, client=client
    )
    values["retests"] = await _call(
        retests.retests, ctx.engine, by, incident_id=incident_id, justification=None,
        client=client,
    )  # fmt: skip
    values["retested"] = {r.exhibit_id for r in values["retests"]}
    # Retests go to another provider than the one whose results are in doubt.
    values["providers"] = [
        p
        for p in await _call(providers.list_providers, ctx.engine, by, client=client)
        if p.id != incident.provider_id
    ]
    return render(request, "forensics_incident.html", status_code, **values)


@pages.get("/forensics/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(request: Request, incident_id: RecordId) -> HTMLResponse:
    """An incident: what it affects per force, the priority queue and the retests."""
    return await _incident_page(request, incident_id)


@pages.post("/forensics/incidents/{incident_id}/retests", response_class=HTMLResponse)
async def request_retest(request: Request, incident_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    values = await _posted(request, ("exhibit_id", "provider_id", "laboratory_id"))
    exhibit = values.pop("exhibit_id", "")
    try:
        if not exhibit.isdigit():
            raise FormRefused([])
        await _call(
            retests.request, ctx.engine, by, int(exhibit),
            {**values, "incident_id": str(incident_id)}, client=client_of(request),
        )  # fmt: skip
    except UserError as exc:
        return await _incident_page(
            request, incident_id, 422 if isinstance(exc, FormRefused) else exc.http_status,
            error=str(exc) or "choose the exhibit to retest",
        )  # fmt: skip
    return Response(
        status_code=303, headers={"location": f"/forensics/incidents/{incident_id}#retests"}
    )


@pages.post("/forensics/retests/{retest_id}/{step}", response_class=HTMLResponse)
async def retest_step(request: Request, retest_id: RecordId, step: str) -> Response:
    """The next step of a retest: sent, result, compare or dispose."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    incident_id = str(form.get("incident_id") or "")
    steps: dict[str, Any] = {
        "sent": retests.mark_sent,
        "result": retests.record_result,
        "dispose": retests.dispose,
    }
    try:
        if step == "compare":
            done = await _call(
                retests.compare, ctx.engine, by, retest_id, client=client_of(request)
            )
        elif step in steps:
            values = await _posted(request, STEP_FIELDS[step])
            done = await _call(
                steps[step], ctx.engine, by, retest_id, values, client=client_of(request)
            )
        else:
            return Response(status_code=404)
    except UserError as exc:
        if not incident_id.isdigit():
            raise
        errors = exc.by_field() if isinstance(exc, FormRefused) else {}
        return await _incident_page(
            request, int(incident_id), 422 if errors else exc.http_status,
            error=None if errors else str(exc), errors=errors, failed_retest=retest_id,
        )  # fmt: skip
    target = f"/forensics/incidents/{done.incident_id}" if done.incident_id else "/forensics"
    return Response(status_code=303, headers={"location": f"{target}#retest-{retest_id}"})


@pages.get("/forensics/exhibits/{exhibit_id}", response_class=HTMLResponse)
async def exhibit_page(request: Request, exhibit_id: RecordId) -> HTMLResponse:
    """An exhibit: its chain of custody (with gaps and seal problems flagged) and results."""
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        return render(request, "forensics_exhibit.html", title="Exhibit", ask_purpose=True)
    found = await _call(
        casework.read_exhibit, ctx.engine, by, exhibit_id, justification=None,
        client=client_of(request),
    )  # fmt: skip
    return render(
        request, "forensics_exhibit.html", title=f"Exhibit {found.reference}", exhibit=found,
        values={}, errors={}, can_write=WRITE_FORENSICS.granted(by.role), **_entry_context(),
    )  # fmt: skip


# -- recording from the pages: one Form per record, checked as the user types ------------------

ENTRY_FORMS = {
    "case": forms.CASE_FORM,
    "exhibit": forms.EXHIBIT_FORM,
    "custody": forms.CUSTODY_FORM,
    "result": forms.RESULT_FORM,
}
ENTRY_TITLES = {"case": "Record a case", "exhibit": "Record an exhibit"}


def _entry_form(kind: str) -> Any:
    if kind not in ENTRY_FORMS:
        raise NotFoundError(f"no form {kind!r}: case, exhibit, custody or result")
    return ENTRY_FORMS[kind]


def _new_page(
    request: Request,
    kind: str,
    values: dict[str, str],
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    form = _entry_form(kind)
    return render(
        request,
        "forensics_form.html",
        status_code,
        title=ENTRY_TITLES[kind],
        heading=ENTRY_TITLES[kind],
        kind=kind,
        fields=form.fields,
        values=values,
        errors=errors or {},
        error=error,
        action=f"/forensics/new/{kind}",
    )


@pages.get("/forensics/new/{kind}", response_class=HTMLResponse)
async def new_record(
    request: Request, kind: str, case_id: Annotated[str, Query(max_length=20)] = ""
) -> HTMLResponse:
    """The form for a new case or exhibit (an exhibit may name its case in the link)."""
    if kind not in ENTRY_TITLES:
        raise NotFoundError(f"no form {kind!r}: case or exhibit")
    return _new_page(request, kind, {"case_id": case_id} if case_id.isdigit() else {})


@pages.post("/forensics/new/{kind}", response_class=HTMLResponse)
async def create_record(request: Request, kind: str) -> Response:
    ctx, by = context(request), principal_of(request)
    if kind not in ENTRY_TITLES:
        raise NotFoundError(f"no form {kind!r}: case or exhibit")
    values = await _posted(request, (*_entry_form(kind).names, "justification"))
    why = values.pop("justification", None)
    fn = casework.add_case if kind == "case" else casework.add_exhibit
    try:
        done = await _call(fn, ctx.engine, by, values, why, client=client_of(request))
    except UserError as exc:
        errors = exc.by_field() if isinstance(exc, FormRefused) else {}
        return _new_page(
            request, kind, values, 422 if errors else exc.http_status, errors=errors,
            error=None if errors else str(exc),
        )  # fmt: skip
    target = f"/forensics/exhibits/{done.id}" if kind == "exhibit" else "/forensics"
    return Response(status_code=303, headers={"location": target})


@pages.post("/forensics/exhibits/{exhibit_id}/{kind}", response_class=HTMLResponse)
async def exhibit_entry(request: Request, exhibit_id: RecordId, kind: str) -> Response:
    """A custody event or a result recorded from the exhibit's page (appended to its chain)."""
    ctx, by = context(request), principal_of(request)
    if kind not in ("custody", "result"):
        raise NotFoundError(f"no form {kind!r}: custody or result")
    values = await _posted(request, (*_entry_form(kind).names, "justification"))
    why = values.pop("justification", None)
    if kind == "custody":
        fn = casework.record_custody
    else:
        fn = casework.amend_result if values.get("amendment_reason") else casework.add_result
    try:
        await _call(fn, ctx.engine, by, exhibit_id, values, why, client=client_of(request))
    except UserError as exc:
        errors = exc.by_field() if isinstance(exc, FormRefused) else {}
        found = await _call(
            casework.read_exhibit, ctx.engine, by, exhibit_id, justification=why,
            client=client_of(request),
        )  # fmt: skip
        return render(
            request, "forensics_exhibit.html", 422 if errors else exc.http_status,
            title=f"Exhibit {found.reference}", exhibit=found, entry=kind, values=values,
            errors=errors, error=None if errors else str(exc), can_write=True,
            **_entry_context(),
        )  # fmt: skip
    return Response(
        status_code=303, headers={"location": f"/forensics/exhibits/{exhibit_id}#{kind}-heading"}
    )


def _entry_context() -> dict[str, Any]:
    return {"custody_fields": forms.CUSTODY_FORM.fields, "result_fields": forms.RESULT_FORM.fields}


# -- API -------------------------------------------------------------------------------------


@api.post("/check/{kind}")
async def api_check(
    request: Request, kind: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The problems of a half-filled form (stores nothing, reads no record)."""
    form = _entry_form(kind)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the form's fields")
    known = {k: v for k, v in fields.items() if k in form.names and isinstance(v, str | None)}
    _, problems = form.check(known, partial=body.get("partial") is not False)
    return json_response({"problems": [p.to_json() for p in problems]})


@api.get("/progress")
async def api_progress(
    request: Request, incident: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None
) -> Response:
    """The review's progress in figures, per force (and across forces for the reviewer)."""
    ctx, by = context(request), principal_of(request)
    got = await _call(
        progress.progress, ctx.engine, by, incident_id=incident, justification=_why(request),
        client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())


@api.get("/incidents")
async def api_incidents(request: Request) -> Response:
    ctx, by = context(request), principal_of(request)
    listed = await _call(incidents.incidents, ctx.engine, by)
    return json_response({"incidents": [i.to_json() for i in listed]})


@api.get("/incidents/{incident_id}/affected")
async def api_affected(request: Request, incident_id: RecordId) -> Response:
    """Every affected case and sample, per force and in total (a case counts once)."""
    ctx, by = context(request), principal_of(request)
    got = await _call(
        incidents.affected, ctx.engine, by, incident_id, justification=_why(request),
        client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())


@api.get("/incidents/{incident_id}/queue")
async def api_queue(request: Request, incident_id: RecordId) -> Response:
    """The priority queue with each case's reason for its place, and the legal-review list."""
    ctx, by = context(request), principal_of(request)
    got = await _call(
        priority.queue, ctx.engine, by, incident_id, justification=_why(request),
        client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())


@api.get("/exhibits/{exhibit_id}")
async def api_exhibit(request: Request, exhibit_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    got = await _call(
        casework.read_exhibit, ctx.engine, by, exhibit_id, justification=_why(request),
        client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())


# -- API: recording (each a thin call; the library checks, scopes and logs) -------------------


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the record's fields, as a form would post them")
    return {str(k): v for k, v in fields.items() if isinstance(v, str | int | float | None)}


async def _answer(fn: Any, *args: Any, created: bool = False, **kwargs: Any) -> Response:
    try:
        done = await _call(fn, *args, **kwargs)
    except FormRefused as exc:
        return _refused(exc)
    response = json_response(done.to_json())
    if created:
        response.status_code = 201
    return response


@api.post("/cases", status_code=201)
async def api_add_case(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    ctx, by = context(request), principal_of(request)
    return await _answer(
        casework.add_case, ctx.engine, by, _fields(body), _why(request, body),
        client=client_of(request), created=True,
    )  # fmt: skip


@api.post("/cases/{case_id}/status")
async def api_case_status(
    request: Request, case_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A case's criminal-justice or custody status changes (old and new are logged)."""
    ctx, by = context(request), principal_of(request)
    return await _answer(
        casework.change_status, ctx.engine, by, case_id, _fields(body), _why(request, body),
        client=client_of(request),
    )  # fmt: skip


@api.post("/cases/{case_id}/notifications", status_code=201)
async def api_notify(
    request: Request, case_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A notification due to the CPS, the defence or the court."""
    ctx, by = context(request), principal_of(request)
    return await _answer(
        retests.add_notification, ctx.engine, by, case_id, _fields(body),
        client=client_of(request), created=True,
    )  # fmt: skip


@api.post("/notifications/{notification_id}/sent")
async def api_notification_sent(
    request: Request, notification_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    ctx, by = context(request), principal_of(request)
    return await _answer(
        retests.notification_sent, ctx.engine, by, notification_id, _fields(body),
        client=client_of(request),
    )  # fmt: skip


@api.post("/exhibits", status_code=201)
async def api_add_exhibit(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    ctx, by = context(request), principal_of(request)
    return await _answer(
        casework.add_exhibit, ctx.engine, by, _fields(body), _why(request, body),
        client=client_of(request), created=True,
    )  # fmt: skip


@api.post("/exhibits/{exhibit_id}/custody", status_code=201)
async def api_custody(
    request: Request, exhibit_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A custody event appended to the exhibit's chain (flags for gaps and seals follow)."""
    ctx, by = context(request), principal_of(request)
    return await _answer(
        casework.record_custody, ctx.engine, by, exhibit_id, _fields(body), _why(request, body),
        client=client_of(request), created=True,
    )  # fmt: skip


@api.post("/exhibits/{exhibit_id}/results", status_code=201)
async def api_result(
    request: Request, exhibit_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A result (``amend: true`` for a new version of an analyte's, with its reason)."""
    ctx, by = context(request), principal_of(request)
    fn = casework.amend_result if body.get("amend") is True else casework.add_result
    return await _answer(
        fn, ctx.engine, by, exhibit_id, _fields(body), _why(request, body),
        client=client_of(request), created=True,
    )  # fmt: skip


@api.post("/incidents", status_code=201)
async def api_declare(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Declare a laboratory incident: provider, laboratory, tests, analysts, date window."""
    ctx, by = context(request), principal_of(request)
    return await _answer(
        incidents.declare, ctx.engine, by, _fields(body), client=client_of(request),
        created=True,
    )  # fmt: skip


@api.post("/incidents/{incident_id}/regulator-notifications")
async def api_notify_regulator(
    request: Request, incident_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A notification the Forensic Science Regulator's Code of Practice requires."""
    ctx, by = context(request), principal_of(request)
    return await _answer(
        incidents.notify_regulator, ctx.engine, by, incident_id, _fields(body),
        client=client_of(request),
    )  # fmt: skip


@api.post("/exhibits/{exhibit_id}/retests", status_code=201)
async def api_request_retest(
    request: Request, exhibit_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    ctx, by = context(request), principal_of(request)
    return await _answer(
        retests.request, ctx.engine, by, exhibit_id, _fields(body), client=client_of(request),
        created=True,
    )  # fmt: skip


@api.post("/retests/{retest_id}/{step}")
async def api_retest_step(
    request: Request, retest_id: RecordId, step: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The next step of a retest: ``sent``, ``result``, ``compare`` or ``dispose``."""
    ctx, by = context(request), principal_of(request)
    if step == "compare":
        return await _answer(retests.compare, ctx.engine, by, retest_id, client=client_of(request))
    steps: dict[str, Any] = {
        "sent": retests.mark_sent,
        "result": retests.record_result,
        "dispose": retests.dispose,
    }
    if step not in steps:
        raise NotFoundError(f"step {step!r}: sent, result, compare or dispose")
    return await _answer(
        steps[step], ctx.engine, by, retest_id, _fields(body), client=client_of(request)
    )


@api.post("/verify")
async def api_verify(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Recompute every visible exhibit's chain (or one: ``exhibit``) against the access log."""
    ctx, by = context(request), principal_of(request)
    exhibit = body.get("exhibit")
    if exhibit is not None and not (isinstance(exhibit, int) and 1 <= exhibit <= 2**63 - 1):
        raise InputError("exhibit: an exhibit's id")
    got = await _call(
        verify.verify_exhibits, ctx.engine, by, justification=_why(request, body),
        exhibit_id=exhibit, client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())
