"""The calls room's page and API: call-data import with progress, detection, schedules, accept.

Thin over :mod:`harmwatch.calls`: the library checks the role, resolves the
justification (typed in an ``X-Justification`` header or a ``justification`` field, or
the case or operation declared for the session), limits every read to the call-data
files the record policy lets the caller see and logs it — so these routes' rules log
nothing themselves. A download goes through :func:`harmwatch.calls.service.read_calls`
with ``export_to`` (a disclosure to the recipient named); showing the same figures on
the page is a consultation. Numbers are personal data: they travel in posted bodies,
never in URLs.

An import runs as a background job (:class:`ImportJob`): ``POST /api/calls/import``
stores the upload in a folder of its own, starts the job and answers its id; ``GET
/api/calls/import/{job_id}`` answers its progress (only to the user who started it),
read from the records database (:mod:`harmwatch.web.jobs`), so any app server behind
it answers, not only the one running the import.
The page's form posts to ``/county-lines/import`` without JavaScript and gets the same
import, run while the request waits.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from harmwatch.calls import accept, findings, importer, safeguarding, service
from harmwatch.calls.kinds import CALL_IMPORTS
from harmwatch.calls.questions import analysis_question
from harmwatch.calls.rules import DetectionRules
from harmwatch.calls.tables import Table, to_csv, to_json
from harmwatch.errors import InputError, NotFoundError, UserError
from harmwatch.intelligence.grading import INTELLIGENCE_ASSESSMENT, SOURCE_EVALUATION
from harmwatch.intelligence.kinds import WRITE_INTELLIGENCE
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import JustificationRequired, resolve
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.safeguarding.kinds import WRITE_REFERRALS
from harmwatch.sources.importspec import ImportSpec
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.analytics.store import StoreMissingError
from harmwatch.storage.dblock import Held, Holder

from .. import spec_uploads
from ..deps import client_of, context, principal_of, render
from ..jobs import JobStore, Saver
from ..responses import json_response
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why

log = logging.getLogger("harmwatch.web")
pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["calls"])
routers = (pages, api)

BASES = [(b.value, b.described) for b in importer.LegalBasis]
CALL_FILE_ENDINGS = (".csv", ".csv.gz", ".gz", ".txt", ".tsv")
_LINE_ID = re.compile(r"[A-Za-z0-9-]{1,40}")
# An import queued behind another load waits this long before it is refused.
JOB_WAIT_S = 3600.0
NEW_IMPORT = RecordRef(CALL_IMPORTS.kind, "new")


# -- the analytics store ------------------------------------------------------------------


@contextmanager
def _reading(request: Request) -> Iterator[AnalyticsStore]:
    """The store, read-only, behind the app's reader gate (an import holds the writer side)."""
    analyses = context(request).analyses
    with analyses.gate.read():
        try:
            store = AnalyticsStore.open(analyses.db_path, read_only=True)
        except StoreMissingError:
            raise NotFoundError("no call data has been imported yet") from None
        with store:
            yield store


# -- reading -------------------------------------------------------------------------------


def list_files(
    engine: Engine, principal: Principal, *, justification: str | None, client: str
) -> list[dict[str, Any]]:
    """The import records the caller may see: one consultation, logged with its reason.

    A file's record names the authority it was obtained under and its dates, which are
    themselves intelligence: the list is read only for a reason, as the rows are.
    """
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, service.ALL_FILES, client=client,
        details={"question": "call-data files"},
    ) as unit:  # fmt: skip
        if not CALL_IMPORTS.read.granted(principal.role):
            raise PolicyDenied(f"your role ({principal.role}) may not read call data")
        unit.justify(resolve(principal, justification, what="listing call-data files"))
        rows = service.visible_imports(unit.db, principal)
        unit.details["rows"] = len(rows)
        return [service.file_json(r) for r in rows]


def _rules(body: dict[str, Any]) -> DetectionRules:
    given = body.get("rules") or {}
    if not isinstance(given, dict):
        raise InputError("rules: an object of rule name to value")
    return DetectionRules().with_overrides({str(k): str(v) for k, v in given.items()})


def _detect_question(
    rules: DetectionRules,
) -> Callable[[duckdb.DuckDBPyConnection, list[str]], findings.Detection]:
    def question(con: duckdb.DuckDBPyConnection, files: list[str]) -> findings.Detection:
        return findings.detect(con, files, rules)

    return question


def _detect(request: Request, justification: str | None, rules: DetectionRules) -> Any:
    ctx, by = context(request), principal_of(request)

    def run() -> findings.Detection:
        with _reading(request) as store:
            return service.detect(
                ctx.engine, store, by, justification=justification, rules=rules,
                client=client_of(request),
            )  # fmt: skip

    return _call(run)


def _download(
    request: Request,
    question: Callable[[duckdb.DuckDBPyConnection, list[str]], Any],
    *,
    what: str,
    recipient: str,
    justification: str | None,
    rows_of: Callable[[Any], int],
    details: dict[str, Any] | None = None,
) -> Any:
    """A read whose answer leaves the app: logged as a disclosure to ``recipient``."""
    ctx, by = context(request), principal_of(request)

    def run() -> Any:
        with _reading(request) as store:
            return service.read_calls(
                ctx.engine, store, by, question, what=what, justification=justification,
                details=details, rows_of=rows_of, export_to=recipient.strip() or "web download",
                client=client_of(request),
            )  # fmt: skip

    return _call(run)


def _attachment(content: str, media_type: str, name: str) -> Response:
    return Response(
        content.encode("utf-8"),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _detection_download(result: findings.Detection, fmt: str) -> Response:
    if fmt == "csv":
        return _attachment(findings.lines_csv(result), "text/csv", "county-lines.csv")
    document = json.dumps(result.to_document(), indent=2) + "\n"
    return _attachment(document, "application/json", "county-lines.json")


def _schedule_question(
    rules: DetectionRules, finding: str, line_id: str, number: str | None
) -> Callable[[duckdb.DuckDBPyConnection, list[str]], findings.Schedule]:
    if finding not in findings.FINDINGS:
        raise InputError(f"finding: {finding!r} is not one of {', '.join(findings.FINDINGS)}")
    if not _LINE_ID.fullmatch(line_id):
        raise InputError(f"line_id: {line_id!r} is not a line as detection names it (LINE-01)")

    def question(con: duckdb.DuckDBPyConnection, files: list[str]) -> findings.Schedule:
        result = findings.detect(con, files, rules)
        return findings.schedule(con, result, finding, line_id, number)

    return question


async def _schedule(
    request: Request,
    *,
    line_id: str,
    finding: str,
    number: str | None,
    recipient: str,
    justification: str | None,
    rules: DetectionRules,
) -> Response:
    question = _schedule_question(rules, finding, line_id, number)
    table: findings.Schedule = await _download(
        request, question, what=f"schedule {finding} {line_id}", recipient=recipient,
        justification=justification, rows_of=lambda s: len(s.rows),
        details={"line": line_id, "finding": finding, "number": number},
    )  # fmt: skip
    name = f"schedule-{line_id}-{finding}.csv"
    return _attachment(table.to_csv(), "text/csv", name)


def _grades(source: str, information: str) -> tuple[str, str]:
    if source not in SOURCE_EVALUATION:
        raise InputError(f"source: one of {', '.join(SOURCE_EVALUATION)}")
    if information not in INTELLIGENCE_ASSESSMENT:
        raise InputError(f"information: one of {', '.join(INTELLIGENCE_ASSESSMENT)}")
    return source, information


def _accept(
    request: Request,
    line_id: str,
    *,
    justification: str | None,
    reference: str | None,
    source: str,
    information: str,
    rules: DetectionRules,
) -> Any:
    ctx, by = context(request), principal_of(request)
    source, information = _grades(source, information)
    if not _LINE_ID.fullmatch(line_id):
        raise InputError(f"line_id: {line_id!r} is not a line as detection names it (LINE-01)")

    def run() -> accept.Accepted:
        with _reading(request) as store:
            return accept.accept_line(
                ctx.engine, store, by, line_id, justification=justification,
                reference=reference or None, source=source, information=information,
                rules=rules, client=client_of(request),
            )  # fmt: skip

    return _call(run)


def _accepted_json(line_id: str, done: accept.Accepted) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "entity_id": done.line_entity_id,
        "entity": f"intelligence-entity:{done.line_entity_id}",
        "entity_url": f"/intelligence/entities/{done.line_entity_id}",
        "report_id": done.report_id,
        "report": f"intelligence-report:{done.report_id}",
        "report_url": f"/intelligence/reports/{done.report_id}",
        "phones": done.phone_entity_ids,
        "links": done.link_ids,
    }


# -- imports ---------------------------------------------------------------------------------


@dataclass
class ImportJob:
    """One upload's import, run in a thread; what ``GET /api/calls/import/{id}`` answers.

    The thread running it changes it and saves it to the records database (``save``),
    where any app server behind that database answers its owner's polls.
    """

    id: str
    owner: str
    files: list[str]
    state: str = "queued"  # queued | running | done | refused | failed
    file: str = ""
    done_bytes: int = 0
    total_bytes: int = 0
    files_done: int = 0
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0
    imported: list[dict[str, Any]] = field(default_factory=list)
    waiting_for: str = ""  # the load it is queued behind, while it waits for the store
    lock: dict[str, Any] | None = None  # its hold of the ingest lock (Held.facts)
    save: Saver | None = field(default=None, repr=False, compare=False)

    def progress(self, name: str, done: int, total: int) -> None:
        if name != self.file and self.file:
            self.files_done += 1
        self.file, self.done_bytes, self.total_bytes = name, done, total
        if self.save is not None:
            self.save(self.state, self.to_json(), progress=True)

    def moved(self, state: str) -> None:
        """Into ``state``, saved at once (every poll from now on sees it)."""
        self.state = state
        if self.save is not None:
            self.save(self.state, self.to_json())

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        if not self.files:
            return 0.0
        within = self.done_bytes / self.total_bytes if self.total_bytes else 0.0
        return min(1.0, (self.files_done + within) / len(self.files))

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "state": self.state,
            "files": self.files,
            "file": self.file,
            "done_bytes": self.done_bytes,
            "total_bytes": self.total_bytes,
            "files_done": self.files_done,
            "fraction": round(self.fraction, 4),
            "summary": self.summary,
            "problems": self.problems,
            "more_problems": self.more_problems,
            "imported": self.imported,
            "waiting_for": self.waiting_for,
            "lock": self.lock,
        }


class ImportJobs:
    """The app's import jobs in the records database, each readable only by its owner."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def add(self, owner: str, files: list[str]) -> ImportJob:
        job = ImportJob(self.store.new_id(), owner, files)
        self.store.add(job.id, owner, job.state, job.to_json())
        job.save = Saver(self.store, job.id)
        return job

    def get(self, job_id: str, owner: str) -> dict[str, Any]:
        return self.store.get(job_id, owner)


_JOBS_LOCK = threading.Lock()


def _jobs(request: Request) -> ImportJobs:
    state = request.app.state
    with _JOBS_LOCK:
        jobs = getattr(state, "calls_import_jobs", None)
        if jobs is None:
            ctx = context(request)
            jobs = ImportJobs(JobStore(ctx.engine, "calls-import", ctx.writer.call))
            state.calls_import_jobs = jobs
    return jobs


@dataclass
class ImportUpload:
    """An upload stored in a folder of its own, with its spec read and its terms typed."""

    folder: Path
    paths: list[Path]
    spec: ImportSpec
    terms: service.ImportTerms

    def discard(self) -> None:
        # The rows keep each file's name, SHA-256, spec and every row's line, and the
        # original stays with the case as its exhibit: a second copy of raw communications
        # data on the web server would be personal data outside the record policy.
        shutil.rmtree(self.folder, ignore_errors=True)


async def _store_upload(request: Request) -> ImportUpload:
    """Read the multipart form (``files``, ``spec``, ``legal_basis``, ``authority_ref``,
    ``restricted``, ``synthetic``) into a new folder; refuse it whole before any import."""
    authorities: list[importer.Authority] = []

    def check(form: Any) -> None:
        authorities.append(
            importer.Authority(
                importer.legal_basis(str(form.get("legal_basis") or "")),
                str(form.get("authority_ref") or "")[:200],
            )
        )

    stored = await spec_uploads.store_upload(
        request, kind="calls", schema=importer.CALL_DATA, endings=CALL_FILE_ENDINGS,
        files_hint="call-data file (.csv or .csv.gz)", check=check,
    )  # fmt: skip
    form = stored.form
    terms = service.ImportTerms(
        authority=authorities[0],
        restriction=Restriction.RESTRICTED
        if spec_uploads.checked(form, "restricted")
        else Restriction.FORCE,
        synthetic=spec_uploads.checked(form, "synthetic"),
    )
    return ImportUpload(stored.folder, stored.paths, stored.spec, terms)


async def _receive(request: Request) -> ImportUpload:
    """The stored upload, or the refusal logged (a collection refused) and raised."""
    upload: ImportUpload = await spec_uploads.receive(
        request, NEW_IMPORT, lambda: _store_upload(request)
    )
    return upload


def _outcome_json(outcome: importer.FileImport) -> dict[str, Any]:
    return {
        "file": Path(outcome.path).name,
        "file_id": outcome.file_id,
        "rows": outcome.rows,
        "already_imported": outcome.already_imported,
        "first_event_utc": outcome.first_event.isoformat() if outcome.first_event else None,
        "last_event_utc": outcome.last_event.isoformat() if outcome.last_event else None,
        "seconds": round(outcome.seconds, 2),
        "notes": outcome.notes,
    }


def run_import(
    request_ctx: Any, principal: Principal, client: str, upload: ImportUpload, job: ImportJob
) -> None:
    """Import the upload into the store, reporting into ``job``.

    The store is written under the app's ingest lock (every app server's loads, one
    at a time) and its store gate; while another load holds the lock the job stays
    ``queued`` and says whose load it waits for. Every outcome ends in the job (the
    thread has no one else to tell): a refused file's problems (``file:line: field:
    reason``), or a defect's class name only — the text of an unexpected error may
    quote a row.
    """

    def queued(holder: Holder | None) -> None:
        job.waiting_for = holder.describe() if holder else "another load of the analytics store"
        job.moved("queued")

    held: Held | None = None
    try:
        with (
            request_ctx.writing_store(
                f"web:{principal.username}", "a call-data import", wait_s=JOB_WAIT_S,
                on_wait=queued,
            ) as held,
            AnalyticsStore.open(request_ctx.analyses.db_path, read_only=False) as store,
        ):  # fmt: skip
            job.waiting_for = ""
            job.moved("running")
            done = service.import_files(
                request_ctx.engine, store, principal, upload.paths, upload.spec, upload.terms,
                progress=job.progress, client=client,
            )  # fmt: skip
        job.imported = [_outcome_json(o) for o in done]
        job.files_done = len(upload.paths)
        rows = sum(o.rows for o in done if not o.already_imported)
        again = sum(o.already_imported for o in done)
        job.summary = f"{len(done) - again} file(s) imported ({rows:,} rows)" + (
            f"; {again} already imported, not imported again" if again else ""
        )
        final = "done"
    except importer.CallImportRefused as refused:
        job.summary = refused.summary
        job.problems = list(refused.problems)
        job.more_problems = refused.more
        final = "refused"
    except UserError as exc:
        job.summary = str(exc)
        final = "refused"
    except Exception as exc:  # the job is the only place left to say it failed
        job.summary = f"the import failed ({type(exc).__name__}); nothing more was stored"
        final = "failed"
    finally:
        upload.discard()
    job.waiting_for = ""
    job.lock = held.facts() if held is not None else None
    try:
        job.moved(final)
    except Exception:  # the outcome is in the access log; the job's record could not be saved
        log.exception("could not save the outcome of call-data import job %s", job.id[:6])


async def _start(request: Request, upload: ImportUpload) -> ImportJob:
    by = principal_of(request)
    job: ImportJob = await _call(_jobs(request).add, by.actor, [p.name for p in upload.paths])
    thread = threading.Thread(
        target=run_import,
        args=(context(request), by, client_of(request), upload, job),
        name=f"harmwatch-calls-import-{job.id[:6]}",
        daemon=True,
    )
    thread.start()
    return job


# -- pages ------------------------------------------------------------------------------------


def _page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    by = principal_of(request)
    values.setdefault("files", None)
    return render(
        request,
        "county_lines.html",
        status,
        title="County lines",
        can_write=WRITE_INTELLIGENCE.granted(by.role),
        can_refer=WRITE_REFERRALS.granted(by.role),
        bases=BASES,
        sources=SOURCE_EVALUATION,
        assessments=INTELLIGENCE_ASSESSMENT,
        finding_names=findings.FINDINGS,
        **values,
    )


async def _files_for_page(request: Request, justification: str | None) -> list[dict[str, Any]]:
    ctx, by = context(request), principal_of(request)
    return list(
        await _call(
            list_files, ctx.engine, by, justification=justification, client=client_of(request)
        )
    )


async def _answer(
    request: Request, justification: str | None, status: int = 200, **values: Any
) -> HTMLResponse:
    """The page with the files list, or asking for a purpose first (nothing read)."""
    if not justification and not principal_of(request).purpose:
        return _page(request, ask_purpose=True, **values)
    try:
        files = await _files_for_page(request, justification)
    except JustificationRequired as exc:
        return _page(request, 400, need_reason=str(exc), **values)
    return _page(request, status, files=files, **values)


@pages.get("/county-lines", response_class=HTMLResponse)
async def county_lines_page(request: Request) -> HTMLResponse:
    """Import call data, see the files, run detection: after a purpose is declared."""
    return await _answer(request, None)


@pages.post("/county-lines/import", response_class=HTMLResponse)
async def import_page(request: Request) -> HTMLResponse:
    """The import form without JavaScript: the same import, run while the request waits."""
    try:
        upload = await _receive(request)
    except UserError as exc:
        return await _answer(request, None, exc.http_status, import_job={"state": "refused",
                             "summary": str(exc), "problems": [], "more_problems": 0})  # fmt: skip
    job: ImportJob = await _call(
        _jobs(request).add, principal_of(request).actor, [p.name for p in upload.paths]
    )
    await _call(
        run_import, context(request), principal_of(request), client_of(request), upload, job
    )
    status = 200 if job.state == "done" else 422
    return await _answer(request, None, status, import_job=job.to_json())


@pages.post("/county-lines/detect", response_class=HTMLResponse)
async def detect_page(
    request: Request,
    format: Annotated[str, Form(max_length=10)] = "",
    recipient: Annotated[str, Form(max_length=200)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Run detection and show it (a consultation), or download it (``format``: a disclosure)."""
    why = justification or None
    if not why and not principal_of(request).purpose:
        return _page(request, ask_purpose=True)
    rules = DetectionRules()
    if format in ("json", "csv"):
        result = await _download(
            request, _detect_question(rules), what=f"county-lines detection ({format} file)",
            recipient=recipient, justification=why,
            rows_of=lambda d: len(d.deal_lines) + len(d.roles),
        )  # fmt: skip
        return _detection_download(result, format)
    if format:
        raise InputError("format: json or csv (or none, to show the results)")
    try:
        result = await _detect(request, why, rules)
    except NotFoundError as exc:
        return await _answer(request, why, exc.http_status, error=str(exc))
    flags = await _flags(request, why, result)
    return await _answer(request, why, detection=result, flags=flags)


async def _flags(
    request: Request, justification: str | None, result: findings.Detection
) -> list[safeguarding.Flag]:
    """The detection's safeguarding flags (reading the intelligence: logged on its own)."""
    ctx, by = context(request), principal_of(request)
    return list(
        await _call(
            safeguarding.flags,
            ctx.engine,
            by,
            result,
            justification=justification,
            client=client_of(request),
        )
    )


@pages.post("/county-lines/schedule")
async def schedule_page(
    request: Request,
    line_id: Annotated[str, Form(max_length=40)],
    finding: Annotated[str, Form(max_length=30)],
    number: Annotated[str, Form(max_length=80)] = "",
    recipient: Annotated[str, Form(max_length=200)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """One finding's schedule as CSV: the rows behind it, each with its file and line."""
    return await _schedule(
        request, line_id=line_id, finding=finding, number=number or None, recipient=recipient,
        justification=justification or None, rules=DetectionRules(),
    )  # fmt: skip


@pages.post("/county-lines/accept", response_class=HTMLResponse)
async def accept_page(
    request: Request,
    line_id: Annotated[str, Form(max_length=40)],
    reference: Annotated[str, Form(max_length=100)] = "",
    source: Annotated[str, Form(max_length=1)] = "1",
    information: Annotated[str, Form(max_length=1)] = "B",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Accept one detected line into the intelligence graph; the page links to what was made."""
    why = justification or None
    if not why and not principal_of(request).purpose:
        return _page(request, ask_purpose=True)
    done = await _accept(
        request, line_id, justification=why, reference=reference, source=source,
        information=information, rules=DetectionRules(),
    )  # fmt: skip
    return await _answer(request, why, accepted=_accepted_json(line_id, done))


# -- API ------------------------------------------------------------------------------------


@api.get("/api/calls/files")
async def api_files(request: Request) -> Response:
    """The call-data files you may see: name, rows, dates, legal basis, reference, SYNTHETIC."""
    ctx, by = context(request), principal_of(request)
    files = await _call(
        list_files, ctx.engine, by, justification=_why(request), client=client_of(request)
    )
    return json_response({"files": files})


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "spec": {"type": "string", "format": "binary"},
                        "legal_basis": {"type": "string", "enum": [b for b, _ in BASES]},
                        "authority_ref": {"type": "string"},
                        "restricted": {"type": "boolean"},
                        "synthetic": {"type": "boolean"},
                    },
                    "required": ["files", "spec", "legal_basis", "authority_ref"],
                }
            }
        },
    }
}


@api.post("/api/calls/import", status_code=202, openapi_extra=IMPORT_BODY)
async def api_import(request: Request) -> Response:
    """Start importing call-data files (each whole or not at all); poll the job it answers.

    The body is read here, after the guard, so nobody can make the server store an
    upload before being signed in, allowed and CSRF-checked.
    """
    upload = await _receive(request)
    job = await _start(request, upload)
    response = json_response({**job.to_json(), "poll": f"/api/calls/import/{job.id}"})
    response.status_code = 202
    return response


@api.get("/api/calls/import/{job_id}")
async def api_import_job(request: Request, job_id: str) -> Response:
    """An import's progress: state, file, bytes checked of the total, then its outcome."""
    job = await _call(_jobs(request).get, job_id, principal_of(request).actor)
    return json_response(job)


@api.post("/api/calls/analysis/{kind}")
async def api_analysis(
    request: Request, kind: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The everyday questions (contacts, common, hours, days, cells, colocation, seen,
    timeline): ``numbers``, ``window``, ``limit``; ``format: csv`` downloads (a disclosure)."""
    numbers = body.get("numbers") or []
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise InputError("numbers: a list of numbers (text)")
    try:
        window, limit = int(body.get("window", 30)), int(body.get("limit", 50))
    except (TypeError, ValueError):
        raise InputError("window and limit are whole numbers") from None
    fmt = str(body.get("format") or "json")
    if fmt not in ("json", "csv"):
        raise InputError("format: json or csv")
    question = analysis_question(kind, numbers[:20], window=window, limit=limit)
    ctx, by = context(request), principal_of(request)
    recipient = str(body.get("recipient") or "") if fmt == "csv" else ""

    def run() -> Table:
        with _reading(request) as store:
            table: Table = service.read_calls(
                ctx.engine, store, by, question, what=f"{kind} analysis",
                justification=_why(request, body), details={"numbers": numbers[:20]},
                export_to=(recipient.strip() or "API download") if fmt == "csv" else None,
                client=client_of(request),
            )  # fmt: skip
            return table

    table = await _call(run)
    if fmt == "csv":
        return _attachment(to_csv(table), "text/csv", f"calls-{kind}.csv")
    return json_response(to_json(table))


@api.post("/api/county-lines/detect")
async def api_detect(
    request: Request, body: Annotated[dict[str, Any] | None, Body()] = None
) -> Response:
    """The detection document (``deal_lines``, ``roles``, ``cuckooed_cells``, ``lines``…).

    ``format``: ``document`` (default; the JSON answer, a consultation), or ``json`` /
    ``csv`` for a file (a disclosure to ``recipient``). ``rules``: overrides by name.
    """
    body = body or {}
    rules = _rules(body)
    fmt = str(body.get("format") or "document")
    if fmt == "document":
        result = await _detect(request, _why(request, body), rules)
        return json_response(result.to_document())
    if fmt not in ("json", "csv"):
        raise InputError("format: document, json or csv")
    result = await _download(
        request, _detect_question(rules), what=f"county-lines detection ({fmt} file)",
        recipient=str(body.get("recipient") or "API download"),
        justification=_why(request, body), rows_of=lambda d: len(d.deal_lines) + len(d.roles),
    )  # fmt: skip
    return _detection_download(result, fmt)


@api.post("/api/county-lines/flags")
async def api_flags(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Safeguarding flags: children on the line's shifts and cuckooing victims."""
    why = _why(request, body)
    result = await _detect(request, why, _rules(body))
    flags = await _flags(request, why, result)
    return json_response(
        {
            "synthetic": result.synthetic,
            "flags": [
                {
                    "concern": f.concern, "line_id": f.line_id, "number": f.number,
                    "is_child": f.is_child, "days": [d.isoformat() for d in f.days],
                    "person_entity_id": f.person_entity_id, "person": f.person_label,
                    "ages": list(f.ages), "why": f.why, "source_ref": f.source_ref,
                }
                for f in flags
            ],
        }
    )  # fmt: skip


@api.post("/api/county-lines/schedule")
async def api_schedule(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """A finding's schedule (CSV; a disclosure): ``line_id``, ``finding``, ``number``."""
    return await _schedule(
        request, line_id=str(body.get("line_id") or ""), finding=str(body.get("finding") or ""),
        number=str(body["number"]) if body.get("number") else None,
        recipient=str(body.get("recipient") or "API download"),
        justification=_why(request, body), rules=_rules(body),
    )  # fmt: skip


@api.post("/api/county-lines/accept", status_code=201)
async def api_accept(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Accept a detected line into the intelligence graph: ``line_id``, ``reference``,
    ``source`` (1-3), ``information`` (A-E); answers the entity and report made."""
    line_id = str(body.get("line_id") or "")
    done = await _accept(
        request, line_id, justification=_why(request, body),
        reference=str(body.get("reference") or "") or None,
        source=str(body.get("source") or "1"), information=str(body.get("information") or "B"),
        rules=_rules(body),
    )  # fmt: skip
    response = json_response(_accepted_json(line_id, done))
    response.status_code = 201
    return response
