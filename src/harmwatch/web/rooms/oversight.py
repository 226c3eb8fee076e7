"""The oversight room's pages and API: the measures, check a claim, stop and search, outcomes,
and the board report.

Thin over the library, with the command line's defaults (:mod:`harmwatch.cli.oversight_measures`,
:mod:`~harmwatch.cli.oversight_police`, :mod:`~harmwatch.cli.oversight_report`): each API
answers exactly the JSON that the command's ``--json`` prints for the same arguments, and
each page is drawn from that same result. What the web adds is who asks:

- the measures and the report read the records rooms as the signed-in user (the records
  database, the user's principal and their client), so each room checks the role and logs
  its own read. A PCC viewer always gets the published figures (the library forces them);
  anyone else gets them too unless they ask for working figures (``working_figures``, as
  ``--working-figures``; the report: ``published``, as ``--published``);
- stop and search and what happened to crimes are police.uk data only, and the library
  does not know who asks, so the published view (``suppressed``, as ``--suppressed``) is
  forced here for a PCC viewer.

A page whose input cannot be used answers 422 with the reason beside its form, as the
API answers the same mistake, so the access log records it as refused. Library text that
names a command-line option is put in the page's words (the ``plain`` filter); the JSON
keeps the library's words, as the command line prints them.

The report in the browser is the report's own self-contained page (stylesheet inline,
pictures as ``data:`` URIs, no script), served under a policy that allows exactly that,
with a bar of links above it. Its PDF is a download: the route's rule logs it as a
disclosure, where opening the report is a consultation like any page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from harmwatch import ATTRIBUTION
from harmwatch.errors import InputError, UserError
from harmwatch.evaluation.rates import p_text
from harmwatch.outputs.suppression import NOTE as SUPPRESSION_NOTE
from harmwatch.oversight.claims import CRIME_TYPES, ClaimCheck, Grade, check_claim
from harmwatch.oversight.crime_outcomes import CrimeOutcomesResult, crime_outcomes
from harmwatch.oversight.framework import load_framework
from harmwatch.oversight.measures import MeasureResult, MeasuresReport, compute
from harmwatch.oversight.police_requests import OutcomesRequest, StopSearchRequest
from harmwatch.oversight.population import shipped_population
from harmwatch.oversight.rollup import AreaFigure
from harmwatch.oversight.stop_search import StopSearchResult, stop_search
from harmwatch.query.fields import PERIOD_TEXT_PATTERN
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.timeline.months import month_range, parse_period, periods_text

from ..analysis import PLOT_LOCK
from ..deps import TEMPLATES, audit_details, client_of, context, principal_of, render
from ..forms import api_request, form_view, read_form
from ..forms import links as request_links
from ..responses import json_response
from ..responses import query_string as _qs

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["oversight"])
routers = (pages, api)

T = TypeVar("T")

# A page answers 422 when it refused what was asked, as the API does for the same mistake;
# the access log records "refused" from the status.
REFUSED = 422
# A count anyone quotes is far below this; the bound keeps one request from asking the
# exact test for astronomically large numbers.
MAX_COUNT = 1_000_000_000
MAX_MONTHS = 1200.0
MAX_FORCES = 50
TRUE_WORDS = frozenset({"1", "true", "on", "yes"})

SuppressedView = Annotated[
    bool,
    Query(description="The published view, small numbers suppressed (always, for a PCC viewer)."),
]
StopSearchQuery = Annotated[StopSearchRequest, Depends(api_request(StopSearchRequest))]
OutcomesQuery = Annotated[OutcomesRequest, Depends(api_request(OutcomesRequest))]

# The report page is the report's own document: its stylesheet is inline and its pictures
# are data: URIs, so it gets a policy allowing those and nothing else (no script at all).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

CHANCE_WORDS = {
    Grade.WELL_BEYOND: "well beyond chance",
    Grade.JUST_BEYOND: "only just beyond chance",
    Grade.WITHIN: "within chance",
}
AIM_WORDS = {"increase": "a rise", "decrease": "a fall", "neutral": "neither (neutral)"}


# -- who asks, and what the library is given ---------------------------------------------


def _is_pcc(request: Request) -> bool:
    return principal_of(request).role is Role.PCC_VIEWER


def _flag(params: QueryParams, name: str) -> bool:
    return (params.get(name) or "").strip().lower() in TRUE_WORDS


def _gated(request: Request, fn: Callable[[], T]) -> T:
    """A library call over the analytics store, behind the app's reader gate."""
    with context(request).analyses.gate.read():
        return fn()


def _measures(
    request: Request,
    forces: Sequence[str],
    period: tuple[str, str] | None,
    *,
    working: bool,
    keys: Sequence[str] = (),
) -> MeasuresReport:
    """``harmwatch measures`` as the signed-in user (records read through their rooms)."""
    ctx = context(request)
    return _gated(
        request,
        lambda: compute(
            ctx.analyses.db_path,
            list(forces),
            period,
            framework=load_framework(),
            engine=ctx.engine,
            principal=principal_of(request),
            published=not working,
            population=shipped_population(),
            measures=keys,
            client=client_of(request),
        ),
    )


def _stop_search(request: Request, query: StopSearchRequest) -> StopSearchResult:
    """``harmwatch stop-search`` (no residents table: the web has none to give)."""
    analyses = context(request).analyses
    months = query.months or None
    return analyses.cached(
        ("oversight-stop-search", query.forces, months),
        lambda: _gated(request, lambda: stop_search(analyses.db_path, query.forces, months)),
    )


def _outcomes(request: Request, query: OutcomesRequest) -> CrimeOutcomesResult:
    analyses = context(request).analyses
    months = query.months or None
    return analyses.cached(
        ("oversight-outcomes", query.forces, months, query.crime_type),
        lambda: _gated(
            request,
            lambda: crime_outcomes(analyses.db_path, query.forces, months, query.crime_type),
        ),
    )


def _loaded_forces(request: Request, kind: str) -> list[str]:
    """Forces with police.uk files of ``kind`` loaded (what a form offers)."""
    analyses = context(request).analyses
    if not analyses.db_path.exists():
        return []

    def read() -> list[str]:
        with AnalyticsStore.open(analyses.db_path) as store:
            return store.dataset_forces(kind)

    return analyses.cached(("oversight-forces", kind), lambda: _gated(request, read))


# -- the measures, as a page shows them ----------------------------------------------------


def _figure(area: AreaFigure, shape: str) -> str:
    """One area's figure in words: a count, a share with its interval, or why there is none."""
    if not area.available:
        return "not available"
    if shape == "count":
        return _count_text(area.value)
    if area.percent is None:
        return f"{_count_text(area.value)} of {_count_text(area.denominator)}"
    share = f"{area.percent:.1f} %"
    if area.percent_low is not None and area.percent_high is not None:
        share += f" ({area.percent_low:.1f}–{area.percent_high:.1f} %)"
    return f"{share}: {_count_text(area.value)} of {_count_text(area.denominator)}"


def _count_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _change(area: AreaFigure, shape: str) -> str:
    """The change on the baseline, its direction by arrow and sign (never by colour alone)."""
    c = area.comparison
    if not area.available or shape != "count":
        return "—"
    if c is None:
        return "not shown (small-number rule)" if area.suppressed else "—"
    if c.pct_change is None:
        return "from none" if c.after else "none in either"
    arrow = "↑" if c.pct_change > 0.05 else "↓" if c.pct_change < -0.05 else "→"
    return f"{arrow} {c.pct_change:+.1f} %"


def _chance(area: AreaFigure) -> tuple[str, bool | None]:
    c = area.comparison
    if c is None or c.grade is None:
        return "—", None
    return CHANCE_WORDS[c.grade], c.beyond_chance


@dataclass
class AreaRow:
    """One force's (or the region's) figures of a measure, as the tables show them."""

    name: str
    total: bool
    available: bool
    figure: str
    count: int | None  # the count shown (for data-count), None when hidden or not a count
    baseline: str
    baseline_count: int | None
    change: str
    sentence: str
    chance: str
    beyond: bool | None
    rate: str
    residents: str
    meaning: str


@dataclass
class MeasureView:
    key: str
    title: str
    priority_title: str
    direction: str
    aim: str
    source: str
    area: str
    shape: str
    available: bool
    reason: str
    rows: list[AreaRow]
    headline: AreaRow
    target_status: str
    target_wording: str
    target_reason: str
    caveats: list[str]
    notes: list[str]
    chart: str = ""  # a data: URI, or "" when nothing can be drawn
    chart_alt: str = ""
    chart_rows: list[tuple[str, str, int | None, str, int | None]] = field(default_factory=list)


def _as_count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rate(area: AreaFigure) -> tuple[str, str]:
    if area.rate is None:
        return "—", area.population_note or ""
    text = f"{area.rate.rate:.2f} ({area.rate.low:.2f}–{area.rate.high:.2f})"
    residents = ""
    if area.population is not None:
        year = f" ({area.population.year})" if area.population.year is not None else ""
        residents = f"{area.population.residents:,}{year}"
    return text, residents


def _meaning(area: AreaFigure, result: MeasureResult, period: str, baseline: str) -> str:
    """What one area's figures say, in plain words."""
    if not area.available:
        return f"{area.name}: no figure — {area.reason}."
    if result.shape == "count":
        said = f"{area.name}: {_count_text(area.value)} in {period}"
        if area.baseline is not None:
            said += f", against {_count_text(area.baseline)} in the baseline ({baseline})"
        said += "."
        c = area.comparison
        if c is not None:
            said += f" That is {c.sentence}."
        elif area.suppressed:
            said += (
                " A count from 1 to 4 is not shown, nor anything it could be worked out "
                "from, so no change is given."
            )
        if area.rate is not None and area.population is not None:
            said += (
                f" It is {area.rate.rate:.2f} for every 1,000 residents over the period (95 % "
                f"interval {area.rate.low:.2f}–{area.rate.high:.2f}), counting "
                f"{area.population.residents:,} residents."
            )
        return said
    said = f"{area.name}: {_count_text(area.value)} of {_count_text(area.denominator)}"
    if area.percent is None:
        return said + ": no percentage can be given (a figure is hidden, or none to divide by)."
    said += f", {area.percent:.1f} %."
    if area.percent_low is not None and area.percent_high is not None:
        said += (
            f" The 95 % interval, {area.percent_low:.1f}–{area.percent_high:.1f} %, is the range "
            "of true shares these counts are consistent with."
        )
    else:
        said += " It is a tally of work done, not an estimate, so it has no interval."
    return said


def _row(area: AreaFigure, result: MeasureResult, period: str, baseline: str) -> AreaRow:
    chance, beyond = _chance(area)
    rate, residents = _rate(area)
    c = area.comparison
    return AreaRow(
        name=area.name,
        total=area.force == "total",
        available=area.available,
        figure=_figure(area, result.shape),
        count=_as_count(area.value) if area.available else None,
        baseline=_count_text(area.baseline) if area.available else "—",
        baseline_count=_as_count(area.baseline) if area.available else None,
        change=_change(area, result.shape),
        sentence=c.sentence if c is not None else (area.reason if not area.available else ""),
        chance=chance,
        beyond=beyond,
        rate=rate,
        residents=residents,
        meaning=_meaning(area, result, period, baseline),
    )


def _view(result: MeasureResult) -> MeasureView:
    period = periods_text(month_range(*result.period))
    baseline = periods_text(month_range(*result.baseline)) if result.baseline else ""
    rows = [_row(a, result, period, baseline) for a in result.areas]
    if result.total is not None:
        rows.append(_row(result.total, result, period, baseline))
    return MeasureView(
        key=result.key,
        title=result.title,
        priority_title=result.priority_title,
        direction=result.direction,
        aim=AIM_WORDS.get(result.direction, result.direction),
        source=result.source,
        area=result.area,
        shape=result.shape,
        available=result.available,
        reason=result.reason,
        rows=rows,
        headline=rows[-1] if result.total is not None else rows[0],
        target_status=result.target_status,
        target_wording=result.target.wording if result.target else "",
        target_reason=result.target_reason,
        caveats=list(result.caveats),
        notes=list(result.notes),
    )


def _draw(view: MeasureView, result: MeasureResult) -> None:
    """The measure's chart (the report's own drawing), with the rows of the table beside it."""
    from harmwatch.oversight import report_charts as charts
    from harmwatch.oversight.report import RECORDS_CREDIT
    from harmwatch.oversight.report_tables import Image

    areas = [a for a in (*result.areas, *([result.total] if result.total else ())) if a.available]
    if not areas:
        return
    credit = ATTRIBUTION if result.kind == "police-uk-crimes" else RECORDS_CREDIT
    names = ", ".join(a.name for a in areas)
    if result.shape == "count":
        bars = [
            charts.Bar(a.name, _as_count(a.value), _as_count(a.baseline),
                       _count_text(a.value), _count_text(a.baseline))
            for a in areas
        ]  # fmt: skip
        if all(b.period is None and b.baseline is None for b in bars):
            return  # every figure hidden: a chart would draw nothing
        with PLOT_LOCK:
            png = charts.bar_chart(result.title, bars, unit="count", credit=credit)
        view.chart_alt = (
            f"Bar chart of {result.title} for {names}: the period as a solid bar, the baseline "
            "as a hatched bar; a hidden figure has no bar. The table beside gives every figure."
        )
        view.chart_rows = [
            (b.label, b.period_text, b.period, b.baseline_text, b.baseline) for b in bars
        ]
    else:
        points = [
            charts.SharePoint(a.name, a.percent, a.percent_low, a.percent_high,
                              f"{a.percent:.1f} %" if a.percent is not None else "not shown")
            for a in areas
        ]  # fmt: skip
        target = result.target.number if result.target and result.target.of == "value" else None
        with PLOT_LOCK:
            png = charts.share_chart(result.title, points, target=target, credit=credit)
        view.chart_alt = (
            f"Chart of {result.title} as a percentage for {names}"
            + (", each with its 95 % interval" if result.shape == "share" else "")
            + (f", and the target of {target:g} % as a dashed line" if target is not None else "")
            + ". The table beside gives every figure."
        )
        view.chart_rows = [
            (a.name, p.text, None, _figure(a, result.shape), None)
            for a, p in zip(areas, points, strict=True)
        ]
    view.chart = Image(png, view.chart_alt).data_uri()


def _population_years(report: MeasuresReport) -> list[int]:
    return sorted(
        {
            a.population.year
            for r in report.results
            for a in r.areas
            if a.population is not None and a.population.year is not None
        }
    )


# -- the measures' form --------------------------------------------------------------------


@dataclass
class MeasuresForm:
    forces: list[str]
    period_text: str
    period: tuple[str, str] | None
    working: bool  # asked for; a PCC viewer's is ignored (the library publishes)
    errors: list[str]

    def query(self, **extra: Any) -> str:
        return _qs(
            {
                "force": self.forces,
                "period": self.period_text,
                "working_figures": "1" if self.working else "",
            },
            **extra,
        )


def _read_measures_form(request: Request) -> MeasuresForm:
    params = request.query_params
    forces = list(dict.fromkeys(f.strip() for f in params.getlist("force") if f.strip()))
    errors: list[str] = []
    if len(forces) > MAX_FORCES:
        errors.append(f"force: at most {MAX_FORCES} forces at once, got {len(forces)}")
    period_text = (params.get("period") or "").strip()
    period = None
    if period_text:
        try:
            period = parse_period(period_text, "period")
        except InputError as exc:
            errors.append(str(exc))
    working = _flag(params, "working_figures") and not _is_pcc(request)
    return MeasuresForm(forces, period_text, period, working, errors)


def _form_values(request: Request, form: MeasuresForm) -> dict[str, Any]:
    return {
        "form": form,
        "forces_loaded": context(request).analyses.meta()["forces"],
        "pcc": _is_pcc(request),
        "suppression_note": SUPPRESSION_NOTE,
    }


def _stop_search_forces(request: Request, forces: Sequence[str]) -> list[str]:
    have = set(_loaded_forces(request, "stop-and-search"))
    return [f for f in (force_slug(x) for x in forces) if f in have]


# -- pages: the measures -----------------------------------------------------------------------


@pages.get("/oversight", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """The measures at a glance for the forces and period chosen, each one a link to its page."""
    form = _read_measures_form(request)
    report: MeasuresReport | None = None
    if form.forces and not form.errors:
        try:
            report = _measures(request, form.forces, form.period, working=form.working)
        except UserError as exc:
            form.errors.append(str(exc))
    views = [_view(r) for r in report.results] if report else []
    if report is not None:
        audit_details(request, period=list(report.period), published=report.published)
    return render(
        request,
        "oversight_index.html",
        status_code=REFUSED if form.errors else 200,
        title="Oversight",
        report=report,
        views=views,
        several=report is not None and len(report.forces) > 1,
        population_years=_population_years(report) if report else [],
        stop_search_forces=_stop_search_forces(request, report.forces) if report else [],
        report_qs=_report_query(form, report.published) if report else "",
        **_form_values(request, form),
    )


@pages.get("/oversight/measure", response_class=HTMLResponse)
def measure_page(request: Request) -> HTMLResponse:
    """One measure: each force and the total, its chart and table, what they mean, its caveats."""
    form = _read_measures_form(request)
    key = (request.query_params.get("key") or "").strip()
    if not key:
        form.errors.append("measure: choose a measure (key)")
    if not form.forces:
        form.errors.append("force: choose at least one force")
    report: MeasuresReport | None = None
    view: MeasureView | None = None
    if not form.errors:
        try:
            report = _measures(request, form.forces, form.period, working=form.working, keys=(key,))
        except UserError as exc:
            form.errors.append(str(exc))
    if report is not None:
        result = report.results[0]
        view = _view(result)
        _draw(view, result)
        audit_details(request, measure=key, period=list(report.period), published=report.published)
    return render(
        request,
        "oversight_measure.html",
        status_code=REFUSED if form.errors else 200,
        title=view.title if view else "A measure",
        report=report,
        view=view,
        key=key,
        several=report is not None and len(report.forces) > 1,
        population_years=_population_years(report) if report else [],
        report_qs=_report_query(form, report.published) if report else "",
        **_form_values(request, form),
    )


# -- pages: stop and search, outcomes ----------------------------------------------------------


def _police_page_state(
    request: Request, cls: type[StopSearchRequest] | type[OutcomesRequest]
) -> tuple[Any, list[str], bool]:
    query, errors = read_form(cls, request.query_params, strict=True)
    suppressed = _is_pcc(request) or _flag(request.query_params, "suppressed")
    return query, errors, suppressed


@pages.get("/oversight/stop-search", response_class=HTMLResponse)
def stop_search_page(request: Request) -> HTMLResponse:
    """Stop and search: find and arrest rates with their intervals, by group."""
    query, errors, suppressed = _police_page_state(request, StopSearchRequest)
    loaded = _loaded_forces(request, "stop-and-search")
    payload: dict[str, Any] | None = None
    charts: dict[str, dict[str, Any]] = {}
    if query is not None and loaded and not errors:
        try:
            result = _stop_search(request, query)
        except UserError as exc:
            errors.append(str(exc))
        else:
            payload = result.to_dict(suppressed=suppressed)
            charts = {
                key: _find_rate_chart(payload[key]) for key in ("all_searches", "drug_searches")
            }
            audit_details(request, months=len(result.months), suppressed=suppressed)
    return render(
        request,
        "oversight_stop_search.html",
        status_code=REFUSED if errors else 200,
        title="Stop and search",
        loaded=loaded,
        form=form_view(query, StopSearchRequest),
        chosen=[force_slug(f) for f in request.query_params.getlist("force") if f.strip()],
        suppressed=suppressed,
        pcc=_is_pcc(request),
        errors=errors,
        data=payload,
        charts=charts,
        api=f"/api/oversight/stop-search?{_qs(request_links(query), suppressed='1' if suppressed else '')}"
        if query is not None
        else "",
    )


BY_ETHNICITY = "self_defined_ethnicity"


def _find_rate_chart(slice_: dict[str, Any]) -> dict[str, Any]:
    """The find rate by self-defined ethnic group, with its intervals, and the table beside."""
    from harmwatch.oversight import report_charts as charts
    from harmwatch.oversight.report_tables import Image

    breakdown = slice_["breakdowns"].get(BY_ETHNICITY, {})
    groups = breakdown.get("groups") or []
    if not groups:
        return {"withheld": breakdown.get("withheld", "no searches to draw")}
    points = [
        charts.SharePoint(
            g["group"],
            _pct(g.get("find_rate")),
            _pct(g.get("find_rate_low")),
            _pct(g.get("find_rate_high")),
            "not shown" if g.get("find_rate") is None else f"{100 * g['find_rate']:.1f} %",
        )
        for g in groups
    ]
    title = f"Find rate of {slice_['label']}, by self-defined ethnic group"
    with PLOT_LOCK:
        png = charts.share_chart(title, points, target=None, credit=ATTRIBUTION)
    alt = (
        f"Chart of the find rate of {slice_['label']} for each self-defined ethnic group "
        f"({', '.join(p.label for p in points)}), each a point with its 95 % interval; a rate "
        "not shown has no point. The table beside gives every figure."
    )
    return {"src": Image(png, alt).data_uri(), "alt": alt, "title": title, "groups": groups}


def _pct(value: object) -> float | None:
    return 100 * float(value) if isinstance(value, int | float) and math.isfinite(value) else None


@pages.get("/oversight/outcomes", response_class=HTMLResponse)
def outcomes_page(request: Request) -> HTMLResponse:
    """What happened to a crime type's crimes: shares by outcome, by month, time to outcome."""
    query, errors, suppressed = _police_page_state(request, OutcomesRequest)
    meta = context(request).analyses.meta()
    payload: dict[str, Any] | None = None
    chart: dict[str, Any] = {}
    if query is not None and meta["forces"] and not errors:
        try:
            result = _outcomes(request, query)
        except UserError as exc:
            errors.append(str(exc))
        else:
            payload = result.to_dict(suppressed=suppressed)
            chart = _outcomes_chart(payload)
            audit_details(request, months=len(result.months), suppressed=suppressed)
    return render(
        request,
        "oversight_outcomes.html",
        status_code=REFUSED if errors else 200,
        title="What happened to the crimes",
        meta=meta,
        form=form_view(query, OutcomesRequest),
        chosen=[force_slug(f) for f in request.query_params.getlist("force") if f.strip()],
        crime_type=(request.query_params.get("crime_type") or "").strip() or "Drugs",
        suppressed=suppressed,
        pcc=_is_pcc(request),
        errors=errors,
        data=payload,
        chart=chart,
        api=f"/api/oversight/outcomes?{_qs(request_links(query), suppressed='1' if suppressed else '')}"
        if query is not None
        else "",
    )


def _outcomes_chart(payload: dict[str, Any]) -> dict[str, Any]:
    from harmwatch.oversight import report_charts as charts
    from harmwatch.oversight.report_tables import Image

    points = [
        charts.SharePoint(
            g["group"],
            _pct(g.get("share")),
            _pct(g.get("share_low")),
            _pct(g.get("share_high")),
            "not shown" if g.get("share") is None else f"{100 * g['share']:.1f} %",
        )
        for g in payload["groups"]
    ]
    title = f"Outcomes of {payload['crime_type']} crimes: share of the crimes with a Crime ID"
    with PLOT_LOCK:
        png = charts.share_chart(title, points, target=None, credit=ATTRIBUTION)
    alt = (
        f"Chart of the share of {payload['crime_type']} crimes reaching each outcome "
        f"({', '.join(p.label for p in points)}), each a point with its 95 % interval; a share "
        "not shown has no point. The table beside gives every figure."
    )
    return {"src": Image(png, alt).data_uri(), "alt": alt, "title": title}


# -- pages: the report --------------------------------------------------------------------------


def _report_request(request: Request) -> tuple[MeasuresForm, bool]:
    form = _read_measures_form(request)
    if not form.forces:
        form.errors.append("force: choose at least one force")
    published = _is_pcc(request) or _flag(request.query_params, "published")
    return form, published


def _build_report(request: Request, form: MeasuresForm, published: bool) -> Any:
    """``harmwatch report`` as the signed-in user (the records sections read through their rooms)."""
    from harmwatch.oversight.report import build_report

    ctx = context(request)

    def build() -> Any:
        # Its charts and maps are drawn with pyplot, which is not thread-safe.
        with PLOT_LOCK:
            return build_report(
                ctx.analyses.db_path, form.forces, form.period, engine=ctx.engine,
                principal=principal_of(request), published=published,
                framework=load_framework(), client=client_of(request),
            )  # fmt: skip

    return _gated(request, build)


def _refused_report(request: Request, form: MeasuresForm) -> HTMLResponse:
    return render(
        request,
        "oversight_index.html",
        status_code=REFUSED,
        title="Oversight",
        report=None,
        views=[],
        several=False,
        population_years=[],
        stop_search_forces=[],
        report_qs="",
        **_form_values(request, form),
    )


def _report_query(form: MeasuresForm, published: bool) -> str:
    return _qs(
        {"force": form.forces, "period": form.period_text, "published": "1" if published else ""}
    )


def _with_actions(html: str, request: Request, form: MeasuresForm, published: bool) -> str:
    """The report's page with a bar of links above it: back to the dashboard, the PDF."""
    bar = TEMPLATES.env.get_template("_oversight_report_bar.html").render(
        dashboard=f"/oversight?{form.query()}",
        pdf=f"/oversight/report.pdf?{_report_query(form, published)}",
        published=published,
        pcc=_is_pcc(request),
        other=f"/oversight/report?{_report_query(form, not published)}",
    )
    style, nav = bar.split("<!-- bar -->", 1)
    html = re.sub(r"</head>", lambda m: style + m.group(0), html, count=1)
    return re.sub(r"<body[^>]*>", lambda m: m.group(0) + nav, html, count=1)


def _report_or_refusal(request: Request) -> tuple[Any, Any] | Response:
    """The report the request asks for, with its form; or the page refusing it (422)."""
    form, published = _report_request(request)
    if form.errors:
        return _refused_report(request, form)
    try:
        return _build_report(request, form, published), form
    except UserError as exc:
        form.errors.append(str(exc))
        return _refused_report(request, form)


@pages.get("/oversight/report", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    """The board report, read in the browser (a consultation, as any page)."""
    from harmwatch.oversight.render import render_html

    built = _report_or_refusal(request)
    if isinstance(built, Response):
        return built
    report, form = built
    audit_details(request, period=list(report.period), published=report.published)
    html = _with_actions(render_html(report), request, form, report.published)
    return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP})


@pages.get("/oversight/report.pdf")
def report_pdf(request: Request) -> Response:
    """The board report as a PDF to take away: a download, logged as a disclosure."""
    from harmwatch.oversight.render import render_pdf

    built = _report_or_refusal(request)
    if isinstance(built, Response):
        return built
    report, _ = built
    data = render_pdf(report)
    audit_details(
        request, period=list(report.period), published=report.published, pdf_bytes=len(data)
    )
    stem = "-".join(["board-report", *report.forces, *report.period])
    if report.published:
        stem += "-published"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem)[:120]
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}.pdf"'},
    )


# -- check a claim -------------------------------------------------------------------------------


def claim_answer(checked: ClaimCheck) -> str:
    """The one-sentence answer: the counts, the rate ratio with its interval, and the grade."""
    c = checked.comparison
    per = " (per month)" if c.before_months != c.after_months else ""
    head = f"From {c.before:,} to {c.after:,}{per}"
    if c.grade is None or not c.before:
        return f"{head}: {c.ratio_text()}; {c.sentence}."
    high = "∞" if math.isinf(c.rate.ci_high) else f"{c.rate.ci_high:.3f}"
    return (
        f"{head} is a rate ratio of {c.rate.ratio:.3f} ({c.rate.ci_low:.3f}–{high}, the "
        f"exact 95 % interval): {c.sentence}."
    )


def _typed_number(text: str, name: str, *, whole: bool) -> int | float | str:
    """A number as someone types one from a press release ("1,208"); else the text as typed,
    for the library to refuse in its own words."""
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        value = float(cleaned)
    except ValueError:
        return text.strip()
    if not math.isfinite(value):
        return text.strip()
    limit = MAX_COUNT if whole else MAX_MONTHS
    if abs(value) > limit:
        raise InputError(f"{name}: at most {limit:,g}, got {text.strip()}")
    return int(value) if value.is_integer() else value


CLAIM_FIELDS = ("before", "after", "before_months", "after_months", "crime_type")


@pages.get("/check-claim", response_class=HTMLResponse)
def check_claim_page(request: Request) -> HTMLResponse:
    """Two counts someone quotes, checked against chance: one sentence, the interval, caveats."""
    params = request.query_params
    form = {name: (params.get(name) or "").strip()[:200] for name in CLAIM_FIELDS}
    errors: list[str] = []
    checked: ClaimCheck | None = None
    if form["before"] or form["after"]:
        try:
            checked = check_claim(
                _typed_number(form["before"], "before", whole=True),  # type: ignore[arg-type]
                _typed_number(form["after"], "after", whole=True),  # type: ignore[arg-type]
                before_months=_months(form["before_months"], "before months"),  # type: ignore[arg-type]
                after_months=_months(form["after_months"], "after months"),  # type: ignore[arg-type]
                crime_type=form["crime_type"] or None,
            )
        except UserError as exc:
            errors.append(str(exc))
    if checked is not None:
        c = checked.comparison
        audit_details(request, before=c.before, after=c.after)
    return render(
        request,
        "check_claim.html",
        status_code=REFUSED if errors else 200,
        title="Check a claim",
        form=form,
        errors=errors,
        checked=checked,
        data=checked.to_dict() if checked else None,
        answer=claim_answer(checked) if checked else "",
        p_shown=_p_shown(checked.comparison.rate.p_value) if checked else "",
        crime_types=list(CRIME_TYPES),
        api=f"/api/check-claim?{_claim_query(checked)}" if checked else "",
    )


def _p_shown(p: float) -> str:
    """'< 0.001' or '0.046': the p-value beside its label (never printed as zero)."""
    return p_text(p).removeprefix("p ").removeprefix("= ")


def _claim_query(checked: ClaimCheck) -> str:
    c = checked.comparison
    return _qs(
        {
            "before": c.before,
            "after": c.after,
            "before_months": f"{c.before_months:g}",
            "after_months": f"{c.after_months:g}",
            "crime_type": checked.crime_type,
        }
    )


def _months(text: str, name: str) -> int | float | str:
    return _typed_number(text, name, whole=False) if text else 1.0


# -- the API -------------------------------------------------------------------------------------


@api.get(
    "/check-claim",
    responses={422: {"description": "A count or a number of months that cannot be compared."}},
)
def check_claim_api(
    request: Request,
    before: Annotated[
        int, Query(description="The earlier count quoted (e.g. 1111).", le=MAX_COUNT)
    ],
    after: Annotated[int, Query(description="The later count quoted (e.g. 1208).", le=MAX_COUNT)],
    before_months: Annotated[
        float,
        Query(
            description="Months the earlier count covers (only the ratio matters).",
            le=MAX_MONTHS,
            allow_inf_nan=False,
        ),
    ] = 1.0,
    after_months: Annotated[
        float,
        Query(description="Months the later count covers.", le=MAX_MONTHS, allow_inf_nan=False),
    ] = 1.0,
    crime_type: Annotated[
        str | None,
        Query(description=f"One of {', '.join(CRIME_TYPES)}: chooses the caveats.", max_length=100),
    ] = None,
) -> Response:
    """Check a quoted change: the exact rate ratio, its 95 % interval, p and what chance explains.

    No data are needed: any two counts someone quotes can be checked.
    """
    checked = check_claim(
        before, after, before_months=before_months, after_months=after_months,
        crime_type=crime_type,
    )  # fmt: skip
    audit_details(request, before=before, after=after)
    return json_response(checked.to_dict())


@api.get(
    "/oversight/measures",
    responses={422: {"description": "A force, period or measure that cannot be used."}},
)
def measures_api(
    request: Request,
    force: Annotated[
        list[str],
        Query(description="Force slug or name (repeatable: a roll-up).", max_length=MAX_FORCES),
    ],
    period: Annotated[
        str | None,
        Query(
            description="2025-10:2025-12 (default: the latest 3 months loaded).",
            pattern=PERIOD_TEXT_PATTERN,
            max_length=100,
        ),
    ] = None,
    measure: Annotated[
        list[str] | None,
        Query(description="Only this measure's key (repeatable).", max_length=100),
    ] = None,
    working_figures: Annotated[
        bool,
        Query(
            description="Exact figures, not through the small-number rule (not for "
            "publication; never for a PCC viewer)."
        ),
    ] = False,
) -> Response:
    """The framework's measures for one force or several (a roll-up with the total)."""
    months = parse_period(period, "period") if period else None
    report = _measures(
        request, force, months, working=working_figures and not _is_pcc(request),
        keys=measure or (),
    )  # fmt: skip
    audit_details(request, period=list(report.period), published=report.published)
    return json_response(report.to_dict())


@api.get(
    "/oversight/stop-search",
    responses={422: {"description": "Forces or months without stop-and-search files loaded."}},
)
def stop_search_api(
    request: Request,
    query: StopSearchQuery,
    suppressed: SuppressedView = False,
) -> Response:
    """Stop and search: by object, legislation, age, sex and ethnicity; find and arrest rates."""
    result = _stop_search(request, query)
    hidden = suppressed or _is_pcc(request)
    audit_details(request, months=len(result.months), suppressed=hidden)
    return json_response(result.to_dict(suppressed=hidden))


@api.get(
    "/oversight/outcomes",
    responses={422: {"description": "Forces, months or a crime type that cannot be used."}},
)
def outcomes_api(
    request: Request,
    query: OutcomesQuery,
    suppressed: SuppressedView = False,
) -> Response:
    """What happened to a crime type's crimes: shares charged, cautioned … by month."""
    result = _outcomes(request, query)
    hidden = suppressed or _is_pcc(request)
    audit_details(request, months=len(result.months), suppressed=hidden)
    return json_response(result.to_dict(suppressed=hidden))
