"""Emerging hot spot categories: one hand-worked series per category, and boundaries.

Each series has T = 10 steps, oldest first. A step is significant when p < 0.05;
the helper gives p = 0.01 when |z| >= 1.96 and p = 0.5 otherwise, so a step is
hot when z >= 1.96 and cold when z <= -1.96. The trend is the Mann–Kendall test
on the z-scores themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from harmwatch.where.kernels.emerging import (
    CATEGORIES,
    COLD_CATEGORIES,
    HOT_CATEGORIES,
    NO_PATTERN,
    NOT_ANALYSED,
    classify_emerging,
)
from harmwatch.where.kernels.mann_kendall import mann_kendall

N = 0.1  # not significant
H = 2.5  # hot
C = -2.5  # cold


def p_for(z: np.ndarray) -> np.ndarray:
    return np.where(np.abs(z) >= 1.96, 0.01, 0.5)


def classify_one(z: list[float]) -> str:
    zz = np.asarray(z, dtype=float)[:, None]
    return str(classify_emerging(zz, p_for(zz)).category[0])


RISING = [2.0 + 0.2 * i for i in range(10)]  # 2.0, 2.2, ..., 3.8: all hot
FALLING = RISING[::-1]

# (expected hot category, z series, why). The cold twin of each is -z: negating
# swaps hot and cold steps and reverses the trend, and a cold spot "intensifies"
# as its z-score falls.
HOT_CASES = [
    (
        "New Hot Spot",
        [N] * 9 + [H],
        "hot in the final step only; never hot (or cold) before",
    ),
    (
        "Consecutive Hot Spot",
        [N] * 7 + [H, H, H],
        "one uninterrupted run of 3 hot steps ending at the final step, nothing "
        "significant before it, 30 % < 90 % hot",
    ),
    (
        "Intensifying Hot Spot",
        RISING,
        "hot in 10/10 steps including the final one; z rises every step: S = 45, "
        "var = 10*9*25/18 = 125, z_MK = 44/sqrt(125) = 3.94, p = 8e-5 (increasing)",
    ),
    (
        "Persistent Hot Spot",
        [3.0] * 10,
        "hot in 10/10 steps including the final one; all z equal, so S = 0 (no trend)",
    ),
    (
        "Diminishing Hot Spot",
        FALLING,
        "hot in 10/10 steps including the final one; z falls every step: S = -45, "
        "z_MK = -3.94 (decreasing)",
    ),
    (
        "Sporadic Hot Spot",
        [H, N, H, N, N, H, N, N, N, H],
        "hot in the final step and on and off before (4/10 < 90 %), never cold",
    ),
    (
        "Oscillating Hot Spot",
        [C, N, H, N, C, N, H, N, N, H],
        "hot in the final step, 3/10 < 90 % hot, and cold in steps 1 and 5",
    ),
    (
        "Historical Hot Spot",
        [H] * 9 + [N],
        "hot in 9/10 = exactly 90 % of steps, but not in the final step",
    ),
]


@pytest.mark.parametrize(("expected", "z", "why"), HOT_CASES, ids=[c[0] for c in HOT_CASES])
def test_hot_categories(expected: str, z: list[float], why: str) -> None:
    assert classify_one(z) == expected, why


@pytest.mark.parametrize(("expected", "z", "why"), HOT_CASES, ids=[c[0] for c in HOT_CASES])
def test_cold_twins(expected: str, z: list[float], why: str) -> None:
    cold = expected.replace("Hot Spot", "Cold Spot")
    assert classify_one([-v for v in z]) == cold, f"mirror of: {why}"


def test_every_category_is_covered_by_a_case() -> None:
    hot = {c[0] for c in HOT_CASES}
    assert hot == set(HOT_CATEGORIES)
    assert {c.replace("Hot", "Cold") for c in hot} == set(COLD_CATEGORIES)
    assert len(CATEGORIES) == 17


def test_all_locations_at_once_and_trend_outputs() -> None:
    z = np.array([c[1] for c in HOT_CASES] + [[-v for v in c[1]] for c in HOT_CASES]).T
    result = classify_emerging(z, p_for(z))
    expected = [c[0] for c in HOT_CASES] + [c[0].replace("Hot", "Cold") for c in HOT_CASES]
    assert result.category.tolist() == expected
    for i in range(z.shape[1]):
        mk = mann_kendall(z[:, i])
        assert result.trend_z[i] == pytest.approx(mk.z)
        assert result.trend_p[i] == pytest.approx(mk.p)
    # Intensifying: z_MK = 44 / sqrt(125).
    assert result.trend_z[2] == pytest.approx(44 / np.sqrt(125))
    assert result.n_hot.tolist()[:8] == [1, 3, 10, 10, 10, 4, 3, 9]
    assert result.n_cold.tolist()[:8] == [0, 0, 0, 0, 0, 0, 2, 0]


# --- the 90 % boundary ---------------------------------------------------------


def test_exactly_ninety_percent_is_persistent() -> None:
    # 9/10 hot including the final step. The one quiet step sits in the middle:
    # the four 3.0s before it each fall to 0.1 (-4) and it rises to the five after
    # it (+5); all other pairs are ties. S = +1, far from significant.
    z = [3.0, 3.0, 3.0, 3.0, 0.1, 3.0, 3.0, 3.0, 3.0, 3.0]
    assert mann_kendall(np.array(z)).s == 1
    assert classify_one(z) == "Persistent Hot Spot"


def test_exactly_ninety_percent_over_twenty_steps() -> None:
    # 18/20 = 90 %: still the >= 90 % family; 17/20 = 85 % is not.
    assert classify_one([3.0] * 9 + [N] + [3.0] * 8 + [N] + [3.0]) == "Persistent Hot Spot"
    assert classify_one([3.0] * 8 + [N, N] + [3.0] * 8 + [N] + [3.0]) == "Sporadic Hot Spot"


def test_eighty_percent_on_and_off_is_sporadic_not_persistent() -> None:
    # 8/10 hot with the final step hot but two gaps: below 90 %, not one run.
    assert classify_one([3.0, 3.0, N, 3.0, 3.0, 3.0, N, 3.0, 3.0, 3.0]) == "Sporadic Hot Spot"


def test_eighty_percent_in_one_final_run_is_consecutive() -> None:
    assert classify_one([N, N] + [3.0] * 8) == "Consecutive Hot Spot"


def test_ninety_percent_with_a_significant_rise_but_quiet_final_step_is_historical() -> None:
    # Historical needs only >= 90 % hot and a final step that is not hot; the
    # trend does not matter.
    z = [2.0 + 0.2 * i for i in range(9)] + [N]
    assert classify_one(z) == "Historical Hot Spot"


def test_run_of_two_is_consecutive_and_one_is_new() -> None:
    assert classify_one([N] * 8 + [H, H]) == "Consecutive Hot Spot"
    assert classify_one([N] * 9 + [H]) == "New Hot Spot"


# --- significance ------------------------------------------------------------------


def test_never_significant_is_no_pattern() -> None:
    z = np.array([[0.5, -1.0, 1.5, 1.9, -1.9, 0.0, 1.0, 1.2, -0.3, 0.8]]).T
    result = classify_emerging(z, np.full(z.shape, 0.3))
    assert result.category[0] == NO_PATTERN
    assert np.isfinite(result.trend_z[0])


def test_p_equal_to_alpha_is_not_significant() -> None:
    z = np.array([[0.1] * 9 + [2.5]]).T
    p = np.array([[0.5] * 9 + [0.05]]).T
    assert classify_emerging(z, p).category[0] == NO_PATTERN
    assert classify_emerging(z, p, alpha=0.1).category[0] == "New Hot Spot"


def test_quiet_final_step_with_some_hot_history_is_no_pattern() -> None:
    # Current Esri wording requires Sporadic to be hot in the final step.
    assert classify_one([H, N, H, N, N, H, N, N, H, N]) == NO_PATTERN


def test_trend_alpha_can_differ_from_bin_alpha() -> None:
    # Rising hot series: z_MK = 3.94, p = 8e-5 -> intensifying at any usual level,
    # but not if the trend must beat p < 1e-5.
    z = np.array(RISING)[:, None]
    assert classify_emerging(z, p_for(z)).category[0] == "Intensifying Hot Spot"
    out = classify_emerging(z, p_for(z), trend_alpha=1e-5)
    assert out.category[0] == "Persistent Hot Spot"


# --- overlaps resolved by our documented choices ---------------------------------------


def test_first_hot_step_after_cold_history_is_oscillating_not_new() -> None:
    assert classify_one([C, N, N, N, N, N, N, N, N, H]) == "Oscillating Hot Spot"


def test_final_run_after_cold_history_is_oscillating_not_consecutive() -> None:
    assert classify_one([C, N, N, N, N, N, N, H, H, H]) == "Oscillating Hot Spot"


def test_final_step_family_wins_when_hot_and_cold_patterns_both_fit() -> None:
    # Cold in 9/10 steps (Historical Cold Spot) and hot in the last (Oscillating
    # Hot Spot): the final step is hot, so the hot pattern is reported.
    assert classify_one([C] * 9 + [H]) == "Oscillating Hot Spot"
    assert classify_one([H] * 9 + [C]) == "Oscillating Cold Spot"


# --- cells outside the study area ---------------------------------------------------


def test_nan_series_are_not_analysed() -> None:
    z = np.array([[3.0] * 10, [np.nan] * 10, [3.0] * 9 + [np.nan]]).T
    p = p_for(np.nan_to_num(z))
    p[np.isnan(z)] = np.nan
    result = classify_emerging(z, p)
    assert result.category.tolist() == ["Persistent Hot Spot", NOT_ANALYSED, NOT_ANALYSED]
    assert np.isnan(result.trend_z[1:]).all() and np.isnan(result.trend_p[1:]).all()
    assert result.n_hot.tolist() == [10, 0, 0]


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="same shape"):
        classify_emerging(np.zeros((10, 3)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="same shape"):
        classify_emerging(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="alpha"):
        classify_emerging(np.zeros((10, 1)), np.ones((10, 1)), alpha=0.0)
