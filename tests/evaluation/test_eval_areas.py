"""Control matching, slopes and the contamination rule, on small hand-made inputs and real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harmwatch.evaluation.areas import (
    EvaluationError,
    buffer_mask,
    buffer_zone,
    candidate_lsoas,
    district_of,
    match_controls,
    ols_slope,
    resolve_target,
)
from harmwatch.query.place import Place


def test_ols_slope() -> None:
    assert ols_slope(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(1.0)
    assert ols_slope(np.array([5.0, 5.0, 5.0])) == 0.0
    assert ols_slope(np.array([2.0])) == 0.0


def test_match_controls_all_by_default_and_nearest_on_request() -> None:
    months = [f"2022-{m:02d}" for m in range(1, 7)]
    pool = pd.DataFrame(
        [
            [2, 2, 2, 2, 2, 2],  # level 2, flat: the target's twin (per unit)
            [0, 0, 0, 0, 0, 0],  # no crime at all: never a control
            [9, 9, 9, 9, 9, 9],  # far too busy
            [0, 1, 2, 3, 4, 5],  # rising
            [2, 3, 2, 2, 1, 2],  # close
        ],
        index=["twin", "empty", "busy", "rising", "close"],
        columns=months,
    )
    target = np.array([4, 4, 4, 4, 4, 4])  # two units at 2 a month each
    every = match_controls(target, 2, pool)
    assert set(every.codes) == {"twin", "busy", "rising", "close"}
    assert every.target_pre_mean == pytest.approx(2.0) and every.target_pre_slope == 0.0
    nearest = match_controls(target, 2, pool, k=2)
    assert nearest.codes == ["twin", "close"]
    assert list(nearest.table.columns) == [
        "lsoa_code",
        "lsoa_name",
        "pre_mean",
        "pre_slope",
        "distance",
    ]
    with pytest.raises(EvaluationError):
        match_controls(target, 2, pool, k=0)


def test_district_of() -> None:
    assert district_of("Luton 023A") == "Luton"
    assert district_of("Central Bedfordshire 024K") == "Central Bedfordshire"
    assert district_of("") == ""


def test_lsoa_target_buffer_and_contamination(beds_data) -> None:  # type: ignore[no-untyped-def]
    target = resolve_target(Place(lsoa_codes=("e01033803", "E01033804 ")), beds_data)
    assert target.units == ["E01033803", "E01033804"]  # normalised
    assert target.in_target.sum() == int(beds_data.lsoa_counts.loc[target.units].to_numpy().sum())
    zone = buffer_zone(target, 500)
    assert zone.area > target.geometry.area
    ring = buffer_mask(target, zone, beds_data)
    assert not (ring & target.in_target).any() and ring.any()
    candidates, excluded, notes = candidate_lsoas(target, zone, beds_data, "bedfordshire")
    assert not set(candidates) & set(excluded) and not set(candidates) & set(target.units)
    # An excluded LSOA has a street crime inside the zone; a candidate has none.
    assert excluded and "control pool" in notes[0]
    with pytest.raises(EvaluationError, match="positive"):
        buffer_zone(target, 0)
