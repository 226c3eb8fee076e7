"""The fields of an authorisation and of its review, renewal and cancellation, declared once.

The web form, the API, the command line and the bulk template all check input with
these forms (:class:`harmwatch.kernel.forms.Form`), so a grant dated before its
application is refused in the same words everywhere. Times are Europe/London wall-clock
times (``HH:MM``), as the officer reads them off the form; the service turns them into
instants. What needs the clock or other records (a date in the future, a URN already
used, a renewal after expiry) is checked by :mod:`harmwatch.covert.authorisations`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time
from decimal import Decimal
from typing import Any

from harmwatch.kernel.forms import Field, Form, Problem

from .periods import kinds, period_for

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_URN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
#: Force practice, not statute: the Codes leave review frequency to the authorising officer.
DEFAULT_REVIEW_DAYS = 28


def parse_time(text: Any) -> time | None:
    match = _HHMM.fullmatch(str(text or "").strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _time_rule(name: str) -> Any:
    def rule(values: dict[str, Any]) -> Iterable[Problem | None]:
        raw = values.get(name)
        if raw and parse_time(raw) is None:
            yield Problem(name, f"{str(raw)[:20]!r} is not a time like 14:30 (24-hour, UK time)")

    return rule


def _authorisation_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    urn = values.get("urn")
    if urn and not _URN.fullmatch(urn):
        yield Problem("urn", "letters, digits and / . _ - only (the reference on the form)")
    applied, granted = values.get("applied_on"), values.get("granted_on")
    if applied and granted and granted < applied:
        yield Problem("granted_on", f"{granted} is before the application ({applied})")
    kind = values.get("authorisation_kind")
    if kind and values.get("urgent_oral") and period_for(kind).urgent_oral_hours is None:
        yield Problem(
            "urgent_oral",
            f"a {period_for(kind).title} authorisation has no urgent oral form in the periods table",
        )
    first = values.get("first_review_on")
    if first and granted and first < granted:
        yield Problem("first_review_on", f"{first} is before the grant ({granted})")


_TIME_GUIDANCE = "24-hour UK (Europe/London) time, e.g. 14:30"

AUTHORISATION_FORM = Form(
    kind="authorisation",
    title="covert authorisation",
    description=(
        "RIPA Part II directed and intrusive surveillance and CHIS (juvenile CHIS included), "
        "Police Act 1997 property interference, IPA 2016 Part 3 communications data"
    ),
    fields=(
        Field(
            "urn",
            "text",
            "the authorisation's unique reference number, as on the form (call-data imports "
            "under it give it as their authority reference)",
            required=True,
            max_length=64,
            label="URN",
        ),
        Field(
            "authorisation_kind",
            "choice",
            "what is authorised",
            required=True,
            choices=kinds(),
            label="Kind of authorisation",
        ),
        Field(
            "subject",
            "text",
            "who or what: the subject's names, or a description",
            required=True,
            max_length=500,
            label="Subject (names or description)",
        ),
        Field("operation", "text", "the operation's name, if any", max_length=120),
        Field("applied_on", "date", "the day the application was made", required=True),
        Field("applicant", "text", "the applicant: name and rank", required=True, max_length=120),
        Field(
            "authorised_by",
            "text",
            "the authorising officer's name",
            required=True,
            max_length=120,
            label="Authorising officer",
        ),
        Field(
            "authorising_rank",
            "text",
            "the authorising officer's rank (e.g. Superintendent)",
            required=True,
            max_length=60,
            label="Authorising officer's rank",
        ),
        Field("granted_on", "date", "the day it took effect", required=True, label="Granted on"),
        Field(
            "granted_time",
            "text",
            f"the time it took effect: {_TIME_GUIDANCE}",
            required=True,
            max_length=5,
            label="Granted at (time)",
        ),
        Field(
            "urgent_oral",
            "boolean",
            "granted orally in an urgent case (lasts 72 hours from the time it took effect)",
            label="Urgent oral authorisation",
        ),
        Field(
            "review_interval_days",
            "integer",
            f"days between reviews set by the authorising officer (empty: {DEFAULT_REVIEW_DAYS}, "
            "force practice)",
            minimum=Decimal(1),
            maximum=Decimal(366),
            label="Review every (days)",
        ),
        Field(
            "first_review_on",
            "date",
            "the first review's date, if the authorising officer set one (else by the interval)",
        ),
        Field("unit", "text", "your unit that owns it (empty: your first unit)", max_length=64),
        Field(
            "handling_conditions",
            "text",
            "handling code C: the conditions on sharing it (empty: handling code P)",
            max_length=1000,
        ),
    ),
    rules=(_time_rule("granted_time"), _authorisation_rules),
)

REVIEW_FORM = Form(
    kind="authorisation-review",
    title="review",
    fields=(
        Field("reviewed_on", "date", "the day of the review (empty: today)"),
        Field(
            "reviewed_by",
            "text",
            "the authorising officer who reviewed it",
            required=True,
            max_length=120,
        ),
        Field("notes", "text", "what the review decided", max_length=2000),
        Field("next_review_on", "date", "the next review's date (empty: by the interval)"),
    ),
)

RENEWAL_FORM = Form(
    kind="authorisation-renewal",
    title="renewal",
    fields=(
        Field("renewed_on", "date", "the day the renewal was granted (empty: today)"),
        Field(
            "renewed_time",
            "text",
            f"the time it was granted: {_TIME_GUIDANCE} (empty: now)",
            max_length=5,
        ),
        Field(
            "authorised_by",
            "text",
            "the authorising officer's name",
            required=True,
            max_length=120,
            label="Authorising officer",
        ),
        Field(
            "authorising_rank",
            "text",
            "the authorising officer's rank",
            required=True,
            max_length=60,
            label="Authorising officer's rank",
        ),
        Field("urgent_oral", "boolean", "renewed orally in an urgent case (72 hours)"),
    ),
    rules=(_time_rule("renewed_time"),),
)

CANCEL_FORM = Form(
    kind="authorisation-cancellation",
    title="cancellation",
    fields=(
        Field("cancelled_on", "date", "the day it was cancelled (empty: today)"),
        Field("cancelled_time", "text", f"{_TIME_GUIDANCE} (empty: now)", max_length=5),
        Field(
            "cancelled_by",
            "text",
            "who cancelled it (the authorising officer)",
            required=True,
            max_length=120,
        ),
        Field(
            "reason",
            "text",
            "why: the authorisation is no longer necessary or proportionate, the operation ended",
            required=True,
            max_length=2000,
        ),
    ),
    rules=(_time_rule("cancelled_time"),),
)
