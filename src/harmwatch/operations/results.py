"""The kinds of operational result, each declared once as a form.

Every result has the same head — the day it happened, the force where it happened,
the officer in the case, an optional reference (custody number, warrant number) and
the operation it belongs to — and fields of its own, declared here. The web form,
the API, the bulk template and the import all check a result with its form, so a
warrant executed before it was granted is refused with the same words everywhere.

County lines closed follow the Home Office County Lines Programme's definitions:

- **Type 1**: the line holder arrested and charged, and the line confirmed out of
  use (so ``holder``, ``charged`` = yes and ``confirmed_out_of_use`` = yes);
- **Type 2**: the number or SIM deactivated without a charge (``deactivated_on``).

Each closure has a check-back date; :mod:`harmwatch.operations.checkback` flags a
closure whose number, or a new number serving its customers, shows up again in later
call data or intelligence.

OCG disruptions are graded major, moderate or minor (the national OCG disruption
scale: major — the group's capability is dismantled or its core members imprisoned;
moderate — significant, sustained effect; minor — some effect, short-lived), and
each must say what the evidence is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from harmwatch.kernel.forms import Field, Form, Problem

DRUGS = (
    "cannabis",
    "cocaine",
    "crack-cocaine",
    "heroin",
    "mdma",
    "ketamine",
    "amphetamine",
    "methamphetamine",
    "synthetic-cannabinoids",
    "benzodiazepines",
    "nitazenes",
    "other",
)
FORMS = (
    "herbal",
    "resin",
    "plants",
    "powder",
    "rock",
    "tablets",
    "wraps",
    "liquid",
    "paper",
    "other",
)
UNITS = ("g", "kg", "tablet", "plant", "wrap", "ml")
CLOSURE_TYPES = ("type-1", "type-2")
DISRUPTION_LEVELS = ("major", "moderate", "minor")
_HO_CODE = re.compile(r"[0-9]{1,3}[A-Z]?(\.[0-9]{1,2})?")


def head_fields(*, operation_required: bool = False) -> tuple[Field, ...]:
    """The fields every result has, first in its template."""
    return (
        Field(
            "operation",
            "text",
            "the operation's name, as recorded (empty: business as usual)",
            required=operation_required,
            max_length=120,
        ),
        Field("occurred_on", "date", "the day it happened", required=True, label="Date"),
        Field(
            "force",
            "text",
            "the force where it happened (police.uk slug, e.g. hertfordshire); empty: yours",
            max_length=64,
        ),
        Field(
            "officer",
            "text",
            "the officer in the case: name or collar number",
            required=True,
            max_length=120,
        ),
        Field(
            "reference",
            "text",
            "a reference of your own: custody number, warrant number, exhibit",
            max_length=80,
        ),
    )


HEAD = head_fields()
Rule = Callable[[dict[str, Any]], Iterable[Problem | None]]
HEAD_NAMES = tuple(f.name for f in HEAD)


def _order(first: str, second: str, what: str) -> Rule:
    def rule(values: dict[str, Any]) -> Iterable[Problem | None]:
        a, b = values.get(first), values.get(second)
        if a is not None and b is not None and b < a:
            yield Problem(second, f"{b} is before {what} ({a})")

    return rule


def _not_after_day(name: str) -> Rule:
    def rule(values: dict[str, Any]) -> Iterable[Problem | None]:
        day, value = values.get("occurred_on"), values.get(name)
        if day is not None and value is not None and value > day:
            yield Problem(name, f"{value} is after the result's date ({day})")

    return rule


def _warrant_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    if values.get("outcome") not in (None, "not-executed") and values.get("executed_on") is None:
        yield Problem("executed_on", "a warrant with an outcome was executed: give the day")
    if values.get("executed_on") is not None and values.get("granted_on") is None:
        yield Problem("granted_on", "an executed warrant was granted: give the day")


def _charge_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    from harmwatch.crimes.offences import normalise_code, offence_classes

    codes = values.get("offence_codes") or ()
    known = offence_classes()
    for code in codes:
        normal = normalise_code(code)
        if not _HO_CODE.fullmatch(normal) or normal not in known:
            yield Problem(
                "offence_codes",
                f"{code!r} is not a Home Office offence class in the bundled table "
                "(crimes/data/ho_offence_classes.csv), e.g. 92A trafficking in controlled drugs",
            )
    count = values.get("offence_count")
    if count is not None and codes and count < len(codes):
        yield Problem(
            "offence_count",
            f"{count} is fewer than the {len(codes)} offence classes listed",
        )


def _closure_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    kind = values.get("closure_type")
    if kind == "type-1":
        if not values.get("holder"):
            yield Problem("holder", "a Type 1 closure names the line holder arrested and charged")
        if values.get("charged") is not True:
            yield Problem(
                "charged", "a Type 1 closure needs the holder charged (else it is Type 2)"
            )
        if values.get("confirmed_out_of_use") is not True:
            yield Problem(
                "confirmed_out_of_use", "a Type 1 closure needs the line confirmed out of use"
            )
    if kind == "type-2":
        if values.get("deactivated_on") is None:
            yield Problem(
                "deactivated_on", "a Type 2 closure is the number or SIM deactivated: give the day"
            )
        if values.get("charged") is True:
            yield Problem(
                "charged", "a closure with the holder charged is Type 1 (if confirmed out of use)"
            )
    check_back, day = values.get("check_back_on"), values.get("occurred_on")
    if check_back is not None and day is not None and check_back <= day:
        yield Problem("check_back_on", f"{check_back} is not after the closure ({day})")


def _cash_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    amount, forfeited = values.get("amount"), values.get("forfeited_amount")
    if amount is not None and forfeited is not None and forfeited > amount:
        yield Problem("forfeited_amount", "more than was seized")
    if (forfeited is None) != (values.get("forfeited_on") is None):
        yield Problem("forfeited_on", "give the forfeited amount and its day together")


def _factory_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    if not values.get("plants") and not values.get("kg"):
        yield Problem("plants", "give the plants, the kilograms, or both")


def _seizure_rules(values: dict[str, Any]) -> Iterable[Problem | None]:
    if values.get("purity_percent") is not None and values.get("tested") is not True:
        yield Problem("tested", "a purity comes from a test: say it was tested")
    quantity = values.get("quantity")
    if quantity is not None and quantity <= 0:
        yield Problem("quantity", "more than nothing")


def _form(kind: str, title: str, fields: tuple[Field, ...], *rules: Any) -> Form:
    return Form(kind, title, (*HEAD, *fields), rules=tuple(rules))


RESULT_FORMS: dict[str, Form] = {
    form.kind: form
    for form in (
        _form(
            "warrant",
            "warrant",
            (
                Field("premises", "text", "the premises searched: address", required=True),
                Field(
                    "power",
                    "choice",
                    "the power it was issued under",
                    required=True,
                    choices=("misuse-of-drugs-act-s23", "pace-s8", "other"),
                ),
                Field("applied_on", "date", "the day it was applied for", required=True),
                Field("granted_on", "date", "the day a justice granted it (empty: refused)"),
                Field("executed_on", "date", "the day it was executed (empty: not yet)"),
                Field(
                    "outcome",
                    "choice",
                    "what the search found",
                    choices=(
                        "drugs-found",
                        "cash-found",
                        "drugs-and-cash-found",
                        "weapons-found",
                        "nothing-found",
                        "not-executed",
                    ),
                ),
            ),
            _order("applied_on", "granted_on", "the application"),
            _order("granted_on", "executed_on", "the grant"),
            _not_after_day("executed_on"),
            _warrant_rules,
        ),
        _form(
            "arrest",
            "arrest",
            (
                Field("person", "text", "who was arrested: name", required=True, max_length=120),
                Field("offence", "text", "on suspicion of what", required=True),
            ),
        ),
        _form(
            "charge",
            "charge",
            (
                Field("person", "text", "who was charged: name", required=True, max_length=120),
                Field(
                    "offence_codes",
                    "choices",
                    "Home Office offence classes charged, e.g. 92A; 92E",
                    required=True,
                    choices=(),
                ),
                Field(
                    "offence_count",
                    "integer",
                    "how many offences were charged (counts, not classes)",
                    required=True,
                    minimum=Decimal(1),
                    maximum=Decimal(10000),
                ),
            ),
            _charge_rules,
        ),
        _form(
            "out-of-court-disposal",
            "out-of-court disposal",
            (
                Field("person", "text", "who received it: name", required=True, max_length=120),
                Field(
                    "disposal",
                    "choice",
                    "the disposal given",
                    required=True,
                    choices=(
                        "community-resolution",
                        "conditional-caution",
                        "simple-caution",
                        "cannabis-warning",
                        "penalty-notice",
                        "diversion",
                    ),
                ),
                Field("offence", "text", "for what", required=True),
            ),
        ),
        _form(
            "line-closure",
            "county line closed",
            (
                Field("line_name", "text", "the line's name, e.g. Deano", required=True),
                Field(
                    "number",
                    "text",
                    "the deal line's number, e.g. 07700 900123",
                    required=True,
                    max_length=40,
                ),
                Field(
                    "closure_type",
                    "choice",
                    "Type 1 (holder charged, line out of use) or Type 2 (number deactivated)",
                    required=True,
                    choices=CLOSURE_TYPES,
                ),
                Field("holder", "text", "the line holder (Type 1)", max_length=120),
                Field("charged", "boolean", "the holder was charged"),
                Field("confirmed_out_of_use", "boolean", "the line was confirmed out of use"),
                Field("deactivated_on", "date", "the day the number or SIM was deactivated"),
                Field(
                    "check_back_on",
                    "date",
                    "when to check the line has not come back (empty: 28 days on)",
                ),
                Field(
                    "line_entity_id",
                    "integer",
                    "the county line's intelligence entity id, if known",
                    minimum=Decimal(1),
                ),
            ),
            _closure_rules,
        ),
        _form(
            "ocg-disruption",
            "OCG disruption",
            (
                Field("ocg", "text", "the organised crime group's name", required=True),
                Field(
                    "ocg_entity_id",
                    "integer",
                    "the OCG's intelligence entity id, if known",
                    minimum=Decimal(1),
                ),
                Field(
                    "level",
                    "choice",
                    "major, moderate or minor",
                    required=True,
                    choices=DISRUPTION_LEVELS,
                ),
                Field(
                    "evidence",
                    "text",
                    "what shows the disruption (charges, assets, capability lost)",
                    required=True,
                    max_length=2000,
                ),
            ),
        ),
        _form(
            "cannabis-factory",
            "cannabis factory dismantled",
            (
                Field("premises", "text", "the premises: address", required=True),
                Field(
                    "plants", "integer", "plants seized", minimum=Decimal(0), maximum=Decimal(10**6)
                ),
                Field("kg", "decimal", "kilograms seized", minimum=Decimal(0)),
            ),
            _factory_rules,
        ),
        _form(
            "cash-seizure",
            "cash seized",
            (
                Field(
                    "amount",
                    "money",
                    "cash seized, in pounds",
                    required=True,
                    minimum=Decimal("0.01"),
                ),
                Field(
                    "power",
                    "choice",
                    "the power it was seized under",
                    required=True,
                    choices=("poca-s294", "poca-s47", "pace-s19", "other"),
                ),
                Field(
                    "forfeited_amount",
                    "money",
                    "forfeited by the court (POCA s.298), in pounds",
                    minimum=Decimal(0),
                ),
                Field("forfeited_on", "date", "the day of the forfeiture order"),
            ),
            _cash_rules,
            _order("occurred_on", "forfeited_on", "the seizure"),
        ),
        _form(
            "weapon-recovery",
            "weapons recovered",
            (
                Field(
                    "weapon",
                    "choice",
                    "what was recovered",
                    required=True,
                    choices=("firearm", "ammunition", "knife", "other-bladed", "other"),
                ),
                Field(
                    "count",
                    "integer",
                    "how many",
                    required=True,
                    minimum=Decimal(1),
                    maximum=Decimal(100000),
                ),
            ),
        ),
        _form(
            "drug-seizure",
            "drugs seized",
            (
                Field("drug", "choice", "the drug", required=True, choices=DRUGS),
                Field("form", "choice", "its form", required=True, choices=FORMS),
                Field(
                    "quantity",
                    "decimal",
                    "how much, in the unit",
                    required=True,
                    minimum=Decimal(0),
                ),
                Field("unit", "choice", "the unit of the quantity", required=True, choices=UNITS),
                Field("tested", "boolean", "a laboratory tested it"),
                Field(
                    "purity_percent",
                    "decimal",
                    "purity found by the test, %",
                    minimum=Decimal(0),
                    maximum=Decimal(100),
                ),
                Field("location", "text", "where it was seized", required=True),
                Field(
                    "price_region",
                    "text",
                    "the price table's region to value it by (empty: the force's, else national)",
                    max_length=64,
                ),
            ),
            _seizure_rules,
        ),
    )
}
RESULT_KINDS: tuple[str, ...] = tuple(RESULT_FORMS)
#: A result's own fields (beyond the head) that name a person, withheld from summaries.
PERSON_FIELDS = ("person", "holder")


def result_form(kind: str) -> Form:
    from harmwatch.errors import InputError

    try:
        return RESULT_FORMS[kind]
    except KeyError:
        raise InputError(f"result kind {kind!r}; kinds are: {', '.join(RESULT_KINDS)}") from None


def default_check_back(closed_on: date) -> date:
    """28 days after a closure, unless the officer sets another day."""
    from datetime import timedelta

    return closed_on + timedelta(days=28)
