"""Adjusting p-values for the many cells tested at once.

A Gi* map tests every cell, so at p < 0.05 about one cell in twenty looks
"significant" by chance alone. Adjusting the p-values before classifying cells
is what keeps a hotspot map from being mostly noise.
"""

from __future__ import annotations

import numpy as np

METHODS = ("fdr", "holm", "none")


def adjust_pvalues(p: np.ndarray, method: str = "fdr") -> np.ndarray:
    """Adjust p-values for multiple comparisons.

    Methods:
        ``"fdr"``: Benjamini-Hochberg (1995) false discovery rate, the default,
            because on a map the useful promise is "few of the cells we flag are
            false alarms", and it keeps power when many cells are tested.
        ``"holm"``: Holm (1979) step-down, controlling the family-wise error
            rate (chance of *any* false alarm); uniformly more powerful than
            Bonferroni, and much more conservative than ``"fdr"``.
        ``"none"``: the p-values unchanged (a copy).

    NaN entries (cells outside the study area, or where the statistic is
    undefined) stay NaN and are not counted as tests, so blanking cells never
    changes the adjustment of the others. Any shape in, same shape out
    (float64). Results match ``statsmodels.stats.multitest.multipletests`` with
    ``"fdr_bh"`` / ``"holm"`` on the non-NaN values.

    Raises:
        ValueError: for an unknown method, or p-values outside [0, 1].
    """
    if method not in METHODS:
        raise ValueError(
            f"unknown multiple-testing method {method!r}; choose one of {', '.join(METHODS)}"
        )
    p = np.asarray(p, dtype=np.float64)
    out = p.copy()
    flat = out.reshape(-1)
    valid = ~np.isnan(flat)
    pv = flat[valid]
    if pv.size and not (pv.min() >= 0.0 and pv.max() <= 1.0):
        raise ValueError("p-values must lie between 0 and 1 (NaN marks a missing test)")
    if method == "none" or pv.size == 0:
        return out

    m = pv.size
    order = np.argsort(pv, kind="stable")
    ps = pv[order]
    if method == "fdr":
        # Written as p / (k / m), the same arithmetic as statsmodels, so that
        # results agree to the last bit rather than to rounding.
        raw = ps / (np.arange(1, m + 1) / m)
        adj = np.minimum.accumulate(raw[::-1])[::-1]
    else:
        adj = np.maximum.accumulate(ps * np.arange(m, 0, -1))
    np.minimum(adj, 1.0, out=adj)

    back = np.empty(m, dtype=np.float64)
    back[order] = adj
    flat[valid] = back
    return out
