"""The weighted displacement quotient: formula, reading rules and the 'did it work' precondition.

Formula and reading as given by Guerette, R. T. (2009) *Analyzing Crime Displacement
and Diffusion*, Problem-Oriented Guides for Police, Tool Guide No. 10, Appendix B
(popcenter.org/tools/displacement/10) and Appendix C (/11), after Bowers & Johnson
(2003), J. Quantitative Criminology 19(3): 275–301:

    success measure = Ra/Ca − Rb/Cb,  buffer measure = Da/Ca − Db/Cb,
    WDQ = buffer measure / success measure.

No published worked example with its input counts could be found in the sources
searched (the Bowers & Johnson tables and the POP guide's worked pages were not
available as text), so the worked numbers below are (1) the hand-computed example
in a public implementation, BlackThrive/streetlamp, tests/testthat/test-spillover.R
("the weighted displacement quotient reproduces a hand-computed value"), and (2)
our own arithmetic, written out.
"""

from __future__ import annotations

import pytest

from harmwatch.evaluation.wdq import read_wdq, weighted_displacement_quotient


def test_streetlamp_worked_example_complete_displacement() -> None:
    # A0 = 100, A1 = 50 (target), B0 = 100, B1 = 150 (buffer), C0 = C1 = 100 (control).
    # success = 50/100 − 100/100 = −0.5; buffer = 150/100 − 100/100 = +0.5;
    # WDQ = 0.5 / −0.5 = −1: the buffer gained exactly what the target lost.
    res = weighted_displacement_quotient(100, 50, 100, 150, 100, 100)
    assert res.success_measure == pytest.approx(-0.5)
    assert res.buffer_measure == pytest.approx(0.5)
    assert res.value == pytest.approx(-1.0)
    # At exactly −1 the displacement equals the gain: nothing remains (issue 11: it was
    # read as "a net benefit remains", which is the reading for −1 < WDQ < 0 only).
    assert "equal to the reduction" in res.reading and "no net benefit" in res.reading
    assert "net benefit remains" not in res.reading


def test_streetlamp_worked_example_diffusion() -> None:
    # Treated halve (100 → 50), buffer falls by a quarter (100 → 75), controls flat:
    # success = −0.5, buffer = −0.25, WDQ = 0.5: diffusion of benefit.
    res = weighted_displacement_quotient(100, 50, 100, 75, 100, 100)
    assert res.value == pytest.approx(0.5)
    assert "diffusion of benefit" in res.reading


def test_controls_weight_the_changes() -> None:
    # Target 80 → 40, buffer 120 → 132, control 400 → 500 (the force rose 25 %).
    # success = 40/500 − 80/400 = 0.08 − 0.20 = −0.12
    # buffer  = 132/500 − 120/400 = 0.264 − 0.300 = −0.036
    # WDQ = −0.036 / −0.12 = 0.30: the buffer rose 10 %, less than the control's 25 %,
    # so relative to the control it improved too: diffusion.
    res = weighted_displacement_quotient(80, 40, 120, 132, 400, 500)
    assert res.success_measure == pytest.approx(-0.12)
    assert res.buffer_measure == pytest.approx(-0.036)
    assert res.value == pytest.approx(0.30)
    assert "between 0 and 1" in res.reading


def test_not_interpretable_when_the_target_did_not_improve() -> None:
    # Target 50 → 60 while the control is flat: success = +0.1 ≥ 0. No number.
    res = weighted_displacement_quotient(50, 60, 100, 80, 100, 100)
    assert res.value is None and not res.interpretable
    assert res.success_measure == pytest.approx(0.1)
    assert "not interpretable" in res.reading
    assert res.to_dict()["value"] is None
    zero_control = weighted_displacement_quotient(50, 20, 100, 80, 0, 10)
    assert zero_control.value is None and "control" in zero_control.reading


def test_reading_rules() -> None:
    assert "greater" in read_wdq(1.4) or "more than the target" in read_wdq(1.4)
    assert "diffusion" in read_wdq(0.4)
    assert "neither" in read_wdq(0.0)
    assert "net benefit remains" in read_wdq(-0.4)
    assert "erased" in read_wdq(-1.6)


def test_negative_counts_refused() -> None:
    with pytest.raises(ValueError):
        weighted_displacement_quotient(-1, 0, 0, 0, 1, 1)


def test_boundaries_are_read_as_themselves() -> None:
    # Guerette (2009), appendix C: −1 is displacement equal to the gain, 1 diffusion equal
    # to it, 0 neither; the open ranges between them read as before.
    assert "no net benefit" in read_wdq(-1.0) and "cancelled" in read_wdq(-1.0)
    assert "no net benefit" in read_wdq(-1.0 + 1e-12)  # the ratios' rounding, not a finding
    assert "net benefit remains" in read_wdq(-0.999)
    assert "erased" in read_wdq(-1.001)
    assert "exactly as much as the target" in read_wdq(1.0)
    assert "between 0 and 1" in read_wdq(0.999) and "more than the target" in read_wdq(1.001)
    assert "neither" in read_wdq(0.0)
    # Counts that give −1 through floating-point ratios: 80/100 − 1 = −0.2 and 0.7 − 0.5 = 0.2.
    res = weighted_displacement_quotient(100, 80, 50, 70, 100, 100)
    assert res.value == pytest.approx(-1.0) and "no net benefit" in res.reading


def test_a_withheld_verdict_keeps_the_figure_and_says_why() -> None:
    res = weighted_displacement_quotient(100, 50, 100, 75, 100, 100).withhold("two rings")
    assert res.value is None and not res.interpretable and res.unread_value == pytest.approx(0.5)
    assert (
        res.reading == "no displacement verdict: two rings (the quotient of these counts is 0.50)"
    )
    assert res.to_dict()["verdict_withheld"] == "two rings"
