"""Intervention evaluations for the web app: the library's ``evaluate``, cached, and its files.

The page and ``/api/evaluate`` call :func:`harmwatch.evaluation.evaluate.evaluate_loaded`
exactly as ``harmwatch evaluate`` calls ``evaluate``, so a figure quoted from the
web app is the figure the command line prints. What this module adds is what a
server needs: the form read into a hashable :class:`EvaluationQuery` (with every
bad value named), the store read once per forces and crime types and kept
(analysts try several start months on the same data), and the files: the
series and controls as CSV, the chart as PNG, and the map layers as GeoJSON.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from harmwatch.evaluation.areas import DEFAULT_BUFFER_M, CrimeData, TargetSpec, load_crime_data
from harmwatch.evaluation.evaluate import Evaluation, evaluate_loaded
from harmwatch.spatial.projection import to_wgs84

from .analysis import PLOT_LOCK, Analyses

T = TypeVar("T")

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
LSOA_PATTERN = r"^[A-Za-z0-9,;\s]{0,5000}$"
CELLS_PATTERN = r"^[0-9,;\s]{0,10000}$"
MAX_LSOAS = 300
MAX_CELLS = 1000
BUFFER_MAX_M = 5000.0
N_CONTROLS_MAX = 2000
OUTLINE_SIMPLIFY_M = 5.0  # drawn outlines only; the analysis uses the exact geometry
_CODE = re.compile(r"^[EW]0[0-9]{7}$")


def split_list(text: str | None) -> list[str]:
    """Items separated by commas, semicolons or white space (as pasted from a spreadsheet)."""
    return [item for item in re.split(r"[,;\s]+", text or "") if item]


@dataclass(frozen=True)
class EvaluationQuery:
    """One evaluation as the page and the API receive it; one of lsoa, boundary, cells."""

    start: str
    lsoa: tuple[str, ...] = ()
    boundary: str | None = None  # an uploaded boundary's id
    cells: tuple[int, ...] = ()
    cell: float | None = None
    end: str | None = None
    pre_start: str | None = None
    forces: tuple[str, ...] = ()
    crime_types: tuple[str, ...] = ("Drugs",)
    buffer_m: float = DEFAULT_BUFFER_M
    controls: tuple[str, ...] = ()
    n_controls: int | None = None

    def key(self) -> tuple[Hashable, ...]:
        return (
            self.start,
            tuple(sorted(set(self.lsoa))),
            self.boundary,
            tuple(sorted(set(self.cells))),
            self.cell,
            self.end,
            self.pre_start,
            self.data_key(),
            self.buffer_m,
            tuple(sorted(set(self.controls))),
            self.n_controls,
        )

    def data_key(self) -> tuple[Hashable, ...]:
        return (
            tuple(sorted(f.strip().lower() for f in self.forces)),
            tuple(sorted(t.strip() for t in self.crime_types)),
        )

    def params(self) -> dict[str, Any]:
        """Query parameters that reproduce this evaluation (links to its files)."""
        out: dict[str, Any] = {
            "start": self.start,
            "force": list(self.forces),
            "crime_type": list(self.crime_types),
        }
        if self.lsoa:
            out["lsoa"] = ",".join(self.lsoa)
        if self.boundary:
            out["boundary"] = self.boundary
        if self.cells:
            out["cells"] = ",".join(str(c) for c in self.cells)
        if self.cell is not None:
            out["cell"] = f"{self.cell:g}"
        if self.end:
            out["end"] = self.end
        if self.pre_start:
            out["pre_start"] = self.pre_start
        if self.buffer_m != DEFAULT_BUFFER_M:
            out["buffer"] = f"{self.buffer_m:g}"
        if self.controls:
            out["controls"] = ",".join(self.controls)
        if self.n_controls is not None:
            out["n_controls"] = str(self.n_controls)
        return out


def read_evaluation_form(params: Mapping[str, Any]) -> tuple[EvaluationQuery | None, list[str]]:
    """The evaluation asked for by a GET form, or None with every problem named.

    Nothing is asked for (None, no problems) until a start month is given: the
    page then shows only the form. Empty fields mean "the default".
    """
    getlist = getattr(params, "getlist", None)

    def one(name: str) -> str:
        value = params.get(name)
        return str(value).strip() if value is not None else ""

    def many(name: str) -> list[str]:
        values = getlist(name) if getlist else [params.get(name, "")]
        return [str(v).strip() for v in values if v is not None and str(v).strip()]

    start = one("start")
    if not start:
        return None, []
    problems: list[str] = []
    months: dict[str, str | None] = {}
    for name, label in (("start", "start"), ("end", "end"), ("pre_start", "pre-period start")):
        value = one(name)
        if value and not re.match(MONTH_PATTERN, value):
            problems.append(f"{label} month must look like 2025-09, got {value!r}")
            value = ""
        months[name] = value or None

    lsoa = [c.upper() for c in split_list(one("lsoa"))]
    bad_codes = [c for c in lsoa if not _CODE.match(c)]
    if bad_codes:
        problems.append(
            f"not LSOA codes: {', '.join(bad_codes[:5])}{' …' if len(bad_codes) > 5 else ''} "
            "(codes look like E01033803)"
        )
    if len(lsoa) > MAX_LSOAS:
        problems.append(f"at most {MAX_LSOAS} target LSOAs, got {len(lsoa)}")
    boundary = one("boundary")
    if boundary and not re.match(r"^[0-9a-f]{16}$", boundary):
        problems.append("unknown boundary")
        boundary = ""
    cells: list[int] = []
    for item in split_list(one("cells")):
        if not item.isdigit():
            problems.append(f"cell ids must be whole numbers, got {item!r}")
            break
        cells.append(int(item))
    if len(cells) > MAX_CELLS:
        problems.append(f"at most {MAX_CELLS} target cells, got {len(cells)}")
    cell = _number(one("cell"), "cell size", 50.0, 50_000.0, problems)
    if cells and cell is None:
        problems.append("cell ids need the cell size (metres) they were numbered with")
    given = sum(bool(v) for v in (lsoa, boundary, cells))
    if given == 0:
        problems.append("give the target area: LSOA codes, an uploaded boundary, or grid cell ids")
    elif given > 1:
        problems.append("give one target only: LSOA codes, a boundary, or grid cell ids")
    buffer_m = _number(one("buffer"), "buffer", 0.0, BUFFER_MAX_M, problems)
    n_raw = _number(one("n_controls"), "number of controls", 2, N_CONTROLS_MAX, problems)
    if n_raw is not None and not n_raw.is_integer():
        problems.append(f"number of controls must be a whole number, got {one('n_controls')!r}")
        n_raw = None
    controls = [c.upper() for c in split_list(one("controls"))]
    bad_controls = [c for c in controls if not _CODE.match(c)]
    if bad_controls:
        problems.append(f"control LSOA codes not understood: {', '.join(bad_controls[:5])}")
    if controls and n_raw is not None:
        problems.append("name control LSOAs or ask for a number of them, not both")
    if problems:
        return None, problems
    return (
        EvaluationQuery(
            start=str(months["start"]),
            lsoa=tuple(dict.fromkeys(lsoa)),
            boundary=boundary or None,
            cells=tuple(dict.fromkeys(cells)),
            cell=cell,
            end=months["end"],
            pre_start=months["pre_start"],
            forces=tuple(many("force"))[:50],
            crime_types=tuple(many("crime_type"))[:50] or ("Drugs",),
            buffer_m=DEFAULT_BUFFER_M if buffer_m is None else buffer_m,
            controls=tuple(dict.fromkeys(controls))[:N_CONTROLS_MAX],
            n_controls=None if n_raw is None else int(n_raw),
        ),
        [],
    )


def _number(raw: str, label: str, low: float, high: float, problems: list[str]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{label} must be a number, got {raw!r}")
        return None
    if not (low <= value <= high):  # NaN fails both comparisons
        problems.append(f"{label} must lie between {low:g} and {high:g}, got {raw!r}")
        return None
    return value


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

    def data(self, query: EvaluationQuery) -> CrimeData:
        """The selected crimes and every LSOA's footprint, read once per forces and crime types."""
        return self._cached(
            ("data", query.data_key()),
            lambda: load_crime_data(self.analyses.db_path, query.crime_types, query.forces),
        )

    def target_spec(self, query: EvaluationQuery) -> TargetSpec:
        if query.boundary:
            try:
                info = self.analyses.boundaries.get(query.boundary)
                path = self.analyses.boundaries.path(query.boundary)
            except KeyError:
                raise ValueError(f"no uploaded boundary with id {query.boundary!r}") from None
            return TargetSpec(boundary=str(path), label=f"uploaded boundary {info.name!r}")
        return TargetSpec(
            lsoa_codes=query.lsoa, cells=query.cells, cell_size=query.cell if query.cells else None
        )

    def evaluate(self, query: EvaluationQuery) -> Evaluation:
        spec = self.target_spec(query)
        data = self.data(query)
        return self._cached(
            ("run", query.key()),
            lambda: evaluate_loaded(
                data,
                spec,
                query.start,
                end=query.end,
                pre_start=query.pre_start,
                buffer_m=query.buffer_m,
                controls=list(query.controls) or None,
                n_controls=query.n_controls,
                forces_given=bool(query.forces),
            ),
        )

    def file(self, query: EvaluationQuery, fmt: str, table: str = "series") -> bytes:
        """The series or controls as CSV, the chart as PNG, the map layers as GeoJSON."""
        result = self.evaluate(query)

        def build() -> bytes:
            if fmt == "csv":
                return evaluation_csv(result, table)
            if fmt == "geojson":
                return map_layers_geojson(result)
            if fmt == "png":
                from harmwatch.evaluation.charts import draw_evaluation_chart

                with tempfile.TemporaryDirectory() as tmp, PLOT_LOCK:
                    return draw_evaluation_chart(result, Path(tmp) / "evaluation.png").read_bytes()
            raise ValueError(f"unknown format {fmt!r}")

        return self._cached(("file", query.key(), fmt, table), build)


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
