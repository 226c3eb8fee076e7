"""The safeguarding room's pages and API: list referrals, record one, record its decisions.

Thin over :mod:`harmwatch.safeguarding.referrals`, which applies the rules, scopes
every read by the record policy and logs every read and change with its
justification (so these routes' rules log nothing themselves). The justification
is the case or operation declared for the session, a ``justification`` form field,
or, for the API, an ``X-Justification`` header or a ``justification`` field in a
posted body — never a query parameter, which would land in server logs and
browser history.

Another room's flag links here with a form that *posts* to ``/safeguarding/new``
(the flag's subject, what flagged it), which answers with the form filled in and
records nothing; ``GET /safeguarding/new`` fills in only what is not personal
(``concern``, ``source_kind``, ``source_ref``, ``subject_is_child``) and ignores a
``subject_label`` in the URL, so that no name or number travels in one.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.records import Restriction
from harmwatch.safeguarding import referrals
from harmwatch.safeguarding.kinds import WRITE_REFERRALS
from harmwatch.safeguarding.referrals import Problem, ReferralRefused

from ..deps import client_of, context, principal_of, render
from ..responses import json_response
from ..roomkit import created as _created
from ..roomkit import in_thread as _call
from ..roomkit import justification_of as _why

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/safeguarding", tags=["safeguarding"])
routers = (pages, api)

#: What a GET may prefill: nothing that names or numbers a person.
URL_PREFILL = ("concern", "source_kind", "source_ref", "subject_is_child")
#: Every field of the form (a flag's POST may prefill any of them).
FORM_FIELDS = (
    "referral_kind",
    "concern",
    "referred_on",
    "agency",
    "agency_reference",
    "subject_label",
    "subject_is_child",
    "subject_date_of_birth",
    "subject_entity_id",
    "consent",
    "source_kind",
    "source_ref",
    "conditions",
    "restricted",
)
DECISION_FIELDS = (
    "reasonable_grounds",
    "reasonable_grounds_on",
    "conclusive_grounds",
    "conclusive_grounds_on",
    "outcome",
    "agency_reference",
)
MAX_FIELD = 2000


def _refused(exc: ReferralRefused) -> Response:
    response = json_response(
        {
            "detail": str(exc),
            "problems": [{"field": p.field, "reason": p.reason} for p in exc.problems],
        }
    )
    response.status_code = 422
    return response


# -- reading what was typed ----------------------------------------------------------------


def _date(value: Any, name: str, problems: list[Problem], *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            problems.append(Problem(name, "a date is needed, like 2025-03-31"))
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(name, f"{str(value)[:40]!r} is not a date like 2025-03-31"))
        return None


def _int(value: Any, name: str, problems: list[Problem]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        problems.append(Problem(name, "a number (the intelligence entity's id)"))
        return None
    if number < 1:
        problems.append(Problem(name, "a number (the intelligence entity's id)"))
        return None
    return number


def _yes_no(value: Any, name: str, problems: list[Problem], *, required: bool) -> bool | None:
    if value in (True, False):
        return bool(value)
    text = str(value or "").strip().lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    if text in ("", "not-asked", "none", "null") and not required:
        return None
    problems.append(Problem(name, "yes or no"))
    return None


def _text(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return str(value)[:MAX_FIELD]


def draft_from(values: dict[str, Any]) -> referrals.ReferralDraft:
    """A draft from a form or a JSON body; :class:`ReferralRefused` listing what cannot be read."""
    problems: list[Problem] = []
    referred_on = _date(values.get("referred_on"), "referred_on", problems, required=True)
    born = _date(values.get("subject_date_of_birth"), "subject_date_of_birth", problems)
    child = _yes_no(values.get("subject_is_child"), "subject_is_child", problems, required=True)
    consent = _yes_no(values.get("consent"), "consent", problems, required=False)
    entity = _int(values.get("subject_entity_id"), "subject_entity_id", problems)
    restricted = values.get("restricted") in (True, "on", "yes", "true", "restricted")
    if problems or referred_on is None or child is None:
        raise ReferralRefused(problems)
    return referrals.ReferralDraft(
        referral_kind=str(values.get("referral_kind") or ""),
        subject_label=str(values.get("subject_label") or "")[:MAX_FIELD],
        subject_is_child=child,
        concern=str(values.get("concern") or ""),
        referred_on=referred_on,
        agency=str(values.get("agency") or "")[:MAX_FIELD],
        agency_reference=_text(values.get("agency_reference")),
        subject_entity_id=entity,
        subject_date_of_birth=born,
        consent=consent,
        source_kind=_text(values.get("source_kind")),
        source_ref=_text(values.get("source_ref")),
        conditions=_text(values.get("conditions")),
        restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
    )


def decision_from(values: dict[str, Any]) -> referrals.DecisionDraft:
    problems: list[Problem] = []
    draft = referrals.DecisionDraft(
        reasonable_grounds=_text(values.get("reasonable_grounds")),
        reasonable_grounds_on=_date(
            values.get("reasonable_grounds_on"), "reasonable_grounds_on", problems
        ),
        conclusive_grounds=_text(values.get("conclusive_grounds")),
        conclusive_grounds_on=_date(
            values.get("conclusive_grounds_on"), "conclusive_grounds_on", problems
        ),
        outcome=_text(values.get("outcome")),
        agency_reference=_text(values.get("agency_reference")),
    )
    if problems:
        raise ReferralRefused(problems)
    return draft


async def _form(request: Request, names: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    form = await request.form()
    values = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value[:MAX_FIELD]
    typed = form.get("justification")
    return values, typed[:500] if isinstance(typed, str) and typed.strip() else None


def _errors(exc: UserError) -> tuple[dict[str, str], str | None]:
    """Errors by field (shown beside it), and one for the whole form."""
    if isinstance(exc, ReferralRefused):
        fields: dict[str, str] = {}
        for p in exc.problems:
            fields[p.field] = f"{fields[p.field]}; {p.reason}" if p.field in fields else p.reason
        return fields, None
    if isinstance(exc, JustificationRequired):
        return {"justification": str(exc)}, None
    return {}, str(exc)


# -- pages ----------------------------------------------------------------------------------


def _options() -> dict[str, Any]:
    return {"kinds": referrals.KINDS, "concerns": referrals.CONCERNS}


async def _index(
    request: Request,
    *,
    justification: str | None = None,
    referral_kind: str = "",
    concern: str = "",
) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    values: dict[str, Any] = {
        "title": "Safeguarding referrals",
        "referrals": None,
        "filters": {"referral_kind": referral_kind, "concern": concern},
        "can_write": WRITE_REFERRALS.granted(by.role),
        **_options(),
    }
    if not justification and not by.purpose:
        # Nothing is read (or logged) until the user says why: the page asks first.
        return render(request, "safeguarding_index.html", ask_purpose=True, **values)
    try:
        views, total = await _call(
            referrals.listing,
            ctx.engine,
            by,
            justification=justification,
            referral_kind=referral_kind,
            concern=concern,
            client=client_of(request),
        )
    except JustificationRequired as exc:
        return render(request, "safeguarding_index.html", 400, need_reason=str(exc), **values)
    except UserError as exc:
        return render(request, "safeguarding_index.html", exc.http_status, error=str(exc), **values)
    values.update(referrals=views, total=total)
    return render(request, "safeguarding_index.html", **values)


@pages.get("/safeguarding", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Referrals the user may see; the declared purpose is the reason logged."""
    return await _index(request)


@pages.post("/safeguarding/search", response_class=HTMLResponse)
async def search(request: Request) -> HTMLResponse:
    values, typed = await _form(request, ("referral_kind", "concern"))
    return await _index(
        request,
        justification=typed,
        referral_kind=values.get("referral_kind", ""),
        concern=values.get("concern", ""),
    )


def _form_page(
    request: Request,
    values: dict[str, str],
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    prefilled: bool = False,
) -> HTMLResponse:
    values = {**values}
    values.setdefault("referred_on", date.today().isoformat())
    return render(
        request,
        "safeguarding_form.html",
        status_code,
        title="Record a referral",
        form=values,
        errors=errors or {},
        error=error,
        prefilled=prefilled,
        **_options(),
    )


@pages.get("/safeguarding/new", response_class=HTMLResponse)
async def new_form(
    request: Request,
    concern: Annotated[str, Query(max_length=40)] = "",
    source_kind: Annotated[str, Query(max_length=32)] = "",
    source_ref: Annotated[str, Query(max_length=128)] = "",
    subject_is_child: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    """The blank form, with what a link may carry (never who: see the module docstring)."""
    given = {
        "concern": concern,
        "source_kind": source_kind,
        "source_ref": source_ref,
        "subject_is_child": subject_is_child,
    }
    values = {k: v for k, v in given.items() if k in URL_PREFILL and v}
    return _form_page(request, values, prefilled=bool(values))


@pages.post("/safeguarding/new", response_class=HTMLResponse)
async def prefilled_form(request: Request) -> HTMLResponse:
    """The form filled in from a flag's posted fields; nothing is recorded or logged."""
    values, _ = await _form(request, FORM_FIELDS)
    return _form_page(request, values, prefilled=True)


@pages.post("/safeguarding/referrals", response_class=HTMLResponse)
async def record_page(request: Request) -> HTMLResponse:
    """Record the referral; its page, or the form again with each problem beside its field."""
    ctx, by = context(request), principal_of(request)
    values, typed = await _form(request, FORM_FIELDS)
    try:
        draft = draft_from(values)
        done = await _call(
            referrals.record_referral, ctx.engine, by, draft, typed, client=client_of(request)
        )
        found = await _call(
            referrals.read,
            ctx.engine,
            by,
            done.id,
            justification=typed,
            client=client_of(request),
        )
    except UserError as exc:
        errors, error = _errors(exc)
        status = 422 if errors else exc.http_status
        return _form_page(request, values, status, errors=errors, error=error)
    return _referral_page(request, found, notes=list(done.notes), done="The referral is recorded.")


def _referral_page(
    request: Request,
    found: referrals.ReferralView,
    status_code: int = 200,
    *,
    notes: list[str] | None = None,
    done: str | None = None,
    decision: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    by = principal_of(request)
    return render(
        request,
        "safeguarding_referral.html",
        status_code,
        title=f"Referral {found.id}",
        referral=found,
        notes=notes or [],
        done=done,
        decision=decision or {},
        errors=errors or {},
        error=error,
        can_write=WRITE_REFERRALS.granted(by.role),
    )


@pages.get("/safeguarding/referrals/{referral_id}", response_class=HTMLResponse)
async def referral_page(request: Request, referral_id: int) -> HTMLResponse:
    ctx, by = context(request), principal_of(request)
    values: dict[str, Any] = {"title": "Referral", "referrals": None, "filters": {}, **_options()}
    if not by.purpose:
        return render(request, "safeguarding_index.html", ask_purpose=True, **values)
    found = await _call(
        referrals.read, ctx.engine, by, referral_id, justification=None, client=client_of(request)
    )
    return _referral_page(request, found)


@pages.post("/safeguarding/referrals/{referral_id}/decisions", response_class=HTMLResponse)
async def decision_page(request: Request, referral_id: int) -> HTMLResponse:
    """Record a decision; the referral's page with it, or with each problem beside its field."""
    ctx, by = context(request), principal_of(request)
    values, typed = await _form(request, DECISION_FIELDS)
    try:
        decision = decision_from(values)
        found = await _call(
            referrals.record_decision,
            ctx.engine,
            by,
            referral_id,
            decision,
            typed,
            client=client_of(request),
        )
    except UserError as exc:
        errors, error = _errors(exc)
        try:
            current = await _call(
                referrals.read,
                ctx.engine,
                by,
                referral_id,
                justification=typed,
                client=client_of(request),
            )
        except UserError:
            raise exc from None
        status = 422 if errors else exc.http_status
        return _referral_page(request, current, status, decision=values, errors=errors, error=error)
    return _referral_page(request, found, done="The decision is recorded.")


# -- API ------------------------------------------------------------------------------------


@api.get("/referrals")
async def api_referrals(
    request: Request,
    kind: Annotated[str, Query(max_length=20)] = "",
    concern: Annotated[str, Query(max_length=40)] = "",
    source_kind: Annotated[str, Query(max_length=32)] = "",
    source_ref: Annotated[str, Query(max_length=128)] = "",
    entity: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Referrals you may see, newest first; ``source_kind`` and ``source_ref`` find a flag's."""
    ctx, by = context(request), principal_of(request)
    views, total = await _call(
        referrals.listing,
        ctx.engine,
        by,
        justification=_why(request),
        referral_kind=kind,
        concern=concern,
        source_kind=source_kind,
        source_ref=source_ref,
        subject_entity_id=entity,
        client=client_of(request),
    )
    return json_response({"total": total, "referrals": [v.to_json() for v in views]})


@api.post("/referrals", status_code=201)
async def api_record(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Record a referral. An adult's ``nrm`` referral without ``consent: true`` is recorded
    as ``duty-to-notify``, without identifying details; the answer says so."""
    ctx, by = context(request), principal_of(request)
    try:
        draft = draft_from(body)
        done = await _call(
            referrals.record_referral,
            ctx.engine,
            by,
            draft,
            _why(request, body),
            client=client_of(request),
        )
    except ReferralRefused as exc:
        return _refused(exc)
    return _created(
        {
            "id": done.id,
            "ref": done.ref,
            "referral_kind": done.referral_kind,
            "asked_kind": done.asked_kind,
            "notes": list(done.notes),
        }
    )


@api.get("/referrals/{referral_id}")
async def api_referral(request: Request, referral_id: int) -> Response:
    ctx, by = context(request), principal_of(request)
    found = await _call(
        referrals.read,
        ctx.engine,
        by,
        referral_id,
        justification=_why(request),
        client=client_of(request),
    )
    return json_response(found.to_json())


@api.post("/referrals/{referral_id}/decisions")
async def api_decide(
    request: Request, referral_id: int, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Reasonable or conclusive grounds (``positive``/``negative`` and the date), an outcome,
    or the agency's reference; only the fields given change."""
    ctx, by = context(request), principal_of(request)
    try:
        found = await _call(
            referrals.record_decision,
            ctx.engine,
            by,
            referral_id,
            decision_from(body),
            _why(request, body),
            client=client_of(request),
        )
    except ReferralRefused as exc:
        return _refused(exc)
    return json_response(found.to_json())


@api.post("/export")
async def api_export(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Referrals as CSV: a disclosure to ``recipient``; 409 until ``acknowledge_conditions``
    when any carries handling code C."""
    ctx, by = context(request), principal_of(request)
    for name in ("kind", "concern", "source_kind", "source_ref", "recipient"):
        if not isinstance(body.get(name, ""), str):
            raise InputError(f"{name}: text")
    content = await _call(
        referrals.export_csv,
        ctx.engine,
        by,
        justification=_why(request, body),
        recipient=str(body.get("recipient") or ""),
        acknowledge_conditions=body.get("acknowledge_conditions") is True,
        referral_kind=str(body.get("kind") or ""),
        concern=str(body.get("concern") or ""),
        source_kind=str(body.get("source_kind") or ""),
        source_ref=str(body.get("source_ref") or ""),
        client=client_of(request),
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="referrals.csv"'},
    )
