"""Intervention evaluations for the web app: the library's ``evaluate``, cached, and its files.

The page and ``/api/evaluate`` call :func:`harmwatch.evaluation.evaluate.evaluate_loaded`
with the same :class:`~harmwatch.evaluation.requests.EvaluateRequest` that
``harmwatch evaluate`` builds from its options, so a figure quoted from the web
app is the figure the command line prints. What this module adds is what a
server needs: the form read into that request (:func:`read_evaluation_form`,
every bad value named), the store read once per forces and crime types and kept
(analysts try several start months on the same data), and the files: the series
and controls as CSV, the chart as PNG, and the map layers as GeoJSON.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from harmwatch.errors import InputError
from harmwatch.evaluation.areas import CrimeData, load_crime_data
from harmwatch.evaluation.evaluate import Evaluation, evaluate_loaded
from harmwatch.evaluation.requests import EvaluateRequest
from harmwatch.spatial.projection import to_wgs84

from .analysis import PLOT_LOCK, Analyses
from .forms import read_form
from .user_boundaries import BoundaryStore

T = TypeVar("T")

OUTLINE_SIMPLIFY_M = 5.0  # drawn outlines only; the analysis uses the exact geometry


def read_evaluation_form(
    params: Mapping[str, Any], boundaries: BoundaryStore | None = None
) -> tuple[EvaluateRequest | None, list[str]]:
    """The evaluation asked for by a GET form, or None with every problem named.

    Nothing is asked for (None, no problems) until a start month is given: the
    page then shows only the form. Empty fields mean "the default". An
    evaluation is never run with a default in place of a value that was typed
    wrong: its figures would look valid.
    """
    start = params.get("start")
    if start is None or not str(start).strip():
        return None, []
    return read_form(EvaluateRequest, params, boundaries, strict=True)


def data_key(request: EvaluateRequest) -> tuple[Hashable, ...]:
    """What the store is read for: the forces and crime types (not the target or months)."""
    return (
        tuple(sorted(f.strip().lower() for f in request.forces)),
        tuple(sorted(t.strip() for t in request.crime_types)),
    )


class Evaluations:
    """Cached evaluations over the app's analytics store (shares its cache and gate)."""

    def __init__(self, analyses: Analyses) -> None:
        self.analyses = analyses

    def _cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        analyses = self.analyses

        def run() -> T:
            with analyses.gate.read():
                return compute()

        return analyses.cache.get_or_compute((analyses.version(), "evaluation", key), run)

    def data(self, request: EvaluateRequest) -> CrimeData:
        """The selected crimes and every LSOA's footprint, read once per forces and crime types."""
        return self._cached(
            ("data", data_key(request)),
            lambda: load_crime_data(self.analyses.db_path, request.crime_types, request.forces),
        )

    def evaluate(self, request: EvaluateRequest) -> Evaluation:
        data = self.data(request)
        return self._cached(("run", request), lambda: evaluate_loaded(data, request))

    def file(self, request: EvaluateRequest, fmt: str, table: str = "series") -> bytes:
        """The series or controls as CSV, the chart as PNG, the map layers as GeoJSON."""
        result = self.evaluate(request)

        def build() -> bytes:
            if fmt == "csv":
                return evaluation_csv(result, table)
            if fmt == "geojson":
                return map_layers_geojson(result)
            if fmt == "png":
                from harmwatch.evaluation.charts import draw_evaluation_chart

                with tempfile.TemporaryDirectory() as tmp, PLOT_LOCK:
                    return draw_evaluation_chart(result, Path(tmp) / "evaluation.png").read_bytes()
            raise InputError(f"unknown format {fmt!r}")

        return self._cached(("file", request, fmt, table), build)


def evaluation_csv(result: Evaluation, table: str) -> bytes:
    """``series``: month by month, target/buffer/controls; ``controls``: the control LSOAs."""
    if table == "controls":
        frame = result.controls.table.copy()
        frame.insert(0, "role", "control")
        return frame.to_csv(index=False).encode()
    frame = result.series.copy()
    frame.insert(0, "crime_types", "; ".join(result.crime_types))
    frame.insert(0, "target_area", result.target.description)
    return frame.to_csv(index=False).encode()


def map_layers_geojson(result: Evaluation) -> bytes:
    """Target outline, buffer ring and crime locations (WGS84), for the web map.

    Crimes are grouped by snap point (police.uk moves every crime to one of a set
    of anonymous map points) with a count, which is what the published data
    support and keeps the layer small.
    """
    features: list[dict[str, Any]] = []
    ring = result.zone.difference(result.target.geometry)
    for kind, geometry in (("buffer", ring), ("target", result.target.geometry)):
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": kind},
                "geometry": mapping(_wgs84(geometry)),
            }
        )
    for kind, (x, y) in result.map_points.items():
        if not len(x):
            continue
        grouped = (
            pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)})
            .value_counts()
            .reset_index(name="n")
        )
        lon, lat = to_wgs84(grouped["x"].to_numpy(), grouped["y"].to_numpy())
        for lo, la, n in zip(np.round(lon, 6), np.round(lat, 6), grouped["n"], strict=True):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"kind": f"{kind}-points", "n": int(n)},
                    "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]},
                }
            )
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()


def _wgs84(geometry: BaseGeometry) -> BaseGeometry:
    simple = shapely.simplify(geometry, OUTLINE_SIMPLIFY_M, preserve_topology=True)

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.transform(simple, project)
