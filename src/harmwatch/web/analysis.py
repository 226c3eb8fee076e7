"""The analyses the web app serves: the library's functions, cached, and their files.

Every figure on a page or in a download comes from the same library call the
command line makes (``hotspots``, ``area_ranking``, ``patrol_plan``,
``forecast_eval``, ``store_status``) and every file from the same writer
(``write_table``, the CLI's map drawers), so a number quoted from the web app is
the number ``harmwatch`` prints. This module only adds what a server needs:
parameters turned into a hashable key, the reader/writer gate around DuckDB, the
result cache, and one lock around matplotlib (pyplot is not thread-safe).
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from harmwatch import ATTRIBUTION
from harmwatch.evaluation.change import Change
from harmwatch.evaluation.change import change as period_change
from harmwatch.maps.results import draw_hotspot_map, draw_patrol_map
from harmwatch.outputs.tables import write_table
from harmwatch.sources.policeuk.forces import force_name, force_slug
from harmwatch.sources.policeuk.status import StoreStatus, store_status
from harmwatch.spatial.boundaries import BoundaryError, force_districts, read_boundary
from harmwatch.spatial.projection import BNG, to_wgs84
from harmwatch.spatial.study_area import for_forces
from harmwatch.timeline.trends import TrendResult, monthly_trends
from harmwatch.where.areas import AreaRanking, area_ranking
from harmwatch.where.forecast_eval import ForecastEvaluation, forecast_eval
from harmwatch.where.hotspots import AreaSpec, HotspotResult, hotspots
from harmwatch.where.patrol import PatrolPlan, patrol_plan
from harmwatch.where.selection import Filter

from . import charts
from .cache import ResultCache, StoreGate, store_version
from .jsontools import records
from .user_boundaries import BoundaryStore

T = TypeVar("T")

# pyplot keeps global state; two threads drawing at once can mix their figures.
PLOT_LOCK = threading.Lock()
MAP_SIMPLIFY_M = 25.0  # outlines drawn on the web map; the analyses use the exact ones
# A web request may not ask for a grid finer than this: Hertfordshire at 100 m is about
# 350,000 cells and a second of CPU; three counties at 50 m would be 1.4 million and
# several seconds each, which any signed-in user could repeat. The CLI has no such limit.
MAX_WEB_GRID_CELLS = 400_000


@dataclass(frozen=True)
class AnalysisQuery:
    """The filter and grid of one analysis, as the pages and the API receive them."""

    forces: tuple[str, ...] = ()
    crime_types: tuple[str, ...] = ("Drugs",)
    months: str | None = None
    cell: float | None = None
    method: str = "gistar"
    boundary: str | None = None  # an uploaded boundary's id; None: the forces' districts

    def key(self) -> tuple[Hashable, ...]:
        return (
            tuple(sorted(f.strip().lower() for f in self.forces)),
            tuple(sorted(t.strip().lower() for t in self.crime_types)),
            (self.months or "").replace(" ", ""),
            self.cell,
            self.method,
            self.boundary,
        )

    def to_filter(self) -> Filter:
        return Filter.from_options(self.forces, self.crime_types, self.months or None)

    def params(self) -> dict[str, Any]:
        """Query parameters that reproduce this query (for links to downloads)."""
        out: dict[str, Any] = {"force": list(self.forces), "crime_type": list(self.crime_types)}
        if self.months:
            out["months"] = self.months
        if self.cell is not None:
            out["cell"] = f"{self.cell:g}"
        out["method"] = self.method
        if self.boundary:
            out["boundary"] = self.boundary
        return out


class Analyses:
    """Cached access to the library's analyses over one analytics database."""

    def __init__(
        self, db_path: Path, gate: StoreGate, cache: ResultCache, boundaries: BoundaryStore
    ) -> None:
        self.db_path = Path(db_path)
        self.gate = gate
        self.cache = cache
        self.boundaries = boundaries
        self._version: tuple[int, float, Hashable] | None = None

    # -- plumbing ---------------------------------------------------------------

    def version(self) -> Hashable:
        """The store's version, re-read from the file system at most every second.

        A request looks the version up several times (one per cached piece); a
        write through this app bumps the gate's generation, which is seen at once,
        and a load from a shell (``harmwatch ingest``) is seen within a second.
        """
        now = time.monotonic()
        cached = self._version
        if cached is not None and cached[0] == self.gate.generation and now - cached[1] < 1.0:
            return cached[2]
        version = store_version(self.db_path, self.gate.generation)
        self._version = (self.gate.generation, now, version)
        return version

    def _cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        def run() -> T:
            with self.gate.read():
                return compute()

        return self.cache.get_or_compute((self.version(), key), run)

    def area_spec(self, query: AnalysisQuery) -> AreaSpec:
        if not query.boundary:
            return AreaSpec()
        try:
            return AreaSpec(boundary=str(self.boundaries.path(query.boundary)))
        except KeyError:
            raise ValueError(f"no uploaded boundary with id {query.boundary!r}") from None

    # -- analyses -----------------------------------------------------------------

    def study_bounds(self, query: AnalysisQuery) -> tuple[float, float, float, float] | None:
        """The study area's bounds, cheaply, before any run; None when the library should decide."""

        def compute() -> tuple[float, float, float, float] | None:
            if query.boundary:
                xmin, ymin, xmax, ymax = read_boundary(str(self.area_spec(query).boundary)).bounds
                return (float(xmin), float(ymin), float(xmax), float(ymax))
            slugs = [force_slug(f) for f in query.forces] or self.meta()["forces"]
            try:
                return for_forces(sorted(set(slugs))).bounds
            except BoundaryError:
                return None

        key = ("bounds", tuple(sorted(f.lower() for f in query.forces)), query.boundary)
        return self.cache.get_or_compute((self.version(), key), compute)

    def check_grid(self, query: AnalysisQuery) -> None:
        """Refuse a cell size that would make a grid too large to compute on request."""
        if query.cell is None:
            return
        bounds = self.study_bounds(query)
        if bounds is None:
            return
        xmin, ymin, xmax, ymax = bounds
        cells = math.ceil((xmax - xmin) / query.cell) * math.ceil((ymax - ymin) / query.cell)
        if cells > MAX_WEB_GRID_CELLS:
            raise ValueError(
                f"{query.cell:g} m cells over this study area make a grid of {cells:,} cells; "
                f"the web app computes at most {MAX_WEB_GRID_CELLS:,} per request: choose larger "
                "cells, fewer forces or a smaller boundary (the command line has no such limit)"
            )

    def hotspots(self, query: AnalysisQuery) -> HotspotResult:
        self.check_grid(query)
        return self._cached(
            ("hotspots", query.key()),
            lambda: hotspots(
                self.db_path,
                query.to_filter(),
                method=query.method,
                area=self.area_spec(query),
                cell=query.cell,
            ),
        )

    def hotspot_summary(self, query: AnalysisQuery) -> dict[str, Any]:
        """``HotspotResult.summary()``, kept: it scans every cell, and the map asks for it often."""
        result = self.hotspots(query)
        return self._cached(("summary", query.key()), result.summary)

    def areas(self, query: AnalysisQuery) -> AreaRanking:
        return self._cached(
            ("areas", query.key()[:3], query.boundary),
            lambda: area_ranking(self.db_path, query.to_filter(), area=self.area_spec(query)),
        )

    def patrol(self, query: AnalysisQuery, area_km2: float, score: str) -> PatrolPlan:
        result = self.hotspots(query)
        return self._cached(
            ("patrol", query.key(), area_km2, score),
            lambda: patrol_plan(result, area_km2=area_km2, score=score),
        )

    def forecast(self, query: AnalysisQuery) -> ForecastEvaluation:
        self.check_grid(query)
        return self._cached(
            ("forecast", query.key()[:4], query.boundary),
            lambda: forecast_eval(
                self.db_path, query.to_filter(), area=self.area_spec(query), cell=query.cell
            ),
        )

    def trends(self, forces: tuple[str, ...], district: str | None) -> TrendResult:
        key = ("trends", tuple(sorted(forces)), district)
        return self._cached(key, lambda: monthly_trends(self.db_path, forces, district))

    def status(self) -> StoreStatus:
        return self._cached(("status",), lambda: store_status(self.db_path))

    def meta(self) -> dict[str, Any]:
        """What can be chosen: loaded forces, their crime types and months, and districts."""

        def build() -> dict[str, Any]:
            status = store_status(self.db_path)
            forces = sorted({r["force"] for r in status.by_force_month if r["kind"] == "street"})
            months = sorted({r["month"] for r in status.by_force_month if r["kind"] == "street"})
            types = sorted({r["crime_type"] for r in status.by_crime_type})
            districts = {f: sorted(force_districts(f)["name"].tolist()) for f in forces}
            return {
                "forces": forces,
                "crime_types": types,
                "months": months,
                "districts": districts,
            }

        if not self.db_path.exists():
            return {"forces": [], "crime_types": [], "months": [], "districts": {}}
        return self._cached(("meta",), build)

    # -- files --------------------------------------------------------------------

    def _file(self, key: Hashable, write: Callable[[Path], Path]) -> bytes:
        def run() -> bytes:
            with tempfile.TemporaryDirectory() as tmp:
                return write(Path(tmp)).read_bytes()

        return self.cache.get_or_compute((self.version(), "file", key), run)

    def hotspot_file(self, query: AnalysisQuery, fmt: str, *, map_cells: bool = False) -> bytes:
        """The cell table as CSV/GeoJSON (as the CLI writes it) or the map as PNG.

        ``map_cells``: only the cells worth drawing on the web map (with crimes, a
        significant Gi* class or visible density), so a fine grid stays light.
        """
        result = self.hotspots(query)

        def write(folder: Path) -> Path:
            if fmt == "png":
                with PLOT_LOCK:
                    return draw_hotspot_map(result, folder / "hotspots.png")
            return write_table(result.cells, folder / f"cells.{fmt}", fmt, cell=result.grid.cell)

        if map_cells and fmt == "geojson":
            return self.cache.get_or_compute(
                (self.version(), "map-cells", query.key()), lambda: map_cells_geojson(result)
            )
        return self._file(("hotspots", query.key(), fmt), write)

    def patrol_file(self, query: AnalysisQuery, area_km2: float, score: str, fmt: str) -> bytes:
        result = self.hotspots(query)
        plan = self.patrol(query, area_km2, score)

        def write(folder: Path) -> Path:
            if fmt == "png":
                with PLOT_LOCK:
                    return draw_patrol_map(result, plan, folder / "patrol.png")
            return write_table(plan.geo, folder / f"zones.{fmt}", fmt, layer="zones")

        return self._file(("patrol", query.key(), area_km2, score, fmt), write)

    def areas_csv(self, query: AnalysisQuery) -> bytes:
        ranking = self.areas(query)
        return self._file(
            ("areas", query.key()),
            lambda folder: write_table(ranking.table, folder / "lsoas.csv", "csv"),
        )

    def forecast_csv(self, query: AnalysisQuery) -> bytes:
        evaluation = self.forecast(query)
        return self._file(
            ("forecast", query.key()),
            lambda folder: write_table(evaluation.monthly, folder / "forecast.csv", "csv"),
        )

    def study_area_geojson(self, query: AnalysisQuery) -> bytes:
        """The run's study-area outline and the forces' district outlines, WGS84, for the map."""
        result = self.hotspots(query)

        def build() -> bytes:
            rows: list[dict[str, Any]] = [
                {
                    "kind": "study-area",
                    "name": result.study_area.description,
                    "geometry": result.study_area.geometry,
                }
            ]
            for slug in result.points.forces:
                for name, geom in zip(
                    force_districts(slug)["name"], force_districts(slug).geometry, strict=True
                ):
                    rows.append({"kind": "district", "name": name, "geometry": geom})
            frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)
            frame["geometry"] = shapely.simplify(
                frame.geometry.values, MAP_SIMPLIFY_M, preserve_topology=True
            )
            wgs = frame.to_crs("EPSG:4326")
            features = [
                {
                    "type": "Feature",
                    "properties": {"kind": kind, "name": name},
                    "geometry": mapping(geom),
                }
                for kind, name, geom in zip(wgs["kind"], wgs["name"], wgs.geometry, strict=True)
            ]
            return json.dumps({"type": "FeatureCollection", "features": features}).encode()

        return self.cache.get_or_compute((self.version(), "study-area", query.key()), build)

    def trends_file(
        self, forces: tuple[str, ...], district: str | None, crime_types: list[str], fmt: str
    ) -> bytes:
        trend = self.trends(forces, district)
        chosen = [t for t in crime_types if t in set(trend.table["crime_type"])]
        series = [(t, trend.series(t)) for t in chosen]
        title = trends_title(trend)
        if fmt == "csv":
            table = trend.table[trend.table["crime_type"].isin(chosen)] if chosen else trend.table
            return pd.DataFrame(table).to_csv(index=False).encode()
        if fmt == "svg":
            return charts.standalone_svg(charts.line_chart_svg(series, title=title))
        with PLOT_LOCK:
            return charts.line_chart_png(series, title=title, attribution=ATTRIBUTION)

    # -- period change ------------------------------------------------------------

    def change(
        self,
        forces: tuple[str, ...],
        district: str | None,
        crime_types: tuple[str, ...],
        period: tuple[str, str] | None,
        baseline: tuple[str, str] | None,
    ) -> Change:
        """``harmwatch change --district``, falling back to the months before the period.

        The web's callers cannot know which years are loaded, so where the same
        months a year earlier are missing the library compares with the months
        just before, and says so (the CLI refuses instead: its user chose).
        """
        key = (
            "change",
            tuple(sorted(f.strip().lower() for f in forces)),
            district,
            tuple(sorted(t.strip().lower() for t in crime_types)),
            period,
            baseline,
        )
        return self._cached(
            key,
            lambda: period_change(
                self.db_path,
                Filter(forces=forces, crime_types=crime_types),
                period,
                baseline,
                district=district,
                baseline_fallback=True,
            ),
        )


def change_csv(result: Change) -> bytes:
    """One row of the JSON's fields; periods as the API takes them, other lists joined."""
    row = {
        k: (":" if k in ("period", "baseline") else " | ").join(str(x) for x in v)
        if isinstance(v, list)
        else v
        for k, v in result.to_dict().items()
    }
    return pd.DataFrame([row]).to_csv(index=False).encode()


MAP_COLUMNS = ("n", "kde", "gistar", "pvalue_adj", "class")


def map_cells_geojson(result: HotspotResult) -> bytes:
    """The cells worth drawing on the web map, as compact WGS84 GeoJSON.

    Cells with crimes, a significant Gi* class or visible density: an empty cell
    adds nothing to the picture, and leaving them out keeps a 250 m grid over a
    county to a few megabytes. Each square's corners are projected from British
    National Grid (the same transformation the file writers use) and rounded to
    1e-6 degrees (about 0.1 m). Downloads keep every cell at full precision.
    """
    cells = result.cells
    keep = cells["n"] > 0
    if result.method == "gistar":
        keep |= cells["class"] != "not significant"
    elif result.method == "kde" and len(cells):
        keep |= cells["kde"] > 0.01 * float(cells["kde"].max())
    cells = cells[keep]
    half = result.grid.cell / 2
    x = cells["x"].to_numpy()
    y = cells["y"].to_numpy()
    corner_x = np.stack([x - half, x + half, x + half, x - half, x - half], axis=1)
    corner_y = np.stack([y - half, y - half, y + half, y + half, y - half], axis=1)
    lon, lat = to_wgs84(corner_x.ravel(), corner_y.ravel())
    lon = np.round(lon.reshape(corner_x.shape), 6)
    lat = np.round(lat.reshape(corner_y.shape), 6)
    columns = ["x", "y", *[c for c in MAP_COLUMNS if c in cells]]
    shown = cells[columns].copy()
    for column in ("kde", "gistar", "pvalue_adj"):
        if column in shown:  # four significant figures: what a popup shows, a fifth of the bytes
            shown[column] = [float(f"{v:.4g}") for v in shown[column].to_numpy()]
    props = records(shown)
    features = [
        {
            "type": "Feature",
            "properties": p,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[float(a), float(b)] for a, b in zip(lo, la, strict=True)]],
            },
        }
        for p, lo, la in zip(props, lon, lat, strict=True)
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()


def trends_title(trend: TrendResult) -> str:
    forces = ", ".join(force_name(f) for f in trend.forces)
    where = f"{trend.district} ({forces})" if trend.district else forces
    return f"Street crimes per month: {where}"
