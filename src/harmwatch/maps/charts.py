"""Small static charts (matplotlib) with the attribution every figure carries."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from harmwatch import ATTRIBUTION


def save_figure(fig: plt.Figure, path: str | Path) -> Path:
    """Save with the attribution, via a temporary name so no half-written PNG is left."""
    fig.text(
        0.01, 0.01, ATTRIBUTION, fontsize=6, wrap=True, ha="left", va="bottom", color="#444444"
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


def draw_forecast_chart(monthly: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Hit rate per method, month by month, one panel per coverage; gaps between runs stay gaps."""
    coverages = sorted(monthly["coverage"].unique())
    fig, axes = plt.subplots(
        1, len(coverages), figsize=(4.2 * len(coverages), 4.2), dpi=110, sharey=True
    )
    axes = [axes] if len(coverages) == 1 else list(axes)
    for ax, coverage in zip(axes, coverages, strict=True):
        part = monthly[monthly["coverage"] == coverage]
        for method, rows in part.groupby("method", sort=False):
            # One line per run: a line drawn across a gap would invent months.
            for i, (_, run_rows) in enumerate(rows.groupby("run", sort=False)):
                ax.plot(
                    pd.to_datetime(run_rows["target_month"]),
                    run_rows["hit_rate"],
                    marker="o",
                    markersize=3,
                    label=str(method) if i == 0 else None,
                    color=f"C{list(part['method'].unique()).index(method)}",
                )
        ax.set_title(f"flagging {coverage:.0%} of the study area", fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_ylabel("hit rate (share of next month's crimes)")
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return save_figure(fig, path)


def draw_coverage_curve(curve: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Hit rate against the share of the study area flagged, one line per method.

    ``curve`` has ``method, coverage, hit_rate`` (all hits over all crimes of the
    months scored). Two panels: up to 20 % of the area, where patrol plans work,
    and the whole area, so a method whose hit rate stops growing (cells it cannot
    rank, flagged at random) shows as a line that bends towards the diagonal.
    The diagonal is what flagging cells at random finds.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4), dpi=110)
    methods = list(dict.fromkeys(curve["method"]))
    for ax, top in zip(axes, (0.20, 1.0), strict=True):
        for i, method in enumerate(methods):
            rows = curve[(curve["method"] == method) & (curve["coverage"] <= top + 1e-9)]
            rows = rows.sort_values("coverage")
            ax.plot(
                [0.0, *(100 * rows["coverage"]).tolist()],
                [0.0, *rows["hit_rate"].tolist()],
                label=str(method),
                color="black" if method == "recommended" else f"C{i % 10}",
                linestyle="--" if method == "recommended" else "-",
                linewidth=2.2 if method == "recommended" else 1.4,
            )
        ax.plot([0, 100 * top], [0, top], color="#999999", linewidth=0.8, linestyle=":",
                label="cells at random")  # fmt: skip
        ax.set_xlim(0, 100 * top)
        ax.set_ylim(0, 1)
        ax.set_xlabel("share of the study area flagged (%)")
        ax.set_ylabel("hit rate (share of next month's crimes)")
        ax.set_title(f"up to {100 * top:.0f} % of the area", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=11)
    return save_figure(fig, path)
