"""The "where" room's pages and API: overview, hotspot map, forecast check, boundaries.

Each page handler reads its form into the verb's request (:func:`..forms.read_form`),
calls the cached library analyses, and hands plain values to a template. A filter
that matches nothing, or a bad value, is shown beside the form (with the library's
own message) so the user can correct it; it is never a dead-end error page. But it
is a refused search, as the API's 422 is for the same mistake: the page answers
422 too (the access log records the outcome from the status: ``refused``), and
shows no figures computed with a default in place of what was typed (the form is
read strictly; the page says so). The API takes the same names with types and
bounds, generated from the same request (:func:`..forms.api_request`); ``?format=``
picks the representation (``json`` for scripts and the page scripts, ``csv`` /
``geojson`` / ``png`` / ``svg`` to download, each logged as a disclosure).

Counts on the hotspot page come from the library once (``AreaCounts``, the LSOA
ranking's ``count_note``), so every panel says the same number for the same
words, and a table that shows only its first rows says so.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams, UploadFile

from harmwatch.crimes.aggregates import suppressed_cells
from harmwatch.crimes.kinds import READ_FORCE_RECORDS
from harmwatch.errors import UserError
from harmwatch.evaluation.change import Change
from harmwatch.evaluation.rates import p_text
from harmwatch.evaluation.recording import neutral_direction_note
from harmwatch.evaluation.requests import ChangeRequest, TrendsRequest
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef
from harmwatch.outputs.suppression import NOTE as SUPPRESSION_NOTE
from harmwatch.outputs.tables import write_table
from harmwatch.query.params import WEB, convert
from harmwatch.where.patrol import PatrolPlan, fitting_budget_km2
from harmwatch.where.requests import (
    AreaRankingRequest,
    ForecastEvalRequest,
    HotspotsRequest,
    PatrolPlanRequest,
)

from .. import charts
from ..analysis import Analyses, map_cells_geojson, trends_title
from ..cache import cached_first
from ..deps import audit_details, context, current_user, outside, principal_of, render
from ..filters import ratio
from ..forms import api_request, form_view, links, read_form, stem_for
from ..params import BOUNDARY_PATTERN, file_response, json_bytes, records
from ..responses import FILE_RESPONSES, FORMAT_DOC, json_response, map_layer
from ..responses import query_string as _qs
from ..user_boundaries import BoundaryInfo, UnknownBoundaryError

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api")
routers = (pages, api)

Hotspots = Annotated[HotspotsRequest, Depends(api_request(HotspotsRequest))]
Areas = Annotated[AreaRankingRequest, Depends(api_request(AreaRankingRequest))]
Patrol = Annotated[PatrolPlanRequest, Depends(api_request(PatrolPlanRequest))]
Forecast = Annotated[ForecastEvalRequest, Depends(api_request(ForecastEvalRequest))]
Trends = Annotated[TrendsRequest, Depends(api_request(TrendsRequest))]

CELL_CHOICES = (100, 200, 250, 500, 1000, 2000, 5000)
# A page answers 422 when it refused what was asked (the API's status for the same
# mistake); the access log derives "refused" from it.
REFUSED = 422
NOT_RUN = (
    "Nothing was computed: the search could not be run as asked. Correct the value above "
    "and run it again (no figures are shown with a default in place of what was typed)."
)
LSOAS_SHOWN = 20
ZONES_SHOWN = 15
# The hotspot page's form field for the patrol plan's ``area_km2``: beside the map's own
# fields it is named for what it is (the API, which plans alone, calls it area_km2).
PATROL_BUDGET_FIELD = "patrol_km2"


def _analysis_page(
    request: Request,
    template: str,
    title: str,
    meta: dict[str, Any],
    query: object,
    errors: list[str],
    *,
    ran: bool,
    **values: Any,
) -> HTMLResponse:
    """An analysis page: 422 when the search was refused, saying nothing was computed."""
    return render(
        request,
        template,
        status_code=REFUSED if errors else 200,
        title=title,
        meta=meta,
        query=query,
        errors=errors,
        not_run=NOT_RUN if errors and not ran and meta["forces"] else "",
        **values,
    )


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _change_row(result: Change, query: dict[str, Any]) -> dict[str, Any]:
    """One crime type's period change as the panel shows it, with links that reproduce it."""
    rate = result.rate
    pct = result.pct_change
    link = {
        **query,
        "crime_type": result.crime_types,
        "period": ":".join(result.period),
        "baseline": ":".join(result.baseline),
    }
    return {
        "result": result,
        # An arrow as well as the sign: the direction is never told by colour alone.
        "pct": "—"
        if pct is None
        else f"{'↑' if pct > 0 else '↓' if pct < 0 else '→'} {pct:+.1f} %",
        "ratio": ratio(rate.ratio),
        "ci": f"{ratio(rate.ci_low)}–{ratio(rate.ci_high)}",
        "p": p_text(rate.p_value).removeprefix("p ").removeprefix("= "),
        "qs": _qs(link),
    }


def _change_panel(
    analyses: Analyses,
    params: QueryParams,
    force: str,
    district: str | None,
    shown: list[str],
) -> dict[str, Any]:
    """The "Has it really changed?" panel: one period change per crime type shown.

    An empty period or baseline is the library's default, which it explains
    (``defaults_chosen``); a value it cannot use is shown beside the form. The
    web always falls back to the months just before the period where the same
    months a year earlier are not loaded: its users cannot know which years are.
    """
    period_text = (params.get("period") or "").strip()
    baseline_text = (params.get("baseline") or "").strip()
    panel: dict[str, Any] = {
        "period": period_text,
        "baseline": baseline_text,
        "errors": [],
        "rows": [],
        "defaults": [],
        "notes": [],
        "caveats": [],
    }
    months, problems = convert(
        ChangeRequest, {"period": period_text, "baseline": baseline_text}, WEB
    )
    if problems:
        labels = ChangeRequest.names(WEB)
        panel["errors"] = _unique([p.render(labels) for p in problems])
        return panel
    query = {"force": force, "district": district or ""}
    errors: list[str] = []
    results: list[Change] = []
    for crime_type in shown:
        try:
            request = ChangeRequest(
                forces=(force,) if force else (),
                district=district,
                crime_types=(crime_type,),
                baseline_fallback=True,
                **months,
            )
            results.append(analyses.change(request))
        except UserError as exc:
            errors.append(str(exc))
    panel["errors"] = _unique(errors)
    panel["rows"] = [_change_row(r, query) for r in results]
    panel["defaults"] = _unique([line for r in results for line in r.defaults_chosen])
    panel["notes"] = _unique([line for r in results for line in r.notes])
    panel["caveats"] = _unique([line for r in results for line in r.caveats])
    return panel


@pages.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    """Monthly trends per crime type, and whether the latest months really changed."""
    analyses = context(request).analyses
    meta = analyses.meta()
    params = request.query_params
    force = (params.get("force") or "").strip()
    district = (params.get("district") or "").strip() or None
    query, errors = read_form(TrendsRequest, params, strict=True)
    shown = (
        list(query.crime_types)
        if query is not None
        else [t for t in params.getlist("crime_type") if t.strip()] or ["Drugs"]
    )
    unknown = [t for t in shown if meta["crime_types"] and t not in meta["crime_types"]]
    if unknown:
        errors.append(
            f"crime type(s) {', '.join(repr(t) for t in unknown)} are not in the data; choose "
            f"from: {', '.join(meta['crime_types'])}"
        )
    trend = None
    chart = ""
    chart_table: tuple[list[str], list[tuple[str, list[int | None]]]] = ([], [])
    rows: list[dict[str, Any]] = []
    panel: dict[str, Any] | None = None
    if meta["forces"] and query is not None and not errors:
        try:
            trend = analyses.trends(query)
        except UserError as exc:
            errors.append(str(exc))
    absent: list[str] = []
    if trend is not None:
        present = set(trend.table["crime_type"])
        absent = [t for t in shown if t not in present]
        series = [(t, trend.series(t)) for t in shown if t in present]
        chart = charts.line_chart_svg(series, title=trends_title(trend))
        chart_table = charts.chart_table(series)
        for comp in sorted(trend.comparisons, key=lambda c: -c.latest):
            rows.append(
                {
                    "comp": comp,
                    "spark": charts.sparkline_svg(
                        trend.series(comp.crime_type), label=f"{comp.crime_type} by month"
                    ),
                }
            )
        panel = _change_panel(analyses, params, force, district, shown)
        audit_details(request, months=len(trend.months), crime_types=len(rows))
    refused = bool(errors) or bool(panel and panel["errors"])
    link = {"force": force, "district": district or "", "crime_type": shown}
    return render(
        request,
        "overview.html",
        status_code=REFUSED if refused else 200,
        title="Overview",
        meta=meta,
        force=force,
        district=district or "",
        shown=shown,
        trend=trend,
        chart=chart,
        chart_table=chart_table,
        rows=rows,
        errors=errors,
        not_run=NOT_RUN if errors and meta["forces"] else "",
        absent=absent,
        neutral_note=neutral_direction_note(r["comp"].crime_type for r in rows),
        qs=_qs(link),
        panel=panel,
        period=(params.get("period") or "").strip(),
        baseline=(params.get("baseline") or "").strip(),
    )


def _patrol_budget(params: QueryParams, errors: list[str]) -> float | None:
    """The budget typed in the page's ``patrol_km2`` (checked as the API's ``area_km2`` is),
    or None when the field is empty; a bad value is listed in ``errors`` (None returned)."""
    values, problems = convert(
        PatrolPlanRequest, {"area_km2": params.get(PATROL_BUDGET_FIELD)}, WEB
    )
    errors += [p.render(PatrolPlanRequest.names(WEB)) for p in problems]
    value = values.get("area_km2")
    return float(value) if value is not None else None


def _default_budget(result: Any) -> tuple[float, str]:
    """The web's usual budget, or a tenth of a study area smaller than it, and why."""
    usual = float(PatrolPlanRequest.spec("area_km2").default(WEB))
    cells = len(result.cells)
    cell_km2 = result.grid.cell_area_km2
    if usual / cell_km2 + 1e-9 < cells:
        return usual, f"budget: {usual:g} km², the default"
    fitted = max(fitting_budget_km2(cells, cell_km2), 0.01)
    return fitted, (
        f"budget: {fitted:g} km², a tenth of the study area's {cells * cell_km2:,.2f} km² of "
        f"cells, because the default {usual:g} km² is not smaller than the whole area"
    )


@pages.get("/hotspots", response_class=HTMLResponse)
def hotspot_map(request: Request) -> HTMLResponse:
    """Grid cells, Gi* classes, study area, patrol zones and the LSOA ranking for one filter."""
    analyses = context(request).analyses
    meta = analyses.meta()
    store = analyses.boundaries
    params_in = request.query_params
    # Strict: a bad value leaves no request, so no figure is computed from a default
    # the user did not ask for.
    query, errors = read_form(HotspotsRequest, params_in, store, strict=True)
    budget_errors: list[str] = []
    typed_km2 = _patrol_budget(params_in, budget_errors)
    errors += budget_errors
    result = ranking = None
    plan: PatrolPlan | None = None
    plan_error = ""
    budget_note = ""
    km2 = typed_km2 or float(PatrolPlanRequest.spec("area_km2").default(WEB))
    if meta["forces"] and query is not None:
        try:
            result = analyses.hotspots(query)
            ranking = analyses.areas(AreaRankingRequest.narrowed(query))
        except UserError as exc:
            errors.append(str(exc))
        if result is not None and budget_errors:
            plan_error = "No patrol plan: the patrol budget above could not be read."
        elif result is not None:
            if typed_km2 is None:
                km2, budget_note = _default_budget(result)
            try:
                plan = analyses.patrol(
                    PatrolPlanRequest.narrowed(query, method=query.method, area_km2=km2)
                )
            except UserError as exc:
                plan_error = str(exc)
                if typed_km2 is not None:  # a budget the user asked for was refused
                    errors.append(plan_error)
    params = links(query, store) if query is not None else {}
    summary = analyses.hotspot_summary(query) if result is not None and query is not None else {}
    if result is not None:
        audit_details(
            request,
            cells=summary.get("cells"),
            hot_cells=summary.get("hot_cells"),
            points=summary.get("points_in_study_area"),
        )
    shown = form_view(query, HotspotsRequest, store)
    if query is None:  # refill the form as typed, not with the defaults
        shown.months = params_in.get("months", "")
    zones_url = f"/api/patrol?{_qs(params, format='geojson', area_km2=f'{km2:g}')}"
    layers = {
        "cells": f"/api/hotspots?{_qs(params, format='geojson', cells='map')}",
        "area": f"/api/study-area?{_qs(params)}",
        # No plan, no layer: the map leaves an empty address out.
        "zones": zones_url if plan is not None else "",
        "boundary": f"/api/boundaries/{shown.boundary}" if shown.boundary else "",
    }
    downloads = [
        ("Cells (CSV)", f"/api/hotspots?{_qs(params, format='csv')}"),
        ("Cells (GeoJSON)", f"/api/hotspots?{_qs(params, format='geojson')}"),
        ("Map (PNG)", f"/api/hotspots?{_qs(params, format='png')}"),
        ("LSOA ranking (CSV)", f"/api/areas?{_qs(params, format='csv')}"),
    ]
    if plan is not None:
        downloads += [
            ("Patrol zones (GeoJSON)", zones_url),
            (
                "Patrol zones (CSV)",
                f"/api/patrol?{_qs(params, format='csv', area_km2=f'{km2:g}')}",
            ),
            ("Patrol map (PNG)", f"/api/patrol?{_qs(params, format='png', area_km2=f'{km2:g}')}"),
        ]
    downloads.append(("Run summary (JSON)", f"/api/hotspots?{_qs(params, cells='none')}"))
    ranking_csv = f"/api/areas?{_qs(params, format='csv')}"
    zones_csv = f"/api/patrol?{_qs(params, format='csv', area_km2=f'{km2:g}')}"
    return _analysis_page(
        request,
        "hotspots.html",
        "Hotspot map",
        meta,
        shown,
        errors,
        ran=result is not None,
        result=result,
        summary=summary,
        ranking=ranking,
        top=ranking.table.head(LSOAS_SHOWN).to_dict(orient="records")
        if ranking is not None
        else [],
        lsoas_ranked=len(ranking.table) if ranking is not None else 0,
        ranking_csv=ranking_csv,
        plan=plan,
        zones=plan.zones.head(ZONES_SHOWN).to_dict(orient="records") if plan is not None else [],
        zones_total=len(plan.zones) if plan is not None else 0,
        zones_csv=zones_csv,
        plan_error=plan_error,
        budget_note=budget_note,
        km2=km2,
        km2_field=params_in.get(PATROL_BUDGET_FIELD, "") if typed_km2 is None else f"{km2:g}",
        layers=layers if result is not None else None,
        downloads=downloads if result is not None else [],
        boundaries=store.list(),
        cell_choices=CELL_CHOICES,
    )


@pages.get("/forecast", response_class=HTMLResponse)
def forecast(request: Request) -> HTMLResponse:
    """How well each method would have predicted next month's crimes, month by month."""
    analyses = context(request).analyses
    meta = analyses.meta()
    store = analyses.boundaries
    query, errors = read_form(ForecastEvalRequest, request.query_params, store, strict=True)
    evaluation = None
    if meta["forces"] and query is not None:
        try:
            evaluation = analyses.forecast(query)
        except UserError as exc:
            errors.append(str(exc))
    tables: list[dict[str, Any]] = []
    recommendation = None
    comparisons: list[Any] = []
    if evaluation is not None:
        leaders = evaluation.leaders()
        for coverage, group in evaluation.summary.groupby("coverage"):
            lead = leaders[float(coverage)]
            # Marked only where the months can tell: one clear leader, or those jointly
            # highest when some other method is clearly below; none when all are alike.
            marked = set(lead.methods) if len(lead.methods) < len(group) else set()
            tables.append(
                {
                    "coverage": float(coverage),
                    "leaders": lead,
                    "marked": marked,
                    "tag": "highest PAI" if lead.clear else "jointly highest",
                    "rows": group.sort_values("mean_pai", ascending=False).to_dict(
                        orient="records"
                    ),
                }
            )
        audit_details(request, months_scored=int(evaluation.summary["months_scored"].max()))
        recommendation = evaluation.recommendation()
        comparisons = evaluation.comparisons()
    params = links(query, store) if query is not None else {}
    shown = form_view(query, ForecastEvalRequest, store)
    if query is None:
        shown.months = request.query_params.get("months", "")
    return _analysis_page(
        request,
        "forecast.html",
        "Forecast check",
        meta,
        shown,
        errors,
        ran=evaluation is not None,
        evaluation=evaluation,
        tables=tables,
        recommendation=recommendation,
        comparisons=comparisons,
        csv_url=f"/api/forecast-eval?{_qs(params, format='csv')}",
        json_url=f"/api/forecast-eval?{_qs(params)}",
        curve_url=f"/api/forecast-eval?{_qs(params, format='png')}",
        cell_choices=CELL_CHOICES,
    )


# -- API ----------------------------------------------------------------------


@api.get("/meta", tags=["data"])
def meta(request: Request) -> dict[str, Any]:
    """What can be chosen: loaded forces, crime types, months and each force's districts."""
    return context(request).analyses.meta()


@api.get("/trends", tags=["aggregates"], responses=FILE_RESPONSES)
def trends(
    request: Request,
    query: Trends,
    format: Annotated[Literal["json", "csv", "svg", "png"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Street crimes per month and crime type, with the latest month compared (or 'no data')."""
    analyses = context(request).analyses
    if format == "json":
        return json_response(analyses.trends(query).to_dict())
    data = analyses.trends_file(query, format)
    return file_response(data, format, "-".join(["trends", *query.forces, query.district or ""]))


@api.get("/hotspots", tags=["hotspots"], responses=FILE_RESPONSES)
async def hotspot_cells(
    request: Request,
    query: Hotspots,
    format: Annotated[
        Literal["json", "csv", "geojson", "png"], Query(description=FORMAT_DOC)
    ] = "json",
    cells: Annotated[
        Literal["all", "map", "none"],
        Query(description="all cells, only those worth drawing (map), or none (summary only)."),
    ] = "all",
) -> Response:
    """Hotspot cells (counts, KDE, Gi* with adjusted p-values and class) over the study area."""
    # A layer asked for again is answered on the event loop; a new one in a thread.
    return await cached_first(lambda: _hotspot_cells(request, query, format, cells))


def _hotspot_cells(request: Request, query: HotspotsRequest, format: str, cells: str) -> Response:
    analyses = context(request).analyses
    summary = analyses.hotspot_summary(query)
    audit_details(request, cells=summary["cells"], hot_cells=summary.get("hot_cells"))
    aggregates = aggregates_only(request, query)
    if format == "json":
        payload: dict[str, Any] = {"summary": summary}
        if cells != "none":
            table = analyses.hotspots(query).cells
            payload["cells"] = records(suppressed_cells(table) if aggregates else table)
        if aggregates:
            payload["suppression"] = SUPPRESSION_NOTE
        return json_response(payload)
    if aggregates and format in ("csv", "geojson"):
        data = _suppressed_file(analyses, query, format, map_cells=cells == "map")
        return file_response(data, format, stem_for("hotspots", query))
    data = analyses.hotspot_file(query, format, map_cells=cells == "map")
    if cells == "map" and format == "geojson":
        return map_layer(request, data, ("map-cells", query))
    return file_response(data, format, stem_for("hotspots", query))


def aggregates_only(request: Request, query: object) -> bool:
    """A request on a force's own records from a viewer of aggregates (not exact: the PCC)."""
    return getattr(query, "source", "") == "force-records" and not READ_FORCE_RECORDS.granted(
        principal_of(request).role
    )


def _suppressed_file(
    analyses: Analyses, query: HotspotsRequest, fmt: str, *, map_cells: bool
) -> bytes:
    """The cells as CSV or GeoJSON with suppressed counts, from this reader's own result."""
    import json
    import tempfile
    from pathlib import Path as FilePath

    result = analyses.hotspots(query)
    shown = suppressed_cells(result.cells)
    if map_cells and fmt == "geojson":
        layer = json.loads(map_cells_geojson(result))
        by_centre = {
            (float(x), float(y)): n
            for x, y, n in zip(shown["x"], shown["y"], shown["n"], strict=True)
        }
        for feature in layer["features"]:
            props = feature["properties"]
            props["n"] = by_centre.get((float(props["x"]), float(props["y"])), props.get("n"))
        return json_bytes(layer)
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / f"cells.{fmt}"
        return write_table(shown, path, fmt, cell=result.grid.cell).read_bytes()


@api.get("/study-area", tags=["hotspots"])
async def study_area(request: Request, query: Hotspots) -> Response:
    """The run's study-area outline and district outlines (WGS84 GeoJSON) for drawing."""

    def answer() -> Response:
        data = context(request).analyses.study_area_geojson(query)
        return map_layer(request, data, ("study-area", query))

    return await cached_first(answer)


@api.get("/areas", tags=["hotspots"], responses=FILE_RESPONSES)
def areas(
    request: Request,
    query: Areas,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """LSOAs ranked by crimes, with concentration figures and their caveats."""
    analyses = context(request).analyses
    if format == "csv":
        return file_response(analyses.areas_csv(query), "csv", stem_for("lsoas", query))
    return json_response(analyses.areas(query).summary(query.top))


@api.get("/patrol", tags=["hotspots"], responses=FILE_RESPONSES)
def patrol(
    request: Request,
    query: Patrol,
    format: Annotated[
        Literal["json", "csv", "geojson", "png"], Query(description=FORMAT_DOC)
    ] = "json",
) -> Response:
    """Patrol zones: the highest-scoring cells within the budget, merged where they touch."""
    analyses = context(request).analyses
    if format == "json":
        return json_response(analyses.patrol(query).summary())
    data = analyses.patrol_file(query, format)
    return file_response(data, format, stem_for("patrol", query))


@api.get("/forecast-eval", tags=["aggregates"], responses=FILE_RESPONSES)
def forecast_evaluation(
    request: Request,
    query: Forecast,
    format: Annotated[Literal["json", "csv", "png"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Rolling next-month forecast evaluation: hit rate, PAI and PEI per method and coverage.

    ``png`` is the hit-rate-by-area curve of every method (and of the recommended choice).
    """
    analyses = context(request).analyses
    if format == "csv":
        return file_response(analyses.forecast_csv(query), "csv", stem_for("forecast", query))
    if format == "png":
        return file_response(
            _forecast_curve_png(analyses.forecast(query)), "png", stem_for("forecast-curve", query)
        )
    return json_response(analyses.forecast(query).to_dict())


def _forecast_curve_png(evaluation: Any) -> bytes:
    """The curve chart of a forecast evaluation, drawn to a temporary file and read back."""
    import tempfile
    from pathlib import Path as FilePath

    from harmwatch.maps.charts import draw_coverage_curve
    from harmwatch.sources.policeuk.forces import forces_text

    crimes = ", ".join(evaluation.crime_types) or "all crime"
    with tempfile.TemporaryDirectory() as folder:
        path = draw_coverage_curve(
            evaluation.coverage_curve(),
            FilePath(folder) / "curve.png",
            f"Share of next month's {crimes} found, by share of the area flagged: "
            f"{forces_text(evaluation.forces)} ({evaluation.grid.cell:g} m cells)",
        )
        return path.read_bytes()


# -- study-area boundaries ----------------------------------------------------------


@api.get("/boundaries", tags=["hotspots"])
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


@api.post("/boundaries", tags=["hotspots"], openapi_extra=BOUNDARY_BODY, status_code=201)
async def upload_boundary(request: Request) -> Response:
    """Upload a GeoJSON boundary; it is drawn on the map and can be chosen as the study area.

    The file is kept on disk, outside the records database, so its access-log entries
    are the intent (before it is written) and the outcome (after).
    """
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
        file_name = item.filename or "boundary.geojson"
    finally:
        await form.close()

    def save() -> BoundaryInfo:
        with outside(
            request,
            AuditAction.COLLECTION,
            RecordRef("boundary", "new"),
            details={"name": name[:120], "file": file_name[:200]},
        ) as change:
            info = ctx.analyses.boundaries.save(
                data, name=name, file_name=file_name, uploaded_by=user.username
            )
            change.target(RecordRef("boundary", info.id))
            change.details.update(name=info.name, sha256=info.sha256)
            return info

    info = await run_in_threadpool(save)
    if "text/html" in request.headers.get("accept", "") and not request.headers.get("x-csrf-token"):
        # A plain form post (no JavaScript): back to the map with the new study area.
        return RedirectResponse(f"/hotspots?boundary={info.id}", status_code=303)
    return JSONResponse(asdict(info), status_code=201)


BoundaryId = Annotated[str, Path(pattern=BOUNDARY_PATTERN)]


@api.get("/boundaries/{boundary_id}", tags=["hotspots"])
def boundary_outline(request: Request, boundary_id: BoundaryId) -> Response:
    """One uploaded boundary as a WGS84 GeoJSON Feature, for drawing."""
    try:
        feature = context(request).analyses.boundaries.outline(boundary_id)
    except UnknownBoundaryError:
        raise HTTPException(404, "no uploaded boundary with this id") from None
    return Response(json_bytes(feature), media_type="application/geo+json")


@api.delete("/boundaries/{boundary_id}", tags=["hotspots"])
def delete_boundary(request: Request, boundary_id: BoundaryId) -> dict[str, Any]:
    """Remove an uploaded boundary (analyses already run keep their record in the log)."""
    boundaries = context(request).analyses.boundaries
    try:
        found = boundaries.get(boundary_id)
    except UnknownBoundaryError:
        raise HTTPException(404, "no uploaded boundary with this id") from None
    with outside(
        request,
        AuditAction.ERASURE,
        RecordRef("boundary", found.id),
        details={"name": found.name, "sha256": found.sha256},
    ):
        boundaries.delete(boundary_id)
    return {"deleted": found.id}


# -- Place names for the maps (issue 10, item 14): one handler, kept together ---------------


@api.get("/places", tags=["maps"])
def place_names(
    request: Request,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="west,south,east,north in WGS84 degrees (at most 12° a side); "
            "default: around the loaded forces' areas",
        ),
    ] = None,
) -> Response:
    """Town and village names for the maps' labels: GeoNames places (CC BY 4.0) as GeoJSON
    points with name, population and the zoom from which each is labelled."""
    from harmwatch.spatial import places as gazetteer

    if bbox:
        selected = gazetteer.places_in_lonlat(*gazetteer.parse_box(bbox))
    else:
        selected = gazetteer.places_near_forces(context(request).analyses.meta()["forces"])
    return Response(json_bytes(gazetteer.label_layer(selected)), media_type="application/geo+json")
