"""The force-records room's page and API: import RMS exports, reconcile, when to patrol.

Thin over :mod:`harmwatch.crimes`: every figure is read inside one
:func:`harmwatch.crimes.service.reading`, which checks the role, resolves the
justification (a ``justification`` field or ``X-Justification`` header, or the case
or operation declared for the session), chooses the files the caller may see and
whether exact or aggregate (the PCC viewer: counts only, each crime in its 250 m
cell), and logs one consultation naming the files, the question and how many crimes
were read — so these routes' rules log nothing themselves (``audit=None``).

An exact reader who has given no reason sees the page asking for one, with nothing
read. A viewer of aggregates is told how many files and records there are, never
which file holds what. The patrol plan is the where room's, through the app's
cached analyses (:class:`harmwatch.web.analysis.Analyses`), which cache it per grant,
so an analyst's exact result is never served to a viewer of aggregates.

An import runs while the request waits (the files are checked row by row and each
is stored whole or not at all): the upload is kept in a folder of its own under the
upload directory only for the length of the import, then deleted — the rows keep
each file's name, SHA-256 and every row's line, and a second copy of an RMS export
on the web server would be personal data outside the record policy.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from harmwatch.crimes import importer, service
from harmwatch.crimes.kinds import (
    AGGREGATE_CELL_M,
    FORCE_RECORDS_IMPORTS,
    IMPORT_FORCE_RECORDS,
    READ_FORCE_RECORDS,
)
from harmwatch.crimes.offences import POLICE_UK_CRIME_TYPES
from harmwatch.crimes.reconcile import COLUMNS, REASONS, Reconciliation, reconcile
from harmwatch.crimes.service import Grant, NoForceRecords
from harmwatch.errors import InputError, UserError
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.kernel.refs import RecordRef
from harmwatch.outputs.suppression import NOTE as SUPPRESSION_NOTE
from harmwatch.outputs.suppression import suppress_counts
from harmwatch.sources.importspec import ImportSpec
from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.analytics.store import StoreMissingError
from harmwatch.storage.records import session_scope
from harmwatch.timeline.months import parse_month_spec
from harmwatch.where.patrol import PatrolPlan
from harmwatch.where.requests import PatrolPlanRequest
from harmwatch.where.room import VIEW_HOTSPOTS

from .. import spec_uploads
from ..deps import client_of, context, principal_of, render
from ..responses import json_response

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["force records"])
routers = (pages, api)

RMS_ENDINGS = (".csv", ".csv.gz", ".xlsx")
NEW_IMPORT = RecordRef(FORCE_RECORDS_IMPORTS.kind, "new")
REFUSED = 400  # an import refused (a file's problems, or an upload that cannot be used)
# "When to patrol": a small plan, on the finest cells a viewer of aggregates may have.
DEFAULT_CRIME_TYPE = "Drugs"
TIMING_TOP = 10
TIMING_TOP_MAX = 50
TIMING_CELL_M = AGGREGATE_CELL_M
_MONTHS_PATTERN = r"^[0-9:, .-]*$"
_FORCE_PATTERN = r"^[A-Za-z0-9 '&.-]*$"


def _why(request: Request, typed: str | None = None) -> str | None:
    """A reason typed in the form (or query) or sent as ``X-Justification``; None if neither."""
    text = (
        typed
        or request.query_params.get("justification")
        or request.headers.get("x-justification")
        or ""
    ).strip()
    return text[:500] or None


# -- what is asked ------------------------------------------------------------------------


@dataclass
class Choice:
    """The force, months and crime type the reconciliation and the patrol plan are for."""

    force: str = ""
    months_text: str = ""
    months: list[str] | None = None
    crime_type: str = DEFAULT_CRIME_TYPE
    top: int = TIMING_TOP
    errors: list[str] = field(default_factory=list)


def _choice(
    force: str | None, months: str | None, crime_type: str | None, top: int | None
) -> Choice:
    choice = Choice(
        force=force_slug(force) if force and force.strip() else "",
        months_text=(months or "").strip()[:200],
        crime_type=(crime_type or "").strip() or DEFAULT_CRIME_TYPE,
        top=top or TIMING_TOP,
    )
    if choice.months_text:
        try:
            choice.months = parse_month_spec(choice.months_text)
        except (InputError, ValueError) as exc:
            choice.errors.append(f"months: {exc}")
    if choice.crime_type not in POLICE_UK_CRIME_TYPES:
        choice.errors.append(
            f"crime type: {choice.crime_type!r} is not one of police.uk's: "
            f"{', '.join(POLICE_UK_CRIME_TYPES)}"
        )
        choice.crime_type = DEFAULT_CRIME_TYPE
    if not 1 <= choice.top <= TIMING_TOP_MAX:
        choice.errors.append(f"top: between 1 and {TIMING_TOP_MAX} cells")
        choice.top = TIMING_TOP
    return choice


def _page_choice(request: Request) -> Choice:
    params = request.query_params
    top_text = (params.get("top") or "").strip()
    top = int(top_text) if top_text.isdigit() else None
    choice = _choice(params.get("force"), params.get("months"), params.get("crime_type"), top)
    if top_text and top is None:
        choice.errors.append("top: a whole number of cells")
    return choice


# -- reading ------------------------------------------------------------------------------


@dataclass
class View:
    """What one reading found: the files (exact readers) or their counts, and the sections."""

    grant: Grant
    files: list[dict[str, Any]]  # file_json rows; empty for a viewer of aggregates
    file_count: int
    records: int
    counted: int
    force: str
    reconciliation: Reconciliation | None = None
    reconciliation_error: str = ""
    plan: PatrolPlan | None = None
    timing: list[dict[str, Any]] = field(default_factory=list)
    timing_error: str = ""
    guidance: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    timing_notes: list[str] = field(default_factory=list)


def _files(request: Request, principal: Principal, grant: Grant) -> list[dict[str, Any]]:
    """The grant's files as their records describe them (read through the record policy)."""
    wanted = set(grant.file_ids)
    with session_scope(context(request).reader) as db:
        rows = (
            service.visible_imports(db, principal)
            if grant.exact
            else service.aggregate_imports(db, principal)
        )
        return [service.file_json(r) for r in rows if r.file_id in wanted]


@contextmanager
def _store(request: Request) -> Iterator[AnalyticsStore]:
    """The analytics store, read-only, behind the app's reader gate."""
    analyses = context(request).analyses
    with analyses.gate.read():
        try:
            store = AnalyticsStore.open(analyses.db_path, read_only=True)
        except StoreMissingError:
            raise InputError("no analytics database yet: import an RMS export first") from None
        with store:
            yield store


def _reconcile(request: Request, grant: Grant, view: View, choice: Choice) -> None:
    try:
        with _store(request) as store:
            view.reconciliation = reconcile(store, view.force, choice.months, grant=grant)
    except UserError as exc:
        view.reconciliation_error = str(exc)


def timing_rows(plan: PatrolPlan, exact: bool) -> list[dict[str, Any]]:
    """Each zone's id, cells, crimes, share and when to visit it; no place finer than a zone.

    For a viewer of aggregates the zones' crime counts go through the one suppression
    rule (1 to 4: "fewer than 5"), and a share is given only beside a count shown, so
    that no hidden count can be worked out from it.
    """
    summary = plan.summary()
    zones = list(summary["zones"])  # type: ignore[call-overload]
    crimes = [int(z["crimes"]) for z in zones]
    shown: list[int | str] = list(crimes)
    if not exact and crimes:
        shown = suppress_counts(crimes, total=True, total_fixed=True).shown_column()
    rows = []
    for zone, count in zip(zones, shown, strict=True):
        when = dict(zone.get("when") or {})
        lsoas = str(zone.get("lsoas") or "")
        if not exact:
            when = _coarse_when(when)
            lsoas = _COUNT_IN_BRACKETS.sub("", lsoas)  # "Watford E01023862 (2)": names only
        rows.append(
            {
                "zone": int(zone["zone"]),
                "cells": int(zone["cells"]),
                "area_km2": float(zone["area_km2"]),
                "crimes": count,
                "share_of_crime": float(zone["share_of_crime"]) if isinstance(count, int) else None,
                "pai": float(zone["pai"]) if isinstance(count, int) else None,
                "lsoas": lsoas,
                "when": when,
            }
        )
    return rows


_COUNT_IN_BRACKETS = re.compile(r" \(\d+(?:\.\d+)?\)")


def _coarse_when(when: dict[str, Any]) -> dict[str, Any]:
    """When to visit, for a viewer of aggregates: the windows and visits, never a count.

    A window's share of a small zone's crimes, the zone's weighted total and the note's
    "fewer than 10 crimes (4.0)" each say how many crimes happened when; they are left out.
    """
    out = {k: v for k, v in when.items() if k != "crimes_weighted"}
    out["windows"] = [
        {k: v for k, v in w.items() if k != "share"} for w in when.get("windows") or []
    ]
    if out.get("note"):
        out["note"] = _COUNT_IN_BRACKETS.sub("", str(out["note"]))
    return out


def _timing(request: Request, grant: Grant, view: View, choice: Choice) -> None:
    analyses = context(request).analyses
    try:
        plan_request = PatrolPlanRequest(
            forces=(view.force,) if view.force else (),
            crime_types=(choice.crime_type,),
            months=tuple(choice.months or ()),
            source="force-records",
            cell=TIMING_CELL_M,
            top_n=choice.top,
        )
        plan = analyses.patrol(plan_request)
    except UserError as exc:
        view.timing_error = str(exc)
        return
    view.plan = plan
    view.timing = timing_rows(plan, grant.exact)
    if plan.timing is None:
        view.timing_error = "these crimes have no times: nothing to say about when to patrol"
    for t in plan.timing or []:
        if t.guidance and t.guidance not in view.guidance:
            view.guidance.append(t.guidance)
        for s in t.sources:
            if s not in view.sources:
                view.sources.append(s)
    view.timing_notes = list(plan.notes)


def read_view(
    request: Request,
    justification: str | None,
    choice: Choice,
    *,
    what: str,
    sections: tuple[str, ...] = ("reconciliation", "timing"),
) -> View:
    """One logged reading: the files, and the sections asked for (each may fail alone)."""
    ctx, by = context(request), principal_of(request)
    with service.reading(
        ctx.engine, by, what=what, justification=justification, client=client_of(request)
    ) as grant:
        files = _files(request, by, grant)
        forces = sorted({str(f["force"]) for f in files})
        force = choice.force or (by.force if by.force in forces else (forces[0] if forces else ""))
        view = View(
            grant=grant,
            files=files if grant.exact else [],
            file_count=len(files),
            records=sum(int(f["rows"]) for f in files),
            counted=sum(int(f["rows_counted"]) for f in files),
            force=force,
        )
        if "reconciliation" in sections:
            _reconcile(request, grant, view, choice)
        if "timing" in sections:
            _timing(request, grant, view, choice)
        return view


def _no_records(exc: InputError) -> bool:
    """The reading's own refusal when no file may be seen (not a refused value)."""
    return isinstance(exc, NoForceRecords)


# -- imports --------------------------------------------------------------------------------


@dataclass
class Upload:
    """An upload stored in a folder of its own, with its spec read and its terms."""

    folder: Path
    paths: list[Path]
    spec: ImportSpec
    terms: service.ImportTerms

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


async def _store_upload(request: Request) -> Upload:
    """Read the multipart form (``files``, ``spec``, ``restricted``) into a new folder."""
    stored = await spec_uploads.store_upload(
        request, kind="force-records", schema=importer.FORCE_RECORDS, endings=RMS_ENDINGS,
        files_hint="RMS export (.csv, .csv.gz or .xlsx)",
    )  # fmt: skip
    restricted = spec_uploads.checked(stored.form, "restricted")
    terms = service.ImportTerms(
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
    )
    return Upload(stored.folder, stored.paths, stored.spec, terms)


async def _receive(request: Request) -> Upload:
    """The stored upload, or the refusal logged (a collection refused) and raised."""
    upload: Upload = await spec_uploads.receive(request, NEW_IMPORT, lambda: _store_upload(request))
    return upload


def _outcome_json(outcome: importer.FileImport) -> dict[str, Any]:
    return {
        "file": Path(outcome.path).name,
        "file_id": outcome.file_id,
        "rows": outcome.rows,
        "counted": outcome.counted,
        "already_imported": outcome.already_imported,
        "seconds": round(outcome.seconds, 2),
        "notes": outcome.notes,
    }


def run_import(request: Request, upload: Upload) -> dict[str, Any]:
    """Import the upload under the ingest lock and store gate: the outcome, or why it was refused.

    A refused file's problems (``file:line: field: reason``) are given as they are; an
    unexpected error only by its class name (its text may quote a row).
    """
    ctx, by = context(request), principal_of(request)
    analyses = ctx.analyses
    try:
        with (
            ctx.writing_store(f"web:{by.username}", "a force crime-records import"),
            AnalyticsStore.open(analyses.db_path, read_only=False) as store,
        ):
            done = service.import_files(
                ctx.engine, store, by, upload.paths, upload.spec, upload.terms,
                client=client_of(request),
            )  # fmt: skip
    except importer.ForceRecordsRefused as refused:
        return {
            "state": "refused",
            "summary": refused.summary,
            "problems": list(refused.problems),
            "more_problems": refused.more,
            "imported": [],
        }
    except UserError as exc:
        return {"state": "refused", "summary": str(exc), "problems": [], "more_problems": 0,
                "imported": []}  # fmt: skip
    finally:
        upload.discard()
    rows = sum(o.rows for o in done if not o.already_imported)
    again = sum(o.already_imported for o in done)
    summary = f"{len(done) - again} file(s) imported ({rows:,} records)" + (
        f"; {again} already imported, not imported again" if again else ""
    )
    return {
        "state": "done",
        "summary": summary,
        "problems": [],
        "more_problems": 0,
        "imported": [_outcome_json(o) for o in done],
    }


# -- pages ------------------------------------------------------------------------------------


def _links(force: str) -> dict[str, str]:
    """The hotspot map of the same crimes on either source."""
    base = f"force={force}&crime_type={DEFAULT_CRIME_TYPE}&cell={TIMING_CELL_M:g}"
    return {
        "force_records": f"/hotspots?{base}&source=force-records",
        "police_uk": f"/hotspots?{base}",
    }


def _page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    by = principal_of(request)
    values.setdefault("view", None)
    values.setdefault("choice", Choice())
    view = values["view"]
    force = view.force if view is not None else values["choice"].force
    return render(
        request,
        "force_records.html",
        status,
        title="Force records",
        can_import=IMPORT_FORCE_RECORDS.granted(by.role),
        exact_reader=READ_FORCE_RECORDS.granted(by.role),
        crime_types=POLICE_UK_CRIME_TYPES,
        columns=COLUMNS,
        reasons=REASONS,
        suppression_note=SUPPRESSION_NOTE,
        # The map of either source, for those who have the hotspot map (not the PCC viewer).
        hotspot_links=_links(force) if force and VIEW_HOTSPOTS.granted(by.role) else None,
        **values,
    )


async def _answer(
    request: Request, justification: str | None, status: int = 200, **values: Any
) -> HTMLResponse:
    """The page with what the reading found, or asking for a reason first (nothing read)."""
    by = principal_of(request)
    choice = _page_choice(request)
    if READ_FORCE_RECORDS.granted(by.role) and not justification and not by.purpose:
        return _page(request, status, ask_purpose=True, choice=choice, **values)
    # A value that cannot be read runs nothing on a default in its place (the files only).
    sections = () if choice.errors else ("reconciliation", "timing")
    try:
        view = await run_in_threadpool(
            lambda: read_view(
                request, justification, choice, what="force-records page", sections=sections
            )
        )
    except JustificationRequired as exc:
        return _page(request, 400, need_reason=str(exc), choice=choice, **values)
    except InputError as exc:
        if not _no_records(exc):
            raise
        return _page(request, status, no_records=str(exc), choice=choice, **values)
    return _page(request, 422 if choice.errors else status, view=view, choice=choice, **values)


@pages.get("/force-records", response_class=HTMLResponse)
async def force_records_page(request: Request) -> HTMLResponse:
    """The files you may see, the bridge to police.uk and when to patrol: after a reason."""
    return await _answer(request, _why(request))


@pages.post("/force-records/import", response_class=HTMLResponse)
async def import_page(request: Request) -> HTMLResponse:
    """Import RMS exports while the request waits; the page shows the outcome or why not."""
    try:
        upload = await _receive(request)
    except UserError as exc:
        outcome = {"state": "refused", "summary": str(exc), "problems": [], "more_problems": 0}
        status = exc.http_status if exc.http_status in (403, 413) else REFUSED
        return await _answer(request, None, status, import_outcome=outcome)
    outcome = await run_in_threadpool(run_import, request, upload)
    status = 200 if outcome["state"] == "done" else REFUSED
    return await _answer(request, None, status, import_outcome=outcome)


# -- API ---------------------------------------------------------------------------------------

Force = Annotated[
    str | None,
    Query(max_length=60, pattern=_FORCE_PATTERN, description="The force (default: your own)."),
]
Months = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=_MONTHS_PATTERN,
        description="Months, e.g. 2025-01:2025-06 (default: every month both sources cover).",
    ),
]
Justification = Annotated[
    str | None,
    Query(max_length=500, description="Why you read exact records (or X-Justification)."),
]


async def _api_view(
    request: Request, choice: Choice, justification: str | None, what: str, section: str
) -> View | None:
    """The reading for one API answer; None when no file may be seen (an empty answer)."""
    if choice.errors:
        raise InputError("; ".join(choice.errors))
    try:
        return await run_in_threadpool(
            lambda: read_view(
                request, _why(request, justification), choice, what=what, sections=(section,)
            )
        )
    except InputError as exc:
        if _no_records(exc):
            return None
        raise


def _empty(note: str, **values: Any) -> Response:
    return json_response({"source": None, "synthetic": False, "note": note, **values})


NO_RECORDS = "no force crime records are loaded that you may see"


@api.get("/api/force-records/files")
async def api_files(request: Request, justification: Justification = None) -> Response:
    """The RMS exports you may see, with provenance (a viewer of aggregates: counts only)."""
    view = await _api_view(request, Choice(), justification, "force-records files", "files")
    if view is None:
        return _empty(NO_RECORDS, file_count=0, records=0, counted=0)
    body: dict[str, Any] = {
        "source": view.grant.source_text(),
        "synthetic": view.grant.synthetic,
        "exact": view.grant.exact,
        "file_count": view.file_count,
        "records": view.records,
        "counted": view.counted,
    }
    if view.grant.exact:
        body["files"] = view.files
    return json_response(body)


@api.get("/api/force-records/reconciliation")
async def api_reconciliation(
    request: Request, force: Force = None, months: Months = None,
    justification: Justification = None,
) -> Response:  # fmt: skip
    """How the force's records and police.uk differ, by crime type and month, and why."""
    choice = _choice(force, months, None, None)
    view = await _api_view(
        request, choice, justification, "reconciliation with police.uk", "reconciliation"
    )
    if view is None:
        return _empty(NO_RECORDS)
    if view.reconciliation is None:
        raise InputError(view.reconciliation_error or "nothing to reconcile")
    body = view.reconciliation.summary()
    body["source"] = view.grant.source_text()
    body["synthetic"] = view.grant.synthetic
    return json_response(body)


@api.get("/api/force-records/timing")
async def api_timing(
    request: Request,
    force: Force = None,
    crime_type: Annotated[str | None, Query(max_length=60, description="Default Drugs.")] = None,
    months: Months = None,
    top: Annotated[
        int, Query(ge=1, le=TIMING_TOP_MAX, description="Budget: this many 250 m cells.")
    ] = TIMING_TOP,
    justification: Justification = None,
) -> Response:
    """When to patrol each zone of a small plan on the force's records (aggregate)."""
    choice = _choice(force, months, crime_type, top)
    view = await _api_view(request, choice, justification, "when to patrol", "timing")
    if view is None:
        return _empty(NO_RECORDS, zones=[])
    if view.plan is None:
        raise InputError(view.timing_error or "no patrol plan")
    return json_response(
        {
            "source": view.grant.source_text(),
            "synthetic": view.grant.synthetic,
            "force": view.force,
            "crime_type": choice.crime_type,
            "cell_m": TIMING_CELL_M,
            "top": choice.top,
            "zones": view.timing,
            "notes": view.timing_notes,
            "guidance": view.guidance,
            "sources": view.sources,
            **({} if view.grant.exact else {"suppression": SUPPRESSION_NOTE}),
        }
    )
