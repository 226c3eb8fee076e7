"""The intelligence room's pages and API: reports, entities, links, link chart, path, exports.

Thin over :mod:`harmwatch.intelligence`: the library scopes every read by the record
policy and logs it with its justification (so these routes' rules log nothing
themselves). The justification is the case or operation declared for the session,
or, for the API, an ``X-Justification`` header or a ``justification`` field in a
posted body — never a query parameter, which would land in server logs and browser
history. Searches from the pages are posted for the same reason.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from harmwatch.errors import InputError, UserError
from harmwatch.intelligence import entities, imports, linkcharts, reports, watches
from harmwatch.intelligence.grading import grade, nim_level
from harmwatch.intelligence.kinds import WRITE_INTELLIGENCE
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.records import Handling, HandlingCode, Restriction

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import created as _created
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/intelligence", tags=["intelligence"])
routers = (pages, api)

MAX_UPLOAD = 20 * 1024 * 1024


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a date like 2025-03-31") from None


# -- pages ----------------------------------------------------------------------------


def _ask(request: Request, title: str) -> HTMLResponse:
    """The page asks for the case or operation first; nothing is read or logged before."""
    return render(
        request,
        "intel_index.html",
        title=title,
        ask_purpose=True,
        reports=None,
        entities=None,
        alerts=[],
        search="",
        due=False,
    )


async def _index(
    request: Request, *, search: str = "", justification: str | None = None, due: bool = False
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    values: dict[str, Any] = {
        "title": "Intelligence",
        "search": search,
        "due": due,
        "reports": None,
        "entities": None,
        "alerts": [],
    }
    if not justification and not by.purpose:
        # Nothing is read (or logged) until the user says why: the page asks first.
        return render(request, "intel_index.html", ask_purpose=True, **values)
    try:
        views, total = await _call(
            reports.listing,
            ctx.engine,
            by,
            justification=justification,
            search=search,
            due_only=due,
            client=client_of(request),
        )
        found = await _call(
            entities.listing,
            ctx.engine,
            by,
            justification=justification,
            search=search,
            client=client_of(request),
        )
        values["alerts"] = await _call(
            watches.alerts, ctx.engine, by, justification=justification, client=client_of(request)
        )
    except JustificationRequired as exc:
        return render(request, "intel_index.html", 400, need_reason=str(exc), **values)
    except UserError as exc:
        return render(request, "intel_index.html", exc.http_status, error=str(exc), **values)
    values.update(reports=views, total=total, entities=[entities.entity_json(e) for e in found])
    if WRITE_INTELLIGENCE.granted(by.role) and not search:
        from harmwatch.intelligence import suggestions

        values["suggestions"] = await _call(
            suggestions.merge_suggestions,
            ctx.engine,
            by,
            justification=justification,
            client=client_of(request),
        )
    return render(request, "intel_index.html", **values)


@pages.get("/intelligence", response_class=HTMLResponse)
async def index(request: Request, due: bool = False) -> HTMLResponse:
    """Reports (current versions) and entities the user may see; the declared purpose is the reason."""
    return await _index(request, due=due)


@pages.post("/intelligence/search", response_class=HTMLResponse)
async def search(
    request: Request,
    q: Annotated[str, Form(max_length=200)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    return await _index(request, search=q, justification=justification or None)


@pages.get("/intelligence/reports/{report_id}", response_class=HTMLResponse)
async def report_page(request: Request, report_id: int) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        return _ask(request, "Intelligence report")
    try:
        found = await _call(
            reports.read, ctx.engine, by, report_id, justification=None, client=client_of(request)
        )
    except JustificationRequired as exc:
        return render(
            request,
            "intel_index.html",
            400,
            title="Intelligence report",
            need_reason=str(exc),
            reports=None,
            entities=None,
            alerts=[],
        )
    return render(request, "intel_report.html", title=f"Report {found.reference}", report=found)


@pages.get("/intelligence/entities/{entity_id}", response_class=HTMLResponse)
async def entity_page(request: Request, entity_id: int) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        return _ask(request, "Entity")
    try:
        chart = await _call(
            linkcharts.chart,
            ctx.engine,
            by,
            str(entity_id),
            1,
            justification=None,
            client=client_of(request),
        )
        events = await _call(
            linkcharts.timeline,
            ctx.engine,
            by,
            str(entity_id),
            justification=None,
            client=client_of(request),
        )
    except JustificationRequired as exc:
        return render(
            request,
            "intel_index.html",
            400,
            title="Entity",
            need_reason=str(exc),
            reports=None,
            entities=None,
            alerts=[],
        )
    me = f"intelligence-entity:{entity_id}"
    node = next(n for n in chart.nodes if n.id == me)
    labels = {n.id: n.label for n in chart.nodes}
    links = [
        {
            "other": labels[e.target if e.source == me else e.source],
            "other_id": (e.target if e.source == me else e.source).split(":", 1)[1],
            "kind": e.kind,
            "strength": e.strength,
            "start": e.start,
            "end": e.end,
            "sources": e.sources,
        }
        for e in chart.edges
    ]
    return render(
        request,
        "intel_entity.html",
        title=node.label,
        node=node,
        links=links,
        events=events,
        entity_id=entity_id,
        conditions=chart.conditions,
    )


@pages.post("/intelligence/entities/{entity_id}/watch")
async def watch_page(
    request: Request, entity_id: int, on: Annotated[str, Form()] = "on"
) -> Response:
    ctx, by = context(request), principal_of(request)
    await _call(watches.watch, ctx.engine, by, entity_id, on=on == "on", client=client_of(request))
    return RedirectResponse(f"/intelligence/entities/{entity_id}", status_code=303)


@pages.post("/intelligence/merges")
async def merge_page(
    request: Request,
    keep: Annotated[int, Form()],
    merge: Annotated[int, Form()],
    decision: Annotated[str, Form(max_length=10)],
    evidence: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """An officer's decision on a merge suggestion (merge or reject), then back to the list."""
    ctx, by = context(request), principal_of(request)
    if decision not in ("merge", "reject"):
        raise InputError("decision: merge or reject")
    await _call(
        entities.decide_merge,
        ctx.engine,
        by,
        keep,
        merge,
        merge=decision == "merge",
        evidence=evidence,
        client=client_of(request),
    )
    return RedirectResponse("/intelligence", status_code=303)


@pages.get("/intelligence/chart", response_class=HTMLResponse)
async def chart_page(
    request: Request,
    entity: Annotated[str, Query(max_length=40)] = "",
    to: Annotated[str, Query(max_length=40)] = "",
    hops: Annotated[int, Query(ge=0, le=linkcharts.MAX_HOPS)] = 2,
) -> HTMLResponse:
    """The link chart: drawn in the browser from the chart and path APIs (each logged there)."""
    ctx, by = context(request), principal_of(request)
    if not by.purpose:
        return _ask(request, "Link chart")
    try:
        found = await _call(
            entities.listing, ctx.engine, by, justification=None, client=client_of(request)
        )
    except JustificationRequired as exc:
        return render(
            request,
            "intel_index.html",
            400,
            title="Link chart",
            need_reason=str(exc),
            reports=None,
            entities=None,
            alerts=[],
        )
    options = [{"id": e.id, "label": e.label, "kind": e.entity_kind} for e in found]
    return render(
        request,
        "intel_chart.html",
        title="Link chart",
        entity=entity,
        to=to,
        hops=hops,
        entities=options,
        error=None,
    )


# -- API --------------------------------------------------------------------------------


@api.get("/reports")
async def api_reports(
    request: Request,
    due: bool = False,
    include_old_versions: bool = False,
) -> Response:
    """Reports you may see (current versions unless asked), newest first."""
    ctx, by = context(request), principal_of(request)
    views, total = await _call(
        reports.listing,
        ctx.engine,
        by,
        justification=_why(request),
        due_only=due,
        include_old_versions=include_old_versions,
        client=client_of(request),
    )
    return json_response({"total": total, "reports": [v.to_json() for v in views]})


def _draft(body: dict[str, Any], reference: str | None = None) -> reports.ReportDraft:
    def need(name: str) -> str:
        value = body.get(name)
        if value in (None, ""):
            raise InputError(f"{name}: required")
        return str(value)

    restriction = str(body.get("restriction") or "force")
    if restriction not in ("force", "restricted"):
        raise InputError("restriction: force or restricted")
    return reports.ReportDraft(
        reference=reference or need("reference"),
        grade=grade(
            str(body.get("scheme") or "3x5x2"),
            need("source_evaluation"),
            need("intelligence_assessment"),
            need("handling_code"),
        ),
        sanitised_text=need("sanitised_text"),
        originator=need("originator"),
        reported_on=_date(need("reported_on"), "reported_on") or date.today(),
        nim_level=nim_level(body.get("nim_level") or 1),
        full_text=body.get("full_text") or None,
        information_date=_date(body.get("information_date"), "information_date"),
        conditions=body.get("conditions") or None,
        restriction=Restriction(restriction),
    )


@api.post("/reports", status_code=201)
async def api_create_report(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Record a graded report: scheme (3x5x2, or 5x5x5 for a legacy grade), grades, text…"""
    ctx, by = context(request), principal_of(request)
    report_id = await _call(reports.create, ctx.engine, by, _draft(body), client=client_of(request))
    return _created({"id": report_id, "ref": f"intelligence-report:{report_id}"})


@api.get("/reports/{report_id}")
async def api_report(request: Request, report_id: int) -> Response:
    ctx, by = context(request), principal_of(request)
    found = await _call(
        reports.read,
        ctx.engine,
        by,
        report_id,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(found.to_json())


@api.post("/reports/{report_id}/versions", status_code=201)
async def api_revise_report(
    request: Request, report_id: int, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """A new version (regraded or corrected), with the reason; the old one stays readable."""
    ctx, by = context(request), principal_of(request)
    new_id = await _call(
        reports.revise,
        ctx.engine,
        by,
        report_id,
        _draft(body),
        str(body.get("reason") or ""),
        client=client_of(request),
    )
    return _created({"id": new_id, "ref": f"intelligence-report:{new_id}"})


@api.get("/entities")
async def api_entities(
    request: Request,
    kind: Annotated[str, Query(max_length=20)] = "",
    on: Annotated[date | None, Query(description="Give ages on this date (default today)")] = None,
) -> Response:
    """Entities you may see; a person's age on ``on`` (a child then may be an adult now)."""
    ctx, by = context(request), principal_of(request)
    found = await _call(
        entities.listing,
        ctx.engine,
        by,
        justification=_why(request),
        kind=kind,
        client=client_of(request),
    )
    return json_response({"entities": [entities.entity_json(e, on) for e in found]})


@api.post("/entities", status_code=201)
async def api_create_entity(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    ctx, by = context(request), principal_of(request)
    handling = Handling(
        HandlingCode(str(body.get("handling_code") or "P")), body.get("conditions") or None
    )
    draft = entities.EntityDraft(
        kind=str(body.get("kind") or ""),
        label=str(body.get("label") or ""),
        aliases=tuple(str(a) for a in body.get("aliases") or ()),
        date_of_birth=_date(body.get("date_of_birth"), "date_of_birth"),
        value=str(body.get("value") or ""),
        address_lines=str(body.get("address_lines") or ""),
        threat_tier=str(body.get("threat_tier") or ""),
        handling=handling,
    )
    entity_id = await _call(
        entities.create_entity, ctx.engine, by, draft, client=client_of(request)
    )
    return _created({"id": entity_id, "ref": f"intelligence-entity:{entity_id}"})


@api.post("/links", status_code=201)
async def api_create_link(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Link two entities: ``from``, ``to``, ``kind``, ``strength``, ``reports`` (ids; required)."""
    ctx, by = context(request), principal_of(request)
    try:
        ids = [int(r) for r in body.get("reports") or ()]
        a, b = int(body.get("from", 0)), int(body.get("to", 0))
    except (TypeError, ValueError):
        raise InputError("from, to and reports are entity and report ids (numbers)") from None
    link_id = await _call(
        entities.create_link,
        ctx.engine,
        by,
        a,
        b,
        str(body.get("kind") or ""),
        str(body.get("strength") or ""),
        ids,
        start=_date(body.get("start"), "start"),
        end=_date(body.get("end"), "end"),
        client=client_of(request),
    )
    return _created({"id": link_id, "ref": f"intelligence-link:{link_id}"})


@api.get("/chart")
async def api_chart(
    request: Request,
    entity: Annotated[str, Query(max_length=40)] = "",
    hops: Annotated[int, Query(ge=0, le=linkcharts.MAX_HOPS)] = 2,
) -> Response:
    ctx, by = context(request), principal_of(request)
    chart = await _call(
        linkcharts.chart,
        ctx.engine,
        by,
        entity or None,
        hops,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(chart.to_json())


@api.get("/path")
async def api_path(
    request: Request,
    start: Annotated[str, Query(alias="from", max_length=40)],
    end: Annotated[str, Query(alias="to", max_length=40)],
    max_length: Annotated[int | None, Query(ge=1, le=linkcharts.MAX_PATH_LENGTH)] = None,
) -> Response:
    """Shortest path (or all up to ``max_length`` hops) through entities you may see."""
    ctx, by = context(request), principal_of(request)
    result = await _call(
        linkcharts.find_path,
        ctx.engine,
        by,
        start,
        end,
        max_length=max_length,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(result.to_json())


@api.get("/players")
async def api_players(request: Request, top: Annotated[int, Query(ge=1, le=100)] = 10) -> Response:
    ctx, by = context(request), principal_of(request)
    result = await _call(
        linkcharts.key_players,
        ctx.engine,
        by,
        top=top,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(result)


@api.get("/timeline/{entity_id}")
async def api_timeline(request: Request, entity_id: int) -> Response:
    ctx, by = context(request), principal_of(request)
    events = await _call(
        linkcharts.timeline,
        ctx.engine,
        by,
        str(entity_id),
        justification=_why(request),
        client=client_of(request),
    )
    return json_response({"entity": f"intelligence-entity:{entity_id}", "events": events})


@api.get("/mentions/{report_id}")
async def api_mentions(request: Request, report_id: int) -> Response:
    """Identifiers and names found in a report's text, offered as entities (never added)."""
    from harmwatch.intelligence import suggestions

    ctx, by = context(request), principal_of(request)
    found = await _call(
        suggestions.mentions_in_report,
        ctx.engine,
        by,
        report_id,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response({"report": f"intelligence-report:{report_id}", "mentions": found})


@api.get("/suggestions")
async def api_suggestions(request: Request) -> Response:
    """Merge suggestions from entity resolution, with the evidence (an officer decides)."""
    from harmwatch.intelligence import suggestions

    ctx, by = context(request), principal_of(request)
    found = await _call(
        suggestions.merge_suggestions,
        ctx.engine,
        by,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response({"suggestions": found})


@api.post("/merges", status_code=201)
async def api_merge(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Merge (``decision: merge``) or reject a suggestion: ``keep``, ``merge``, ``evidence``."""
    ctx, by = context(request), principal_of(request)
    decision = str(body.get("decision") or "")
    if decision not in ("merge", "reject"):
        raise InputError("decision: merge or reject")
    try:
        keep, other = int(body.get("keep", 0)), int(body.get("merge", 0))
    except (TypeError, ValueError):
        raise InputError("keep and merge are entity ids") from None
    decision_id = await _call(
        entities.decide_merge,
        ctx.engine,
        by,
        keep,
        other,
        merge=decision == "merge",
        evidence=str(body.get("evidence") or ""),
        client=client_of(request),
    )
    return _created({"id": decision_id})


@api.post("/merges/{merge_id}/undo")
async def api_undo_merge(request: Request, merge_id: int) -> Response:
    ctx, by = context(request), principal_of(request)
    await _call(entities.undo_merge, ctx.engine, by, merge_id, client=client_of(request))
    return json_response({"undone": merge_id})


@api.post("/watches")
async def api_watch(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    ctx, by = context(request), principal_of(request)
    try:
        entity_id = int(body.get("entity", 0))
    except (TypeError, ValueError):
        raise InputError("entity: an entity id") from None
    on = bool(body.get("on", True))
    await _call(watches.watch, ctx.engine, by, entity_id, on=on, client=client_of(request))
    return json_response({"entity": entity_id, "watching": on})


@api.get("/alerts")
async def api_alerts(request: Request) -> Response:
    ctx, by = context(request), principal_of(request)
    found = await _call(
        watches.alerts, ctx.engine, by, justification=_why(request), client=client_of(request)
    )
    return json_response({"alerts": found})


@api.post("/shares", status_code=201)
async def api_share(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Share a record (``intelligence-report:3``) with a ``force`` or one ``unit`` of it."""
    from harmwatch.intelligence import sharing

    ctx, by = context(request), principal_of(request)
    record, force = str(body.get("record") or ""), str(body.get("force") or "")
    unit = str(body.get("unit") or "")
    await _call(sharing.share, ctx.engine, by, record, force, unit, client=client_of(request))
    return _created({"record": record, "shared_with": {"force": force, "unit": unit}})


@api.post("/export")
async def api_export(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """A link chart as graphml, gexf, i2, csv or ftm: a disclosure to ``recipient``.

    Refused (409) until ``acknowledge_conditions`` is true when any report behind it
    carries handling code C; the conditions travel inside the file.
    """
    ctx, by = context(request), principal_of(request)
    hops = body.get("hops", 2)
    if not isinstance(hops, int) or not 0 <= hops <= linkcharts.MAX_HOPS:
        raise InputError(f"hops: 0 to {linkcharts.MAX_HOPS}")
    content, media_type, suffix, _ = await _call(
        linkcharts.export_chart,
        ctx.engine,
        by,
        str(body.get("entity") or "") or None,
        hops,
        str(body.get("format") or "graphml"),
        recipient=str(body.get("recipient") or ""),
        justification=_why(request, body),
        acknowledge_conditions=bool(body.get("acknowledge_conditions")),
        client=client_of(request),
    )
    if not content:  # a PNG or SVG the page draws itself: the disclosure is logged
        return json_response({"logged": True, "format": suffix.lstrip(".")})
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="link-chart{suffix}"'},
    )


async def _upload_text(upload: UploadFile | None) -> imports.ImportFile | None:
    if upload is None or not upload.filename:
        return None
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError(f"{upload.filename}: larger than {MAX_UPLOAD // 1048576} MB")
    try:
        return imports.ImportFile(upload.filename, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{upload.filename}: not UTF-8 text ({exc.reason})") from None


@api.post("/import", status_code=201)
async def api_import(
    request: Request,
    reports_csv: Annotated[UploadFile | None, File(alias="reports")] = None,
    entities_csv: Annotated[UploadFile | None, File(alias="entities")] = None,
    links_csv: Annotated[UploadFile | None, File(alias="links")] = None,
) -> Response:
    """CSV import: all or nothing; problems listed as ``file:line: field: reason``."""
    ctx, by = context(request), principal_of(request)
    files = {
        "reports": await _upload_text(reports_csv),
        "entities": await _upload_text(entities_csv),
        "links": await _upload_text(links_csv),
    }
    try:
        result = await _call(
            imports.import_files, ctx.engine, by, client=client_of(request), **files
        )
    except imports.ImportRefused as exc:
        response = json_response(
            {"detail": "nothing was imported", "problems": [p.describe() for p in exc.problems]}
        )
        response.status_code = 422
        return response
    return _created({"summary": result.summary(), "records": result.refs})
