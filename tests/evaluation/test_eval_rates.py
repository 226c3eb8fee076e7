"""The exact Poisson rate ratio, checked by hand and by two independent routes."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest
from statsmodels.stats import rates as sm_rates

from harmwatch.evaluation.rates import pct_change, rate_ratio_exact


def binomial_route(a: int, b: int, ta: float, tb: float) -> tuple[float, float, float]:
    """Independent route: scipy's exact (Clopper–Pearson) binomial interval, transformed.

    Given n = a + b, a ~ Binomial(n, p) with p = r·ta/(r·ta + tb), so r = p/(1−p) · tb/ta.
    """
    test = binomtest(a, a + b, ta / (ta + tb))
    ci = test.proportion_ci(confidence_level=0.95, method="exact")
    high = math.inf if ci.high >= 1 else ci.high / (1 - ci.high) * tb / ta
    return ci.low / (1 - ci.low) * tb / ta, high, test.pvalue


def test_r_poisson_test_example() -> None:
    # R's ?poisson.test example: poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)),
    # eba1977, Fredericia against the other three cities, ages 55–59.
    # ratio = (11/800)/(21/3011) = 0.01375/0.0069744 = 1.971488
    rr = rate_ratio_exact(11, 21, 800, 3011)
    assert rr.ratio == pytest.approx(1.971488, abs=1e-6)
    # The figures R prints for this example, as the two routes below also give them.
    assert rr.ci_low == pytest.approx(0.8584264, abs=1e-7)
    assert rr.ci_high == pytest.approx(4.2772659, abs=1e-7)
    assert rr.p_value == pytest.approx(0.07967, abs=1e-5)
    low, high, p = binomial_route(11, 21, 800, 3011)
    assert (rr.ci_low, rr.ci_high, rr.p_value) == pytest.approx((low, high, p), rel=1e-10)
    sm = sm_rates.test_poisson_2indep(11, 800, 21, 3011, method="exact-cond")
    assert rr.p_value == pytest.approx(sm.pvalue, rel=1e-9)


def test_equal_counts_equal_exposure() -> None:
    # a = b = 5 over equal exposures: p̂ = 5/10. Clopper–Pearson for 5/10 is
    # (0.187086, 0.812914) (beta quantiles B(5,6) at 2.5 % and B(6,5) at 97.5 %), so
    # r = p/(1−p): 0.187086/0.812914 = 0.230142 and 0.812914/0.187086 = 4.345135.
    rr = rate_ratio_exact(5, 5)
    assert rr.ratio == 1.0
    assert rr.ci_low == pytest.approx(0.230142, abs=1e-6)
    assert rr.ci_high == pytest.approx(4.345135, abs=1e-6)
    assert rr.ci_low * rr.ci_high == pytest.approx(1.0, rel=1e-12)
    assert rr.p_value == pytest.approx(1.0)


def test_different_exposures() -> None:
    # 30 crimes in 6 months against 40 in 12: 5.0 vs 3.33 a month, ratio 1.5.
    # Under r = 1, p0 = 6/(6+12) = 1/3 and a ~ Binomial(70, 1/3): expected 23.3.
    rr = rate_ratio_exact(30, 40, 6, 12)
    assert rr.ratio == pytest.approx(1.5)
    low, high, p = binomial_route(30, 40, 6, 12)
    assert (rr.ci_low, rr.ci_high, rr.p_value) == pytest.approx((low, high, p), rel=1e-10)
    assert rr.ci_low < 1.5 < rr.ci_high
    assert rr.p_value == pytest.approx(
        sm_rates.test_poisson_2indep(30, 6, 40, 12, method="exact-cond").pvalue, rel=1e-9
    )


def test_zero_counts_give_one_sided_bounds_and_say_so() -> None:
    # a = 0, b = 10, equal exposure: lower bound 0; upper p_U = 1 − 0.025^(1/10)
    # = 1 − exp(0.1 · ln 0.025) = 1 − 0.691503 = 0.308497, r_U = 0.308497/0.691503
    # = 0.446126. p = 2 · 0.5^10 = 0.001953.
    rr = rate_ratio_exact(0, 10)
    assert rr.ratio == 0.0 and rr.ci_low == 0.0
    assert rr.ci_high == pytest.approx(0.446126, abs=1e-6)
    assert rr.p_value == pytest.approx(2 * 0.5**10)
    assert rr.note and "one-sided" in rr.note
    flipped = rate_ratio_exact(10, 0)
    assert math.isinf(flipped.ratio) and math.isinf(flipped.ci_high)
    assert flipped.ci_low == pytest.approx(1 / 0.446126, rel=1e-5)
    assert flipped.note and "one-sided" in flipped.note
    assert flipped.to_dict()["ci_high"] is None  # JSON has no infinity
    nothing = rate_ratio_exact(0, 0)
    assert math.isnan(nothing.ratio) and nothing.note


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="whole number"):
        rate_ratio_exact(-1, 3)
    with pytest.raises(ValueError, match="positive"):
        rate_ratio_exact(1, 3, 0, 1)
    with pytest.raises(ValueError, match="conf_level"):
        rate_ratio_exact(1, 3, conf_level=1.5)


def test_pct_change() -> None:
    assert pct_change(120, 100) == pytest.approx(20.0)
    assert pct_change(5, 0) is None
