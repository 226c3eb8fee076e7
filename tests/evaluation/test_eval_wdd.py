"""The weighted displacement difference test against Wheeler & Ratcliffe's published example.

Wheeler, A. P. and Ratcliffe, J. H. (2018) "A simple weighted displacement difference test
to evaluate place based crime interventions", Crime Science 7:11, worked example: control
308 → 318, target 207 → 110, displacement area 178 → 157 and its control 150 → 140 give
WDD = −118, SE = √1568 = 39.6, z = −2.98 and a 95 % interval of −196 to −40. The same
numbers are the test case of Wheeler's own implementation (ptools, tests/testthat/test-wdd.R,
"Est & Variance Paper"), whose weighted form (time and area weights dividing the counts)
is followed here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from harmwatch.evaluation.wdd import (
    read_wdd,
    wdd_for_evaluation,
    weighted_displacement_difference,
)


def test_published_worked_example() -> None:
    res = weighted_displacement_difference((308, 318), (207, 110), (150, 140), (178, 157))
    assert res.local == -107 and res.displacement == -11
    assert res.total == -118
    assert res.total_se == pytest.approx(math.sqrt(1568)) and round(res.total_se, 1) == 39.6
    assert round(res.z, 2) == -2.98
    assert round(res.ci_low) == -196 and round(res.ci_high) == -40
    assert res.p_value == pytest.approx(2 * 0.5 * math.erfc(118 / math.sqrt(1568) / math.sqrt(2)))
    assert "beyond what chance" in read_wdd(res, with_buffer=True)


def test_ptools_small_cases() -> None:
    # ptools tests: "Local -10", "Displacement -10", "Total -20".
    assert weighted_displacement_difference((20, 20), (20, 10)).local == -10
    disp = weighted_displacement_difference((20, 20), (20, 20), (20, 20), (20, 10))
    assert disp.displacement == -10 and disp.total == -10
    assert weighted_displacement_difference((20, 20), (20, 10), (20, 20), (20, 10)).total == -20


def test_weights_divide_the_counts() -> None:
    # Twice as long a pre-period (time weight 2) and a control four times the target's size
    # (area weight 4): local = (60 − 100/2) − (220 − 400/2)/4 = 10 − 5 = 5, and
    # Var = 60 + 100/4 + 220/16 + 400/64 = 105.
    res = weighted_displacement_difference(
        (400, 220), (100, 60), time_weights=(2, 1), area_weights=(4, 1, 1, 1)
    )
    assert res.local == pytest.approx(5.0) and res.total_se == pytest.approx(math.sqrt(105))


def test_a_shared_control_adds_its_coefficients_before_squaring() -> None:
    # One control (C0 = 200, C1 = 220) scaled to the target (T0 = 50, weight 4) and to the
    # buffer (D0 = 100, weight 2): its coefficient is 1/4 + 1/2 = 3/4 on each period, so it
    # adds (3/4)² (200 + 220) = 236.25 to the variance, not (1/16 + 1/4)(420) = 131.25.
    res = wdd_for_evaluation((50, 30), (100, 110), (200, 220), 6, 6)
    assert res.local == pytest.approx(-20 - 20 / 4)
    assert res.displacement == pytest.approx(10 - 20 / 2)
    assert res.total_se == pytest.approx(math.sqrt(50 + 30 + 100 + 110 + 236.25))
    # Simulated: the variance of the total under Poisson counts matches the formula.
    rng = np.random.default_rng(11)
    draws = [
        wdd_for_evaluation(
            (50, int(rng.poisson(30))), (100, int(rng.poisson(110))), (200, int(rng.poisson(220))),
            6, 6,
        ).total
        for _ in range(4000)
    ]  # fmt: skip
    # With the pre-period counts held fixed only the after counts vary: 30 + 110 + (3/4)² 220.
    assert np.var(draws) == pytest.approx(30 + 110 + 0.5625 * 220, rel=0.06)


def test_evaluation_scales_the_pre_period_to_the_post_period() -> None:
    # 12 months before, 6 after: the pre-period counts are halved; a flat target (24 → 12)
    # against flat controls (240 → 120) is no change at all.
    res = wdd_for_evaluation((24, 12), None, (240, 120), 12, 6)
    assert res.total == pytest.approx(0.0) and res.displacement == 0
    assert res.weights["time_before"] == 2 and res.weights["control"] == 10
    assert "within what chance" in read_wdd(res, with_buffer=False)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="not negative"):
        weighted_displacement_difference((1, 1), (-1, 2))
    with pytest.raises(ValueError, match="positive"):
        weighted_displacement_difference((1, 1), (1, 2), area_weights=(0, 1, 1, 1))
    with pytest.raises(ValueError, match="shared control"):
        weighted_displacement_difference((1, 1), (1, 2), (3, 3), (1, 1), shared_control=True)


def test_evaluate_reports_the_wdd_and_withholds_a_scattered_buffer(beds_db: Path) -> None:
    from harmwatch.evaluation.evaluate import evaluate
    from harmwatch.evaluation.requests import EvaluateRequest

    # Luton 023A and 023B touch: one catchment, so the displacement term is in the total.
    one = evaluate(beds_db, EvaluateRequest("2023-01", lsoa=("E01033803", "E01033804")))
    d = one.to_dict()
    assert d["buffer_catchment"]["coherent"] and d["wdd"]["includes_buffer"]
    assert (
        d["wdd"]["displacement"] != 0 and "weighted displacement difference" in one.summary.lower()
    )
    c = one.counts
    expect = wdd_for_evaluation(
        (c["target_before"], c["target_after"]), (c["buffer_before"], c["buffer_after"]),
        (c["controls_before"], c["controls_after"]), len(one.pre_months), len(one.post_months),
    )  # fmt: skip
    assert one.wdd.total == pytest.approx(expect.total)
    # A Luton LSOA and a Bedford one, about 25 km apart: two rings, no displacement verdict.
    two = evaluate(beds_db, EvaluateRequest("2023-01", lsoa=("E01033803", "E01017522")))
    assert two.buffer_catchment is not None and "2 separate rings" in two.buffer_catchment
    assert two.wdq.value is None and two.wdq.withheld is not None
    assert two.wdd.displacement == 0 and not two.to_dict()["wdd"]["includes_buffer"]
    assert any("separate rings" in caveat for caveat in two.caveats)
    assert "no displacement verdict" in two.summary
