"""Rolling evaluation of "where will crime be next month?" forecasts.

For every target month ``t`` that has ``min_history`` months before it, each
method predicts a score per study-area cell from the months before ``t`` only,
and the prediction is scored against the crimes actually recorded in month
``t`` (hit rate, PAI, PEI at each coverage; see
:mod:`harmwatch.where.kernels.forecast_metrics`). The result says how much
better than "where it was last month" each method would have done, on this
area's own history, which is the question an analyst has to answer before
trusting any of them.

Methods, named by strings so a caller can ask for variants:

* ``"last-k"`` (e.g. ``"last-1"``, ``"last-3"``): the number of crimes in each
  cell over the previous ``k`` months.
* ``"kde"`` / ``"kde-k"``: quartic kernel density of the previous ``k`` months'
  crimes (``k`` = 3 for plain ``"kde"``), with the given bandwidth or, if none,
  sfhotspot's rule of thumb computed from *those* crimes only, so that no
  information from the target month leaks into the bandwidth.
* ``"prospective"`` / ``"prospective-k"``: prospective hot-spotting (Bowers,
  Johnson & Pease 2004) over the previous ``k`` months (``k`` = 2 for plain
  ``"prospective"``) with a 400 m bandwidth and age in months (0 = the month
  before the target).

``months`` must be one run of consecutive calendar months. Forecasting across a
gap would silently treat the month before the gap as "last month", so a gap is
an error naming the missing months; the caller splits the data at gaps and
evaluates each run on its own.

Points are used as given: the caller decides which crimes belong to the study
area. Crimes outside the grid or outside ``mask`` are not counted as "actual"
crimes (they are not in the study area), though they still feed the KDE and
prospective surfaces, which reach across the boundary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from harmwatch.spatial.grid import Grid
from harmwatch.timeline.months import month_number, month_text
from harmwatch.where.kernels.forecast_metrics import DEFAULT_COVERAGES, evaluate_forecast
from harmwatch.where.kernels.kde import default_bandwidth, quartic_kde
from harmwatch.where.kernels.prospective import prospective_risk

DEFAULT_METHODS = ("last-1", "last-3", "kde", "prospective")
KDE_MONTHS = 3
PROSPECTIVE_MONTHS = 2
PROSPECTIVE_BANDWIDTH_M = 400.0

_METHOD = re.compile(r"^(last|kde|prospective)(?:-(\d+))?$")


@dataclass(frozen=True)
class _Method:
    name: str
    kind: str
    months: int


def parse_method(name: str) -> _Method:
    """A method name as (kind, months); ``ValueError`` naming what is wrong with it."""
    m = _METHOD.match(name)
    if m is None:
        raise ValueError(
            f"unknown forecast method {name!r}; use 'last-k', 'kde', 'kde-k', "
            "'prospective' or 'prospective-k' with k a whole number of months"
        )
    kind, k = m.group(1), m.group(2)
    if k is None:
        if kind == "last":
            raise ValueError(f"{name!r}: say how many months, e.g. 'last-1' or 'last-3'")
        k = KDE_MONTHS if kind == "kde" else PROSPECTIVE_MONTHS
    months = int(k)
    if months < 1:
        raise ValueError(f"{name!r}: the number of months must be at least 1")
    return _Method(name, kind, months)


def check_consecutive(months: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``months`` is one run of consecutive 'YYYY-MM' months.

    The message names the first gap (or repeat, or step backwards) so the caller
    can see where to split the data.
    """
    numbers = [month_number(m) for m in months]
    for i in range(1, len(numbers)):
        prev, cur = numbers[i - 1], numbers[i]
        if cur == prev + 1:
            continue
        if cur <= prev:
            raise ValueError(
                f"months must be in order without repeats: {months[i - 1]} is followed "
                f"by {months[i]}"
            )
        missing = (
            month_text(prev + 1)
            if cur == prev + 2
            else f"{month_text(prev + 1)} to {month_text(cur - 1)}"
        )
        raise ValueError(
            f"months are not consecutive: {months[i - 1]} is followed by {months[i]} "
            f"(missing {missing}); split the data at the gap and evaluate each run "
            "of consecutive months separately"
        )


def rolling_forecast_evaluation(
    x: np.ndarray,
    y: np.ndarray,
    month_index: np.ndarray,
    months: list[str],
    grid: Grid,
    mask: np.ndarray,
    methods: Sequence[str] = DEFAULT_METHODS,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    kde_bandwidth: float | None = None,
    min_history: int = 3,
) -> pd.DataFrame:
    """Score each method's next-month forecast for every month with enough history.

    Args:
        x, y: crime coordinates in BNG metres (finite; drop and report missing
            locations first).
        month_index: per crime, the position of its month in ``months``.
        months: the months covered, as consecutive 'YYYY-MM' strings.
        grid: the analysis grid.
        mask: boolean ``(nrows, ncols)``, True for study-area cells; all shares
            of area are of these cells.
        methods: method names (see the module docstring).
        coverages: fractions of the study area to flag.
        kde_bandwidth: KDE bandwidth in metres; ``None`` chooses it per target
            month from the history crimes (``default_bandwidth``).
        min_history: first target month is ``months[min_history]``. Must be at
            least the longest history any method uses, so every forecast in the
            table was made with its full window.

    Returns:
        A tidy DataFrame, one row per (method, target month, coverage), with
        columns ``method, target_month, coverage, n_cells, cells_flagged,
        area_share, hits, best_hits, total, hit_rate, pai, pei, ties_at_cut,
        history_events, detail``. ``history_events`` counts the crimes the
        forecast was built from; ``detail`` records the KDE bandwidth used.
        Empty (with those columns) if no month has enough history.

    Raises:
        ValueError: for a gap or disorder in ``months``, month indices outside
            ``months``, mismatched lengths, non-finite coordinates, a bad mask,
            an unknown method, or ``min_history`` shorter than a method's window.
    """
    check_consecutive(months)
    parsed = [parse_method(m) for m in methods]
    px = np.asarray(x, dtype=np.float64).ravel()
    py = np.asarray(y, dtype=np.float64).ravel()
    mi = np.asarray(month_index).ravel()
    if not (px.shape == py.shape == mi.shape):
        raise ValueError(f"x, y and month_index differ in length: {px.size}, {py.size}, {mi.size}")
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise ValueError("coordinates must be finite; drop (and report) missing locations first")
    if mi.size and not np.issubdtype(mi.dtype, np.integer):
        raise ValueError("month_index must be integers (positions in months)")
    mi = mi.astype(np.int64)
    if mi.size and (mi.min() < 0 or mi.max() >= len(months)):
        raise ValueError(f"month_index must lie in 0..{len(months) - 1}")
    study = np.asarray(mask)
    if study.shape != grid.shape or study.dtype != np.bool_:
        raise ValueError(f"mask must be a boolean array of shape {grid.shape}")
    if not study.any():
        raise ValueError("the mask selects no cells")
    longest = max((m.months for m in parsed), default=0)
    if min_history < max(1, longest):
        raise ValueError(
            f"min_history={min_history} is shorter than the longest method window "
            f"({longest} months); raise min_history so every forecast has its full history"
        )

    # Crimes per (month, study-area cell), built once. Cells are numbered within
    # the study area (row-major order) so the table is months x study cells only.
    n_study = int(study.sum())
    study_index = np.full(grid.size, -1, dtype=np.int64)
    study_index[study.ravel()] = np.arange(n_study)
    cell = grid.locate(px, py)
    where = np.where(cell >= 0, study_index[np.maximum(cell, 0)], -1)
    counted = where >= 0
    monthly = (
        np.bincount(mi[counted] * n_study + where[counted], minlength=len(months) * n_study)
        .reshape(len(months), n_study)
        .astype(np.float64)
    )

    rows: list[dict[str, object]] = []
    for t in range(min_history, len(months)):
        actual = monthly[t]
        for method in parsed:
            first = t - method.months
            in_window = (mi >= first) & (mi < t)
            detail = ""
            if method.kind == "last":
                predicted = monthly[first:t].sum(axis=0)
            elif method.kind == "kde":
                predicted, detail = _kde_forecast(
                    grid, px[in_window], py[in_window], study, kde_bandwidth
                )
            else:
                risk = prospective_risk(
                    grid,
                    px[in_window],
                    py[in_window],
                    age=(t - 1) - mi[in_window],
                    bandwidth_m=PROSPECTIVE_BANDWIDTH_M,
                    window=method.months,
                )
                predicted = risk[study]
            for score in evaluate_forecast(predicted, actual, coverages):
                rows.append(
                    {
                        "method": method.name,
                        "target_month": months[t],
                        **asdict(score),
                        "history_events": int(in_window.sum()),
                        "detail": detail,
                    }
                )
    columns = [
        "method",
        "target_month",
        "coverage",
        "n_cells",
        "cells_flagged",
        "area_share",
        "hits",
        "best_hits",
        "total",
        "hit_rate",
        "pai",
        "pei",
        "ties_at_cut",
        "history_events",
        "detail",
    ]
    return pd.DataFrame(rows, columns=columns)


def _kde_forecast(
    grid: Grid, x: np.ndarray, y: np.ndarray, study: np.ndarray, bandwidth: float | None
) -> tuple[np.ndarray, str]:
    """KDE scores on study-area cells, and a note of the bandwidth used."""
    if x.size == 0:
        # No history: every cell scores 0 and the tie rule makes this a random pick.
        return np.zeros(int(study.sum())), "no crimes in the history window"
    if bandwidth is None:
        bandwidth, why = default_bandwidth(x, y, grid.cell)
    else:
        why = f"bandwidth {bandwidth:,.0f} m (given)"
    density = quartic_kde(grid, x, y, bandwidth, mask=study)
    return density[study], why


def summarise_forecasts(results: pd.DataFrame) -> pd.DataFrame:
    """Average the rolling evaluation per method and coverage.

    ``mean_hit_rate``, ``mean_pai`` and ``mean_pei`` average the monthly values
    over the months that had any crime (zero-crime months have no hit rate and
    are left out, and ``months_scored`` says how many remained);
    ``pooled_hit_rate`` is all hits over all crimes across the months, which
    weights busy months more and is steadier when monthly counts are small.
    """
    if results.empty:
        return pd.DataFrame(
            columns=[
                "method",
                "coverage",
                "months",
                "months_scored",
                "mean_hit_rate",
                "pooled_hit_rate",
                "mean_pai",
                "mean_pei",
            ]
        )
    grouped = results.groupby(["method", "coverage"], sort=False)
    summary = grouped.agg(
        months=("target_month", "size"),
        months_scored=("hit_rate", "count"),
        mean_hit_rate=("hit_rate", "mean"),
        hits=("hits", "sum"),
        total=("total", "sum"),
        mean_pai=("pai", "mean"),
        mean_pei=("pei", "mean"),
    ).reset_index()
    summary["pooled_hit_rate"] = [
        h / t if t > 0 else math.nan for h, t in zip(summary["hits"], summary["total"], strict=True)
    ]
    return summary[
        [
            "method",
            "coverage",
            "months",
            "months_scored",
            "mean_hit_rate",
            "pooled_hit_rate",
            "mean_pai",
            "mean_pei",
        ]
    ]
