"""Monthly trends: "no data" for months not loaded, districts, and honest p-values.

The p-values are checked against scipy's exact binomial test, called here on the
counts: one month against one month is ``Binomial(latest + other, 1/2)``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from scipy.stats import binomtest

from harmwatch.evaluation.requests import TrendsRequest
from harmwatch.evaluation.trends import Comparison, monthly_trends
from harmwatch.where.selection import SelectionError

# sample_db (tests/conftest.py): the bundled sample, three forces, 2025-01…2025-12, so no
# month a year earlier.


def sql_monthly(
    db: Path, force: str, crime_type: str, district: str | None = None
) -> dict[str, int]:
    """Counts by month by a different route: plain SQL, the district as an LSOA-name prefix."""
    where = "force = ? AND crime_type = ?"
    params: list[object] = [force, crime_type]
    if district:
        where += " AND starts_with(lsoa_name, ?)"
        params.append(district + " ")
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"SELECT strftime(month, '%Y-%m'), count(*) FROM street WHERE {where} GROUP BY 1",
            params,
        ).fetchall()
    finally:
        con.close()
    return {str(m): int(n) for m, n in rows}


def exact_p(a: int, b: int) -> float:
    return 1.0 if a + b == 0 else float(binomtest(a, a + b, 0.5).pvalue)


def test_months_not_loaded_are_no_data(sample_db: Path) -> None:
    # Moved from tests/web/test_web_analyses.py with the module it tests.
    trend = monthly_trends(sample_db, TrendsRequest(forces=("hertfordshire",)))
    assert trend.latest == "2025-12" and trend.previous_covered and not trend.year_ago_covered
    drugs = next(c for c in trend.comparisons if c.crime_type == "Drugs")
    assert drugs.year_ago is None and drugs.change_year is None and drugs.previous is not None
    assert drugs.p_year is None and not drugs.chance_year  # no data is not "chance"
    assert sum(n for _, n in trend.series("Drugs")) == int(
        trend.table.loc[trend.table["crime_type"] == "Drugs", "n"].sum()
    )
    district = monthly_trends(
        sample_db, TrendsRequest(forces=("hertfordshire",), district="Stevenage")
    )
    herts = dict(trend.series("Drugs"))
    assert all(n <= herts[m] for m, n in district.series("Drugs"))


def test_district_counts_are_the_lsoa_name_prefix(sample_db: Path) -> None:
    trend = monthly_trends(
        sample_db, TrendsRequest(forces=("hertfordshire",), district=" st albans ")
    )
    assert trend.district == "St Albans"  # matched ignoring case, reported as loaded
    expected = sql_monthly(sample_db, "hertfordshire", "Drugs", "St Albans")
    assert dict(trend.series("Drugs")) == {m: expected.get(m, 0) for m in trend.months}
    assert any("without an LSOA are left out" in n for n in trend.notes)


def test_unknown_district_is_refused_with_the_known_ones(sample_db: Path) -> None:
    with pytest.raises(SelectionError, match=r"district 'Narnia'.*Districts: .*St Albans"):
        monthly_trends(sample_db, TrendsRequest(forces=("hertfordshire",), district="Narnia"))


def test_previous_month_p_values_agree_with_binomtest(sample_db: Path) -> None:
    trend = monthly_trends(sample_db, TrendsRequest(forces=("hertfordshire",)))
    counts = {
        t: sql_monthly(sample_db, "hertfordshire", t)
        for t in {c.crime_type for c in trend.comparisons}
    }
    assert len(trend.comparisons) > 5
    rows = {r["crime_type"]: r for r in trend.to_dict()["comparisons"]}  # type: ignore[attr-defined]
    for c in trend.comparisons:
        latest, previous = (
            counts[c.crime_type].get("2025-12", 0),
            counts[c.crime_type].get("2025-11", 0),
        )
        assert (c.latest, c.previous) == (latest, previous)
        p = exact_p(latest, previous)
        assert c.p_previous == pytest.approx(p, rel=1e-12, abs=1e-300)
        assert c.chance_previous == (p >= 0.05)
        assert rows[c.crime_type]["p_previous"] == c.p_previous
        assert rows[c.crime_type]["distinguishable_previous"] == (p < 0.05)
        assert rows[c.crime_type]["p_year"] is None
        assert rows[c.crime_type]["distinguishable_year"] is None


def test_year_ago_p_value_on_thirteen_real_months(herts_db: Path) -> None:
    # Hertfordshire 2021-01…2022-01: the latest month has its month a year earlier loaded.
    trend = monthly_trends(herts_db)
    assert trend.latest == "2022-01" and trend.year_ago_covered
    counts = sql_monthly(herts_db, "hertfordshire", "Drugs")
    drugs = next(c for c in trend.comparisons if c.crime_type == "Drugs")
    assert (drugs.latest, drugs.year_ago) == (counts["2022-01"], counts["2021-01"])
    assert drugs.p_year == pytest.approx(exact_p(counts["2022-01"], counts["2021-01"]), rel=1e-12)
    assert drugs.chance_year == (drugs.p_year >= 0.05)


def test_a_real_change_and_a_chance_one_are_told_apart() -> None:
    # 60 against 30: Binomial(90, 1/2) puts 60 or more far in the tail; 12 against 10 is
    # ordinary. 12 against 0 is "from 0" as a percentage, yet clearly not chance.
    clear = Comparison("Drugs", latest=60, previous=30, year_ago=None)
    noise = Comparison("Drugs", latest=12, previous=10, year_ago=0)
    assert clear.p_previous == pytest.approx(exact_p(60, 30), rel=1e-12)
    assert clear.p_previous is not None and clear.p_previous < 0.05 and not clear.chance_previous
    assert noise.p_previous == pytest.approx(exact_p(12, 10), rel=1e-12) and noise.chance_previous
    assert noise.change_year is None and noise.p_year == pytest.approx(exact_p(12, 0))
    assert not noise.chance_year
    empty = Comparison("Drugs", latest=0, previous=0, year_ago=None)
    assert empty.p_previous == 1.0 and empty.chance_previous
