"""Hotspot maps on a square grid: counts, quartic KDE and Getis-Ord Gi*.

The verb reads like sfhotspot's ``hotspot_gistar()``: check the inputs, fill in
the defaults (and say which were chosen), compute, return a tidy table with one
row per cell of the study area, empty cells included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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
from harmwatch.where.selection import Filter, Points
from harmwatch.where.workspace import AreaSpec, outside_warning, prepare, resolve_study_area

METHODS = ("count", "kde", "gistar")
P_ADJUST = ("fdr", "holm", "none")
__all__ = ["AreaSpec", "HotspotResult", "hotspots", "outside_warning", "resolve_study_area"]

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


def hotspots(
    db_path: str | Path,
    flt: Filter,
    *,
    method: str = "gistar",
    area: AreaSpec | None = None,
    cell: float | None = None,
    bandwidth: float | None = None,
    bandwidth_adjust: float = 1.0,
    distance_band: float | None = None,
    p_adjust: str = "fdr",
    alpha: float = 0.05,
) -> HotspotResult:
    """Hotspots of the crimes chosen by ``flt`` over the study area.

    ``method``: "count" (crimes per cell), "kde" (adds quartic kernel density)
    or "gistar" (adds Gi* z-scores, p-values, adjusted p-values and a class).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if p_adjust not in P_ADJUST:
        raise ValueError(
            f"unknown p-value adjustment {p_adjust!r}; choose one of {', '.join(P_ADJUST)}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    ws = prepare(db_path, flt, area, cell)
    points, study, grid, mask = ws.points, ws.study_area, ws.grid, ws.mask
    cell = grid.cell
    defaults, warnings = ws.defaults_chosen, ws.warnings
    x, y = points.x[ws.inside], points.y[ws.inside]
    if len(x) < MIN_POINTS:
        warnings.append(
            f"only {len(x)} points in the study area: too few for a reliable hotspot map"
        )

    counts = grid.counts(x, y)
    parameters: dict[str, object] = {"cell_size_m": cell, "alpha": alpha}
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
    if method in ("kde", "gistar"):
        if bandwidth is None:
            if len(x) < 2:
                raise ValueError(
                    "at least two points are needed to choose a KDE bandwidth; give --bandwidth"
                )
            chosen, rule = default_bandwidth(x, y, cell)
            bandwidth = chosen * bandwidth_adjust
            defaults.append(
                f"bandwidth: {bandwidth:,.0f} m ({rule}"
                + (f", times adjustment {bandwidth_adjust:g}" if bandwidth_adjust != 1 else "")
                + ")"
            )
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
        parameters["bandwidth_m"] = round(float(bandwidth), 3)
        parameters["kde_route"] = route
        if route == "binned":
            defaults.append(
                f"KDE computed by linear binning and FFT: the {bandwidth:,.0f} m bandwidth spans "
                f"{bandwidth / cell:,.0f} cells, so the exact sum over {x.size:,} crimes would take "
                "minutes; the surface differs from the exact one by under 1e-3 of its peak"
            )
    if method == "gistar":
        z, p = gistar(counts.astype(float), mask, cell, distance_band)
        band = distance_band if distance_band is not None else cell * np.sqrt(2)
        if distance_band is None:
            defaults.append(f"neighbours: the 8 adjacent cells (distance band {band:,.0f} m)")
        p_adj = adjust_pvalues(p, p_adjust)
        table["gistar"] = z.ravel()[flat_mask]
        table["pvalue"] = p.ravel()[flat_mask]
        table["pvalue_adj"] = p_adj.ravel()[flat_mask]
        significant = table["pvalue_adj"] < alpha
        table["class"] = np.where(
            significant & (table["gistar"] > 0),
            "hot spot",
            np.where(significant & (table["gistar"] < 0), "cold spot", "not significant"),
        )
        parameters.update({"distance_band_m": round(float(band), 3), "p_adjust": p_adjust})
        if p_adjust == "fdr":
            defaults.append("p-values adjusted for multiple comparisons: FDR (Benjamini–Hochberg)")
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
