"""Gi* against esda on real Hertfordshire data, plus hand-worked cases."""

from __future__ import annotations

import glob
import math

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist
from scipy.stats import norm

from harmwatch.spatial.grid import Grid
from harmwatch.spatial.projection import to_bng
from harmwatch.where.kernels.gistar import gistar, gistar_cells, neighbour_offsets

HERTS_2021 = "/work/shared/data/police-uk/2021-*/2021-*-hertfordshire-street.csv.gz"


@pytest.fixture(scope="module")
def herts_drugs_grid() -> tuple[np.ndarray, np.ndarray, float]:
    """2021 Hertfordshire drugs offences counted on 1 km cells, with a ragged mask."""
    files = sorted(glob.glob(HERTS_2021))
    if len(files) != 12:
        pytest.skip("police.uk Hertfordshire 2021 street files not available")
    cols = ["Crime type", "Longitude", "Latitude"]
    df = pd.concat([pd.read_csv(f, usecols=cols) for f in files], ignore_index=True)
    df = df[(df["Crime type"] == "Drugs") & df["Longitude"].notna() & df["Latitude"].notna()]
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    cell = 1000.0
    grid = Grid.covering(x.min(), y.min(), x.max(), y.max(), cell)
    counts = grid.counts(x, y).astype(np.float64)
    # Cells with an offence somewhere in their 3x3 block: a ragged, holed study
    # area, so that edge handling is exercised everywhere, not only at the border.
    mask = ndimage.maximum_filter(counts > 0, size=3, mode="constant", cval=False)
    assert counts.sum() > 2000 and 500 < mask.sum() < mask.size
    return counts, mask, cell


def brute_force_weights(mask: np.ndarray, cell: float, band: float):  # type: ignore[no-untyped-def]
    """libpysal weights of the mask's cells from brute-force distances between centres,
    and each cell's number of neighbours (itself not counted)."""
    libpysal = pytest.importorskip("libpysal")
    rows, cols = np.nonzero(mask)
    xy = np.column_stack([cols, rows]) * cell + cell / 2
    within = cdist(xy, xy) <= band * (1 + 1e-9)
    np.fill_diagonal(within, False)
    neighbours = {i: np.flatnonzero(within[i]).tolist() for i in range(len(rows))}
    return libpysal.weights.W(neighbours, silence_warnings=True), within.sum(axis=1)


def _esda_gistar(values: np.ndarray, mask: np.ndarray, cell: float, band: float) -> np.ndarray:
    """esda's Gi* z with neighbours found by brute-force distances between centres."""
    esda = pytest.importorskip("esda")
    w, _ = brute_force_weights(mask, cell, band)
    g = esda.G_Local(values[mask], w, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs)


# esda rebuilds the weights to add the self-weight and warns that the ragged
# study area is not one connected piece, which is true and intended.
@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
@pytest.mark.parametrize("band_cells", [None, 1.0, 2.5])
def test_matches_esda_on_herts_drugs(herts_drugs_grid, band_cells) -> None:
    counts, mask, cell = herts_drugs_grid
    band = None if band_cells is None else band_cells * cell
    z, p = gistar(counts, mask, cell, band)

    z_esda = _esda_gistar(counts, mask, cell, cell * math.sqrt(2) if band is None else band)
    assert np.all(np.isfinite(z[mask]))
    np.testing.assert_allclose(z[mask], z_esda, rtol=0, atol=1e-9)
    np.testing.assert_allclose(p[mask], 2 * norm.sf(np.abs(z_esda)), rtol=0, atol=1e-12)
    assert np.all(np.isnan(z[~mask])) and np.all(np.isnan(p[~mask]))
    # The real data must produce real hotspots, or the comparison proves little.
    assert z[mask].max() > 3


def test_unmasked_cells_are_ignored(herts_drugs_grid) -> None:
    counts, mask, cell = herts_drugs_grid
    z, p = gistar(counts, mask, cell)
    noisy = counts.copy()
    noisy[~mask] = 1e6
    noisy[tuple(np.argwhere(~mask)[0])] = np.nan  # not even NaN outside the mask matters
    z2, p2 = gistar(noisy, mask, cell)
    np.testing.assert_array_equal(z, z2)
    np.testing.assert_array_equal(p, p2)


@pytest.mark.parametrize("band_cells", [None, 2.5])
def test_study_cells_alone_are_the_grid_at_the_mask(herts_drugs_grid, band_cells) -> None:
    counts, mask, cell = herts_drugs_grid
    band = None if band_cells is None else band_cells * cell
    z, p = gistar(counts, mask, cell, band)
    # Whole counts as integers, as the hotspot pipeline passes them: the same numbers.
    zi, pi = gistar_cells(counts.astype(np.int64), mask, cell, band)
    assert zi.shape == pi.shape == (int(mask.sum()),)
    np.testing.assert_array_equal(zi, z[mask])
    np.testing.assert_array_equal(pi, p[mask])
    flat = gistar_cells(np.full(mask.shape, 2.0), mask, cell, band)
    assert all(np.isnan(a).all() and a.shape == zi.shape for a in flat)


def test_hot_centre_by_hand() -> None:
    # 5x5, all 0 but 25 in the middle: n = 25, mean 1, population variance 24.
    # A cell with W neighbours (itself included) summing to S has
    #   z = (S - W) / (sqrt(24) * sqrt((25 W - W^2) / 24)) = (S - W) / sqrt(W (25 - W)).
    values = np.zeros((5, 5))
    values[2, 2] = 25
    z, p = gistar(values, np.ones((5, 5), dtype=bool), 100.0)
    assert z[2, 2] == pytest.approx(16 / 12, abs=1e-12)  # W = 9, S = 25
    assert z[1, 1] == pytest.approx(16 / 12, abs=1e-12)  # diagonal neighbour, same block
    assert z[0, 0] == pytest.approx(-4 / math.sqrt(84), abs=1e-12)  # corner, W = 4, S = 0
    assert z[0, 2] == pytest.approx(-6 / math.sqrt(114), abs=1e-12)  # edge, W = 6, S = 0
    assert z[1, 2] == pytest.approx(16 / 12, abs=1e-12)  # W = 9, S = 25
    assert p[2, 2] == pytest.approx(math.erfc((4 / 3) / math.sqrt(2)), abs=1e-12)


def test_three_by_three_corner_and_whole_area_neighbourhood() -> None:
    # 3x3, 9 in the middle: n = 9, mean 1, variance 8. The centre's queen
    # neighbourhood is the whole study area (W = n), so its sum is fixed: NaN.
    values = np.zeros((3, 3))
    values[1, 1] = 9
    z, p = gistar(values, np.ones((3, 3), dtype=bool), 250.0)
    assert z[0, 0] == pytest.approx(5 / math.sqrt(20), abs=1e-12)
    assert z[0, 1] == pytest.approx(3 / (math.sqrt(8) * 1.5), abs=1e-12)
    assert np.isnan(z[1, 1]) and np.isnan(p[1, 1])


def test_mask_limits_neighbours_by_hand() -> None:
    # Study area = the four cells marked T; the cut-out cell (1, 1) holds a big
    # value that must neither count as an observation nor leak into neighbours.
    #   row 2:  .   T(0)
    #   row 1:  T(0) .(100)
    #   row 0:  T(4) T(0)
    values = np.array([[4.0, 0.0], [0.0, 100.0], [0.0, 0.0]])
    mask = np.array([[True, True], [True, False], [False, True]])
    # n = 4, mean 1, population variance 3: z = (S - W) / (sqrt(3) * sqrt((4W - W^2) / 3)).
    z, _ = gistar(values, mask, 10.0)
    assert z[0, 0] == pytest.approx(1 / math.sqrt(3), abs=1e-12)  # W = 3, S = 4
    assert z[0, 1] == pytest.approx(1 / math.sqrt(3), abs=1e-12)  # W = 3, S = 4
    assert z[2, 1] == pytest.approx(-1.0, abs=1e-12)  # W = 2 (itself and (1, 0)), S = 0
    assert np.isnan(z[1, 0])  # W = 4 = n: the whole study area
    assert np.isnan(z[1, 1]) and np.isnan(z[2, 0])


def test_all_equal_values_give_nan() -> None:
    values = np.full((4, 4), 0.1)
    z, p = gistar(values, np.ones((4, 4), dtype=bool), 100.0)
    assert np.all(np.isnan(z)) and np.all(np.isnan(p))


def test_neighbour_offsets() -> None:
    queen = neighbour_offsets(100.0)
    assert len(queen) == 9 and {tuple(o) for o in queen} == {
        (dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
    }
    assert len(neighbour_offsets(100.0, 100.0)) == 5  # rook + self
    assert len(neighbour_offsets(100.0, 250.0)) == 21  # 5x5 minus 4 corners
    # Float error in the band must not drop the cells exactly on it.
    assert len(neighbour_offsets(0.1, 0.1 * math.sqrt(2))) == 9
    assert len(neighbour_offsets(100.0, 200.0 * (1 - 1e-12))) == 13


@pytest.mark.parametrize(
    ("values", "mask", "band", "match"),
    [
        (
            np.arange(9.0).reshape(3, 3),
            np.eye(3, dtype=bool) & (np.arange(3) < 2),
            None,
            "at least 3",
        ),
        (np.arange(9.0).reshape(3, 3), np.ones((3, 3), dtype=bool), 99.0, "smaller than one"),
        (np.arange(9.0).reshape(3, 3), np.ones((3, 3), dtype=int), None, "boolean"),
        (np.arange(9.0).reshape(3, 3), np.ones((3, 2), dtype=bool), None, "does not match"),
        (np.array([[1.0, np.nan], [2.0, 3.0]]), np.ones((2, 2), dtype=bool), None, "finite"),
        (np.arange(9.0).reshape(3, 3), np.ones((3, 3), dtype=bool), float("inf"), "finite"),
    ],
)
def test_errors(values, mask, band, match) -> None:
    with pytest.raises(ValueError, match=match):
        gistar(values, mask, 100.0, band)
    with pytest.raises(ValueError, match=match):
        gistar_cells(values, mask, 100.0, band)
