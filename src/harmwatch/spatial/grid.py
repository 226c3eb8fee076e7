"""Square analysis grids in British National Grid metres.

Every hotspot method in harmwatch works on a :class:`Grid`: a regular lattice of
square cells whose edges sit on whole multiples of the cell size, so that grids
built for different filters over the same place line up cell for cell and can be
compared month against month.

Arrays over a grid are 2-D ``(nrows, ncols)`` with row 0 the *southern* row
(north-up when drawn with ``origin="lower"``). Flattened arrays use the same
row-major order as ``array.ravel()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harmwatch.errors import InputError

# A cell count above this is refused up front: 4e7 float64 cells is ~320 MB per
# layer and a hotspot run holds several layers at once.
MAX_CELLS = 40_000_000


class GridError(InputError):
    """A grid that cannot be laid: a cell size or an extent that is not a number of metres.

    Requests refuse these values first, naming the field; this is the last line.
    """


class GridTooLargeError(GridError):
    """The requested grid would not fit comfortably in memory."""


@dataclass(frozen=True)
class Grid:
    """A north-up square grid: ``x0, y0`` is the south-west corner, in metres."""

    x0: float
    y0: float
    cell: float
    ncols: int
    nrows: int

    def __post_init__(self) -> None:
        if not (self.cell > 0 and math.isfinite(self.cell)):
            raise GridError(f"cell size must be a positive number of metres, got {self.cell!r}")
        if self.ncols < 1 or self.nrows < 1:
            raise GridError(f"grid must have at least one cell, got {self.ncols}x{self.nrows}")

    @classmethod
    def covering(cls, xmin: float, ymin: float, xmax: float, ymax: float, cell: float) -> Grid:
        """The smallest grid aligned to multiples of ``cell`` that covers the box."""
        if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))):
            raise GridError("grid extent must be finite")
        if not (cell > 0 and math.isfinite(cell)):
            raise GridError(f"cell size must be a positive number of metres, got {cell!r}")
        if xmax < xmin or ymax < ymin:
            raise GridError(f"empty extent: ({xmin}, {ymin}, {xmax}, {ymax})")
        x0 = math.floor(xmin / cell) * cell
        y0 = math.floor(ymin / cell) * cell
        ncols = max(1, math.ceil((xmax - x0) / cell))
        nrows = max(1, math.ceil((ymax - y0) / cell))
        # A point exactly on the east/north edge belongs to a cell beyond it.
        if x0 + ncols * cell <= xmax:
            ncols += 1
        if y0 + nrows * cell <= ymax:
            nrows += 1
        n = ncols * nrows
        if n > MAX_CELLS:
            raise GridTooLargeError(
                f"a {cell:g} m grid over this extent has {n:,} cells "
                f"(limit {MAX_CELLS:,}); choose a larger cell or a smaller area"
            )
        return cls(float(x0), float(y0), float(cell), int(ncols), int(nrows))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nrows, self.ncols)

    @property
    def size(self) -> int:
        return self.nrows * self.ncols

    @property
    def cell_area_km2(self) -> float:
        return self.cell * self.cell / 1e6

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (
            self.x0,
            self.y0,
            self.x0 + self.ncols * self.cell,
            self.y0 + self.nrows * self.cell,
        )

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two flat arrays in row-major order."""
        xs = self.x0 + (np.arange(self.ncols) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.nrows) + 0.5) * self.cell
        xx, yy = np.meshgrid(xs, ys)
        return xx.ravel(), yy.ravel()

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, or -1 for points outside the grid or NaN."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            col = np.floor((x - self.x0) / self.cell)
            row = np.floor((y - self.y0) / self.cell)
            inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        idx = np.full(x.shape, -1, dtype=np.int64)
        idx[inside] = row[inside].astype(np.int64) * self.ncols + col[inside].astype(np.int64)
        return idx

    def counts(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Points (or weights) per cell as a ``(nrows, ncols)`` array."""
        idx = self.locate(x, y)
        keep = idx >= 0
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
        flat = np.bincount(idx[keep], weights=w, minlength=self.size)
        return flat.reshape(self.shape).astype(np.float64 if w is not None else np.int64)


def round_cell_size(raw: float) -> float:
    """Round a cell size to a 'round' number of metres (1, 2, 2.5 or 5 x 10^k).

    sfhotspot rounds its default cell size the same way so that the figure a user
    is told ("250 m cells") is one they can repeat.
    """
    if not (raw > 0 and math.isfinite(raw)):
        raise GridError(f"cannot round cell size {raw!r}")
    exp = math.floor(math.log10(raw))
    base = raw / 10**exp
    steps = (1.0, 2.0, 2.5, 5.0, 10.0)
    nearest = min(steps, key=lambda s: abs(math.log(base / s)))
    return float(nearest * 10**exp)


def default_cell_size(
    xmin: float,
    ymin: float,
    xmax: float,
    ymax: float,
    cells_on_short_side: int = 50,
    minimum: float | None = None,
) -> float:
    """A cell size giving about ``cells_on_short_side`` cells on the shorter side.

    ``minimum`` floors it: a small area would otherwise get cells finer than the
    data's locations are precise (the caller knows the data, and says why).
    """
    short = min(xmax - xmin, ymax - ymin)
    if short <= 0:
        raise GridError("study area has no extent; cannot choose a cell size")
    size = round_cell_size(short / cells_on_short_side)
    return max(size, float(minimum)) if minimum is not None else size
