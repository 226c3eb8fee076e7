"""Covert authorisations: record, review, renew, cancel, read, list, alert and export them.

Each authorisation records the application (day, applicant), who authorised it (name,
rank), when it took effect (and whether orally, in an urgent case), its reviews, its
renewals and its cancellation, and ceases by its kind's statutory period
(:mod:`harmwatch.covert.periods`, where the rule and its sources are stated). The
rules this module adds to the forms' (:mod:`harmwatch.covert.forms`):

1. **Nothing is dated in the future**, and nothing before the grant it follows.
2. **A URN names one authorisation of a unit**: call-data imports are linked to a
   communications-data authorisation by it (their ``authority_ref``).
3. **A renewal is granted while the authorisation is in force** (RIPA s.43(4),
   Police Act 1997 s.95(3), IPA 2016 s.65(2)); one that has ceased is granted anew.
   Nothing is renewed or reviewed once cancelled.
4. **Reviews** are set by the authorising officer (the Codes of Practice: as often as
   needed). Each authorisation has a review interval (by default 28 days: force
   practice, not statute) or an explicit next review date; recording a review sets
   the next one, by the interval unless a date is given.
5. **Cancellation** (day and time, by whom, why) ends every alert. The Codes require
   an authorisation to be cancelled when it is no longer needed, so one that ceased
   without a cancellation is itself flagged, ``expired-not-cancelled``, until one is
   recorded.

**Alerts** (:func:`alerts`) are judged on the Europe/London calendar date of ``now``
(the clock the tests move), so a review due "today" fires on the UK day, across a
month's end and the clocks going forward or back.

Every read is scoped by the record policy and logged with its justification
(:mod:`harmwatch.kernel.reads`); every change is a unit of work whose entry says what
changed. Only the intelligence officer's role reads or writes these records, and of
them only those of their units (or shared with one).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import FormRefused, Problem
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal, check_unit
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from . import periods
from .forms import (
    AUTHORISATION_FORM,
    CANCEL_FORM,
    DEFAULT_REVIEW_DAYS,
    RENEWAL_FORM,
    REVIEW_FORM,
    parse_time,
)
from .kinds import AUTHORISATIONS, READ_COVERT, WRITE_COVERT
from .models import CovertAuthorisation, CovertRenewal, CovertReview

COMMS_DATA = "communications-data"
#: The call-data importer's legal basis for data obtained under IPA 2016 Part 3.
IPA_PART3 = "ipa-part3"
#: Authorisations expiring within this many days are flagged.
EXPIRING_DAYS = 7
RETENTION = "mopi-3"

ALERT_KINDS = (
    "review-due-today",
    "review-overdue",
    "expires-today",
    "expires-within-7-days",
    "expired-not-cancelled",
)
CSV_FIELDS = (
    "ref",
    "urn",
    "authorisation_kind",
    "subject",
    "operation",
    "applied_on",
    "applicant",
    "authorised_by",
    "authorising_rank",
    "granted_at",
    "urgent_oral",
    "expires_at",
    "next_review_on",
    "cancelled_at",
    "cancelled_by",
    "unit",
    "handling",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuthorisationRefused(FormRefused):
    """An authorisation, review, renewal or cancellation that breaks a rule (by field)."""


@dataclass(frozen=True)
class Alert:
    """One thing the dashboard must say about an authorisation today."""

    kind: str  # one of ALERT_KINDS
    days: int  # days overdue, days until expiry, days since it ceased (0: today)
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "days": self.days, "message": self.message}


@dataclass
class AuthorisationView:
    """An authorisation as its reader sees it (the handling banner beside it)."""

    id: int
    ref: str
    urn: str
    authorisation_kind: str
    kind_title: str
    subject: str
    operation: str | None
    applied_on: date
    applicant: str
    authorised_by: str
    authorising_rank: str
    granted_at: datetime
    granted_local: str
    urgent_oral: bool
    period: str
    period_citation: str
    expires_at: datetime
    expires_local: str
    status: str  # in force / expired / cancelled
    review_interval_days: int | None
    next_review_on: date | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancellation_reason: str | None
    force: str
    unit: str
    restriction: str
    handling_banner: str
    conditions: str | None
    created_by: str
    alerts: list[Alert] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    renewals: list[dict[str, Any]] = field(default_factory=list)
    call_data_imports: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "alerts":
                out[key] = [a.to_json() for a in value]
            else:
                out[key] = _jsonable(value)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def local_text(instant: datetime) -> str:
    """An instant as UK wall-clock time with its zone (``2025-03-31 23:59:59 BST``)."""
    return instant.astimezone(periods.LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")


def _now(now: datetime | None) -> datetime:
    at = now or models.utcnow()
    if at.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return at


def in_force(record: CovertAuthorisation, now: datetime) -> bool:
    """Granted, not cancelled, and not past its last moment (``expires_at`` included)."""
    return record.cancelled_at is None and record.granted_at <= now <= record.expires_at


def status(record: CovertAuthorisation, now: datetime) -> str:
    if record.cancelled_at is not None:
        return "cancelled"
    if now > record.expires_at:
        return "expired"
    return "in force" if now >= record.granted_at else "not yet in effect"


def alerts_for(record: CovertAuthorisation, now: datetime) -> list[Alert]:
    """The alerts of one authorisation on the UK date of ``now`` (none once cancelled)."""
    if record.cancelled_at is not None:
        return []
    today = periods.local_date(now)
    ceases = periods.local_date(record.expires_at)
    if now > record.expires_at:
        days = (today - ceases).days
        return [
            Alert(
                "expired-not-cancelled",
                days,
                f"ceased {local_text(record.expires_at)} and is not cancelled: record its "
                "cancellation",
            )
        ]
    out = []
    if ceases == today:
        out.append(Alert("expires-today", 0, f"ceases today at {local_text(record.expires_at)}"))
    elif ceases <= today + timedelta(days=EXPIRING_DAYS):
        days = (ceases - today).days
        out.append(
            Alert(
                "expires-within-7-days",
                days,
                f"ceases in {days} day(s), {local_text(record.expires_at)}: renew or cancel it",
            )
        )
    review = record.next_review_on
    if review is not None and review == today:
        out.append(Alert("review-due-today", 0, "review due today"))
    elif review is not None and review < today:
        days = (today - review).days
        out.append(Alert("review-overdue", days, f"review overdue by {days} day(s) ({review})"))
    return out


def view(record: CovertAuthorisation, now: datetime | None = None) -> AuthorisationView:
    at = _now(now)
    period = periods.period_for(record.authorisation_kind)
    return AuthorisationView(
        id=record.id,
        ref=str(record.ref),
        urn=record.urn,
        authorisation_kind=record.authorisation_kind,
        kind_title=period.title,
        subject=record.subject,
        operation=record.operation,
        applied_on=record.applied_on,
        applicant=record.applicant,
        authorised_by=record.authorised_by,
        authorising_rank=record.authorising_rank,
        granted_at=record.granted_at,
        granted_local=local_text(record.granted_at),
        urgent_oral=record.urgent_oral,
        period=period.described(urgent_oral=record.urgent_oral),
        period_citation=record.period_citation,
        expires_at=record.expires_at,
        expires_local=local_text(record.expires_at),
        status=status(record, at),
        review_interval_days=record.review_interval_days,
        next_review_on=record.next_review_on,
        cancelled_at=record.cancelled_at,
        cancelled_by=record.cancelled_by,
        cancellation_reason=record.cancellation_reason,
        force=record.owning_force,
        unit=record.owning_unit,
        restriction=record.restriction,
        handling_banner=record.handling.banner(),
        conditions=record.handling_conditions,
        created_by=record.created_by,
        alerts=alerts_for(record, at),
    )


def _refuse(name: str, reason: str) -> AuthorisationRefused:
    return AuthorisationRefused([Problem(name, reason)])


def _clean(text: Any) -> str:
    return " ".join(str(text or "").split())


def _instant(day: date | None, hhmm: Any, now: datetime) -> datetime:
    """A UK day and time as an instant; no day: now; a day without a time: now's time of day."""
    if day is None:
        return now
    at = parse_time(hhmm)
    if at is None:
        at = now.astimezone(periods.LONDON).time().replace(microsecond=0)
    return periods.local_instant(day, at)


# -- recording ------------------------------------------------------------------------------


def store(work: Work, values: Mapping[str, Any]) -> CovertAuthorisation:
    """Create one authorisation from a form's checked values in ``work`` (policy first).

    The bulk import calls this for each row; :func:`record` for one.
    """
    by = work.principal
    unit = values.get("unit") or (sorted(by.units)[0] if by.units else "")
    if values.get("unit"):
        unit = check_unit(unit)
    policy.require_collect(by, AUTHORISATIONS, by.force, unit)
    now = models.utcnow()
    today = periods.local_date(now)
    kind = values["authorisation_kind"]
    granted_at = periods.local_instant(values["granted_on"], parse_time(values["granted_time"]))  # type: ignore[arg-type]
    problems: list[Problem] = []
    if values["applied_on"] > today:
        problems.append(Problem("applied_on", f"{values['applied_on']} is in the future"))
    if granted_at > now:
        problems.append(Problem("granted_on", f"{local_text(granted_at)} is in the future"))
    urn = _clean(values["urn"])
    taken = work.db.scalars(
        policy.scope(
            by,
            select(CovertAuthorisation.id).where(
                CovertAuthorisation.owning_force == by.force,
                CovertAuthorisation.owning_unit == unit,
                CovertAuthorisation.urn == urn,
            ),
            CovertAuthorisation,
        )
    ).first()
    if taken is not None:
        problems.append(Problem("urn", f"{urn} is already recorded in {unit} ({taken})"))
    if problems:
        raise AuthorisationRefused(problems)
    urgent = bool(values.get("urgent_oral"))
    interval = values.get("review_interval_days") or DEFAULT_REVIEW_DAYS
    first_review = values.get("first_review_on") or (
        periods.local_date(granted_at) + timedelta(days=interval)
    )
    conditions = _clean(values.get("handling_conditions"))
    handling = Handling(HandlingCode.C, conditions) if conditions else Handling(HandlingCode.P)
    period = periods.period_for(kind)
    record = CovertAuthorisation(
        urn=urn,
        authorisation_kind=kind,
        subject=_clean(values["subject"]),
        operation=_clean(values.get("operation")) or None,
        applied_on=values["applied_on"],
        applicant=_clean(values["applicant"]),
        authorised_by=_clean(values["authorised_by"]),
        authorising_rank=_clean(values["authorising_rank"]),
        granted_at=granted_at,
        urgent_oral=urgent,
        expires_at=periods.expiry(kind, granted_at, urgent_oral=urgent),
        period_citation=(period.urgent_citation or period.citation) if urgent else period.citation,
        review_interval_days=interval,
        next_review_on=first_review,
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=unit,
            handling=handling,
            restriction=Restriction.RESTRICTED,
            retention=RETENTION,
        ),
    )
    work.db.add(record)
    work.db.flush()
    return record


def _require_write_role(by: Principal, what: str) -> None:
    if not WRITE_COVERT.granted(by.role):
        raise policy.PolicyDenied(f"your role ({by.role}) may not {what} covert authorisations")


def record(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> AuthorisationView:
    """Record an authorisation from a form's values (text as typed); the recorded view.

    :class:`FormRefused` (or :class:`AuthorisationRefused`) lists every problem by field.
    """
    with unit_of_work(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef(AUTHORISATIONS.kind, "new"),
        client=client,
    ) as work:
        _require_write_role(principal, "record")
        work.justify(resolve(principal, justification, what="recording a covert authorisation"))
        clean = AUTHORISATION_FORM.checked(values)
        created = store(work, clean)
        work.target(created.ref)
        work.details.update(
            {
                "authorisation_kind": created.authorisation_kind,
                "urn": created.urn,
                "urgent_oral": created.urgent_oral,
                "expires_at": created.expires_at.isoformat(),
            }
        )
        return view(created)


def _one(db: Session, by: Principal, authorisation_id: int) -> CovertAuthorisation:
    """The authorisation, if the principal may see it; hidden is denied, missing not found."""
    return policy.visible_one(
        db, by, CovertAuthorisation, authorisation_id, what="covert authorisation"
    )


def _changing(
    work: Work, by: Principal, authorisation_id: int, justification: str | None, what: str
) -> CovertAuthorisation:
    _require_write_role(by, what)
    work.justify(resolve(by, justification, what=f"{what} a covert authorisation"))
    found = _one(work.db, by, authorisation_id)
    policy.require(work.db, by, AuditAction.ALTERATION, found)
    return found


def _touch(record: CovertAuthorisation, by: Principal, now: datetime) -> None:
    record.updated_at = now
    record.updated_by = by.actor


def _with_history(db: Session, record: CovertAuthorisation, now: datetime) -> AuthorisationView:
    out = view(record, now)
    reviews = db.scalars(
        select(CovertReview)
        .where(CovertReview.authorisation_id == record.id)
        .order_by(CovertReview.reviewed_on, CovertReview.id)
    )
    out.reviews = [
        {
            "reviewed_on": r.reviewed_on,
            "reviewed_by": r.reviewed_by,
            "notes": r.notes,
            "next_review_on": r.next_review_on,
            "recorded_by": r.recorded_by,
        }
        for r in reviews
    ]
    renewals = db.scalars(
        select(CovertRenewal)
        .where(CovertRenewal.authorisation_id == record.id)
        .order_by(CovertRenewal.renewed_at, CovertRenewal.id)
    )
    out.renewals = [
        {
            "renewed_at": r.renewed_at,
            "renewed_local": local_text(r.renewed_at),
            "authorised_by": r.authorised_by,
            "authorising_rank": r.authorising_rank,
            "urgent_oral": r.urgent_oral,
            "begins_on": r.begins_on,
            "previous_expires_local": local_text(r.previous_expires_at),
            "expires_at": r.expires_at,
            "expires_local": local_text(r.expires_at),
        }
        for r in renewals
    ]
    return out


def review(
    engine: Engine,
    principal: Principal,
    authorisation_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> AuthorisationView:
    """Record a review; it sets the next review (the date given, else by the interval)."""
    ref = RecordRef(AUTHORISATIONS.kind, str(authorisation_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        found = _changing(work, principal, authorisation_id, justification, "review")
        clean = REVIEW_FORM.checked(values)
        now = models.utcnow()
        today = periods.local_date(now)
        on = clean["reviewed_on"] or today
        if found.cancelled_at is not None:
            raise _refuse(
                "reviewed_on", "it is cancelled: a cancelled authorisation is not reviewed"
            )
        if on > today:
            raise _refuse("reviewed_on", f"{on} is in the future")
        if on < periods.local_date(found.granted_at):
            raise _refuse(
                "reviewed_on", f"{on} is before the grant ({local_text(found.granted_at)})"
            )
        if on > periods.local_date(found.expires_at):
            raise _refuse(
                "reviewed_on",
                f"it ceased {local_text(found.expires_at)}: record its cancellation instead",
            )
        interval = found.review_interval_days or DEFAULT_REVIEW_DAYS
        following = clean["next_review_on"] or on + timedelta(days=interval)
        if following <= on:
            raise _refuse("next_review_on", f"{following} is not after the review ({on})")
        work.db.add(
            CovertReview(
                authorisation_id=found.id,
                reviewed_on=on,
                reviewed_by=_clean(clean["reviewed_by"]),
                notes=_clean(clean["notes"]) or None,
                next_review_on=following,
                recorded_at=now,
                recorded_by=principal.actor,
            )
        )
        old = found.next_review_on
        found.next_review_on = following
        _touch(found, principal, now)
        work.db.flush()
        work.details.update(
            {
                "review": on.isoformat(),
                "next_review_on": [old.isoformat() if old else None, following.isoformat()],
            }
        )
        return _with_history(work.db, found, now)


def renew(
    engine: Engine,
    principal: Principal,
    authorisation_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> AuthorisationView:
    """Record a renewal granted while the authorisation was in force (see periods)."""
    ref = RecordRef(AUTHORISATIONS.kind, str(authorisation_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        found = _changing(work, principal, authorisation_id, justification, "renew")
        clean = RENEWAL_FORM.checked(values)
        now = models.utcnow()
        at = _instant(clean["renewed_on"], clean["renewed_time"], now)
        if found.cancelled_at is not None:
            raise _refuse("renewed_on", "it is cancelled: grant a new authorisation instead")
        if at > now:
            raise _refuse("renewed_on", f"{local_text(at)} is in the future")
        if at < found.granted_at:
            raise _refuse("renewed_on", f"{local_text(at)} is before the grant")
        if at > found.expires_at:
            raise _refuse(
                "renewed_on",
                f"it ceased {local_text(found.expires_at)}, before {local_text(at)}: a renewal is "
                "granted while the authorisation is in force; grant a new one",
            )
        urgent = bool(clean["urgent_oral"])
        try:
            period = periods.renewal(found.authorisation_kind, found.expires_at, urgent_oral=urgent)
        except InputError as exc:
            raise _refuse("urgent_oral", str(exc).split(": ", 1)[-1]) from None
        previous = found.expires_at
        work.db.add(
            CovertRenewal(
                authorisation_id=found.id,
                renewed_at=at,
                authorised_by=_clean(clean["authorised_by"]),
                authorising_rank=_clean(clean["authorising_rank"]),
                urgent_oral=urgent,
                begins_on=period.begins_on,
                previous_expires_at=previous,
                expires_at=period.expires_at,
                recorded_at=now,
                recorded_by=principal.actor,
            )
        )
        found.expires_at = period.expires_at
        _touch(found, principal, now)
        work.db.flush()
        work.details.update(
            {
                "renewed_at": at.isoformat(),
                "urgent_oral": urgent,
                "expires_at": [previous.isoformat(), period.expires_at.isoformat()],
            }
        )
        return _with_history(work.db, found, now)


def cancel(
    engine: Engine,
    principal: Principal,
    authorisation_id: int,
    values: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> AuthorisationView:
    """Record the cancellation (when, by whom, why); no alert is raised after it."""
    ref = RecordRef(AUTHORISATIONS.kind, str(authorisation_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        found = _changing(work, principal, authorisation_id, justification, "cancel")
        clean = CANCEL_FORM.checked(values)
        now = models.utcnow()
        at = _instant(clean["cancelled_on"], clean["cancelled_time"], now)
        if found.cancelled_at is not None:
            raise _refuse(
                "cancelled_on", f"it was cancelled {local_text(found.cancelled_at)} already"
            )
        if at > now:
            raise _refuse("cancelled_on", f"{local_text(at)} is in the future")
        if at < found.granted_at:
            raise _refuse("cancelled_on", f"{local_text(at)} is before the grant")
        found.cancelled_at = at
        found.cancelled_by = _clean(clean["cancelled_by"])
        found.cancellation_reason = _clean(clean["reason"])
        _touch(found, principal, now)
        work.db.flush()
        work.details.update({"cancelled_at": at.isoformat(), "after_expiry": at > found.expires_at})
        return _with_history(work.db, found, now)


def share(
    engine: Engine,
    principal: Principal,
    authorisation_id: int,
    unit: str,
    justification: str | None,
    *,
    client: str = "",
) -> None:
    """Share one authorisation with another unit of the force (sight only, never change)."""
    ref = RecordRef(AUTHORISATIONS.kind, str(authorisation_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        found = _changing(work, principal, authorisation_id, justification, "share")
        other = check_unit(unit)
        policy.share(work.db, principal, found, principal.force, other)
        work.details["shared_with"] = f"{principal.force}/{other}"


# -- reading --------------------------------------------------------------------------------


def read(
    engine: Engine,
    principal: Principal,
    authorisation_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> AuthorisationView:
    """One authorisation with its reviews, renewals and (for communications data) the
    call-data imports resting on it — those the reader may see, the read logged too."""
    got = reads.get(
        engine,
        principal,
        CovertAuthorisation,
        authorisation_id,
        justification=justification,
        client=client,
    )
    found = got.records[0]
    now = models.utcnow()
    with Session(engine) as db:
        out = _with_history(db, found, now)
    if found.authorisation_kind == COMMS_DATA:
        out.call_data_imports = _linked_imports(
            engine, principal, found, justification=justification, client=client
        )
    return out


def _linked_imports(
    engine: Engine,
    principal: Principal,
    found: CovertAuthorisation,
    *,
    justification: str | None,
    client: str,
) -> list[dict[str, Any]]:
    from harmwatch.calls.kinds import CALL_IMPORTS
    from harmwatch.calls.models import CallDataImport

    if not CALL_IMPORTS.read.granted(principal.role):
        return []
    got = reads.consult(
        engine,
        principal,
        CallDataImport,
        select(CallDataImport)
        .where(
            CallDataImport.legal_basis == IPA_PART3,
            CallDataImport.authority_ref == found.urn,
        )
        .order_by(CallDataImport.id),
        justification=justification,
        target=found.ref,
        client=client,
        details={"call_data_resting_on": str(found.ref)},
    )
    return [
        {
            "id": i.id,
            "ref": str(i.ref),
            "file_name": i.file_name,
            "rows_loaded": i.rows_loaded,
            "first_event": i.first_event,
            "last_event": i.last_event,
            "unit": i.owning_unit,
            "synthetic": i.synthetic,
        }
        for i in got.records
    ]


def call_data_authority(
    engine: Engine,
    principal: Principal,
    reference: str,
    *,
    justification: str | None,
    at: datetime | None = None,
    client: str = "",
) -> AuthorisationView:
    """The communications-data authorisation a call-data import would rest on.

    ``reference`` is the import's authority reference (the authorisation's URN). It is
    refused (on ``authority_ref``) when the URN names an authorisation of another kind
    — directed surveillance does not authorise obtaining communications data — or one
    not in force at ``at``; not found when the caller sees no authorisation by that URN.
    """
    urn = _clean(reference)
    got = reads.consult(
        engine,
        principal,
        CovertAuthorisation,
        select(CovertAuthorisation).where(CovertAuthorisation.urn == urn),
        justification=justification,
        client=client,
        details={"urn": urn, "for": "a call-data import's authority"},
    )
    if not got.records:
        raise NotFoundError(f"authority_ref: no covert authorisation {urn} that you may see")
    comms = [r for r in got.records if r.authorisation_kind == COMMS_DATA]
    if not comms:
        other = got.records[0]
        raise _refuse(
            "authority_ref",
            f"{urn} is a {periods.period_for(other.authorisation_kind).title} authorisation, "
            "not communications data: call data obtained under IPA 2016 Part 3 rests on a "
            "communications-data authorisation",
        )
    found = comms[0]
    if at is not None and not in_force(found, at):
        raise _refuse(
            "authority_ref",
            f"{urn} was not in force at {local_text(at)} (granted {local_text(found.granted_at)}, "
            f"{status(found, at)})",
        )
    return view(found)


def _filtered(kind: str, state: str) -> tuple[Select[Any], dict[str, Any]]:
    stmt = select(CovertAuthorisation)
    details: dict[str, Any] = {}
    if kind:
        periods.period_for(kind)
        stmt = stmt.where(CovertAuthorisation.authorisation_kind == kind)
        details["authorisation_kind"] = kind
    if state:
        if state not in ("open", "cancelled"):
            raise InputError("status: open or cancelled")
        column = CovertAuthorisation.cancelled_at
        stmt = stmt.where(column.is_(None) if state == "open" else column.is_not(None))
        details["status"] = state
    return stmt.order_by(CovertAuthorisation.expires_at, CovertAuthorisation.id), details


def listing(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    kind: str = "",
    state: str = "",
    limit: int = 500,
    client: str = "",
) -> tuple[list[AuthorisationView], int]:
    """Authorisations the principal may see, soonest to expire first, and how many in all."""
    stmt, details = _filtered(kind, state)
    got = reads.consult(
        engine,
        principal,
        CovertAuthorisation,
        stmt,
        justification=justification,
        client=client,
        details=details,
    )
    now = models.utcnow()
    return [view(r, now) for r in got.records[:limit]], len(got.records)


def count(
    engine: Engine, principal: Principal, *, justification: str | None, client: str = ""
) -> int:
    """How many authorisations the principal may see (a logged consultation itself)."""
    return reads.count(
        engine, principal, CovertAuthorisation, justification=justification, client=client
    )


@dataclass(frozen=True)
class Flagged:
    """An authorisation with what must be said about it today."""

    authorisation: AuthorisationView
    alerts: tuple[Alert, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "authorisation": self.authorisation.to_json(),
            "alerts": [a.to_json() for a in self.alerts],
        }


def alerts(
    engine: Engine,
    principal: Principal,
    *,
    now: datetime | None = None,
    justification: str | None = None,
    client: str = "",
) -> list[Flagged]:
    """The caller's visible, uncancelled authorisations that have an alert on the UK day
    of ``now`` (default: the clock), most urgent first. A consultation, logged."""
    at = _now(now)
    got = reads.consult(
        engine,
        principal,
        CovertAuthorisation,
        select(CovertAuthorisation)
        .where(CovertAuthorisation.cancelled_at.is_(None))
        .order_by(CovertAuthorisation.expires_at, CovertAuthorisation.id),
        justification=justification,
        client=client,
        details={"alerts_on": periods.local_date(at).isoformat()},
    )
    out = []
    for found in got.records:
        raised = alerts_for(found, at)
        if raised:
            out.append(Flagged(view(found, at), tuple(raised)))
    severity = {k: i for i, k in enumerate(reversed(ALERT_KINDS))}
    out.sort(key=lambda f: min(severity[a.kind] for a in f.alerts))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = local_text(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    recipient: str,
    acknowledge_conditions: bool = False,
    kind: str = "",
    client: str = "",
) -> str:
    """Authorisations as CSV (formula-safe cells), logged as a disclosure to ``recipient``.

    Refused (logged as denied) to a role that may not write them; refused while any
    handling-code C authorisation's conditions are not acknowledged.
    """
    recipient = _clean(recipient)
    if not WRITE_COVERT.granted(principal.role) or not recipient:
        with unit_of_work(
            engine,
            principal,
            AuditAction.DISCLOSURE,
            RecordRef(AUTHORISATIONS.kind, "*"),
            client=client,
            recipient=recipient or None,
        ):
            _require_write_role(principal, "export")
            raise InputError("recipient: say who the export is for")
    stmt, details = _filtered(kind, "")
    got = reads.disclose(
        engine,
        principal,
        CovertAuthorisation,
        stmt,
        justification=justification,
        recipient=recipient,
        acknowledge_conditions=acknowledge_conditions,
        client=client,
        details={**details, "format": "csv"},
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for found in got.records:
        values = {
            **found.__dict__,
            "ref": str(found.ref),
            "unit": found.owning_unit,
            "handling": f"C: {found.handling_conditions}" if found.handling_conditions else "P",
        }
        writer.writerow([_cell(values.get(name)) for name in CSV_FIELDS])
    return out.getvalue()


__all__ = [
    "ALERT_KINDS",
    "READ_COVERT",
    "WRITE_COVERT",
    "Alert",
    "AuthorisationRefused",
    "AuthorisationView",
    "Flagged",
    "alerts",
    "alerts_for",
    "call_data_authority",
    "cancel",
    "count",
    "export_csv",
    "listing",
    "read",
    "record",
    "renew",
    "review",
    "share",
    "store",
]
