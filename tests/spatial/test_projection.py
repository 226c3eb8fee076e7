"""The projection to British National Grid: the distinct-points route equals pyproj's own."""

from __future__ import annotations

import numpy as np
import pytest

from harmwatch.spatial import projection
from harmwatch.spatial.projection import to_bng, to_wgs84


def _direct(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = projection._transformer(False).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


@pytest.mark.parametrize("size", [10, projection._DEDUPE_FROM, 50_000])
def test_to_bng_equals_pyproj_bit_for_bit_with_repeats_and_missing_points(size: int) -> None:
    rng = np.random.default_rng(20_261_203)
    points = rng.uniform([-5.7, 49.9], [1.8, 55.8], size=(max(size // 4, 1), 2))
    pick = rng.integers(0, len(points), size)
    lon, lat = points[pick, 0].copy(), points[pick, 1].copy()
    lon[::7] = np.nan  # a crime without a location
    lat[::11] = np.nan
    lon[1] = -0.0  # the Greenwich meridian, signed either way
    lon[2] = 0.0
    x, y = to_bng(lon, lat)
    want_x, want_y = _direct(lon, lat)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(y, want_y)
    assert not np.isfinite(x[::7]).any()  # pyproj gives inf for NaN; the reader masks it


def test_a_known_point_round_trips() -> None:
    # Nelson's Column: TQ 30015 80415 on the Ordnance Survey's own grid reference.
    x, y = to_bng(np.array([-0.12802] * 600), np.array([51.50772] * 600))
    assert abs(x[0] - 530_015) < 30 and abs(y[0] - 180_415) < 30
    lon, lat = to_wgs84(x[:1], y[:1])
    assert abs(lon[0] + 0.12802) < 1e-7 and abs(lat[0] - 51.50772) < 1e-7
