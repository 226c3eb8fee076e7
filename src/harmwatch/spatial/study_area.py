"""The study area: the ground over which shares of area and cells are counted.

A force's police.uk file holds points far outside the force, so its bounding box
is mostly land the force does not police; any share-of-area figure over that box
flatters the method. harmwatch therefore defines the study area as the force's
districts (or a boundary the user gives) and always says which it used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.forces import forces_text

from . import boundaries
from .grid import Grid


@dataclass(frozen=True)
class StudyArea:
    geometry: BaseGeometry  # British National Grid metres
    kind: str  # "force districts", "force area", "boundary file", "bounding box"
    description: str
    districts: tuple[str, ...] = ()

    @property
    def area_km2(self) -> float:
        return float(self.geometry.area) / 1e6

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xmin, ymin, xmax, ymax = self.geometry.bounds
        return (float(xmin), float(ymin), float(xmax), float(ymax))

    def mask(self, grid: Grid) -> np.ndarray:
        """Cells whose centre lies inside the area, as a (nrows, ncols) boolean array."""
        x, y = grid.centres()
        inside = shapely.contains_xy(self.geometry, x, y)
        return np.asarray(inside, dtype=bool).reshape(grid.shape)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        out = np.zeros(x.shape, dtype=bool)
        out[ok] = shapely.contains_xy(self.geometry, x[ok], y[ok])
        return out


def for_forces(force_slugs: list[str]) -> StudyArea:
    """The union of the forces' districts; a force with none on file falls back to its force area.

    Forces with no territory of their own (British Transport Police) or no
    bundled boundary (Northern Ireland) are left out of the area and named in
    its description; their crimes still count where they fall inside it.
    """
    parts: list[BaseGeometry] = []
    names: list[str] = []
    used_pfa: list[str] = []
    without: list[str] = []
    for slug in force_slugs:
        lads = boundaries.force_districts(slug)
        if not lads.empty:
            parts.append(shapely.union_all(lads.geometry.values))
            names.extend(sorted(lads["name"]))
            continue
        pfa = boundaries.force_area_polygon(slug)
        if pfa is None:
            without.append(slug)
            continue
        parts.append(pfa)
        used_pfa.append(slug)
    if not parts:
        raise boundaries.BoundaryError(
            f"no districts or force-area boundary are bundled for {forces_text(force_slugs)}; "
            "give a boundary (or a box) as the study area"
        )
    geometry = shapely.union_all(parts)
    label = forces_text(force_slugs)
    if names:
        listed = ", ".join(names) if len(names) <= 12 else f"{', '.join(names[:12])}, …"
        text = f"{label}: {len(names)} districts ({listed}) from {boundaries.LAD_SOURCE}"
        kind = "force districts"
        if used_pfa:
            text += f"; force area boundary for {forces_text(used_pfa, most=50)} ({boundaries.PFA_SOURCE})"
    else:
        text = f"{label}: force area boundary ({boundaries.PFA_SOURCE})"
        kind = "force area"
    if without:
        text += f"; no boundary for {forces_text(without, most=50)}, left out"
    return StudyArea(geometry, kind, text, tuple(names))


def from_boundary_file(path: str, label: str | None = None) -> StudyArea:
    """A user's boundary file as the study area, described by ``label`` when given.

    The web app's boundaries live under server paths nobody should see in a
    report, so it names them ("uploaded boundary 'Town centre'") instead.
    """
    geometry = boundaries.read_boundary(path)
    return StudyArea(geometry, "boundary file", label or f"boundary file {path}")


def from_bbox(xmin: float, ymin: float, xmax: float, ymax: float) -> StudyArea:
    if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))) or not (xmax > xmin and ymax > ymin):
        raise InputError(f"bounding box has no area: {xmin}, {ymin}, {xmax}, {ymax}")
    return StudyArea(
        box(xmin, ymin, xmax, ymax),
        "bounding box",
        f"bounding box {xmin:.0f},{ymin:.0f} – {xmax:.0f},{ymax:.0f} (BNG metres)",
    )
