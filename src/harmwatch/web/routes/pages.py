"""The analyst's pages: overview, hotspot map, forecast check and data.

Each handler reads its form, calls the cached library analyses, and hands plain
values to a template. A filter that matches nothing, or a bad value, is shown
beside the form (with the library's own message) so the user can correct it;
it is never a dead-end error page.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from harmwatch.errors import USER_ERRORS
from harmwatch.evaluation.change import Change, parse_period
from harmwatch.where.patrol import PatrolPlan

from .. import charts
from ..analysis import Analyses, trends_title
from ..deps import audit_details, context, render
from ..filters import ratio
from ..params import page_query
from ..uploads import UploadOutcome
from .api import handle_upload

router = APIRouter(include_in_schema=False)

CELL_CHOICES = (100, 200, 250, 500, 1000, 2000, 5000)
DEFAULT_PATROL_KM2 = 5.0


def _qs(params: dict[str, Any], **extra: Any) -> str:
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")}, doseq=True)


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
        "pct": "—" if pct is None else f"{pct:+.1f} %",
        "ratio": ratio(rate.ratio),
        "ci": f"{ratio(rate.ci_low)}–{ratio(rate.ci_high)}",
        "p": "< 0.001" if rate.p_value < 0.001 else f"{rate.p_value:.3f}",
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
    (``defaults_chosen``); a value it cannot use is shown beside the form.
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
    try:
        span = parse_period(period_text, "period") if period_text else None
        base = parse_period(baseline_text, "baseline") if baseline_text else None
    except ValueError as exc:
        panel["errors"].append(str(exc))
        return panel
    query = {"force": force, "district": district or ""}
    errors: list[str] = []
    results: list[Change] = []
    for crime_type in shown:
        try:
            results.append(
                analyses.change((force,) if force else (), district, (crime_type,), span, base)
            )
        except USER_ERRORS as exc:
            errors.append(str(exc))
    panel["errors"] = _unique(errors)
    panel["rows"] = [_change_row(r, query) for r in results]
    panel["defaults"] = _unique([line for r in results for line in r.defaults_chosen])
    panel["notes"] = _unique([line for r in results for line in r.notes])
    panel["caveats"] = _unique([line for r in results for line in r.caveats])
    return panel


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    """Monthly trends per crime type, and whether the latest months really changed."""
    analyses = context(request).analyses
    meta = analyses.meta()
    params = request.query_params
    force = (params.get("force") or "").strip()
    district = (params.get("district") or "").strip() or None
    shown = [t for t in params.getlist("crime_type") if t.strip()] or ["Drugs"]
    error = ""
    trend = None
    chart = ""
    rows: list[dict[str, Any]] = []
    panel: dict[str, Any] | None = None
    if meta["forces"]:
        try:
            trend = analyses.trends((force,) if force else (), district)
        except USER_ERRORS as exc:
            error = str(exc)
    if trend is not None:
        present = set(trend.table["crime_type"])
        series = [(t, trend.series(t)) for t in shown if t in present]
        chart = charts.line_chart_svg(series, title=trends_title(trend))
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
    query = {"force": force, "district": district or "", "crime_type": shown}
    return render(
        request,
        "overview.html",
        title="Overview",
        meta=meta,
        force=force,
        district=district or "",
        shown=shown,
        trend=trend,
        chart=chart,
        rows=rows,
        error=error,
        qs=_qs(query),
        panel=panel,
        period=(params.get("period") or "").strip(),
        baseline=(params.get("baseline") or "").strip(),
    )


def _patrol_km2(raw: str | None, errors: list[str]) -> float:
    if not raw:
        return DEFAULT_PATROL_KM2
    try:
        value = float(raw)
    except ValueError:
        errors.append(f"patrol budget must be a number of km², got {raw!r}")
        return DEFAULT_PATROL_KM2
    if not (math.isfinite(value) and 0.01 <= value <= 1000):
        errors.append("patrol budget must lie between 0.01 and 1,000 km²")
        return DEFAULT_PATROL_KM2
    return value


@router.get("/hotspots", response_class=HTMLResponse)
def hotspot_map(request: Request) -> HTMLResponse:
    """Grid cells, Gi* classes, study area, patrol zones and the LSOA ranking for one filter."""
    analyses = context(request).analyses
    meta = analyses.meta()
    query, errors = page_query(request.query_params)
    km2 = _patrol_km2(request.query_params.get("patrol_km2"), errors)
    result = ranking = None
    plan: PatrolPlan | None = None
    plan_error = ""
    if meta["forces"]:
        try:
            result = analyses.hotspots(query)
            ranking = analyses.areas(query)
        except USER_ERRORS as exc:
            errors.append(str(exc))
        if result is not None:
            try:
                plan = analyses.patrol(query, km2, "n")
            except USER_ERRORS as exc:
                plan_error = str(exc)
    params = query.params()
    summary = analyses.hotspot_summary(query) if result is not None else {}
    if result is not None:
        audit_details(
            request,
            cells=summary.get("cells"),
            hot_cells=summary.get("hot_cells"),
            points=summary.get("points_in_study_area"),
        )
    layers = {
        "cells": f"/api/hotspots?{_qs(params, format='geojson', cells='map')}",
        "area": f"/api/study-area?{_qs(params)}",
        "zones": f"/api/patrol?{_qs(params, format='geojson', area_km2=f'{km2:g}')}",
        "boundary": f"/api/boundaries/{query.boundary}" if query.boundary else "",
    }
    downloads = [
        ("Cells (CSV)", f"/api/hotspots?{_qs(params, format='csv')}"),
        ("Cells (GeoJSON)", f"/api/hotspots?{_qs(params, format='geojson')}"),
        ("Map (PNG)", f"/api/hotspots?{_qs(params, format='png')}"),
        ("LSOA ranking (CSV)", f"/api/areas?{_qs(params, format='csv')}"),
        ("Patrol zones (GeoJSON)", layers["zones"]),
        ("Patrol zones (CSV)", f"/api/patrol?{_qs(params, format='csv', area_km2=f'{km2:g}')}"),
        ("Patrol map (PNG)", f"/api/patrol?{_qs(params, format='png', area_km2=f'{km2:g}')}"),
        ("Run summary (JSON)", f"/api/hotspots?{_qs(params, cells='none')}"),
    ]
    return render(
        request,
        "hotspots.html",
        title="Hotspot map",
        meta=meta,
        query=query,
        errors=errors,
        result=result,
        summary=summary,
        ranking=ranking,
        top=ranking.table.head(20).to_dict(orient="records") if ranking is not None else [],
        plan=plan,
        zones=plan.zones.head(15).to_dict(orient="records") if plan is not None else [],
        plan_error=plan_error,
        km2=km2,
        layers=layers if result is not None else None,
        downloads=downloads if result is not None else [],
        boundaries=analyses.boundaries.list(),
        cell_choices=CELL_CHOICES,
    )


@router.get("/forecast", response_class=HTMLResponse)
def forecast(request: Request) -> HTMLResponse:
    """How well each method would have predicted next month's crimes, month by month."""
    analyses = context(request).analyses
    meta = analyses.meta()
    query, errors = page_query(request.query_params)
    evaluation = None
    if meta["forces"]:
        try:
            evaluation = analyses.forecast(query)
        except USER_ERRORS as exc:
            errors.append(str(exc))
    tables: list[dict[str, Any]] = []
    best: dict[float, str] = {}
    if evaluation is not None:
        best = evaluation.best_methods()
        for coverage, group in evaluation.summary.groupby("coverage"):
            tables.append(
                {
                    "coverage": float(coverage),
                    "best": best.get(float(coverage)),
                    "rows": group.sort_values("mean_pai", ascending=False).to_dict(
                        orient="records"
                    ),
                }
            )
        audit_details(request, months_scored=int(evaluation.summary["months_scored"].max()))
    params = query.params()
    return render(
        request,
        "forecast.html",
        title="Forecast check",
        meta=meta,
        query=query,
        errors=errors,
        evaluation=evaluation,
        tables=tables,
        csv_url=f"/api/forecast-eval?{_qs(params, format='csv')}",
        json_url=f"/api/forecast-eval?{_qs(params)}",
        cell_choices=CELL_CHOICES,
    )


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


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    """Upload police.uk files; see what is loaded, where it came from, and what was rejected."""
    return _data_page(request)


@router.post("/data/upload", response_class=HTMLResponse)
async def data_upload(request: Request) -> HTMLResponse:
    """The upload form without JavaScript: the same load, answered with the data page."""
    outcome = await handle_upload(request)
    return _data_page(request, outcome, 200 if outcome.ok else 422)
