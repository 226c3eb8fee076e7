from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from harmwatch.spatial.boundaries import BoundaryError
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.projection import to_bng, to_wgs84
from harmwatch.spatial.study_area import StudyArea, for_forces, from_bbox, from_boundary_file


def test_hertfordshire_is_its_ten_districts() -> None:
    area = for_forces(["hertfordshire"])
    assert area.kind == "force districts"
    assert (
        len(area.districts) == 10 and "Broxbourne" in area.districts and "Watford" in area.districts
    )
    assert 1_600 < area.area_km2 < 1_700  # Hertfordshire is 1,643 km²
    # Barnet (London) is outside; St Albans cathedral is inside.
    x, y = to_bng(np.array([-0.2, -0.342]), np.array([51.65, 51.7505]))
    assert area.contains(x, y).tolist() == [False, True]


def test_forces_without_a_boundary_are_named() -> None:
    area = for_forces(["hertfordshire", "btp"])
    # Named as the forces write their names, not by their slugs.
    assert area.description.startswith("Hertfordshire Constabulary, British Transport Police: 10")
    assert "no boundary for British Transport Police" in area.description
    with pytest.raises(BoundaryError, match="give a boundary"):
        for_forces(["btp"])


def test_welsh_force_falls_back_to_force_area() -> None:
    area = for_forces(["dyfed-powys"])
    assert area.kind == "force area" and area.area_km2 > 10_000


def test_mask_marks_cells_by_centre() -> None:
    area = for_forces(["hertfordshire"])
    grid = Grid.covering(*area.bounds, 1000)
    mask = area.mask(grid)
    assert abs(mask.sum() - area.area_km2) < 0.02 * area.area_km2


def test_user_boundary_file(tmp_path: Path) -> None:
    lon, lat = to_wgs84(np.array([520_000.0, 530_000.0]), np.array([200_000.0, 210_000.0]))
    ring = [
        [lon[0], lat[0]],
        [lon[1], lat[0]],
        [lon[1], lat[1]],
        [lon[0], lat[1]],
        [lon[0], lat[0]],
    ]
    path = tmp_path / "area.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    area = from_boundary_file(str(path))
    assert area.kind == "boundary file"
    assert area.area_km2 == pytest.approx(100, rel=0.01)
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(BoundaryError, match="cannot be read"):
        from_boundary_file(str(bad))
    with pytest.raises(BoundaryError, match="no such"):
        from_boundary_file(str(tmp_path / "missing.gpkg"))


def _centres_inside(area: StudyArea, grid: Grid) -> np.ndarray:
    x, y = grid.centres()
    return np.asarray(shapely.contains_xy(area.geometry, x, y)).reshape(grid.shape)


@pytest.mark.parametrize("cell", [250.0, 330.0])
def test_block_mask_is_the_centre_by_centre_mask(cell: float) -> None:
    # Several forces' districts: islands, coast, holes where other forces' districts are.
    area = for_forces(["hertfordshire", "bedfordshire", "cambridgeshire", "essex"])
    grid = Grid.covering(*area.bounds, cell)
    assert grid.size > 50_000  # large enough to take the block route
    np.testing.assert_array_equal(area.mask(grid), _centres_inside(area, grid))


def test_block_mask_on_a_box_whose_edges_run_through_cell_centres() -> None:
    # Centres lying exactly on the outline are outside, as contains_xy has them.
    grid = Grid(0.0, 0.0, 10.0, ncols=401, nrows=333)  # not multiples of the block size
    area = from_bbox(1005.0, 5.0, 3005.0, 2995.0)
    mask = area.mask(grid)
    np.testing.assert_array_equal(mask, _centres_inside(area, grid))
    assert not mask[:, 100].any() and mask[:, 101].any()  # the column x = 1005 is on the edge


def test_block_contains_is_point_by_point_contains() -> None:
    area = for_forces(["hertfordshire", "bedfordshire"])
    rng = np.random.default_rng(18)
    xmin, ymin, xmax, ymax = area.bounds
    n = 120_000
    x = rng.uniform(xmin - 5_000, xmax + 5_000, n)
    y = rng.uniform(ymin - 5_000, ymax + 5_000, n)
    # Points on the outline itself, on its vertices, and far away; and missing ones.
    ring = np.asarray(shapely.get_coordinates(shapely.boundary(area.geometry)))
    x[: len(ring)], y[: len(ring)] = ring[:, 0], ring[:, 1]
    x[-3:], y[-3:] = [-1e7, 1e7, xmin], [ymin, 1e7, ymax]
    x[-10], y[-11] = np.nan, np.inf
    expected = np.zeros(n, dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    expected[ok] = shapely.contains_xy(area.geometry, x[ok], y[ok])
    got = area.contains(x, y)
    np.testing.assert_array_equal(got, expected)
    assert 0 < got.sum() < n and not got[: len(ring)].any()
    # Inside the outline's box but outside the area: a box as the area.
    box_area = from_bbox(xmin, ymin, xmax, ymax)
    np.testing.assert_array_equal(
        box_area.contains(x, y), ok & (x > xmin) & (x < xmax) & (y > ymin) & (y < ymax)
    )
