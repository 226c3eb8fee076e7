"""Whether a target is met, with the uncertainty: met, not met or cannot tell.

Each case is worked from the interval it rests on, computed here by scipy rather
than taken from the library: the rate ratio's by the conditional binomial, a
share's by Clopper–Pearson, a count's by Garwood's gamma limits.
"""

from __future__ import annotations

import pytest
from scipy.stats import beta, binomtest, gamma

from harmwatch.oversight.claims import compare
from harmwatch.oversight.framework import MeasureSpec, Target
from harmwatch.oversight.measures import judge
from harmwatch.oversight.rollup import AreaFigure, share_interval


def spec(direction: str, target: Target | None, kind: str = "operations-figure") -> MeasureSpec:
    return MeasureSpec("m", "M", "plan", kind, direction, "s", target=target)  # type: ignore[arg-type]


def counted(before: int, after: int) -> AreaFigure:
    return AreaFigure("x", "X", value=after, baseline=before, comparison=compare(before, after))


def pct_interval(before: int, after: int) -> tuple[float, float]:
    ci = binomtest(after, after + before, 0.5).proportion_ci(0.95, method="exact")
    return 100 * (ci.low / (1 - ci.low) - 1), 100 * (ci.high / (1 - ci.high) - 1)


def test_a_change_in_words_is_judged_by_chance_and_direction() -> None:
    words = Target("Reduce neighbourhood crime")
    assert judge(spec("decrease", words), counted(1000, 850), "count")[0] == "met"
    assert judge(spec("decrease", words), counted(850, 1000), "count")[0] == "not met"
    status, why = judge(spec("decrease", words), counted(1000, 980), "count")
    assert status == "cannot tell" and "within what chance" in why
    assert judge(spec("increase", words), counted(0, 0), "count")[0] == "cannot tell"
    assert judge(spec("neutral", None), counted(10, 50), "count")[0] == "no target"
    assert judge(spec("increase", None), counted(10, 50), "count")[0] == "no target"


@pytest.mark.parametrize(
    ("before", "after", "number", "direction"),
    [(1000, 800, -10, "decrease"), (1000, 870, -10, "decrease"), (1000, 950, -10, "decrease"),
     (200, 260, 10, "increase"), (200, 215, 10, "increase"), (400, 300, 10, "increase")],
)  # fmt: skip
def test_a_numbered_change_is_judged_by_its_whole_interval(
    before: int, after: int, number: float, direction: str
) -> None:
    low, high = pct_interval(before, after)
    if direction == "decrease":
        expected = "met" if high <= number else "not met" if low > number else "cannot tell"
    else:
        expected = "met" if low >= number else "not met" if high < number else "cannot tell"
    status, _ = judge(
        spec(direction, Target("t", number, "change")), counted(before, after), "count"
    )
    assert status == expected


def test_each_status_occurs_in_the_cases_above() -> None:
    seen = set()
    for before, after in ((1000, 800), (1000, 870), (1000, 1000)):
        seen.add(judge(spec("decrease", Target("t", -10)), counted(before, after), "count")[0])
    assert seen == {"met", "not met", "cannot tell"}


def test_a_share_is_judged_by_clopper_pearson_and_a_tally_exactly() -> None:
    def share(k: int, n: int, tally: bool = False) -> AreaFigure:
        figure = AreaFigure("x", "X", value=k, denominator=n, percent=100 * k / n)
        if not tally:
            figure.percent_low, figure.percent_high = share_interval(k, n)
        return figure

    low = 100 * beta.ppf(0.025, 18, 3)  # 18 of 20 referred people entered treatment
    assert share(18, 20).percent_low == pytest.approx(low)
    target = Target("at least 60 % enter treatment", 60, "value")
    expected = "met" if low >= 60 else "cannot tell"
    assert judge(spec("increase", target), share(18, 20), "share")[0] == expected
    assert judge(spec("increase", target), share(13, 20), "share")[0] == "cannot tell"
    assert judge(spec("increase", target), share(2, 20), "share")[0] == "not met"
    every = Target("every sample retested", 100, "value")
    assert judge(spec("increase", every), share(19, 20, tally=True), "tally")[0] == "not met"
    assert judge(spec("increase", every), share(20, 20, tally=True), "tally")[0] == "met"
    assert judge(spec("increase", Target("more")), share(5, 9), "share")[0] == "cannot tell"
    assert judge(spec("increase", Target("words", None, "value")), share(5, 9), "share")[0] == (
        "not judged"
    )


def test_a_count_value_target_uses_poisson_limits_for_crime_and_exact_tallies() -> None:
    crime = spec("decrease", Target("at most 100 a quarter", 100, "value"), "police-uk-crimes")
    figure = AreaFigure("x", "X", value=85)
    high = gamma.ppf(0.975, 86)
    assert judge(crime, figure, "count")[0] == ("met" if high <= 100 else "cannot tell")
    assert judge(crime, AreaFigure("x", "X", value=60), "count")[0] == "met"
    lines = spec("increase", Target("close 10", 10, "value"))
    assert judge(lines, AreaFigure("x", "X", value=10), "count")[0] == "met"
    assert judge(lines, AreaFigure("x", "X", value=9), "count")[0] == "not met"
    hidden = AreaFigure("x", "X", value="fewer than 5")
    assert judge(lines, hidden, "count")[0] == "cannot tell"
