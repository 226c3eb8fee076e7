from __future__ import annotations

import pytest

from harmwatch.timeline.months import add_months, consecutive_runs, month_range, parse_month_spec


def test_runs_split_at_gaps_and_cross_years() -> None:
    months = [
        "2019-02",
        "2018-11",
        "2018-12",
        "2019-01",
        "2021-01",
        "2021-03",
        "2021-02",
        "2025-06",
    ]
    assert consecutive_runs(months) == [
        ["2018-11", "2018-12", "2019-01", "2019-02"],
        ["2021-01", "2021-02", "2021-03"],
        ["2025-06"],
    ]


def test_ranges_and_specs() -> None:
    assert month_range("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert add_months("2021-12", 1) == "2022-01" and add_months("2021-01", -1) == "2020-12"
    assert parse_month_spec("2021-03, 2021-01:2021-02") == ["2021-01", "2021-02", "2021-03"]
    with pytest.raises(ValueError, match="not a month"):
        parse_month_spec("2021-13")
    with pytest.raises(ValueError, match="before it starts"):
        month_range("2021-05", "2021-01")


def test_periods_are_described_as_runs() -> None:
    from harmwatch.timeline.months import calendar_span, month_label, periods_text, run_label

    gapped = ["2024-03", "2024-04", *[f"2025-{m:02d}" for m in range(1, 13)]]
    assert periods_text(gapped) == "14 months in 2 runs: Mar 2024–Apr 2024 and Jan 2025–Dec 2025"
    assert periods_text([f"2025-{m:02d}" for m in range(1, 13)]) == "12 months: Jan 2025–Dec 2025"
    assert periods_text(["2025-12"]) == "1 month: Dec 2025"
    assert periods_text(["2021-01", "2021-03", "2021-05"]) == (
        "3 months in 3 runs: Jan 2021, Mar 2021 and May 2021"
    )
    assert periods_text([]) == "no months"
    assert month_label("2025-03") == "Mar 2025" and run_label(["2025-01", "2025-02"]) == (
        "Jan 2025–Feb 2025"
    )
    # A chart's time axis keeps a gap's months, so a line can break there.
    assert calendar_span(["2024-11", "2025-02"]) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert calendar_span([]) == []
