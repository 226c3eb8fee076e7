"""The blended forecast surface: recent counts, a local density and a wide one, with memory.

Drug offences recur where they were found before, and a month's crimes are a
small sample of where they can happen. A forecast that ranks cells well at
every coverage, not only the first 1 %, has to do three things at once: rank
the busiest cells by their own counts (a narrow kernel dilutes a persistent hot
cell among its neighbours), rank the cells around them by how much crime is
nearby (a cell next to three busy ones is likelier than one in open country),
and still order the cells far from any recent crime (else the last few % of the
area are flagged at random, which is why counts' hit rate stops growing). So
the score of cell ``c`` for month ``t`` is

    score(c) = Σ_{m < t} 2^(−age_m / λ) · [ n_m(c) + β · K_h n_m(c) + β_w · K_w n_m(c) ]
               + ε · K_b (Σ_{m < t} n_m)(c)

with ``n_m`` the crimes per cell in month ``m``, ``age_m = t − 1 − m`` (0 for the
month just before), ``λ`` a half-life in months (∞: every earlier month weighs
the same, a growing window), ``K_h n`` the counts smoothed by the quartic kernel
``(1 − d²/h²)²`` for ``d < h`` at cell-centre offsets, *scaled to 1 at its
centre* (so ``β`` is how much an event adds to its own cell through the kernel
relative to its count), ``h`` the bandwidth, ``K_w`` the same kernel 4 km wide
with weight ``β_w = 0.03``, and a 16 km background ``K_b`` scaled to at most
``ε = 1e-6``, far below any crime's contribution, which only orders cells that
would otherwise tie at zero.

The half-life and the bandwidth are not set by a rule of thumb: the forecast
verb scores every candidate (:data:`HALF_LIVES` × :data:`BANDWIDTHS_M`) on each
month and uses, for each month, the one that did best on the months before it
(:mod:`harmwatch.where.forecast`), so the choice is made from the area's own
history and never from the month being forecast.

Kernel-weighted sums of this kind are the "retrospective" hotspot surfaces of
the crime-forecasting literature (Bowers, Johnson & Pease 2004 use an inverse
distance kernel; Chainey, Tompson & Uhlig 2008 quartic KDE); adding the cell's
own count and a time decay follows Mohler et al. (2011, JASA 106:100–108), whose
self-exciting model has a background rate plus recency-weighted near-repeat
terms. The weights here are fixed so that the candidates stay few (nine) and
the choice among them honest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import ndimage, signal

BANDWIDTHS_M = (500.0, 1000.0, 2000.0)
HALF_LIVES = (3.0, 12.0, math.inf)
NEAR_WEIGHT = 1.0  # β
WIDE_M = 4000.0
WIDE_WEIGHT = 0.03  # β_w
BACKGROUND_M = 16000.0
BACKGROUND_SCALE = 1e-6  # ε
DEFAULT_HALF_LIFE = 12.0
DEFAULT_BANDWIDTH_M = 1000.0

# Correlation by FFT beyond this many stencil cells; below it, exact sums.
_FFT_FROM = 400
# FFT round-off below this share of the peak is set to zero, so that cells no crime
# reaches stay exactly 0 and tie honestly.
_ROUNDOFF = 1e-12


def unit_peak_stencil(bandwidth_m: float, cell: float) -> np.ndarray:
    """The quartic kernel ``(1 − d²/h²)²`` (``d < h``) at cell-centre offsets, 1 at the centre.

    Odd-sized and centred; for a bandwidth under one cell, just ``[[1]]``.
    """
    if not (bandwidth_m > 0 and math.isfinite(bandwidth_m)):
        raise ValueError(f"bandwidth must be a positive number of metres, got {bandwidth_m!r}")
    if not (cell > 0 and math.isfinite(cell)):
        raise ValueError(f"cell size must be a positive number of metres, got {cell!r}")
    reach = math.floor(bandwidth_m / cell)
    d = np.arange(-reach, reach + 1, dtype=np.float64) * cell
    q = 1.0 - (d[:, None] ** 2 + d[None, :] ** 2) / bandwidth_m**2
    return np.where(q > 0, q * q, 0.0)


def smooth(counts: np.ndarray, bandwidth_m: float, cell: float) -> np.ndarray:
    """``K_h counts``: each cell's count spread by the unit-peak quartic over its neighbours.

    ``counts`` is ``(nrows, ncols)``; cells beyond the grid count as empty. A
    correlation (the kernel is symmetric, so also a convolution), exact for small
    stencils and by FFT for large ones, with FFT round-off cleared so that cells
    out of every crime's reach stay exactly zero.
    """
    values = np.asarray(counts, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"counts must be a 2-D grid, got shape {values.shape}")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("counts must be finite and non-negative")
    kernel = unit_peak_stencil(bandwidth_m, cell)
    if kernel.size < _FFT_FROM:
        return ndimage.correlate(values, kernel, mode="constant", cval=0.0)
    out = signal.fftconvolve(values, kernel, mode="same")
    peak = float(np.abs(out).max(initial=0.0))
    out[out < _ROUNDOFF * max(peak, 1.0)] = 0.0
    return out


def decay(ages: Sequence[float] | np.ndarray, half_life: float) -> np.ndarray:
    """Weights ``2^(−age / half_life)``; 1 for every age when the half-life is infinite."""
    a = np.asarray(ages, dtype=np.float64)
    if (a < 0).any():
        raise ValueError("ages must not be negative: a month in or after the target leaks it")
    if not half_life > 0:
        raise ValueError(f"half-life must be positive, got {half_life!r}")
    if math.isinf(half_life):
        return np.ones_like(a)
    return np.exp2(-a / half_life)


def blend_score(
    counts: np.ndarray,
    near: np.ndarray,
    wide: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """The blended score from per-month surfaces (months × cells) and the months' weights.

    ``counts`` are ``n_m``, ``near`` ``K_h n_m``, ``wide`` ``K_w n_m`` and
    ``background`` ``K_b n_m``, each one row per earlier month over the same cells;
    ``weights`` the months' decay weights. See the module docstring.
    """
    w = np.asarray(weights, dtype=np.float64)
    main = w @ counts + NEAR_WEIGHT * (w @ near) + WIDE_WEIGHT * (w @ wide)
    bg = background.sum(axis=0)
    top = float(bg.max(initial=0.0))
    if top > 0:
        main = main + BACKGROUND_SCALE * bg / top
    return main
