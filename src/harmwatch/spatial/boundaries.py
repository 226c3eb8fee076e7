"""Boundaries: the bundled ONS police-force and district outlines, and user files."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from harmwatch.errors import InputError

from .projection import BNG

# police.uk force slug -> PFA20NM where the two spellings differ.
_PFA_NAMES = {
    "devon-and-cornwall": "Devon & Cornwall",
    "metropolitan": "Metropolitan Police",
    "city-of-london": "London, City of",
    "dyfed-powys": "Dyfed-Powys",
}

LAD_SOURCE = "ONS Local Authority Districts (May 2024) BUC"
PFA_SOURCE = "ONS Police Force Areas (December 2020)"


class BoundaryError(InputError):
    pass


def _bundled(name: str) -> gpd.GeoDataFrame:
    ref = resources.files("harmwatch") / "sample_data" / "boundaries" / name
    with resources.as_file(ref) as path:
        return gpd.read_file(path).to_crs(BNG)


@lru_cache(maxsize=1)
def police_force_areas() -> gpd.GeoDataFrame:
    return _bundled("police-force-areas-2020.geojson")


@lru_cache(maxsize=1)
def districts() -> gpd.GeoDataFrame:
    """English local authority districts with the force area each lies in."""
    lads = _bundled("england-lad-2024-buc.geojson")
    points = lads.copy()
    points["geometry"] = lads.representative_point()
    joined = gpd.sjoin(points, police_force_areas()[["PFA20NM", "geometry"]], predicate="within")
    lads["force_area"] = joined["PFA20NM"].reindex(lads.index)
    return lads


def pfa_name(force_slug: str) -> str:
    if force_slug in _PFA_NAMES:
        return _PFA_NAMES[force_slug]
    return force_slug.replace("-", " ").title().replace(" And ", " and ")


def force_districts(force_slug: str) -> gpd.GeoDataFrame:
    lads = districts()
    return lads[lads["force_area"] == pfa_name(force_slug)]


def force_area_polygon(force_slug: str) -> BaseGeometry | None:
    pfa = police_force_areas()
    match = pfa[pfa["PFA20NM"] == pfa_name(force_slug)]
    return None if match.empty else shapely.union_all(match.geometry.values)


def read_boundary(path: str | Path) -> BaseGeometry:
    """A user's boundary file (GeoJSON, GeoPackage, shapefile …) dissolved to one BNG geometry."""
    path = Path(path)
    if not path.exists():
        raise BoundaryError(f"{path}: no such boundary file")
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise BoundaryError(f"{path}: cannot be read as a boundary file ({exc})") from exc
    if frame.empty:
        raise BoundaryError(f"{path}: has no features")
    if frame.crs is None:
        raise BoundaryError(
            f"{path}: has no coordinate reference system; save it with one (e.g. EPSG:27700 or EPSG:4326)"
        )
    polygons = frame.to_crs(BNG).geometry
    polygons = polygons[polygons.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise BoundaryError(f"{path}: holds no polygons")
    geometry = shapely.union_all(shapely.make_valid(polygons.values))
    if geometry.is_empty or geometry.area <= 0:
        raise BoundaryError(f"{path}: polygons have no area")
    return geometry
