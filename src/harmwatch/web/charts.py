"""Small charts drawn on the server: SVG for the page, PNG (matplotlib) for download.

A chart library in the browser would need either inline scripts (refused by the
Content-Security-Policy) or a sizeable vendored bundle for what is a handful of
monthly lines. SVG drawn here is a few kilobytes, needs no script, prints and
downloads as it is, and is styled by classes from the app's stylesheet (inline
``style`` attributes are refused by the CSP too).

Time runs on a calendar axis: a month that is not loaded keeps its place, and
every line (SVG, sparkline and PNG alike) is broken there, one segment per run of
consecutive months, so no line is drawn across months that have no data. The
gap is also marked on the axis and said in the chart's description.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from html import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from harmwatch.timeline.months import MONTH_ABBR, calendar_span, consecutive_runs, run_label

Series = tuple[str, Sequence[tuple[str, int]]]

# Matches .series-N in static/css/app.css (colour-blind-safe Okabe–Ito order), with a
# dash pattern each, so that a series is known by its line as well as its colour.
PALETTE = ("#0b5cad", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "14 4", "4 2 4 6")
MPL_DASHES = ("-", (0, (8, 4)), (0, (2, 3)), (0, (10, 3, 2, 3)), (0, (14, 4)), (0, (4, 2, 4, 6)))


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


def segments(points: Sequence[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """A series split at its gaps: one list of (month, count) per run of consecutive months."""
    by_month = dict(points)
    return [[(m, by_month[m]) for m in run] for run in consecutive_runs(by_month)]


def gaps(months: Sequence[str]) -> list[list[str]]:
    """The runs of calendar months missing between the first and last of ``months``."""
    have = set(months)
    missing = [m for m in calendar_span(months) if m not in have]
    return consecutive_runs(missing)


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
    loaded = sorted({m for _, points in series for m, _ in points})
    months = calendar_span(loaded)  # a gap keeps its width on the axis
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for _, points in series for _, n in points), default=0)
    ticks = nice_ticks(peak)
    y_max = ticks[-1] or 1.0

    def x_at(i: int) -> float:
        return left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    missing = gaps(loaded)
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {n}" for m, n in points) for name, points in series
    )
    if missing:
        desc += "; no data (not loaded): " + ", ".join(run_label(run) for run in missing)
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
    for run in missing:
        # Marked in words on the axis, not by colour: "no data" under the gap.
        x0, x1 = x_at(index[run[0]]), x_at(index[run[-1]])
        out.append(
            f'<line class="chart-grid chart-gap" x1="{x0:.1f}" x2="{x1:.1f}" '
            f'y1="{top + plot_h}" y2="{top + plot_h}"/>'
            f'<text class="chart-tick chart-gap-label" x="{(x0 + x1) / 2:.1f}" '
            f'y="{top + plot_h - 6}" text-anchor="middle">no data</text>'
        )
    for k, (name, points) in enumerate(series):
        cls = f"series-{k % len(PALETTE)}"
        for part in segments(points):
            # One polyline per run of consecutive months: never a line across a gap.
            coords = " ".join(f"{x_at(index[m]):.1f},{y_at(n):.1f}" for m, n in part)
            out.append(f'<polyline class="chart-line {cls}" points="{coords}"/>')
        for m, n in points:
            out.append(
                f'<circle class="chart-dot {cls}" cx="{x_at(index[m]):.1f}" cy="{y_at(n):.1f}" r="3">'
                f"<title>{escape(name)}, {escape(m)}: {n:,}</title></circle>"
            )
    # Legend along the bottom: each series' line drawn with its own dash pattern as
    # well as its colour, so the series can be told apart without colour.
    x = left
    for k, (name, _) in enumerate(series):
        cls = f"series-{k % len(PALETTE)}"
        out.append(
            f'<line class="chart-line chart-key-line {cls}" x1="{x}" x2="{x + 22}" '
            f'y1="{height - 12}" y2="{height - 12}"/>'
        )
        out.append(
            f'<text class="chart-legend" x="{x + 28}" y="{height - 8}">{escape(name)}</text>'
        )
        x += 40 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def chart_table(series: Sequence[Series]) -> tuple[list[str], list[tuple[str, list[int | None]]]]:
    """The figures a line chart draws, as a table: series names, then one row per month.

    Shown beside the chart, so that its figures can be read without seeing colour or
    shape at all (a screen reader, a printout in black and white). A month a series
    has no figure for is None: not loaded, not zero.
    """
    names = [name for name, _ in series]
    by_series = [dict(points) for _, points in series]
    months = sorted({m for _, points in series for m, _ in points})
    return names, [(m, [values.get(m) for values in by_series]) for m in months]


def sparkline_svg(points: Sequence[tuple[str, int]], *, label: str) -> str:
    """A tiny trend line for a table row; the numbers themselves are in the row."""
    width, height = 120, 28
    values = [n for _, n in points]
    if not values:
        return ""
    peak = max(values) or 1
    months = calendar_span([m for m, _ in points])
    index = {m: i for i, m in enumerate(months)}

    def x_at(month: str) -> float:
        return 2 + (width - 4) * index[month] / max(len(months) - 1, 1)

    def y_at(value: int) -> float:
        return height - 3 - (height - 6) * value / peak

    lines = "".join(
        '<polyline class="spark-line" points="'
        + " ".join(f"{x_at(m):.1f},{y_at(n):.1f}" for m, n in part)
        + '"/>'
        for part in segments(points)
    )
    missing = gaps([m for m, _ in points])
    if missing:
        label += "; no data for " + ", ".join(run_label(run) for run in missing)
    last_month, last_value = max(points)
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"{lines}"
        f'<circle class="spark-end" cx="{x_at(last_month):.1f}" cy="{y_at(last_value):.1f}" '
        'r="2.5"/></svg>'
    )


def standalone_svg(svg: str) -> bytes:
    """The chart as a file: the same SVG with its colours written in (no stylesheet there)."""
    css = (
        ".chart-bg{fill:#fff}.chart-title{font:600 14px sans-serif;fill:#1b2733}"
        ".chart-grid{stroke:#e3e8ee}.chart-axis{stroke:#7a8794}"
        ".chart-tick,.chart-legend{font:11px sans-serif;fill:#4a5866}"
        ".chart-line{fill:none;stroke-width:2}.chart-dot{stroke:#fff;stroke-width:1}"
        ".chart-gap{stroke:#7a8794;stroke-dasharray:4 3}"
    )
    for k, colour in enumerate(PALETTE):
        dash = f";stroke-dasharray:{DASHES[k]}" if DASHES[k] else ""
        css += (
            f".series-{k}.chart-line{{stroke:{colour}{dash}}}.series-{k}.chart-dot,"
            f".series-{k}.chart-key{{fill:{colour}}}"
        )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    body = svg.replace("</title>", f"</title><style>{css}</style>", 1)
    return (head + body).encode()


def line_chart_png(series: Sequence[Series], *, title: str, attribution: str) -> bytes:
    """The same chart as a PNG, for reports and slides."""
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    loaded = sorted({m for _, points in series for m, _ in points})
    months = calendar_span(loaded)
    index = {m: i for i, m in enumerate(months)}
    for k, (name, points) in enumerate(series):
        for i, part in enumerate(segments(points)):
            # One line per run, on a calendar axis: a gap stays a gap.
            ax.plot(
                [index[m] for m, _ in part],
                [n for _, n in part],
                marker="osD^vs"[k % 6],
                markersize=3,
                color=PALETTE[k % len(PALETTE)],
                linestyle=MPL_DASHES[k % len(MPL_DASHES)],
                label=name if i == 0 else None,
            )
    for run in gaps(loaded):
        ax.axvspan(index[run[0]] - 0.5, index[run[-1]] + 0.5, color="#eeeeee", hatch="//")
        ax.text(
            (index[run[0]] + index[run[-1]]) / 2, 0, "no data", ha="center", va="bottom", fontsize=7
        )
    step = max(1, -(-len(months) // 12))
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels([month_tick(m) for m in months[::step]])
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
