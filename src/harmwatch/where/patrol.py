"""Patrol plans: the busiest cells of a hotspot run merged into contiguous zones.

A plan answers "if we patrol this much ground, how much of the crime is in it?".
Both halves of that ratio are easy to inflate, so the plan is strict about them:
share of crime is of the crimes inside the study area, share of area is of the
study area's cells (never the bounding box of the points, which for a force file
is mostly land the force does not police), and the PAI-like ratio is in-sample —
the cells are chosen and scored on the same crimes — so it describes the past
period and is not a forecast of how a patrol would do next month.

A budget as large as the study area is refused, not capped: a plan that patrols
every cell picks out nothing, and its "100 % of the crimes in 100 % of the area"
would read as a finding. (A budget larger than the cells with any crime is still
capped at those cells, and a note says so: that plan does pick out places.)
:func:`fitting_budget_km2` gives a front a budget that fits a small study area.

:func:`plan_patrols` is the verb (a hotspot run, then the plan, from one
:class:`~harmwatch.where.requests.PatrolPlanRequest`); :func:`patrol_plan` draws
a plan over a hotspot run already made, as the web app's map does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from harmwatch.errors import InputError
from harmwatch.spatial.projection import BNG, to_wgs84
from harmwatch.where.hotspots import HotspotResult, hotspots
from harmwatch.where.kernels.aoristic import aoristic_profile
from harmwatch.where.requests import SCORE_METHOD, SCORES, PatrolPlanRequest
from harmwatch.where.timing import DAY_NAMES, PatrolTiming, patrol_timing

__all__ = [
    "FITTING_SHARE",
    "SCORES",
    "SCORE_METHOD",
    "BudgetTooLargeError",
    "PatrolPlan",
    "PatrolPlanRequest",
    "patrol_plan",
    "plan_patrols",
]

SCORE_LABEL = {"n": "crimes per cell", "kde": "KDE density", "gistar": "Gi* z-score"}
ZONE_COLUMNS = [
    "zone",
    "cells",
    "area_km2",
    "crimes",
    "share_of_crime",
    "share_of_area",
    "pai",
    "centroid_x",
    "centroid_y",
    "lon",
    "lat",
    "lsoas",
]


@dataclass
class PatrolPlan:
    """Zones (one row each), the same as polygons, the chosen cells, and plan totals."""

    zones: pd.DataFrame  # ZONE_COLUMNS
    geo: gpd.GeoDataFrame  # zones plus a polygon per zone, British National Grid
    cells: pd.DataFrame  # the chosen cells: cell_id, x, y, n, score, zone
    totals: dict[str, float]  # counts are ints, shares and areas floats
    parameters: dict[str, object]
    study_area: str
    notes: list[str] = field(default_factory=list)
    # When to visit each zone (in zone order), from crimes with known times (a force's
    # own records); None for police.uk, which dates crimes only to the month.
    timing: list[PatrolTiming] | None = None
    profiles: np.ndarray | None = None  # (zones, 7, 24) aoristic weights

    def summary(self) -> dict[str, object]:
        """A JSON-ready digest: totals, parameters, notes and one record per zone."""
        records = self.zones.to_dict(orient="records")
        if self.timing is not None:
            for record, timing in zip(records, self.timing, strict=True):
                record["when"] = timing_json(timing)
        return {
            "study_area": self.study_area,
            "parameters": self.parameters,
            "totals": self.totals,
            "notes": self.notes,
            "zones": records,
        }


def timing_json(timing: PatrolTiming) -> dict[str, object]:
    return {
        "windows": [
            {"label": w.label(), "day": DAY_NAMES[w.day], "start_hour": w.start_hour,
             "end_hour": w.end_hour, "share": round(w.share, 4), "visits": w.visits}
            for w in timing.windows
        ],
        "covered_share": round(timing.covered_share, 4),
        "crimes_weighted": round(timing.crimes, 3),
        "guidance": timing.guidance,
        "sources": list(timing.sources),
        "note": timing.note,
    }  # fmt: skip


def zone_timing(
    result: HotspotResult, chosen: pd.DataFrame, n_zones: int
) -> tuple[list[PatrolTiming], np.ndarray, list[str]] | None:
    """Each zone's hour-of-week profile (aoristic, Ratcliffe) and when to visit it.

    Only crimes with known times (a force's records) can say when; police.uk's
    months cannot, so the answer is None. Counted over the same crimes as the
    zone's cells: located, inside the study area, in a chosen cell.
    """
    points = result.points
    if points.start_utc is None or points.end_utc is None:
        return None
    inside = result.study_area.contains(points.x, points.y)
    cell_of = result.grid.locate(points.x, points.y)
    zone_of_cell = np.full(result.grid.size, -1, dtype=np.int64)
    zone_of_cell[chosen["cell_id"].to_numpy(dtype=np.int64)] = chosen["zone"].to_numpy() - 1
    groups = np.where(inside & (cell_of >= 0), zone_of_cell[np.maximum(cell_of, 0)], -1)
    profile = aoristic_profile(points.start_utc, points.end_utc, groups=groups, n_groups=n_zones)
    timings = [patrol_timing(profile.weights[z]) for z in range(n_zones)]
    notes = [
        "when to visit: each zone's crimes spread over the hours of the week they may have "
        "happened in (aoristic weights, Ratcliffe 2002: a crime known only to lie between "
        "18:00 and 07:30 counts 1/13.5 in each of those hours), local time (Europe/London)"
    ]
    too_long = int(profile.n_too_long.sum())
    if too_long:
        notes.append(
            f"{too_long:,} crimes in the zones are known only within more than "
            f"{profile.max_span_hours:g} hours and say nothing about the hour: left out of "
            "the profiles"
        )
    return timings, profile.weights, notes


class BudgetTooLargeError(InputError):
    """A patrol budget that covers the whole study area: there would be nothing to choose."""


# A front's fallback budget for a study area smaller than its usual one: a tenth of it.
FITTING_SHARE = 0.1


def fitting_budget_km2(study_cells: int, cell_km2: float, share: float = FITTING_SHARE) -> float:
    """About ``share`` of the study area's cells as an area budget (whole cells, at least one)."""
    cells = max(1, math.floor(study_cells * share))
    return round(cells * cell_km2, 6)


def check_budget(top_n: int | None, area_km2: float | None) -> None:
    """Refuse a budget that is missing, doubled or not positive (before any work is done)."""
    PatrolPlanRequest(top_n=top_n, area_km2=area_km2)


def _structure(connectivity: int) -> np.ndarray:
    if connectivity == 8:
        return np.ones((3, 3), dtype=bool)
    return ndimage.generate_binary_structure(2, 1)


def plan_patrols(
    db_path: str | Path, request: PatrolPlanRequest
) -> tuple[HotspotResult, PatrolPlan]:
    """``patrol-plan``: the hotspot run the score needs, and the plan drawn over it."""
    result = hotspots(db_path, request.hotspots_request())
    return result, patrol_plan(result, request)


def patrol_plan(
    result: HotspotResult, request: PatrolPlanRequest | None = None, **keywords: Any
) -> PatrolPlan:
    """Choose the highest-scoring cells within a budget and merge touching ones into zones.

    ``request.score`` is a column of ``result.cells``: "n" (crimes), "kde" or
    "gistar" (the run must have computed it). The budget is either ``top_n``
    cells or ``area_km2`` (as many whole cells as fit). Only cells with a
    positive score are eligible: a patrol plan should not send officers to cells
    with no crime (or a below-average Gi*) just to use up a budget, so a budget
    larger than the eligible cells is capped and the cap noted. Keywords
    (``top_n=4, score="kde"``) build the request when none is given.

    Ties in score are broken by crimes (more first), then by cell id (row-major
    from the south-west corner), so the same inputs always give the same plan.

    ``connectivity`` is 8 (cells touching at an edge or a corner join one zone;
    the same neighbours Gi* uses by default, and an officer crosses a corner as
    easily as an edge) or 4 (edges only). With 8, a zone polygon may be a
    MultiPolygon whose parts meet at a corner.

    Zones are numbered by crimes, most first (ties: higher total score, then the
    lowest cell id). Each zone's centroid is the centre of its cells, which for
    an L-shaped zone may fall outside it.
    """
    if request is None:
        request = PatrolPlanRequest(**keywords)
    elif keywords:
        raise TypeError(f"patrol_plan() takes a request or keywords, not both ({sorted(keywords)})")
    top_n, area_km2, score = request.top_n, request.area_km2, request.score
    connectivity, lsoas_per_zone = request.connectivity, request.lsoas_per_zone
    cells = result.cells
    if score not in cells.columns:
        raise InputError(
            f"score {score!r} needs a hotspot run with method {SCORE_METHOD[score]!r}; "
            f"this run used {result.method!r}"
        )
    grid = result.grid
    notes: list[str] = []
    study_cells = len(cells)
    crimes_total = int(cells["n"].sum())
    if crimes_total == 0:
        raise InputError("no crimes lie in the study area; there is nothing to plan patrols for")

    cell_km2 = grid.cell_area_km2
    if area_km2 is not None:
        # A whisker of tolerance so that a budget of exactly k cells is k, not k - 1.
        wanted = math.floor(area_km2 / cell_km2 + 1e-9)
        if wanted < 1:
            raise InputError(
                f"an area budget of {area_km2:g} km² is smaller than one {grid.cell:g} m cell "
                f"({cell_km2:g} km²); give a larger budget or smaller cells"
            )
        if wanted * cell_km2 < area_km2 - 1e-9:
            notes.append(
                f"area budget {area_km2:g} km² holds {wanted:,} whole {grid.cell:g} m cells "
                f"({wanted * cell_km2:g} km²)"
            )
    else:
        assert top_n is not None  # the request holds exactly one budget
        wanted = int(top_n)
    if wanted >= study_cells:
        study_km2 = study_cells * cell_km2
        asked = (
            f"{area_km2:g} km² ({wanted:,} cells of {grid.cell:g} m)"
            if area_km2 is not None
            else f"{wanted:,} cells"
        )
        raise BudgetTooLargeError(
            f"a patrol budget of {asked} is not smaller than the study area, whose "
            f"{study_cells:,} cells cover {study_km2:,.2f} km²: a plan that patrols all of it picks "
            f"out nothing. Give a budget under {study_km2:,.2f} km² ({study_cells:,} cells), e.g. "
            f"{fitting_budget_km2(study_cells, cell_km2):g} km², a tenth of the area"
        )

    values = cells[score].to_numpy(dtype=float)
    eligible = cells[np.isfinite(values) & (values > 0)]
    if wanted > len(eligible):
        notes.append(
            f"budget of {wanted:,} cells capped at the {len(eligible):,} cells with a positive "
            f"{score} score (of {study_cells:,} cells in the study area)"
        )
        wanted = len(eligible)
    if wanted == 0:
        raise InputError(f"no cell has a positive {score} score; no zones can be drawn")
    ordered = eligible.assign(score=eligible[score].astype(float)).sort_values(
        ["score", "n", "cell_id"], ascending=[False, False, True], kind="mergesort"
    )
    chosen = ordered.head(wanted)[["cell_id", "x", "y", "n", "score"]].copy()
    notes.append(
        f"cells ranked by {score} ({SCORE_LABEL[score]}); ties broken by crimes, then by cell id "
        "(row by row from the south-west corner)"
    )
    cutoff = chosen["score"].iloc[-1]
    tied = int((ordered["score"] == cutoff).sum())
    tied_in = int((chosen["score"] == cutoff).sum())
    if tied > tied_in:
        # With counts as the score many cells share the last value in the budget;
        # which of them get in is arbitrary, and the user should know that.
        notes.append(
            f"{tied:,} cells tie at the cut-off score {cutoff:g}; the budget takes {tied_in:,} of "
            "them by the tie-break, so the edge of the plan is arbitrary there"
        )
    notes.append(
        f"cells joined into zones when they touch at an {'edge or corner' if connectivity == 8 else 'edge'} "
        f"({connectivity}-neighbour)"
    )
    if score == "gistar" and "class" in cells.columns:
        hot = int((cells.loc[chosen.index, "class"] == "hot spot").sum())
        notes.append(
            f"{hot:,} of the {len(chosen):,} chosen cells are significant hot spots; the rest "
            "have a positive but not significant Gi*"
        )

    ids = chosen["cell_id"].to_numpy(dtype=np.int64)
    picked = np.zeros(grid.size, dtype=bool)
    picked[ids] = True
    labels, _ = ndimage.label(picked.reshape(grid.shape), structure=_structure(connectivity))
    chosen["raw"] = labels.ravel()[ids]
    per_zone = chosen.groupby("raw").agg(
        cells=("cell_id", "size"),
        crimes=("n", "sum"),
        score_sum=("score", "sum"),
        first_cell=("cell_id", "min"),
        centroid_x=("x", "mean"),
        centroid_y=("y", "mean"),
    )
    per_zone = per_zone.sort_values(
        ["crimes", "score_sum", "first_cell"], ascending=[False, False, True], kind="mergesort"
    )
    per_zone["zone"] = np.arange(1, len(per_zone) + 1)
    chosen["zone"] = per_zone["zone"].reindex(chosen["raw"]).to_numpy()
    chosen = chosen.drop(columns="raw").reset_index(drop=True)

    zones = per_zone.reset_index(drop=True)
    zones["crimes"] = zones["crimes"].astype(np.int64)
    zones["area_km2"] = zones["cells"] * cell_km2
    zones["share_of_crime"] = zones["crimes"] / crimes_total
    zones["share_of_area"] = zones["cells"] / study_cells
    zones["pai"] = zones["share_of_crime"] / zones["share_of_area"]
    lon, lat = to_wgs84(zones["centroid_x"].to_numpy(), zones["centroid_y"].to_numpy())
    zones["lon"] = lon
    zones["lat"] = lat
    zones["lsoas"] = _main_lsoas(result, chosen, lsoas_per_zone)
    zones = zones[ZONE_COLUMNS]

    half = grid.cell / 2
    squares = shapely.box(
        chosen["x"] - half, chosen["y"] - half, chosen["x"] + half, chosen["y"] + half
    )
    polygons = [shapely.union_all(squares[(chosen["zone"] == z).to_numpy()]) for z in zones["zone"]]
    geo = gpd.GeoDataFrame(zones.copy(), geometry=polygons, crs=BNG)

    plan_cells = int(zones["cells"].sum())
    plan_crimes = int(zones["crimes"].sum())
    share_crime = plan_crimes / crimes_total
    share_area = plan_cells / study_cells
    totals: dict[str, float] = {
        "zones": len(zones),
        "cells": plan_cells,
        "area_km2": round(plan_cells * cell_km2, 6),
        "crimes": plan_crimes,
        "share_of_crime": share_crime,
        "share_of_area": share_area,
        "pai": share_crime / share_area,
        # Two counts, named apart (see where.workspace.AreaCounts): the shares are of the
        # crimes in the study cells; the outline holds a few more, in edge cells.
        "crimes_in_cells": crimes_total,
        "crimes_in_study_area": result.area_counts().in_area,
        "study_area_cells": study_cells,
        "study_area_cells_km2": round(study_cells * cell_km2, 6),
        "study_area_km2": round(result.study_area.area_km2, 6),
    }
    notes.append(
        f"share of area: of the study area's {study_cells:,} cells "
        f"({study_cells * cell_km2:,.2f} km², cells whose centre lies inside it); "
        f"share of crime: of the {crimes_total:,} crimes counted in those cells"
    )
    notes.append(
        "the PAI-like ratio (share of crime / share of area) is in-sample: cells were chosen "
        "on the same crimes they are scored on, so it flatters the plan and is not a forecast"
    )
    parameters: dict[str, object] = {
        "score": score,
        "top_n": top_n,
        "area_km2": area_km2,
        "cells_chosen": plan_cells,
        "cell_size_m": grid.cell,
        "connectivity": connectivity,
        "hotspot_method": result.method,
    }
    timing = zone_timing(result, chosen, len(zones))
    profiles = None
    timings = None
    if timing is not None:
        timings, profiles, timing_notes = timing
        notes += timing_notes
        zones = zones.assign(
            visit_windows=[
                "; ".join(f"{w.label()} ({w.visits} visit{'s' if w.visits != 1 else ''})"
                          for w in t.windows) or (t.note or "")
                for t in timings
            ]
        )  # fmt: skip
        geo = geo.assign(visit_windows=zones["visit_windows"].to_numpy())
    return PatrolPlan(
        zones=zones,
        geo=geo,
        cells=chosen,
        totals=totals,
        parameters=parameters,
        study_area=result.study_area.description,
        notes=notes,
        timing=timings,
        profiles=profiles,
    )


def _main_lsoas(result: HotspotResult, chosen: pd.DataFrame, per_zone: int) -> list[str]:
    """The LSOAs holding most of each zone's crimes, as "name (crimes)", zone by zone.

    Counted over the same points as the cell counts: located crimes inside the
    study area, in the cell their coordinates fall in.
    """
    zone_ids = sorted(chosen["zone"].unique())
    if per_zone <= 0:
        return ["" for _ in zone_ids]
    points = result.points
    inside = result.study_area.contains(points.x, points.y)
    cell_of = result.grid.locate(points.x[inside], points.y[inside])
    zone_of_cell = pd.Series(chosen["zone"].to_numpy(), index=chosen["cell_id"].to_numpy())
    zone = zone_of_cell.reindex(cell_of).to_numpy()
    names = pd.Series(np.asarray(points.lsoa_name, dtype=object)[inside].astype(str))
    frame = pd.DataFrame({"zone": zone, "name": names})
    frame = frame[frame["zone"].notna() & (frame["name"] != "")]
    out = []
    for z in zone_ids:
        counts = frame.loc[frame["zone"] == z, "name"].value_counts()
        counts = counts.sort_index(kind="mergesort").sort_values(ascending=False, kind="mergesort")
        out.append(", ".join(f"{name} ({k})" for name, k in counts.head(per_zone).items()))
    return out
