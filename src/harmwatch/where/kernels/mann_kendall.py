"""Mann–Kendall test for a monotonic trend, for one series or many at once.

Emerging hot spot analysis asks whether the Gi* z-score of each cell has been
rising or falling over the months; the Mann–Kendall test answers that without
assuming the trend is linear or the values normal, which matters for z-scores
of sparse monthly counts. The formulas are the standard ones (Mann 1945;
Kendall 1975; Hipel & McLeod 1994, ch. 23; Gilbert 1987, §16.4), which is also
what ``pymannkendall.original_test`` computes:

    S      = sum over i < j of sign(x_j - x_i)
    var(S) = [n(n-1)(2n+5) - sum_p t_p(t_p-1)(2t_p+5)] / 18
    z      = (S - 1) / sqrt(var(S))   if S > 0
             0                        if S = 0
             (S + 1) / sqrt(var(S))   if S < 0
    p      = 2 * (1 - Phi(|z|))       (two-sided)
    tau    = S / (n(n-1)/2)           (Kendall's tau-a)

where ``t_p`` is the size of the p-th group of exactly equal values (the tie
correction) and the -1/+1 in z is the continuity correction for a discrete S.
``tau`` is tau-a, as pymannkendall reports; R's ``Kendall::MannKendall`` (used
by sfdep) reports tau-b instead, which differs only when there are ties. z, p
and the trend direction, which are what the emerging hot spot rules use, are
the same either way.

Missing values: NaN entries are dropped and the test runs on the remaining
values in their time order, so a pair with a missing member is simply not
compared (pymannkendall's "skip" behaviour). A series left with fewer than
``min_values`` values is *not tested* and gets NaN for every statistic, in the
spirit of ArcGIS leaving locations with too little data out of the trend
analysis. The default of 3 is the fewest values for which "a trend" means
anything beyond a single difference; note that with fewer than 5 values
``|z|`` can never reach 1.96, so short series are never significant at 5 %.
Infinite values are rejected: they would be ranked, silently, as the largest or
smallest value, which is never what a caller with an overflow wants.

Ties are exact equality. Gi* z-scores are continuous, so ties there are rare
except where a cell's whole neighbourhood is empty (often the same z month
after month), and those are exactly the ties the correction is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

TREND_INCREASING = "increasing"
TREND_DECREASING = "decreasing"
TREND_NONE = "no trend"
TREND_NOT_TESTED = "not tested"


@dataclass(frozen=True)
class MKResult:
    """Mann–Kendall test of one series. Numbers are NaN when ``trend == "not tested"``."""

    s: float
    var_s: float
    z: float
    p: float
    tau: float
    trend: str
    n: int


class MKArrays(NamedTuple):
    """Mann–Kendall statistics for many series; each array has one entry per series."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray
    n: np.ndarray


def _tie_term(tied: np.ndarray) -> np.ndarray:
    t = tied.astype(np.float64)
    return t * (t - 1.0) * (2.0 * t + 5.0)


def mann_kendall_many(values: np.ndarray, min_values: int = 3) -> MKArrays:
    """Mann–Kendall test of every column of a ``(T, n)`` array: n series of T steps.

    Vectorised over the series: the work is T(T-1)/2 comparisons per series done
    as T-1 whole-array lag comparisons, and the tie groups are found by sorting
    each column once. 250,000 series of 36 steps take well under a second.

    Returns :class:`MKArrays` of length n; ``n`` holds the number of non-missing
    values each test used. Series with fewer than ``min_values`` values have NaN
    statistics (see the module docstring).

    Raises:
        ValueError: if ``values`` is not 2-D, holds an infinite value, or
            ``min_values`` is below 2.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected a (T, n) array of series, got shape {x.shape}")
    if min_values < 2:
        raise ValueError(f"min_values must be at least 2, got {min_values}")
    if np.isinf(x).any():
        raise ValueError("series contain infinite values; use NaN for missing values")
    steps, m = x.shape

    # Comparisons involving NaN are False, so NaN pairs drop out of S by themselves.
    s = np.zeros(m, dtype=np.int64)
    for lag in range(1, steps):
        later, earlier = x[lag:], x[:-lag]
        s += np.count_nonzero(later > earlier, axis=0)
        s -= np.count_nonzero(later < earlier, axis=0)

    n_valid = np.count_nonzero(~np.isnan(x), axis=0)

    # Tie groups are runs of equal values in each sorted column. NaNs sort last and
    # never compare equal, so each is a run of one and adds nothing.
    ordered = np.sort(x, axis=0)
    run = np.ones(m, dtype=np.int64)
    ties = np.zeros(m, dtype=np.float64)
    for i in range(1, steps):
        same = ordered[i] == ordered[i - 1]
        ties += np.where(same, 0.0, _tie_term(run))
        run = np.where(same, run + 1, 1)
    ties += _tie_term(run)

    nf = n_valid.astype(np.float64)
    var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0
    sf = s.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var_s)
        # var(S) is 0 only when every value is tied, and then S is 0 too: z = 0.
        z = np.where(sf > 0, (sf - 1.0) / sd, np.where(sf < 0, (sf + 1.0) / sd, 0.0))
        tau = sf / (nf * (nf - 1.0) / 2.0)
    p = 2.0 * ndtr(-np.abs(z))

    untested = n_valid < min_values
    if untested.any():
        for arr in (sf, var_s, z, p, tau):
            arr[untested] = np.nan
    return MKArrays(s=sf, var_s=var_s, z=z, p=p, tau=tau, n=n_valid.astype(np.int64))


def trend_labels(z: np.ndarray, p: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Trend direction for each test: increasing/decreasing when ``p < alpha``.

    NaN statistics (series not tested) give ``"not tested"``.
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    out = np.full(z.shape, TREND_NONE, dtype=object)
    significant = p < alpha
    out[significant & (z > 0)] = TREND_INCREASING
    out[significant & (z < 0)] = TREND_DECREASING
    out[np.isnan(z) | np.isnan(p)] = TREND_NOT_TESTED
    return out.astype(str)


def mann_kendall(series: np.ndarray, alpha: float = 0.05, min_values: int = 3) -> MKResult:
    """Mann–Kendall test of one series (1-D array in time order).

    ``trend`` is ``"increasing"`` or ``"decreasing"`` when the two-sided
    ``p < alpha``, ``"no trend"`` otherwise, and ``"not tested"`` when fewer than
    ``min_values`` values are present.
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {x.shape}")
    r = mann_kendall_many(x[:, None], min_values=min_values)
    trend = str(trend_labels(r.z, r.p, alpha)[0])
    return MKResult(
        s=float(r.s[0]),
        var_s=float(r.var_s[0]),
        z=float(r.z[0]),
        p=float(r.p[0]),
        tau=float(r.tau[0]),
        trend=trend,
        n=int(r.n[0]),
    )
