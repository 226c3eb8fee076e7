"""Mann–Kendall test: hand-worked series, ties, missing values, and references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harmwatch.where.kernels.mann_kendall import (
    TREND_DECREASING,
    TREND_INCREASING,
    TREND_NONE,
    TREND_NOT_TESTED,
    mann_kendall,
    mann_kendall_many,
)


def two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def test_strictly_increasing_five_values() -> None:
    # x = 1 2 3 4 5: all 10 pairs (i < j) rise, so S = +10.
    # var(S) = n(n-1)(2n+5)/18 = 5*4*15/18 = 300/18 = 16.667 (no ties).
    # z = (S - 1)/sqrt(var) = 9/4.0825 = 2.2045; p = 2(1 - Phi(2.2045)) = 0.0275.
    # tau = S / (n(n-1)/2) = 10/10 = 1.
    r = mann_kendall(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert r.s == 10
    assert r.var_s == pytest.approx(300 / 18)
    assert r.z == pytest.approx(9 / math.sqrt(300 / 18))
    assert r.z == pytest.approx(2.2045, abs=1e-4)
    assert r.p == pytest.approx(two_sided_p(r.z))
    assert r.p == pytest.approx(0.0275, abs=1e-4)
    assert r.tau == 1.0
    assert r.trend == TREND_INCREASING
    assert r.n == 5


def test_one_tied_pair() -> None:
    # x = 1 2 2 3. Pairs: (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+  ->  S = 5.
    # One tie group of size t = 2: t(t-1)(2t+5) = 2*1*9 = 18.
    # var(S) = (4*3*13 - 18)/18 = (156 - 18)/18 = 138/18 = 7.667.
    # z = (5 - 1)/sqrt(7.667) = 4/2.769 = 1.4446 -> p = 0.149, no trend.
    # tau = 5/6.
    r = mann_kendall(np.array([1.0, 2.0, 2.0, 3.0]))
    assert r.s == 5
    assert r.var_s == pytest.approx(138 / 18)
    assert r.z == pytest.approx(4 / math.sqrt(138 / 18))
    assert r.z == pytest.approx(1.4446, abs=1e-4)
    assert r.p == pytest.approx(two_sided_p(r.z))
    assert r.tau == pytest.approx(5 / 6)
    assert r.trend == TREND_NONE


def test_decreasing_with_two_tie_groups_and_a_missing_value() -> None:
    # x = 3 3 NaN 2 1 1: the NaN is dropped, leaving 3 3 2 1 1 (n = 5).
    # Pairs from each value to the later ones:
    #   3 -> 3 2 1 1 : 0 - - -  = -3
    #   3 -> 2 1 1   : - - -    = -3
    #   2 -> 1 1     : - -      = -2
    #   1 -> 1       : 0        =  0        S = -8
    # Ties: two groups of size 2, each 2*1*9 = 18, total 36.
    # var(S) = (5*4*15 - 36)/18 = 264/18 = 14.667.
    # z = (S + 1)/sqrt(var) = -7/3.8297 = -1.8278 -> p = 0.0676: not significant at 5 %.
    # tau = -8/10.
    r = mann_kendall(np.array([3.0, 3.0, np.nan, 2.0, 1.0, 1.0]))
    assert r.n == 5
    assert r.s == -8
    assert r.var_s == pytest.approx(264 / 18)
    assert r.z == pytest.approx(-7 / math.sqrt(264 / 18))
    assert r.z == pytest.approx(-1.8278, abs=1e-4)
    assert r.p == pytest.approx(0.0676, abs=1e-4)
    assert r.tau == pytest.approx(-0.8)
    assert r.trend == TREND_NONE
    # The same series is significant at 10 %.
    assert mann_kendall(np.array([3.0, 3.0, np.nan, 2.0, 1.0, 1.0]), alpha=0.1).trend == (
        TREND_DECREASING
    )


def test_all_values_tied() -> None:
    # Every pair is a tie: S = 0 and var(S) = (n(n-1)(2n+5) - n(n-1)(2n+5))/18 = 0.
    # z is defined as 0 when S = 0, so p = 1: no trend, not a division by zero.
    r = mann_kendall(np.zeros(12))
    assert (r.s, r.var_s, r.z, r.p, r.tau) == (0, 0, 0, 1, 0)
    assert r.trend == TREND_NONE


def test_too_few_values_are_not_tested() -> None:
    r = mann_kendall(np.array([np.nan, 1.0, np.nan, 2.0]))
    assert r.trend == TREND_NOT_TESTED
    assert r.n == 2
    assert all(math.isnan(v) for v in (r.s, r.var_s, r.z, r.p, r.tau))
    # Two values are enough when the caller says so.
    assert mann_kendall(np.array([1.0, 2.0]), min_values=2).s == 1


def test_infinite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="infinite"):
        mann_kendall(np.array([1.0, np.inf, 2.0]))


def test_many_matches_one_at_a_time_including_nan_columns() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 5, size=(15, 40)).astype(float)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[:, 3] = np.nan  # a column with nothing in it
    many = mann_kendall_many(x)
    for j in range(x.shape[1]):
        one = mann_kendall(x[:, j])
        got = (many.s[j], many.var_s[j], many.z[j], many.p[j], many.tau[j])
        want = (one.s, one.var_s, one.z, one.p, one.tau)
        np.testing.assert_allclose(got, want, rtol=0, atol=0, equal_nan=True)
    assert np.isnan(many.z[3]) and many.n[3] == 0


def test_tau_matches_scipy_kendalltau_without_ties() -> None:
    # Without ties, Kendall's tau between time and value is S / (n(n-1)/2).
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.normal(size=17)
        ref = stats.kendalltau(np.arange(x.size), x)
        assert mann_kendall(x).tau == pytest.approx(ref.statistic, abs=1e-12)


def test_against_pymannkendall_with_ties_and_missing_values() -> None:
    pmk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(11)
    for trial in range(200):
        n = int(rng.integers(3, 40))
        # Small integers give plenty of ties; a drift gives some real trends.
        x = rng.integers(0, 4, size=n) + (trial % 3) * np.arange(n) / 10
        x = np.round(x, 0).astype(float)
        x[rng.random(n) < 0.1] = np.nan
        if np.count_nonzero(~np.isnan(x)) < 3:
            continue
        ref = pmk.original_test(x)
        r = mann_kendall(x)
        assert r.s == ref.s
        assert r.var_s == pytest.approx(ref.var_s, rel=1e-12)
        assert r.z == pytest.approx(ref.z, rel=1e-12, abs=1e-12)
        # pymannkendall computes 1 - cdf, which loses digits for tiny p.
        assert r.p == pytest.approx(ref.p, rel=1e-9, abs=1e-14)
        assert r.tau == pytest.approx(ref.Tau, rel=1e-12)
        assert r.trend == ref.trend


def test_shape_and_argument_checks() -> None:
    with pytest.raises(ValueError, match=r"\(T, n\)"):
        mann_kendall_many(np.zeros(5))
    with pytest.raises(ValueError, match="1-D"):
        mann_kendall(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="min_values"):
        mann_kendall_many(np.zeros((3, 2)), min_values=1)
