"""One Place for every verb, and the combinations each verb's rule accepts or refuses."""

from __future__ import annotations

import pytest

from harmwatch.evaluation.requests import (
    CHANGE_AREA,
    TARGET,
    TRENDS_AREA,
    ChangeRequest,
    EvaluateRequest,
    TrendsRequest,
)
from harmwatch.query.params import ParamError
from harmwatch.query.place import Place, PlaceRule
from harmwatch.where.requests import STUDY_AREA, AreaRankingRequest, HotspotsRequest

BOX = (500_000.0, 200_000.0, 510_000.0, 210_000.0)


def texts(rule: PlaceRule, place: Place) -> list[str]:
    return [p.render() for p in rule.problems(place)]


def test_kinds_in_order_and_the_forces_ground_by_default() -> None:
    assert Place().kind == "forces" and Place(forces=("bedfordshire",)).kinds == ()
    assert Place(district="Luton").kind == "district"
    assert Place(lsoa_codes=("E01033803",), bbox=BOX).kinds == ("lsoa", "bbox")
    assert Place(boundary="b.geojson").boundary_name == "boundary file b.geojson"
    assert Place(boundary="b.geojson", boundary_label="uploaded boundary 'X'").boundary_name == (
        "uploaded boundary 'X'"
    )


@pytest.mark.parametrize(
    ("place", "ok"),
    [
        (Place(), True),
        (Place(boundary="b.geojson"), True),
        (Place(bbox=BOX), True),
        (Place(boundary="b.geojson", bbox=BOX), False),
        (Place(district="Luton"), False),
        (Place(lsoa_codes=("E01033803",)), False),
    ],
)
def test_a_study_area_is_a_boundary_or_a_box(place: Place, ok: bool) -> None:
    assert (texts(STUDY_AREA, place) == []) is ok


def test_change_takes_one_area_and_names_both_when_given_two() -> None:
    assert texts(CHANGE_AREA, Place(district="Luton")) == []
    assert texts(CHANGE_AREA, Place(district="Luton", lsoa_codes=("E01033803",))) == [
        "give a district, LSOA codes, a boundary or a bbox: only one of them "
        "(got a district and LSOA codes)"
    ]
    assert texts(CHANGE_AREA, Place(cells=(1,), cell_size=250)) == [
        "change does not take grid cell ids"
    ]


def test_evaluate_needs_exactly_one_target_and_cells_need_their_size() -> None:
    assert texts(TARGET, Place(lsoa_codes=("E01033803",))) == []
    assert texts(TARGET, Place(cells=(1, 2), cell_size=250)) == []
    (none,) = texts(TARGET, Place())
    assert none.startswith("give the target area:") and "exactly one" in none
    (two,) = texts(TARGET, Place(lsoa_codes=("E01033803",), boundary="b.geojson"))
    assert "give one target only" in two and "got LSOA codes and a boundary" in two
    (size,) = texts(TARGET, Place(cells=(1, 2)))
    assert "need the cell size" in size


def test_trends_take_a_district_or_the_forces() -> None:
    assert texts(TRENDS_AREA, Place(forces=("hertfordshire",), district="St Albans")) == []
    assert texts(TRENDS_AREA, Place(bbox=BOX)) == ["trends does not take a bbox"]


def test_every_request_builds_its_place_from_its_fields() -> None:
    hot = HotspotsRequest(forces=("hertfordshire",), bbox=BOX)
    assert hot.place == Place(forces=("hertfordshire",), bbox=BOX)
    areas = AreaRankingRequest.narrowed(hot)
    assert areas.place == hot.place  # one form, several verbs, the same place
    evaluation = EvaluateRequest("2025-09", cells=(3, 3, 4), cell=500)
    assert evaluation.place == Place(cells=(3, 4), cell_size=500)  # ids kept once
    assert ChangeRequest(district=" St Albans ").place == Place(district="St Albans")
    assert ChangeRequest(district="  ").place == Place()  # a blank district is no district
    assert TrendsRequest(forces=("hertfordshire",)).place.kind == "forces"


def test_requests_refuse_what_their_verb_does_not_take() -> None:
    with pytest.raises(ParamError, match="only one of them"):
        HotspotsRequest(boundary="b.geojson", bbox=BOX)
    with pytest.raises(ParamError, match="only one of them"):
        ChangeRequest(district="Luton", bbox=BOX)
    with pytest.raises(ParamError, match="one target only"):
        EvaluateRequest("2025-09", lsoa=("E01033803",), cells=(1,), cell=250)
    with pytest.raises(ParamError, match="has no area"):
        HotspotsRequest(bbox=(10.0, 10.0, 5.0, 20.0))
