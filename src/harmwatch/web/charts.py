"""Small charts drawn on the server: SVG for the page, PNG (matplotlib) for download.

A chart library in the browser would need either inline scripts (refused by the
Content-Security-Policy) or a sizeable vendored bundle for what is a handful of
monthly lines. SVG drawn here is a few kilobytes, needs no script, prints and
downloads as it is, and is styled by classes from the app's stylesheet (inline
``style`` attributes are refused by the CSP too).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from html import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Series = tuple[str, Sequence[tuple[str, int]]]

# Matches .series-N in static/css/app.css (colour-blind-safe Okabe–Ito order).
PALETTE = ("#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2, 2.5 or 5 x 10^n steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step)
    return [i * step for i in range(n + 1)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_tick(month: str) -> str:
    """'2025-01' -> 'Jan 25': short enough for twelve or more ticks on one axis."""
    try:
        return f"{MONTH_ABBR[int(month[5:7]) - 1]} {month[2:4]}"
    except (ValueError, IndexError):
        return month


def line_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    width: int = 1100,
    height: int = 300,
    y_label: str = "crimes per month",
) -> str:
    """A multi-series line chart of monthly counts as an accessible SVG element.

    The default size is about the width it is shown at, so its text stays the
    size of the page's text.
    """
    left, right, top, bottom = 64, 40, 36, 48
    months = sorted({m for _, points in series for m, _ in points})
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for _, points in series for _, n in points), default=0)
    ticks = nice_ticks(peak)
    y_max = ticks[-1] or 1.0

    def x_at(i: int) -> float:
        return left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {n}" for m, n in points) for name, points in series
    )
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
        f'<rect class="chart-bg" x="0" y="0" width="{width}" height="{height}"/>',
        f'<text class="chart-title" x="{left}" y="20">{escape(title)}</text>',
        f'<text class="chart-tick" x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(y_label)}</text>',
    ]
    for t in ticks:
        y = y_at(t)
        out.append(
            f'<line class="chart-grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    step = max(1, math.ceil(len(months) / 12))
    for i, m in enumerate(months):
        if i % step == 0 or i == len(months) - 1:
            out.append(
                f'<text class="chart-tick" x="{x_at(i):.1f}" y="{top + plot_h + 18}" '
                f'text-anchor="middle">{escape(month_tick(m))}</text>'
            )
    out.append(
        f'<line class="chart-axis" x1="{left}" x2="{left + plot_w}" '
        f'y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    index = {m: i for i, m in enumerate(months)}
    for k, (name, points) in enumerate(series):
        cls = f"series-{k % len(PALETTE)}"
        coords = " ".join(f"{x_at(index[m]):.1f},{y_at(n):.1f}" for m, n in points)
        out.append(f'<polyline class="chart-line {cls}" points="{coords}"/>')
        for m, n in points:
            out.append(
                f'<circle class="chart-dot {cls}" cx="{x_at(index[m]):.1f}" cy="{y_at(n):.1f}" r="3">'
                f"<title>{escape(name)}, {escape(m)}: {n:,}</title></circle>"
            )
    # Legend along the bottom.
    x = left
    for k, (name, _) in enumerate(series):
        cls = f"series-{k % len(PALETTE)}"
        out.append(
            f'<rect class="chart-key {cls}" x="{x}" y="{height - 14}" width="12" height="4"/>'
        )
        out.append(
            f'<text class="chart-legend" x="{x + 16}" y="{height - 9}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def sparkline_svg(points: Sequence[tuple[str, int]], *, label: str) -> str:
    """A tiny trend line for a table row; the numbers themselves are in the row."""
    width, height = 120, 28
    values = [n for _, n in points]
    if not values:
        return ""
    peak = max(values) or 1
    xs = [2 + (width - 4) * i / max(len(values) - 1, 1) for i in range(len(values))]
    ys = [height - 3 - (height - 6) * v / peak for v in values]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline class="spark-line" points="{coords}"/>'
        f'<circle class="spark-end" cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="2.5"/></svg>'
    )


def standalone_svg(svg: str) -> bytes:
    """The chart as a file: the same SVG with its colours written in (no stylesheet there)."""
    css = (
        ".chart-bg{fill:#fff}.chart-title{font:600 14px sans-serif;fill:#1b2733}"
        ".chart-grid{stroke:#e3e8ee}.chart-axis{stroke:#7a8794}"
        ".chart-tick,.chart-legend{font:11px sans-serif;fill:#4a5866}"
        ".chart-line{fill:none;stroke-width:2}.chart-dot{stroke:#fff;stroke-width:1}"
    )
    for k, colour in enumerate(PALETTE):
        css += (
            f".series-{k}.chart-line{{stroke:{colour}}}.series-{k}.chart-dot,"
            f".series-{k}.chart-key{{fill:{colour}}}"
        )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    body = svg.replace("</title>", f"</title><style>{css}</style>", 1)
    return (head + body).encode()


def line_chart_png(series: Sequence[Series], *, title: str, attribution: str) -> bytes:
    """The same chart as a PNG, for reports and slides."""
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    for k, (name, points) in enumerate(series):
        ax.plot(
            [m for m, _ in points],
            [n for _, n in points],
            marker="o",
            markersize=3,
            color=PALETTE[k % len(PALETTE)],
            label=name,
        )
    ax.set_title(title, fontsize=11)
    ax.set_ylabel("crimes per month")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e3e8ee")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if series:
        ax.legend(fontsize=8)
    fig.text(0.01, 0.01, attribution, fontsize=6, color="#444444")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
