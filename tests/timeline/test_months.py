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
