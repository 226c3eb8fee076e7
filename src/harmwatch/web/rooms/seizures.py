"""Drug seizures with their street values, the price tables behind them, and revaluation.

Thin over :mod:`harmwatch.operations.valuation` and :mod:`harmwatch.operations.prices`,
which check the roles, scope every read of a seizure by the record policy and log
every read and change (so these routes' rules log nothing themselves). Seizure
results are personal records: the list is read only for the case or operation
declared for the session (a page) or an ``X-Justification`` header (the API) —
never a query parameter, which would land in server logs and browser history.

Every figure valued with an illustrative table is shown with its label.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.operations import prices, valuation
from harmwatch.operations.kinds import MANAGE_PRICE_TABLES

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import RecordId
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why
from ..roomkit import refused as _refused

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/seizures", tags=["seizures"])
routers = (pages, api)

#: A price file is a few hundred rows; anything this big is not one.
MAX_PRICE_FILE = 5 * 1024 * 1024
MAX_FIELD = 1000
TABLE_FIELDS = ("name", "source", "valid_from")


def _table_id(value: Any, name: str = "table_id") -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"{name}: a price table's id (a whole number), or empty for the usual one")
    return int(text)


# -- pages ----------------------------------------------------------------------------------


async def _index(
    request: Request,
    status_code: int = 200,
    *,
    history_of: int | None = None,
    justification: str | None = None,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    revalue_form: dict[str, str] | None = None,
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    values: dict[str, Any] = {
        "title": "Seizures and street values",
        "listing": None,
        "history": None,
        "history_of": history_of,
        "can_manage": MANAGE_PRICE_TABLES.granted(by.role),
        "done": done,
        "errors": errors or {},
        "error": error,
        "revalue_form": revalue_form or {},
        "pounds": prices.pounds,
    }
    if not justification and not by.purpose:
        # Nothing is read (or logged) until the user says why: the page asks first.
        return render(request, "seizures_index.html", status_code, ask_purpose=True, **values)
    try:
        values["listing"] = await _call(
            valuation.listing,
            ctx.engine,
            by,
            justification=justification,
            client=client_of(request),
        )
        if history_of is not None:
            values["history"] = await _call(
                valuation.history,
                ctx.engine,
                by,
                history_of,
                justification=justification,
                client=client_of(request),
            )
    except JustificationRequired as exc:
        return render(request, "seizures_index.html", 400, need_reason=str(exc), **values)
    except UserError as exc:
        values["error"] = str(exc)
        return render(request, "seizures_index.html", exc.http_status, **values)
    return render(request, "seizures_index.html", status_code, **values)


@pages.get("/seizures", response_class=HTMLResponse)
async def index(
    request: Request, history: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    """The seizures you may see with their current values; ``history``: one seizure's valuations."""
    return await _index(request, history_of=history)


@pages.post("/seizures/{result_id}/revalue", response_class=HTMLResponse)
async def revalue_page(request: Request, result_id: RecordId) -> HTMLResponse:
    """Value the seizure again; the page with its history (both values), or the problem."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    typed = {
        name: value[:MAX_FIELD]
        for name in ("reason", "table_id", "justification")
        if isinstance(value := form.get(name), str)
    }
    why = typed.get("justification", "").strip() or None
    try:
        done = await _call(
            valuation.revalue,
            ctx.engine,
            by,
            result_id,
            reason=typed.get("reason", ""),
            justification=why,
            table_id=_table_id(typed.get("table_id")),
            client=client_of(request),
        )
    except UserError as exc:
        message = str(exc)
        field, _, reason = message.partition(": ")
        if field in ("reason", "table", "table_id", "justification") and reason:
            errors = {"table_id" if field == "table" else field: reason}
            status = 422
        else:
            errors, status = {}, exc.http_status
        if isinstance(exc, JustificationRequired):
            errors, status = {"justification": message}, 400
        return await _index(
            request,
            status,
            history_of=result_id,
            justification=why,
            errors=errors,
            error=None if errors else message,
            revalue_form=typed,
        )
    return await _index(
        request,
        history_of=result_id,
        justification=why,
        done=f"Revalued {done.result_ref} at {done.range_text} ({done.table}); "
        "the earlier value is kept in its history.",
    )


def _prices_page(
    request: Request,
    tables: list[prices.TableView],
    status_code: int = 200,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    error: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    by = principal_of(request)
    return render(
        request,
        "seizures_prices.html",
        status_code,
        title="Street-price tables",
        tables=tables,
        can_manage=MANAGE_PRICE_TABLES.granted(by.role),
        form=form or {},
        errors=errors or {},
        problems=problems or [],
        error=error,
        done=done,
        columns=prices.COLUMNS,
        pounds=prices.pounds,
    )


@pages.get("/seizures/prices", response_class=HTMLResponse)
async def prices_page(request: Request) -> HTMLResponse:
    """Every version your force may use, its entries, source and valid-from; the upload form."""
    ctx, by = context(request), principal_of(request)
    tables = await _call(prices.list_tables, ctx.engine, by, client=client_of(request))
    return _prices_page(request, tables)


async def _upload(form: Any) -> tuple[bytes, str] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_PRICE_FILE + 1)
    if len(data) > MAX_PRICE_FILE:
        raise InputError(f"file: at most {MAX_PRICE_FILE // (1024 * 1024)} MB")
    return data, upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]


@pages.post("/seizures/prices", response_class=HTMLResponse)
async def load_page(request: Request) -> HTMLResponse:
    """Load the next version of a table from a CSV or XLSX file; every problem listed."""
    ctx, by = context(request), principal_of(request)
    form = await request.form()
    typed = {
        name: value[:MAX_FIELD] for name in TABLE_FIELDS if isinstance(value := form.get(name), str)
    }
    illustrative = form.get("illustrative") == "on"
    errors: dict[str, str] = {}
    problems: list[str] = []
    error = done = None
    status = 422
    try:
        upload = await _upload(form)
        if upload is None:
            errors["file"] = "choose the CSV or XLSX file of prices"
        else:
            rows = prices.read_rows(*upload)
            table = await _call(
                prices.load_table,
                ctx.engine,
                by,
                rows,
                name=typed.get("name", ""),
                source=typed.get("source", ""),
                valid_from=typed.get("valid_from", ""),
                illustrative=illustrative,
                client=client_of(request),
                file_name=upload[1],
            )
            done = (
                f"Loaded {table.title}: {len(table.entries)} prices, valid from {table.valid_from}."
            )
    except FormRefused as exc:
        # A row's problem carries its file and line; the table's own fields do not.
        for p in exc.problems:
            if p.where:
                problems.append(str(p))
            else:
                errors.setdefault(p.field, p.reason)
        if problems:
            errors.setdefault("file", f"{len(problems)} problem(s) in the file: nothing was loaded")
    except InputError as exc:  # the file itself cannot be read
        errors["file"] = str(exc)
    except UserError as exc:
        error, status = str(exc), exc.http_status
    tables = await _call(prices.list_tables, ctx.engine, by, client=client_of(request))
    if done:
        return _prices_page(request, tables, done=done)
    return _prices_page(
        request,
        tables,
        status,
        form={**typed, "illustrative": "on" if illustrative else ""},
        errors=errors,
        problems=problems,
        error=error,
    )


# -- API ------------------------------------------------------------------------------------


@api.get("")
async def api_seizures(request: Request) -> Response:
    """Drug seizures you may see, newest first, with current values and the labels to show."""
    ctx, by = context(request), principal_of(request)
    listing = await _call(
        valuation.listing, ctx.engine, by, justification=_why(request), client=client_of(request)
    )
    return json_response(
        {
            "seizures": [r.to_json() for r in listing.rows],
            "labels": list(listing.labels),
            "total": {
                "low_pence": listing.total.low_pence,
                "high_pence": listing.total.high_pence,
                "valued": listing.total.valued,
                "not_valued": listing.total.not_valued,
            },
        }
    )


@api.get("/prices")
async def api_tables(request: Request) -> Response:
    ctx, by = context(request), principal_of(request)
    tables = await _call(prices.list_tables, ctx.engine, by, client=client_of(request))
    return json_response({"tables": [t.to_json() for t in tables]})


@api.get("/prices/{table_id}")
async def api_table(request: Request, table_id: RecordId) -> Response:
    ctx, by = context(request), principal_of(request)
    table = await _call(prices.get_table, ctx.engine, by, table_id, client=client_of(request))
    return json_response(table.to_json())


def _body_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows, text = body.get("rows"), body.get("csv")
    if isinstance(text, str) and rows is None:
        return prices.read_rows(text.encode("utf-8"), "csv")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError("rows: a list of objects with drug, form, region, unit, low, high")
    return rows


@api.post("/prices", status_code=201)
async def api_load(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Load the next version of ``name``: ``rows`` (objects) or ``csv`` (text), with ``source``
    and ``valid_from``; 422 lists every problem (``where`` is the row's line)."""
    ctx, by = context(request), principal_of(request)
    for name in TABLE_FIELDS:
        if not isinstance(body.get(name, ""), str):
            raise InputError(f"{name}: text")
    try:
        rows = _body_rows(body)
        table = await _call(
            prices.load_table,
            ctx.engine,
            by,
            rows,
            name=str(body.get("name") or ""),
            source=str(body.get("source") or ""),
            valid_from=str(body.get("valid_from") or ""),
            illustrative=body.get("illustrative") is True,
            client=client_of(request),
            file_name="rows" if "rows" in body else "csv",
        )
    except FormRefused as exc:
        return _refused(exc)
    response = json_response(table.to_json())
    response.status_code = 201
    return response


@api.get("/{result_id}/valuations")
async def api_history(request: Request, result_id: RecordId) -> Response:
    """Every valuation of a seizure, oldest first; the last is its current value."""
    ctx, by = context(request), principal_of(request)
    views = await _call(
        valuation.history,
        ctx.engine,
        by,
        result_id,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(
        {
            "valuations": [v.to_json() for v in views],
            "current": views[-1].to_json() if views else None,
        }
    )


@api.post("/{result_id}/revalue")
async def api_revalue(
    request: Request, result_id: RecordId, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Value a seizure again (``reason``; ``table_id`` or the usual table); the old value stays."""
    ctx, by = context(request), principal_of(request)
    if not isinstance(body.get("reason", ""), str):
        raise InputError("reason: text")
    done = await _call(
        valuation.revalue,
        ctx.engine,
        by,
        result_id,
        reason=str(body.get("reason") or ""),
        justification=_why(request, body),
        table_id=_table_id(body.get("table_id")),
        client=client_of(request),
    )
    return json_response(done.to_json())
