"""The data room's pages and API: upload police.uk files, see what is loaded and rejected."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, BinaryIO, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef

from ..deps import context, current_user, outside, render, work
from ..params import file_response
from ..responses import FILE_RESPONSES, FORMAT_DOC, json_response
from ..uploads import UploadOutcome, UploadRefused, load_uploads

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api")
routers = (pages, api)


def _data_page(
    request: Request, outcome: UploadOutcome | None = None, status: int = 200
) -> HTMLResponse:
    analyses = context(request).analyses
    status_info = None
    error = ""
    try:
        status_info = analyses.status()
    except FileNotFoundError:
        error = "No police.uk data are loaded yet: upload the files below."
    months: list[str] = []
    grid: dict[tuple[str, str], int] = {}
    forces: list[str] = []
    if status_info is not None:
        street = [r for r in status_info.by_force_month if r["kind"] == "street"]
        months = sorted({r["month"] for r in street})
        forces = sorted({r["force"] for r in street})
        grid = {(r["force"], r["month"]): int(r["rows"]) for r in street}
    return render(
        request,
        "data.html",
        status,
        title="Data",
        status=status_info,
        error=error,
        outcome=outcome,
        months=months,
        forces=forces,
        grid=grid,
    )


@pages.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    """Upload police.uk files; see what is loaded, where it came from, and what was rejected."""
    return _data_page(request)


@pages.post("/data/upload", response_class=HTMLResponse)
async def data_upload(request: Request) -> HTMLResponse:
    """The upload form without JavaScript: the same load, answered with the data page."""
    outcome = await handle_upload(request)
    return _data_page(request, outcome, 200 if outcome.ok else 422)


@api.get("/status", tags=["data"], responses=FILE_RESPONSES)
def status(
    request: Request,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
    table: Annotated[
        Literal["loads", "coverage", "rejects"],
        Query(
            description="With format=csv: which table (provenance, rows per force-month, rejects)."
        ),
    ] = "loads",
) -> Response:
    """Rows per kind, force and month, rejects and the provenance of every live load."""
    info = context(request).analyses.status()
    if format == "json":
        return json_response(info.to_dict())
    rows = {
        "loads": info.loads,
        "coverage": info.by_force_month,
        "rejects": info.rejects_by_reason,
    }[table]
    data = pd.DataFrame(rows).to_csv(index=False).encode()
    return file_response(data, "csv", f"police-uk-{table}")


# -- uploads ----------------------------------------------------------------------


async def read_upload_form(
    request: Request, max_bytes: int
) -> tuple[list[tuple[str, BinaryIO]], bool]:
    """The uploaded files (field ``files``) and the ``lenient`` box, refused when too large."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise UploadRefused(f"the upload is larger than the {max_bytes // 2**20:,} MiB allowed")
    form = await request.form(max_files=1000, max_fields=50)
    files = [
        (item.filename or "", item.file)
        for item in form.getlist("files")
        if isinstance(item, UploadFile) and (item.filename or item.size)
    ]
    lenient = str(form.get("lenient", "")).lower() in ("on", "true", "1", "yes")
    return files, lenient


class UploadNotLoaded(UploadRefused):
    """The load was refused with problems to show (the store is unchanged)."""

    def __init__(self, outcome: UploadOutcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome


async def handle_upload(request: Request) -> UploadOutcome:
    """Shared by the API and the no-JavaScript form: load the files, log what happened.

    The analytics store cannot share a transaction with the access log, so the load
    is logged as intended before it starts and with its outcome after.
    """
    ctx = context(request)
    user = current_user(request)
    target = RecordRef("store", "police-uk")
    names: list[str] = []
    try:
        try:
            files, lenient = await read_upload_form(request, ctx.settings.max_upload_bytes)
        except UploadRefused as refused:
            error = refused

            def log_refusal() -> None:
                with work(request, AuditAction.COLLECTION, target):
                    raise error

            with suppress(UploadRefused):
                await run_in_threadpool(log_refusal)
            return UploadOutcome(ok=False, summary=str(error))
        names = [name for name, _ in files]

        def load() -> UploadOutcome:
            with outside(
                request, AuditAction.COLLECTION, target, details={"files": names[:50]}
            ) as change:
                try:
                    outcome = load_uploads(
                        files,
                        db_path=ctx.analyses.db_path,
                        folder=ctx.settings.police_upload_dir,
                        gate=ctx.analyses.gate,
                        actor=user.username,
                        lenient=lenient,
                        writing=lambda: ctx.writing_store(
                            f"web:{user.username}", "a police.uk upload"
                        ),
                    )
                except UploadNotLoaded:
                    raise
                except UploadRefused as refused:  # a file name or set refused before loading
                    raise UploadNotLoaded(UploadOutcome(ok=False, summary=str(refused))) from None
                change.details.update(
                    loaded=outcome.ok,
                    rows_loaded=outcome.rows_loaded,
                    rows_rejected=outcome.rows_rejected,
                    problems=len(outcome.problems) + outcome.more_problems,
                    # When its turn at the store came and ended, and whose load it waited
                    # for: the log shows the app servers' loads one after another.
                    ingest_lock=outcome.lock,
                )
                if not outcome.ok:
                    raise UploadNotLoaded(outcome)
                return outcome

        try:
            outcome = await run_in_threadpool(load)
        except UploadNotLoaded as not_loaded:
            return not_loaded.outcome
    finally:
        form = getattr(request, "_form", None)
        if form is not None:
            await form.close()
    ctx.analyses.cache.clear()
    return outcome


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                        "lenient": {"type": "boolean"},
                    },
                    "required": ["files"],
                }
            }
        },
    }
}


@api.post(
    "/uploads",
    tags=["data"],
    openapi_extra=UPLOAD_BODY,
    responses={422: {"description": "Refused; the problems say file:line: field: reason."}},
)
async def upload(request: Request) -> Response:
    """Load police.uk files (CSV, CSV.GZ, zip); refused whole, with every problem, or loaded.

    The body is read here, after the guard, so that nobody can make the server
    store a large upload before being signed in, allowed and CSRF-checked.
    """
    outcome = await handle_upload(request)
    return JSONResponse(outcome.to_dict(), status_code=200 if outcome.ok else 422)
