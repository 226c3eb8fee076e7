"""Check a claim: the PCC's "1,208 hate crimes, up 97, almost nine per cent" against chance.

Every figure is checked against an exact-binomial computation written here: given
the total ``n = a + b``, the later count ``a`` is ``Binomial(n, p)`` with
``p = ta/(ta + tb)`` under no change; the Clopper–Pearson bounds on ``p`` come
from ``scipy.stats.beta`` and map to the rate ratio through ``p/(1 − p) · tb/ta``.
"""

from __future__ import annotations

import json
import math

import pytest
import typer
from scipy.stats import beta, binomtest
from typer.testing import CliRunner

from harmwatch.cli import oversight_measures
from harmwatch.oversight.claims import ClaimError, Grade, check_claim, compare, grade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
oversight_measures.register(app)
runner = CliRunner()


def exact_binomial(after: int, before: int, ta: float, tb: float) -> tuple[float, float, float]:
    """(low, high, p) for the rate ratio after/before, by the conditional binomial."""
    n = after + before
    low_p = 0.0 if after == 0 else beta.ppf(0.025, after, n - after + 1)
    high_p = 1.0 if before == 0 else beta.ppf(0.975, after + 1, n - after)
    to_ratio = tb / ta
    low = low_p / (1 - low_p) * to_ratio
    high = math.inf if high_p == 1.0 else high_p / (1 - high_p) * to_ratio
    p = binomtest(after, n, ta / (ta + tb)).pvalue
    return float(low), float(high), float(p)


def test_the_hate_crime_claim_to_one_in_a_million() -> None:
    checked = check_claim(1111, 1208, crime_type="hate-crime")
    c = checked.comparison
    low, high, p = exact_binomial(1208, 1111, 1, 1)
    assert c.rate.ratio == pytest.approx(1208 / 1111, abs=1e-12)
    assert (c.rate.ci_low, c.rate.ci_high, c.rate.p_value) == pytest.approx(
        (low, high, p), abs=1e-6
    )
    # The published wording, to three decimals: 1.087, 1.001–1.181; p just under 0.05.
    assert (round(c.rate.ratio, 3), round(low, 3), round(high, 3)) == (1.087, 1.001, 1.181)
    assert 0.01 < p < 0.05
    assert c.ratio_text() == "rate ratio 1.087 with the exact 95 % interval 1.001–1.181"
    assert c.pct_change == pytest.approx(100 * 97 / 1111)
    assert (c.pct_low, c.pct_high) == pytest.approx((100 * (low - 1), 100 * (high - 1)))
    assert c.sentence == (
        "up 8.7 % (95 % interval +0.1 % to +18.1 %, p = 0.046): only just beyond what chance "
        "alone produces"
    )
    assert checked.chance_explains is False and c.grade is Grade.JUST_BEYOND
    joined = " ".join(checked.caveats)
    for words in ("recording changes", "regression to the mean", "more victims came forward"):
        assert words in joined
    assert "police-generated offences:" not in joined  # hate crime is reported, not found


def test_grades_follow_the_p_value() -> None:
    assert grade(0.0099) is Grade.WELL_BEYOND
    assert grade(0.01) is Grade.JUST_BEYOND and grade(0.0499) is Grade.JUST_BEYOND
    assert grade(0.05) is Grade.WITHIN
    # 100 against 100: no change at all; 60 against 100 is far beyond chance.
    same = compare(100, 100)
    assert same.grade is Grade.WITHIN and "do not report it as a rise or a fall" in same.sentence
    fall = compare(100, 60)
    assert fall.grade is Grade.WELL_BEYOND and fall.sentence.startswith("down 40.0 %")
    assert fall.rate.p_value == pytest.approx(exact_binomial(60, 100, 1, 1)[2], abs=1e-9)


def test_drug_offences_carry_the_police_generated_caveat() -> None:
    # "36 per cent more drug trafficking": 250 against 184.
    checked = check_claim(184, 250, crime_type="drug-trafficking")
    assert any(c.startswith("police-generated offences") for c in checked.caveats)
    assert "less searching" in " ".join(checked.caveats)
    unknown = check_claim(184, 250)
    assert any("give the crime type" in c for c in unknown.caveats)
    with pytest.raises(ClaimError, match="crime type: 'burglary'"):
        check_claim(1, 2, crime_type="burglary")


def test_unequal_months_compare_per_month() -> None:
    # 1,208 in six months against 1,111 in twelve: the rate doubled, near enough.
    checked = check_claim(1111, 1208, before_months=12, after_months=6)
    c = checked.comparison
    low, high, p = exact_binomial(1208, 1111, 6, 12)
    assert c.rate.ratio == pytest.approx((1208 / 6) / (1111 / 12))
    assert (c.rate.ci_low, c.rate.ci_high, c.rate.p_value) == pytest.approx(
        (low, high, p), abs=1e-6
    )
    assert "per month" in c.sentence and c.grade is Grade.WELL_BEYOND
    assert any("differ in length" in x for x in checked.caveats)


def test_zero_counts_are_said_honestly() -> None:
    none = compare(0, 0)
    assert none.grade is None and none.beyond_chance is None and none.pct_change is None
    assert "none in either period" in none.sentence
    assert check_claim(0, 0).chance_explains is None
    rise = compare(0, 5)  # from none: no percentage of nothing
    assert rise.pct_change is None and rise.pct_high is None
    assert "no percentage change can be given" in rise.sentence
    low, high, p = exact_binomial(5, 0, 1, 1)
    assert math.isinf(rise.rate.ci_high) and rise.rate.ci_low == pytest.approx(low, abs=1e-6)
    assert rise.rate.p_value == pytest.approx(p) and rise.grade is Grade.WITHIN
    fall = compare(5, 0)
    low, high, p = exact_binomial(0, 5, 1, 1)
    assert fall.rate.ci_low == 0 and fall.rate.ci_high == pytest.approx(high, abs=1e-6)
    assert fall.sentence.startswith("down 100 %") and fall.pct_change == -100
    small = check_claim(3, 7)
    assert any(c.startswith("small counts") for c in small.caveats)


@pytest.mark.parametrize(
    ("before", "after", "before_months", "message"),
    [
        (-1, 5, 1, "before: a count cannot be negative"),
        (5, -2, 1, "after: a count cannot be negative"),
        (5.5, 3, 1, "before: must be a whole number"),
        (5, 3, 0, "before months: must be more than 0"),
    ],
)
def test_bad_input_is_refused(
    before: float, after: int, before_months: float, message: str
) -> None:
    with pytest.raises(ClaimError, match=message):
        check_claim(before, after, before_months=before_months)  # type: ignore[arg-type]


def test_the_command() -> None:
    result = runner.invoke(app, ["check-claim", "--before", "1111", "--after", "1208"])
    assert result.exit_code == 0, result.output
    assert "rate ratio 1.087 with the exact 95 % interval 1.001–1.181" in result.output
    assert "only just beyond what chance alone produces" in result.output
    assert "Chance alone is unlikely to explain this change, but only just" in result.output
    got = json.loads(
        runner.invoke(
            app,
            ["check-claim", "--before", "1111", "--after", "1208", "--before-months", "12",
             "--after-months", "12", "--crime-type", "hate-crime", "--json"],
        ).output
    )  # fmt: skip
    low, high, p = exact_binomial(1208, 1111, 12, 12)
    assert (got["ci_low"], got["ci_high"], got["p_value"]) == pytest.approx(
        (low, high, p), abs=1e-6
    )
    assert got["before"] == 1111 and isinstance(got["after"], int)
    assert got["chance_explains"] is False and got["crime_type"] == "hate-crime"
    bad = runner.invoke(app, ["check-claim", "--before", "-3", "--after", "5"])
    assert bad.exit_code == 2 and "before: a count cannot be negative" in bad.output
