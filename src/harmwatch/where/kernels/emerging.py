"""Emerging hot spot categories (ArcGIS Pro's Emerging Hot Spot Analysis rules).

Emerging hot spot analysis takes, for every location, the series of Gi* z-scores
and p-values over T time steps and names the pattern: is this a hot spot that has
just appeared, one that has been there all along and is getting hotter, one that
comes and goes, and so on. Analysts are used to ArcGIS's names for these patterns,
so we use its categories and rules, read from Esri's "How Emerging Hot Spot
Analysis works" page:

    https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm

(read through the current localised copies of the same page, ArcGIS Pro 3.2
Spanish and ArcGIS AllSource Japanese, and English quotations of the older
wording; the current wording adds "at least two" to Consecutive and "hot in the
final time step" to Sporadic, and we follow the current wording.)

Definitions (alpha is the significance level, 0.05 by default):

* a location is a **hot spot in step t** when ``z_t > 0`` and ``p_t < alpha``,
  and a **cold spot in step t** when ``z_t < 0`` and ``p_t < alpha``;
* ``h`` / ``c`` = number of hot / cold steps out of ``T``;
* **"90 % of the steps"** means *at least* 90 %: ``10 h >= 9 T`` (integer
  arithmetic, so exactly 9 of 10 steps counts; 8 of 10 does not). Esri's text
  says "for ninety percent" for the Intensifying/Persistent/Diminishing family,
  "at least ninety percent" for Historical and "less than ninety percent" for
  the others, which together split at exactly this boundary;
* the **trend** is the Mann–Kendall test (:mod:`.mann_kendall`) on the
  location's series of Gi* *z-scores*; it is "significantly increasing" when its
  two-sided p < ``trend_alpha`` (default: ``alpha``) and its z > 0, and
  "significantly decreasing" likewise with z < 0.

Hot spot patterns, checked in this order (cold spot patterns are the mirror
image: swap hot and cold, and swap the trend direction, since a cold spot
intensifies as its z-score falls):

1. **Intensifying Hot Spot**: hot in >= 90 % of steps, hot in the final step, and
   the trend is significantly increasing.
2. **Diminishing Hot Spot**: hot in >= 90 % of steps, hot in the final step, and
   the trend is significantly decreasing.
3. **Persistent Hot Spot**: hot in >= 90 % of steps, hot in the final step, no
   significant trend.
4. **Historical Hot Spot**: hot in >= 90 % of steps but *not* hot in the final step.
5. **Oscillating Hot Spot**: hot in the final step, hot in < 90 % of steps, and
   cold in at least one earlier step.
6. **New Hot Spot**: hot in the final step and in no earlier step, never cold.
7. **Consecutive Hot Spot**: hot in < 90 % of steps, and the hot steps are one
   uninterrupted run of at least two steps ending at the final step; never cold.
8. **Sporadic Hot Spot**: hot in the final step, hot in < 90 % of steps, hot on
   and off before (not one final run), never cold.
9. **No Pattern Detected**: none of the hot or cold patterns.

Where Esri's text leaves two patterns overlapping, we resolve it as follows, and
these are our choices rather than documented Esri behaviour:

* Persistent does not say "including the final step", but Historical covers
  exactly the >= 90 % locations that are not hot now, so Persistent (like
  Intensifying and Diminishing) requires a hot final step.
* New and Consecutive say nothing about earlier *cold* steps, while Oscillating
  is defined as hot now with a cold history, and Sporadic explicitly excludes
  cold steps. We let a cold history decide: a location that was ever cold and is
  hot now is Oscillating, so New, Consecutive and Sporadic are all cold-free.
  This matches sfdep (R), the most used open re-implementation.
* With T >= 10 a location can fit a hot pattern and a cold one at once (e.g. cold
  in 9 of 10 steps and hot in the last: Historical Cold and Oscillating Hot).
  The family of the *final* step wins, since the present state is what the
  analyst acts on: that location is an Oscillating Hot Spot.

Locations whose z or p series contain any NaN (cells outside the study area, as
``gistar`` returns them) are **not analysed**: their category is the empty
string ``""`` and their trend z and p are NaN. "No Pattern Detected" is kept for
analysed locations, so a map can tell "outside the study area" from "nothing
happening here". A series with some NaN steps is also left unanalysed, since
"90 % of the steps" and "the final step" lose their meaning with gaps.

The p-values are used as given: ArcGIS Pro applies a false discovery rate
correction to the Gi* p-values before classifying, so apply any such correction
before calling :func:`classify_emerging` if you want to match it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from harmwatch.where.kernels.mann_kendall import mann_kendall_many

NOT_ANALYSED = ""
NO_PATTERN = "No Pattern Detected"

_PATTERNS = (
    "New",
    "Consecutive",
    "Intensifying",
    "Persistent",
    "Diminishing",
    "Sporadic",
    "Oscillating",
    "Historical",
)
HOT_CATEGORIES = tuple(f"{name} Hot Spot" for name in _PATTERNS)
COLD_CATEGORIES = tuple(f"{name} Cold Spot" for name in _PATTERNS)
CATEGORIES = (NO_PATTERN, *HOT_CATEGORIES, *COLD_CATEGORIES)

_LABEL_DTYPE = f"<U{max(len(c) for c in CATEGORIES)}"


class EmergingResult(NamedTuple):
    """Per-location outcome of :func:`classify_emerging` (arrays of length n)."""

    category: np.ndarray
    """Category name (see :data:`CATEGORIES`), or ``""`` where not analysed."""
    trend_z: np.ndarray
    """Mann–Kendall z of the location's Gi* z-score series (NaN if not analysed)."""
    trend_p: np.ndarray
    """Two-sided p of that Mann–Kendall test (NaN if not analysed)."""
    n_hot: np.ndarray
    """Number of steps in which the location was a significant hot spot."""
    n_cold: np.ndarray
    """Number of steps in which the location was a significant cold spot."""


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each column of a (T, n) bool array."""
    steps, n = flags.shape
    run = np.zeros(n, dtype=np.int64)
    still = np.ones(n, dtype=bool)
    for t in range(steps - 1, -1, -1):
        still &= flags[t]
        run += still
    return run


def _family(
    sig: np.ndarray,
    other: np.ndarray,
    intensifying: np.ndarray,
    diminishing: np.ndarray,
    names: tuple[str, ...],
    out: np.ndarray,
) -> None:
    """Write one family's categories (hot or cold) into ``out`` where they apply.

    ``sig`` marks the steps significant for this family and ``other`` those for
    the opposite one; ``names`` is :data:`HOT_CATEGORIES` or :data:`COLD_CATEGORIES`.
    """
    new, consecutive, intens, persistent, dimin, sporadic, oscillating, historical = names
    steps = sig.shape[0]
    count = sig.sum(axis=0)
    ever_other = other.any(axis=0)
    final = sig[-1]
    mostly = 10 * count >= 9 * steps
    whole_run = _trailing_run(sig) == count

    rules = (
        (mostly & final & intensifying, intens),
        (mostly & final & diminishing, dimin),
        (mostly & final & ~intensifying & ~diminishing, persistent),
        (mostly & ~final, historical),
        (~mostly & final & ever_other, oscillating),
        (~mostly & final & ~ever_other & (count == 1), new),
        (~mostly & final & ~ever_other & (count >= 2) & whole_run, consecutive),
        (~mostly & final & ~ever_other & (count >= 2) & ~whole_run, sporadic),
    )
    for where, name in rules:
        out[where] = name


def classify_emerging(
    z: np.ndarray,
    p: np.ndarray,
    alpha: float = 0.05,
    *,
    trend_alpha: float | None = None,
) -> EmergingResult:
    """Emerging hot spot category of each of n locations from (T, n) Gi* z and p.

    ``z[t, i]`` and ``p[t, i]`` are the Gi* z-score and two-sided p-value of
    location ``i`` in time step ``t`` (oldest first). The rules, their source and
    the choices made where the source is ambiguous are in the module docstring.

    Returns:
        :class:`EmergingResult`; ``category`` is a str array of length n.

    Raises:
        ValueError: if z and p are not 2-D arrays of the same shape with at least
            one time step, or a significance level is outside (0, 1).
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if z.ndim != 2 or z.shape != p.shape or z.shape[0] < 1:
        raise ValueError(
            f"z and p must be (T, n) arrays of the same shape, got {z.shape} and {p.shape}"
        )
    t_alpha = alpha if trend_alpha is None else trend_alpha
    for name, value in (("alpha", alpha), ("trend_alpha", t_alpha)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {value!r}")

    analysed = np.isfinite(z).all(axis=0) & np.isfinite(p).all(axis=0)
    with np.errstate(invalid="ignore"):
        significant = p < alpha
        hot = significant & (z > 0)
        cold = significant & (z < 0)

    trend = mann_kendall_many(np.where(analysed, z, np.nan), min_values=2)
    trend_z = np.where(analysed, trend.z, np.nan)
    trend_p = np.where(analysed, trend.p, np.nan)
    with np.errstate(invalid="ignore"):
        rising = (trend_p < t_alpha) & (trend_z > 0)
        falling = (trend_p < t_alpha) & (trend_z < 0)

    n = z.shape[1]
    category = np.full(n, NO_PATTERN, dtype=_LABEL_DTYPE)
    hot_now = hot[-1]
    cold_now = cold[-1]
    # Cold first, then hot, then the final step's family again, so that where a
    # location fits both families the final step's family is the one left.
    cold_cat = np.full(n, "", dtype=_LABEL_DTYPE)
    hot_cat = np.full(n, "", dtype=_LABEL_DTYPE)
    _family(cold, hot, falling, rising, COLD_CATEGORIES, cold_cat)
    _family(hot, cold, rising, falling, HOT_CATEGORIES, hot_cat)
    has_cold = cold_cat != ""
    has_hot = hot_cat != ""
    category[has_cold] = cold_cat[has_cold]
    category[has_hot] = hot_cat[has_hot]
    category[cold_now & has_cold] = cold_cat[cold_now & has_cold]
    category[hot_now & has_hot] = hot_cat[hot_now & has_hot]
    category[~analysed] = NOT_ANALYSED

    n_hot = np.where(analysed, hot.sum(axis=0), 0)
    n_cold = np.where(analysed, cold.sum(axis=0), 0)
    return EmergingResult(category, trend_z, trend_p, n_hot, n_cold)
