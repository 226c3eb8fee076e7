"""The common start of every grid analysis: crimes, study area, grid and mask.

Hotspots, emerging hotspots, forecast evaluation and patrol plans all begin the
same way, from a :class:`~harmwatch.where.requests.GridRequest`; doing it in one
place means a default (the study area, the cell size) is chosen, and reported,
the same way everywhere, and an out-of-area point is counted and named the same
way. The study area is the request's :class:`~harmwatch.query.place.Place`: a
boundary, a box, or by default the forces' districts.

Counting crimes "in the study area" has two honest answers, and every panel must
use the same one for the same words (:class:`AreaCounts`): the located crimes
inside the study area's outline (the same whatever the cell size), and the
crimes in the grid's study cells, the cells whose centre lies inside the outline
(what every cell figure counts: hot spots, shares of crime, patrol plans). They
differ by the crimes in edge cells cut by the outline, and a note says by how
many.

The automatic cell size is never finer than :data:`LOCATION_PRECISION_M`:
police.uk moves every crime to the nearest of a fixed set of anonymised map
points (the centre of a street or a public place with enough addresses around
it), so its locations are only good to about that distance, and finer cells draw
those points rather than places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmwatch.engines import EngineChoice
from harmwatch.errors import InputError
from harmwatch.query.filter import FORCE_RECORDS, Points
from harmwatch.query.place import Place
from harmwatch.spatial.grid import Grid, default_cell_size
from harmwatch.spatial.study_area import StudyArea, for_forces, from_bbox, from_boundary_file
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.requests import GridRequest
from harmwatch.where.selection import select_points

# Police.uk locations are anonymised map points, one per street or public place with
# enough addresses around it: in towns they lie roughly 100–200 m apart. Cells finer
# than this split nothing the data can tell apart; a user may still ask for them.
LOCATION_PRECISION_M = 100.0


@dataclass(frozen=True)
class AreaCounts:
    """The selected crimes as every panel counts them: one definition for each name.

    ``in_area + outside_area == located``; ``in_cells <= in_area`` (a crime inside
    the outline that lies in an edge cell whose centre is outside it is in no
    cell); crimes without a location are in none of the others.
    """

    located: int  # located crimes the filter chose
    without_location: int  # chosen crimes with no map point: in no count below
    in_area: int  # located crimes inside the study area's outline
    outside_area: int  # located crimes outside it
    in_cells: int  # crimes in the grid's study cells (cells whose centre is inside)
    cell_size: float

    @property
    def in_edge_cells(self) -> int:
        """Crimes inside the outline that no study cell counts (edge cells left out)."""
        return self.in_area - self.in_cells

    def cells_note(self) -> str:
        """Why the cells' total differs from the study area's (said even when it does not)."""
        if self.in_edge_cells == 0:
            return (
                f"the grid's study cells (the {self.cell_size:g} m cells whose centre lies inside "
                f"the study area) hold all {self.in_area:,} crimes inside it"
            )
        return (
            f"the grid's study cells (the {self.cell_size:g} m cells whose centre lies inside "
            f"the study area) hold {self.in_cells:,} of the {self.in_area:,} crimes inside it: "
            f"{self.in_edge_cells:,} lie in edge cells whose centre is outside, which are left "
            "out, so the total changes a little with the cell size. Every cell figure (hot "
            f"spots, shares of crime, patrol plans) counts the {self.in_cells:,}"
        )

    def to_dict(self) -> dict[str, int | float]:
        return {
            "points_selected": self.located,
            "points_without_location": self.without_location,
            "points_in_study_area": self.in_area,
            "points_outside_study_area": self.outside_area,
            "points_in_cells": self.in_cells,
            "points_in_edge_cells_left_out": self.in_edge_cells,
        }


@dataclass
class Workspace:
    points: Points
    study_area: StudyArea
    grid: Grid
    mask: np.ndarray  # (nrows, ncols): cells whose centre is in the study area
    inside: np.ndarray  # per point: inside the study area
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def choose_cell_size(study: StudyArea, points: Points | None = None) -> tuple[float, str]:
    """The automatic cell size for a study area, and the sentence saying how it was chosen.

    police.uk's snap points set a floor of :data:`LOCATION_PRECISION_M`; a force's own
    records have exact places, so none — except for a viewer of aggregates, who is
    given cells of at least :data:`harmwatch.crimes.kinds.AGGREGATE_CELL_M`.
    """
    wanted = default_cell_size(*study.bounds)
    if points is not None and points.filter.source == FORCE_RECORDS:
        floor = _aggregate_floor(points)
        if floor and wanted < floor:
            return floor, (
                f"cell size: {floor:g} m, not the {wanted:g} m that would give about 50 cells "
                f"across: figures from a force's own records are given to you in cells of at "
                f"least {floor:g} m (aggregates only)"
            )
        if floor:
            return wanted, (
                f"cell size: {wanted:g} m (about 50 cells across the shorter side of the study "
                f"area; figures from a force's own records are given to you in cells of at "
                f"least {floor:g} m, aggregates only)"
            )
        return wanted, (
            f"cell size: {wanted:g} m (about 50 cells across the shorter side of the study "
            "area; the force's records give exact places, so police.uk's snap-point floor of "
            f"{LOCATION_PRECISION_M:g} m does not apply)"
        )
    cell = default_cell_size(*study.bounds, minimum=LOCATION_PRECISION_M)
    if cell > wanted:
        return cell, (
            f"cell size: {cell:g} m, not the {wanted:g} m that would give about 50 cells across "
            "the shorter side of this small study area: police.uk moves each crime to the nearest "
            "of a set of anonymised map points (a street's or a public place's centre), so its "
            f"locations are good to about {LOCATION_PRECISION_M:g} m and finer cells would show "
            "those points, not places"
        )
    return cell, f"cell size: {cell:g} m (about 50 cells across the shorter side of the study area)"


def _aggregate_floor(points: Points) -> float:
    """The finest cell this reading allows (0: exact places)."""
    if points.exact:
        return 0.0
    from harmwatch.crimes.kinds import AGGREGATE_CELL_M

    return AGGREGATE_CELL_M


def check_cell_for_source(cell: float, points: Points) -> None:
    """Refuse a cell a viewer of aggregates may not have (finer, or off the 250 m grid)."""
    if points.filter.source != FORCE_RECORDS:
        return
    floor = _aggregate_floor(points)
    if floor and (cell < floor or abs(cell / floor - round(cell / floor)) > 1e-9):
        raise InputError(
            f"cell size {cell:g} m: figures from a force's own records are given to you in "
            f"cells of at least {floor:g} m, in multiples of {floor:g} m (aggregates only); "
            f"choose {floor:g}, {2 * floor:g}, {4 * floor:g} …"
        )


def resolve_study_area(place: Place, points: Points | Sequence[str]) -> StudyArea:
    """The study area a place gives: its boundary or box, else the selected forces' districts.

    ``points`` are the selected crimes, or the selected forces themselves.
    """
    if place.boundary:
        return from_boundary_file(place.boundary, label=place.boundary_label)
    if place.bbox is not None:
        return from_bbox(*place.bbox)
    return for_forces(points.forces if isinstance(points, Points) else list(points))


def outside_warning(
    points: Points, area: StudyArea, inside: np.ndarray | None = None
) -> str | None:
    """Name the places the out-of-area points are in, by the LSOA name's district prefix.

    ``inside`` is ``area.contains(points.x, points.y)`` when the caller has it already.
    """
    if inside is None:
        inside = area.contains(points.x, points.y)
    n_out = int((~inside).sum())
    if n_out == 0:
        return None
    # Nationally a hundred thousand crimes lie outside but only a few thousand LSOA
    # names: split each name once, not each crime's.
    codes, uniques = pd.factorize(points.lsoa_name[~inside], use_na_sentinel=False)
    prefixes = pd.Series(uniques).str.rsplit(" ", n=1).str[0].to_numpy(dtype=object)
    names = pd.Series(prefixes[codes])
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


def prepare(
    db_path: str | Path, request: GridRequest, *, engine: EngineChoice | None = None
) -> Workspace:
    """Select the crimes, fix the study area and grid, and say which defaults were chosen.

    ``engine`` says where the police.uk aggregation runs (default: the store's DuckDB).
    """
    place = request.place
    with AnalyticsStore.open(db_path) as store:
        points = select_points(store, request.filter(), engine=engine)
    defaults = list(points.notes)
    warnings: list[str] = []
    study = resolve_study_area(place, points)
    if place.kind == "forces":
        defaults.append(f"study area: {study.description}")
    cell = request.cell
    if cell is None:
        cell, why = choose_cell_size(study, points)
        defaults.append(why)
    check_cell_for_source(cell, points)
    grid = Grid.covering(*study.bounds, cell)
    mask = study.mask(grid)
    if mask.sum() < 3:
        raise InputError(
            f"only {int(mask.sum())} cell(s) of {cell:g} m fall inside the study area; use smaller cells"
        )
    inside = study.contains(points.x, points.y)
    warning = outside_warning(points, study, inside)
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
        inside=inside,
        defaults_chosen=defaults,
        warnings=warnings,
    )
