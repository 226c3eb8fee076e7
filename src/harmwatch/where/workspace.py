"""The common start of every grid analysis: crimes, study area, grid and mask.

Hotspots, emerging hotspots, forecast evaluation and patrol plans all begin the
same way, from a :class:`~harmwatch.where.requests.GridRequest`; doing it in one
place means a default (the study area, the cell size) is chosen, and reported,
the same way everywhere, and an out-of-area point is counted and named the same
way. The study area is the request's :class:`~harmwatch.query.place.Place`: a
boundary, a box, or by default the forces' districts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmwatch.errors import InputError
from harmwatch.query.filter import Points
from harmwatch.query.place import Place
from harmwatch.spatial.grid import Grid, default_cell_size
from harmwatch.spatial.study_area import StudyArea, for_forces, from_bbox, from_boundary_file
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.requests import GridRequest
from harmwatch.where.selection import select_points


@dataclass
class Workspace:
    points: Points
    study_area: StudyArea
    grid: Grid
    mask: np.ndarray  # (nrows, ncols): cells whose centre is in the study area
    inside: np.ndarray  # per point: inside the study area
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def resolve_study_area(place: Place, points: Points) -> StudyArea:
    """The study area a place gives: its boundary or box, else the selected forces' districts."""
    if place.boundary:
        return from_boundary_file(place.boundary, label=place.boundary_label)
    if place.bbox is not None:
        return from_bbox(*place.bbox)
    return for_forces(points.forces)


def outside_warning(points: Points, area: StudyArea) -> str | None:
    """Name the places the out-of-area points are in, by the LSOA name's district prefix."""
    inside = area.contains(points.x, points.y)
    n_out = int((~inside).sum())
    if n_out == 0:
        return None
    names = pd.Series(points.lsoa_name[~inside]).str.rsplit(" ", n=1).str[0]
    top = names[names != ""].value_counts().head(5)
    where = ", ".join(f"{k} {v}" for k, v in top.items())
    text = (
        f"{n_out:,} of {len(points):,} located points ({100 * n_out / max(len(points), 1):.1f} %) lie "
        f"outside the study area and are left out{f' (mostly {where})' if where else ''}"
    )
    own = int(names.isin(area.districts).sum()) if area.districts else 0
    if own:
        text += (
            f"; {own:,} of them carry an LSOA of the study area's own districts and lie just outside "
            "its generalised boundary"
        )
    return text


def prepare(db_path: str | Path, request: GridRequest) -> Workspace:
    """Select the crimes, fix the study area and grid, and say which defaults were chosen."""
    place = request.place
    with AnalyticsStore.open(db_path) as store:
        points = select_points(store, request.filter())
    defaults = list(points.notes)
    warnings: list[str] = []
    study = resolve_study_area(place, points)
    if place.kind == "forces":
        defaults.append(f"study area: {study.description}")
    cell = request.cell
    if cell is None:
        cell = default_cell_size(*study.bounds)
        defaults.append(
            f"cell size: {cell:g} m (about 50 cells across the shorter side of the study area)"
        )
    grid = Grid.covering(*study.bounds, cell)
    mask = study.mask(grid)
    if mask.sum() < 3:
        raise InputError(
            f"only {int(mask.sum())} cell(s) of {cell:g} m fall inside the study area; use smaller cells"
        )
    warning = outside_warning(points, study)
    if warning:
        warnings.append(warning)
    if points.n_without_location:
        warnings.append(
            f"{points.n_without_location:,} selected crimes have no location and are left out"
        )
    return Workspace(
        points=points,
        study_area=study,
        grid=grid,
        mask=mask,
        inside=study.contains(points.x, points.y),
        defaults_chosen=defaults,
        warnings=warnings,
    )
