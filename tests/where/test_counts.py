"""One definition of each count (issue 10, items 10, 11 and 13), checked against independent counts.

- the crimes "in the study area" are the located crimes inside its outline, whatever the
  cell size; the crimes "in the cells" are those the study cells hold, and the two differ
  by the crimes in edge cells, which the note says;
- the LSOA ranking's crimes reconcile with the outline's count;
- the automatic cell size is floored at the data's location precision, and says why;
- a method is marked the best forecast only when the months scored can tell it apart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harmwatch.query.filter import Filter
from harmwatch.spatial.study_area import for_forces, from_bbox
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.areas import area_ranking
from harmwatch.where.forecast import summarise_forecasts
from harmwatch.where.forecast_eval import method_leaders, paired_p_value
from harmwatch.where.hotspots import hotspots
from harmwatch.where.requests import AreaRankingRequest, HotspotsRequest
from harmwatch.where.selection import select_points
from harmwatch.where.workspace import LOCATION_PRECISION_M, choose_cell_size


@pytest.fixture(scope="module")
def beds_points(sample_db: Path):  # type: ignore[no-untyped-def]
    with AnalyticsStore.open(sample_db) as store:
        return select_points(store, Filter(("bedfordshire",)))


def test_study_area_counts_are_the_outline_whatever_the_cell(sample_db: Path, beds_points) -> None:  # type: ignore[no-untyped-def]
    area = for_forces(["bedfordshire"])
    inside = area.contains(beds_points.x, beds_points.y)  # independent of any grid
    by_cell = {}
    for cell in (250.0, 1000.0):
        result = hotspots(sample_db, HotspotsRequest(forces=("bedfordshire",), cell=cell))
        counts = result.area_counts()
        assert counts.located == len(beds_points)
        assert counts.in_area == int(inside.sum())
        assert counts.outside_area == int((~inside).sum())
        assert counts.in_cells == int(result.cells["n"].sum())
        # The cells hold exactly the crimes inside the outline whose cell centre is inside.
        mask = result.mask.ravel()
        idx = result.grid.locate(beds_points.x[inside], beds_points.y[inside])
        assert counts.in_cells == int(mask[idx[idx >= 0]].sum())
        assert counts.in_edge_cells == counts.in_area - counts.in_cells >= 0
        summary = result.summary()
        assert summary["points_in_study_area"] == counts.in_area
        assert summary["points_outside_study_area"] == counts.outside_area
        assert summary["points_in_cells"] == counts.in_cells
        by_cell[cell] = counts
        # The warning's "N of M located points lie outside" is the same outside count.
        assert any(
            w.startswith(f"{counts.outside_area:,} of {counts.located:,}") for w in result.warnings
        )
    assert by_cell[250.0].in_area == by_cell[1000.0].in_area
    coarse = by_cell[1000.0]
    assert coarse.in_edge_cells > 0  # 1 km edge cells cut the outline: the note says so
    assert f"{coarse.in_edge_cells:,} lie in edge cells" in coarse.cells_note()
    assert f"counts the {coarse.in_cells:,}" in coarse.cells_note()


def test_lsoa_ranking_reconciles_with_the_outline(sample_db: Path, beds_points) -> None:  # type: ignore[no-untyped-def]
    ranking = area_ranking(sample_db, AreaRankingRequest(forces=("bedfordshire",)))
    area = for_forces(["bedfordshire"])
    inside = area.contains(beds_points.x, beds_points.y)
    ranked = np.isin(beds_points.lsoa_code.astype(str), ranking.table["lsoa_code"].to_numpy())
    assert ranking.crimes_ranked == int(ranked.sum())
    assert ranking.ranked_outside_outline == int((ranked & ~inside).sum())
    assert ranking.inside_outline_not_ranked == int((inside & ~ranked).sum())
    assert ranking.crimes_inside_outline == int(inside.sum())
    hotspot = hotspots(sample_db, HotspotsRequest(forces=("bedfordshire",), cell=1000))
    assert ranking.crimes_inside_outline == hotspot.area_counts().in_area
    note = ranking.count_note
    assert note.startswith(f"{ranking.crimes_ranked:,} crimes ranked: the located crimes carrying")
    assert f"than the {ranking.crimes_inside_outline:,} inside the study area's outline" in note
    assert "lsoa_share" not in " ".join(ranking.caveats) and "--" not in " ".join(ranking.caveats)


def test_automatic_cells_are_no_finer_than_police_uk_locations() -> None:
    small = from_bbox(500_000, 200_000, 501_650, 201_780)  # about 2.9 km²
    cell, why = choose_cell_size(small)
    assert cell == LOCATION_PRECISION_M == 100
    assert "not the 25 m" in why and "anonymised map points" in why
    county = for_forces(["hertfordshire"])
    cell, why = choose_cell_size(county)
    assert cell == 1000 and why.startswith("cell size: 1000 m (about 50 cells across")


# -- forecast leaders ----------------------------------------------------------------------


def monthly_frame(pai: dict[str, list[float]], coverage: float = 0.05) -> pd.DataFrame:
    rows = []
    for method, values in pai.items():
        for i, value in enumerate(values):
            rows.append(
                {
                    "run": "2025-01…2025-12",
                    "method": method,
                    "target_month": f"2025-{i + 4:02d}",
                    "coverage": coverage,
                    "hit_rate": value * coverage,
                    "hits": 1,
                    "total": 2,
                    "pai": value,
                    "pei": 0.5,
                }
            )
    return pd.DataFrame(rows)


def leaders_of(pai: dict[str, list[float]]):  # type: ignore[no-untyped-def]
    monthly = monthly_frame(pai)
    (lead,) = method_leaders(monthly, summarise_forecasts(monthly))
    return lead


def test_paired_p_value_is_the_paired_t_test_by_hand() -> None:
    a = np.array([10.0, 12.0, 9.0, 14.0, 11.0])
    b = np.array([9.0, 11.5, 9.5, 12.0, 10.0])
    d = a - b
    t = d.mean() / (d.std(ddof=1) / np.sqrt(d.size))
    assert paired_p_value(a, b) == pytest.approx(2 * stats.t.sf(abs(t), d.size - 1), rel=1e-12)


def test_a_best_within_noise_is_not_marked() -> None:
    # 29.41 against 29.39 on average, with months that go either way: noise.
    near = leaders_of(
        {
            "last-3": [29.0, 31.0, 28.0, 30.5, 28.5, 29.46],
            "prospective": [30.0, 29.0, 29.5, 29.0, 29.5, 29.34],
            "kde": [2.0, 2.5, 1.5, 2.0, 3.0, 2.2],
        }
    )
    assert not near.clear
    assert set(near.methods) == {"last-3", "prospective"}
    assert "within month-to-month noise" in near.note and "jointly highest" in near.note
    clear = leaders_of(
        {
            "prospective": [30.0, 31.0, 29.0, 32.0, 30.5, 31.5],
            "last-3": [20.0, 22.0, 19.0, 21.0, 20.5, 21.5],
            "kde": [2.0, 2.5, 1.5, 2.0, 3.0, 2.2],
        }
    )
    assert clear.clear and clear.methods == ("prospective",)
    assert clear.note.startswith("flagging 5 % of the area, prospective has the highest mean PAI")
    alike = leaders_of({"a": [5.0, 6.0, 5.5], "b": [5.5, 5.5, 5.6]})
    assert set(alike.methods) == {"a", "b"} and "no method is marked best" in alike.note
    short = leaders_of({"a": [50.0, 60.0], "b": [1.0, 2.0]})  # two months cannot tell
    assert set(short.methods) == {"a", "b"} and not short.clear
