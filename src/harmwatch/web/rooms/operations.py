"""The operations room's pages and API: operations, results, summaries, templates, imports.

Thin over :mod:`harmwatch.operations`, which checks every value with the record
type's form, scopes every read by the record policy and logs every read and change
with its justification (so these routes' rules log nothing themselves). A
justification is the case or operation declared for the session, a
``justification`` form field, or for the API an ``X-Justification`` header or a
``justification`` field in the posted body — never a query parameter.

Forms are rendered from the same :class:`~harmwatch.kernel.forms.Form` the import
uses, and checked as the user types by ``POST /api/operations/check/{kind}``, which
answers the form's problems and stores and reads nothing.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.forms import FormRefused, shown
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.operations import bulk, checkback, service, summary
from harmwatch.operations.kinds import READ_OPERATIONS, WRITE_OPERATIONS
from harmwatch.operations.results import RESULT_FORMS

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import RecordId
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why
from ..roomkit import refused as _refused

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/operations", tags=["operations"])
routers = (pages, api)

MAX_FIELD = 2000
MAX_UPLOAD = 20 * 1024 * 1024


def _errors(exc: UserError) -> tuple[dict[str, str], str | None]:
    if isinstance(exc, FormRefused):
        return exc.by_field(), None
    if isinstance(exc, JustificationRequired):
        return {"justification": str(exc)}, None
    return {}, str(exc)


async def _posted(request: Request, names: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    form = await request.form()
    values: dict[str, str] = {}
    for name in names:
        items = [v for v in form.getlist(name) if isinstance(v, str)]
        if items:
            values[name] = ";".join(items)[:MAX_FIELD]
    typed = form.get("justification")
    return values, typed[:500] if isinstance(typed, str) and typed.strip() else None


def _can(request: Request) -> dict[str, bool]:
    by = principal_of(request)
    return {
        "can_read": READ_OPERATIONS.granted(by.role),
        "can_write": WRITE_OPERATIONS.granted(by.role),
    }


def _result_kinds() -> list[tuple[str, str]]:
    return [(kind, form.title) for kind, form in RESULT_FORMS.items()]


# -- pages ---------------------------------------------------------------------------------


@pages.get("/operations", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Operations, each with its summary sentence; figures only for a viewer of figures."""
    ctx, by = context(request), principal_of(request)
    ops = await _call(service.operations_for_summaries, ctx.engine, by, client=client_of(request))
    return render(
        request,
        "operations_index.html",
        title="Operations",
        operations=ops,
        kinds=_result_kinds(),
        sheet_kinds=list(bulk.sheet_kinds()),
        **_can(request),
    )


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value[:20]!r} is not a date like 2025-03-31") from None


@pages.get("/operations/summary", response_class=HTMLResponse)
async def summary_page(
    request: Request,
    operation: Annotated[list[str] | None, Query(max_length=120)] = None,
    force: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """The summary of any set of operations (or every result) by force and period."""
    ctx, by = context(request), principal_of(request)
    chosen = [o for o in (operation or []) if o]
    ops = await _call(service.operations_for_summaries, ctx.engine, by, client=client_of(request))
    values: dict[str, Any] = {
        "title": "Operation summary",
        "operations": ops,
        "chosen": chosen,
        "filters": {"force": force, "since": since, "until": until},
        **_can(request),
    }
    try:
        got = await _call(
            summary.summarise, ctx.engine, by, operations=chosen, force=force or None,
            since=_day(since, "since"), until=_day(until, "until"), client=client_of(request),
        )  # fmt: skip
    except UserError as exc:
        return render(request, "operations_summary.html", exc.http_status, error=str(exc), **values)
    return render(request, "operations_summary.html", summary=got, **values)


def _form_page(
    request: Request,
    *,
    kind: str,
    action: str,
    heading: str,
    values: dict[str, str],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    operation: service.OperationView | None = None,
    reason_field: bool = False,
) -> HTMLResponse:
    form = service.form_for(kind)
    fields = [f for f in form.fields if not (operation is not None and f.name == "operation")]
    return render(
        request,
        "operations_form.html",
        status_code,
        title=heading,
        heading=heading,
        kind=kind,
        form=form,
        fields=fields,
        values=values,
        errors=errors or {},
        error=error,
        action=action,
        operation=operation,
        reason_field=reason_field,
        kinds=_result_kinds(),
    )


@pages.get("/operations/new", response_class=HTMLResponse)
async def new_operation(request: Request) -> HTMLResponse:
    return _form_page(
        request,
        kind="operation",
        action="/operations/new",
        heading="Record an operation",
        values={"starts_on": date.today().isoformat()},
    )


@pages.post("/operations/new", response_class=HTMLResponse)
async def create_operation(request: Request) -> Response:
    ctx, by = context(request), principal_of(request)
    values, typed = await _posted(request, service.OPERATION_FORM.names)
    try:
        done = await _call(
            service.record_operation, ctx.engine, by, values, typed, client=client_of(request)
        )
    except UserError as exc:
        errors, error = _errors(exc)
        return _form_page(
            request, kind="operation", action="/operations/new", heading="Record an operation",
            values=values, status_code=422 if errors else exc.http_status, errors=errors,
            error=error,
        )  # fmt: skip
    return Response(status_code=303, headers={"location": f"/operations/{done.id}"})


@pages.get("/operations/import", response_class=HTMLResponse)
async def import_page(request: Request) -> HTMLResponse:
    return render(
        request, "operations_import.html", title="Import records", kinds=bulk.sheet_kinds()
    )


@pages.post("/operations/import", response_class=HTMLResponse)
async def import_post(request: Request) -> HTMLResponse:
    """Load a filled-in template; every bad row listed with its line, or what was loaded."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    upload = form.get("file")
    kind = form.get("kind")
    typed = form.get("justification")
    values: dict[str, Any] = {"title": "Import records", "kinds": bulk.sheet_kinds()}
    if upload is None or isinstance(upload, str) or not upload.filename:
        return render(request, "operations_import.html", 422, error="Choose a file.", **values)
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return render(request, "operations_import.html", 413, error="The file is over 20 MB.",
                      **values)  # fmt: skip
    name = Path(upload.filename).name
    try:
        done = await _call(
            _import_bytes, ctx.engine, by, data, name,
            kind=str(kind) if isinstance(kind, str) and kind else None,
            justification=str(typed) if isinstance(typed, str) and typed.strip() else None,
            client=client_of(request),
        )  # fmt: skip
    except FormRefused as exc:
        return render(
            request, "operations_import.html", 422, problems=exc.problems,
            error=f"{name} was not loaded: nothing is stored until every row is right.", **values,
        )  # fmt: skip
    except UserError as exc:
        return render(request, "operations_import.html", exc.http_status, error=str(exc), **values)
    return render(request, "operations_import.html", done=done, **values)


def _import_bytes(
    engine: Any, principal: Any, data: bytes, name: str, **kwargs: Any
) -> bulk.Imported:
    suffix = Path(name).suffix.lower()
    if suffix not in bulk.SUFFIXES:
        raise InputError(f"{name}: a .csv or .xlsx file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return bulk.import_file(engine, principal, path, display_name=name, **kwargs)


@pages.get("/operations/templates/{kind}")
async def template_download(
    request: Request, kind: str, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv"
) -> Response:
    """An empty template for ``kind`` with a line of guidance per column."""
    bulk.sheet_kind(kind)
    with tempfile.TemporaryDirectory() as folder:
        path = bulk.write_template(kind, Path(folder) / f"{kind}.{format}")
        content = path.read_bytes()
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        content,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{kind}.{format}"'},
    )


@pages.post("/operations/export")
async def export_download(request: Request) -> Response:
    """The records of one kind the user may see: a disclosure, logged with its recipient."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    kind = str(form.get("kind") or "")
    fmt = str(form.get("format") or "csv")
    if fmt not in ("csv", "xlsx"):
        raise InputError("format: csv or xlsx")
    typed = form.get("justification")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind or 'export'}.{fmt}"
        await _call(
            bulk.export_file, ctx.engine, by, kind, path,
            justification=str(typed) if isinstance(typed, str) and typed.strip() else None,
            recipient=str(form.get("recipient") or ""),
            acknowledge_conditions=form.get("acknowledge_conditions") == "on",
            client=client_of(request),
        )  # fmt: skip
        content = path.read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/octet-stream"
    return Response(
        content,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{kind}.{fmt}"'},
    )


@pages.get("/operations/{operation_id}", response_class=HTMLResponse)
async def operation_page(request: Request, operation_id: RecordId) -> HTMLResponse:
    """An operation: its summary, its results by kind (when a reason is declared)."""
    ctx, by = context(request), principal_of(request)
    op = await _call(service.operation, ctx.engine, by, operation_id, client=client_of(request))
    got = await _call(
        summary.summarise, ctx.engine, by, operations=[op.id], client=client_of(request)
    )
    rows = None
    if by.purpose:
        rows = await _call(
            service.results, ctx.engine, by, justification=None, operation_id=op.id,
            client=client_of(request),
        )  # fmt: skip
    return render(
        request,
        "operations_operation.html",
        title=op.name,
        operation=op,
        summary=got,
        results=rows,
        kinds=_result_kinds(),
        **_can(request),
    )


@pages.get("/operations/{operation_id}/results/new", response_class=HTMLResponse)
async def new_result(
    request: Request, operation_id: RecordId, kind: Annotated[str, Query(max_length=40)] = "arrest"
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    op = await _call(service.operation, ctx.engine, by, operation_id, client=client_of(request))
    form = service.form_for(kind)
    return _form_page(
        request,
        kind=kind,
        action=f"/operations/{op.id}/results/new?kind={kind}",
        heading=f"Record a {form.title}: {op.name}",
        values={"occurred_on": date.today().isoformat()},
        operation=op,
    )


@pages.post("/operations/{operation_id}/results/new", response_class=HTMLResponse)
async def create_result(
    request: Request, operation_id: RecordId, kind: Annotated[str, Query(max_length=40)] = "arrest"
) -> Response:
    ctx, by = context(request), principal_of(request)
    op = await _call(service.operation, ctx.engine, by, operation_id, client=client_of(request))
    form = service.form_for(kind)
    values, typed = await _posted(request, form.names)
    values.pop("operation", None)
    try:
        done = await _call(
            service.record_result, ctx.engine, by, kind, values, typed, operation_id=op.id,
            client=client_of(request),
        )  # fmt: skip
    except UserError as exc:
        errors, error = _errors(exc)
        return _form_page(
            request, kind=kind, action=f"/operations/{op.id}/results/new?kind={kind}",
            heading=f"Record a {form.title}: {op.name}", values=values,
            status_code=422 if errors else exc.http_status, errors=errors, error=error,
            operation=op,
        )  # fmt: skip
    return Response(status_code=303, headers={"location": f"/operations/results/{done.id}"})


def _result_page(
    request: Request,
    found: service.ResultView,
    status_code: int = 200,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    form = service.form_for(found.result_kind)
    return render(
        request,
        "operations_result.html",
        status_code,
        title=f"{form.title.capitalize()} {found.id}",
        result=found,
        form=form,
        shown_values=found.shown_values(),
        values=values or found.shown_values(),
        errors=errors or {},
        error=error,
        done=done,
        **_can(request),
    )


@pages.get("/operations/results/{result_id}", response_class=HTMLResponse)
async def result_page(request: Request, result_id: RecordId) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        return render(
            request, "operations_result.html", title="Result", ask_purpose=True, result=None
        )
    found = await _call(
        service.result, ctx.engine, by, result_id, justification=None, client=client_of(request)
    )
    return _result_page(request, found)


@pages.post("/operations/results/{result_id}", response_class=HTMLResponse)
async def correct_page(request: Request, result_id: RecordId) -> HTMLResponse:
    """Correct a result; its page with the change, or with each problem beside its field."""
    ctx, by = context(request), principal_of(request)
    found = await _call(
        service.result, ctx.engine, by, result_id, justification=_form_why(await request.form()),
        client=client_of(request),
    )  # fmt: skip
    form = service.form_for(found.result_kind)
    values, typed = await _posted(request, form.names)
    posted = await request.form()
    reason = str(posted.get("reason") or "")
    current = found.shown_values()
    changes = {k: v for k, v in values.items() if v != current.get(k)}
    for f in form.fields:  # a field emptied on the form is a change to "no value"
        if f.name not in values and current.get(f.name):
            changes[f.name] = ""
    try:
        fixed = await _call(
            service.correct_result, ctx.engine, by, result_id, changes, reason=reason,
            justification=typed, client=client_of(request),
        )  # fmt: skip
    except UserError as exc:
        errors, error = _errors(exc)
        return _result_page(
            request, found, 422 if errors else exc.http_status, values={**current, **values},
            errors=errors, error=error,
        )  # fmt: skip
    return _result_page(request, fixed, done="The correction is saved and logged.")


def _form_why(form: Any) -> str | None:
    typed = form.get("justification")
    return typed[:500] if isinstance(typed, str) and typed.strip() else None


# -- API -------------------------------------------------------------------------------------


@api.get("")
async def api_operations(request: Request) -> Response:
    """Operations whose summaries you may ask for (their names and dates)."""
    ctx, by = context(request), principal_of(request)
    ops = await _call(service.operations_for_summaries, ctx.engine, by, client=client_of(request))
    return json_response({"operations": [o.to_json() for o in ops]})


@api.post("", status_code=201)
async def api_record_operation(
    request: Request, body: Annotated[dict[str, Any], Body()]
) -> Response:
    ctx, by = context(request), principal_of(request)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the operation's fields")
    try:
        done = await _call(
            service.record_operation, ctx.engine, by, fields, _why(request, body),
            client=client_of(request),
        )  # fmt: skip
    except FormRefused as exc:
        return _refused(exc)
    response = json_response(done.to_json())
    response.status_code = 201
    return response


@api.get("/summary")
async def api_summary(
    request: Request,
    operation: Annotated[list[str] | None, Query(max_length=120)] = None,
    force: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """A summary computed from the records, with the refs behind each figure."""
    ctx, by = context(request), principal_of(request)
    got = await _call(
        summary.summarise, ctx.engine, by, operations=[o for o in (operation or []) if o],
        force=force or None, since=_day(since, "since"), until=_day(until, "until"),
        justification=_why(request), client=client_of(request),
    )  # fmt: skip
    return json_response(got.to_json())


@api.get("/checkbacks")
async def api_checkbacks(request: Request) -> Response:
    """Line closures: pending, due for check-back, or resurfaced in call data or intelligence."""
    ctx, by = context(request), principal_of(request)
    items = await _call(
        checkback.check, ctx.engine, by, justification=_why(request),
        store_path=ctx.settings.analytics_db, client=client_of(request),
    )  # fmt: skip
    return json_response({"closures": [c.to_json() for c in items]})


@api.post("/check/{kind}")
async def api_check(
    request: Request, kind: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The problems of a half-filled form (stores nothing, reads no record)."""
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the form's fields")
    form = service.form_for(kind)
    known = {k: v for k, v in fields.items() if k in form.names and isinstance(v, str | None)}
    problems = service.check_values(kind, known, partial=body.get("partial") is not False)
    return json_response({"problems": [p.to_json() for p in problems]})


@api.post("/import")
async def api_import(request: Request) -> Response:
    """A filled-in template (multipart ``file``; ``kind`` for a CSV not named by its kind)."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InputError("file: attach the filled-in template")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError("file: over 20 MB; split it")
    kind = form.get("kind")
    try:
        done = await _call(
            _import_bytes, ctx.engine, by, data, Path(upload.filename).name,
            kind=kind if isinstance(kind, str) and kind else None,
            justification=_why(request), client=client_of(request),
        )  # fmt: skip
    except FormRefused as exc:
        return _refused(exc)
    return json_response(done.to_json())


@api.get("/{operation_id}")
async def api_operation(request: Request, operation_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    op = await _call(service.operation, ctx.engine, by, operation_id, client=client_of(request))
    return json_response(op.to_json())


@api.post("/{operation_id}/results", status_code=201)
async def api_record_result(
    request: Request, operation_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Record one result of the operation: ``kind`` and its ``fields``."""
    ctx, by = context(request), principal_of(request)
    kind, fields = body.get("kind"), body.get("fields")
    if not isinstance(kind, str) or not isinstance(fields, dict):
        raise InputError("kind and fields: the result's kind and an object of its fields")
    try:
        done = await _call(
            service.record_result, ctx.engine, by, kind, fields, _why(request, body),
            operation_id=operation_id, client=client_of(request),
        )  # fmt: skip
    except FormRefused as exc:
        return _refused(exc)
    response = json_response(done.to_json())
    response.status_code = 201
    return response


@api.get("/results/{result_id}")
async def api_result(request: Request, result_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    found = await _call(
        service.result, ctx.engine, by, result_id, justification=_why(request),
        client=client_of(request),
    )  # fmt: skip
    return json_response(found.to_json())


@api.post("/results/{result_id}/corrections")
async def api_correct(
    request: Request, result_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Correct fields of a result (``fields``, ``reason``); each change is logged."""
    ctx, by = context(request), principal_of(request)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: an object of the fields to change")
    try:
        fixed = await _call(
            service.correct_result, ctx.engine, by, result_id, fields,
            reason=str(body.get("reason") or ""), justification=_why(request, body),
            client=client_of(request),
        )  # fmt: skip
    except FormRefused as exc:
        return _refused(exc)
    return json_response(fixed.to_json())


__all__ = ["routers", "shown"]
