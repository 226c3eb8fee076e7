"""Gi* conditional-permutation p-values: esda's p_sim replayed, a cell-by-cell loop, the floor.

esda (2.9.0) computes ``G_Local(..., permutations=P, seed=s).p_sim`` from the draws
``esda.crand.vec_permutations(max_card, n, P, s)``; passing those same draws to
:func:`gistar_permutation` must give the same p-values (esda stores them as float32).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from test_gistar import (
    brute_force_weights,
    herts_drugs_grid,  # noqa: F401  (the real-data fixture)
)

from harmwatch.where.kernels.gistar_permutation import (
    draw_positions,
    gistar_permutation,
    permutations_needed,
)


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
@pytest.mark.parametrize("band_cells", [None, 2.5])
def test_equals_esda_p_sim_with_esda_draws(herts_drugs_grid, band_cells) -> None:  # noqa: F811
    esda = pytest.importorskip("esda")
    from esda.crand import vec_permutations

    counts, mask, cell = herts_drugs_grid
    band = cell * math.sqrt(2) if band_cells is None else band_cells * cell
    w, cards = brute_force_weights(mask, cell, band)
    permutations, seed = 999, 20240101
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # esda's note on 'alternative'
        g = esda.G_Local(
            counts[mask], w, transform="B", star=True, permutations=permutations, seed=seed,
            n_jobs=1, keep_simulations=False,
        )  # fmt: skip
    draws = vec_permutations(int(cards.max()), int(mask.sum()), permutations, seed)
    ours = gistar_permutation(counts, mask, cell, band, positions=draws)
    assert ours.permutations == permutations
    np.testing.assert_array_equal(ours.p_sim.astype(np.float32), g.p_sim)
    # Real hotspots: some cells reach the floor, so the comparison covers the tails too.
    assert (ours.p_sim == 1 / (permutations + 1)).sum() > 10


def _loop(values: np.ndarray, mask: np.ndarray, cell: float, band: float, draws: np.ndarray):
    """esda's conditional randomisation written out cell by cell (its crand, transcribed)."""
    x = values[mask].astype(float)
    _, cards = brute_force_weights(mask, cell, band)
    rows, cols = np.nonzero(mask)
    xy = np.column_stack([cols, rows]) * cell + cell / 2
    within = cdist(xy, xy) <= band * (1 + 1e-9)
    ge, le = [], []
    for i in range(len(x)):
        others = np.delete(x, i)
        sims = others[draws[:, : cards[i]]].sum(axis=1)
        observed = x[within[i]].sum() - x[i]
        ge.append(int((sims >= observed).sum()))
        le.append(int((sims <= observed).sum()))
    return np.array(ge), np.array(le)


@pytest.mark.parametrize("band", [150.0, 250.0])
def test_equals_a_cell_by_cell_loop(band: float) -> None:
    rng = np.random.default_rng(5)
    values = rng.poisson(0.4, (23, 31)).astype(float)
    values[8:11, 12:15] += rng.poisson(3, (3, 3))
    mask = np.ones(values.shape, bool)
    mask[:4, :6] = False
    mask[15, 3:9] = False
    n = int(mask.sum())
    draws = draw_positions(n, 20, 500, seed=9)
    ours = gistar_permutation(values, mask, 100.0, band, positions=draws)
    ge, le = _loop(values, mask, 100.0, band, draws)
    np.testing.assert_array_equal(ours.at_least, ge)
    np.testing.assert_array_equal(ours.at_most, le)
    two = np.minimum(1, 2 * (np.minimum(ge, le) + 1) / 501)
    np.testing.assert_allclose(ours.p_two_sided, two, rtol=0, atol=0)


def test_draws_are_distinct_positions_and_seeded() -> None:
    a = draw_positions(50, 8, 2000, seed=1)
    assert a.shape == (2000, 8) and a.min() >= 0 and a.max() <= 48
    assert all(len(set(row)) == 8 for row in a.tolist())
    np.testing.assert_array_equal(a, draw_positions(50, 8, 2000, seed=1))
    # Uniform over positions: each of the 49 positions about 2000·8/49 ≈ 327 times.
    counts = np.bincount(a.ravel(), minlength=49)
    assert counts.min() > 250 and counts.max() < 410
    with pytest.raises(ValueError, match="distinct"):
        draw_positions(5, 5, 1, seed=0)


def test_the_floor_and_the_draws_needed() -> None:
    # Two-sided p ≥ 2/(P + 1); Holm or BH over m cells needs 2/(P + 1) ≤ α/m for one cell.
    assert permutations_needed(1000, 0.05, "fdr") == 39_999
    assert permutations_needed(1000, 0.05, "holm") == 39_999
    assert permutations_needed(1000, 0.05, "none") == 39
    # A 3 x 3 block of 5s in a 10 x 10 grid of 0s: the centre's 8 neighbours sum to 40, and
    # 8 cells drawn from the other 99 sum to 40 only if all are block cells, which none of
    # 99 draws is (8 of the other 99 are 5s: C(8, 8)/C(99, 8) ≈ 6e-12).
    values = np.zeros((10, 10))
    values[4:7, 4:7] = 5
    res = gistar_permutation(values, np.ones((10, 10), bool), 100.0, permutations=99, seed=3)
    centre = 5 * 10 + 5
    assert res.floor == 1 / 100 and res.at_least[centre] == 0
    assert res.p_two_sided[centre] == pytest.approx(2 / 100) and res.p_sim[centre] == 1 / 100
