from __future__ import annotations

import numpy as np
import pytest

from harmwatch.spatial.grid import Grid, GridTooLargeError, default_cell_size, round_cell_size


def test_covering_aligns_to_multiples_of_the_cell() -> None:
    grid = Grid.covering(510_130.0, 190_020.0, 511_000.0, 190_500.0, 250)
    assert (grid.x0, grid.y0) == (510_000.0, 190_000.0)
    # 511,000 and 190,500 lie on edges: points there belong to the cells beyond them.
    assert (grid.ncols, grid.nrows) == (5, 3)
    assert grid.locate(np.array([511_000.0]), np.array([190_499.9]))[0] == 1 * 5 + 4


def test_locate_and_counts_row_major_south_first() -> None:
    grid = Grid(0.0, 0.0, 10.0, ncols=3, nrows=2)
    x = np.array([5.0, 25.0, 25.0, 15.0, np.nan, -1.0, 30.0])
    y = np.array([5.0, 15.0, 19.9, 0.0, 5.0, 5.0, 5.0])
    assert grid.locate(x, y).tolist() == [0, 5, 5, 1, -1, -1, -1]
    assert grid.counts(x, y).tolist() == [[1, 1, 0], [0, 0, 2]]
    cx, cy = grid.centres()
    assert cx.tolist() == [5, 15, 25, 5, 15, 25] and cy.tolist() == [5, 5, 5, 15, 15, 15]


def test_weighted_counts() -> None:
    grid = Grid(0.0, 0.0, 10.0, ncols=2, nrows=1)
    out = grid.counts(
        np.array([1.0, 2.0, 15.0]), np.array([1.0, 1.0, 1.0]), np.array([0.5, 2.0, 1.0])
    )
    assert out.tolist() == [[2.5, 1.0]]


@pytest.mark.parametrize(
    ("raw", "rounded"), [(480, 500), (260, 250), (130, 100), (180, 200), (3.3, 2.5), (7.6, 10)]
)
def test_round_cell_size(raw: float, rounded: float) -> None:
    assert round_cell_size(raw) == rounded


def test_default_cell_size_gives_about_50_cells_on_the_short_side() -> None:
    assert default_cell_size(0, 0, 60_000, 25_000) == 500


def test_refusals() -> None:
    with pytest.raises(GridTooLargeError, match="choose a larger cell"):
        Grid.covering(0, 0, 700_000, 1_200_000, 10)
    with pytest.raises(ValueError, match="positive"):
        Grid(0, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="empty extent"):
        Grid.covering(10, 0, 0, 10, 1)


def test_default_cell_size_can_be_floored() -> None:
    # A 1.6 km wide boundary would get 25 m cells; the caller floors it at the data's precision.
    assert default_cell_size(0, 0, 1_650, 1_780) == 25
    assert default_cell_size(0, 0, 1_650, 1_780, minimum=100) == 100
    assert default_cell_size(0, 0, 60_000, 25_000, minimum=100) == 500  # no effect when coarser
