"""The JSON API under ``/api``: the same analyses as the pages, and every download.

``?format=`` picks the representation: ``json`` (default) for scripts and the
page scripts, ``csv`` / ``geojson`` / ``png`` / ``svg`` to download (each logged
as an export). Handlers are thin: parameters in, a cached library call, bytes out.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any, BinaryIO, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from harmwatch.evaluation.change import parse_period
from harmwatch.security import audit
from harmwatch.security.accounts import list_users

from ..analysis import AnalysisQuery, change_csv
from ..deps import audit_details, context, current_user, set_audit_action
from ..params import (
    BOUNDARY_PATTERN,
    analysis_query,
    file_response,
    json_bytes,
    parse_when,
    records,
    stem_for,
)
from ..uploads import UploadOutcome, UploadRefused, load_uploads

router = APIRouter(prefix="/api")

Query_ = Annotated[AnalysisQuery, Depends(analysis_query)]
FORMAT_DOC = "json (default), or a file to download"
GZIP_MIN_BYTES = 16 * 1024
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/geo+json": {},
            "image/png": {},
            "image/svg+xml": {},
        }
    },
    422: {"description": "The filter matches nothing or a value cannot be used."},
}


def _json(payload: Any) -> Response:
    return Response(json_bytes(payload), media_type="application/json")


@router.get("/meta", tags=["data"])
def meta(request: Request) -> dict[str, Any]:
    """What can be chosen: loaded forces, crime types, months and each force's districts."""
    return context(request).analyses.meta()


@router.get("/trends", tags=["aggregates"], responses=FILE_RESPONSES)
def trends(
    request: Request,
    force: Annotated[list[str] | None, Query(description="Force slug (repeatable).")] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    crime_type: Annotated[
        list[str] | None, Query(description="Series to draw (svg/png) or export (csv).")
    ] = None,
    format: Annotated[Literal["json", "csv", "svg", "png"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Street crimes per month and crime type, with the latest month compared (or 'no data')."""
    analyses = context(request).analyses
    forces = tuple(f for f in (force or []) if f.strip())[:50]
    where = district.strip() if district and district.strip() else None
    if format == "json":
        return _json(analyses.trends(forces, where).to_dict())
    types = [t for t in (crime_type or []) if t.strip()] or ["Drugs"]
    data = analyses.trends_file(forces, where, types, format)
    return file_response(data, format, "-".join(["trends", *forces, where or ""]))


# The characters parse_month_spec reads (":" or ".." within a run, "," between parts);
# anything else is refused before the handler runs.
PERIOD_PATTERN = r"^[0-9:,. -]{0,100}$"


@router.get("/change", tags=["aggregates"], responses=FILE_RESPONSES)
def period_change(
    request: Request,
    force: Annotated[list[str] | None, Query(description="Force slug (repeatable).")] = None,
    district: Annotated[
        str | None, Query(max_length=100, description="Crimes whose LSOA name starts with it.")
    ] = None,
    crime_type: Annotated[
        list[str] | None, Query(description="Crime type (repeatable, counted together); Drugs.")
    ] = None,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="2025-12 or 2025-10:2025-12; default: the latest 3 months loaded.",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="Months to compare with; default: the same months a year earlier, "
            "or the months just before the period where those are not loaded.",
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Did it really change? Counts, % change, exact rate ratio with 95 % CI, p-value, caveats."""
    analyses = context(request).analyses
    forces = tuple(f for f in (force or []) if f.strip())[:50]
    types = tuple(t for t in (crime_type or []) if t.strip())[:50] or ("Drugs",)
    where = district.strip() if district and district.strip() else None
    span = parse_period(period, "period") if period and period.strip() else None
    base = parse_period(baseline, "baseline") if baseline and baseline.strip() else None
    result = analyses.change(forces, where, types, span, base)
    audit_details(request, period=list(result.period), baseline=list(result.baseline))
    if format == "json":
        return _json(result.to_dict())
    data = change_csv(result)
    parts = ["change", *result.forces, where or "", *result.crime_types, *result.period]
    stem = "-".join([*parts, "vs", *result.baseline])
    return file_response(data, "csv", stem.lower())


@router.get("/hotspots", tags=["hotspots"], responses=FILE_RESPONSES)
def hotspot_cells(
    request: Request,
    query: Query_,
    format: Annotated[
        Literal["json", "csv", "geojson", "png"], Query(description=FORMAT_DOC)
    ] = "json",
    cells: Annotated[
        Literal["all", "map", "none"],
        Query(description="all cells, only those worth drawing (map), or none (summary only)."),
    ] = "all",
) -> Response:
    """Hotspot cells (counts, KDE, Gi* with adjusted p-values and class) over the study area."""
    analyses = context(request).analyses
    summary = analyses.hotspot_summary(query)
    audit_details(request, cells=summary["cells"], hot_cells=summary.get("hot_cells"))
    if format == "json":
        payload: dict[str, Any] = {"summary": summary}
        if cells != "none":
            payload["cells"] = records(analyses.hotspots(query).cells)
        return _json(payload)
    data = analyses.hotspot_file(query, format, map_cells=cells == "map")
    if cells == "map" and format == "geojson":
        return map_layer(request, data, ("map-cells", query.key()))
    return file_response(data, format, stem_for("hotspots", query))


def map_layer(request: Request, data: bytes, key: tuple[object, ...]) -> Response:
    """A layer for the web map, gzipped once per cache entry when the browser accepts it.

    Map layers are GeoJSON that compresses about tenfold (a KDE layer over three
    counties is 5.6 MB, 0.6 MB gzipped), which matters on a force's network.
    """
    headers = {"vary": "Accept-Encoding"}
    if len(data) > GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        analyses = context(request).analyses
        data = analyses.cache.get_or_compute(
            (analyses.version(), "gzip", key), lambda: gzip.compress(data, compresslevel=5)
        )
        headers["content-encoding"] = "gzip"
    return Response(data, media_type="application/geo+json", headers=headers)


@router.get("/study-area", tags=["hotspots"])
def study_area(request: Request, query: Query_) -> Response:
    """The run's study-area outline and district outlines (WGS84 GeoJSON) for drawing."""
    data = context(request).analyses.study_area_geojson(query)
    return map_layer(request, data, ("study-area", query.key()))


@router.get("/areas", tags=["hotspots"], responses=FILE_RESPONSES)
def areas(
    request: Request,
    query: Query_,
    top: Annotated[int, Query(ge=0, le=100_000)] = 20,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """LSOAs ranked by crimes, with concentration figures and their caveats."""
    analyses = context(request).analyses
    if format == "csv":
        return file_response(analyses.areas_csv(query), "csv", stem_for("lsoas", query))
    return _json(analyses.areas(query).summary(top))


@router.get("/patrol", tags=["hotspots"], responses=FILE_RESPONSES)
def patrol(
    request: Request,
    query: Query_,
    area_km2: Annotated[float, Query(ge=0.01, le=1000, description="Budget in km².")] = 5.0,
    score: Annotated[Literal["n", "kde", "gistar"], Query()] = "n",
    format: Annotated[
        Literal["json", "csv", "geojson", "png"], Query(description=FORMAT_DOC)
    ] = "json",
) -> Response:
    """Patrol zones: the highest-scoring cells within the budget, merged where they touch."""
    analyses = context(request).analyses
    if format == "json":
        plan = analyses.patrol(query, area_km2, score)
        return _json(plan.summary())
    data = analyses.patrol_file(query, area_km2, score, format)
    return file_response(data, format, stem_for("patrol", query))


@router.get("/forecast-eval", tags=["aggregates"], responses=FILE_RESPONSES)
def forecast_evaluation(
    request: Request,
    query: Query_,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Rolling next-month forecast evaluation: hit rate, PAI and PEI per method and coverage."""
    analyses = context(request).analyses
    if format == "csv":
        return file_response(analyses.forecast_csv(query), "csv", stem_for("forecast", query))
    return _json(analyses.forecast(query).to_dict())


@router.get("/status", tags=["data"], responses=FILE_RESPONSES)
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
        return _json(info.to_dict())
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


async def handle_upload(request: Request) -> UploadOutcome:
    """Shared by the API and the no-JavaScript form: load the files, log what happened."""
    ctx = context(request)
    user = current_user(request)
    names: list[str] = []
    try:
        files, lenient = await read_upload_form(request, ctx.settings.max_upload_bytes)
        names = [name for name, _ in files]
        outcome = await run_in_threadpool(
            lambda: load_uploads(
                files,
                db_path=ctx.analyses.db_path,
                folder=ctx.settings.police_upload_dir,
                gate=ctx.analyses.gate,
                actor=user.username,
                lenient=lenient,
            )
        )
    except UploadRefused as exc:
        outcome = UploadOutcome(ok=False, summary=str(exc))
    finally:
        form = getattr(request, "_form", None)
        if form is not None:
            await form.close()
    if outcome.ok:
        ctx.analyses.cache.clear()
    audit_details(
        request,
        files=names[:50],
        loaded=outcome.ok,
        rows_loaded=outcome.rows_loaded,
        rows_rejected=outcome.rows_rejected,
        problems=len(outcome.problems) + outcome.more_problems,
    )
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


@router.post(
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


# -- study-area boundaries ----------------------------------------------------------


@router.get("/boundaries", tags=["hotspots"])
def boundaries(request: Request) -> list[dict[str, Any]]:
    """Boundaries users have uploaded, newest first."""
    return [asdict(b) for b in context(request).analyses.boundaries.list()]


BOUNDARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "maxLength": 120},
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


@router.post("/boundaries", tags=["hotspots"], openapi_extra=BOUNDARY_BODY, status_code=201)
async def upload_boundary(request: Request) -> Response:
    """Upload a GeoJSON boundary; it is drawn on the map and can be chosen as the study area."""
    ctx = context(request)
    user = current_user(request)
    length = request.headers.get("content-length", "")
    limit = ctx.settings.max_boundary_bytes
    if length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"a boundary file may be at most {limit // 2**20} MiB")
    form = await request.form(max_files=1, max_fields=10)
    try:
        item = form.get("file")
        if not isinstance(item, UploadFile):
            raise HTTPException(422, "choose a GeoJSON file to upload (field 'file')")
        data = await item.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(413, f"a boundary file may be at most {limit // 2**20} MiB")
        name = str(form.get("name") or "")
        info = await run_in_threadpool(
            lambda: ctx.analyses.boundaries.save(
                data,
                name=name,
                file_name=item.filename or "boundary.geojson",
                uploaded_by=user.username,
            )
        )
    finally:
        await form.close()
    set_audit_action(request, "create", target=f"boundary {info.id}")
    audit_details(request, name=info.name, file=info.file_name, sha256=info.sha256)
    if "text/html" in request.headers.get("accept", "") and not request.headers.get("x-csrf-token"):
        # A plain form post (no JavaScript): back to the map with the new study area.
        return RedirectResponse(f"/hotspots?boundary={info.id}", status_code=303)
    return JSONResponse(asdict(info), status_code=201)


BoundaryId = Annotated[str, Path(pattern=BOUNDARY_PATTERN)]


@router.get("/boundaries/{boundary_id}", tags=["hotspots"])
def boundary_outline(request: Request, boundary_id: BoundaryId) -> Response:
    """One uploaded boundary as a WGS84 GeoJSON Feature, for drawing."""
    try:
        feature = context(request).analyses.boundaries.outline(boundary_id)
    except KeyError:
        raise HTTPException(404, "no uploaded boundary with this id") from None
    return Response(json_bytes(feature), media_type="application/geo+json")


@router.delete("/boundaries/{boundary_id}", tags=["hotspots"])
def delete_boundary(request: Request, boundary_id: BoundaryId) -> dict[str, Any]:
    """Remove an uploaded boundary (analyses already run keep their record in the log)."""
    try:
        info = context(request).analyses.boundaries.delete(boundary_id)
    except KeyError:
        raise HTTPException(404, "no uploaded boundary with this id") from None
    set_audit_action(request, "delete", target=f"boundary {info.id}")
    audit_details(request, name=info.name)
    return {"deleted": info.id}


# -- access log and users -------------------------------------------------------------

AUDIT_ACTIONS = (
    "sign-in",
    "sign-in-failed",
    "sign-out",
    "view",
    "search",
    "export",
    "create",
    "change",
    "delete",
    "denied",
)


def audit_filters(
    actor: Annotated[str | None, Query(max_length=255)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="YYYY-MM-DD or ISO time.")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description="YYYY-MM-DD (inclusive) or ISO time.")
    ] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Access-log filters; a date-only ``until`` includes that whole day."""
    end = parse_when(until)
    if end is not None and until and len(until.strip()) == 10:
        end = end + timedelta(days=1)
    return {
        "actor": actor.strip().lower() if actor and actor.strip() else None,
        "action": action.strip() if action and action.strip() else None,
        "since": parse_when(since),
        "until": end,
        "text": text.strip() if text and text.strip() else None,
    }


@router.get("/audit", tags=["admin"], responses=FILE_RESPONSES)
def audit_log(
    request: Request,
    filters: Annotated[dict[str, Any], Depends(audit_filters)],
    justification: Annotated[
        str,
        Query(min_length=0, max_length=500, description="Why you are searching (kept in the log)."),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Search the access log (needs a typed justification; the search is itself logged)."""
    ctx = context(request)
    with ctx.db() as db:
        entries = audit.query(db, limit=limit, **filters)
        if format == "csv":
            buf = io.StringIO()
            audit.export_csv(entries, buf)
            audit_details(request, entries=len(entries))
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            return file_response(buf.getvalue().encode(), "csv", f"access-log-{stamp}")
        rows = [audit.entry_dict(e) for e in entries]
    audit_details(request, entries=len(rows))
    return _json({"entries": rows, "count": len(rows), "limit": limit})


@router.get("/users", tags=["admin"])
def users(request: Request) -> list[dict[str, Any]]:
    """Every account: name, role, whether disabled, when created and last signed in."""
    with context(request).db() as db:
        found = list_users(db)
        return [
            {
                "username": u.username,
                "role": u.role,
                "disabled": u.disabled,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in found
        ]
