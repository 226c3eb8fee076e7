"""The s5A limits table, where a value lies against a limit, and the law of a sample's date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from harmwatch.forensics import limits
from harmwatch.forensics.retests import Measured, judge

BRIEF = {
    "delta-9-tetrahydrocannabinol": 2, "cocaine": 10, "benzoylecgonine": 50, "ketamine": 20,
    "lysergic-acid-diethylamide": 1, "methylamphetamine": 10, "mdma": 10,
    "6-monoacetylmorphine": 5, "clonazepam": 50, "diazepam": 550, "flunitrazepam": 300,
    "lorazepam": 100, "methadone": 500, "morphine": 80, "oxazepam": 300, "temazepam": 1000,
    "amphetamine": 250,
}  # fmt: skip
TAKEN = datetime(2016, 5, 1, 12, 0, tzinfo=UTC)


def test_the_table_holds_the_seventeen_limits_dated_and_sourced() -> None:
    table = limits.limits()
    assert {k: int(v.limit) for k, v in table.items()} == BRIEF
    for key, limit in table.items():
        want = date(2015, 4, 14) if key == "amphetamine" else date(2015, 3, 2)
        assert limit.in_force_from == want
        assert limit.instrument == ("SI 2015/911" if key == "amphetamine" else "SI 2014/2868")
        assert limit.instrument in limit.source_title


@pytest.mark.parametrize("alias,key", [("THC", "delta-9-tetrahydrocannabinol"), ("LSD", "lysergic-acid-diethylamide"), ("Methamphetamine", "methylamphetamine"), ("6-MAM", "6-monoacetylmorphine"), ("MDMA", "mdma")])  # fmt: skip
def test_laboratory_names_map_to_the_table(alias: str, key: str) -> None:
    assert limits.canonical(alias) == key


@pytest.mark.parametrize("analyte", sorted(BRIEF))
def test_a_retest_is_judged_against_each_limit(analyte: str) -> None:
    limit = Decimal(BRIEF[analyte])
    threshold = limits.threshold_for(analyte, "blood", TAKEN)
    assert threshold.value == limit
    u = limit / 10
    above = Measured(str(limit * 3), str(u), "ug/L")
    below = Measured(str(limit / 3), str(u / 3), "ug/L")
    within = Measured(str(limit + u / 2), str(u), "ug/L")
    assert limits.position(limit * 3, u, limit) == "above"
    assert limits.position(limit / 3, u / 3, limit) == "below"
    assert limits.position(limit + u / 2, u, limit) == "within"
    assert limits.position(limit - u, u, limit) == "within"  # the boundary is within
    same = judge(above, Measured(str(limit * 3 + u / 2), str(u), "ug/L"), threshold)
    assert same.outcome == "unchanged", same.reason
    crossed = judge(above, below, threshold)
    assert crossed.outcome == "changed" and "side of the limit changed" in crossed.reason
    unsure = judge(above, within, threshold)
    assert unsure.outcome == "inconclusive", unsure.reason
    # the same side, but further apart than the combined uncertainty
    far = judge(above, Measured(str(limit * 6), str(u), "ug/L"), threshold)
    assert far.outcome == "changed" and "combined uncertainty" in far.reason
    # mg/L is converted: limit/1000 mg/L sits on the limit
    on_limit = Measured(str(limit / 1000), str(u / 1000), "mg/L")
    assert judge(above, on_limit, threshold).outcome == "inconclusive"


def test_a_2014_sample_gets_no_s5a_threshold_and_says_why() -> None:
    taken = datetime(2014, 11, 20, 15, 0, tzinfo=UTC)
    threshold = limits.threshold_for("cocaine", "blood", taken)
    assert threshold.limit is None
    assert "2014-11-20" in threshold.basis and "s.4" in threshold.basis
    assert "law of its date" in threshold.basis
    # judged on the values alone, and the comparison says so
    got = judge(Measured("30", "3", "ug/L"), Measured("8", "1", "ug/L"), threshold)
    assert got.outcome == "changed" and "s.4" in got.reason and got.threshold == threshold.basis
    agree = judge(Measured("30", "3", "ug/L"), Measured("31", "2", "ug/L"), threshold)
    assert agree.outcome == "unchanged"


def test_the_limits_start_on_their_uk_day() -> None:
    # 1 March 2015 23:30 GMT is still 1 March: no limit; 2 March: the limit
    assert (
        limits.threshold_for("cocaine", "blood", datetime(2015, 3, 1, 23, 30, tzinfo=UTC)).limit
        is None
    )
    assert limits.threshold_for("cocaine", "blood", datetime(2015, 3, 2, 0, 30, tzinfo=UTC)).limit
    # amphetamine came later, by SI 2015/911
    mid = datetime(2015, 4, 1, 12, tzinfo=UTC)
    assert limits.threshold_for("amphetamine", "blood", mid).limit is None
    assert "SI 2015/911" in limits.threshold_for("amphetamine", "blood", mid).basis
    # 13 April 2015 23:30 UTC is 00:30 BST on 14 April
    assert limits.threshold_for(
        "amphetamine", "blood", datetime(2015, 4, 13, 23, 30, tzinfo=UTC)
    ).limit


def test_urine_and_unspecified_drugs_have_no_limit() -> None:
    assert "blood" in limits.threshold_for("cocaine", "urine", TAKEN).basis
    assert limits.threshold_for("cocaine", "urine", TAKEN).limit is None
    assert limits.threshold_for("heroin", "blood", TAKEN).limit is None


def test_a_value_that_is_not_a_number_is_inconclusive() -> None:
    threshold = limits.threshold_for("cocaine", "blood", TAKEN)
    got = judge(Measured("<LOQ", None, "ug/L"), Measured("12", "1", "ug/L"), threshold)
    assert got.outcome == "inconclusive" and "<LOQ" in got.reason
    odd = judge(Measured("12", "1", "ug/L"), Measured("12", "1", "%"), threshold)
    assert odd.outcome == "inconclusive" and "units" in odd.reason
