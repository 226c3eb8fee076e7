"""Hit rate, PAI and PEI: hand-worked examples, ties at the cut, zero-crime months."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harmwatch.where.kernels.forecast_metrics import (
    cells_for_coverage,
    evaluate_forecast,
    flag_weights,
)

# Twenty study-area cells. Crimes in the month forecast (total 20):
ACTUAL = np.array([5, 0, 3, 0, 0, 1, 0, 2, 0, 0, 0, 4, 0, 0, 1, 0, 0, 0, 0, 4])
# Predicted scores, all different. From highest down:
#   cell  0 (9.0, 5 crimes), cell  7 (8.0, 2), cell  2 (7.0, 3), cell 19 (6.0, 4),
#   cell 14 (4.0, 1), cell  5 (3.0, 1), cell 11 (2.0, 4), ...
# fmt: off
PREDICTED = np.array([
    9.0, 1.0, 7.0, 0.5, 0.2, 3.0, 0.1, 8.0, 0.3, 0.4,  # cells 0-9
    0.6, 2.0, 0.7, 0.8, 4.0, 0.9, 1.1, 1.2, 1.3, 6.0,  # cells 10-19
])
# fmt: on


def test_twenty_cell_worked_example() -> None:
    low, five, ten, quarter = evaluate_forecast(PREDICTED, ACTUAL, (0.01, 0.05, 0.10, 0.25))

    # 5 %: k = round(0.05 * 20) = 1 cell -> cell 0 with 5 of the 20 crimes.
    #   hit rate 5/20 = 0.25; area 1/20 = 0.05; PAI = 0.25/0.05 = 5.
    #   The best single cell also has 5 crimes: PEI = 5/5 = 1.
    assert (five.cells_flagged, five.hits, five.total) == (1, 5, 20)
    assert five.area_share == 0.05
    assert five.hit_rate == pytest.approx(0.25)
    assert five.pai == pytest.approx(5.0)
    assert five.best_hits == 5
    assert five.pei == pytest.approx(1.0)

    # 1 %: 0.01 * 20 = 0.2 cells, but at least one cell is flagged, so this is the
    # same forecast as 5 %, and the area share reported is what was flagged (5 %).
    assert low.coverage == 0.01
    assert (low.cells_flagged, low.area_share, low.hits, low.pai) == (1, 0.05, 5, 5.0)

    # 10 %: k = 2 -> cells 0 and 7: 5 + 2 = 7 crimes. hit rate 7/20 = 0.35,
    #   PAI = 0.35/0.10 = 3.5. Best 2 cells: 5 + 4 = 9, PEI = 7/9.
    assert (ten.cells_flagged, ten.hits, ten.best_hits) == (2, 7, 9)
    assert ten.hit_rate == pytest.approx(0.35)
    assert ten.pai == pytest.approx(3.5)
    assert ten.pei == pytest.approx(7 / 9)

    # 25 %: k = 5 -> cells 0, 7, 2, 19, 14: 5 + 2 + 3 + 4 + 1 = 15 crimes.
    #   hit rate 0.75, PAI = 0.75/0.25 = 3. Best 5 cells: 5 + 4 + 4 + 3 + 2 = 18,
    #   PEI = 15/18.
    assert (quarter.cells_flagged, quarter.hits, quarter.best_hits) == (5, 15, 18)
    assert quarter.hit_rate == pytest.approx(0.75)
    assert quarter.pai == pytest.approx(3.0)
    assert quarter.pei == pytest.approx(15 / 18)
    assert all(s.ties_at_cut == 0 and s.n_cells == 20 for s in (low, five, ten, quarter))


def test_pai_definition_half_the_crime_in_a_tenth_of_the_area() -> None:
    # Chainey, Tompson & Uhlig's PAI = (n/N) / (a/A): a map that flags 10 % of
    # the area and captures 50 % of the crimes has PAI = 50/10 = 5.
    actual = np.array([5, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    predicted = np.array([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    (score,) = evaluate_forecast(predicted, actual, (0.1,))
    assert (score.hit_rate, score.area_share) == (0.5, 0.1)
    assert score.pai == pytest.approx(5.0)


# Ten cells with ties. Crimes (total 10) and scores:
TIE_ACTUAL = np.array([4, 0, 2, 1, 0, 0, 3, 0, 0, 0])
TIE_PREDICTED = np.array([5.0, 2, 2, 2, 1, 1, 1, 1, 1, 1])


def test_ties_at_the_cut_share_the_remaining_places() -> None:
    two, four, five = evaluate_forecast(TIE_PREDICTED, TIE_ACTUAL, (0.2, 0.4, 0.5))

    # k = 2: cell 0 (score 5) is in; cells 1, 2, 3 tie at score 2 for the one
    # place left, so each counts 1/3: hits = 4 + (0 + 2 + 1)/3 = 5.
    #   hit rate 5/10 = 0.5, PAI = 0.5/0.2 = 2.5; best 2 cells: 4 + 3 = 7, PEI = 5/7.
    assert two.hits == 5.0
    assert two.ties_at_cut == 3
    assert two.pai == pytest.approx(2.5)
    assert two.pei == pytest.approx(5 / 7)

    # k = 4: the three tied cells fill the three places left: no split.
    #   hits = 4 + 0 + 2 + 1 = 7.
    assert (four.hits, four.ties_at_cut) == (7.0, 0)

    # k = 5: cells 0-3 are in; six cells tie at score 1 for one place, and only
    # cell 6 (3 crimes) has any: hits = 7 + 3/6 = 7.5.
    assert (five.hits, five.ties_at_cut) == (7.5, 6)


def test_tie_rule_is_the_average_over_all_orderings_of_the_tied_cells() -> None:
    # k = 2 with cells 1, 2, 3 tied for one place: the three possible picks give
    # 4 + 0, 4 + 2 and 4 + 1 hits; their average is 5, what the rule reports.
    picks = [4 + TIE_ACTUAL[c] for c in (1, 2, 3)]
    (two,) = evaluate_forecast(TIE_PREDICTED, TIE_ACTUAL, (0.2,))
    assert two.hits == pytest.approx(np.mean(picks))


def test_tie_rule_does_not_depend_on_cell_order() -> None:
    rng = np.random.default_rng(5)
    base = evaluate_forecast(TIE_PREDICTED, TIE_ACTUAL, (0.1, 0.2, 0.5))
    for _ in range(20):
        order = rng.permutation(TIE_ACTUAL.size)
        again = evaluate_forecast(TIE_PREDICTED[order], TIE_ACTUAL[order], (0.1, 0.2, 0.5))
        assert again == base


def test_a_flat_forecast_scores_like_random_flagging() -> None:
    # All 20 cells tie: k = 2 places shared by 20 cells, each 1/10 flagged.
    # hits = 20 crimes * 2/20 = 2, hit rate = area share = 0.1, PAI = 1.
    (score,) = evaluate_forecast(np.zeros(20), ACTUAL, (0.1,))
    assert score.hits == pytest.approx(2.0)
    assert score.hit_rate == pytest.approx(score.area_share)
    assert score.pai == pytest.approx(1.0)
    assert score.ties_at_cut == 20


def test_flag_weights_sum_to_k() -> None:
    w = flag_weights(TIE_PREDICTED, 2)
    np.testing.assert_allclose(w, [1, 1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0, 0])
    assert w.sum() == pytest.approx(2.0)
    assert flag_weights(PREDICTED, 3).tolist() == [
        1.0 if i in (0, 7, 2) else 0.0 for i in range(20)
    ]


def test_zero_crime_month_gives_nan_not_zero() -> None:
    (score,) = evaluate_forecast(PREDICTED, np.zeros(20), (0.1,))
    assert (score.hits, score.total, score.best_hits) == (0.0, 0.0, 0.0)
    assert math.isnan(score.hit_rate) and math.isnan(score.pai) and math.isnan(score.pei)
    assert score.area_share == 0.1


def test_cells_for_coverage_rounds_half_up_with_a_minimum_of_one() -> None:
    assert cells_for_coverage(0.05, 50) == 3  # 2.5 -> 3 (round() would give 2)
    assert cells_for_coverage(0.05, 30) == 2  # 1.5 -> 2
    assert cells_for_coverage(0.01, 20) == 1  # 0.2 -> at least one
    assert cells_for_coverage(1.0, 20) == 20
    assert cells_for_coverage(0.1, 250_000) == 25_000


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="coverage"):
        evaluate_forecast(PREDICTED, ACTUAL, (0.0,))
    with pytest.raises(ValueError, match="coverage"):
        evaluate_forecast(PREDICTED, ACTUAL, (1.5,))
    with pytest.raises(ValueError, match="finite"):
        evaluate_forecast(np.where(PREDICTED > 8, np.nan, PREDICTED), ACTUAL)
    with pytest.raises(ValueError, match="shape"):
        evaluate_forecast(PREDICTED, ACTUAL[:-1])
    with pytest.raises(ValueError, match="non-negative"):
        evaluate_forecast(PREDICTED, -ACTUAL)
    with pytest.raises(ValueError, match="1-D"):
        evaluate_forecast(PREDICTED.reshape(4, 5), ACTUAL)


def test_hit_curve_equals_evaluate_forecast_at_every_level_ties_included() -> None:
    from harmwatch.where.kernels.forecast_metrics import hit_curve

    rng = np.random.default_rng(12)
    predicted = rng.integers(0, 4, 500).astype(float)  # heavy ties at every cut
    actual = rng.poisson(0.7, 500).astype(float)
    levels = [0.002, 0.01, 0.05, 0.1, 0.25, 0.5, 0.999, 1.0]
    curve = hit_curve(predicted, actual, levels)
    expected = [s.hits for s in evaluate_forecast(predicted, actual, levels)]
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    assert curve[-1] == actual.sum()
    # Every cell tied: the curve is the random-flagging line, hits = k/n of the crimes.
    flat = hit_curve(np.zeros(500), actual, [0.1, 0.5])
    np.testing.assert_allclose(flat, [50 / 500 * actual.sum(), 250 / 500 * actual.sum()])
