"""Prospective hot-spotting: hand-computed grids and the time and distance cut-offs."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from harmwatch.spatial.grid import Grid
from harmwatch.where.kernels.prospective import (
    opencp_ages,
    opencp_risk,
    prospective_risk,
    rings_within,
)

# 5 x 5 cells of 100 m; row 0 is the southern row.
GRID = Grid(0.0, 0.0, 100.0, 5, 5)


def as_float(rows: list[list[F]]) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in rows])


def test_two_events_and_one_too_old_by_hand() -> None:
    # E1 at (250, 250): cell row 2, col 2, age 0 -> time weight 1/(1+0) = 1.
    # E2 at ( 50,  50): cell row 0, col 0, age 1 -> time weight 1/(1+1) = 1/2.
    # E3 at (450, 450): age 2 -> outside a 2-month window (ages 0 and 1 count).
    # Bandwidth 200 m = 2 rings of 100 m cells.
    #
    # E1 reaches every cell: d1 = max(|r-2|, |c-2|) <= 2, weight 1/(1+d1).
    # E2 reaches cells with d2 = max(r, c) <= 2, weight 1/(1+d2) * 1/2.
    #   E1:  r4  1/3 1/3 1/3 1/3 1/3        E2:  r2  1/6 1/6 1/6  0  0
    #        r3  1/3 1/2 1/2 1/2 1/3             r1  1/4 1/4 1/6  0  0
    #        r2  1/3 1/2  1  1/2 1/3             r0  1/2 1/4 1/6  0  0
    #        r1  1/3 1/2 1/2 1/2 1/3
    #        r0  1/3 1/3 1/3 1/3 1/3
    # Sum, row 0 first:
    third, half = F(1, 3), F(1, 2)
    expected = as_float(
        [
            [F(5, 6), F(7, 12), half, third, third],
            [F(7, 12), F(3, 4), F(2, 3), half, third],
            [half, F(2, 3), F(7, 6), half, third],
            [third, half, half, half, third],
            [third] * 5,
        ]
    )
    x = np.array([250.0, 50.0, 450.0])
    y = np.array([250.0, 50.0, 450.0])
    risk = prospective_risk(GRID, x, y, age=np.array([0, 1, 2]), bandwidth_m=200.0, window=2)
    np.testing.assert_allclose(risk, expected, rtol=0, atol=1e-15)


def test_window_cut_off() -> None:
    x, y = np.array([250.0]), np.array([250.0])
    # Age 1 counts with a 2-month window (weight 1/2) but not with a 1-month one.
    assert prospective_risk(GRID, x, y, np.array([1]), window=2)[2, 2] == 0.5
    assert prospective_risk(GRID, x, y, np.array([1]), window=1)[2, 2] == 0.0
    # Age 2 counts (weight 1/3) only once the window is 3 months.
    assert prospective_risk(GRID, x, y, np.array([2]), window=2).sum() == 0.0
    assert prospective_risk(GRID, x, y, np.array([2]), window=3)[2, 2] == pytest.approx(1 / 3)


def test_bandwidth_cut_off_is_inclusive_and_in_whole_rings() -> None:
    x, y, age = np.array([250.0]), np.array([250.0]), np.array([0])
    # 200 m reaches the ring whose centres are 200 m away; 199 m does not.
    at_200 = prospective_risk(GRID, x, y, age, bandwidth_m=200.0)
    at_199 = prospective_risk(GRID, x, y, age, bandwidth_m=199.0)
    assert at_200[0, 0] == pytest.approx(1 / 3)
    assert at_199[0, 0] == 0.0
    assert at_199[1, 1] == 0.5
    # Less than a cell: only the event's own cell.
    own = prospective_risk(GRID, x, y, age, bandwidth_m=50.0)
    assert own[2, 2] == 1.0 and own.sum() == 1.0
    assert rings_within(400.0, 50.0) == 8
    assert rings_within(0.3, 0.1) == 3  # 0.3 / 0.1 = 2.9999999999999996 in floats


def test_diagonal_neighbours_are_one_cell_away() -> None:
    # Chebyshev distance: the eight cells around the event all get 1/(1+1).
    risk = prospective_risk(GRID, np.array([250.0]), np.array([250.0]), np.array([0]), 100.0)
    np.testing.assert_array_equal(
        risk[1:4, 1:4], [[0.5, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 0.5]]
    )
    assert risk.sum() == 1.0 + 8 * 0.5


def test_events_in_the_same_cell_add_up_and_position_in_cell_does_not_matter() -> None:
    x = np.array([201.0, 299.0, 250.0])
    y = np.array([201.0, 250.0, 299.0])
    risk = prospective_risk(GRID, x, y, np.array([0, 0, 1]), bandwidth_m=100.0)
    assert risk[2, 2] == pytest.approx(1 + 1 + 0.5)
    assert risk[3, 3] == pytest.approx((1 + 1 + 0.5) / 2)


def test_events_just_outside_the_grid_still_count() -> None:
    # An event in the column west of the grid (col -1, row 2) is one ring from
    # the cells of column 0 in rows 1-3.
    risk = prospective_risk(GRID, np.array([-50.0]), np.array([250.0]), np.array([0]), 100.0)
    assert risk[1:4, 0].tolist() == [0.5, 0.5, 0.5]
    assert risk.sum() == 1.5
    far = prospective_risk(GRID, np.array([-250.0]), np.array([250.0]), np.array([0]), 100.0)
    assert far.sum() == 0.0


def test_fractional_ages_count_whole_months() -> None:
    x, y = np.array([250.0]), np.array([250.0])
    assert prospective_risk(GRID, x, y, np.array([0.9]))[2, 2] == 1.0
    assert prospective_risk(GRID, x, y, np.array([1.5]))[2, 2] == 0.5


def test_mask_hides_cells_but_keeps_events() -> None:
    mask = np.zeros(GRID.shape, dtype=bool)
    mask[2, 3] = True
    risk = prospective_risk(
        GRID, np.array([250.0]), np.array([250.0]), np.array([0]), 100.0, mask=mask
    )
    assert risk[2, 3] == 0.5
    assert np.isnan(risk[~mask]).all()


def test_no_events_gives_zeros() -> None:
    risk = prospective_risk(GRID, np.array([]), np.array([]), np.array([]))
    assert risk.shape == GRID.shape and not risk.any()


def test_matches_a_direct_sum_over_events() -> None:
    rng = np.random.default_rng(2)
    grid = Grid(1000.0, 2000.0, 50.0, 13, 9)
    n = 60
    x = rng.uniform(800.0, 1900.0, n)
    y = rng.uniform(1800.0, 2700.0, n)
    age = rng.integers(0, 4, n)
    risk = prospective_risk(grid, x, y, age, bandwidth_m=175.0, window=3)
    ecol = np.floor((x - grid.x0) / grid.cell)
    erow = np.floor((y - grid.y0) / grid.cell)
    expected = np.zeros(grid.shape)
    for r in range(grid.nrows):
        for c in range(grid.ncols):
            d = np.maximum(np.abs(erow - r), np.abs(ecol - c))
            near = (d * grid.cell <= 175.0) & (age < 3)
            expected[r, c] = np.sum(near / (1 + d) / (1 + age))
    np.testing.assert_allclose(risk, expected, rtol=1e-13, atol=1e-15)


def test_bad_inputs_are_refused() -> None:
    x, y = np.array([250.0]), np.array([250.0])
    with pytest.raises(ValueError, match="negative age"):
        prospective_risk(GRID, x, y, np.array([-1]))
    with pytest.raises(ValueError, match="finite"):
        prospective_risk(GRID, np.array([np.nan]), y, np.array([0]))
    with pytest.raises(ValueError, match="window"):
        prospective_risk(GRID, x, y, np.array([0]), window=0)
    with pytest.raises(ValueError, match="bandwidth"):
        prospective_risk(GRID, x, y, np.array([0]), bandwidth_m=-1.0)
    with pytest.raises(ValueError, match="differ in length"):
        prospective_risk(GRID, x, y, np.array([0, 1]))
    with pytest.raises(ValueError, match="mask"):
        prospective_risk(GRID, x, y, np.array([0]), mask=np.ones((2, 2), dtype=bool))


# -- open_cp's defaults ----------------------------------------------------------------


def _opencp_loop(
    grid: Grid, x: np.ndarray, y: np.ndarray, months: list[str], target: str
) -> np.ndarray:
    """open_cp's ``ProspectiveHotSpot.predict`` transcribed (QuantCrimAtLeeds/PredictCode,
    open_cp/prohotspot.py): ``ClassicWeight`` (space_bandwidth = 400/50 = 8 cells,
    time_bandwidth = 8 units, weight 1/((1+dd)(1+dt)) with both strictly below the
    bandwidths), ``DistanceDiagonalsSame`` and ``time_deltas = floor((predict_time -
    timestamps) / time_unit)``, with each crime timestamped at the middle of its month, a
    30-day unit, and the prediction made at the first instant of the target month."""
    unit = np.timedelta64(30 * 24 * 3600, "s")
    stamps = []
    for month in months:
        start = np.datetime64(f"{month}-01T00:00:00", "s")
        end = (np.datetime64(month, "M") + np.timedelta64(1, "M")).astype("datetime64[s]")
        stamps.append(start + (end - start) / 2)
    predict = np.datetime64(f"{target}-01T00:00:00", "s")
    dt = np.floor((predict - np.array(stamps)) / unit)
    gx = np.floor((x - grid.x0) / grid.cell)
    gy = np.floor((y - grid.y0) / grid.cell)
    out = np.empty(grid.shape)
    for row in range(grid.nrows):
        for col in range(grid.ncols):
            dd = np.max(np.vstack((np.abs(gx - col), np.abs(gy - row))), axis=0)
            mask = (dt < 8) & (dd < 8)
            out[row, col] = np.sum(1 / ((1 + dd) * (1 + dt)) * mask)
    return out


def test_opencp_ages_are_whole_30_day_units_from_the_middle_of_the_month() -> None:
    # Target 2019-02 (predicted at 1 Feb 00:00). January's middle is 16 Jan 12:00, 15.5 days
    # before: age 0. June 2018 (30 days) is dated 16 Jun 00:00, 230 days before 1 Feb: 7.67,
    # age 7, the last that counts. May 2018 (31 days), 16 May 12:00, 260.5 days: age 8.
    # February 2018 (28 days), 15 Feb 00:00, 351 days: age 11.
    ages = opencp_ages(np.array(["2019-01", "2018-06", "2018-05", "2018-02"]), "2019-02")
    assert ages.tolist() == [0, 7, 8, 11]
    with pytest.raises(ValueError, match="not before"):
        opencp_ages(np.array(["2019-02"]), "2019-02")


def test_opencp_risk_equals_open_cps_own_loop() -> None:
    grid = Grid(0.0, 0.0, 250.0, 30, 24)
    rng = np.random.default_rng(7)
    months = [f"2018-{m:02d}" for m in range(3, 13)] + ["2019-01"]
    xs, ys, ms = [], [], []
    for i, month in enumerate(months):
        n = 4 + i
        xs += rng.uniform(-500, 30 * 250 + 500, n).tolist()  # some just outside the grid
        ys += rng.uniform(-500, 24 * 250 + 500, n).tolist()
        ms += [month] * n
    x, y = np.array(xs), np.array(ys)
    got = opencp_risk(grid, x, y, np.array(ms), "2019-02")
    want = _opencp_loop(grid, x, y, ms, "2019-02")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # The weight reaches 7 rings, never the 8th: a lone event's footprint is 15 x 15 cells.
    lone = opencp_risk(
        grid, np.array([3875.0]), np.array([3125.0]), np.array(["2019-01"]), "2019-02"
    )
    assert (lone > 0).sum() == 15 * 15 and lone.max() == 1.0
    assert lone[12, 15 + 7] == pytest.approx(1 / 8) and lone[12, 15 + 8] == 0
