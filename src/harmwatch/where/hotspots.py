"""Hotspot maps on a square grid: counts, quartic KDE and Getis-Ord Gi*.

The verb reads like sfhotspot's ``hotspot_gistar()``: take a checked
:class:`~harmwatch.where.requests.HotspotsRequest`, fill in the defaults the data
decide (:func:`resolve`, which says which were chosen), compute, return a tidy
table with one row per cell of the study area, empty cells included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harmwatch.engines import EngineChoice
from harmwatch.query.filter import Filter, Points
from harmwatch.query.params import ParamError, Problem, Resolved, ref
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import StudyArea
from harmwatch.where.kernels.gistar import gistar_cells
from harmwatch.where.kernels.gistar_permutation import gistar_permutation, permutations_needed
from harmwatch.where.kernels.kde import (
    bandwidth_smaller_than_cell,
    default_bandwidth,
    kde_route,
    quartic_kde,
)
from harmwatch.where.kernels.multiple_testing import adjust_pvalues
from harmwatch.where.requests import METHODS, P_ADJUST, HotspotsRequest, band_problems
from harmwatch.where.workspace import (
    AreaCounts,
    Workspace,
    outside_warning,
    prepare,
    resolve_study_area,
)

__all__ = [
    "METHODS",
    "P_ADJUST",
    "AreaCounts",
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
    inside: np.ndarray | None = None  # per point: inside the study area (computed if not given)

    def area_counts(self) -> AreaCounts:
        """The run's crimes as every panel counts them (:class:`AreaCounts`)."""
        inside = self.inside
        if inside is None:
            inside = self.study_area.contains(self.points.x, self.points.y)
            self.inside = inside
        located = len(self.points)
        in_area = int(inside.sum())
        return AreaCounts(
            located=located,
            without_location=self.points.n_without_location,
            in_area=in_area,
            outside_area=located - in_area,
            in_cells=int(self.cells["n"].sum()),
            cell_size=self.grid.cell,
        )

    def summary(self) -> dict[str, object]:
        counts = self.area_counts()
        out: dict[str, object] = {
            "method": self.method,
            "study_area": self.study_area.description,
            "study_area_kind": self.study_area.kind,
            "study_area_km2": round(self.study_area.area_km2, 3),
            "cells": len(self.cells),
            "cell_size_m": self.grid.cell,
            **counts.to_dict(),
            "cells_note": counts.cells_note(),
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


PERMUTATION_SEED = 1992  # fixed: the same data and draws always give the same p-values


def permutation_notes(p: np.ndarray, permutations: int, p_adjust: str, alpha: float) -> list[str]:
    """What the permutation floor allows the multiple-testing step to find, said plainly.

    Two-sided permutation p-values are at least ``2/(P + 1)``. Holm can call a cell
    significant only if that is at most α/m; Benjamini–Hochberg only if at least
    ``2m / (α (P + 1))`` cells reach the floor. When the draws are too few for
    that, no cell can be a hot or cold spot whatever the data, and the reader must
    be told so rather than shown an empty map as a finding.
    """
    m = int(p.size)
    if m == 0 or p_adjust == "none":
        return []
    floor = min(1.0, 2.0 / (permutations + 1))
    needed = permutations_needed(m, alpha, p_adjust)
    if permutations >= needed:
        return []
    at_floor = int(np.sum(p <= floor * (1 + 1e-12)))
    method = "Holm" if p_adjust == "holm" else "FDR (Benjamini–Hochberg)"
    if p_adjust == "holm":
        return [
            f"with {permutations:,} permutations no p-value can be below {floor:.2g}, and the "
            f"Holm adjustment over {m:,} cells calls a cell significant only below "
            f"{alpha / m:.2g}: no cell can be a hot or cold spot whatever the data. Use at least "
            f"{needed:,} permutations, or the normal approximation"
        ]
    required = math.ceil(2 * m / (alpha * (permutations + 1)))
    if at_floor >= required:
        return [
            f"with {permutations:,} permutations no p-value can be below {floor:.2g}; the {method} "
            f"step over {m:,} cells can call cells significant only because {at_floor:,} of them "
            f"reach that floor (at least {required:,} must): cells beyond it cannot be told apart. "
            f"{needed:,} permutations would let a single cell be called"
        ]
    return [
        f"with {permutations:,} permutations no p-value can be below {floor:.2g}, and the {method} "
        f"step over {m:,} cells can call any cell significant only if at least {required:,} cells "
        f"reach that floor; {at_floor:,} do, so no cell can be a hot or cold spot however strong "
        f"the clustering. Use at least {needed:,} permutations for a single cell to be callable, "
        "or the normal approximation"
    ]


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
                raise ParamError(
                    [
                        Problem(
                            "bandwidth",
                            f"at least two crimes are needed to choose a KDE bandwidth; give a "
                            f"{ref('bandwidth')} or choose counts",
                        )
                    ]
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


CLASSES = ("not significant", "hot spot", "cold spot")


def _classes(z: np.ndarray, p_adj: np.ndarray, alpha: float) -> pd.api.extensions.ExtensionArray:
    """Each cell's class as the table's string column.

    Taken from three labels by code rather than built string by string: a national
    map's 2.3 million labels took 0.8 s as strings and take a tenth of that by code.
    """
    significant = p_adj < alpha
    codes = np.zeros(z.shape, dtype=np.intp)
    codes[significant & (z > 0)] = 1
    codes[significant & (z < 0)] = 2
    return pd.array(CLASSES, dtype="str").take(codes)


def _cell_centres(grid: Grid, cell_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the given flat cells, equal to :meth:`Grid.centres` at those cells."""
    rows, cols = np.divmod(cell_id, grid.ncols)
    xs = grid.x0 + (np.arange(grid.ncols) + 0.5) * grid.cell
    ys = grid.y0 + (np.arange(grid.nrows) + 0.5) * grid.cell
    return xs[cols], ys[rows]


def hotspots(
    db_path: str | Path,
    request: HotspotsRequest | Filter,
    *,
    engine: EngineChoice | None = None,
    **older: Any,
) -> HotspotResult:
    """Hotspots of the crimes the request chooses, over its study area.

    ``engine`` says where the scan, filter and group by of the street crimes runs:
    the store's DuckDB (None, the default) or Spark (:mod:`harmwatch.engines.policeuk`);
    the grid and its statistics run here either way, on the same grouped crimes.

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
    ws = prepare(db_path, request, engine=engine)
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
    # Only the study cells are tabulated, so only they are computed: a national 250 m
    # grid has 5.9 million cells and 2.3 million of them in the study area.
    cell_id = np.flatnonzero(mask)
    cx, cy = _cell_centres(grid, cell_id)
    columns: dict[str, np.ndarray | pd.api.extensions.ExtensionArray] = {
        "cell_id": cell_id,
        "x": cx,
        "y": cy,
        "n": counts.ravel()[cell_id],
    }
    defaults += resolved.defaults_chosen
    if method in ("kde", "gistar"):
        bandwidth = float(req.bandwidth or 0)
        if bandwidth > LARGE_BANDWIDTH_CELLS * cell:
            warnings.append(
                f"bandwidth {bandwidth:,.0f} m spans {bandwidth / cell:,.0f} cells: the density is smooth "
                "at this scale and hides street-level detail, which a bandwidth of a few hundred "
                "metres to a few km would show"
            )
        if bandwidth_smaller_than_cell(bandwidth, cell):
            warnings.append(
                f"bandwidth {bandwidth:,.0f} m is smaller than the {cell:g} m cells: "
                "the density surface will look like the counts"
            )
        route = kde_route(bandwidth, cell, int(x.size), grid.size)
        density = quartic_kde(grid, x, y, bandwidth, route=route)
        columns["kde"] = density.ravel()[cell_id]
        del density
        parameters["bandwidth_m"] = round(bandwidth, 3)
        parameters["kde_route"] = route
    if method == "gistar":
        band = float(req.distance_band or cell * np.sqrt(2))
        z, p = gistar_cells(counts, mask, cell, band)
        if req.permutations:
            perm = gistar_permutation(
                counts.astype(float), mask, cell, band, req.permutations, seed=PERMUTATION_SEED
            )
            p = np.array(perm.p_two_sided, dtype=np.float64)
            p[np.isnan(z)] = np.nan  # undefined where the z is (no variation)
            tested = int(np.isfinite(p).sum())
            notes = permutation_notes(p[np.isfinite(p)], req.permutations, req.p_adjust, req.alpha)
            defaults.append(
                f"p-values by conditional permutation: {req.permutations:,} draws (seed "
                f"{PERMUTATION_SEED}) of each cell's neighbours from the other {tested - 1:,} "
                "cells, two-sided, instead of the normal approximation"
            )
            warnings.extend(notes)
            parameters.update(
                {"permutations": req.permutations, "permutation_seed": PERMUTATION_SEED}
            )
        # NaN cells are not tests, so adjusting the study cells alone is adjusting the grid.
        p_adj = adjust_pvalues(p, req.p_adjust)
        columns["gistar"] = z
        columns["pvalue"] = p
        columns["pvalue_adj"] = p_adj
        columns["class"] = _classes(z, p_adj, req.alpha)
        parameters.update({"distance_band_m": round(band, 3), "p_adjust": req.p_adjust})
    table = pd.DataFrame(columns)
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
        inside=ws.inside,
    )
