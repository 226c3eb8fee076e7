"""The DiD count model: equivalence with the monthly panel GLM, and calibration on simulations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from harmwatch.evaluation.did import UnitTotals, did_random_effects, poisson_fe, totals_from_panel


def monthly_panel(seed: int, units: int = 9, months: int = 15, effect: float = 0.6):
    rng = np.random.default_rng(seed)
    level = rng.gamma(2.0, 2.0, units)[:, None]
    season = np.exp(rng.normal(0, 0.2, months))[None, :]
    post = np.arange(months) >= 10
    treated = np.arange(units) < 3
    counts = rng.poisson(level * season * np.where(treated[:, None] & post[None, :], effect, 1))
    return counts, treated, post


def test_totals_give_the_same_estimate_as_the_monthly_dummy_glm() -> None:
    counts, treated, post = monthly_panel(3)
    names = [f"u{i}" for i in range(counts.shape[0])]
    fe = poisson_fe(totals_from_panel(names, counts, treated, post))
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(counts.shape[0]), counts.shape[1]).astype(str),
            "month": np.tile(np.arange(counts.shape[1]), counts.shape[0]).astype(str),
            "count": counts.ravel(),
        }
    )
    x = pd.get_dummies(frame[["unit", "month"]], drop_first=True).astype(float)
    x.insert(0, "const", 1.0)
    x["treated_post"] = (
        treated[frame["unit"].astype(int)] & post[frame["month"].astype(int)]
    ).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(frame["count"], x, family=sm.families.Poisson()).fit()
    assert fe.coef == pytest.approx(glm.params["treated_post"], abs=1e-8)
    assert fe.se == pytest.approx(glm.bse["treated_post"], rel=1e-6)
    # The 2×2 closed form: (T_after/T_before) / (C_after/C_before).
    t, c = counts[treated], counts[~treated]
    ratio = (t[:, post].sum() / t[:, ~post].sum()) / (c[:, post].sum() / c[:, ~post].sum())
    assert fe.estimate == pytest.approx(ratio, rel=1e-9)


def test_random_effect_vanishes_on_poisson_data() -> None:
    # Pure Poisson counts, no unit-specific changes: τ ≈ 0 and the estimate is the Poisson one.
    rng = np.random.default_rng(11)
    n = 200
    before = rng.poisson(40, n)
    after = rng.poisson(20, n)
    treated = np.zeros(n, bool)
    treated[:5] = True
    totals = UnitTotals(tuple(map(str, range(n))), before, after, treated, 12, 6)
    res = did_random_effects(totals)
    assert res.tau < 0.08
    assert res.coef == pytest.approx(res.poisson.coef, abs=0.02)


def simulate(seed: int, tau: float, effect: float, n_controls: int = 250, n_treated: int = 4):
    rng = np.random.default_rng(seed)
    n = n_controls + n_treated
    level = rng.gamma(0.8, 1.5, n) + 0.2  # crimes a month: mostly sparse, a few busy
    change = np.exp(rng.normal(0, tau, n))
    treated = np.arange(n) < n_treated
    level[treated] = rng.uniform(2, 5, n_treated)
    before = rng.poisson(level * 20)
    after = rng.poisson(level * 6 * change * np.where(treated, effect, 1.0))
    return UnitTotals(tuple(map(str, range(n))), before, after, treated, 20, 6)


def test_intervals_cover_the_truth_when_areas_change_beyond_poisson_noise() -> None:
    # Each area's rate changes by a log-normal factor (τ = 0.45, as the Bedfordshire
    # LSOAs do); the target's true IRR is 0.6. The random-effect interval should cover
    # 0.6 about 95 % of the time; the plain Poisson interval, which ignores the
    # area-level changes, much less often.
    cover_re, cover_fe = [], []
    for seed in range(80):
        res = did_random_effects(simulate(seed, 0.45, 0.6))
        cover_re.append(res.ci_low < 0.6 < res.ci_high)
        cover_fe.append(res.poisson.ci_low < 0.6 < res.poisson.ci_high)
    assert np.mean(cover_re) >= 0.88
    assert np.mean(cover_fe) < np.mean(cover_re) - 0.1


def test_needs_crimes_on_both_sides() -> None:
    totals = UnitTotals(
        ("a", "b"), np.array([0, 5]), np.array([0, 4]), np.array([True, False]), 6, 6
    )
    with pytest.raises(ValueError, match="target"):
        did_random_effects(totals)
    with pytest.raises(ValueError):
        UnitTotals(("a",), np.array([1]), np.array([1]), np.array([True]), 0, 3)


def test_to_dict_is_json_safe() -> None:
    res = did_random_effects(simulate(1, 0.3, 1.0))
    d = res.to_dict()
    assert {"estimate", "ci_low", "ci_high", "p_value", "model"} <= set(d)
    assert all(v is None or math.isfinite(v) for v in d.values() if isinstance(v, float))
