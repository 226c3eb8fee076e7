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
ALL_METHODS = (*METHODS, "blend", "opencp", "last-all", "kde-all")


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
    min_history: int = 3,
) -> pd.DataFrame:
    return rolling_forecast_evaluation(
        x, y, m, MONTHS, GRID, MASK, methods, coverages, kde_bandwidth=kde_bandwidth,
        min_history=min_history,
    )  # fmt: skip


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
    out = evaluate(x, y, m, methods=ALL_METHODS, coverages=(0.01,))
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
        evaluate(x, y, m, methods=("last-1",), min_history=0)
    with pytest.raises(ValueError, match="every earlier month"):
        evaluate(x, y, m, methods=("blend-3",))
    with pytest.raises(ValueError, match="month_index"):
        evaluate(x, y, m + 1)
    with pytest.raises(ValueError, match="mask"):
        rolling_forecast_evaluation(x, y, m, MONTHS, GRID, MASK[:5])


def test_too_little_history_gives_an_empty_table() -> None:
    x, y, m = synthetic(noise=0)
    short = m < 3
    out = rolling_forecast_evaluation(
        x[short], y[short], m[short], MONTHS[:3], GRID, MASK, methods=("last-1",), min_history=3
    )
    assert out.empty and "hit_rate" in out.columns
    assert summarise_forecasts(out).empty


def test_a_window_longer_than_the_history_uses_what_there_is() -> None:
    # --min-history 1 with last-3 (issue 11: it was refused): month 2 is forecast from month
    # 1 alone, month 3 from months 1-2, and the table says how many months each had.
    x, y, m = synthetic(noise=2, seed=1)
    out = evaluate(x, y, m, methods=("last-3", "last-all"), coverages=(0.05,), min_history=1)
    assert sorted(out["target_month"].unique()) == MONTHS[1:]
    three = out[out["method"] == "last-3"].set_index("target_month")
    assert three["history_months"].tolist() == [1, 2, 3, 3, 3, 3, 3]
    assert three.loc["2024-02", "detail"].startswith("1 of 3 months of history")
    every = out[out["method"] == "last-all"].set_index("target_month")
    assert every["history_months"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert every["history_events"].tolist() == [
        len(MONTHS[:k]) * (PER_MONTH + 3) for k in range(1, 8)
    ]


def test_growing_window_counts_every_earlier_month() -> None:
    from harmwatch.where.forecast import rolling_forecasts

    x, y, m = synthetic(noise=3, seed=2)
    res = rolling_forecasts(x, y, m, MONTHS, GRID, MASK, ("last-all",), (0.05,), min_history=1)
    # The curve at 5 % equals the table's hits at 5 % (one rule for both).
    curve = res.curve[np.isclose(res.curve["coverage"], 0.05)].set_index("target_month")
    table = res.table.set_index("target_month")
    np.testing.assert_allclose(curve["hits"], table["hits"])
    assert (curve["total"] == table["total"]).all()


def test_blend_and_kde_choose_on_earlier_months_only() -> None:
    # The burst of the last month changes that month's scores, not the choice made for it:
    # the choice (in ``detail``) and the forecast for every month are those made without it.
    x, y, m = synthetic(noise=3, seed=3)
    plain = evaluate(x, y, m, methods=("blend", "kde"), coverages=(0.05,), min_history=1)
    burst = (np.full(30, 820.0), np.full(30, 120.0), np.full(30, len(MONTHS) - 1))
    with_burst = evaluate(
        np.r_[x, burst[0]], np.r_[y, burst[1]], np.r_[m, burst[2]].astype(int),
        methods=("blend", "kde"), coverages=(0.05,), min_history=1,
    )  # fmt: skip
    assert (plain["detail"] == with_burst["detail"]).all()
    first = plain[plain["target_month"] == MONTHS[1]]
    assert first["detail"].str.contains("the default: no earlier month scored yet").all()
    later = plain[plain["target_month"] == MONTHS[-1]]
    assert later["detail"].str.contains("chosen on the 6 earlier month").all()


def test_the_blends_running_sums_equal_the_formula() -> None:
    from harmwatch.where.forecast import _BlendState
    from harmwatch.where.kernels import blend

    x, y, m = synthetic(noise=4, seed=5)
    state = _BlendState(x, y, m, GRID, MASK)
    t = 6
    for month in range(t):
        state.add_month(month)
    grids = [GRID.counts(x[m == k], y[m == k]).astype(float) for k in range(t)]
    ages = np.arange(t)[::-1]  # month t-1 is age 0
    for (life, h), score in state.scores().items():
        layers = [
            np.array([g[MASK] for g in grids]),
            np.array([blend.smooth(g, h, GRID.cell)[MASK] for g in grids]),
            np.array([blend.smooth(g, blend.WIDE_M, GRID.cell)[MASK] for g in grids]),
            np.array([blend.smooth(g, blend.BACKGROUND_M, GRID.cell)[MASK] for g in grids]),
        ]
        expected = blend.blend_score(*layers, blend.decay(ages, life))
        np.testing.assert_allclose(score, expected, rtol=1e-12, atol=1e-15)
