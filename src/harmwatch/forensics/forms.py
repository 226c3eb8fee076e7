"""The fields of a forensic case, exhibit, custody event and result, declared once.

The command line, the API, a web form and a bulk import all check input with these
forms (:class:`harmwatch.kernel.forms.Form`), so an exhibit "received" before it was
"sent" is refused in the same words everywhere. Instants (an exhibit taken, a custody
event) are typed as UK wall-clock time (``2025-03-31 14:30``, Europe/London) or with
an explicit offset, and stored as UTC. What needs the clock or other records (a date
in the future, a reference already used, a laboratory of another provider) is checked
by the service (:mod:`harmwatch.forensics.casework`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from harmwatch.crimes.offences import normalise_code, offence_classes
from harmwatch.kernel.forms import Field, Form, Problem

LONDON = ZoneInfo("Europe/London")

#: Road Traffic Act 1988 offences that are not Home Office notifiable classes.
ROAD_TRAFFIC_OFFENCES = {
    "RTA1": "Causing death by dangerous driving (Road Traffic Act 1988 s.1)",
    "RTA3A": "Causing death by careless driving when under the influence of drink or drugs "
    "(Road Traffic Act 1988 s.3A)",
    "RTA5A": "Driving with a specified controlled drug above the specified limit "
    "(Road Traffic Act 1988 s.5A)",
    "RTA4": "Driving or in charge when unfit through drink or drugs (Road Traffic Act 1988 s.4)",
}

CJ_STATUSES = (
    "under-investigation",
    "charged",
    "awaiting-trial",
    "convicted",
    "acquitted",
    "discontinued",
)
#: Statuses that end the case: each needs the day it was decided.
DECIDED = ("convicted", "acquitted", "discontinued")
#: Statuses of a case still going through the criminal justice system.
LIVE_STATUSES = frozenset(set(CJ_STATUSES) - set(DECIDED))
CUSTODY_STATUSES = ("in-custody", "remanded", "bailed", "released", "not-applicable")
COURTS = ("magistrates", "crown")
EXHIBIT_TYPES = ("blood", "urine", "oral-fluid", "hair", "drug-exhibit", "other")
CUSTODY_ACTIONS = (
    "seized",
    "sealed",
    "transferred",
    "received",
    "opened",
    "sampled",
    "resealed",
    "stored",
    "returned",
    "destroyed",
)
CONDITIONS = ("intact", "damaged", "leaking", "seal-broken")
#: An exhibit's dates, in the order they must fall (each on or after the one before).
EXHIBIT_DATES = ("taken_at", "sent_on", "received_on", "tested_on", "reported_on")

_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(:\d{2})?)")
# A result below or above a reporting limit is kept as the laboratory wrote it.
_QUALIFIED = re.compile(r"(<|>|<=|>=|≤|≥)\s*(LOQ|LOD|LLOQ|ULOQ|\d+(\.\d+)?)", re.IGNORECASE)
_NOT_FOUND = ("not detected", "nd", "negative")


def offence_title(code: str) -> str | None:
    """The offence a code names: a Road Traffic Act code or a Home Office offence class."""
    key = code.strip().upper()
    if key in ROAD_TRAFFIC_OFFENCES:
        return ROAD_TRAFFIC_OFFENCES[key]
    found = offence_classes().get(normalise_code(key))
    return found.description if found else None


def offence_code(code: str) -> str:
    key = code.strip().upper()
    return key if key in ROAD_TRAFFIC_OFFENCES else normalise_code(key)


def parse_instant(raw: Any) -> datetime | None:
    """An instant typed as UK local time (``2025-03-31 14:30``) or with an offset, in UTC.

    None when it cannot be read, or names a UK time that does not exist (the hour the
    clocks go forward).
    """
    if isinstance(raw, datetime):
        at = raw
    else:
        text = str(raw or "").strip()
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            return None
        if at.tzinfo is None and not _LOCAL.fullmatch(text):
            return None  # a bare date is not an instant
    if at.tzinfo is None:
        local = at.replace(tzinfo=LONDON)
        if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != at:
            return None
        return local.astimezone(UTC)
    return at.astimezone(UTC)


def local_text(at: datetime) -> str:
    """An instant as UK wall-clock time with its zone (``2025-03-31 14:30 BST``)."""
    return at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %Z")


def result_value(raw: Any) -> str | None:
    """A result's value as given: a decimal, ``<LOQ``-style, or "not detected"; None if not."""
    text = " ".join(str(raw or "").split())
    try:
        if Decimal(text).is_finite():
            return text
    except InvalidOperation:
        pass
    if _QUALIFIED.fullmatch(text) or text.lower() in _NOT_FOUND:
        return text
    return None


def _reference_rule(values: dict[str, Any]) -> Iterable[Problem | None]:
    reference = values.get("reference")
    if reference and not _REFERENCE.fullmatch(reference):
        yield Problem("reference", "letters, digits and / . _ - only, at most 64")


def _instant_rule(name: str) -> Any:
    def rule(values: dict[str, Any]) -> Iterable[Problem | None]:
        raw = values.get(name)
        if raw and parse_instant(raw) is None:
            yield Problem(
                name,
                f"{str(raw)[:30]!r} is not a UK time like 2025-03-31 14:30 (Europe/London), "
                "or one that does not exist (the clocks went forward)",
            )

    return rule


def status_problems(values: dict[str, Any]) -> list[Problem]:
    """A case's criminal-justice status and the dates it needs (given the whole case)."""
    problems = []
    status = values.get("cj_status")
    if status == "awaiting-trial" and not values.get("next_hearing_on"):
        problems.append(Problem("next_hearing_on", "a case awaiting trial has its next hearing"))
    if status in DECIDED and not values.get("decided_on"):
        problems.append(Problem("decided_on", f"a case {status} says the day it was decided"))
    if status and status not in DECIDED and values.get("decided_on"):
        problems.append(Problem("decided_on", f"a case {status} has not been decided"))
    return problems


def _case_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    code = values.get("offence_code")
    if code and offence_title(code) is None:
        yield Problem(
            "offence_code",
            f"{code!r} is neither a Home Office offence class (e.g. 92A) nor "
            f"{' nor '.join(ROAD_TRAFFIC_OFFENCES)}",
        )
    yield from status_problems(values)


def exhibit_date_problems(values: dict[str, Any]) -> list[Problem]:
    """Each of an exhibit's dates on or after the one before it (the UK day of taken_at)."""
    problems = []
    latest: tuple[str, date] | None = None
    for name in EXHIBIT_DATES:
        raw = values.get(name)
        if raw is None:
            continue
        day = raw.astimezone(LONDON).date() if isinstance(raw, datetime) else raw
        if latest is not None and day < latest[1]:
            problems.append(
                Problem(name, f"{day} is before {latest[0].replace('_', ' ')} ({latest[1]})")
            )
            continue
        latest = (name, day)
    return problems


def _exhibit_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    typed = dict(values)
    typed["taken_at"] = parse_instant(values.get("taken_at")) if values.get("taken_at") else None
    if values.get("laboratory_id") and not values.get("provider_id"):
        yield Problem("laboratory_id", "a laboratory belongs to a provider: give provider_id")
    if values.get("remaining_quantity") is not None and not values.get("remaining_unit"):
        yield Problem("remaining_unit", "the unit of the remaining quantity (e.g. mL, g)")
    yield from exhibit_date_problems(typed)


def _result_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    value = values.get("value")
    if value and result_value(value) is None:
        yield Problem(
            "value",
            f"{value[:40]!r}: a number (e.g. 4.2), a qualified value (<LOQ, <2, >1000) or "
            "'not detected'",
        )


_UNIT = Field("unit", "text", "your unit that owns it (empty: your first unit)", max_length=64)
_CONDITIONS = Field(
    "handling_conditions",
    "text",
    "handling code C: the conditions on sharing it (empty: handling code P)",
    max_length=1000,
)

CASE_FORM = Form(
    kind="forensic-case",
    title="forensic case",
    fields=(
        Field(
            "reference",
            "text",
            "the case's reference (unique in the force)",
            required=True,
            max_length=64,
        ),
        Field(
            "offence_code",
            "text",
            "a Home Office offence class (e.g. 92A), or RTA5A (drug driving, s.5A) or RTA4 "
            "(unfit through drugs, s.4)",
            required=True,
            max_length=16,
        ),
        Field("offence", "text", "the offence in words (empty: the code's title)", max_length=300),
        Field(
            "cj_status",
            "choice",
            "where the case stands in the criminal justice process",
            required=True,
            choices=CJ_STATUSES,
            label="Criminal-justice status",
        ),
        Field("next_hearing_on", "date", "the next hearing (required awaiting trial)"),
        Field("decided_on", "date", "the day of the verdict or discontinuance"),
        Field("court", "choice", "the court hearing it", choices=COURTS),
        Field(
            "custody_status",
            "choice",
            "the suspect's or defendant's custody",
            required=True,
            choices=CUSTODY_STATUSES,
        ),
        Field(
            "officer_in_charge", "text", "the officer in the case", required=True, max_length=120
        ),
        Field(
            "subject_label",
            "text",
            "the suspect or defendant, as known",
            required=True,
            max_length=200,
            label="Subject",
        ),
        _UNIT,
        _CONDITIONS,
    ),
    rules=(_reference_rule, _case_rules),
)

CASE_STATUS_FORM = Form(
    kind="forensic-case-status",
    title="case status",
    fields=(
        Field("cj_status", "choice", "the new criminal-justice status", choices=CJ_STATUSES),
        Field("next_hearing_on", "date", "the next hearing"),
        Field("decided_on", "date", "the day of the verdict or discontinuance"),
        Field("court", "choice", "the court hearing it", choices=COURTS),
        Field("custody_status", "choice", "the custody status", choices=CUSTODY_STATUSES),
    ),
)

EXHIBIT_FORM = Form(
    kind="forensic-exhibit",
    title="exhibit",
    fields=(
        Field("case_id", "integer", "the case's id", required=True, minimum=Decimal(1)),
        Field(
            "reference",
            "text",
            "the exhibit's reference (unique in the force)",
            required=True,
            max_length=64,
        ),
        Field("exhibit_type", "choice", "what it is", required=True, choices=EXHIBIT_TYPES),
        Field("test_requested", "text", "the test asked for", required=True, max_length=300),
        Field("provider_id", "integer", "the forensic provider's id", minimum=Decimal(1)),
        Field("laboratory_id", "integer", "the laboratory's id (of that provider)"),
        Field("analyst", "text", "the analyst who tested it", max_length=120),
        Field(
            "taken_at",
            "text",
            "when it was taken: UK time, e.g. 2025-03-31 14:30",
            required=True,
            max_length=40,
        ),
        Field("sent_on", "date", "sent to the laboratory"),
        Field("received_on", "date", "received by the laboratory"),
        Field("tested_on", "date", "tested"),
        Field("reported_on", "date", "result reported"),
        Field("remaining_quantity", "decimal", "how much is left", minimum=Decimal(0)),
        Field("remaining_unit", "text", "the unit of what is left (mL, g)", max_length=16),
        Field("storage_location", "text", "where it is stored", max_length=300),
        _UNIT,
        _CONDITIONS,
    ),
    rules=(_reference_rule, _instant_rule("taken_at"), _exhibit_rules),
)

#: What may change on an exhibit after it is recorded (dates, what is left, where).
EXHIBIT_UPDATE_FIELDS = (
    "analyst",
    "sent_on",
    "received_on",
    "tested_on",
    "reported_on",
    "remaining_quantity",
    "remaining_unit",
    "storage_location",
)

CUSTODY_FORM = Form(
    kind="forensic-custody-event",
    title="custody event",
    fields=(
        Field("at", "text", "when: UK time, e.g. 2025-03-31 14:30", required=True, max_length=40),
        Field("action", "choice", "what was done", required=True, choices=CUSTODY_ACTIONS),
        Field(
            "handled_by",
            "text",
            "who did it (name, and role or collar number)",
            required=True,
            max_length=120,
        ),
        Field(
            "location",
            "text",
            "where (for a transfer: where it is sent to)",
            required=True,
            max_length=300,
        ),
        Field("seal_number", "text", "the seal's number, as on the bag", max_length=40),
        Field("condition", "choice", "the exhibit's condition as found", choices=CONDITIONS),
        Field("notes", "text", "anything else", max_length=2000),
    ),
    rules=(_instant_rule("at"),),
)

RESULT_FORM = Form(
    kind="forensic-result",
    title="result",
    fields=(
        Field("analyte", "text", "what was measured (e.g. THC)", required=True, max_length=64),
        Field(
            "value",
            "text",
            "as reported: a number, or <LOQ, <2, not detected",
            required=True,
            max_length=40,
        ),
        Field("unit", "text", "e.g. µg/L", required=True, max_length=16),
        Field("method", "text", "the method (e.g. LC-MS/MS)", max_length=300),
        Field(
            "uncertainty",
            "decimal",
            "the measurement uncertainty, ± in the unit",
            minimum=Decimal(0),
        ),
        Field("reported_on", "date", "the day it was reported"),
        Field("amendment_reason", "text", "why an earlier result is amended", max_length=1000),
    ),
    rules=(_result_rules,),
)

PROVIDER_FORM = Form(
    kind="forensic-provider",
    title="forensic provider",
    fields=(
        Field("name", "text", "the provider's name", required=True, max_length=120),
        Field("accreditation_body", "text", "who accredits it (empty: UKAS)", max_length=120),
        Field("accreditation_number", "text", "the accreditation's number", max_length=40),
        Field(
            "accreditation_scope",
            "text",
            "the ISO/IEC 17025 scope: tests and methods accredited",
            max_length=2000,
        ),
        Field("accredited_from", "date", "accredited from"),
        Field("accredited_until", "date", "accredited until (empty: open)"),
        Field("fictional", "boolean", "a made-up provider (demo and tests)"),
    ),
)

LABORATORY_FORM = Form(
    kind="forensic-laboratory",
    title="laboratory",
    fields=(
        Field("name", "text", "the laboratory's name", required=True, max_length=120),
        Field("site", "text", "where it is", max_length=300),
    ),
)

__all__ = [
    "CASE_FORM",
    "CASE_STATUS_FORM",
    "CJ_STATUSES",
    "CONDITIONS",
    "COURTS",
    "CUSTODY_ACTIONS",
    "CUSTODY_FORM",
    "CUSTODY_STATUSES",
    "DECIDED",
    "EXHIBIT_DATES",
    "EXHIBIT_FORM",
    "EXHIBIT_TYPES",
    "LABORATORY_FORM",
    "PROVIDER_FORM",
    "RESULT_FORM",
    "ROAD_TRAFFIC_OFFENCES",
    "exhibit_date_problems",
    "local_text",
    "offence_code",
    "offence_title",
    "parse_instant",
    "result_value",
    "status_problems",
]
