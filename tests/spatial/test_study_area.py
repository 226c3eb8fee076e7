from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harmwatch.spatial.boundaries import BoundaryError
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.projection import to_bng, to_wgs84
from harmwatch.spatial.study_area import for_forces, from_boundary_file


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
