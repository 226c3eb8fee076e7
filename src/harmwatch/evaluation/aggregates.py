"""An evaluation as a role without street-level sight receives it: counts per square, suppressed.

Roles without the ``view-hotspots`` capability (the PCC viewer: "aggregates only")
may check whether an intervention worked but may not see where single crimes
were. :func:`aggregate` turns an :class:`~harmwatch.evaluation.evaluate.Evaluation`
into an :class:`AggregateEvaluation` that holds no coordinate of any crime, so
nothing drawn or written from it (the page, the JSON, the CSVs, the chart's map
panel, the GeoJSON) can hold one:

- **crime locations** become counts per **500 m square** of the British National
  Grid (:data:`SQUARE_M`): target and buffer crimes of the months evaluated, one
  table (target and buffer × squares) put through the small-number rule
  (:mod:`harmwatch.outputs.suppression`) with the two totals as published in the
  headline counts. Squares sit on whole multiples of 500 m everywhere, never on a
  grid fitted to the target, so evaluations of neighbouring or overlapping areas
  cannot be overlaid to narrow a crime down to less than a square. 500 m is about
  the size of an urban LSOA, and far coarser than police.uk's snap points. A
  breakdown the rule cannot protect (one small count that the published total
  would reveal) is left off the map, and :attr:`SquareCounts.left_off` says so;
- **control LSOAs' locations** become the squares that hold them, with no count;
- an **LSOA target's outline** is drawn as the squares it covers: its exact outline
  is the union of 250 m discs around its crimes' snap points
  (:mod:`harmwatch.evaluation.areas`), which would give those points away. An
  uploaded boundary or grid cells, which the user drew, keep their outline;
- the **control table's** per-LSOA pre-period counts go through the rule too (one
  column whose total, the controls' pre-period count, is published), and a row whose
  count is hidden shows no mean or trend, from which the count would follow.

Every figure of the evaluation itself (counts of the target, buffer and controls,
rate ratio, DiD, WDQ, the monthly series the chart draws) is unchanged: they are the
totals of the area asked about, which is what the role may check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from harmwatch.evaluation.evaluate import Evaluation
from harmwatch.outputs.suppression import (
    NOTE,
    Status,
    SuppressedTable,
    suppress,
    suppress_counts,
)

SQUARE_M = 500.0
KINDS = ("target", "buffer")


@dataclass(frozen=True)
class SquareCounts:
    """Target and buffer crimes per square (rows: :data:`KINDS`; columns: squares)."""

    size_m: float
    ix: np.ndarray  # square column: the square spans ix*size .. (ix+1)*size, BNG metres
    iy: np.ndarray
    table: SuppressedTable
    left_off: tuple[str, ...]  # kinds whose breakdown the rule could not protect
    control_ix: np.ndarray
    control_iy: np.ndarray

    def shown(self, kind: str, k: int) -> int | str | None:
        """A square's count of ``kind`` as published; None when that kind is left off."""
        if kind in self.left_off:
            return None
        return self.table.shown(KINDS.index(kind), k)

    def count(self, kind: str, k: int) -> int:
        """A square's true count of ``kind``: for choosing what to list, never to publish."""
        return int(self.table.cells[KINDS.index(kind), k])

    def box(self, k: int) -> tuple[float, float, float, float]:
        s = self.size_m
        return (self.ix[k] * s, self.iy[k] * s, (self.ix[k] + 1) * s, (self.iy[k] + 1) * s)

    def control_boxes(self) -> list[tuple[float, float, float, float]]:
        s = self.size_m
        return [
            (ix * s, iy * s, (ix + 1) * s, (iy + 1) * s)
            for ix, iy in zip(self.control_ix.tolist(), self.control_iy.tolist(), strict=True)
        ]

    def __len__(self) -> int:
        return len(self.ix)


@dataclass
class AggregateEvaluation(Evaluation):
    """An :class:`Evaluation` with no crime location in it: squares, counts suppressed."""

    squares: SquareCounts = field(kw_only=True)
    drawn_target: BaseGeometry = field(kw_only=True)  # BNG; what maps draw as the target
    drawn_zone: BaseGeometry = field(kw_only=True)  # target and buffer, as drawn
    control_counts: SuppressedTable = field(kw_only=True)  # pre-period count per control
    # Every control's count withheld: with the published total, no pattern of hidden
    # cells could protect a count below the threshold (see :func:`_protected_controls`).
    controls_withheld: bool = field(default=False, kw_only=True)

    def to_dict(self) -> dict[str, object]:
        out = super().to_dict()
        controls = out["controls"]
        assert isinstance(controls, dict)
        controls["lsoas"] = [
            {
                "lsoa_code": row["lsoa_code"],
                "lsoa_name": row["lsoa_name"],
                "pre_count": self.control_counts.shown(n),
                **(
                    {"pre_mean": row["pre_mean"], "pre_slope": row["pre_slope"]}
                    if self.control_counts.is_shown(n)
                    else {"pre_mean": None, "pre_slope": None}
                ),
            }
            for n, row in enumerate(controls["lsoas"])
        ]
        out["disclosure"] = self.disclosure()
        return out

    def disclosure(self) -> dict[str, Any]:
        """What was aggregated or hidden, in words, for every output to carry."""
        squares = self.squares
        return {
            "aggregates_only": True,
            "map": (
                f"crimes counted per {squares.size_m:g} m square of the British National Grid, "
                "never as points"
                + (
                    "; the target is drawn as the squares it covers"
                    if self.target.kind == "lsoa"
                    else ""
                )
            ),
            "small_numbers": NOTE,
            "left_off_map": [
                f"{kind} crimes: too few to show by square without revealing a count below 5"
                for kind in squares.left_off
            ],
            "controls": (
                "every control area's pre-period count is withheld: with their total "
                "published, a count below 5 could not otherwise be protected"
                if self.controls_withheld
                else "control areas' pre-period counts below 5 are shown as fewer than 5"
            ),
        }

    def controls_frame(self) -> pd.DataFrame:
        """The control table with each pre-period count through the rule."""
        table = self.controls.table.reset_index(drop=True)
        hidden = [not self.control_counts.is_shown(n) for n in range(len(table))]
        frame = pd.DataFrame(
            {
                "lsoa_code": table["lsoa_code"],
                "lsoa_name": table["lsoa_name"],
                "pre_count": self.control_counts.shown_column(),
            }
        )
        for column in ("pre_mean", "pre_slope", "distance"):
            values = table[column].astype(float).to_numpy().copy()
            values[np.asarray(hidden, dtype=bool)] = np.nan
            frame[column] = values
        return frame


def aggregate(evaluation: Evaluation, size_m: float = SQUARE_M) -> AggregateEvaluation:
    """The evaluation for a role that may not see where single crimes were."""
    if isinstance(evaluation, AggregateEvaluation):
        return evaluation
    ev = evaluation
    empty = (np.empty(0), np.empty(0))
    cells: list[np.ndarray] = []
    for kind in KINDS:
        x, y = ev.map_points.get(kind, empty)
        cells.append(_square_of(np.asarray(x, float), np.asarray(y, float), size_m))
    keys = np.unique(np.concatenate([*cells, np.empty((0, 2), np.int64)]), axis=0)
    index = {(int(a), int(b)): n for n, (a, b) in enumerate(keys)}
    table = np.zeros((len(KINDS), len(keys)), dtype=np.int64)
    for row, located in enumerate(cells):
        for a, b in located.tolist():
            table[row, index[(a, b)]] += 1
    # The totals are the headline counts, published as they are: protect within the squares.
    counts = suppress(table, row_totals=True, totals_fixed=True)
    left_off = tuple(sorted({KINDS[i] for _, i, _ in counts.exposed}, key=KINDS.index))
    cx, cy = ev.map_points.get("controls", empty)
    control = np.unique(
        np.concatenate(
            [_square_of(np.asarray(cx, float), np.asarray(cy, float), size_m), keys[:0]]
        ),
        axis=0,
    )
    squares = SquareCounts(
        size_m=size_m,
        ix=keys[:, 0] if len(keys) else np.empty(0, np.int64),
        iy=keys[:, 1] if len(keys) else np.empty(0, np.int64),
        table=counts,
        left_off=left_off,
        control_ix=control[:, 0] if len(control) else np.empty(0, np.int64),
        control_iy=control[:, 1] if len(control) else np.empty(0, np.int64),
    )
    if ev.target.kind == "lsoa":
        drawn_target = _covering_squares(ev.target.geometry, size_m)
        drawn_zone = _covering_squares(ev.zone, size_m)
    else:
        drawn_target, drawn_zone = ev.target.geometry, ev.zone
    n_pre = len(ev.pre_months)
    pre_counts = [
        round(float(m) * n_pre) if math.isfinite(float(m)) else 0
        for m in ev.controls.table["pre_mean"].tolist()
    ]
    values = {f.name: getattr(ev, f.name) for f in fields(Evaluation)}
    values["map_points"] = {}  # nothing downstream can draw or write a crime's location
    return AggregateEvaluation(
        **values,
        squares=squares,
        drawn_target=drawn_target,
        drawn_zone=drawn_zone,
        **_protected_controls(pre_counts),
    )


def _protected_controls(pre_counts: list[int]) -> dict[str, Any]:
    """The controls' counts through the rule; all withheld when the rule cannot protect them.

    The total of the control counts is published (it is the evaluation's control
    figure), so the rule hides the fewest others it can; when no choice of hidden
    cells protects every small count (``exposed``), none is shown rather than one
    that could be worked out by subtraction.
    """
    table = suppress_counts(pre_counts, total_fixed=True)
    if not table.exposed:
        return {"control_counts": table, "controls_withheld": False}
    # Not even which are below 5: with the total, that alone can narrow a count down.
    withheld = np.full(table.status.shape, Status.WITHHELD, dtype=object)
    return {
        "control_counts": replace(table, status=withheld, exposed=()),
        "controls_withheld": True,
    }


def _square_of(x: np.ndarray, y: np.ndarray, size_m: float) -> np.ndarray:
    """Each point's square on the national grid of ``size_m`` squares, as (column, row)."""
    if not len(x):
        return np.empty((0, 2), dtype=np.int64)
    return np.column_stack(
        [np.floor(x / size_m).astype(np.int64), np.floor(y / size_m).astype(np.int64)]
    )


def _covering_squares(geometry: BaseGeometry, size_m: float) -> BaseGeometry:
    """The union of the national-grid squares that ``geometry`` touches (its interior)."""
    if geometry.is_empty:
        return geometry
    xmin, ymin, xmax, ymax = geometry.bounds
    ix = np.arange(math.floor(xmin / size_m), math.floor(xmax / size_m) + 1)
    iy = np.arange(math.floor(ymin / size_m), math.floor(ymax / size_m) + 1)
    gx, gy = np.meshgrid(ix, iy)
    boxes = shapely.box(gx * size_m, gy * size_m, (gx + 1) * size_m, (gy + 1) * size_m).ravel()
    hit = shapely.intersects(boxes, geometry) & ~shapely.touches(boxes, geometry)
    return shapely.union_all(boxes[hit])
