"""The evaluation chart: monthly series with the intervention period shaded, and a small map.

The series are drawn as an index (each series' pre-period monthly mean = 100)
because the target, its buffer and one control LSOA differ in size by an order of
magnitude; what a DiD compares is how each moved from its own level. Raw monthly
counts for the target are printed on the map panel's title so nobody mistakes the
index for crimes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np

from harmwatch.evaluation.evaluate import Evaluation
from harmwatch.evaluation.rates import interval_text
from harmwatch.maps.charts import save_figure
from harmwatch.maps.render import frame_in_km, outline


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
    ax.plot(x, _index(frame["buffer"].to_numpy(), n_pre), color="#2e86c1", linewidth=1.4,
            label=f"{ev.buffer_m:g} m buffer ({ev.counts['buffer_before'] + ev.counts['buffer_after']} crimes)")  # fmt: skip
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
        f"p = {did.p_value:.3f}); 95 % CIs",
        fontsize=10,
    )
    mp = fig.add_subplot(grid[0, 2])
    cx, cy = ev.map_points.get("controls", (np.empty(0), np.empty(0)))
    mp.scatter(cx, cy, s=3, color="#999999", label="control LSOAs' crime locations")
    bx, by = ev.map_points.get("buffer", (np.empty(0), np.empty(0)))
    mp.scatter(bx, by, s=6, color="#2e86c1", label="buffer crimes")
    tx, ty = ev.map_points.get("target", (np.empty(0), np.empty(0)))
    mp.scatter(tx, ty, s=8, color="#c0392b", label="target crimes")
    outline(mp, ev.zone, color="#2e86c1", linewidth=1.0)
    outline(mp, ev.target.geometry, color="#c0392b", linewidth=1.6)
    frame_in_km(mp, ev.zone.bounds, pad_share=0.35, label_size=8)
    mp.set_title(
        f"target {ev.counts['target_before']} → {ev.counts['target_after']} crimes, "
        f"buffer {ev.counts['buffer_before']} → {ev.counts['buffer_after']}\n"
        f"({n_pre} months before, {len(ev.post_months)} after)",
        fontsize=9,
    )
    mp.legend(loc="lower right", fontsize=7, markerscale=2)
    return save_figure(fig, path)
