"""Hotspot maps on a square grid: counts, quartic KDE and Getis-Ord Gi*.

The verb reads like sfhotspot's ``hotspot_gistar()``: take a checked
:class:`~harmwatch.where.requests.HotspotsRequest`, fill in the defaults the data
decide (:func:`resolve`, which says which were chosen), compute, return a tidy
table with one row per cell of the study area, empty cells included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harmwatch.errors import InputError
from harmwatch.query.filter import Filter, Points
from harmwatch.query.params import ParamError, Resolved
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import StudyArea
from harmwatch.where.kernels.gistar import gistar
from harmwatch.where.kernels.kde import (
    bandwidth_smaller_than_cell,
    default_bandwidth,
    kde_route,
    quartic_kde,
)
from harmwatch.where.kernels.multiple_testing import adjust_pvalues
from harmwatch.where.requests import METHODS, P_ADJUST, HotspotsRequest, band_problems
from harmwatch.where.workspace import Workspace, outside_warning, prepare, resolve_study_area

__all__ = [
    "METHODS",
    "P_ADJUST",
    "HotspotResult",
    "HotspotsRequest",
    "hotspots",
    "outside_warning",
    "resolve",
    "resolve_study_area",
]

MIN_POINTS = 20  # below this a hotspot map is mostly noise
LARGE_BANDWIDTH_CELLS = 40  # beyond this the surface is too smooth to show streets


@dataclass
class HotspotResult:
    cells: pd.DataFrame  # one row per study-area cell: cell_id, x, y, n, kde, gistar, pvalue, …
    grid: Grid
    mask: np.ndarray
    study_area: StudyArea
    points: Points
    method: str
    parameters: dict[str, object]
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        n_in = int(self.cells["n"].sum())
        out: dict[str, object] = {
            "method": self.method,
            "study_area": self.study_area.description,
            "study_area_kind": self.study_area.kind,
            "study_area_km2": round(self.study_area.area_km2, 3),
            "cells": len(self.cells),
            "cell_size_m": self.grid.cell,
            "points_selected": len(self.points),
            "points_in_study_area": n_in,
            "points_outside_study_area": len(self.points) - n_in,
            "points_without_location": self.points.n_without_location,
            "months": self.points.months,
            "forces": self.points.forces,
            "crime_types": list(self.points.filter.crime_types),
            "parameters": self.parameters,
            "defaults_chosen": self.defaults_chosen,
            "warnings": self.warnings,
        }
        if "class" in self.cells:
            out["hot_cells"] = int((self.cells["class"] == "hot spot").sum())
            out["cold_cells"] = int((self.cells["class"] == "cold spot").sum())
        return out


def resolve(request: HotspotsRequest, ws: Workspace) -> Resolved[HotspotsRequest]:
    """The request with the defaults the data decide, and the sentences saying which.

    ``ws`` has chosen the study area and cell size (and said so); this adds the
    KDE bandwidth (sfhotspot's rule over the crimes in the study area, times the
    adjustment) and how the density is summed, the Gi* neighbours and the
    multiple-testing correction.
    """
    cell = ws.grid.cell
    chosen: list[str] = []
    bandwidth = request.bandwidth
    if request.method in ("kde", "gistar"):
        x, y = ws.points.x[ws.inside], ws.points.y[ws.inside]
        if bandwidth is None:
            if len(x) < 2:
                raise InputError(
                    "at least two points are needed to choose a KDE bandwidth; give --bandwidth"
                )
            base, rule = default_bandwidth(x, y, cell)
            adjust = request.bandwidth_adjust
            bandwidth = base * adjust
            chosen.append(
                f"bandwidth: {bandwidth:,.0f} m ({rule}"
                + (f", times adjustment {adjust:g}" if adjust != 1 else "")
                + ")"
            )
        if kde_route(bandwidth, cell, int(x.size), ws.grid.size) == "binned":
            chosen.append(
                f"KDE computed by linear binning and FFT: the {bandwidth:,.0f} m bandwidth spans "
                f"{bandwidth / cell:,.0f} cells, so the exact sum over {x.size:,} crimes would take "
                "minutes; the surface differs from the exact one by under 1e-3 of its peak"
            )
    band = request.distance_band
    if request.method == "gistar":
        if band is None:
            band = float(cell * np.sqrt(2))
            chosen.append(f"neighbours: the 8 adjacent cells (distance band {band:,.0f} m)")
        if request.p_adjust == "fdr":
            chosen.append("p-values adjusted for multiple comparisons: FDR (Benjamini–Hochberg)")
    problems = band_problems(band, cell)
    if problems:  # a band was given and the cell size chosen from the data
        raise ParamError(problems)
    return Resolved(request.replace(cell=cell, bandwidth=bandwidth, distance_band=band), chosen)


def hotspots(db_path: str | Path, request: HotspotsRequest | Filter, **older: Any) -> HotspotResult:
    """Hotspots of the crimes the request chooses, over its study area.

    ``method``: "count" (crimes per cell), "kde" (adds quartic kernel density)
    or "gistar" (adds Gi* z-scores, p-values, adjusted p-values and a class).
    The older call form, a :class:`Filter` and keywords (``method=``, ``cell=``,
    ``area=`` a Place …), builds the same request.
    """
    if isinstance(request, Filter):
        request = HotspotsRequest.from_filter(request, older.pop("area", None), **older)
    elif older:
        raise TypeError(
            f"hotspots() takes a request or a Filter with keywords, not {sorted(older)}"
        )
    ws = prepare(db_path, request)
    resolved = resolve(request, ws)
    req = resolved.request
    method, cell = req.method, ws.grid.cell
    points, study, grid, mask = ws.points, ws.study_area, ws.grid, ws.mask
    defaults, warnings = ws.defaults_chosen, ws.warnings
    x, y = points.x[ws.inside], points.y[ws.inside]
    if len(x) < MIN_POINTS:
        warnings.append(
            f"only {len(x)} points in the study area: too few for a reliable hotspot map"
        )

    counts = grid.counts(x, y)
    parameters: dict[str, object] = {"cell_size_m": cell, "alpha": req.alpha}
    cx, cy = grid.centres()
    flat_mask = mask.ravel()
    table = pd.DataFrame(
        {
            "cell_id": np.flatnonzero(flat_mask),
            "x": cx[flat_mask],
            "y": cy[flat_mask],
            "n": counts.ravel()[flat_mask],
        }
    )
    defaults += resolved.defaults_chosen
    if method in ("kde", "gistar"):
        bandwidth = float(req.bandwidth or 0)
        if bandwidth > LARGE_BANDWIDTH_CELLS * cell:
            warnings.append(
                f"bandwidth {bandwidth:,.0f} m spans {bandwidth / cell:,.0f} cells: the density is smooth "
                "at this scale and hides street-level detail; give --bandwidth (a few hundred metres "
                "to a few km) to see it"
            )
        if bandwidth_smaller_than_cell(bandwidth, cell):
            warnings.append(
                f"bandwidth {bandwidth:,.0f} m is smaller than the {cell:g} m cells: "
                "the density surface will look like the counts"
            )
        route = kde_route(bandwidth, cell, int(x.size), grid.size)
        density = quartic_kde(grid, x, y, bandwidth, route=route)
        table["kde"] = density.ravel()[flat_mask]
        parameters["bandwidth_m"] = round(bandwidth, 3)
        parameters["kde_route"] = route
    if method == "gistar":
        band = float(req.distance_band or cell * np.sqrt(2))
        z, p = gistar(counts.astype(float), mask, cell, band)
        p_adj = adjust_pvalues(p, req.p_adjust)
        table["gistar"] = z.ravel()[flat_mask]
        table["pvalue"] = p.ravel()[flat_mask]
        table["pvalue_adj"] = p_adj.ravel()[flat_mask]
        significant = table["pvalue_adj"] < req.alpha
        table["class"] = np.where(
            significant & (table["gistar"] > 0),
            "hot spot",
            np.where(significant & (table["gistar"] < 0), "cold spot", "not significant"),
        )
        parameters.update({"distance_band_m": round(band, 3), "p_adjust": req.p_adjust})
    return HotspotResult(
        cells=table,
        grid=grid,
        mask=mask,
        study_area=study,
        points=points,
        method=method,
        parameters=parameters,
        defaults_chosen=defaults,
        warnings=warnings,
    )
