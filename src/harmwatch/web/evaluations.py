"""Intervention evaluations for the web app: the library's ``evaluate``, cached, and its files.

The page and ``/api/evaluate`` call :func:`harmwatch.evaluation.evaluate.evaluate_loaded`
with the same :class:`~harmwatch.evaluation.requests.EvaluateRequest` that
``harmwatch evaluate`` builds from its options, so a figure quoted from the web
app is the figure the command line prints. What this module adds is what a
server needs: the form read into that request (:func:`read_evaluation_form`,
every bad value named), the store read once per forces and crime types and kept
(analysts try several start months on the same data), and the files: the series
and controls as CSV, the chart as PNG, and the map layers as GeoJSON.

A viewer whose role may not see street-level locations (no ``view-hotspots``
capability: the PCC viewer) gets the evaluation through
:func:`harmwatch.evaluation.aggregates.aggregate` — crimes counted per 500 m
square with the small-number rule, no crime's coordinates anywhere — and every
file is drawn from that, so the page, the JSON and each download agree.
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
from starlette.requests import Request

from harmwatch.errors import InputError
from harmwatch.evaluation.aggregates import KINDS, AggregateEvaluation, aggregate
from harmwatch.evaluation.areas import CrimeData, load_crime_data
from harmwatch.evaluation.evaluate import Evaluation, evaluate_loaded
from harmwatch.evaluation.requests import EvaluateRequest
from harmwatch.spatial import places as gazetteer
from harmwatch.spatial.projection import to_wgs84
from harmwatch.where.room import VIEW_HOTSPOTS

from .analysis import PLOT_LOCK, Analyses, SourceKey
from .forms import read_form
from .user_boundaries import BoundaryStore

T = TypeVar("T")

OUTLINE_SIMPLIFY_M = 5.0  # drawn outlines only; the analysis uses the exact geometry
PLACES_MARGIN_M = 5_000.0  # place names this far around the zone, for a map zoomed out
PLACES_CREDIT = gazetteer.ATTRIBUTION


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
        SourceKey(request.source, tuple(sorted(request.flags))),
    )


def sees_street_level(request: Request) -> bool:
    """Whether the signed-in viewer may see where single crimes were (``view-hotspots``)."""
    user = getattr(request.state, "user", None)
    return VIEW_HOTSPOTS.granted(getattr(user, "role", None))


class Evaluations:
    """Cached evaluations over the app's analytics store (shares its cache and gate).

    ``street_level=False`` (a role without ``view-hotspots``): every result and file
    is the aggregated evaluation, cached apart from the street-level one.
    """

    def __init__(self, analyses: Analyses, street_level: bool = True) -> None:
        self.analyses = analyses
        self.street_level = street_level

    @classmethod
    def for_viewer(cls, request: Request, analyses: Analyses) -> Evaluations:
        """The evaluations as the request's signed-in viewer may see them."""
        return cls(analyses, street_level=sees_street_level(request))

    def _cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        analyses = self.analyses

        def run() -> T:
            with analyses.gate.read():
                return compute()

        return analyses.cached(("evaluation", key), run)

    def data(self, request: EvaluateRequest) -> CrimeData:
        """The selected crimes and every LSOA's footprint, read once per forces and crime types."""
        return self._cached(
            ("data", data_key(request)),
            lambda: load_crime_data(
                self.analyses.db_path,
                request.crime_types,
                request.forces,
                source=request.source,
                flags=request.flags,
            ),
        )

    def evaluate(self, request: EvaluateRequest) -> Evaluation:
        data = self.data(request)
        result = self._cached(("run", request), lambda: evaluate_loaded(data, request))
        if self.street_level:
            return result
        return self._cached(("aggregate", request), lambda: aggregate(result))

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

        return self._cached(("file", request, fmt, table, self.street_level), build)


def evaluation_csv(result: Evaluation, table: str) -> bytes:
    """``series``: month by month, target/buffer/controls; ``controls``: the control LSOAs."""
    if table == "controls":
        frame = (
            result.controls_frame()
            if isinstance(result, AggregateEvaluation)
            else result.controls.table.copy()
        )
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
    support and keeps the layer small. An aggregated evaluation has no points:
    its layer is :func:`square_layers` instead.
    """
    if isinstance(result, AggregateEvaluation):
        return _dump(square_layers(result))
    features = _outline_features(result.zone, result.target.geometry)
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
    features += _place_features(result.zone)
    return _dump({"type": "FeatureCollection", "attribution": PLACES_CREDIT, "features": features})


def square_layers(result: AggregateEvaluation) -> dict[str, Any]:
    """The aggregated map: outlines as drawn for the role, and one polygon per 500 m square.

    Each square carries its target and buffer counts as published (a number,
    "fewer than 5" or "withheld"; absent for a kind left off the map) and whether
    control LSOAs lie in it; the collection says what was aggregated and why.
    """
    squares = result.squares
    features = _outline_features(result.drawn_zone, result.drawn_target)
    control = set(zip(squares.control_ix.tolist(), squares.control_iy.tolist(), strict=True))
    counted = set()
    kept = [kind for kind in KINDS if kind not in squares.left_off]
    for k in range(len(squares)):
        # A square is listed only for the kinds kept on the map: one listed for crimes left
        # off would say where they were.
        if not any(squares.count(kind, k) for kind in kept):
            continue
        properties: dict[str, Any] = {"kind": "square", "size_m": squares.size_m}
        for kind in kept:
            properties[kind] = squares.shown(kind, k)
        key = (int(squares.ix[k]), int(squares.iy[k]))
        counted.add(key)
        properties["controls"] = key in control
        features.append(_square_feature(squares.box(k), properties))
    for box, key in zip(
        squares.control_boxes(),
        zip(squares.control_ix.tolist(), squares.control_iy.tolist(), strict=True),
        strict=True,
    ):
        if key not in counted:
            features.append(
                _square_feature(box, {"kind": "square", "size_m": squares.size_m, "controls": True})
            )
    features += _place_features(result.drawn_zone)
    return {
        "type": "FeatureCollection",
        "attribution": PLACES_CREDIT,
        "disclosure": result.disclosure(),
        # The headline counts, as published: the squares' counts add up to these.
        "totals": {
            "target": result.counts["target_before"] + result.counts["target_after"],
            "buffer": result.counts["buffer_before"] + result.counts["buffer_after"],
        },
        "features": features,
    }


def _place_features(zone: BaseGeometry) -> list[dict[str, Any]]:
    """Town and village names around the zone (GeoNames points), for the map's labels.

    They travel in the evaluation's own layer because every role sees this map,
    while the gazetteer's route belongs to the hotspot map's capability.
    """
    xmin, ymin, xmax, ymax = zone.bounds
    m = PLACES_MARGIN_M
    near = gazetteer.places_within(xmin - m, ymin - m, xmax + m, ymax + m)
    features: list[dict[str, Any]] = gazetteer.label_layer(near)["features"]
    return features


def _outline_features(zone: BaseGeometry, target: BaseGeometry) -> list[dict[str, Any]]:
    ring = zone.difference(target)
    return [
        {"type": "Feature", "properties": {"kind": kind}, "geometry": mapping(_wgs84(geometry))}
        for kind, geometry in (("buffer", ring), ("target", target))
    ]


def _square_feature(
    box: tuple[float, float, float, float], properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": mapping(_wgs84(shapely.box(*box))),
    }


def _dump(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, separators=(",", ":")).encode()


def _wgs84(geometry: BaseGeometry) -> BaseGeometry:
    simple = shapely.simplify(geometry, OUTLINE_SIMPLIFY_M, preserve_topology=True)

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.transform(simple, project)
