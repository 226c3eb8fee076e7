"""The where-analyses drawn as static maps (PNG): hotspots, emerging hot spots, patrol plans.

Shared by the command line (``--map``) and the web app's downloads, so a map
saved from either is the same picture. Drawing only: every value comes from the
analysis result handed in. Titles name forces as they write their names and
periods as their runs of consecutive months (a gap is never drawn over).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from shapely.geometry.base import BaseGeometry

from harmwatch.maps.render import EMERGING_COLOURS, draw_grid_map
from harmwatch.sources.policeuk.forces import forces_text
from harmwatch.spatial.boundaries import force_districts
from harmwatch.timeline.months import periods_text
from harmwatch.where.emerging_hotspots import EmergingHotspots
from harmwatch.where.hotspots import HotspotResult
from harmwatch.where.patrol import PatrolPlan


def draw_hotspot_map(result: HotspotResult, path: Path) -> Path:
    """Gi* classes, or the KDE/count surface, over the study area with its districts."""
    flt = result.points.filter
    what = ", ".join(flt.crime_types) or "all crime"
    title = f"{what}: {forces_text(result.points.forces)}, {periods_text(result.points.months)}"
    districts = district_outlines(result.points.forces)
    grid = result.grid
    mask = result.mask
    if result.method == "gistar":
        classes = np.full(grid.size, "", dtype=object)
        classes[result.cells["cell_id"].to_numpy()] = result.cells["class"].to_numpy()
        return draw_grid_map(
            path, grid, np.zeros(grid.shape), mask,
            title=title, legend_label=f"Gi* ({result.parameters.get('p_adjust')}-adjusted p < {result.parameters['alpha']})",
            area=result.study_area.geometry, classes=classes.reshape(grid.shape), districts=districts,
            subtitle=f"{grid.cell:g} m cells; study area: {result.study_area.kind}",
        )  # fmt: skip
    column = "kde" if result.method == "kde" else "n"
    values = np.zeros(grid.size)
    values[result.cells["cell_id"].to_numpy()] = result.cells[column].to_numpy()
    label = "crimes per km² (quartic KDE)" if column == "kde" else "crimes per cell"
    return draw_grid_map(
        path, grid, values.reshape(grid.shape), mask,
        title=title, legend_label=label, area=result.study_area.geometry, districts=districts,
        subtitle=f"{grid.cell:g} m cells; study area: {result.study_area.kind}",
    )  # fmt: skip


def district_outlines(forces: list[str]) -> list[BaseGeometry]:
    """The outlines of the forces' districts, drawn under every map for orientation."""
    outlines: list[BaseGeometry] = []
    for slug in forces:
        outlines += list(force_districts(slug).geometry)
    return outlines


def draw_emerging_map(result: EmergingHotspots, path: Path) -> Path:
    """Each cell's emerging-hot-spot category."""
    grid = result.grid
    classes = np.full(grid.size, "", dtype=object)
    classes[result.cells["cell_id"].to_numpy()] = result.cells["category"].to_numpy()
    return draw_grid_map(
        path, grid, np.zeros(grid.shape), result.mask,
        title=f"Emerging hot spots: {forces_text(result.forces)}, {periods_text(result.months)}",
        legend_label="category (Mann–Kendall trend on monthly Gi*)",
        area=result.study_area.geometry, classes=classes.reshape(grid.shape),
        class_colours=EMERGING_COLOURS, districts=district_outlines(result.forces),
        subtitle=f"{grid.cell:g} m cells; study area: {result.study_area.kind}",
    )  # fmt: skip


def draw_patrol_map(result: HotspotResult, plan: PatrolPlan, path: Path) -> Path:
    """The score surface with the plan's zones outlined over the study area."""
    score = str(plan.parameters["score"])
    grid = result.grid
    values = np.zeros(grid.size)
    values[result.cells["cell_id"].to_numpy()] = result.cells[score].to_numpy()
    flt = result.points.filter
    what = ", ".join(flt.crime_types) or "all crime"
    period = periods_text(result.points.months)
    districts = district_outlines(result.points.forces)
    totals = plan.totals
    label = {
        "n": "crimes per cell",
        "kde": "crimes per km² (quartic KDE)",
        "gistar": "Gi* z-score",
    }[score]
    return draw_grid_map(
        path, grid, values.reshape(grid.shape), result.mask,
        title=f"Patrol plan: {what}, {forces_text(result.points.forces)}, {period}",
        legend_label=label, area=result.study_area.geometry, districts=districts,
        zones=list(plan.geo.geometry),
        subtitle=(
            f"{totals['zones']} zones (outlined): {100 * totals['share_of_area']:.1f} % of the "
            f"study area, {100 * totals['share_of_crime']:.1f} % of its crimes; "
            f"{grid.cell:g} m cells; study area: {result.study_area.kind}"
        ),
    )  # fmt: skip
