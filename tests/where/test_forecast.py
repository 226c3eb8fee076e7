"""Rolling next-month forecast evaluation on a synthetic area with one persistent hotspot."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harmwatch.spatial.grid import Grid
from harmwatch.where.forecast import (
    check_consecutive,
    rolling_forecast_evaluation,
    summarise_forecasts,
)

# 10 x 10 cells of 100 m. The study area leaves out the eastern column, so it has
# 90 cells and 1 % coverage flags max(1, round(0.9)) = 1 cell.
GRID = Grid(0.0, 0.0, 100.0, 10, 10)
MASK = np.ones(GRID.shape, dtype=bool)
MASK[:, 9] = False
MONTHS = [f"2024-{m:02d}" for m in range(1, 9)]
HOT_ROW, HOT_COL = 5, 5
PER_MONTH = 6  # crimes in the hotspot every month
METHODS = ("last-1", "last-3", "kde", "prospective")


def synthetic(noise: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crimes: PER_MONTH a month in the hotspot cell, ``noise`` a month in random
    study-area cells at least 3 cells from it, and one a month outside the study
    area (eastern column), which must never count."""
    rng = np.random.default_rng(seed)
    far = [
        (r, c) for r in range(10) for c in range(9) if max(abs(r - HOT_ROW), abs(c - HOT_COL)) >= 3
    ]
    xs, ys, ms = [], [], []
    for month in range(len(MONTHS)):
        cells = [(HOT_ROW, HOT_COL)] * PER_MONTH
        cells += [far[i] for i in rng.choice(len(far), size=noise, replace=False)]
        cells += [(int(rng.integers(0, 10)), 9)]
        for r, c in cells:
            xs.append(GRID.x0 + (c + rng.uniform(0.05, 0.95)) * GRID.cell)
            ys.append(GRID.y0 + (r + rng.uniform(0.05, 0.95)) * GRID.cell)
            ms.append(month)
    return np.array(xs), np.array(ys), np.array(ms)


def evaluate(
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray,
    methods: tuple[str, ...] = METHODS,
    coverages: tuple[float, ...] = (0.01,),
    kde_bandwidth: float | None = None,
) -> pd.DataFrame:
    return rolling_forecast_evaluation(
        x, y, m, MONTHS, GRID, MASK, methods, coverages, kde_bandwidth=kde_bandwidth
    )


def test_persistent_hotspot_alone_is_found_with_hit_rate_one() -> None:
    x, y, m = synthetic(noise=0)
    out = evaluate(x, y, m, methods=METHODS, coverages=(0.01, 0.05))
    # Targets 2024-04 .. 2024-08 (min_history = 3), 4 methods, 2 coverages.
    assert len(out) == 5 * 4 * 2
    assert sorted(out["target_month"].unique()) == MONTHS[3:]
    one = out[out["coverage"] == 0.01]
    assert (one["cells_flagged"] == 1).all()
    assert (one["n_cells"] == 90).all()
    assert (one["hits"] == PER_MONTH).all()
    # The crime in the eastern column is outside the study area: total is 6, not 7.
    assert (one["total"] == PER_MONTH).all()
    assert (one["hit_rate"] == 1.0).all()
    assert np.allclose(one["pai"], 90.0)  # hit rate 1 over 1/90 of the area
    assert (one["pei"] == 1.0).all()
    assert (one["area_share"] == 1 / 90).all()


def test_persistent_hotspot_among_noise_is_the_best_possible_pick() -> None:
    x, y, m = synthetic(noise=3, seed=4)
    out = evaluate(x, y, m, methods=METHODS, coverages=(0.01,))
    # Every method flags the hotspot cell: 6 of the month's 9 study-area crimes,
    # which is the most any single cell holds (PEI = 1).
    assert (out["hits"] == PER_MONTH).all()
    assert (out["total"] == PER_MONTH + 3).all()
    assert np.allclose(out["hit_rate"], 6 / 9)
    assert (out["pei"] == 1.0).all()
    kde = out[out["method"] == "kde"]
    assert kde["detail"].str.contains("bandwidth").all()
    assert (kde["history_events"] == 3 * (PER_MONTH + 3 + 1)).all()


def test_forecast_never_sees_the_target_month() -> None:
    # A burst of 20 crimes in a fresh cell in the last month only: no forecast for
    # that month can know about it, so the flagged cell is still the old hotspot.
    x, y, m = synthetic(noise=0)
    burst_x = np.full(20, 150.0)
    burst_y = np.full(20, 150.0)
    x = np.concatenate([x, burst_x])
    y = np.concatenate([y, burst_y])
    m = np.concatenate([m, np.full(20, len(MONTHS) - 1)])
    out = evaluate(x, y, m, methods=METHODS, coverages=(0.01,))
    last = out[out["target_month"] == MONTHS[-1]]
    assert (last["hits"] == PER_MONTH).all()
    assert (last["total"] == PER_MONTH + 20).all()
    assert (last["best_hits"] == 20).all()
    assert np.allclose(last["pei"], PER_MONTH / 20)


def test_given_kde_bandwidth_is_used_and_recorded() -> None:
    x, y, m = synthetic(noise=3)
    out = evaluate(x, y, m, methods=("kde-2",), coverages=(0.01,), kde_bandwidth=250.0)
    assert (out["detail"] == "bandwidth 250 m (given)").all()
    assert (out["hits"] == PER_MONTH).all()


def test_zero_crime_target_month_is_nan_and_left_out_of_means() -> None:
    x, y, m = synthetic(noise=0)
    quiet = m != 5  # nothing recorded in 2024-06
    out = evaluate(x[quiet], y[quiet], m[quiet], methods=("last-1",), coverages=(0.01,))
    june = out[out["target_month"] == "2024-06"].iloc[0]
    assert june["total"] == 0 and math.isnan(june["hit_rate"]) and math.isnan(june["pai"])
    summary = summarise_forecasts(out)
    row = summary.iloc[0]
    assert (row["months"], row["months_scored"]) == (5, 4)
    # July is forecast from June (empty): every cell ties at 0, so the hotspot
    # cell is 1 of 90 equally likely picks: expected hits 6/90, hit rate 1/90.
    july = out[out["target_month"] == "2024-07"].iloc[0]
    assert july["hit_rate"] == pytest.approx(1 / 90)
    assert july["ties_at_cut"] == 90
    assert row["mean_hit_rate"] == pytest.approx((1 + 1 + 1 / 90 + 1) / 4)
    assert row["pooled_hit_rate"] == pytest.approx((6 + 6 + 6 / 90 + 6) / 24)


def test_summary_per_method_and_coverage() -> None:
    x, y, m = synthetic(noise=0)
    out = evaluate(x, y, m, methods=METHODS, coverages=(0.01, 0.05))
    summary = summarise_forecasts(out)
    assert len(summary) == 8
    one = summary[summary["coverage"] == 0.01]
    assert (one["mean_hit_rate"] == 1.0).all() and (one["pooled_hit_rate"] == 1.0).all()
    assert (one["months"] == 5).all()


def test_a_gap_in_the_months_is_an_error_naming_it() -> None:
    x, y, m = synthetic(noise=0)
    months = [
        "2024-01",
        "2024-02",
        "2024-04",
        "2024-05",
        "2024-06",
        "2024-07",
        "2024-08",
        "2024-09",
    ]
    with pytest.raises(ValueError, match=r"2024-02 is followed by 2024-04 \(missing 2024-03\)"):
        rolling_forecast_evaluation(x, y, m, months, GRID, MASK)
    with pytest.raises(ValueError, match="missing 2024-03 to 2024-05"):
        check_consecutive(["2024-01", "2024-02", "2024-06"])
    with pytest.raises(ValueError, match="in order"):
        check_consecutive(["2024-02", "2024-01"])
    with pytest.raises(ValueError, match="YYYY-MM"):
        check_consecutive(["2024-1"])
    check_consecutive(["2023-11", "2023-12", "2024-01"])  # across a year end is fine


def test_argument_checks() -> None:
    x, y, m = synthetic(noise=0)
    with pytest.raises(ValueError, match="unknown forecast method"):
        evaluate(x, y, m, methods=("magic",))
    with pytest.raises(ValueError, match="how many months"):
        evaluate(x, y, m, methods=("last",))
    with pytest.raises(ValueError, match="min_history"):
        evaluate(x, y, m, methods=("last-6",))
    with pytest.raises(ValueError, match="month_index"):
        evaluate(x, y, m + 1)
    with pytest.raises(ValueError, match="mask"):
        rolling_forecast_evaluation(x, y, m, MONTHS, GRID, MASK[:5])


def test_too_little_history_gives_an_empty_table() -> None:
    x, y, m = synthetic(noise=0)
    short = m < 3
    out = rolling_forecast_evaluation(
        x[short], y[short], m[short], MONTHS[:3], GRID, MASK, methods=("last-1",)
    )
    assert out.empty and "hit_rate" in out.columns
    assert summarise_forecasts(out).empty
