"""The board report's pictures: each measure's chart and the maps of hotspots and of change.

Drawing only: every value arrives already counted and, for a published report,
already through the small-number rule — a figure that is not shown arrives as
``None`` and is not drawn (a month's line breaks there and the month is shaded;
a bar is left out and its label says why). Each picture is returned as PNG bytes
for the report to embed, never written to a shared place.

How the charts read without colour: the period is a solid line with filled
circles, the baseline a dashed line with open squares, other months loaded a
thin dotted line; every line is labelled in the legend. Months come in runs
(:mod:`harmwatch.timeline.months`): a line is drawn within one run of consecutive
months and never across a gap. Police-generated crime types (drugs, possession of
weapons: :mod:`harmwatch.evaluation.recording`) are drawn in greys, because a fall
may mean less searching and no colour should read as good or bad news.

Maps reuse the project's static-map furniture (:mod:`harmwatch.maps.render`:
district outlines, GeoNames place labels with their credit, km frame, scale bar,
north arrow; no tiles). They draw areas only — Gi* classes of grid cells, and
districts shaded by their change — never a crime's point.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from shapely.geometry.base import BaseGeometry

from harmwatch import ATTRIBUTION
from harmwatch.maps.render import draw_grid_map, draw_place_labels, frame_in_km, outline
from harmwatch.spatial.grid import Grid
from harmwatch.timeline.months import calendar_span, consecutive_runs

DPI = 110
#: (period, baseline) colours: greys for police-generated types, blues for the rest.
NEUTRAL = ("#3b3b3b", "#8a8a8a")
ORDINARY = ("#1d4f7a", "#5b8db8")
CONTEXT = "#9a9a9a"
HIDDEN_SHADE = "#d9d9d9"
HIDDEN_LABEL = "count not shown (small-number rule)"

#: Change-map classes: orange and purple carry up and down without reading as good or bad.
CHANGE_CLASSES = {
    "up, beyond chance": "#e66101",
    "down, beyond chance": "#5e3c99",
    "within chance": "#f7f7f7",
    "not shown": "#bdbdbd",
}
CHANGE_HATCH = {"within chance": "..", "not shown": "//"}


@dataclass(frozen=True)
class MonthlySeries:
    """One panel of a monthly chart: a force (or the region) and its counts as shown.

    ``period``/``baseline``/``context``: month -> count shown, or None where the rule
    hides it. A month absent from all three was not loaded and is left as a gap.
    """

    label: str
    period: dict[str, int | None]
    baseline: dict[str, int | None]
    context: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Bar:
    """One force's (or the region's) period and baseline figures as shown (None: hidden)."""

    label: str
    period: int | None
    baseline: int | None
    period_text: str
    baseline_text: str


@dataclass(frozen=True)
class SharePoint:
    """A percentage with its interval (None for a tally), or why none is drawn."""

    label: str
    percent: float | None
    low: float | None
    high: float | None
    text: str


def _png(fig: plt.Figure, credit: str) -> bytes:
    """The figure as PNG bytes, with its credit line at the foot."""
    fig.text(0.01, 0.01, credit, fontsize=6, wrap=True, ha="left", va="bottom", color="#444444")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    plt.close(fig)
    return out.getvalue()


def _month_dates(months: Sequence[str]) -> list[pd.Timestamp]:
    return [pd.Timestamp(f"{m}-01") for m in months]


def _runs_of_shown(values: dict[str, int | None]) -> list[list[str]]:
    """Runs of consecutive months whose count is shown: a hidden month breaks a line too."""
    return consecutive_runs([m for m, v in values.items() if v is not None])


def monthly_chart(
    title: str,
    series: Sequence[MonthlySeries],
    *,
    police_generated: bool,
    credit: str = ATTRIBUTION,
) -> bytes:
    """Counts per month, one panel per series: period solid, baseline dashed, others dotted."""
    n = max(len(series), 1)
    fig, axes = plt.subplots(
        n, 1, figsize=(8.2, 1.2 + 2.0 * n), dpi=DPI, sharex=True, squeeze=False
    )
    period_colour, baseline_colour = NEUTRAL if police_generated else ORDINARY
    every = sorted({m for s in series for m in (*s.period, *s.baseline, *s.context)})
    axis_months = calendar_span(every)
    for ax, s in zip(axes[:, 0], series, strict=False):
        styles = (
            (s.context, "other months loaded", {"color": CONTEXT, "linestyle": ":", "linewidth": 1.0}),
            (
                s.baseline,
                "baseline",
                {
                    "color": baseline_colour, "linestyle": (0, (6, 3)), "linewidth": 1.6,
                    "marker": "s", "markersize": 4, "markerfacecolor": "white",
                },
            ),
            (
                s.period,
                "period",
                {"color": period_colour, "linestyle": "-", "linewidth": 2.2, "marker": "o",
                 "markersize": 4.5},
            ),
        )  # fmt: skip
        hidden_drawn = False
        for values, label, style in styles:
            for i, run in enumerate(_runs_of_shown(values)):
                ax.plot(
                    _month_dates(run),
                    [values[m] for m in run],
                    label=label if i == 0 else None,
                    **style,
                )
            for month, value in values.items():
                if value is None:
                    start = pd.Timestamp(f"{month}-01")
                    ax.axvspan(
                        start - pd.Timedelta(days=14),
                        start + pd.Timedelta(days=14),
                        color=HIDDEN_SHADE,
                        hatch="//",
                        label=None if hidden_drawn else HIDDEN_LABEL,
                        zorder=0,
                    )
                    hidden_drawn = True
        ax.set_title(s.label, fontsize=9, loc="left")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("crimes a month", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="best", ncol=4, frameon=False)
    last = axes[-1, 0]
    if axis_months:
        dates = _month_dates(axis_months)
        last.set_xlim(dates[0] - pd.Timedelta(days=20), dates[-1] + pd.Timedelta(days=20))
    last.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    last.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    fig.suptitle(title, fontsize=10)
    return _png(fig, credit)


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str, credit: str) -> bytes:
    """Period and baseline side by side for each force: solid bars and hatched bars."""
    fig, ax = plt.subplots(figsize=(8.2, 1.4 + 0.75 * max(len(bars), 1)), dpi=DPI)
    height = 0.36
    top = max([b.period or 0 for b in bars] + [b.baseline or 0 for b in bars] + [1])
    for i, b in enumerate(bars):
        y = len(bars) - 1 - i
        for value, text, offset, label, style in (
            (b.period, b.period_text, height / 2, "period", {"color": ORDINARY[0]}),
            (b.baseline, b.baseline_text, -height / 2, "baseline",
             {"facecolor": "white", "edgecolor": ORDINARY[1], "hatch": "///"}),
        ):  # fmt: skip
            if value is not None:
                ax.barh(y + offset, value, height=height, label=label if i == 0 else None, **style)  # type: ignore[arg-type]
            ax.text(
                (value or 0) + top * 0.01, y + offset, f"{label}: {text}", va="center", fontsize=7
            )
    ax.set_yticks(range(len(bars)), [b.label for b in reversed(bars)], fontsize=8)
    ax.set_xlim(0, top * 1.35)
    ax.set_xlabel(unit, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # every bar hidden: nothing to explain
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title(title, fontsize=10)
    return _png(fig, credit)


def share_chart(
    title: str, points: Sequence[SharePoint], *, target: float | None, credit: str
) -> bytes:
    """Percentages with their 95 % intervals (none for a tally), and the target as a line."""
    fig, ax = plt.subplots(figsize=(8.2, 1.4 + 0.6 * max(len(points), 1)), dpi=DPI)
    for i, p in enumerate(points):
        y = len(points) - 1 - i
        if p.percent is not None:
            if p.low is not None and p.high is not None:
                ax.errorbar(
                    p.percent, y, xerr=[[p.percent - p.low], [p.high - p.percent]], fmt="o",
                    color=ORDINARY[0], capsize=4, label="percentage and 95 % interval" if i == 0 else None,
                )  # fmt: skip
            else:
                ax.plot(
                    p.percent, y, "D", color=ORDINARY[0], label="percentage" if i == 0 else None
                )
        ax.text(101, y, p.text, va="center", fontsize=7)
    if target is not None:
        ax.axvline(target, color="black", linestyle=(0, (4, 2)), linewidth=1.2,
                   label=f"target {target:g} %")  # fmt: skip
    ax.set_yticks(range(len(points)), [p.label for p in reversed(points)], fontsize=8)
    ax.set_xlim(0, 135)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("per cent", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title(title, fontsize=10)
    return _png(fig, credit)


def hotspot_map(
    grid: Grid, mask: np.ndarray, classes: np.ndarray, area: BaseGeometry,
    districts: Sequence[BaseGeometry], *, title: str, legend_label: str, subtitle: str,
) -> bytes:  # fmt: skip
    """Gi* classes of the grid's cells over the study area (the where room's map)."""
    with tempfile.TemporaryDirectory(prefix="harmwatch-report-") as folder:
        path = Path(folder) / "hotspots.png"
        draw_grid_map(
            path, grid, np.zeros(mask.shape), mask,
            title=title, legend_label=legend_label, area=area, classes=classes,
            districts=districts, subtitle=subtitle,
        )  # fmt: skip
        return path.read_bytes()


@dataclass(frozen=True)
class DistrictShade:
    name: str
    geometry: BaseGeometry
    klass: str  # a key of CHANGE_CLASSES


def change_map(
    shades: Sequence[DistrictShade], area: BaseGeometry, *, title: str, subtitle: str,
    police_generated: bool,
) -> bytes:  # fmt: skip
    """Districts shaded by the change of their count between baseline and period."""
    fig, ax = plt.subplots(figsize=(8.2, 8.2), dpi=DPI)
    for shade in shades:
        geoms = getattr(shade.geometry, "geoms", [shade.geometry])
        for geom in geoms:
            if geom.geom_type != "Polygon":
                continue
            xs, ys = geom.exterior.xy
            ax.fill(
                np.asarray(xs), np.asarray(ys), facecolor=CHANGE_CLASSES[shade.klass],
                edgecolor="#555555", linewidth=0.5, hatch=CHANGE_HATCH.get(shade.klass),
            )  # fmt: skip
    outline(ax, area, color="black", linewidth=1.0)
    counts = {k: sum(s.klass == k for s in shades) for k in CHANGE_CLASSES}
    handles = [
        Patch(facecolor=colour, edgecolor="#555555", hatch=CHANGE_HATCH.get(k),
              label=f"{k} ({counts[k]} {'district' if counts[k] == 1 else 'districts'})")
        for k, colour in CHANGE_CLASSES.items() if counts[k]
    ]  # fmt: skip
    ax.legend(handles=handles, loc="lower right", fontsize=8, title="change on the baseline",
              title_fontsize=9)  # fmt: skip
    frame_in_km(ax, area.bounds, pad_share=0.03)
    draw_place_labels(ax, area=area)
    note = (
        " A police-generated crime type: a rise may mean more searching, a fall less."
        if police_generated
        else ""
    )
    ax.set_title(f"{title}\n{subtitle}{note}", fontsize=9, wrap=True)
    return _png(fig, ATTRIBUTION)


def classes_grid(shape: tuple[int, int], cell_ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A grid of class labels ('' outside the study area) from each cell's id and class."""
    out = np.full(math.prod(shape), "", dtype=object)
    out[cell_ids] = labels
    return out.reshape(shape)
