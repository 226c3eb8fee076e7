"""police.uk measures on real data: counts against pandas on the raw CSVs, comparisons against
``change``, and the period and baseline chosen as ``change`` chooses them, said."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.oversight.framework import shipped_framework
from harmwatch.oversight.measures import compute
from harmwatch.timeline.months import month_range

SAMPLE_FORCES = ["bedfordshire", "cambridgeshire", "hertfordshire"]
NEIGHBOURHOOD = ["Burglary", "Robbery", "Theft from the person", "Vehicle crime"]


def raw_count(police_uk: Path, force: str, months: tuple[str, str], types: list[str]) -> int:
    """Street crimes of ``types`` in the published CSVs, by pandas."""
    total = 0
    for month in month_range(*months):
        frame = pd.read_csv(police_uk / month / f"{month}-{force}-street.csv.gz")
        total += int(frame["Crime type"].isin(types).sum())
    return total


@pytest.fixture(scope="module")
def sample_report(sample_db: Path):  # type: ignore[no-untyped-def]
    return compute(sample_db, SAMPLE_FORCES, published=False,
                   measures=["drug-offences", "neighbourhood-crime", "weapons-possession"])  # fmt: skip


def test_the_latest_quarter_and_the_fallback_baseline_are_said(sample_report) -> None:  # type: ignore[no-untyped-def]
    # The sample holds 2025 only: the same months a year earlier are not loaded.
    assert sample_report.period == ("2025-10", "2025-12")
    assert sample_report.baseline == ("2025-07", "2025-09")
    chosen = " ".join(sample_report.defaults_chosen)
    assert "the latest 3 months loaded" in chosen and "just before the period" in chosen
    assert "2024-10…2024-12" in chosen  # which months it could not use
    drugs = sample_report.result("drug-offences")
    assert any("different calendar months" in c for c in drugs.caveats)


def test_counts_equal_pandas_and_comparisons_equal_change(
    sample_report, sample_db: Path, police_uk: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = {m.key: m for m in shipped_framework().measures}
    for key in ("drug-offences", "neighbourhood-crime", "weapons-possession"):
        result = sample_report.result(key)
        types = list(spec[key].option("crime_types"))
        for area in result.areas:
            assert area.value == raw_count(police_uk, area.force, ("2025-10", "2025-12"), types)
            assert area.baseline == raw_count(police_uk, area.force, ("2025-07", "2025-09"), types)
            expected = change(sample_db, ChangeRequest(
                forces=(area.force,), crime_types=tuple(types), period=("2025-10", "2025-12"),
                baseline=("2025-07", "2025-09"),
            ))  # fmt: skip
            got = area.comparison
            assert got is not None
            assert (got.after, got.before) == (expected.count_period, expected.count_baseline)
            assert (got.rate.ratio, got.rate.ci_low, got.rate.ci_high, got.rate.p_value) == (
                expected.rate.ratio, expected.rate.ci_low, expected.rate.ci_high,
                expected.rate.p_value,
            )  # fmt: skip
            assert got.beyond_chance == expected.distinguishable_from_chance
        total = result.total
        assert total is not None and total.value == sum(a.value for a in result.areas)
        everyone = change(sample_db, ChangeRequest(
            forces=tuple(SAMPLE_FORCES), crime_types=tuple(types), period=("2025-10", "2025-12"),
            baseline=("2025-07", "2025-09"),
        ))  # fmt: skip
        assert (total.value, total.baseline) == (everyone.count_period, everyone.count_baseline)
        assert total.comparison is not None
        assert total.comparison.rate.ci_low == everyone.rate.ci_low


def test_a_year_earlier_where_it_is_loaded(beds_db: Path, police_uk: Path) -> None:
    report = compute(beds_db, ["bedfordshire"], published=False, measures=["drug-offences"])
    assert report.period == ("2024-02", "2024-04") and report.baseline == ("2023-02", "2023-04")
    assert any("the same months a year earlier" in d for d in report.defaults_chosen)
    [area] = report.result("drug-offences").areas
    assert area.value == raw_count(police_uk, "bedfordshire", report.period, ["Drugs"])
    assert area.baseline == raw_count(police_uk, "bedfordshire", report.baseline, ["Drugs"])
    assert report.result("drug-offences").total is None  # one force: its own figure is the headline
    assert report.result("drug-offences").target_status == "no target"  # neutral


def test_neighbourhood_crime_is_judged_against_its_direction(sample_report) -> None:  # type: ignore[no-untyped-def]
    result = sample_report.result("neighbourhood-crime")
    comparison = result.total.comparison
    assert comparison is not None
    expected = "cannot tell" if comparison.beyond_chance is False else None
    if comparison.beyond_chance:  # beyond chance: met when it fell, not met when it rose
        expected = "met" if comparison.rate.ratio < 1 else "not met"
    assert result.target_status == expected


def test_a_force_without_data_and_a_period_not_loaded(sample_db: Path) -> None:
    report = compute(sample_db, ["bedfordshire", "dorset"], ("2025-10", "2025-12"),
                     published=False, measures=["drug-offences"])  # fmt: skip
    beds, dorset = report.result("drug-offences").areas
    assert beds.available and not dorset.available
    assert "dorset" in dorset.reason and dorset.value is None  # no zero made up
    total = report.result("drug-offences").total
    assert total is not None and not total.available and "Dorset Police" in total.reason
    early = compute(sample_db, ["bedfordshire"], ("2025-01", "2025-03"), published=False,
                    measures=["drug-offences"])  # fmt: skip
    [area] = early.result("drug-offences").areas
    assert not area.available and "not loaded" in area.reason
