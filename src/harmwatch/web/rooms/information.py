"""The information-management room's pages: subject access requests and retention reviews.

Both forms are posted, so the subject's name and the justification never appear in
a URL (server logs, browser history). The kernel does the searching and the logging
(:mod:`harmwatch.kernel.subjects`); these handlers only read the form and render.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.records import SubjectTerms
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.subjects import ReviewDecision, due_for_review, review, subject_access

from ..deps import client_of, context, principal_of, render

pages = APIRouter(include_in_schema=False)
routers = (pages,)


def _identifiers(text: str) -> tuple[str, ...]:
    return tuple(
        i.strip() for i in text.replace(";", ",").replace("\n", ",").split(",") if i.strip()
    )


@pages.get("/records/subject-access", response_class=HTMLResponse)
def subject_access_form(request: Request) -> HTMLResponse:
    """The search form (nothing is searched, or logged, until it is posted)."""
    return render(request, "records_subject.html", title="Subject access", form={}, report=None)


@pages.post("/records/subject-access", response_class=HTMLResponse)
async def subject_access_search(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    identifiers: Annotated[str, Form(max_length=2000)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Every room searched for the subject; the report, and a JSON copy to keep with the request."""
    ctx = context(request)
    terms = SubjectTerms(name=name.strip(), identifiers=_identifiers(identifiers))
    form = {"name": name, "identifiers": identifiers, "justification": justification}
    try:
        report = await run_in_threadpool(
            lambda: subject_access(
                ctx.engine,
                principal_of(request),
                terms,
                justification=justification,
                client=client_of(request),
            )
        )
    except UserError as exc:
        return render(
            request,
            "records_subject.html",
            exc.http_status,
            title="Subject access",
            form=form,
            report=None,
            error=str(exc),
        )
    return render(
        request,
        "records_subject.html",
        title="Subject access",
        form=form,
        report=report,
        report_json=json.dumps(report.to_dict(), indent=2),
    )


@pages.get("/records/review", response_class=HTMLResponse)
def review_form(request: Request) -> HTMLResponse:
    return render(
        request, "records_review.html", title="Review", on=date.today().isoformat(), due=None
    )


@pages.post("/records/review", response_class=HTMLResponse)
async def review_list(
    request: Request,
    on: Annotated[str, Form(max_length=10)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Records of the user's force due for review on or before the date."""
    ctx = context(request)
    try:
        day = date.fromisoformat(on) if on else date.today()
        due = await run_in_threadpool(
            lambda: due_for_review(
                ctx.engine,
                principal_of(request),
                day,
                justification=justification,
                client=client_of(request),
            )
        )
    except (UserError, ValueError) as exc:
        message = str(exc) if isinstance(exc, UserError) else f"not a date: {on!r}"
        return render(
            request, "records_review.html", 422, title="Review", on=on, due=None, error=message
        )
    return render(
        request,
        "records_review.html",
        title="Review",
        on=day.isoformat(),
        due=due,
        justification=justification,
    )


@pages.post("/records/review/decision", response_class=HTMLResponse)
async def review_decision(
    request: Request,
    record: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Retain (next review date from the retention group) or delete one record."""
    ctx = context(request)
    try:
        ref = RecordRef.parse(record)
        chosen = ReviewDecision(decision) if decision in ("retain", "delete") else None
        if chosen is None:
            raise InputError(f"decide retain or delete, not {decision!r}")
        item = await run_in_threadpool(
            lambda: review(
                ctx.engine, principal_of(request), ref, chosen, reason, client=client_of(request)
            )
        )
    except UserError as exc:
        return render(
            request,
            "records_review.html",
            exc.http_status,
            title="Review",
            on=date.today().isoformat(),
            due=None,
            error=str(exc),
        )
    verb = "retained" if chosen is ReviewDecision.RETAIN else "deleted"
    return render(
        request,
        "records_review.html",
        title="Review",
        on=date.today().isoformat(),
        due=None,
        done=f"{verb} {ref}: {item.summary}",
    )
