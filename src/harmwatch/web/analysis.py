"""The analyses the web app serves: the library's functions, cached, and their files.

Every figure on a page or in a download comes from the same library call the
command line makes (``hotspots``, ``area_ranking``, ``patrol_plan``,
``forecast_eval``, ``monthly_trends``, ``change``, ``store_status``), with the
same request object (:mod:`harmwatch.where.requests`,
:mod:`harmwatch.evaluation.requests`), and every file from the same writer
(``write_table``, the CLI's map drawers), so a number quoted from the web app is
the number ``harmwatch`` prints. This module only adds what a server needs: the
request as the cache key, the reader/writer gate around DuckDB, the result
cache, a bound on the grid one request may ask for, and one lock around
matplotlib (pyplot is not thread-safe).
"""

from __future__ import annotations

import contextvars
import json
import math
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from harmwatch import ATTRIBUTION
from harmwatch.crimes.service import Grant
from harmwatch.errors import InputError
from harmwatch.evaluation.change import Change
from harmwatch.evaluation.change import change as period_change
from harmwatch.evaluation.requests import ChangeRequest, TrendsRequest
from harmwatch.evaluation.trends import TrendResult, monthly_trends
from harmwatch.maps.results import draw_hotspot_map, draw_patrol_map
from harmwatch.outputs.tables import write_table
from harmwatch.sources.policeuk.forces import force_name, force_slug
from harmwatch.sources.policeuk.status import StoreStatus, store_status
from harmwatch.spatial.boundaries import BoundaryError, force_districts, read_boundary
from harmwatch.spatial.projection import BNG, to_wgs84
from harmwatch.spatial.study_area import for_forces
from harmwatch.where.areas import AreaRanking, area_ranking
from harmwatch.where.forecast_eval import ForecastEvaluation, forecast_eval
from harmwatch.where.hotspots import HotspotResult, hotspots
from harmwatch.where.patrol import PatrolPlan, patrol_plan
from harmwatch.where.requests import (
    AreaRankingRequest,
    ForecastEvalRequest,
    GridRequest,
    HotspotsRequest,
    PatrolPlanRequest,
)

from . import charts
from .cache import ResultCache, StoreGate, store_version
from .jsontools import records
from .user_boundaries import BoundaryStore

T = TypeVar("T")

#: Who is asking, for analyses of a force's own records: (engine, principal, client),
#: set for each signed-in request by :mod:`harmwatch.web.deps`.
WEB_READER: contextvars.ContextVar[tuple[Any, Any, str] | None] = contextvars.ContextVar(
    "web_reader", default=None
)


@dataclass(frozen=True)
class SourceKey:
    """The source part of a cache key that holds no request (force records: per grant)."""

    source: str
    flags: tuple[str, ...] = ()


def reads_force_records(key: Any) -> bool:
    """Whether a cache key holds a request (or filter) on ``--source force-records``."""
    if getattr(key, "source", None) == "force-records":
        return True
    if isinstance(key, tuple):
        return any(reads_force_records(k) for k in key)
    return False


@contextmanager
def force_records_reading(what: str) -> Iterator[Grant]:
    """The reading in progress, or a new one for the signed-in user of this request."""
    from harmwatch.crimes import service

    grant = service.active_grant()
    if grant is not None:
        yield grant
        return
    reader = WEB_READER.get()
    if reader is None:
        raise service.ForceRecordsAccessError("sign in to see a force's own crime records")
    engine, principal, client = reader
    with service.reading(engine, principal, what=f"{what} (web)", client=client) as grant:
        yield grant


# pyplot keeps global state; two threads drawing at once can mix their figures.
PLOT_LOCK = threading.Lock()
MAP_SIMPLIFY_M = 25.0  # outlines drawn on the web map; the analyses use the exact ones
# A web request may not ask for a grid finer than this: Hertfordshire at 100 m is about
# 350,000 cells and a second of CPU; three counties at 50 m would be 1.4 million and
# several seconds each, which any signed-in user could repeat. The CLI has no such limit.
MAX_WEB_GRID_CELLS = 400_000


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

        return self.cached(key, run)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Every cache read goes through here: a result, a file, a map layer alike.

        A force's own records: the signed-in user's reading decides which files and
        whether exact or aggregate, so the entry is kept per grant — one reader's
        result, file or layer is never another's — and every request, a cache hit
        too, is a logged consultation (one per request: a verb that runs another
        inside it, as a patrol plan runs hotspots, shares it).
        """
        if not reads_force_records(key):
            return self.cache.get_or_compute((self.version(), key), compute)
        what = str(key[0]) if isinstance(key, tuple) else "analysis"
        with force_records_reading(what) as grant:
            granted = (self.version(), key, grant.file_ids, grant.exact)
            return self.cache.get_or_compute(granted, compute)

    # -- analyses -----------------------------------------------------------------

    def study_bounds(self, request: GridRequest) -> tuple[float, float, float, float] | None:
        """The study area's bounds, cheaply, before any run; None when the library should decide."""

        def compute() -> tuple[float, float, float, float] | None:
            if request.boundary:
                xmin, ymin, xmax, ymax = read_boundary(request.boundary).bounds
                return (float(xmin), float(ymin), float(xmax), float(ymax))
            slugs = [force_slug(f) for f in request.forces] or self.meta()["forces"]
            try:
                return for_forces(sorted(set(slugs))).bounds
            except BoundaryError:
                return None

        key = ("bounds", tuple(sorted(f.lower() for f in request.forces)), request.boundary)
        return self.cached(key, compute)

    def check_grid(self, request: GridRequest) -> None:
        """Refuse a cell size that would make a grid too large to compute on request."""
        if request.cell is None:
            return
        bounds = self.study_bounds(request)
        if bounds is None:
            return
        xmin, ymin, xmax, ymax = bounds
        cell = request.cell
        cells = math.ceil((xmax - xmin) / cell) * math.ceil((ymax - ymin) / cell)
        if cells > MAX_WEB_GRID_CELLS:
            raise InputError(
                f"{cell:g} m cells over this study area make a grid of {cells:,} cells; "
                f"the web app computes at most {MAX_WEB_GRID_CELLS:,} per request: choose larger "
                "cells, fewer forces or a smaller boundary (the command line has no such limit)"
            )

    def hotspots(self, request: HotspotsRequest) -> HotspotResult:
        self.check_grid(request)
        return self._cached(("hotspots", request), lambda: hotspots(self.db_path, request))

    def hotspot_summary(self, request: HotspotsRequest) -> dict[str, Any]:
        """``HotspotResult.summary()``, kept: it scans every cell, and the map asks for it often."""
        result = self.hotspots(request)
        return self._cached(("summary", request), result.summary)

    def areas(self, request: AreaRankingRequest) -> AreaRanking:
        # ``top`` only says how many rows to show; one ranking serves every value of it.
        key = ("areas", request.filter(), request.place, request.lsoa_list)
        return self._cached(key, lambda: area_ranking(self.db_path, request))

    def patrol(self, request: PatrolPlanRequest) -> PatrolPlan:
        result = self.hotspots(request.hotspots_request())
        return self._cached(("patrol", request), lambda: patrol_plan(result, request))

    def forecast(self, request: ForecastEvalRequest) -> ForecastEvaluation:
        self.check_grid(request)
        return self._cached(("forecast", request), lambda: forecast_eval(self.db_path, request))

    def trends(self, request: TrendsRequest) -> TrendResult:
        # Every crime type is counted; the request's crime types only pick the series drawn.
        key = (
            "trends", tuple(sorted(request.forces)), request.district,
            SourceKey(request.source, tuple(sorted(request.flags))),
        )  # fmt: skip
        return self._cached(key, lambda: monthly_trends(self.db_path, request))

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

        return self.cached(("file", key), run)

    def hotspot_file(self, request: HotspotsRequest, fmt: str, *, map_cells: bool = False) -> bytes:
        """The cell table as CSV/GeoJSON (as the CLI writes it) or the map as PNG.

        ``map_cells``: only the cells worth drawing on the web map (with crimes, a
        significant Gi* class or visible density), so a fine grid stays light.
        """
        result = self.hotspots(request)

        def write(folder: Path) -> Path:
            if fmt == "png":
                with PLOT_LOCK:
                    return draw_hotspot_map(result, folder / "hotspots.png")
            return write_table(result.cells, folder / f"cells.{fmt}", fmt, cell=result.grid.cell)

        if map_cells and fmt == "geojson":
            return self.cached(("map-cells", request), lambda: map_cells_geojson(result))
        return self._file(("hotspots", request, fmt), write)

    def patrol_file(self, request: PatrolPlanRequest, fmt: str) -> bytes:
        result = self.hotspots(request.hotspots_request())
        plan = self.patrol(request)

        def write(folder: Path) -> Path:
            if fmt == "png":
                with PLOT_LOCK:
                    return draw_patrol_map(result, plan, folder / "patrol.png")
            return write_table(plan.geo, folder / f"zones.{fmt}", fmt, layer="zones")

        return self._file(("patrol", request, fmt), write)

    def areas_csv(self, request: AreaRankingRequest) -> bytes:
        ranking = self.areas(request)
        return self._file(
            ("areas", request.filter(), request.place, request.lsoa_list),
            lambda folder: write_table(ranking.table, folder / "lsoas.csv", "csv"),
        )

    def forecast_csv(self, request: ForecastEvalRequest) -> bytes:
        evaluation = self.forecast(request)
        return self._file(
            ("forecast", request),
            lambda folder: write_table(evaluation.monthly, folder / "forecast.csv", "csv"),
        )

    def study_area_geojson(self, request: HotspotsRequest) -> bytes:
        """The run's study-area outline and the forces' district outlines, WGS84, for the map."""
        result = self.hotspots(request)

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

        return self.cached(("study-area", request), build)

    def trends_file(self, request: TrendsRequest, fmt: str) -> bytes:
        trend = self.trends(request)
        chosen = [t for t in request.crime_types if t in set(trend.table["crime_type"])]
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

    def change(self, request: ChangeRequest) -> Change:
        """``harmwatch change``, as the request asks (the web's set ``baseline_fallback``)."""
        return self._cached(("change", request), lambda: period_change(self.db_path, request))


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
