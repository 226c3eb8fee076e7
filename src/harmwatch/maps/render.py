"""Static maps drawn with matplotlib: no tiles, nothing fetched, attribution on every map.

Maps are north-up in British National Grid with axes in kilometres, a scale bar,
a north arrow and the names of towns and villages (GeoNames, through
:mod:`harmwatch.spatial.places`, credited on the map), so that a printed map stands
on its own in a briefing or a court bundle. :func:`outline`, :func:`frame_in_km` and
:func:`draw_place_labels` are public because every static map of the project (the
evaluation chart's too) draws and frames the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
import shapely
import shapely.prepared
from matplotlib.artist import Artist
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from shapely.geometry.base import BaseGeometry

from harmwatch.maps.charts import save_figure
from harmwatch.spatial import places as gazetteer
from harmwatch.spatial.grid import Grid

CLASS_COLOURS = {"hot spot": "#c0392b", "not significant": "#ecf0f1", "cold spot": "#2e86c1"}

# Emerging-hotspot categories: reds for hot patterns, blues for cold, strongest
# (new, intensifying, persistent) darkest, as ArcGIS Pro's legend does.
EMERGING_COLOURS = {
    "New Hot Spot": "#67000d",
    "Consecutive Hot Spot": "#a50f15",
    "Intensifying Hot Spot": "#cb181d",
    "Persistent Hot Spot": "#ef3b2c",
    "Diminishing Hot Spot": "#fb6a4a",
    "Sporadic Hot Spot": "#fc9272",
    "Oscillating Hot Spot": "#fcbba1",
    "Historical Hot Spot": "#fee0d2",
    "No Pattern Detected": "#f4f6f6",
    "Historical Cold Spot": "#deebf7",
    "Oscillating Cold Spot": "#c6dbef",
    "Sporadic Cold Spot": "#9ecae1",
    "Diminishing Cold Spot": "#6baed6",
    "Persistent Cold Spot": "#4292c6",
    "Intensifying Cold Spot": "#2171b5",
    "Consecutive Cold Spot": "#08519c",
    "New Cold Spot": "#08306b",
}


def outline(ax: plt.Axes, geometry: BaseGeometry, **style: object) -> None:
    """Draw the rings (outer and holes) of every polygon in ``geometry`` on ``ax`` as lines.

    ``style`` goes to ``Axes.plot`` (colour, linewidth …). Points and lines in a
    collection are skipped: only areas have outlines. Coordinates are drawn as
    given (British National Grid metres on every map here).
    """
    geoms = getattr(geometry, "geoms", [geometry])
    for geom in geoms:
        if geom.geom_type == "Polygon":
            rings = [geom.exterior, *geom.interiors]
        elif geom.geom_type == "MultiPolygon":
            outline(ax, geom, **style)
            continue
        else:
            continue
        for ring in rings:
            xs, ys = ring.xy
            ax.plot(np.asarray(xs), np.asarray(ys), **style)  # type: ignore[arg-type]


def _scale_bar(ax: plt.Axes, width_m: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    steps = [s * 10**e for e in range(1, 6) for s in (1, 2, 5)]
    length = max([s for s in steps if s <= target] or [steps[0]])
    bx, by = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    ax.plot(
        [bx, bx + length], [by, by], color="black", linewidth=3, solid_capstyle="butt",
        gid=_FURNITURE,
    )  # fmt: skip
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=8)


def _north_arrow(ax: plt.Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
    )


def draw_grid_map(
    path: str | Path,
    grid: Grid,
    values: np.ndarray,
    mask: np.ndarray,
    *,
    title: str,
    legend_label: str,
    area: BaseGeometry,
    classes: np.ndarray | None = None,
    class_colours: dict[str, str] | None = None,
    districts: Sequence[BaseGeometry] = (),
    zones: Sequence[BaseGeometry] = (),
    subtitle: str = "",
) -> Path:
    """Draw a grid layer (continuous ``values`` or categorical ``classes``) over the study area."""
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    extent = (grid.x0, grid.x0 + grid.ncols * grid.cell, grid.y0, grid.y0 + grid.nrows * grid.cell)
    if classes is not None:
        colours = class_colours or CLASS_COLOURS
        order = list(colours)
        codes = np.full(grid.shape, np.nan)
        for i, name in enumerate(order):
            codes[(classes == name) & mask] = i
        ax.imshow(
            np.ma.masked_invalid(codes),
            origin="lower",
            extent=extent,
            cmap=ListedColormap([colours[c] for c in order]),
            vmin=-0.5,
            vmax=len(order) - 0.5,
            interpolation="nearest",
        )
        counts = {name: int(((classes == name) & mask).sum()) for name in order}
        # Classes no cell has would only lengthen the legend.
        handles = [
            Patch(facecolor=colours[n], edgecolor="grey", label=f"{n} ({counts[n]:,} cells)")
            for n in order
            if counts[n] or colours is CLASS_COLOURS
        ]
        ax.legend(
            handles=handles, loc="lower right", title=legend_label, fontsize=8, title_fontsize=9
        )
    else:
        shown = np.ma.masked_where(~mask, values.astype(float))
        image = ax.imshow(
            shown, origin="lower", extent=extent, cmap="YlOrRd", interpolation="nearest"
        )
        bar = fig.colorbar(image, ax=ax, shrink=0.7, pad=0.02)
        bar.set_label(legend_label)
    for district in districts:
        outline(ax, district, color="#7f8c8d", linewidth=0.4)
    for zone in zones:
        outline(ax, zone, color="#1f3a93", linewidth=1.6)
    outline(ax, area, color="black", linewidth=1.0)
    frame_in_km(ax, area.bounds, pad_share=0.03)
    draw_place_labels(ax, area=area)
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=11)
    return save_figure(fig, path)


def frame_in_km(
    ax: plt.Axes,
    bounds: tuple[float, float, float, float],
    pad_share: float,
    label_size: float | None = None,
) -> None:
    """Frame BNG ``bounds`` (padded by a share of the longer side) at equal scale, axes in
    km, with a scale bar and a north arrow: every static map of the project reads the same."""
    xmin, ymin, xmax, ymax = bounds
    pad = pad_share * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    km = FuncFormatter(lambda v, _pos: f"{v / 1000:g}")
    ax.xaxis.set_major_formatter(km)
    ax.yaxis.set_major_formatter(km)
    if label_size is not None:
        ax.tick_params(labelsize=label_size - 1)
    ax.set_xlabel("Easting (km, British National Grid)", fontsize=label_size)
    ax.set_ylabel("Northing (km, British National Grid)", fontsize=label_size)
    _scale_bar(ax, xmax - xmin)
    _north_arrow(ax)


MAX_PLACE_LABELS = 60
# Outside the study area only towns this large are named: enough to say where the map is.
OUTSIDE_POPULATION = 50_000
AREA_MARGIN_M = 1_000.0
_FURNITURE = "map-furniture"  # gid of drawn parts (scale bar) that labels keep clear of
# Where a name may sit beside its place's dot: offset in points and alignment.
_LABEL_SIDES = (
    (2.5, 2.5, "left", "bottom"),
    (-2.5, 2.5, "right", "bottom"),
    (2.5, -2.5, "left", "top"),
    (-2.5, -2.5, "right", "top"),
)


def draw_place_labels(
    ax: plt.Axes,
    fontsize: float = 7.5,
    avoid: Sequence[Artist] = (),
    area: BaseGeometry | None = None,
) -> int:
    """Name the towns and villages inside ``ax``'s frame (BNG metres); return how many.

    Call after the frame is set. Which places depends on how much ground the map
    covers (:func:`harmwatch.spatial.places.static_threshold`: towns on a county map,
    villages on a town's); outside ``area`` (the study area, when given) only places
    of :data:`OUTSIDE_POPULATION` or more, for orientation. They are placed largest
    first, beside their dot on whichever corner is free; a label that would overlap
    one already placed, the map's text, legend, scale bar or north arrow, or any of
    ``avoid`` (the map's own figures) is left out, so a crowded map keeps its larger
    places and its numbers. The GeoNames credit goes in the top-left corner.
    """
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    threshold = gazetteer.static_threshold(min(x1 - x0, y1 - y0))
    candidates = gazetteer.places_within(x0, y0, x1, y1, threshold)
    if area is not None and not area.is_empty:
        near = shapely.prepared.prep(area.buffer(AREA_MARGIN_M))
        candidates = [
            p
            for p in candidates
            if p.population >= OUTSIDE_POPULATION or near.contains(shapely.Point(p.x, p.y))
        ]
    if not candidates:
        return 0
    halo = [path_effects.withStroke(linewidth=2.2, foreground="white")]
    credit = ax.text(
        0.01, 0.99, gazetteer.ATTRIBUTION, transform=ax.transAxes, ha="left", va="top",
        fontsize=5.5, color="#555555", zorder=7, path_effects=halo,
    )  # fmt: skip
    ax.apply_aspect()  # measure where the labels will be, at the frame's final shape
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    furniture: list[Artist] = [
        *ax.texts,
        *(line for line in ax.lines if line.get_gid() == _FURNITURE),
    ]
    legend = ax.get_legend()
    if legend is not None:
        furniture.append(legend)
    taken: list[tuple[float, float, float, float]] = []
    for artist in [*furniture, *avoid]:
        box = artist.get_window_extent(renderer)
        taken.append((box.x0, box.y0, box.x1, box.y1))
    drawn = 0
    for place in candidates:
        if drawn >= MAX_PLACE_LABELS:
            break
        big = place.population >= gazetteer.TOWN
        placed = None
        for dx, dy, ha, va in _LABEL_SIDES:  # north-east first, then the other corners
            text = ax.annotate(
                place.name,
                (place.x, place.y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize if big else fontsize - 1,
                fontweight="bold" if big else "normal",
                color="#1b2733",
                zorder=6,
                path_effects=halo,
                annotation_clip=True,
            )
            box = text.get_window_extent(renderer)
            pad = 2.0
            extent = (box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
            inside = (
                frame.x0 <= box.x0
                and box.x1 <= frame.x1
                and frame.y0 <= box.y0
                and box.y1 <= frame.y1
            )
            if inside and not any(_overlap(extent, other) for other in taken):
                placed = extent
                break
            text.remove()
        if placed is None:
            continue
        taken.append(placed)
        ax.plot([place.x], [place.y], marker="o", markersize=2.2, color="#1b2733", zorder=6)
        drawn += 1
    if not drawn:
        credit.remove()
    return drawn


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
