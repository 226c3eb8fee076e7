"""Which forecast to use: chosen on earlier months, scored on later ones, compared with intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harmwatch.where.forecast_eval import RECOMMENDED, paired_comparisons, pooled_curve, recommend


def table(rates: dict[str, list[float]], months: list[str]) -> pd.DataFrame:
    rows = []
    for method, values in rates.items():
        for month, rate in zip(months, values, strict=True):
            for coverage in (0.01, 0.1):
                rows.append(
                    {
                        "run": "r",
                        "method": method,
                        "target_month": month,
                        "coverage": coverage,
                        "hit_rate": rate,
                        "pai": rate / coverage,
                    }
                )
    return pd.DataFrame(rows)


MONTHS = ["2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


def test_the_choice_for_a_month_is_made_on_the_months_before_it() -> None:
    # a is best in the first two months, b afterwards. The default (blend) is not in the
    # table, so the first month falls to the first method listed, a.
    monthly = table({"a": [0.6, 0.6, 0.1, 0.1, 0.1], "b": [0.2, 0.2, 0.9, 0.9, 0.9]}, MONTHS)
    rec = recommend(monthly)
    chosen = rec.choices.set_index("target_month")["method"].to_dict()
    # 2024-04: a's mean over Feb-Mar 0.6 > b's 0.2, so a, though b wins April itself.
    assert chosen == {
        "2024-02": "a",
        "2024-03": "a",
        "2024-04": "a",
        "2024-05": "a",
        "2024-06": "b",
    }
    assert rec.choices["chosen_on"].tolist() == [0, 1, 2, 3, 4]
    # On all five months b's mean (0.62) beats a's (0.30): b for the coming month.
    assert rec.method == "b" and rec.months_chosen_on == 5
    track = rec.track[rec.track["coverage"] == 0.1].sort_values("target_month")["hit_rate"]
    assert track.tolist() == [0.6, 0.6, 0.1, 0.1, 0.9]


def test_a_month_without_crime_teaches_nothing() -> None:
    monthly = table({"a": [0.5, math.nan, 0.1], "b": [0.4, math.nan, 0.9]}, MONTHS[:3])
    rec = recommend(monthly)
    assert rec.choices["chosen_on"].tolist() == [0, 1, 1]
    assert rec.choices["method"].tolist() == ["a", "a", "a"]


def test_paired_comparison_is_the_t_interval_of_the_monthly_differences() -> None:
    monthly = table({"a": [0.6, 0.5, 0.7, 0.6, 0.65], "b": [0.5, 0.45, 0.5, 0.55, 0.6]}, MONTHS)
    rec = recommend(monthly, default="a")
    assert set(rec.choices["method"]) == {"a"}
    comparisons = {(c.against, c.coverage): c for c in paired_comparisons(monthly, rec)}
    diff = np.array([0.1, 0.05, 0.2, 0.05, 0.05])
    half = stats.t.ppf(0.975, 4) * diff.std(ddof=1) / math.sqrt(5)
    c = comparisons[("b", 0.1)]
    assert c.method == RECOMMENDED and c.months == 5
    assert c.difference == pytest.approx(diff.mean())
    assert (c.ci_low, c.ci_high) == pytest.approx((diff.mean() - half, diff.mean() + half))
    assert c.text.startswith("recommended beats b at 10 % of the area by +0.090")
    assert "over 5 months" in c.text
    same = comparisons[("a", 0.01)]
    assert same.difference == 0 and "cannot be told from" in same.text


def test_pooled_curve_is_all_hits_over_all_crimes() -> None:
    curve = pd.DataFrame(
        {
            "method": ["a", "a", "a", "a"],
            "target_month": ["m1", "m2", "m1", "m2"],
            "coverage": [0.1, 0.1, 0.2, 0.2],
            "hits": [3.0, 1.0, 5.0, 2.0],
            "total": [10.0, 2.0, 10.0, 2.0],
        }
    )
    out = pooled_curve(curve).set_index("coverage")
    assert out.loc[0.1, "hit_rate"] == pytest.approx(4 / 12)
    assert out.loc[0.2, "hit_rate"] == pytest.approx(7 / 12) and out.loc[0.2, "months"] == 2
