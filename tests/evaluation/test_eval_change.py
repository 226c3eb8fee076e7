"""``change`` against hand arithmetic and an independent route on real Bedfordshire counts."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest
from scipy.stats import binomtest

from harmwatch.evaluation.change import change, parse_period
from harmwatch.evaluation.evaluate import MonthsNotLoadedError
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.where.selection import SelectionError


def sql_count(db: Path, first: str, last: str, lsoa: str | None = None) -> int:
    """The count by a different route: plain SQL on the store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        where = "crime_type = 'Drugs' AND month BETWEEN ?::DATE AND ?::DATE"
        params: list[object] = [f"{first}-01", f"{last}-01"]
        if lsoa:
            where += " AND lsoa_code = ?"
            params.append(lsoa)
        return int(con.execute(f"SELECT count(*) FROM street WHERE {where}", params).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def binomial_route(a: int, b: int, ta: float, tb: float) -> tuple[float, float, float]:
    test = binomtest(a, a + b, ta / (ta + tb))
    ci = test.proportion_ci(confidence_level=0.95, method="exact")
    high = math.inf if ci.high >= 1 else ci.high / (1 - ci.high) * tb / ta
    return ci.low / (1 - ci.low) * tb / ta, high, test.pvalue


def test_force_half_year_against_a_year_earlier(beds_db: Path) -> None:
    # 908 Drugs offences in 2023-01…06 against 905 in 2022-01…06 (the default baseline).
    # Equal exposures, so ratio = 908/905 = 1.003315 and p0 = 1/2.
    # By hand, the log-normal approximation: se = √(1/908 + 1/905) = 0.046973,
    # 1.003315 ×/÷ exp(1.96 · 0.046973) = ×/÷ 1.09642 → 0.9151 … 1.1001; the exact
    # interval is a little wider: 0.91406 … 1.10129.
    result = change(beds_db, ChangeRequest(period=("2023-01", "2023-06")))
    assert (result.count_period, result.count_baseline) == (908, 905)
    assert result.count_period == sql_count(beds_db, "2023-01", "2023-06")
    assert result.baseline == ("2022-01", "2022-06")
    assert result.rate.ratio == pytest.approx(1.003315, abs=1e-6)
    assert result.rate.ci_low == pytest.approx(0.914061, abs=1e-6)
    assert result.rate.ci_high == pytest.approx(1.101288, abs=1e-6)
    assert result.rate.ci_low == pytest.approx(1.003315 / 1.09642, abs=2e-3)
    assert (result.rate.ci_low, result.rate.ci_high, result.rate.p_value) == pytest.approx(
        binomial_route(908, 905, 6, 6), rel=1e-10
    )
    assert result.difference == 3 and result.pct_change == pytest.approx(100 * 3 / 905)
    assert not result.distinguishable_from_chance
    assert "within what chance" in result.sentence
    d = result.to_dict()
    for key in ("rate_ratio", "ci_low", "ci_high", "p_value", "count_period", "count_baseline",
                "pct_change", "distinguishable_from_chance"):  # fmt: skip
        assert key in d


def test_periods_of_different_lengths_compare_per_month(beds_db: Path) -> None:
    # Luton 023A: 40 offences in 6 months (2023-01…06) against 67 in 12 (2022).
    # ratio = (40/6)/(67/12) = 6.6667/5.5833 = 1.19403; p0 = 6/18 = 1/3, n = 107.
    a = sql_count(beds_db, "2023-01", "2023-06", "E01033803")
    b = sql_count(beds_db, "2022-01", "2022-12", "E01033803")
    assert (a, b) == (40, 67)
    result = change(
        beds_db,
        ChangeRequest(
            period=("2023-01", "2023-06"), baseline=("2022-01", "2022-12"), lsoa=["E01033803"]
        ),
    )
    assert result.rate.ratio == pytest.approx(1.19403, abs=1e-5)
    assert result.pct_change == pytest.approx(19.403, abs=1e-3)
    assert (result.rate.ci_low, result.rate.ci_high, result.rate.p_value) == pytest.approx(
        binomial_route(40, 67, 6, 12), rel=1e-10
    )


def test_a_rise_within_chance_and_a_zero_count(beds_db: Path) -> None:
    # Whole force, 2023-07…12 against 2022-07…12: 939 against 884, +6.2 %, which a
    # headline would call a rise: se = √(1/939 + 1/884) = 0.0469, z = ln(1.0622)/0.0469
    # = 1.29, so not distinguishable from chance. Then an LSOA with 0 against 4.
    result = change(beds_db, ChangeRequest(period=("2023-07", "2023-12")))
    assert (result.count_period, result.count_baseline) == (939, 884)
    assert result.pct_change == pytest.approx(100 * 55 / 884)
    assert not result.distinguishable_from_chance
    assert result.rate.p_value == pytest.approx(binomial_route(939, 884, 6, 6)[2], rel=1e-10)
    zero = change(
        beds_db,
        ChangeRequest(
            period=("2023-01", "2023-03"), baseline=("2022-01", "2022-03"), lsoa=["E01015758"]
        ),
    )
    assert (zero.count_period, zero.count_baseline) == (0, 4)
    # 0 of 4 with p0 = 1/2: 0.025^(1/4) = 0.397635, so the upper p = 0.602365 and
    # r = 0.602365/0.397635 = 1.514867; p = 2 · 0.5^4 = 0.125.
    assert zero.rate.ci_low == 0 and zero.rate.ci_high == pytest.approx(1.514867, abs=1e-6)
    assert zero.rate.p_value == pytest.approx(0.125)
    assert zero.rate.note and "one-sided" in zero.rate.note
    assert any("small counts" in c for c in zero.caveats)


def test_refuses_months_not_loaded(beds_db: Path) -> None:
    with pytest.raises(MonthsNotLoadedError, match="baseline month"):
        change(beds_db, ChangeRequest(period=("2021-06", "2021-08")))  # 2020-06…08 not loaded
    with pytest.raises(MonthsNotLoadedError, match="period month"):
        change(
            beds_db, ChangeRequest(period=("2024-03", "2024-06"), baseline=("2023-03", "2023-06"))
        )
    with pytest.raises(ValueError, match="overlaps"):
        change(
            beds_db, ChangeRequest(period=("2023-01", "2023-06"), baseline=("2022-12", "2023-02"))
        )


def test_a_rise_that_is_not_chance(beds_db: Path) -> None:
    # 2022-05…12 against 2021-05…12: 1,173 against 984 (months summed from the store),
    # ratio 1.19207; se = √(1/1173 + 1/984) = 0.04326, z = ln(1.19207)/0.04326 = 4.06.
    result = change(beds_db, ChangeRequest(period=("2022-05", "2022-12")))
    assert (result.count_period, result.count_baseline) == (1173, 984)
    assert result.rate.ratio == pytest.approx(1173 / 984)
    assert result.distinguishable_from_chance and result.rate.p_value < 1e-3
    assert "unlikely to be chance" in result.sentence


def sql_district_count(db: Path, first: str, last: str, district: str | None) -> int:
    """Drugs offences in a district by another route: the LSOA name starts with "<district> ".

    ``district`` None: the crimes without an LSOA, which no district can hold.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        place = "lsoa_name IS NULL" if district is None else "starts_with(lsoa_name, ?)"
        params: list[object] = [f"{first}-01", f"{last}-01"]
        if district is not None:
            params.append(district + " ")
        row = con.execute(
            "SELECT count(*) FROM street WHERE crime_type = 'Drugs' "
            f"AND month BETWEEN ?::DATE AND ?::DATE AND {place}",
            params,
        ).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def test_district_counts_crimes_whose_lsoa_name_starts_with_it(beds_db: Path) -> None:
    result = change(beds_db, ChangeRequest(period=("2023-01", "2023-06"), district="luton"))
    assert result.district == "Luton" and "Luton" in result.area
    a = sql_district_count(beds_db, "2023-01", "2023-06", "Luton")
    b = sql_district_count(beds_db, "2022-01", "2022-06", "Luton")
    assert (result.count_period, result.count_baseline) == (a, b)
    assert 0 < a < sql_count(beds_db, "2023-01", "2023-06")  # a part of the force, not all
    assert (result.rate.ci_low, result.rate.ci_high, result.rate.p_value) == pytest.approx(
        binomial_route(a, b, 6, 6), rel=1e-10
    )
    unplaced = sql_district_count(beds_db, "2023-01", "2023-06", None) + sql_district_count(
        beds_db, "2022-01", "2022-06", None
    )
    assert any(f"{unplaced:,} crimes without an LSOA" in n for n in result.notes), result.notes
    assert result.to_dict()["district"] == "Luton"
    assert "district Luton" in result.sentence


def test_unknown_district_is_refused_with_the_known_ones(beds_db: Path) -> None:
    with pytest.raises(
        SelectionError, match=r"district 'Narnia'.*Districts: .*Central Bedfordshire"
    ):
        change(beds_db, ChangeRequest(period=("2023-01", "2023-06"), district="Narnia"))
    with pytest.raises(ValueError, match="only one of them"):
        change(
            beds_db,
            ChangeRequest(period=("2023-01", "2023-06"), district="Luton", lsoa=["E01033803"]),
        )
    with pytest.raises(ValueError, match="only one of them"):
        change(
            beds_db,
            ChangeRequest(
                period=("2023-01", "2023-06"),
                district="Luton",
                bbox=(500000.0, 200000.0, 510000.0, 210000.0),
            ),
        )


def test_defaults_latest_quarter_and_the_fallback_baseline(beds_db: Path) -> None:
    # The store holds 2021-05…2024-04: the latest three months are 2024-02…04, and a year
    # earlier is loaded, so the fallback is not used even when allowed.
    latest = change(beds_db, ChangeRequest(baseline_fallback=True))
    assert latest.period == ("2024-02", "2024-04") and latest.baseline == ("2023-02", "2023-04")
    assert latest.count_period == sql_count(beds_db, "2024-02", "2024-04")
    assert any("latest 3 months loaded" in d for d in latest.defaults_chosen)
    assert any("a year earlier" in d for d in latest.defaults_chosen)
    # 2021-09…11: a year earlier is not loaded; without the fallback that is refused,
    # with it the three months just before (2021-06…08) are the baseline, and said so.
    with pytest.raises(MonthsNotLoadedError, match="baseline month"):
        change(beds_db, ChangeRequest(period=("2021-09", "2021-11")))
    early = change(beds_db, ChangeRequest(period=("2021-09", "2021-11"), baseline_fallback=True))
    assert early.baseline == ("2021-06", "2021-08")
    assert early.count_baseline == sql_count(beds_db, "2021-06", "2021-08")
    assert any(
        "just before the period" in d and "2020-09…2020-11" in d for d in early.defaults_chosen
    )
    assert any("different calendar months" in c for c in early.caveats)
    # Neither a year earlier nor just before is loaded: refused, naming what is loaded.
    with pytest.raises(MonthsNotLoadedError, match="2021-05…2024-04"):
        change(beds_db, ChangeRequest(period=("2021-05", "2021-07"), baseline_fallback=True))


def test_parse_period() -> None:
    assert parse_period("2025-12") == ("2025-12", "2025-12")
    assert parse_period(" 2025-10 : 2025-12 ") == ("2025-10", "2025-12")
    with pytest.raises(ValueError, match="one run of consecutive months"):
        parse_period("2025-01,2025-03")
    with pytest.raises(ValueError, match="not a month"):
        parse_period("2025-13")


def test_unknown_district_lists_the_forces_own_and_guesses_a_typo(beds_db) -> None:  # type: ignore[no-untyped-def]
    from harmwatch.evaluation.change import change
    from harmwatch.where.selection import SelectionError

    with pytest.raises(SelectionError) as caught:
        change(
            beds_db,
            ChangeRequest(forces=("bedfordshire",), period=("2023-01", "2023-03"), district="Lutn"),
        )
    message = str(caught.value)
    assert "Did you mean 'Luton'?" in message
    assert "Districts: Bedford, Central Bedfordshire, Luton" in message
    assert "others with a few stray crimes" in message and "Lambeth" not in message
