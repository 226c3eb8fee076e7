"""How well did a map of predicted scores pick out where crime happened next?

A forecast flags the top ``k`` cells of the study area by predicted score, with
``k = max(1, round_half_up(f * n))`` for a coverage fraction ``f`` of the ``n``
study-area cells; the arrays passed in must already be restricted to the study
area, so every share of area here is a share of the study area, never of a
bounding box. Cells have equal area, so the share of area flagged is ``k / n``.

Measures (all computed on the same flagged set):

* **hit rate** = crimes in the flagged cells / all crimes in the study area;
* **PAI**, the Predictive Accuracy Index of Chainey, Tompson & Uhlig (2008,
  "The utility of hotspot mapping for predicting spatial patterns of crime",
  Security Journal 21:4-28): ``(n/N) / (a/A)``, the hit rate divided by the
  share of the area flagged. 1 is what flagging cells at random gives; a map
  capturing 50 % of crimes in 10 % of the area has PAI 5;
* **PEI**, the Predictive Efficiency Index of Hunt (2016; as set out in White,
  Hunt & Green 2023, Security Journal, "A discussion of current crime
  forecasting indices and an improvement to the prediction efficiency index"):
  the PAI divided by the best PAI possible with the same area. The best ``k``
  cells are the ``k`` with the most crimes, and as the area is the same this is
  ``hits / best_hits`` where ``best_hits`` is the number of crimes in those
  cells. It runs from 0 to 1 and says how much of what was achievable was
  achieved, which PAI alone cannot (a month with crime in a handful of cells
  caps every method's PAI).

Ties at the cut: if cells with the same score straddle the ``k``-th place, no
order among them is more right than another, and any fixed order (by cell
index, say) would systematically reward or punish a method depending on where
its tied cells lie (row 0 is the south of the grid). A random order with a seed
is fair only on average and adds noise to every comparison. So tied cells at the
cut share the remaining places equally: with ``r`` places left for ``m`` tied
cells, each counts as ``r/m`` of a flagged cell. The hits are then exactly the
*expected* hits over all orderings of the tied cells, computed without a seed,
and a method that gives every cell the same score scores exactly what random
flagging would (PAI 1 in expectation), so ties are never rewarded. The number
of cells flagged and the area share stay exactly ``k`` and ``k / n``; ``hits``
can be fractional. ``ties_at_cut`` reports how many cells shared the cut score
when the cut split them (0 when it did not), so heavy ties are visible. Ties are
exact equality of the scores.

Zero-crime months: with no crimes in the study area the hit rate (0/0), PAI and
PEI are undefined and are returned as NaN, never as 0 (which would read as "the
method missed everything") or 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DEFAULT_COVERAGES = (0.01, 0.05, 0.10)


@dataclass(frozen=True)
class ForecastScore:
    """Accuracy of one forecast at one coverage level (see the module docstring)."""

    coverage: float
    """Requested fraction of the study area to flag."""
    n_cells: int
    """Cells in the study area."""
    cells_flagged: int
    """``k = max(1, round_half_up(coverage * n_cells))``."""
    area_share: float
    """Share of the study area actually flagged: ``cells_flagged / n_cells``."""
    hits: float
    """Crimes in the flagged cells (expected value when ties straddle the cut)."""
    best_hits: float
    """Crimes in the ``cells_flagged`` cells with the most crimes."""
    total: float
    """All crimes in the study area."""
    hit_rate: float
    """``hits / total``; NaN when ``total == 0``."""
    pai: float
    """``hit_rate / area_share``; NaN when ``total == 0``."""
    pei: float
    """``hits / best_hits``; NaN when ``total == 0``."""
    ties_at_cut: int
    """Cells sharing the score at the cut when the cut splits them, else 0."""


def cells_for_coverage(coverage: float, n_cells: int) -> int:
    """Number of cells to flag: ``max(1, round_half_up(coverage * n_cells))``.

    Rounds half up rather than Python's half-to-even so that the figure is the
    one a reader gets by hand (2.5 cells -> 3).
    """
    if not (0.0 < coverage <= 1.0):
        raise ValueError(f"coverage must be in (0, 1], got {coverage!r}")
    if n_cells < 1:
        raise ValueError("the study area has no cells")
    return min(n_cells, max(1, math.floor(coverage * n_cells + 0.5)))


def _cut(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Cells strictly above the ``k``-th highest score, cells tied with it, places left."""
    n = scores.size
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and {n}, got {k}")
    cut = np.partition(scores, n - k)[n - k]
    above = scores > cut
    tied = scores == cut
    return above, tied, k - int(above.sum())


def flag_weights(predicted: np.ndarray, k: int) -> np.ndarray:
    """Share of each cell that is flagged when the top ``k`` scores are flagged.

    1 for cells strictly above the cut score, 0 below it, and ``r/m`` for each of
    the ``m`` cells tied at the cut when ``r`` places remain, so the weights sum
    to ``k``. Useful for drawing the flagged area; :func:`evaluate_forecast`
    uses the same rule.
    """
    above, tied, remaining = _cut(_as_scores(predicted), k)
    weights = above.astype(np.float64)
    weights[tied] = remaining / int(tied.sum())
    return weights


def _as_scores(predicted: np.ndarray) -> np.ndarray:
    scores = np.asarray(predicted, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"predicted must be 1-D (study-area cells only), got {scores.shape}")
    if scores.size == 0:
        raise ValueError("the study area has no cells")
    if not np.isfinite(scores).all():
        raise ValueError(
            "predicted scores must be finite; NaN usually means cells outside the "
            "study area were passed in"
        )
    return scores


def _as_counts(actual: np.ndarray, n: int) -> np.ndarray:
    counts = np.asarray(actual, dtype=np.float64)
    if counts.shape != (n,):
        raise ValueError(f"actual has shape {counts.shape}, predicted has {n} cells")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("actual counts must be finite and non-negative")
    return counts


def evaluate_forecast(
    predicted: np.ndarray,
    actual: np.ndarray,
    coverages: Iterable[float] = DEFAULT_COVERAGES,
) -> list[ForecastScore]:
    """Hit rate, PAI and PEI of a forecast at each coverage level.

    Args:
        predicted: score per study-area cell, higher = more crime expected; only
            the order matters. 1-D, study-area cells only, all finite.
        actual: crimes per study-area cell in the period forecast (same cells,
            same order), non-negative.
        coverages: fractions of the study area to flag, each in (0, 1].

    Returns:
        One :class:`ForecastScore` per coverage, in the order given.
    """
    scores = _as_scores(predicted)
    counts = _as_counts(actual, scores.size)
    n = scores.size
    total = float(counts.sum())
    ranked_counts = np.sort(counts)[::-1]
    best_cumulative = np.cumsum(ranked_counts)

    out = []
    for coverage in coverages:
        k = cells_for_coverage(float(coverage), n)
        above, tied, remaining = _cut(scores, k)
        n_tied = int(tied.sum())
        # One division, so whole-number expectations come out exact.
        hits = float(counts[above].sum() + remaining * counts[tied].sum() / n_tied)
        best = float(best_cumulative[k - 1])
        share = k / n
        if total > 0:
            hit_rate = hits / total
            pai = hit_rate / share
            pei = hits / best
        else:
            hit_rate = pai = pei = math.nan
        out.append(
            ForecastScore(
                coverage=float(coverage),
                n_cells=n,
                cells_flagged=k,
                area_share=share,
                hits=hits,
                best_hits=best,
                total=total,
                hit_rate=hit_rate,
                pai=pai,
                pei=pei,
                ties_at_cut=n_tied if remaining < n_tied else 0,
            )
        )
    return out


def hit_curve(predicted: np.ndarray, actual: np.ndarray, levels: Iterable[float]) -> np.ndarray:
    """Hits at each coverage level, by the same rule as :func:`evaluate_forecast`.

    The hit-rate-by-area curve: for each level the top ``cells_for_coverage``
    cells are flagged, cells tied at the cut sharing the places left equally, so
    every value equals ``evaluate_forecast(...)[i].hits`` (the tests check it).
    One sort serves every level, so a curve of a hundred levels costs about as
    much as one.
    """
    scores = _as_scores(predicted)
    counts = _as_counts(actual, scores.size)
    n = scores.size
    order = np.argsort(-scores, kind="stable")
    s, c = scores[order], counts[order]
    # Groups of equal scores: start index and size of each, and crimes before each.
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    sizes = np.diff(np.r_[starts, n])
    group_sum = np.add.reduceat(c, starts)
    before = np.r_[0.0, np.cumsum(group_sum)[:-1]]
    ks = np.array([cells_for_coverage(float(v), n) for v in levels], dtype=np.int64)
    g = np.searchsorted(starts, ks - 1, side="right") - 1
    return before[g] + (ks - starts[g]) * group_sum[g] / sizes[g]
