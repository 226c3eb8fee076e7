"""p-value adjustment against statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from harmwatch.where.kernels.multiple_testing import adjust_pvalues

SM_METHOD = {"fdr": "fdr_bh", "holm": "holm"}


def reference(p: np.ndarray, method: str) -> np.ndarray:
    """statsmodels on the non-NaN values, NaN kept in place."""
    p = np.asarray(p, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    if ok.any() and method != "none":
        out[ok] = multipletests(p[ok], method=SM_METHOD[method])[1]
    return out


def check(p: np.ndarray, method: str) -> np.ndarray:
    got = adjust_pvalues(p, method)
    assert got.shape == np.shape(p) and got.dtype == np.float64
    np.testing.assert_allclose(got, reference(p, method), rtol=1e-13, atol=0, equal_nan=True)
    return got


@pytest.mark.parametrize("method", ["fdr", "holm", "none"])
@pytest.mark.parametrize("seed", range(5))
def test_random(method, seed) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 2000))
    # A mix of real signal (tiny p) and noise, like a hotspot map.
    p = np.where(rng.random(n) < 0.1, rng.random(n) * 1e-4, rng.random(n))
    check(p, method)


@pytest.mark.parametrize("method", ["fdr", "holm"])
def test_edge_values(method) -> None:
    check(np.array([0.0, 0.0, 1.0, 1.0, 0.5]), method)
    check(np.array([0.01, 0.01, 0.01, 0.04, 0.04, 0.2]), method)  # ties
    check(np.array([0.03]), method)  # a single test is unchanged
    check(np.ones(7), method)
    check(np.zeros(7), method)


@pytest.mark.parametrize("method", ["fdr", "holm"])
def test_ties_get_equal_adjusted_values(method) -> None:
    p = np.array([0.02, 0.001, 0.02, 0.3, 0.02])
    got = check(p, method)
    assert got[0] == got[2] == got[4]


@pytest.mark.parametrize("method", ["fdr", "holm", "none"])
def test_nans_are_not_tests(method) -> None:
    rng = np.random.default_rng(11)
    p = rng.random((30, 40))
    p[rng.random(p.shape) < 0.3] = np.nan
    got = check(p, method)
    assert np.array_equal(np.isnan(got), np.isnan(p))
    # Blanking cells must not change the others' adjustment beyond dropping them.
    np.testing.assert_array_equal(got[~np.isnan(p)], adjust_pvalues(p[~np.isnan(p)], method))


@pytest.mark.parametrize("method", ["fdr", "holm", "none"])
def test_all_nan_and_empty(method) -> None:
    got = adjust_pvalues(np.full((2, 3), np.nan), method)
    assert got.shape == (2, 3) and np.all(np.isnan(got))
    assert adjust_pvalues(np.array([]), method).shape == (0,)


def test_none_returns_a_copy() -> None:
    p = np.array([0.2, np.nan, 0.01])
    got = adjust_pvalues(p, "none")
    np.testing.assert_array_equal(got, p)
    got[0] = 1.0
    assert p[0] == 0.2


def test_fdr_is_the_default_and_known_values() -> None:
    # Benjamini-Hochberg by hand: sorted p * m / rank, then running min from the top.
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjust_pvalues(p), [0.02, 0.04, 0.04, 0.02], rtol=1e-15)
    # Holm: sorted p * (m - rank + 1), then running max from the bottom.
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.03, 0.06, 0.06, 0.02], rtol=1e-15)


def test_errors() -> None:
    with pytest.raises(ValueError, match="fdr, holm, none"):
        adjust_pvalues(np.array([0.1]), "bonferroni")
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust_pvalues(np.array([0.1, 1.5]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust_pvalues(np.array([-0.1, 0.5]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        adjust_pvalues(np.array([np.inf]))
