"""Prospective hot-spotting (Bowers, Johnson & Pease 2004) on a grid.

Bowers, Johnson & Pease ("Prospective hot-spotting: the future of crime
mapping?", Brit. J. Criminol. 44:641-658, 2004) found that after a burglary the
risk to homes within about 400 m stays raised for a month or two, and turned
that into a forecast: every recent event raises the risk of the cells around
it, the more so the nearer and the more recent it is. The risk of cell ``c`` is

    risk(c) = sum over events e with d(e, c) * cell <= bandwidth_m and t_e < window
              of  1 / (1 + d(e, c))  *  1 / (1 + t_e)

* ``t_e`` is the event's **age in whole time units** before the period being
  forecast: 0 for the most recent unit, 1 for the one before, and so on.
  Fractional ages are rounded down, as the paper counts whole weeks elapsed.
  The paper used weeks and a two-month window; harmwatch's data are monthly,
  so the unit is a month, and ``window=2`` keeps ages 0 and 1, i.e. the two
  months before the forecast month (``t < window``, as 8 weeks means ages 0-7).
* ``d(e, c)`` is the distance **in cells** from the cell holding the event to
  cell ``c``, measured between cell centres as the number of rings of cells
  between them: ``max(|row difference|, |column difference|)`` (Chebyshev
  distance). The paper describes the weights through examples in which an
  event in a neighbouring cell, diagonal neighbours included, counts as one
  cell away, and gives no formula for the distance; the Chebyshev reading is
  the one the open_cp reimplementation (QuantCrimAtLeeds/PredictCode,
  ``open_cp.prohotspot``, default ``DistanceDiagonalsSame``) uses too. The
  event's own cell has ``d = 0`` and weight 1.
* the **bandwidth** is in metres and is compared with the centre-to-centre
  distance of the ring, ``d * cell``: ring ``d`` counts when
  ``d * cell <= bandwidth_m`` ("within 400 m" read inclusively; open_cp uses a
  strict ``<``). The neighbourhood is therefore a square of
  ``2R + 1`` cells a side with ``R = floor(bandwidth_m / cell)``. With the
  paper's 50 m cells, 400 m is 8 rings; with a cell larger than the bandwidth
  only the event's own cell is raised.

So each event adds a small pyramid of weights around its cell, and the risk is
the correlation of the age-weighted event grid with that pyramid. It is
computed as a stencil: one vectorised pass over the occupied cells per pyramid
offset, with no loop over events. The result is a relative risk score: only its ordering of cells
means anything, and it has no unit.

Events outside the grid but within the bandwidth of it still raise the cells
near the edge (the grid is padded while computing), so the forecast does not
sag where the grid happens to be cut. Events further away are ignored.
"""

from __future__ import annotations

import math

import numpy as np

from harmwatch.spatial.grid import Grid

# Bandwidths are often typed as products (e.g. 3 * 133.33); a ring exactly at the
# bandwidth should not drop out because the quotient rounded down.
_RING_RTOL = 1e-9


def rings_within(bandwidth_m: float, cell: float) -> int:
    """``R``: the number of whole rings of cells whose centres lie within the bandwidth."""
    if not (bandwidth_m >= 0 and math.isfinite(bandwidth_m)):
        raise ValueError(f"bandwidth must be a non-negative number of metres, got {bandwidth_m!r}")
    return math.floor(bandwidth_m / cell * (1.0 + _RING_RTOL))


def _ring_offsets(ring: int) -> list[tuple[int, int]]:
    """Offsets ``(dr, dc)`` with ``max(|dr|, |dc|) == ring``: the 8 x ring cells of a ring."""
    if ring == 0:
        return [(0, 0)]
    return [
        (dr, dc)
        for dr in range(-ring, ring + 1)
        for dc in range(-ring, ring + 1)
        if max(abs(dr), abs(dc)) == ring
    ]


def prospective_risk(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    age: np.ndarray,
    bandwidth_m: float = 400.0,
    window: int = 2,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Prospective hot-spotting risk score of every cell (see the module docstring).

    Args:
        grid: the analysis grid.
        x, y: event coordinates in BNG metres.
        age: each event's age in whole time units (months here) before the
            period forecast; 0 = the most recent unit. Events with
            ``age >= window`` are ignored; negative ages are refused, since an
            event from the forecast period itself or later would leak the
            answer into the forecast.
        bandwidth_m: spatial reach in metres (400 m in the paper).
        window: number of time units that count (2 months in the paper).
        mask: optional boolean ``(nrows, ncols)``; cells outside it are NaN. It
            only hides cells: events outside it still raise nearby cells.

    Returns:
        float64 ``(nrows, ncols)`` risk scores, 0 where no recent event is
        within reach.

    Raises:
        ValueError: for mismatched lengths, non-finite coordinates or ages
            (refused rather than dropped, as in ``quartic_kde``, so the caller
            counts what it leaves out), negative ages, ``window < 1``, a negative
            bandwidth, or a mask of the wrong shape or dtype.
    """
    px = np.asarray(x, dtype=np.float64).ravel()
    py = np.asarray(y, dtype=np.float64).ravel()
    t = np.asarray(age, dtype=np.float64).ravel()
    if not (px.shape == py.shape == t.shape):
        raise ValueError(f"x, y and age differ in length: {px.size}, {py.size}, {t.size}")
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise ValueError("coordinates must be finite; drop (and report) missing locations first")
    if not np.isfinite(t).all():
        raise ValueError("ages must be finite")
    if (t < 0).any():
        raise ValueError(
            f"{int((t < 0).sum())} event(s) have a negative age, i.e. happen in or after "
            "the period being forecast; pass only earlier events"
        )
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a whole number of time units >= 1, got {window!r}")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != grid.shape or mask.dtype != np.bool_:
            raise ValueError(f"mask must be a boolean array of shape {grid.shape}")

    rings = rings_within(bandwidth_m, grid.cell)
    whole = np.floor(t)
    col = np.floor((px - grid.x0) / grid.cell)
    row = np.floor((py - grid.y0) / grid.cell)
    keep = (
        (whole < window)
        & (col >= -rings)
        & (col < grid.ncols + rings)
        & (row >= -rings)
        & (row < grid.nrows + rings)
    )

    # Event weights on a grid padded by 2R cells on each side: events up to R
    # cells outside the grid reach in, and their pyramids (R more cells) still
    # land inside the padded array, so no bounds test is needed. The padding is
    # dropped at the end.
    pad = 2 * rings
    ncp = grid.ncols + 2 * pad
    nrp = grid.nrows + 2 * pad
    flat = (row[keep].astype(np.int64) + pad) * ncp + (col[keep].astype(np.int64) + pad)
    events = np.bincount(flat, weights=1.0 / (1.0 + whole[keep]), minlength=nrp * ncp)

    # Lay the pyramid over every occupied cell, one stencil offset at a time.
    # The occupied cells are distinct, so each shifted index set is too and plain
    # fancy-index addition is safe. Cost is (2R+1)^2 x occupied cells, far below
    # a dense correlation over the grid when events are sparse, and cells no
    # event reaches stay exactly 0 (no FFT round-off), which keeps ties honest
    # when forecasts are ranked.
    occupied = np.flatnonzero(events)
    weight = events[occupied]
    acc = np.zeros(nrp * ncp, dtype=np.float64)
    for ring in range(rings + 1):
        w = weight / (1.0 + ring)
        for dr, dc in _ring_offsets(ring):
            acc[occupied + (dr * ncp + dc)] += w
    risk = acc.reshape(nrp, ncp)[pad : pad + grid.nrows, pad : pad + grid.ncols].copy()
    if mask is not None:
        risk[~mask] = np.nan
    return risk


# -- open_cp's defaults ------------------------------------------------------------------
#
# open_cp (QuantCrimAtLeeds/PredictCode, ``open_cp.prohotspot``) is the published
# Python implementation of prospective hotspotting, and the tool other forecasts are
# compared with. It is not on the package index, so its defaults are re-implemented
# here from its source: ``ClassicWeight`` with ``space_bandwidth = 400 / 50 = 8`` grid
# cells and ``time_bandwidth = 8`` time units, weight 1/((1 + d)(1 + t)) and zero when
# d >= 8 or t >= 8 (strict); ``DistanceDiagonalsSame``, the Chebyshev distance in
# cells between the event's cell and the cell scored; and
# ``ProspectiveHotSpot.predict``, where an event's age is the time from it to the
# prediction, divided by the time unit and rounded down. open_cp counts in weeks of
# timestamped events; police.uk gives only the month, so each crime is dated to the
# middle of its month and the unit is 30 days (issue 11), and the forecast for a
# month is made at its first instant from every earlier crime (a growing window:
# the weight itself drops crimes 8 or more units old).

OPENCP_SPACE_BANDWIDTH = 8  # cells: weight 0 at Chebyshev distance >= 8
OPENCP_TIME_BANDWIDTH = 8  # time units: weight 0 at age >= 8
OPENCP_UNIT_DAYS = 30.0


def _month_start_day(month: str) -> int:
    """Days from 1970-01-01 to the first day of a 'YYYY-MM' month."""
    return int(np.datetime64(f"{month}-01", "D").astype(np.int64))


def opencp_ages(event_months: np.ndarray, target_month: str) -> np.ndarray:
    """Each crime's age in 30-day units at the start of ``target_month``, open_cp's way.

    A crime of month m is dated to the middle of m, ``start(m) + days(m) / 2``
    (15 days for February in a common year, 15.5 for a 31-day month), and its age
    is ``floor((start(target) − middle(m)) / 30 days)``. So the month just before
    the target is age 0, the one before that age 1, and the eighth month before
    age 7, the last that counts. Months in or after the target are refused.
    """
    months = np.asarray(event_months).astype(str)
    unique, inverse = np.unique(months, return_inverse=True)
    target = _month_start_day(target_month)
    ages = np.empty(len(unique), dtype=np.float64)
    for i, month in enumerate(unique.tolist()):
        start = _month_start_day(month)
        following = np.datetime64(f"{month}-01", "M") + np.timedelta64(1, "M")
        days = int(following.astype("datetime64[D]").astype(np.int64)) - start
        elapsed = target - (start + days / 2)
        if elapsed <= 0:
            raise ValueError(f"crimes of {month} are not before {target_month}")
        ages[i] = math.floor(elapsed / OPENCP_UNIT_DAYS)
    return ages[inverse.ravel()]


def opencp_risk(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    event_months: np.ndarray,
    target_month: str,
) -> np.ndarray:
    """open_cp's default prospective-hotspot risk of every cell for ``target_month``.

    Equal to open_cp's ``ProspectiveHotSpot(region, grid_size=cell,
    time_unit=30 days).predict(start, start)`` with its default weight and
    distance, the region's origin at the grid's, and crimes dated to the middle of
    their months (see :func:`opencp_ages`): ``prospective_risk`` with 7 rings
    (``d < 8``) and ages below 8. The tests check it against a transcription of
    open_cp's own loop over cells and events.
    """
    ages = opencp_ages(event_months, target_month)
    return prospective_risk(
        grid,
        x,
        y,
        ages,
        bandwidth_m=(OPENCP_SPACE_BANDWIDTH - 1) * grid.cell,
        window=OPENCP_TIME_BANDWIDTH,
    )
