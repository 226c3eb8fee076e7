"""The gazetteer: GeoNames places from the installed package, read right, chosen by scale."""

from __future__ import annotations

import pytest

from harmwatch.errors import UserError
from harmwatch.spatial import places as gazetteer
from harmwatch.spatial.boundaries import force_area_polygon


def test_the_quick_read_is_the_whole_file_read() -> None:
    """GB records cut out of the text are exactly those of parsing the whole file."""
    assert gazetteer._gb_records() == gazetteer._gb_records_parsed()


def test_what_it_holds_for_the_sample_forces() -> None:
    """The counts the module's docstring gives, and the towns a reader would look for."""
    import shapely

    forces = ("bedfordshire", "cambridgeshire", "hertfordshire")
    area = shapely.union_all([force_area_polygon(f) for f in forces])
    inside = [p for p in gazetteer.places() if area.contains(shapely.Point(p.x, p.y))]
    towns = {p.name for p in inside if p.population >= gazetteer.TOWN}
    assert len(towns) == 38
    assert {"Luton", "Bedford", "Cambridge", "Peterborough", "Watford", "St Albans"} <= towns
    assert sum(gazetteer.LARGE_VILLAGE <= p.population < gazetteer.TOWN for p in inside) == 55
    assert len(inside) == 267


def test_places_are_in_both_coordinate_systems_and_largest_first() -> None:
    every = gazetteer.places()
    luton = next(p for p in every if p.name == "Luton")
    assert -0.5 < luton.lon < -0.3 and 51.8 < luton.lat < 52.0
    assert 505_000 < luton.x < 512_000 and 218_000 < luton.y < 225_000  # BNG metres
    populations = [p.population for p in every]
    assert populations == sorted(populations, reverse=True)
    assert all(p.geonameid > 0 and p.name for p in every)


def test_tiers_by_zoom_and_by_map_width() -> None:
    assert gazetteer.min_zoom(200_000) == 0
    assert gazetteer.min_zoom(15_000) == 0
    assert gazetteer.min_zoom(14_999) == 11
    assert gazetteer.min_zoom(5_000) == 11
    assert gazetteer.min_zoom(0) == 12  # GeoNames records some places with no population
    assert gazetteer.static_threshold(60_000) == gazetteer.TOWN
    assert gazetteer.static_threshold(20_000) == gazetteer.LARGE_VILLAGE
    assert gazetteer.static_threshold(5_000) == 0


def test_boxes_select_places_and_bad_boxes_are_refused() -> None:
    luton = gazetteer.places_in_lonlat(-0.45, 51.86, -0.39, 51.90)
    assert "Luton" in {p.name for p in luton}
    big = gazetteer.places_in_lonlat(-1.0, 51.5, 0.7, 52.8, min_population=gazetteer.TOWN)
    assert all(p.population >= gazetteer.TOWN for p in big)
    assert gazetteer.parse_box("-0.5,51.8,-0.3,52") == (-0.5, 51.8, -0.3, 52.0)
    for bad in ("1,2,3", "a,b,c,d", ""):
        with pytest.raises(gazetteer.PlaceBoxError):
            gazetteer.parse_box(bad)
    for box in ((0.0, 52.0, -1.0, 53.0), (-20.0, 40.0, 10.0, 60.0), (0.0, 95.0, 1.0, 96.0)):
        with pytest.raises(UserError):
            gazetteer.places_in_lonlat(*box)


def test_places_near_forces_and_the_label_layer() -> None:
    near = gazetteer.places_near_forces(["bedfordshire"])
    names = {p.name for p in near}
    assert {"Luton", "Bedford", "Dunstable"} <= names
    assert gazetteer.places_near_forces([]) == []
    layer = gazetteer.label_layer(near[:3])
    assert layer["attribution"] == gazetteer.ATTRIBUTION and "GeoNames" in layer["attribution"]
    first = layer["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["kind"] == "place" and first["properties"]["name"] == near[0].name
    assert first["geometry"]["coordinates"] == [near[0].lon, near[0].lat]
