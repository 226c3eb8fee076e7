"""Emerging hot spots: where drug crime is new, intensifying, persistent or fading.

A space-time cube of monthly counts per cell, Gi* per month (p-values adjusted
within each month), then ArcGIS Pro's Emerging Hot Spot categories with a
Mann–Kendall trend on each cell's Gi* series
(:mod:`harmwatch.where.kernels.emerging`). The cube is one run of consecutive
months: a series that jumps a gap is not a series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmwatch.errors import InputError
from harmwatch.query.params import ParamError
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import StudyArea
from harmwatch.timeline.months import consecutive_runs, runs_text
from harmwatch.where.kernels.emerging import classify_emerging
from harmwatch.where.kernels.gistar import gistar
from harmwatch.where.kernels.multiple_testing import adjust_pvalues
from harmwatch.where.requests import EmergingHotspotsRequest, band_problems
from harmwatch.where.workspace import prepare

MIN_STEPS_ARCGIS = 10  # ArcGIS Pro refuses cubes with fewer time steps


@dataclass
class EmergingHotspots:
    cells: pd.DataFrame  # cell_id, x, y, n, trend_z, trend_p, n_hot, n_cold, category
    grid: Grid
    mask: np.ndarray
    study_area: StudyArea
    months: list[str]
    forces: list[str]
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def category_counts(self) -> dict[str, int]:
        counts = self.cells["category"].value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "study_area": self.study_area.description,
            "cell_size_m": self.grid.cell,
            "months": self.months,
            "cells": len(self.cells),
            "categories": self.category_counts(),
            "defaults_chosen": self.defaults_chosen,
            "warnings": self.warnings,
        }


def emerging_hotspots(db_path: str | Path, request: EmergingHotspotsRequest) -> EmergingHotspots:
    """Classify every study-area cell by the ArcGIS Pro emerging-hot-spot rules."""
    ws = prepare(db_path, request)
    points, study, grid, mask, inside = ws.points, ws.study_area, ws.grid, ws.mask, ws.inside
    cell = grid.cell
    distance_band, p_adjust, alpha = request.distance_band, request.p_adjust, request.alpha
    problems = band_problems(distance_band, cell)
    if problems:  # a band was given and the cell size chosen from the data
        raise ParamError(problems)
    defaults, warnings = ws.defaults_chosen, ws.warnings
    runs = consecutive_runs(points.months)
    if len(runs) > 1:
        if request.months:
            raise InputError(
                f"the months asked for are not consecutive ({runs_text(points.months)}); "
                "a space-time cube needs one run of consecutive months"
            )
        latest = runs[-1]
        defaults.append(
            f"months: the latest run of consecutive months, {latest[0]}…{latest[-1]} "
            f"(the data have {len(runs)} separate runs; ask for another run's months to use it)"
        )
    months = runs[-1]
    if len(months) < MIN_STEPS_ARCGIS:
        warnings.append(
            f"only {len(months)} months: ArcGIS Pro asks for at least {MIN_STEPS_ARCGIS} time steps; "
            "trends over so few months are weak"
        )
    flat = mask.ravel()
    z_steps, p_steps, totals = [], [], np.zeros(grid.shape)
    for month in months:
        chosen = inside & (points.month == month)
        counts = grid.counts(points.x[chosen], points.y[chosen]).astype(float)
        totals += counts
        z, p = gistar(counts, mask, cell, distance_band)
        z_steps.append(z.ravel()[flat])
        p_steps.append(adjust_pvalues(p, p_adjust).ravel()[flat])
    result = classify_emerging(np.vstack(z_steps), np.vstack(p_steps), alpha)
    cx, cy = grid.centres()
    cells = pd.DataFrame(
        {
            "cell_id": np.flatnonzero(flat),
            "x": cx[flat],
            "y": cy[flat],
            "n": totals.ravel()[flat].astype(np.int64),
            "trend_z": result.trend_z,
            "trend_p": result.trend_p,
            "n_hot": result.n_hot,
            "n_cold": result.n_cold,
            "category": result.category,
        }
    )
    cells.loc[cells["category"] == "", "category"] = "Not analysed"
    if distance_band is None:
        defaults.append(
            f"neighbours: the 8 adjacent cells (distance band {cell * np.sqrt(2):,.0f} m)"
        )
    if p_adjust == "fdr":
        defaults.append("p-values adjusted within each month: FDR (Benjamini–Hochberg)")
    return EmergingHotspots(
        cells, grid, mask, study, list(months), points.forces, defaults, warnings
    )
