"""Prospective hot-spotting: hand-computed grids and the time and distance cut-offs."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from harmwatch.spatial.grid import Grid
from harmwatch.where.kernels.prospective import prospective_risk, rings_within

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
