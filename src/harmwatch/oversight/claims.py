"""Check a claim: is "up almost nine per cent" more than chance?

A published figure ("hate crimes 1,208 … an increase of 97 from the same period
last year – almost nine per cent") compares two counts. Police-recorded crimes in
a period are a Poisson count, and so is the earlier period's; :func:`compare`
gives the exact conditional rate ratio of the two (:func:`harmwatch.evaluation.
rates.rate_ratio_exact`: conditional on the total ``n = a + b`` the later count is
``Binomial(n, p)`` with ``p = r·ta/(r·ta + tb)``, and the Clopper–Pearson interval
for ``p`` maps onto ``r = p/(1 − p) · tb/ta``), the percentage change with its
interval ``100·(r − 1)``, the two-sided exact p-value for "no change", and one
sentence that says where the change sits against chance. No data are needed:
anyone's two quoted counts can be checked, with the months each covers when the
periods differ in length (the comparison is then per month).

The grades
----------
The sentence grades the two-sided p-value of the exact test of ``r = 1``:

- **well beyond what chance alone produces**: ``p < 0.01`` — a change this size
  would arise by chance less than once in a hundred comparisons;
- **only just beyond what chance alone produces**: ``0.01 ≤ p < 0.05`` — past the
  conventional line, but one comparison in twenty crosses it by chance, and a
  report of twenty measures should expect one such "change" among them;
- **within what chance alone produces**: ``p ≥ 0.05`` — do not report it as a rise
  or a fall.

The two thresholds are Fisher's conventional 5 % and 1 % levels (Fisher, R. A.,
1925, *Statistical Methods for Research Workers*, §20). With no events in either
period nothing can be said, and the sentence says so.

Chance is only one reason a count moves. :func:`check_claim` adds the caveats
that no test can remove: police-generated offences (drugs, weapons possession)
rise where police look (:mod:`harmwatch.evaluation.recording`); recording
practice changes move counts with no change in crime; and a period chosen because
the one before it was bad is usually followed by a better one with no cause at all
(regression to the mean: Barnett, A. G., van der Pols, J. C. and Dobson, A. J.,
2005, "Regression to the mean: what it is and how to deal with it", *International
Journal of Epidemiology* 34: 215–220).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harmwatch.errors import InputError
from harmwatch.evaluation.rates import RateRatio, p_text, rate_ratio_exact
from harmwatch.evaluation.recording import POLICE_GENERATED

WELL_BEYOND_P = 0.01
BEYOND_P = 0.05
CONF_LEVEL = 0.95
SMALL_COUNT = 20  # as evaluation.evaluate: below this a percentage swings widely by chance


class Grade(StrEnum):
    """Where a change sits against chance (see the module docstring)."""

    WELL_BEYOND = "well beyond what chance alone produces"
    JUST_BEYOND = "only just beyond what chance alone produces"
    WITHIN = "within what chance alone produces"


def grade(p_value: float) -> Grade:
    """The grade of a two-sided p-value: < 0.01, < 0.05, else within chance."""
    if p_value < WELL_BEYOND_P:
        return Grade.WELL_BEYOND
    if p_value < BEYOND_P:
        return Grade.JUST_BEYOND
    return Grade.WITHIN


class ClaimError(InputError):
    """Counts or months that cannot be compared (the option named)."""


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ClaimError(f"{name}: must be a whole number of 0 or more, got {value!r}")
    if value < 0:
        raise ClaimError(f"{name}: a count cannot be negative, got {int(value)}")
    return int(value)


def _months(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClaimError(f"{name}: must be a number of months, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ClaimError(f"{name}: must be more than 0 months, got {value!r}")
    return float(value)


def _pct(ratio: float) -> float:
    return 100.0 * (ratio - 1.0)


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    return "+0.0" if text == "-0.0" else text


@dataclass(frozen=True)
class Comparison:
    """A later count against an earlier one: exact rate ratio, percentage change, grade."""

    before: int
    after: int
    before_months: float
    after_months: float
    rate: RateRatio  # a = after, b = before, exposures in months
    grade: Grade | None  # None when both counts are 0: nothing can be said
    sentence: str

    @property
    def pct_change(self) -> float | None:
        """Per month; None when there were none before (no percentage of nothing)."""
        return _pct(self.rate.ratio) if self.before and math.isfinite(self.rate.ratio) else None

    @property
    def pct_low(self) -> float | None:
        return _pct(self.rate.ci_low) if self.after + self.before else None

    @property
    def pct_high(self) -> float | None:
        high = self.rate.ci_high
        return _pct(high) if math.isfinite(high) and self.after + self.before else None

    @property
    def beyond_chance(self) -> bool | None:
        """Whether the change is distinguishable from chance at 5 %; None when undefined."""
        return None if self.grade is None else self.grade is not Grade.WITHIN

    def ratio_text(self) -> str:
        """'rate ratio 1.087 with the exact 95 % interval 1.001–1.181'."""
        level = f"{100 * self.rate.conf_level:g} %"
        if self.grade is None:
            return "no rate ratio: there are no events in either count"
        low, high = self.rate.ci_low, self.rate.ci_high
        if not self.before:
            return f"no finite rate ratio (none before); the exact {level} interval is {low:.3f}–∞"
        high_text = "∞" if math.isinf(high) else f"{high:.3f}"
        return f"rate ratio {self.rate.ratio:.3f} with the exact {level} interval {low:.3f}–{high_text}"

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate.to_dict()
        return {
            "before": self.before,
            "after": self.after,
            "before_months": self.before_months,
            "after_months": self.after_months,
            "difference": self.after - self.before,
            "rate_ratio": rate["rate_ratio"],
            "ci_low": rate["ci_low"],
            "ci_high": rate["ci_high"],
            "conf_level": self.rate.conf_level,
            "p_value": self.rate.p_value,
            "pct_change": self.pct_change,
            "pct_change_low": self.pct_low,
            "pct_change_high": self.pct_high,
            "grade": self.grade.value if self.grade else None,
            "beyond_chance": self.beyond_chance,
            "interval_note": self.rate.note,
            "ratio_text": self.ratio_text(),
            "sentence": self.sentence,
        }


def compare(
    before: int, after: int, before_months: float = 1, after_months: float = 1
) -> Comparison:
    """``after`` (over ``after_months``) against ``before`` (over ``before_months``).

    The sentence: "up 8.7 % (95 % interval +0.1 % to +18.1 %, p = 0.046): only just
    beyond what chance alone produces"; "per month" is added when the lengths differ.
    """
    b, a = _count(before, "before"), _count(after, "after")
    tb, ta = _months(before_months, "before months"), _months(after_months, "after months")
    rate = rate_ratio_exact(a, b, ta, tb, conf_level=CONF_LEVEL)
    level = f"{100 * CONF_LEVEL:g} %"
    per = " per month" if ta != tb else ""
    if a + b == 0:
        return Comparison(
            b, a, tb, ta, rate, None,
            "none in either period: there is no change to judge, and a count of none says "
            "little about how many there might have been",
        )  # fmt: skip
    found = grade(rate.p_value)
    p = p_text(rate.p_value)
    if b == 0:
        sentence = (
            f"from none to {a:,}{per}: no percentage change can be given (there were none "
            f"before); the {level} interval for the rate ratio runs from {rate.ci_low:.3f} "
            f"upwards ({p}): {found.value}"
        )
    else:
        pct = _pct(rate.ratio)
        low, high = _pct(rate.ci_low), rate.ci_high
        high_text = "upwards" if math.isinf(high) else f"to {_signed(_pct(high))} %"
        if a == 0:
            head = f"down 100 %{per} (from {b:,} to none"
            interval = f"; {level} interval -100.0 % to {_signed(_pct(high))} %"
            sentence = f"{head}{interval}, {p}): {found.value}"
        else:
            if round(pct, 1) == 0:
                head = f"no change{per}"
            else:
                head = f"{'up' if pct > 0 else 'down'} {abs(pct):.1f} %{per}"
            sentence = f"{head} ({level} interval {_signed(low)} % {high_text}, {p}): {found.value}"
    if found is Grade.WITHIN:
        sentence += "; do not report it as a rise or a fall"
    return Comparison(b, a, tb, ta, rate, found, sentence)


# -- the claim's caveats -------------------------------------------------------------------

RECORDING_CAVEAT = (
    "recording changes move counts with no change in crime: a new crime recording system, "
    "a change to the Home Office Counting Rules or an HMICFRS crime-data-integrity inspection "
    "can each add or remove crimes from one year to the next"
)
REGRESSION_CAVEAT = (
    "regression to the mean: a period that follows an unusually bad (or good) one tends to "
    "be nearer the average with no cause at all, so a fall after a bad year is expected by "
    "chance alone and is not, by itself, evidence that anything worked"
)
CAUSE_CAVEAT = (
    "a change between two periods says nothing about its cause; whether an intervention "
    "caused it needs an evaluation against comparison areas (harmwatch evaluate)"
)
HATE_CRIME_CAVEAT = (
    "recorded hate crime has risen for years largely because recording improved and more "
    "victims came forward (Home Office, Hate crime, England and Wales, annual bulletins): "
    "a rise may be more reporting, not more hate"
)

#: The crime types a claim may name, and the police.uk type whose caveat it takes.
CRIME_TYPES: dict[str, str | None] = {
    "drugs": "Drugs",
    "drug-possession": "Drugs",
    "drug-trafficking": "Drugs",
    "weapons-possession": "Possession of weapons",
    "hate-crime": None,
    "other": None,
}


def crime_type_key(text: str | None) -> str | None:
    """A claim's crime type as :data:`CRIME_TYPES` names it; refused naming the choices."""
    if text is None or not text.strip():
        return None
    key = "-".join(text.strip().lower().replace("_", " ").split())
    aliases = {"possession-of-weapons": "weapons-possession", "weapons": "weapons-possession"}
    key = aliases.get(key, key)
    if key not in CRIME_TYPES:
        raise ClaimError(
            f"crime type: {text!r} is not one of {', '.join(CRIME_TYPES)} (it chooses the caveats)"
        )
    return key


def caveats_for(crime_type: str | None, before: int, after: int, unequal: bool) -> list[str]:
    """What no test of chance can rule out, for a claim about ``crime_type``."""
    out: list[str] = []
    key = crime_type_key(crime_type)
    police_type = CRIME_TYPES.get(key) if key else None
    if police_type is not None:
        out.append(
            f"police-generated offences: {POLICE_GENERATED[police_type]}, so the count rises "
            "where and when police look; a rise may mean more searching and a fall less "
            "searching, not more or fewer offences"
        )
    elif key is None:
        out.append(
            "if these are police-generated offences (drugs, weapons possession) the count "
            "rises where police look: give the crime type to be sure"
        )
    if key == "hate-crime":
        out.append(HATE_CRIME_CAVEAT)
    out.append(RECORDING_CAVEAT)
    out.append(REGRESSION_CAVEAT)
    if before < SMALL_COUNT or after < SMALL_COUNT:
        out.append(
            f"small counts ({before:,} and {after:,}): with fewer than {SMALL_COUNT} a "
            "percentage swings widely by chance; read the interval, not the percentage"
        )
    if unequal:
        out.append(
            "the periods differ in length, so they are compared per month; if they cover "
            "different seasons, part of the change may be the season"
        )
    out.append(CAUSE_CAVEAT)
    return out


@dataclass(frozen=True)
class ClaimCheck:
    """A quoted pair of counts checked: the comparison, the verdict and the caveats."""

    comparison: Comparison
    crime_type: str | None
    caveats: list[str] = field(default_factory=list)

    @property
    def chance_explains(self) -> bool | None:
        """Whether chance alone could produce the change (p ≥ 0.05); None when undefined."""
        beyond = self.comparison.beyond_chance
        return None if beyond is None else not beyond

    def verdict(self) -> str:
        """One line: can chance explain it?"""
        if self.chance_explains is None:
            return "There is nothing to judge: no events in either count."
        if self.chance_explains:
            return (
                "Chance alone can explain this change: it is within what chance alone "
                "produces (p ≥ 0.05)."
            )
        if self.comparison.grade is Grade.JUST_BEYOND:
            return (
                "Chance alone is unlikely to explain this change, but only just (0.01 ≤ p "
                "< 0.05): one comparison in twenty gets this far by chance."
            )
        return "Chance alone is very unlikely to explain this change (p < 0.01)."

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.comparison.to_dict(),
            "crime_type": self.crime_type,
            "chance_explains": self.chance_explains,
            "verdict": self.verdict(),
            "caveats": self.caveats,
        }


def check_claim(
    before: int,
    after: int,
    *,
    before_months: float = 1,
    after_months: float = 1,
    crime_type: str | None = None,
) -> ClaimCheck:
    """Check a claim that a count went from ``before`` to ``after`` (see the module docstring).

    The months default to equal periods (any length: only their ratio matters).
    """
    key = crime_type_key(crime_type)
    found = compare(before, after, before_months, after_months)
    caveats = caveats_for(key, found.before, found.after, found.before_months != found.after_months)
    return ClaimCheck(found, key, caveats)
