"""Exact comparison of two Poisson counts: rate ratio, its interval and p-value.

Two periods of police-recorded crime are two Poisson counts ``a`` and ``b`` over
exposures ``ta`` and ``tb`` (months, usually). Conditioning on the total
``n = a + b`` turns the comparison into a binomial problem: ``a ~ Binomial(n, p)``
with ``p = r·ta / (r·ta + tb)``, where ``r`` is the true rate ratio. The exact
(Clopper–Pearson) interval for ``p`` maps one-to-one onto an interval for ``r``
through ``r = p/(1 − p) · tb/ta``, and the exact binomial test of
``p0 = ta/(ta + tb)`` is the test of ``r = 1``. This is what R's
``poisson.test(c(a, b), c(ta, tb))`` does, and it stays valid for the small counts
of a few streets over a few months, where a normal approximation does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import beta, binomtest


@dataclass(frozen=True)
class RateRatio:
    """``(a/ta) / (b/tb)`` with its exact interval and two-sided p-value."""

    a: int
    b: int
    exposure_a: float
    exposure_b: float
    ratio: float  # inf when b == 0 and a > 0; nan when both are 0
    ci_low: float
    ci_high: float  # inf when b == 0
    p_value: float
    conf_level: float
    note: str | None = None  # set when a bound is one-sided or undefined

    @property
    def rate_a(self) -> float:
        return self.a / self.exposure_a

    @property
    def rate_b(self) -> float:
        return self.b / self.exposure_b

    def to_dict(self) -> dict[str, object]:
        return {
            "count_a": self.a,
            "count_b": self.b,
            "exposure_a": self.exposure_a,
            "exposure_b": self.exposure_b,
            "rate_a": self.rate_a,
            "rate_b": self.rate_b,
            "rate_ratio": _finite_or_none(self.ratio),
            "ci_low": _finite_or_none(self.ci_low),
            "ci_high": _finite_or_none(self.ci_high),
            "p_value": self.p_value,
            "conf_level": self.conf_level,
            "note": self.note,
        }


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity or NaN: an unbounded or undefined figure is written as null."""
    return value if math.isfinite(value) else None


def _check_counts(a: int, b: int, exposure_a: float, exposure_b: float) -> None:
    for name, value in (("a", a), ("b", b)):
        if int(value) != value or value < 0:
            raise ValueError(f"count {name} must be a whole number ≥ 0, got {value!r}")
    for label, exposure in (("exposure_a", exposure_a), ("exposure_b", exposure_b)):
        if not (exposure > 0 and math.isfinite(exposure)):
            raise ValueError(f"{label} must be a positive number, got {exposure!r}")


def rate_ratio_exact(
    a: int,
    b: int,
    exposure_a: float = 1.0,
    exposure_b: float = 1.0,
    conf_level: float = 0.95,
) -> RateRatio:
    """The exact conditional rate ratio ``(a/ta)/(b/tb)``, interval and two-sided p-value.

    Zero counts are handled as R's ``binom.test`` handles them: with ``a = 0`` the
    lower bound is 0 and the upper bound is the one-sided ``1 − α/2`` bound; with
    ``b = 0`` the upper bound is infinite and the lower bound one-sided. The
    ``note`` says so, because a reader should not mistake such an interval for a
    two-sided one. With ``a = b = 0`` nothing can be said and the ratio is NaN.
    """
    _check_counts(a, b, exposure_a, exposure_b)
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie between 0 and 1, got {conf_level}")
    a, b = int(a), int(b)
    n = a + b
    ratio: float
    alpha = 1 - conf_level
    odds_to_ratio = exposure_b / exposure_a
    if n == 0:
        return RateRatio(
            a, b, exposure_a, exposure_b, math.nan, 0.0, math.inf, 1.0, conf_level,
            "no crimes in either period: the rate ratio is undefined",
        )  # fmt: skip
    p_low = 0.0 if a == 0 else float(beta.ppf(alpha / 2, a, n - a + 1))
    p_high = 1.0 if b == 0 else float(beta.ppf(1 - alpha / 2, a + 1, n - a))
    low = p_low / (1 - p_low) * odds_to_ratio
    high = math.inf if p_high >= 1 else p_high / (1 - p_high) * odds_to_ratio
    p0 = exposure_a / (exposure_a + exposure_b)
    p_value = float(binomtest(a, n, p0, alternative="two-sided").pvalue)
    note = None
    if a == 0:
        note = (
            "no crimes in the first count: the lower bound is 0 and the upper bound is "
            f"one-sided ({100 * (1 - alpha / 2):g} %)"
        )
        ratio = 0.0
    elif b == 0:
        note = (
            "no crimes in the second count: the ratio and its upper bound are unbounded and "
            f"the lower bound is one-sided ({100 * (1 - alpha / 2):g} %)"
        )
        ratio = math.inf
    else:
        ratio = (a / exposure_a) / (b / exposure_b)
    return RateRatio(a, b, exposure_a, exposure_b, ratio, low, high, p_value, conf_level, note)


def pct_change(after: float, before: float) -> float | None:
    """Percentage change from ``before`` to ``after``; None when ``before`` is 0 (undefined)."""
    if before == 0:
        return None
    return 100.0 * (after - before) / before


def interval_text(low: float, high: float) -> str:
    """'0.39–1.44' for a report; an unbounded end reads '∞', an undefined one '—'."""

    def one(value: float) -> str:
        if math.isnan(value):
            return "—"
        return "∞" if math.isinf(value) else f"{value:.2f}"

    return f"{one(low)}–{one(high)}"


def p_text(p: float) -> str:
    """A p-value for a reader: 'p < 0.001' below that, else 'p = 0.042'.

    Three decimals are all a count of crimes supports; '3.54e-18' reads as a
    measurement and means no more than "far beyond chance".
    """
    if not math.isfinite(p):
        return "p = —"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
