"""Quartic KDE against direct summation on real Hertfordshire drugs offences."""

from __future__ import annotations

import glob
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from harmwatch.spatial.grid import Grid
from harmwatch.spatial.projection import to_bng
from harmwatch.where.kernels.kde import (
    bandwidth_smaller_than_cell,
    default_bandwidth,
    quartic_kde,
)

HERTS_2021 = "/work/shared/data/police-uk/2021-*/2021-*-hertfordshire-street.csv.gz"


@pytest.fixture(scope="module")
def herts_drugs() -> tuple[np.ndarray, np.ndarray]:
    """BNG coordinates of 2021 Hertfordshire drugs offences that have a location."""
    files = sorted(glob.glob(HERTS_2021))
    if len(files) != 12:
        pytest.skip("police.uk Hertfordshire 2021 street files not available")
    cols = ["Crime type", "Longitude", "Latitude"]
    df = pd.concat([pd.read_csv(f, usecols=cols) for f in files], ignore_index=True)
    df = df[(df["Crime type"] == "Drugs") & df["Longitude"].notna() & df["Latitude"].notna()]
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    assert len(x) > 2000
    return x, y


def direct_kde(grid: Grid, x: np.ndarray, y: np.ndarray, h: float, w=None) -> np.ndarray:
    """The textbook sum over every (cell centre, event) pair, events per km²."""
    cx, cy = grid.centres()
    w = np.ones_like(x) if w is None else w
    out = np.empty(grid.size)
    for s in range(0, grid.size, 512):
        d2 = (cx[s : s + 512, None] - x) ** 2 + (cy[s : s + 512, None] - y) ** 2
        k = np.where(d2 < h * h, 3 / (math.pi * h * h) * (1 - d2 / (h * h)) ** 2, 0.0)
        out[s : s + 512] = k @ w
    return out.reshape(grid.shape) * 1e6


@pytest.mark.parametrize("h", [150.0, 450.0, 1234.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_direct_summation(herts_drugs, h, weighted) -> None:
    x, y = herts_drugs
    # A 20 km window in the middle of the county: plenty of events lie outside
    # it and must still reach the cells along its edges.
    cx, cy = np.median(x), np.median(y)
    grid = Grid.covering(cx - 10_000, cy - 10_000, cx + 10_000, cy + 10_000, 200.0)
    w = np.random.default_rng(7).gamma(2.0, 1.5, size=x.size) if weighted else None
    ours = quartic_kde(grid, x, y, h, weights=w)
    ref = direct_kde(grid, x, y, h, w)

    assert grid.locate(x, y).min() == -1  # some events really are outside
    assert ours.shape == grid.shape
    nonzero = ref > 0
    assert nonzero.sum() > 100
    np.testing.assert_allclose(ours[nonzero], ref[nonzero], rtol=1e-9, atol=0)
    np.testing.assert_array_equal(ours[~nonzero], 0.0)


def test_events_outside_grid_still_contribute() -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=10, nrows=10)
    # One event 50 m west of the grid: it reaches the first column only.
    dens = quartic_kde(grid, np.array([-50.0]), np.array([450.0]), 120.0)
    assert dens[4, 0] == pytest.approx(3 / (math.pi * 120**2) * (1 - 100**2 / 120**2) ** 2 * 1e6)
    assert np.count_nonzero(dens) == 1
    # Too far out to reach anything.
    assert not quartic_kde(grid, np.array([-200.0]), np.array([450.0]), 120.0).any()


def test_integrates_to_number_of_events(herts_drugs) -> None:
    x, y = herts_drugs
    h = 2000.0
    grid = Grid.covering(x.min() - 2 * h, y.min() - 2 * h, x.max() + 2 * h, y.max() + 2 * h, 200.0)
    dens = quartic_kde(grid, x, y, h)
    total = dens.sum() * grid.cell_area_km2
    assert total == pytest.approx(x.size, rel=1e-5)

    w = np.linspace(0.5, 2.0, x.size)
    total_w = quartic_kde(grid, x, y, h, weights=w).sum() * grid.cell_area_km2
    assert total_w == pytest.approx(w.sum(), rel=1e-5)


def test_mask_blanks_cells_only() -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=8, nrows=6)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 800, 50), rng.uniform(0, 600, 50)
    mask = np.zeros(grid.shape, dtype=bool)
    mask[1:5, 2:7] = True
    full = quartic_kde(grid, x, y, 250.0)
    masked = quartic_kde(grid, x, y, 250.0, mask=mask)
    np.testing.assert_array_equal(masked[mask], full[mask])
    assert np.all(np.isnan(masked[~mask]))


@pytest.mark.parametrize("h", [0.0, -5.0, float("nan"), float("inf")])
def test_bad_bandwidth(h) -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=3, nrows=3)
    with pytest.raises(ValueError, match="bandwidth"):
        quartic_kde(grid, np.array([50.0]), np.array([50.0]), h)


def test_non_finite_coordinates_are_refused() -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=3, nrows=3)
    with pytest.raises(ValueError, match="1 of 3 points"):
        quartic_kde(grid, np.array([50.0, np.nan, 60.0]), np.array([50.0, 50.0, 60.0]), 100.0)
    with pytest.raises(ValueError, match="weights"):
        quartic_kde(grid, np.array([50.0]), np.array([50.0]), 100.0, weights=np.array([np.inf]))
    with pytest.raises(ValueError, match="weights"):
        quartic_kde(grid, np.array([50.0]), np.array([50.0]), 100.0, weights=np.ones(2))
    with pytest.raises(ValueError, match="differ in length"):
        quartic_kde(grid, np.array([50.0]), np.array([50.0, 1.0]), 100.0)
    with pytest.raises(ValueError, match="mask"):
        quartic_kde(grid, np.array([50.0]), np.array([50.0]), 100.0, mask=np.ones((3, 3)))


def test_no_events_gives_zeros() -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=3, nrows=2)
    dens = quartic_kde(grid, np.array([]), np.array([]), 100.0)
    assert dens.shape == (2, 3) and not dens.any()


def _nrd(v) -> float:
    """MASS::bandwidth.nrd written from its R source, with R's type-7 quantiles."""
    q1, _, q3 = statistics.quantiles(list(v), n=4, method="inclusive")
    return 4 * 1.06 * min(statistics.stdev(v), (q3 - q1) / 1.34) * len(v) ** (-1 / 5)


def test_default_bandwidth_rule(herts_drugs) -> None:
    x, y = herts_drugs
    expected = (_nrd(x) + _nrd(y)) / 2
    bw, rule = default_bandwidth(x, y, 250.0)
    assert bw == pytest.approx(expected, rel=1e-12)
    assert "bandwidth.nrd" in rule and "mean" in rule

    bw_adj, rule_adj = default_bandwidth(x, y, 250.0, adjust=0.5)
    assert bw_adj == pytest.approx(expected / 2, rel=1e-12) and "adjust 0.5" in rule_adj

    bw_code, rule_code = default_bandwidth(x, y, 250.0, sfhotspot_code=True)
    assert bw_code == pytest.approx(_nrd(x), rel=1e-12) and "eastings" in rule_code


def test_default_bandwidth_small_example_by_hand() -> None:
    v = np.arange(10) * 100.0
    # sd = 302.765..., IQR / 1.34 = 450 / 1.34 = 335.8..., so the sd wins.
    sd = math.sqrt(sum((t - 450.0) ** 2 for t in v) / 9)
    bw, _ = default_bandwidth(v, v, 50.0)
    assert bw == pytest.approx(4 * 1.06 * sd * 10 ** (-0.2), rel=1e-12)


def test_default_bandwidth_falls_back_to_cell() -> None:
    bw, rule = default_bandwidth(np.full(5, 10.0), np.full(5, 20.0), 250.0)
    assert bw == 250.0 and "fell back" in rule
    bw, rule = default_bandwidth(np.array([1.0]), np.array([2.0]), 100.0)
    assert bw == 100.0 and "fell back" in rule
    with pytest.raises(ValueError, match="without any events"):
        default_bandwidth(np.array([]), np.array([]), 100.0)
    with pytest.raises(ValueError, match="non-finite"):
        default_bandwidth(np.array([1.0, np.nan]), np.array([2.0, 3.0]), 100.0)


def test_bandwidth_smaller_than_cell() -> None:
    assert bandwidth_smaller_than_cell(99.0, 100.0)
    assert not bandwidth_smaller_than_cell(100.0, 100.0)
    with pytest.raises(ValueError):
        bandwidth_smaller_than_cell(0.0, 100.0)


@pytest.mark.parametrize(("cell", "h", "bound"), [(250.0, 9000.0, 5e-4), (500.0, 20000.0, 5e-4)])
def test_binned_route_is_within_its_stated_error(herts_drugs, cell, h, bound) -> None:
    """Linear binning + FFT against the exact sum, on the county-wide default-like bandwidths."""
    x, y = herts_drugs
    grid = Grid.covering(x.min() - h, y.min() - h, x.max() + h, y.max() + h, cell)
    exact = quartic_kde(grid, x, y, h, route="exact")
    binned = quartic_kde(grid, x, y, h, route="binned")
    assert np.abs(binned - exact).max() <= bound * exact.max()
    # Linear binning keeps every event's weight: the totals agree closely.
    assert binned.sum() == pytest.approx(exact.sum(), rel=1e-5)
    assert (binned >= 0).all()
    w = np.random.default_rng(5).gamma(2.0, 1.0, size=x.size)
    weighted = quartic_kde(grid, x, y, h, weights=w, route="binned")
    reference = quartic_kde(grid, x, y, h, weights=w, route="exact")
    assert np.abs(weighted - reference).max() <= bound * reference.max()


def test_binned_route_keeps_events_outside_the_grid_and_the_mask() -> None:
    grid = Grid(0.0, 0.0, 100.0, ncols=50, nrows=40)
    x, y, h = np.array([-2000.0, 2500.0]), np.array([2000.0, 2000.0]), 4000.0  # 40 cells
    exact = quartic_kde(grid, x, y, h, route="exact")
    binned = quartic_kde(grid, x, y, h, route="binned")
    # A lone event midway between centres is linear binning's worst case.
    np.testing.assert_allclose(binned, exact, rtol=0, atol=1e-3 * exact.max())
    mask = np.zeros(grid.shape, dtype=bool)
    mask[10:20, 10:20] = True
    masked = quartic_kde(grid, x, y, h, mask=mask, route="binned")
    assert np.isnan(masked[~mask]).all()
    np.testing.assert_array_equal(masked[mask], binned[mask])


@pytest.mark.parametrize("weighted", [False, True])
def test_binned_route_is_linear_binning_convolved_directly(herts_drugs, weighted) -> None:
    """The FFT route is the binned grid convolved with the kernel: checked against
    scipy's ``fftconvolve`` of the same linear binning, as the route was first written."""
    from scipy.signal import fftconvolve

    x, y = herts_drugs
    cell, h = 250.0, 9000.0
    # Odd and even sizes both, and events outside the grid on every side.
    grid = Grid.covering(x.min() + 3000, y.min() + 2000, x.max() - 2500, y.max() - 1000, cell)
    w = np.random.default_rng(8).gamma(2.0, 1.0, size=x.size) if weighted else None
    reach = math.ceil(h / cell)
    pad = reach + 2
    nrp, ncp = grid.nrows + 2 * pad, grid.ncols + 2 * pad
    u = (x - grid.x0) / cell - 0.5 + pad
    v = (y - grid.y0) / cell - 0.5 + pad
    near = (u >= 0) & (u < ncp - 1) & (v >= 0) & (v < nrp - 1)
    u, v = u[near], v[near]
    weight = np.ones(u.size) if w is None else w[near]
    j0, i0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    tu, tv = u - j0, v - i0
    binned = np.zeros(nrp * ncp)
    for di, dj, share in (
        (0, 0, (1 - tv) * (1 - tu)),
        (0, 1, (1 - tv) * tu),
        (1, 0, tv * (1 - tu)),
        (1, 1, tv * tu),
    ):
        binned += np.bincount(
            (i0 + di) * ncp + (j0 + dj), weights=weight * share, minlength=nrp * ncp
        )
    k = np.arange(-reach, reach + 1) * cell
    kernel = np.clip(1.0 - (k[:, None] ** 2 + k[None, :] ** 2) / (h * h), 0.0, None) ** 2
    direct = fftconvolve(binned.reshape(nrp, ncp), kernel, mode="same")
    direct = direct[pad : pad + grid.nrows, pad : pad + grid.ncols]
    direct[np.abs(direct) < 1e-9 * np.abs(direct).max()] = 0.0
    direct *= 3.0 / (math.pi * h * h) * 1e6
    ours = quartic_kde(grid, x, y, h, weights=w, route="binned")
    np.testing.assert_allclose(ours, direct, rtol=0, atol=1e-12 * direct.max())
    np.testing.assert_array_equal(ours == 0, direct == 0)


def test_route_is_binned_only_when_wide_and_costly() -> None:
    from harmwatch.where.kernels.kde import kde_route

    assert kde_route(45_700, 250, events=60_000, grid_cells=5_900_000) == "binned"
    assert kde_route(9_000, 250, events=2_000, grid_cells=170_000) == "exact"  # cheap exactly
    assert kde_route(5_000, 250, events=10**7, grid_cells=1_000) == "exact"  # 20 cells: narrow
    with pytest.raises(ValueError, match="route"):
        quartic_kde(
            Grid(0.0, 0.0, 100.0, 2, 2), np.array([1.0]), np.array([1.0]), 500.0, route="fast"
        )
