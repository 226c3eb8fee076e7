"""The evaluation chart: monthly series with the intervention period shaded, and a small map.

The series are drawn as an index (each series' pre-period monthly mean = 100)
because the target, its buffer and one control LSOA differ in size by an order of
magnitude; what a DiD compares is how each moved from its own level. Raw monthly
counts for the target are printed on the map panel's title so nobody mistakes the
index for crimes.

The months drawn are always one run of consecutive months (``evaluate`` refuses a
window with a month not loaded), so the lines have no gap to break at.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from harmwatch.evaluation.aggregates import AggregateEvaluation
from harmwatch.evaluation.evaluate import Evaluation
from harmwatch.evaluation.rates import interval_text, p_text
from harmwatch.maps.charts import save_figure
from harmwatch.maps.render import draw_place_labels, frame_in_km, outline
from harmwatch.outputs.suppression import FEWER_THAN_5, WITHHELD


def _index(series: np.ndarray, n_pre: int) -> np.ndarray:
    base = float(np.mean(series[:n_pre])) if n_pre else 0.0
    if base <= 0:
        return np.full(len(series), np.nan)
    return 100.0 * np.asarray(series, dtype=float) / base


def draw_evaluation_chart(evaluation: Evaluation, path: str | Path) -> Path:
    """Draw the series (index, pre-period mean = 100) and the map of target, buffer, controls."""
    ev = evaluation
    frame = ev.series
    n_pre = len(ev.pre_months)
    x = np.arange(len(frame))
    fig = plt.figure(figsize=(13, 6.2), dpi=110)
    grid = fig.add_gridspec(1, 3, width_ratios=(2.1, 0.05, 1.0))
    ax = fig.add_subplot(grid[0, 0])
    ax.axvspan(n_pre - 0.5, len(frame) - 0.5, color="#f6ddcc", alpha=0.7, label="after the start")
    ax.axhline(100, color="#888888", linewidth=0.6)
    ax.plot(x, _index(frame["target"].to_numpy(), n_pre), color="#c0392b", linewidth=2.2,
            marker="o", markersize=3, label=f"target ({ev.counts['target_before'] + ev.counts['target_after']} crimes)")  # fmt: skip
    # Each line has its own dash and marker as well as colour: the chart reads in greyscale.
    ax.plot(x, _index(frame["buffer"].to_numpy(), n_pre), color="#2e86c1", linewidth=1.4,
            linestyle=":", marker="s", markersize=2.5, label=f"{ev.buffer_m:g} m buffer ({ev.counts['buffer_before'] + ev.counts['buffer_after']} crimes)")  # fmt: skip
    ax.plot(x, _index(frame["controls_total"].to_numpy(), n_pre), color="#555555",
            linewidth=1.4, linestyle="--", label=f"controls ({len(ev.controls.codes)} LSOAs)")  # fmt: skip
    step = max(1, len(frame) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(frame["month"].to_numpy()[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("monthly crimes, index (pre-period mean = 100)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=8)
    rr, did = ev.rate_ratio, ev.did
    where = ev.target.description
    if len(where) > 80:
        where = (
            f"{len(ev.target.units)} LSOAs ({', '.join(ev.target.units[:3])}, …)"
            if ev.target.kind == "lsoa"
            else where[:79] + "…"
        )
    ax.set_title(
        f"{', '.join(ev.crime_types)}: {where}\n"
        f"before/after rate ratio {rr.ratio:.2f} ({interval_text(rr.ci_low, rr.ci_high)}); "
        f"DiD vs controls {did.estimate:.2f} ({interval_text(did.ci_low, did.ci_high)}, "
        f"{p_text(did.p_value)}); 95 % CIs",
        fontsize=10,
    )
    mp = fig.add_subplot(grid[0, 2])
    figures: list[Text] = []
    if isinstance(ev, AggregateEvaluation):
        figures = _squares_panel(mp, ev)  # a role without street-level sight: per square
        bounds = ev.drawn_zone.bounds
    else:
        cx, cy = ev.map_points.get("controls", (np.empty(0), np.empty(0)))
        mp.scatter(cx, cy, s=3, color="#999999", marker=".", label="control LSOAs' crime locations")
        bx, by = ev.map_points.get("buffer", (np.empty(0), np.empty(0)))
        mp.scatter(bx, by, s=7, color="#2e86c1", marker="s", label="buffer crimes")
        tx, ty = ev.map_points.get("target", (np.empty(0), np.empty(0)))
        mp.scatter(tx, ty, s=9, color="#c0392b", marker="o", label="target crimes")
        outline(mp, ev.zone, color="#2e86c1", linewidth=1.0, linestyle="--")
        outline(mp, ev.target.geometry, color="#c0392b", linewidth=1.6)
        bounds = ev.zone.bounds
    frame_in_km(mp, bounds, pad_share=0.35, label_size=8)
    draw_place_labels(mp, fontsize=7, avoid=figures)
    mp.set_title(
        f"target {ev.counts['target_before']} → {ev.counts['target_after']} crimes, "
        f"buffer {ev.counts['buffer_before']} → {ev.counts['buffer_after']}\n"
        f"({n_pre} months before, {len(ev.post_months)} after)",
        fontsize=9,
    )
    if not isinstance(ev, AggregateEvaluation):
        mp.legend(loc="lower right", fontsize=7, markerscale=2)
    return save_figure(fig, path)


# Square labels: "c" for withheld, as ONS tables mark confidential cells.
_SHORT = {FEWER_THAN_5: "<5", WITHHELD: "c"}
_MAX_LABELLED_ACROSS = 16  # squares across the panel beyond which counts would not fit


def _squares_panel(ax: plt.Axes, ev: AggregateEvaluation) -> list[Text]:
    """Target and buffer crimes per 500 m square, suppressed; control LSOAs' squares in grey.

    Returns the counts written in the squares, for place names to keep clear of.
    """
    squares = ev.squares
    written: list[Text] = []
    size = squares.size_m
    for x0, y0, _, _ in squares.control_boxes():
        ax.add_patch(Rectangle((x0, y0), size, size, facecolor="#e5e8eb", edgecolor="none"))
    xmin, _, xmax, _ = ev.drawn_zone.bounds
    label = (xmax - xmin) / size <= _MAX_LABELLED_ACROSS
    for k in range(len(squares)):
        target, buffer = squares.shown("target", k), squares.shown("buffer", k)
        x0, y0, _, _ = squares.box(k)
        colour = "#c0392b" if target not in (None, 0) else "#2e86c1"
        if target in (None, 0) and buffer in (None, 0):
            continue
        ax.add_patch(
            Rectangle((x0, y0), size, size, facecolor=colour, alpha=0.28, edgecolor=colour,
                      linewidth=0.6)
        )  # fmt: skip
        if not label:
            continue
        lines = [
            (_SHORT.get(str(v), str(v)), c)
            for v, c in ((target, "#7b241c"), (buffer, "#1b4f72"))
            if v not in (None, 0)
        ]
        for n, (text, c) in enumerate(lines):
            offset = (0.5 - (n - (len(lines) - 1) / 2) * 0.32) * size
            written.append(ax.text(x0 + size / 2, y0 + offset, text, ha="center",
                                   va="center", fontsize=6, color=c))  # fmt: skip
    outline(ax, ev.drawn_zone, color="#2e86c1", linewidth=1.0)
    outline(ax, ev.drawn_target, color="#c0392b", linewidth=1.6)
    handles = [
        Patch(facecolor="#c0392b", alpha=0.28, label=f"target crimes per {size:g} m square"),
        Patch(facecolor="#2e86c1", alpha=0.28, label="buffer crimes per square"),
        Patch(facecolor="#e5e8eb", label="control LSOAs nearby"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=7,
              title="<5: fewer than 5 · c: withheld", title_fontsize=6)  # fmt: skip
    if squares.left_off:
        ax.text(0.01, 0.92, "not mapped (too few to show): " + ", ".join(squares.left_off),
                transform=ax.transAxes, fontsize=6, va="top")  # fmt: skip
    return written
