"""The study area: the ground over which shares of area and cells are counted.

A force's police.uk file holds points far outside the force, so its bounding box
is mostly land the force does not police; any share-of-area figure over that box
flatters the method. harmwatch therefore defines the study area as the force's
districts (or a boundary the user gives) and always says which it used.

Which cells and which crimes lie inside is asked of millions of points at once
(2.3 million cells and 3 million drug offences for a national 250 m map), so
:meth:`StudyArea.mask` and :meth:`StudyArea.contains` first settle whole blocks of
them: a block whose box lies in the area's interior is inside, one whose box does
not touch the area is outside, and only the points in blocks that straddle the
outline are tested one by one. The answer is the one ``shapely.contains_xy``
gives point by point (a point on the outline is outside), only found sooner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.forces import forces_text

from . import boundaries
from .grid import Grid


@dataclass(frozen=True)
class StudyArea:
    geometry: BaseGeometry  # British National Grid metres
    kind: str  # "force districts", "force area", "boundary file", "bounding box"
    description: str
    districts: tuple[str, ...] = ()

    @property
    def area_km2(self) -> float:
        return float(self.geometry.area) / 1e6

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xmin, ymin, xmax, ymax = self.geometry.bounds
        return (float(xmin), float(ymin), float(xmax), float(ymax))

    def mask(self, grid: Grid) -> np.ndarray:
        """Cells whose centre lies inside the area, as a (nrows, ncols) boolean array."""
        if grid.size < _BLOCKS_FROM or not _blockable(self.geometry):
            x, y = grid.centres()
            inside = shapely.contains_xy(self.geometry, x, y)
            return np.asarray(inside, dtype=bool).reshape(grid.shape)
        geometry = _prepared_copy(self.geometry)
        # The same centres as Grid.centres(), one row and one column of them.
        xs = grid.x0 + (np.arange(grid.ncols) + 0.5) * grid.cell
        ys = grid.y0 + (np.arange(grid.nrows) + 0.5) * grid.cell
        # A block's box runs from its first cell centre to its last, so "the box is in
        # the interior" says exactly that every centre in it is.
        status = _block_status(geometry, xs, xs, ys, ys, _MASK_LEAF)
        out = _upsample(status == _INSIDE, _MASK_LEAF, grid.shape)
        edge = _upsample(status != _OUTSIDE, _MASK_LEAF, grid.shape) & ~out
        rows, cols = np.nonzero(edge)
        out[rows, cols] = shapely.contains_xy(geometry, xs[cols], ys[rows])
        return out

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.size < _BLOCKS_FROM or not _blockable(self.geometry):
            out = np.zeros(x.shape, dtype=bool)
            out[ok] = shapely.contains_xy(self.geometry, x[ok], y[ok])
            return out
        geometry = _prepared_copy(self.geometry)
        if ok.all():  # the usual case: located crimes only, no copies needed
            return _contains_by_bins(geometry, x.ravel(), y.ravel()).reshape(x.shape)
        out = np.zeros(x.shape, dtype=bool)
        out[ok] = _contains_by_bins(geometry, x[ok], y[ok])
        return out


# Below this many points one contains_xy call is as quick as sorting them into blocks.
_BLOCKS_FROM = 50_000
# Cells per side of the smallest block of the mask settled as a whole, and bins per side
# laid over the area's bounds to sort points (about 1.3 km over England and Wales): the
# quickest on a national 250 m map; finer blocks cost more box tests than they spare.
_MASK_LEAF = 8
_POINT_BINS = 512
# Blocks per side at the coarsest level of the block search.
_TOP_BLOCKS = 8
_OUTSIDE, _INSIDE, _EDGE, _UNDECIDED = 0, 1, -1, -2


def _blockable(geometry: BaseGeometry) -> bool:
    """Whether box predicates can stand in for point tests (GEOS's relate needs a valid area)."""
    return bool(shapely.is_valid(geometry)) and not geometry.is_empty


def _prepared_copy(geometry: BaseGeometry) -> BaseGeometry:
    """A prepared copy (same coordinates): preparing works in place, and the study
    area's own geometry may be shared between threads that read it."""
    copy = shapely.from_wkb(shapely.to_wkb(geometry))
    shapely.prepare(copy)
    return copy


def _upsample(blocks: np.ndarray, leaf: int, shape: tuple[int, int]) -> np.ndarray:
    return np.repeat(np.repeat(blocks, leaf, axis=0), leaf, axis=1)[: shape[0], : shape[1]]


def _block_status(
    geometry: BaseGeometry,
    xlo: np.ndarray,
    xhi: np.ndarray,
    ylo: np.ndarray,
    yhi: np.ndarray,
    leaf: int,
) -> np.ndarray:
    """Whether each block of ``leaf`` x ``leaf`` units lies inside, outside or across the area.

    Unit column ``j`` spans ``xlo[j]..xhi[j]`` and unit row ``i`` spans
    ``ylo[i]..yhi[i]`` (sorted). Returns an int8 array of shape
    ``(ceil(rows / leaf), ceil(cols / leaf))``: ``_INSIDE`` where the block's box
    lies in the interior (``contains_properly``), ``_OUTSIDE`` where it does not
    touch the area, ``_EDGE`` otherwise (callers test anything not settled point by
    point). Blocks are searched coarse to fine, each undecided one split in four, so
    the box tests follow the outline only. ``geometry`` should be prepared.
    """
    ny, nx = ylo.size, xlo.size
    nby, nbx = -(-ny // leaf), -(-nx // leaf)
    status = np.full((nby, nbx), _UNDECIDED, dtype=np.int8)
    size = leaf
    while -(-max(ny, nx) // size) > _TOP_BLOCKS:
        size *= 2
    top_rows, top_cols = np.meshgrid(
        np.arange(-(-ny // size)), np.arange(-(-nx // size)), indexing="ij"
    )
    rows, cols = top_rows.ravel(), top_cols.ravel()
    while rows.size:
        r0, c0 = rows * size, cols * size
        r1, c1 = np.minimum(r0 + size, ny) - 1, np.minimum(c0 + size, nx) - 1
        bx0, bx1, by0, by1 = xlo[c0], xhi[c1], ylo[r0], yhi[r1]
        # A box of no width or height is not a valid polygon: leave it to the point tests.
        solid = (bx1 > bx0) & (by1 > by0)
        boxes = shapely.box(bx0, by0, bx1, by1)
        inside = np.zeros(rows.size, dtype=bool)
        touches = np.ones(rows.size, dtype=bool)
        inside[solid] = shapely.contains_properly(geometry, boxes[solid])
        touches[solid] = shapely.intersects(geometry, boxes[solid])
        level = np.full((-(-ny // size), -(-nx // size)), _UNDECIDED, dtype=np.int8)
        level[rows[inside], cols[inside]] = _INSIDE
        level[rows[~touches], cols[~touches]] = _OUTSIDE
        step = size // leaf
        fine = np.repeat(np.repeat(level, step, axis=0), step, axis=1)[:nby, :nbx]
        np.copyto(status, fine, where=fine != _UNDECIDED)
        open_ = touches & ~inside
        if size == leaf:
            status[rows[open_], cols[open_]] = _EDGE
            break
        rows, cols = rows[open_], cols[open_]
        size //= 2
        rows = (2 * rows[:, None] + np.array([0, 0, 1, 1])).ravel()
        cols = (2 * cols[:, None] + np.array([0, 1, 0, 1])).ravel()
        keep = (rows * size < ny) & (cols * size < nx)
        rows, cols = rows[keep], cols[keep]
    return status


def _contains_by_bins(geometry: BaseGeometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``shapely.contains_xy`` for many finite points, settling whole bins of them at once."""
    xmin, ymin, xmax, ymax = geometry.bounds
    n = _POINT_BINS
    step = max(xmax - xmin, ymax - ymin) / (n - 2)
    if not (step > 0 and math.isfinite(step)):
        return np.asarray(shapely.contains_xy(geometry, x, y), dtype=bool)
    # One spare bin on every side of the bounds, and every point beyond the bins put in
    # a ring of bins marked outside: nothing beyond the bounds is inside.
    bx0, by0 = xmin - step, ymin - step
    # Each bin's box is widened by a millionth of a bin, far more than the rounding in
    # the division below, so every point lies in the box of the bin it is put in.
    slack = step * 1e-6
    edges_x = bx0 + np.arange(n + 1) * step
    edges_y = by0 + np.arange(n + 1) * step
    status = np.full((n + 2, n + 2), _OUTSIDE, dtype=np.int8)
    status[1:-1, 1:-1] = _block_status(
        geometry, edges_x[:-1] - slack, edges_x[1:] + slack,
        edges_y[:-1] - slack, edges_y[1:] + slack, 1,
    )  # fmt: skip
    col = np.subtract(x, bx0)
    col /= step
    np.floor(col, out=col)
    np.clip(col, -1, n, out=col)
    row = np.subtract(y, by0)
    row /= step
    np.floor(row, out=row)
    np.clip(row, -1, n, out=row)
    row *= n + 2
    row += col
    row += n + 3  # the ring: bin (-1, -1) is element 0
    point_status = status.ravel()[row.astype(np.intp)]
    out = point_status == _INSIDE
    edge = np.flatnonzero(~out & (point_status != _OUTSIDE))
    out[edge] = shapely.contains_xy(geometry, x[edge], y[edge])
    return out


def for_forces(force_slugs: list[str]) -> StudyArea:
    """The union of the forces' districts; a force with none on file falls back to its force area.

    Forces with no territory of their own (British Transport Police) or no
    bundled boundary (Northern Ireland) are left out of the area and named in
    its description; their crimes still count where they fall inside it.
    """
    parts: list[BaseGeometry] = []
    names: list[str] = []
    used_pfa: list[str] = []
    without: list[str] = []
    for slug in force_slugs:
        lads = boundaries.force_districts(slug)
        if not lads.empty:
            parts.append(shapely.union_all(lads.geometry.values))
            names.extend(sorted(lads["name"]))
            continue
        pfa = boundaries.force_area_polygon(slug)
        if pfa is None:
            without.append(slug)
            continue
        parts.append(pfa)
        used_pfa.append(slug)
    if not parts:
        raise boundaries.BoundaryError(
            f"no districts or force-area boundary are bundled for {forces_text(force_slugs)}; "
            "give a boundary (or a box) as the study area"
        )
    geometry = shapely.union_all(parts)
    label = forces_text(force_slugs)
    if names:
        listed = ", ".join(names) if len(names) <= 12 else f"{', '.join(names[:12])}, …"
        text = f"{label}: {len(names)} districts ({listed}) from {boundaries.LAD_SOURCE}"
        kind = "force districts"
        if used_pfa:
            text += f"; force area boundary for {forces_text(used_pfa, most=50)} ({boundaries.PFA_SOURCE})"
    else:
        text = f"{label}: force area boundary ({boundaries.PFA_SOURCE})"
        kind = "force area"
    if without:
        text += f"; no boundary for {forces_text(without, most=50)}, left out"
    return StudyArea(geometry, kind, text, tuple(names))


def from_boundary_file(path: str, label: str | None = None) -> StudyArea:
    """A user's boundary file as the study area, described by ``label`` when given.

    The web app's boundaries live under server paths nobody should see in a
    report, so it names them ("uploaded boundary 'Town centre'") instead.
    """
    geometry = boundaries.read_boundary(path)
    return StudyArea(geometry, "boundary file", label or f"boundary file {path}")


def from_bbox(xmin: float, ymin: float, xmax: float, ymax: float) -> StudyArea:
    if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))) or not (xmax > xmin and ymax > ymin):
        raise InputError(f"bounding box has no area: {xmin}, {ymin}, {xmax}, {ymax}")
    return StudyArea(
        box(xmin, ymin, xmax, ymax),
        "bounding box",
        f"bounding box {xmin:.0f},{ymin:.0f} – {xmax:.0f},{ymax:.0f} (BNG metres)",
    )
