"""The report's charts: lines within runs of consecutive months, broken at a gap and at a hidden
month, dash patterns that tell the parts apart, and greys for police-generated crime."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import matplotlib.dates as mdates
import pytest
import shapely
from matplotlib.axes import Axes

from harmwatch.oversight import report_charts as charts
from harmwatch.timeline.months import month_number

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every line the charts draw: its months, its label and its style."""
    drawn: list[dict[str, Any]] = []
    plot = Axes.plot

    def spy(self: Axes, *args: Any, **kwargs: Any) -> Any:
        if args and len(args) >= 2 and len(args[0]) and hasattr(args[0][0], "year"):
            months = [f"{d.year:04d}-{d.month:02d}" for d in args[0]]
            drawn.append({"months": months, **kwargs})
        return plot(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", spy)
    return drawn


def _consecutive(months: list[str]) -> bool:
    numbers = [month_number(m) for m in months]
    return all(b - a == 1 for a, b in pairwise(numbers))


def test_monthly_lines_break_at_gaps_and_hidden_months(lines: list[dict[str, Any]]) -> None:
    series = charts.MonthlySeries(
        "Hertfordshire Constabulary",
        period={"2025-10": 311, "2025-11": None, "2025-12": 364},  # November hidden by the rule
        baseline={"2024-10": 290, "2024-11": 301, "2024-12": 280},
        context={"2025-01": 200, "2025-02": 210, "2025-05": 190, "2025-06": 185},  # Mar–Apr missing
    )
    png = charts.monthly_chart("Drugs", [series], police_generated=True)
    assert png.startswith(PNG)
    assert lines and all(_consecutive(line["months"]) for line in lines)
    period = [line["months"] for line in lines if line.get("color") == charts.NEUTRAL[0]]
    assert sorted(period) == [["2025-10"], ["2025-12"]]  # one line each side of the hidden month
    context = [line["months"] for line in lines if line.get("color") == charts.CONTEXT]
    assert context == [["2025-01", "2025-02"], ["2025-05", "2025-06"]]
    # the parts read without colour: solid, dashed, dotted, each labelled once
    styles = {line.get("label"): line.get("linestyle") for line in lines if line.get("label")}
    assert styles == {"period": "-", "baseline": (0, (6, 3)), "other months loaded": ":"}


def test_police_generated_types_are_drawn_in_greys(lines: list[dict[str, Any]]) -> None:
    series = charts.MonthlySeries("A", {"2025-01": 5, "2025-02": 6}, {"2024-01": 7, "2024-02": 8})
    charts.monthly_chart("Drugs", [series], police_generated=True)
    neutral = {line["color"] for line in lines}
    lines.clear()
    charts.monthly_chart("Burglary", [series], police_generated=False)
    ordinary = {line["color"] for line in lines}
    assert neutral == set(charts.NEUTRAL) and ordinary == set(charts.ORDINARY)
    assert not neutral & ordinary


def test_the_time_axis_is_the_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gap keeps its place on the axis: the limits span every calendar month drawn."""
    limits: list[tuple[float, float]] = []
    set_xlim = Axes.set_xlim

    def spy(self: Axes, *args: Any, **kwargs: Any) -> Any:
        limits.append(tuple(mdates.date2num(a) for a in args[:2]))  # type: ignore[arg-type]
        return set_xlim(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "set_xlim", spy)
    series = charts.MonthlySeries("A", {"2025-10": 5}, {"2024-10": 7})
    charts.monthly_chart("Drugs", [series], police_generated=False)
    low, high = limits[-1]
    assert mdates.num2date(low).strftime("%Y-%m") == "2024-09"  # 20 days before Oct 2024
    assert mdates.num2date(high).strftime("%Y-%m") == "2025-10"


def test_bars_shares_and_change_map_draw() -> None:
    bars = [
        charts.Bar("A", 7, None, "7", "fewer than 5"),
        charts.Bar("B", None, None, "withheld", "withheld"),
    ]
    assert charts.bar_chart("Lines closed", bars, unit="count", credit="records").startswith(PNG)
    points = [
        charts.SharePoint("A", 40.0, 30.0, 50.0, "40.0 %"),
        charts.SharePoint("B", None, None, None, "not shown"),
    ]
    assert charts.share_chart("Entered treatment", points, target=100, credit="records").startswith(
        PNG
    )
    square = shapely.box(520_000, 200_000, 530_000, 210_000)
    shades = [charts.DistrictShade("East", shapely.box(525_000, 200_000, 530_000, 210_000), "up, beyond chance"),
              charts.DistrictShade("West", shapely.box(520_000, 200_000, 525_000, 210_000), "not shown")]  # fmt: skip
    png = charts.change_map(shades, square, title="Drugs", subtitle="A", police_generated=True)
    assert png.startswith(PNG)
