"""The "did it work" room's page and API: evaluations (``/evaluate``) and period change.

The page is a plain GET form, so an evaluation has a URL an analyst can send to
a colleague or paste into a report, and a bad value is named beside the form. A
refused evaluation (a bad value, or data that cannot answer) is answered 422, as
the API answers the same mistake, so the access log records it as refused; the
page still shows the form with the reason, and no figures.
Both are read into the same request (:class:`~harmwatch.evaluation.requests.EvaluateRequest`,
:class:`~harmwatch.evaluation.requests.ChangeRequest`), whose specs give the API its
names, types and bounds (for scripts, the OpenAPI document and the fuzzer); the
API answers 422 with the library's reason when a value or a combination cannot be
used or the data cannot answer (no pre-period, empty target, months not loaded).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import UserError
from harmwatch.evaluation.evaluate import ALPHA, Evaluation
from harmwatch.evaluation.requests import DEFAULT_BUFFER_M, ChangeRequest, EvaluateRequest

from ..analysis import change_csv
from ..deps import audit_details, context, render
from ..evaluations import Evaluations, read_evaluation_form
from ..forms import api_request, web_specs
from ..forms import links as request_links
from ..params import file_response, json_bytes
from ..responses import FILE_RESPONSES, FORMAT_DOC, json_response
from ..responses import query_string as _qs

router = APIRouter(include_in_schema=True)
routers = (router,)

FORMATS = Literal["json", "csv", "png", "geojson"]
Evaluate = Annotated[EvaluateRequest, Depends(api_request(EvaluateRequest))]
# The web cannot know which years are loaded, so where the same months a year earlier
# are missing it compares with the months just before, and says so.
PeriodChange = Annotated[
    ChangeRequest, Depends(api_request(ChangeRequest, fixed={"baseline_fallback": True}))
]
# The form's single-valued fields, refilled as typed (the lists are refilled apart).
_FORM_FIELDS = tuple(s.url for s in web_specs(EvaluateRequest) if not s.param.many)


def _log(request: Request, result: Evaluation) -> None:
    audit_details(
        request,
        target=result.target.description[:200],
        start=result.start,
        crime_types=list(result.crime_types),
        target_before=result.counts["target_before"],
        target_after=result.counts["target_after"],
    )


def _stem(query: EvaluateRequest) -> str:
    what = query.lsoa[0] if query.lsoa else ("boundary" if query.boundary else "cells")
    return "-".join(["evaluation", what, query.start, *query.crime_types]).lower().replace(" ", "-")


@router.get("/evaluate", response_class=HTMLResponse, include_in_schema=False)
def evaluate_page(request: Request) -> HTMLResponse:
    """The form; with a start month and a target, the evaluation, its chart, map and files."""
    analyses = context(request).analyses
    meta = analyses.meta()
    query, errors = read_evaluation_form(request.query_params, analyses.boundaries)
    result: Evaluation | None = None
    if query is not None and meta["forces"]:
        try:
            result = Evaluations.for_viewer(request, analyses).evaluate(query)
        except UserError as exc:
            errors.append(str(exc))
    params = request_links(query, analyses.boundaries) if query is not None else {}
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
    form["flag"] = request.query_params.get("flag", "")
    return render(
        request,
        "evaluate.html",
        status_code=422 if errors else 200,
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
    query: Evaluate,
    format: Annotated[FORMATS, Query(description="json (default), csv, png or geojson")] = "json",
    table: Annotated[
        Literal["series", "controls"], Query(description="With format=csv: which table.")
    ] = "series",
) -> Response:
    """Before/after rate ratio, difference-in-differences against controls, and the WDQ."""
    evaluations = Evaluations.for_viewer(request, context(request).analyses)
    result = evaluations.evaluate(query)
    _log(request, result)
    if format == "json":
        return Response(json_bytes(result.to_dict()), media_type="application/json")
    data = evaluations.file(query, format, table)
    stem = _stem(query) + ("-controls" if format == "csv" and table == "controls" else "")
    return file_response(data, format, stem)


@router.get("/api/change", tags=["aggregates"], responses=FILE_RESPONSES)
def period_change(
    request: Request,
    query: PeriodChange,
    format: Annotated[Literal["json", "csv"], Query(description=FORMAT_DOC)] = "json",
) -> Response:
    """Did it really change? Counts, % change, exact rate ratio with 95 % CI, p-value, caveats."""
    result = context(request).analyses.change(query)
    audit_details(request, period=list(result.period), baseline=list(result.baseline))
    if format == "json":
        return json_response(result.to_dict())
    data = change_csv(result)
    parts = ["change", *result.forces, query.district or "", *result.crime_types, *result.period]
    stem = "-".join([*parts, "vs", *result.baseline])
    return file_response(data, "csv", stem.lower())
