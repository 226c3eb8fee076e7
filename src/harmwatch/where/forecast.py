"""Rolling evaluation of "where will crime be next month?" forecasts.

For every target month ``t`` that has ``min_history`` months before it, each
method predicts a score per study-area cell from the months before ``t`` only,
and the prediction is scored against the crimes actually recorded in month
``t`` (hit rate, PAI, PEI at each coverage; see
:mod:`harmwatch.where.kernels.forecast_metrics`). The result says how much
better than "where it was last month" each method would have done, on this
area's own history, which is the question an analyst has to answer before
trusting any of them.

Methods, named by strings so a caller can ask for variants. ``k`` is a number of
months (a *fixed* window: the ``k`` months before the target) or ``all`` (a
*growing* window: every earlier month of the run):

* ``"last-k"`` / ``"last-all"``: the number of crimes in each cell over the window.
* ``"kde"`` / ``"kde-k"`` / ``"kde-all"``: quartic kernel density of the window's
  crimes (3 months for plain ``"kde"``). Its bandwidth is the given one or else
  *chosen for forecasting from the data*: each of :data:`KDE_BANDWIDTHS_M` is
  scored on every month, and each month uses the one with the best mean hit rate
  over the months scored before it (:data:`DEFAULT_KDE_BANDWIDTH_M` for the
  first). The sfhotspot mapping rule (13–15 km at county scale) made the KDE
  forecast close to random, so it is no longer used here.
* ``"blend"``: recent counts, a local density and a wide one, over every earlier
  month with a half-life (:mod:`harmwatch.where.kernels.blend`); its half-life and
  bandwidth are chosen on the earlier months the same way. This is the method
  harmwatch recommends before any months are scored.
* ``"opencp"``: prospective hotspotting with the weights open_cp uses by default
  (Bowers, Johnson & Pease 2004, as ``open_cp.prohotspot`` sets them: see
  :func:`~harmwatch.where.kernels.prospective.opencp_risk`), over every earlier
  month: the published tool's own method, for comparison.
* ``"prospective"`` / ``"prospective-k"``: harmwatch's earlier prospective
  hot-spotting over the previous ``k`` months (2 for plain ``"prospective"``),
  400 m bandwidth and age in months.

A window longer than the history available (``--min-history 1`` forecasts the
second month of a run from the first alone) uses the months there are; the
table's ``history_months`` says how many each forecast had.

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
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from harmwatch.spatial.grid import Grid
from harmwatch.timeline.months import month_number, month_text
from harmwatch.where.kernels import blend
from harmwatch.where.kernels.forecast_metrics import (
    DEFAULT_COVERAGES,
    evaluate_forecast,
    hit_curve,
)
from harmwatch.where.kernels.kde import quartic_kde
from harmwatch.where.kernels.prospective import opencp_risk, prospective_risk

RECOMMENDED_METHOD = "blend"
DEFAULT_METHODS = ("blend", "last-1", "last-3", "last-all", "kde", "opencp")
KDE_MONTHS = 3
PROSPECTIVE_MONTHS = 2
PROSPECTIVE_BANDWIDTH_M = 400.0
KDE_BANDWIDTHS_M = (250.0, 500.0, 1000.0, 2000.0, 4000.0)
DEFAULT_KDE_BANDWIDTH_M = 1000.0
DEFAULT_MIN_HISTORY = 1
ALL = 0  # ``months`` of a growing window: every earlier month of the run
# The hit-rate-by-area curve: every half per cent to 20 %, then every 5 % to the whole area.
CURVE_LEVELS = tuple(
    [round(0.005 * i, 3) for i in range(1, 41)] + [round(0.05 * i, 2) for i in range(5, 21)]
)

_METHOD = re.compile(r"^(last|kde|prospective|blend|opencp)(?:-(\d+|all))?$")


@dataclass(frozen=True)
class _Method:
    name: str
    kind: str
    months: int  # window length; ALL (0) for every earlier month

    @property
    def growing(self) -> bool:
        return self.months == ALL


def parse_method(name: str) -> _Method:
    """A method name as (kind, months); ``ValueError`` naming what is wrong with it."""
    m = _METHOD.match(name)
    if m is None:
        raise ValueError(
            f"unknown forecast method {name!r}; use 'blend', 'opencp', 'last-k', 'kde', "
            "'kde-k', 'prospective' or 'prospective-k' with k a whole number of months "
            "or 'all' (every earlier month; 'last-all', 'kde-all')"
        )
    kind, k = m.group(1), m.group(2)
    if kind in ("blend", "opencp"):
        if k is not None:
            raise ValueError(
                f"{name!r}: {kind} always uses every earlier month (its weights fade old "
                f"months); name it {kind!r}"
            )
        return _Method(name, kind, ALL)
    if k is None:
        if kind == "last":
            raise ValueError(
                f"{name!r}: say how many months, e.g. 'last-1', 'last-3' or 'last-all'"
            )
        k = str(KDE_MONTHS if kind == "kde" else PROSPECTIVE_MONTHS)
    if k == "all":
        if kind == "prospective":
            raise ValueError(
                f"{name!r}: prospective hot-spotting weighs months by age within a window; give "
                "a number of months, or use 'opencp' (every earlier month, weights to 8 months)"
            )
        return _Method(name, kind, ALL)
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


@dataclass
class RollingForecasts:
    """The rolling evaluation: the month-by-month scores and the hit-rate-by-area curve."""

    table: pd.DataFrame  # one row per (method, target month, coverage)
    curve: pd.DataFrame  # one row per (method, target month, level): hits and total
    notes: list[str] = field(default_factory=list)


TABLE_COLUMNS = [
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
    "history_months",
    "detail",
]
CURVE_COLUMNS = ["method", "target_month", "coverage", "hits", "total"]


class _Chooser:
    """Chooses a method's parameters for each month from its candidates' earlier scores.

    Every candidate is scored on every month with crime (mean hit rate over the
    coverages asked for); the choice for month ``t`` is the candidate with the
    highest mean over the months before ``t``, or ``default`` before any month
    has been scored. The month being forecast never takes part in its own choice.
    """

    def __init__(self, default: object) -> None:
        self.default = default
        self.history: list[dict[object, float]] = []

    def choose(self) -> tuple[object, int]:
        if not self.history:
            return self.default, 0
        keys = list(self.history[0])
        means = {k: float(np.mean([h[k] for h in self.history])) for k in keys}
        # Ties go to the earlier candidate in the list (the more conservative one).
        best = max(keys, key=lambda k: (means[k], -keys.index(k)))
        return best, len(self.history)

    def record(self, scores: dict[object, float]) -> None:
        if all(math.isfinite(v) for v in scores.values()):
            self.history.append(scores)


def _mean_hit_rate(predicted: np.ndarray, actual: np.ndarray, coverages: Sequence[float]) -> float:
    rates = [s.hit_rate for s in evaluate_forecast(predicted, actual, coverages)]
    return float(np.mean(rates))


def rolling_forecasts(
    x: np.ndarray,
    y: np.ndarray,
    month_index: np.ndarray,
    months: list[str],
    grid: Grid,
    mask: np.ndarray,
    methods: Sequence[str] = DEFAULT_METHODS,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    kde_bandwidth: float | None = None,
    min_history: int = DEFAULT_MIN_HISTORY,
    curve_levels: Sequence[float] = CURVE_LEVELS,
) -> RollingForecasts:
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
        kde_bandwidth: KDE bandwidth in metres; ``None`` chooses it month by
            month from the earlier months' scores.
        min_history: first target month is ``months[min_history]`` (at least 1).
        curve_levels: the coverages of the hit-rate-by-area curve.

    Returns:
        :class:`RollingForecasts`. The table has columns ``method, target_month,
        coverage, n_cells, cells_flagged, area_share, hits, best_hits, total,
        hit_rate, pai, pei, ties_at_cut, history_events, history_months,
        detail``: ``history_events`` counts the crimes the forecast was built
        from, ``history_months`` the months, and ``detail`` the parameters used
        and how they were chosen. Empty (with those columns) if no month has
        enough history.

    Raises:
        ValueError: for a gap or disorder in ``months``, month indices outside
            ``months``, mismatched lengths, non-finite coordinates, a bad mask,
            an unknown method, or ``min_history`` below 1.
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
    if int(min_history) != min_history or min_history < 1:
        raise ValueError(f"min_history must be a whole number of months >= 1, got {min_history!r}")

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
    blends = (
        _BlendState(px, py, mi, grid, study) if any(m.kind == "blend" for m in parsed) else None
    )
    choosers: dict[str, _Chooser] = {}
    for method in parsed:
        if method.kind == "blend":
            choosers[method.name] = _Chooser((blend.DEFAULT_HALF_LIFE, blend.DEFAULT_BANDWIDTH_M))
        elif method.kind == "kde" and kde_bandwidth is None:
            choosers[method.name] = _Chooser(DEFAULT_KDE_BANDWIDTH_M)

    rows: list[dict[str, object]] = []
    curve_rows: list[dict[str, object]] = []
    for t in range(1, len(months)):
        if blends is not None:
            blends.add_month(t - 1)
        if t < min_history:
            # Too early to be scored, but the choosers still learn from it.
            for method in parsed:
                if method.name in choosers:
                    _forecast(method, t, px, py, mi, months, grid, study, monthly,
                              kde_bandwidth, choosers, blends, coverages)  # fmt: skip
            continue
        actual = monthly[t]
        for method in parsed:
            predicted, detail, first = _forecast(
                method, t, px, py, mi, months, grid, study, monthly, kde_bandwidth,
                choosers, blends, coverages,
            )  # fmt: skip
            in_window = (mi >= first) & (mi < t)
            for score in evaluate_forecast(predicted, actual, coverages):
                rows.append(
                    {
                        "method": method.name,
                        "target_month": months[t],
                        **asdict(score),
                        "history_events": int(in_window.sum()),
                        "history_months": t - first,
                        "detail": detail,
                    }
                )
            if actual.sum() > 0 and curve_levels:
                hits = hit_curve(predicted, actual, curve_levels)
                total = float(actual.sum())
                for level, h in zip(curve_levels, hits, strict=True):
                    curve_rows.append(
                        {
                            "method": method.name,
                            "target_month": months[t],
                            "coverage": float(level),
                            "hits": float(h),
                            "total": total,
                        }
                    )
    return RollingForecasts(
        pd.DataFrame(rows, columns=TABLE_COLUMNS), pd.DataFrame(curve_rows, columns=CURVE_COLUMNS)
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
    min_history: int = DEFAULT_MIN_HISTORY,
) -> pd.DataFrame:
    """The month-by-month table of :func:`rolling_forecasts` (no curve)."""
    return rolling_forecasts(
        x, y, month_index, months, grid, mask, methods, coverages, kde_bandwidth, min_history,
        curve_levels=(),
    ).table  # fmt: skip


def _forecast(
    method: _Method,
    t: int,
    px: np.ndarray,
    py: np.ndarray,
    mi: np.ndarray,
    months: list[str],
    grid: Grid,
    study: np.ndarray,
    monthly: np.ndarray,
    kde_bandwidth: float | None,
    choosers: dict[str, _Chooser],
    blends: _BlendState | None,
    coverages: Sequence[float],
) -> tuple[np.ndarray, str, int]:
    """One method's scores for month ``t`` (study cells), a note of how, and its first month.

    A method with a chooser also scores all its candidates on month ``t`` and
    records them, after choosing, so that later months can choose from them.
    """
    first = 0 if method.growing else max(0, t - method.months)
    in_window = (mi >= first) & (mi < t)
    actual = monthly[t]
    detail = ""
    if method.months and t - first < method.months:
        detail = f"{t - first} of {method.months} months of history (the run starts there); "
    chooser = choosers.get(method.name)
    if method.kind == "last":
        return monthly[first:t].sum(axis=0), detail.rstrip("; "), first
    if method.kind == "prospective":
        risk = prospective_risk(
            grid,
            px[in_window],
            py[in_window],
            age=(t - 1) - mi[in_window],
            bandwidth_m=PROSPECTIVE_BANDWIDTH_M,
            window=method.months,
        )
        return risk[study], detail.rstrip("; "), first
    if method.kind == "opencp":
        risk = opencp_risk(
            grid, px[in_window], py[in_window], np.asarray(months)[mi[in_window]], months[t]
        )
        return risk[study], "open_cp default weights, crimes dated mid-month, 30-day unit", first
    if method.kind == "kde":
        x, y = px[in_window], py[in_window]
        if kde_bandwidth is not None:
            return (
                _kde(grid, x, y, study, kde_bandwidth),
                detail + f"bandwidth {kde_bandwidth:,.0f} m (given)",
                first,
            )
        assert chooser is not None
        by_width: dict[object, np.ndarray] = {
            h: _kde(grid, x, y, study, h) for h in KDE_BANDWIDTHS_M
        }
        chosen, scored = chooser.choose()
        if actual.sum() > 0:
            chooser.record({h: _mean_hit_rate(s, actual, coverages) for h, s in by_width.items()})
        width = float(chosen)  # type: ignore[arg-type]
        return by_width[chosen], detail + f"bandwidth {width:,.0f} m ({_how(scored)})", first
    assert method.kind == "blend" and blends is not None and chooser is not None
    candidates: dict[object, np.ndarray] = {k: v for k, v in blends.scores().items()}
    chosen, scored = chooser.choose()
    if actual.sum() > 0:
        chooser.record({k: _mean_hit_rate(s, actual, coverages) for k, s in candidates.items()})
    assert isinstance(chosen, tuple)
    half_life, bandwidth = float(chosen[0]), float(chosen[1])
    life = "no decay" if math.isinf(half_life) else f"half-life {half_life:g} months"
    return (
        candidates[chosen],
        f"bandwidth {bandwidth:,.0f} m, {life} ({_how(scored)})",
        first,
    )


def _how(scored: int) -> str:
    if scored:
        return f"chosen on the {scored} earlier month(s) scored"
    return "the default: no earlier month scored yet"


def _kde(
    grid: Grid, x: np.ndarray, y: np.ndarray, study: np.ndarray, bandwidth: float
) -> np.ndarray:
    """KDE scores on study-area cells (all 0 with no history: every cell ties)."""
    if x.size == 0:
        return np.zeros(int(study.sum()))
    return quartic_kde(grid, x, y, bandwidth, mask=study)[study]


class _BlendState:
    """Running sums of the blend's surfaces for every candidate, one month at a time.

    With exponential decay the sum over earlier months obeys
    ``S_t = 2^(−1/λ) S_{t−1} + X_{t−1}``, so each month's crimes are smoothed
    once, when they become history, and nothing is kept per month.
    """

    def __init__(
        self, px: np.ndarray, py: np.ndarray, mi: np.ndarray, grid: Grid, study: np.ndarray
    ) -> None:
        self.px, self.py, self.mi, self.grid, self.study = px, py, mi, grid, study
        n = int(study.sum())
        self.widths = (*blend.BANDWIDTHS_M, blend.WIDE_M)
        self.sums: dict[float, dict[str | float, np.ndarray]] = {
            life: {w: np.zeros(n) for w in ("counts", *self.widths)} for life in blend.HALF_LIVES
        }
        self.background = np.zeros(n)

    def add_month(self, m: int) -> None:
        sel = self.mi == m
        counts = self.grid.counts(self.px[sel], self.py[sel]).astype(np.float64)
        layers: dict[str | float, np.ndarray] = {"counts": counts[self.study]}
        for width in self.widths:
            layers[width] = blend.smooth(counts, width, self.grid.cell)[self.study]
        self.background += blend.smooth(counts, blend.BACKGROUND_M, self.grid.cell)[self.study]
        for life, sums in self.sums.items():
            keep = float(blend.decay([1.0], life)[0])
            for key, layer in layers.items():
                sums[key] *= keep
                sums[key] += layer

    def scores(self) -> dict[tuple[float, float], np.ndarray]:
        """The blended score of every (half-life, bandwidth) candidate, in candidate order."""
        top = float(self.background.max(initial=0.0))
        bg = blend.BACKGROUND_SCALE * self.background / top if top > 0 else 0.0
        out: dict[tuple[float, float], np.ndarray] = {}
        for life in blend.HALF_LIVES:
            s = self.sums[life]
            base = s["counts"] + blend.WIDE_WEIGHT * s[blend.WIDE_M] + bg
            for h in blend.BANDWIDTHS_M:
                out[(life, h)] = base + blend.NEAR_WEIGHT * s[h]
        return out


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
