"""The drug-driving limits (Road Traffic Act 1988 s.5A) as a dated, sourced table, and the
law a blood sample is judged under on the day it was taken.

The table (``data/drug_driving_limits.csv``) holds each specified drug's limit in
microgrammes per litre of blood, the day it came into force and the instrument that
set it: The Drug Driving (Specified Limits) (England and Wales) Regulations 2014
(SI 2014/2868), in force from 2 March 2015, and the amending SI 2015/911, which added
amphetamine from 14 April 2015. A force that must add a drug changes the table, not
the code.

**The law of the sample's date.** s.5A is not retrospective: a sample taken before a
drug's limit came into force (judged on its UK calendar day) has no s5A threshold; the
offence of its date was driving while unfit through drugs (RTA 1988 s.4), which turns
on impairment, not on a concentration, so :func:`threshold_for` answers no limit and
says so. The limits are set for blood; a urine or other sample gets none either.

**Where a value lies** (:func:`position`): with a result ``v ± U`` (U the expanded
measurement uncertainty the laboratory reports, 0 when none is given) and the limit L,

- ``above`` when ``v - U > L`` — even the lowest value the measurement supports exceeds
  the limit (s.5A: "exceeds the specified limit");
- ``below`` when ``v + U < L``;
- ``within`` otherwise: ``|v - L| <= U``, the measurement cannot say which side it is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UNIT = "ug/L"  # microgrammes per litre, as the table and the regulations state them
PRE_S5A = "RTA 1988 s.4 (driving or in charge when unfit through drugs)"

Position = Literal["above", "below", "within"]

# Names laboratories report an analyte under, mapped to the table's key.
_ALIASES = {
    "thc": "delta-9-tetrahydrocannabinol",
    "delta-9-thc": "delta-9-tetrahydrocannabinol",
    "δ9-thc": "delta-9-tetrahydrocannabinol",
    "tetrahydrocannabinol": "delta-9-tetrahydrocannabinol",
    "lsd": "lysergic-acid-diethylamide",
    "lysergic acid diethylamide": "lysergic-acid-diethylamide",
    "methamphetamine": "methylamphetamine",
    "bze": "benzoylecgonine",
    "3,4-methylenedioxymethamphetamine": "mdma",
    "6-mam": "6-monoacetylmorphine",
    "6-acetylmorphine": "6-monoacetylmorphine",
}
# Units a result may come in, as the factor to µg/L.
_UNITS = {
    "ug/l": Decimal(1),
    "µg/l": Decimal(1),
    "μg/l": Decimal(1),
    "ng/ml": Decimal(1),
    "mg/l": Decimal(1000),
    "ng/l": Decimal("0.001"),
}


@dataclass(frozen=True)
class Limit:
    analyte: str
    title: str
    limit: Decimal  # µg/L in blood
    in_force_from: date
    statute: str
    instrument: str
    source_title: str
    checked_on: date

    def describe(self) -> str:
        return (
            f"{self.statute} limit for {self.title}: {self.limit} µg/L in blood "
            f"({self.instrument}, in force from {self.in_force_from.isoformat()})"
        )


@dataclass(frozen=True)
class Threshold:
    """What a sample's result is judged against: a limit, or why there is none."""

    limit: Limit | None
    basis: str  # in words: the limit, or the law of the sample's date

    @property
    def value(self) -> Decimal | None:
        return self.limit.limit if self.limit else None


@cache
def limits() -> dict[str, Limit]:
    """Every specified drug's limit, by analyte key (from the bundled table)."""
    text = resources.files("harmwatch.forensics").joinpath("data/drug_driving_limits.csv")
    out: dict[str, Limit] = {}
    for line, row in enumerate(csv.DictReader(text.read_text(encoding="utf-8").splitlines()), 2):
        try:
            if row["unit"] != UNIT or row["matrix"] != "blood":
                raise ValueError(f"limits are µg/L in blood, got {row['unit']} {row['matrix']}")
            out[row["analyte"]] = Limit(
                analyte=row["analyte"],
                title=row["title"],
                limit=Decimal(row["limit"]),
                in_force_from=date.fromisoformat(row["in_force_from"]),
                statute=row["statute"],
                instrument=row["instrument"],
                source_title=row["source_title"],
                checked_on=date.fromisoformat(row["checked_on"]),
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise RuntimeError(
                f"forensics/data/drug_driving_limits.csv line {line}: {exc}"
            ) from exc
    return out


def canonical(analyte: str) -> str:
    """The table's key for an analyte as a laboratory names it (case and aliases ignored)."""
    name = " ".join(analyte.strip().lower().split())
    name = _ALIASES.get(name, name)
    return _ALIASES.get(name.replace(" ", "-"), name.replace(" ", "-"))


def limit_of(analyte: str) -> Limit | None:
    return limits().get(canonical(analyte))


def to_ug_per_l(value: Decimal, unit: str) -> Decimal | None:
    """``value`` in ``unit`` as µg/L (None: a unit that is not a mass concentration)."""
    factor = _UNITS.get(unit.strip().lower().replace(" ", ""))
    return None if factor is None else value * factor


def local_day(taken_at: datetime) -> date:
    """The UK calendar day of an instant (the day the law of the sample's date is read on)."""
    if taken_at.tzinfo is None:
        raise ValueError("taken_at must be timezone-aware")
    return taken_at.astimezone(LONDON).date()


def threshold_for(analyte: str, exhibit_type: str, taken_at: datetime) -> Threshold:
    """The s5A limit a result of ``analyte`` on a sample taken at ``taken_at`` is judged by."""
    limit = limit_of(analyte)
    if limit is None:
        return Threshold(None, f"{analyte} is not a drug specified under RTA 1988 s.5A")
    if exhibit_type.strip().lower() != "blood":
        return Threshold(None, f"s.5A limits are set in blood; this sample is {exhibit_type}")
    day = local_day(taken_at)
    if day < limit.in_force_from:
        return Threshold(
            None,
            f"sample taken {day.isoformat()}, before the s.5A limit for {limit.title} came into "
            f"force ({limit.in_force_from.isoformat()}, {limit.instrument}): judged under the law "
            f"of its date, {PRE_S5A}, which turns on impairment — no concentration threshold",
        )
    return Threshold(limit, limit.describe())


def position(value: Decimal, uncertainty: Decimal, limit: Decimal) -> Position:
    """Where ``value ± uncertainty`` lies against ``limit`` (the rule in the module docstring)."""
    if value - uncertainty > limit:
        return "above"
    if value + uncertainty < limit:
        return "below"
    return "within"
