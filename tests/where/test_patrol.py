"""Patrol plans: zones worked by hand on a tiny grid, then invariants on real Herts data."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from harmwatch.query.filter import Filter, Points
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.projection import to_wgs84
from harmwatch.spatial.study_area import StudyArea, from_bbox
from harmwatch.where.hotspots import HotspotResult, hotspots
from harmwatch.where.patrol import (
    ZONE_COLUMNS,
    BudgetTooLargeError,
    check_budget,
    fitting_budget_km2,
    patrol_plan,
)

# 6 x 6 cells of 100 m (0.01 km² each). The study area stops at y = 500, so the
# top row (centres at y = 550) is outside it: 30 study-area cells of 36.
GRID = Grid(0.0, 0.0, 100.0, 6, 6)
AREA = from_bbox(0, 0, 600, 500)
# Crimes per (row, col), row 0 the southern row. (1,1)-(1,2) share an edge,
# (3,3)-(4,4) only a corner, (0,5) stands alone, and 7 crimes sit in (5,0),
# outside the study area, where they must never count.
CRIMES = {(1, 1): 5, (1, 2): 4, (3, 3): 3, (4, 4): 2, (0, 5): 1, (5, 0): 7}
LSOA = {(1, 1): "Alpha 001A", (1, 2): "Alpha 001B", (3, 3): "Beta 001A", (4, 4): "Beta 001B"}


def make_result(
    crimes: dict[tuple[int, int], int] = CRIMES,
    grid: Grid = GRID,
    area: StudyArea = AREA,
    extra: dict[str, np.ndarray] | None = None,
    method: str = "count",
) -> HotspotResult:
    """A HotspotResult built as ``hotspots`` builds one, from crimes at cell centres."""
    xs, ys, names = [], [], []
    for (row, col), k in crimes.items():
        xs += [grid.x0 + (col + 0.5) * grid.cell] * k
        ys += [grid.y0 + (row + 0.5) * grid.cell] * k
        names += [LSOA.get((row, col), "")] * k
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    n = len(x)
    points = Points(
        x=x,
        y=y,
        month=np.array(["2024-01"] * n, dtype=object),
        lsoa_code=np.array(["E0"] * n, dtype=object),
        lsoa_name=np.array(names, dtype=object),
        force=np.array(["testshire"] * n, dtype=object),
        months=["2024-01"],
        n_without_location=0,
        filter=Filter(("testshire",), ("Drugs",), ("2024-01",)),
    )
    mask = area.mask(grid)
    inside = area.contains(x, y)
    counts = grid.counts(x[inside], y[inside]).ravel()
    flat = mask.ravel()
    cx, cy = grid.centres()
    cells = pd.DataFrame(
        {"cell_id": np.flatnonzero(flat), "x": cx[flat], "y": cy[flat], "n": counts[flat]}
    )
    for column, values in (extra or {}).items():
        cells[column] = values.ravel()[flat]
    return HotspotResult(cells, grid, mask, area, points, method, {"cell_size_m": grid.cell})


def cell_id(row: int, col: int) -> int:
    return row * GRID.ncols + col


def test_top_four_cells_make_two_zones_by_hand() -> None:
    result = make_result()
    assert len(result.cells) == 30 and result.cells["n"].sum() == 15
    plan = patrol_plan(result, top_n=4)
    z = plan.zones
    assert list(z.columns) == ZONE_COLUMNS
    assert z["zone"].tolist() == [1, 2]
    assert z["cells"].tolist() == [2, 2]  # the corner-touching pair joins under 8-neighbours
    assert z["crimes"].tolist() == [9, 5]
    assert z["area_km2"].tolist() == pytest.approx([0.02, 0.02])
    assert z["share_of_crime"].tolist() == pytest.approx([9 / 15, 5 / 15])
    # Of the study area's 30 cells, never the 36 of the grid.
    assert z["share_of_area"].tolist() == pytest.approx([2 / 30, 2 / 30])
    assert z["pai"].tolist() == pytest.approx([9.0, 5.0])
    assert (z["centroid_x"].iloc[0], z["centroid_y"].iloc[0]) == (200.0, 150.0)
    assert (z["centroid_x"].iloc[1], z["centroid_y"].iloc[1]) == (400.0, 400.0)
    lon, lat = to_wgs84(np.array([200.0]), np.array([150.0]))
    assert (z["lon"].iloc[0], z["lat"].iloc[0]) == pytest.approx((lon[0], lat[0]))
    assert z["lsoas"].tolist() == ["Alpha 001A (5), Alpha 001B (4)", "Beta 001A (3), Beta 001B (2)"]

    t = plan.totals
    assert (t["zones"], t["cells"], t["crimes"]) == (2, 4, 14)
    assert t["share_of_crime"] == pytest.approx(14 / 15)
    assert t["share_of_area"] == pytest.approx(4 / 30)
    assert t["pai"] == pytest.approx(7.0)
    assert t["study_area_cells"] == 30 and t["crimes_in_cells"] == 15
    assert t["crimes_in_study_area"] == 15  # inside the outline: the 7 at y = 550 are not

    geo = plan.geo
    assert geo.crs.to_epsg() == 27700
    assert geo.geometry.iloc[0].equals(shapely.box(100, 100, 300, 200))
    # Two squares meeting at a corner: a MultiPolygon of 2 x 100 m x 100 m.
    assert geo.geometry.iloc[1].geom_type == "MultiPolygon"
    assert geo.geometry.iloc[1].area == pytest.approx(20_000)
    assert plan.cells.sort_values("cell_id")["zone"].tolist() == [1, 1, 2, 2]


def test_four_neighbour_zones_split_at_corners() -> None:
    plan = patrol_plan(make_result(), top_n=4, connectivity=4)
    assert plan.zones["crimes"].tolist() == [9, 3, 2]
    assert plan.zones["cells"].tolist() == [2, 1, 1]
    assert plan.totals["share_of_crime"] == pytest.approx(14 / 15)
    assert "edge (4-neighbour)" in " ".join(plan.notes)


def test_area_budget_counts_whole_cells() -> None:
    plan = patrol_plan(make_result(), area_km2=0.025)  # 2.5 cells -> 2
    assert plan.totals["cells"] == 2 and plan.totals["area_km2"] == pytest.approx(0.02)
    assert plan.zones["crimes"].tolist() == [9]
    assert any("holds 2 whole 100 m cells" in n for n in plan.notes)
    exact = patrol_plan(make_result(), area_km2=0.03)  # exactly three cells, not two
    assert exact.totals["cells"] == 3
    with pytest.raises(ValueError, match="smaller than one 100 m cell"):
        patrol_plan(make_result(), area_km2=0.005)


def test_budget_beyond_the_cells_with_crime_is_capped() -> None:
    plan = patrol_plan(make_result(), top_n=20)
    assert plan.totals["cells"] == 5  # the five study-area cells with a crime
    assert plan.totals["share_of_crime"] == pytest.approx(1.0)
    assert any("capped at the 5 cells" in n for n in plan.notes)


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"top_n": 30}, "a patrol budget of 30 cells is not smaller than the study area"),
        ({"top_n": 100}, "a patrol budget of 100 cells"),
        ({"area_km2": 0.3}, "a patrol budget of 0.3 km² (30 cells of 100 m)"),
        ({"area_km2": 5.0}, "(500 cells of 100 m) is not smaller than the study area"),
    ],
)
def test_a_budget_as_large_as_the_study_area_is_refused(kwargs: dict, said: str) -> None:
    """Not capped: patrolling every one of the 30 study cells would pick out nothing."""
    with pytest.raises(BudgetTooLargeError) as caught:
        patrol_plan(make_result(), **kwargs)
    message = str(caught.value)
    assert said in message
    assert "whose 30 cells cover 0.30 km²" in message and "e.g. 0.03 km², a tenth" in message
    # One cell under the area is a plan (capped at the cells with crime, and said).
    assert patrol_plan(make_result(), top_n=29).totals["cells"] == 5


def test_fitting_budget_is_a_tenth_of_the_area_in_whole_cells() -> None:
    assert fitting_budget_km2(30, 0.01) == pytest.approx(0.03)
    assert fitting_budget_km2(290, 0.01) == pytest.approx(0.29)
    assert fitting_budget_km2(5, 0.0625) == pytest.approx(0.0625)  # at least one cell


def test_ties_are_broken_by_cell_id_and_said() -> None:
    crimes = {(0, 4): 2, (2, 0): 2, (4, 2): 2, (2, 4): 3}
    plan = patrol_plan(make_result(crimes), top_n=2)
    # 3 first, then of the three 2s the lowest cell id: (0, 4) is cell 4.
    assert sorted(plan.cells["cell_id"]) == [cell_id(0, 4), cell_id(2, 4)]
    assert any("3 cells tie at the cut-off score 2" in n for n in plan.notes)
    # Equal crimes in two zones: numbered by the lower cell id.
    plan = patrol_plan(make_result({(0, 4): 2, (4, 2): 2}), top_n=2)
    assert plan.cells.set_index("cell_id")["zone"].to_dict() == {
        cell_id(0, 4): 1,
        cell_id(4, 2): 2,
    }


def test_other_scores_rank_cells_but_zones_report_crimes() -> None:
    # A smooth score that prefers an empty cell: chosen, with 0 crimes in its zone.
    kde = np.zeros(GRID.shape)
    kde[2, 5] = 10.0
    kde[1, 1] = 5.0
    gi = np.full(GRID.shape, -1.0)
    gi[3, 3] = 2.5
    plan = patrol_plan(make_result(extra={"kde": kde}), top_n=2, score="kde")
    assert plan.zones["crimes"].tolist() == [5, 0]  # zone 1 holds the most crime
    assert plan.cells.set_index("cell_id").loc[cell_id(2, 5), "zone"] == 2
    plan = patrol_plan(make_result(extra={"gistar": gi}), top_n=5, score="gistar")
    assert plan.totals["cells"] == 1  # only one cell has a positive Gi*
    with pytest.raises(ValueError, match="needs a hotspot run with method 'kde'"):
        patrol_plan(make_result(), top_n=2, score="kde")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one budget"),
        ({"top_n": 2, "area_km2": 1.0}, "exactly one budget"),
        ({"top_n": 0}, "at least 1"),
        ({"top_n": 2.5}, "whole number"),
        ({"area_km2": -1.0}, "positive"),
        ({"area_km2": float("nan")}, "positive"),
        ({"top_n": 2, "score": "pai"}, "unknown score"),
        ({"top_n": 2, "connectivity": 6}, "4 or 8"),
    ],
)
def test_bad_inputs_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        patrol_plan(make_result(), **kwargs)


def test_no_crime_in_the_study_area_is_refused() -> None:
    with pytest.raises(ValueError, match="no crimes lie in the study area"):
        patrol_plan(make_result({(5, 0): 3}), top_n=1)
    check_budget(3, None)
    check_budget(None, 2.5)


# --- real data -----------------------------------------------------------------------


# herts_db (tests/conftest.py): Hertfordshire street crimes 2021-01…2022-01 (13 files, LSOA 2011
# codes), loaded once for the session.


@pytest.fixture(scope="module")
def herts_result(herts_db: Path) -> HotspotResult:
    return hotspots(herts_db, Filter(("hertfordshire",), ("Drugs",)), method="gistar", cell=500)


@pytest.mark.parametrize("score", ["n", "gistar"])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_herts_plan_invariants(herts_result: HotspotResult, score: str, connectivity: int) -> None:
    result = herts_result
    plan = patrol_plan(result, area_km2=10, score=score, connectivity=connectivity)
    z, t, geo = plan.zones, plan.totals, plan.geo
    cell_km2 = result.grid.cell_area_km2

    # Within budget, and the share of area is of the study area's cells, not the grid's.
    assert t["area_km2"] <= 10 and t["cells"] == 40
    assert t["study_area_cells"] == int(result.mask.sum()) == len(result.cells)
    assert t["study_area_cells"] < result.grid.size
    assert z["share_of_area"].to_numpy() == pytest.approx(z["cells"] / result.mask.sum())
    assert t["study_area_cells_km2"] == pytest.approx(t["study_area_km2"], rel=0.01)
    # Shares are of the crimes in the study cells; the outline holds those and the few in
    # edge cells whose centre is outside it (one definition each, named apart).
    assert t["crimes_in_cells"] == result.cells["n"].sum()
    counts = result.area_counts()
    assert t["crimes_in_study_area"] == counts.in_area
    assert counts.in_area == int(result.study_area.contains(result.points.x, result.points.y).sum())
    assert 0 <= counts.in_area - t["crimes_in_cells"] == counts.in_edge_cells

    # Zones are disjoint, add up to the plan, and hold exactly their cells.
    assert plan.cells["cell_id"].is_unique and len(plan.cells) == t["cells"]
    assert z["cells"].sum() == t["cells"] and z["crimes"].sum() == t["crimes"]
    assert z["share_of_crime"].sum() == pytest.approx(t["share_of_crime"])
    assert z["share_of_area"].sum() == pytest.approx(t["share_of_area"])
    assert t["pai"] == pytest.approx(t["share_of_crime"] / t["share_of_area"])
    chosen = result.cells.set_index("cell_id").loc[plan.cells["cell_id"]]
    assert chosen["n"].sum() == t["crimes"]
    assert geo.geometry.area.to_numpy() == pytest.approx(z["cells"] * result.grid.cell**2)
    assert shapely.union_all(geo.geometry.values).area == pytest.approx(geo.geometry.area.sum())
    for a, b in itertools.combinations(geo.geometry, 2):
        if connectivity == 8:
            assert a.distance(b) > 0  # touching at all would have merged them
        else:
            assert a.intersection(b).area == 0

    # Numbered by crimes, most first; centroids inside Hertfordshire's box.
    assert z["crimes"].is_monotonic_decreasing and z["zone"].tolist() == list(range(1, len(z) + 1))
    assert z["lon"].between(-0.8, 0.3).all() and z["lat"].between(51.5, 52.1).all()
    assert t["pai"] > 1
    assert z["lsoas"].str.len().gt(0).all()
    # The LSOA tallies of a zone never exceed its crimes.
    for lsoas, crimes in zip(z["lsoas"], z["crimes"], strict=True):
        tally = sum(int(part.rsplit("(", 1)[1].rstrip(")")) for part in lsoas.split(", "))
        assert tally <= crimes
    if score == "n":
        # Counts as the score: no plan of 40 cells can hold more crime than the 40 busiest.
        best = np.sort(result.cells["n"].to_numpy())[::-1][:40].sum()
        assert t["crimes"] == best
    assert cell_km2 == pytest.approx(0.25)


def test_herts_four_neighbour_zones_refine_eight(herts_result: HotspotResult) -> None:
    eight = patrol_plan(herts_result, top_n=60)
    four = patrol_plan(herts_result, top_n=60, connectivity=4)
    assert len(four.zones) >= len(eight.zones)
    assert four.totals["crimes"] == eight.totals["crimes"]
    # Every 4-neighbour zone lies inside a single 8-neighbour zone.
    parent = eight.cells.set_index("cell_id")["zone"]
    for _, group in four.cells.groupby("zone"):
        assert parent.loc[group["cell_id"]].nunique() == 1
