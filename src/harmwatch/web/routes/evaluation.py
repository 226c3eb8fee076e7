"""Did it work: the evaluation page and ``/api/evaluate`` (JSON, CSV, PNG chart, GeoJSON map).

The page is a plain GET form, so an evaluation has a URL an analyst can send to
a colleague or paste into a report, and a bad value is named beside the form.
The API takes the same names with types and bounds (for scripts, the OpenAPI
document and the fuzzer) and answers 422 with the library's reason when the data
cannot answer (no pre-period, empty target, months not loaded).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import USER_ERRORS
from harmwatch.evaluation.areas import DEFAULT_BUFFER_M
from harmwatch.evaluation.evaluate import ALPHA, Evaluation

from ..deps import audit_details, context, render
from ..evaluations import (
    BUFFER_MAX_M,
    CELLS_PATTERN,
    LSOA_PATTERN,
    MONTH_PATTERN,
    N_CONTROLS_MAX,
    EvaluationQuery,
    Evaluations,
    read_evaluation_form,
)
from ..params import BOUNDARY_PATTERN, file_response, json_bytes

router = APIRouter(include_in_schema=True)

FORMATS = Literal["json", "csv", "png", "geojson"]


def _qs(params: dict[str, Any], **extra: Any) -> str:
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "", [])}, doseq=True)


def _log(request: Request, result: Evaluation) -> None:
    audit_details(
        request,
        target=result.target.description[:200],
        start=result.start,
        crime_types=list(result.crime_types),
        target_before=result.counts["target_before"],
        target_after=result.counts["target_after"],
    )


def _stem(query: EvaluationQuery) -> str:
    what = query.lsoa[0] if query.lsoa else ("boundary" if query.boundary else "cells")
    return "-".join(["evaluation", what, query.start, *query.crime_types]).lower().replace(" ", "-")


@router.get("/evaluate", response_class=HTMLResponse, include_in_schema=False)
def evaluate_page(request: Request) -> HTMLResponse:
    """The form; with a start month and a target, the evaluation, its chart, map and files."""
    analyses = context(request).analyses
    meta = analyses.meta()
    query, errors = read_evaluation_form(request.query_params)
    result: Evaluation | None = None
    if query is not None and meta["forces"]:
        try:
            result = Evaluations(analyses).evaluate(query)
        except USER_ERRORS as exc:
            errors.append(str(exc))
    params = query.params() if query is not None else {}
    links: dict[str, str] = {}
    if result is not None and query is not None:
        _log(request, result)
        links = {
            "chart": f"/api/evaluate?{_qs(params, format='png')}",
            "map": f"/api/evaluate?{_qs(params, format='geojson')}",
            "json": f"/api/evaluate?{_qs(params)}",
            "series_csv": f"/api/evaluate?{_qs(params, format='csv')}",
            "controls_csv": f"/api/evaluate?{_qs(params, format='csv', table='controls')}",
        }
    form = {k: request.query_params.get(k, "") for k in _FORM_FIELDS}
    return render(
        request,
        "evaluate.html",
        title="Did it work?",
        meta=meta,
        form=form,
        forces=request.query_params.getlist("force"),
        crime_types=[t for t in request.query_params.getlist("crime_type") if t] or ["Drugs"],
        boundaries=analyses.boundaries.list(),
        errors=errors,
        result=result,
        data=result.to_dict() if result is not None else None,
        links=links,
        alpha=ALPHA,
        default_buffer=DEFAULT_BUFFER_M,
    )


_FORM_FIELDS = (
    "lsoa",
    "boundary",
    "cells",
    "cell",
    "start",
    "end",
    "pre_start",
    "buffer",
    "controls",
    "n_controls",
)


@router.get(
    "/api/evaluate",
    tags=["evaluation"],
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "image/png": {},
                "application/geo+json": {},
            }
        },
        422: {"description": "The data cannot answer (the reason is given) or a bad value."},
    },
)
def evaluate_api(
    request: Request,
    start: Annotated[
        str, Query(pattern=MONTH_PATTERN, description="First month of the intervention.")
    ],
    lsoa: Annotated[
        str | None, Query(pattern=LSOA_PATTERN, description="Target LSOA codes, comma-separated.")
    ] = None,
    boundary: Annotated[
        str | None, Query(pattern=BOUNDARY_PATTERN, description="An uploaded boundary's id.")
    ] = None,
    cells: Annotated[
        str | None, Query(pattern=CELLS_PATTERN, description="Target grid cell ids.")
    ] = None,
    cell: Annotated[
        float | None, Query(ge=50, le=50_000, description="Cell size the ids were numbered with.")
    ] = None,
    end: Annotated[
        str | None, Query(pattern=MONTH_PATTERN, description="Last month (default: end of run).")
    ] = None,
    pre_start: Annotated[
        str | None,
        Query(pattern=MONTH_PATTERN, description="First pre-period month (default: up to 24)."),
    ] = None,
    force: Annotated[list[str] | None, Query(description="Force slug (repeatable).")] = None,
    crime_type: Annotated[
        list[str] | None, Query(description="Crime type (repeatable); default: Drugs.")
    ] = None,
    buffer: Annotated[float, Query(ge=0, le=BUFFER_MAX_M, description="Buffer, metres.")] = (
        DEFAULT_BUFFER_M
    ),
    controls: Annotated[
        str | None, Query(pattern=LSOA_PATTERN, description="Control LSOA codes (default: chosen).")
    ] = None,
    n_controls: Annotated[
        int | None, Query(ge=2, le=N_CONTROLS_MAX, description="Use the k best-matched LSOAs.")
    ] = None,
    format: Annotated[FORMATS, Query(description="json (default), csv, png or geojson")] = "json",
    table: Annotated[
        Literal["series", "controls"], Query(description="With format=csv: which table.")
    ] = "series",
) -> Response:
    """Before/after rate ratio, difference-in-differences against controls, and the WDQ."""
    form: dict[str, Any] = {
        "start": start,
        "lsoa": lsoa or "",
        "boundary": boundary or "",
        "cells": cells or "",
        "cell": "" if cell is None else str(cell),
        "end": end or "",
        "pre_start": pre_start or "",
        "buffer": str(buffer),
        "controls": controls or "",
        "n_controls": "" if n_controls is None else str(n_controls),
    }
    query, problems = read_evaluation_form(_Form(form, force or [], crime_type or []))
    if query is None:
        raise ValueError("; ".join(problems))
    evaluations = Evaluations(context(request).analyses)
    result = evaluations.evaluate(query)
    _log(request, result)
    if format == "json":
        return Response(json_bytes(result.to_dict()), media_type="application/json")
    data = evaluations.file(query, format, table)
    stem = _stem(query) + ("-controls" if format == "csv" and table == "controls" else "")
    return file_response(data, format, stem)


class _Form(dict[str, Any]):
    """The API's typed parameters seen as the page's form (one reader for both)."""

    def __init__(self, values: dict[str, Any], forces: list[str], crime_types: list[str]) -> None:
        super().__init__(values)
        self._lists = {"force": forces, "crime_type": crime_types}

    def getlist(self, name: str) -> list[str]:
        if name in self._lists:
            return list(self._lists[name])
        value = self.get(name)
        return [] if value in (None, "") else [str(value)]
