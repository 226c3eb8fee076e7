"""The DiD count model: equivalence with the monthly panel GLM, and calibration on simulations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from harmwatch.evaluation.did import (
    UnitTotals,
    did_placebo_calibrated,
    did_random_effects,
    group_coefficients,
    poisson_fe,
    totals_from_panel,
)


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


# -- placebo-calibrated inference ---------------------------------------------------


def _marginal_loglik(
    beta: float, after: np.ndarray, total: np.ndarray, base: float, tau: float
) -> float:
    """The random-effect binomial log-likelihood by adaptive quadrature (scipy), not Gauss–Hermite."""
    from scipy import integrate, stats

    out = 0.0
    for a, n in zip(after, total, strict=True):

        def density(u: float, a: float = a, n: float = n) -> float:
            p = 1 / (1 + math.exp(-(base + beta + u)))
            return float(stats.binom.pmf(a, n, p) * stats.norm.pdf(u, 0, tau))

        out += math.log(integrate.quad(density, -8 * tau, 8 * tau, limit=200)[0])
    return out


def test_group_coefficient_is_the_closed_form_without_a_random_effect() -> None:
    after = np.array([[3, 7, 2], [0, 1, 9]])
    total = np.array([[10, 12, 8], [4, 9, 20]])
    got = group_coefficients(after, total, offset=math.log(6 / 12), intercept=0.2, tau=0.0)
    share = after.sum(axis=1) / total.sum(axis=1)
    expected = np.log(share / (1 - share)) - math.log(6 / 12) - 0.2
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_group_coefficient_maximises_the_random_effect_likelihood() -> None:
    from scipy import optimize

    after = np.array([4.0, 11.0, 2.0, 0.0])
    total = np.array([15.0, 20.0, 9.0, 3.0])
    base, tau = math.log(6 / 20) - 0.1, 0.5
    got = group_coefficients(after[None, :], total[None, :], math.log(6 / 20), -0.1, tau)[0]
    reference = optimize.minimize_scalar(
        lambda b: -_marginal_loglik(b, after, total, base, tau),
        bounds=(-5, 5),
        method="bounded",
        options={"xatol": 1e-8},
    ).x
    assert got == pytest.approx(reference, abs=1e-5)


def test_placebo_intervals_cover_the_truth_and_agree_with_their_p_values() -> None:
    cover, agree = [], []
    for seed in range(60):
        res = did_placebo_calibrated(simulate(seed, 0.45, 0.6), draws=1000)
        cover.append(res.ci_low < 0.6 < res.ci_high)
        if abs(res.p_value - 0.05) > 0.01:  # away from the draws' resolution
            agree.append((res.p_value < 0.05) == (not res.ci_low < 1 < res.ci_high))
    assert np.mean(cover) >= 0.88
    assert all(agree) and len(agree) >= 40


def test_placebo_false_positives_are_near_nominal_on_simulated_areas() -> None:
    # Heavy-tailed area changes (t with 3 df), where a normal random effect is optimistic.
    calls = []
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        totals = simulate(seed, 0.0, 1.0)
        shift = np.exp(0.35 * rng.standard_t(3, len(totals.units)))
        after = rng.poisson(totals.after * shift)
        heavy = UnitTotals(totals.units, totals.before, after, totals.treated, 20, 6)
        calls.append(did_placebo_calibrated(heavy, draws=500).p_value < 0.05)
    # 9.0 % (18/200): above the nominal 5 %. These targets are not picked on their counts, and
    # stand-ins matched on crimes before the start as well as in all (so that targets picked
    # for a busy pre-period, as users pick them, are calibrated: 3.3 % there) vary less than
    # such a target does; matched on the total only this stayed under 8 %. See placebo_stand_ins.
    assert np.mean(calls) <= 0.10


def test_placebo_result_is_reproducible_and_keeps_the_model_figures() -> None:
    totals = simulate(3, 0.45, 0.6)
    first, second = did_placebo_calibrated(totals), did_placebo_calibrated(totals)
    assert first == second
    assert first.model_based is not None and first.placebo_draws == 2000
    assert first.model_based["estimate"] == did_random_effects(totals).estimate
    assert "Conley & Taber" in first.model


def test_target_without_crimes_after_falls_back_to_the_model_interval() -> None:
    totals = simulate(4, 0.3, 1.0)
    after = totals.after.copy()
    after[totals.treated] = 0
    res = did_placebo_calibrated(
        UnitTotals(totals.units, totals.before, after, totals.treated, 20, 6)
    )
    assert res.placebo_draws == 0 and "placebo interval is undefined" in res.notes[-1]


def test_placebo_groups_without_crimes_after_make_the_interval_unbounded() -> None:
    # One busy target, and controls so sparse that many have no crime after the start.
    rng = np.random.default_rng(8)
    before = np.r_[30, rng.poisson(2.0, 120)]
    after = np.r_[2, rng.poisson(0.15, 120)]
    treated = np.r_[True, np.zeros(120, bool)]
    res = did_placebo_calibrated(
        UnitTotals(tuple(map(str, range(121))), before, after, treated, 11, 1)
    )
    assert math.isinf(res.ci_high) and res.ci_low > 0
    assert res.to_dict()["ci_high"] is None
    assert any("unbounded" in note for note in res.notes)


def test_too_few_controls_fall_back_to_the_model_interval() -> None:
    totals = simulate(6, 0.3, 0.7, n_controls=12)
    res = did_placebo_calibrated(totals)
    assert res.placebo_draws == 0 and res.estimate == did_random_effects(totals).estimate
    assert "too few to stand for the target's error" in res.notes[-1]


def test_interval_text_reads_unbounded_and_undefined_ends() -> None:
    from harmwatch.evaluation.rates import interval_text

    assert interval_text(0.386, 0.7931) == "0.39–0.79"
    assert interval_text(0.35, math.inf) == "0.35–∞"
    assert interval_text(math.nan, 2.0) == "—–2.00"


def test_stand_ins_are_the_controls_nearest_on_crimes_before_and_in_all() -> None:
    from harmwatch.evaluation.did import placebo_stand_ins

    # Controls 0–59 match the target (before 40, after 20) on the total but not on the crimes
    # before; controls 60–119 match it on both. Only the second kind may stand in for it.
    before = np.r_[40, np.full(60, 10), np.full(60, 41), np.full(200, 3)]
    after = np.r_[20, np.full(60, 50), np.full(60, 19), np.full(200, 3)]
    treated = np.arange(len(before)) == 0
    totals = UnitTotals(tuple(map(str, range(len(before)))), before, after, treated, 12, 6)
    stand = placebo_stand_ins(totals, draws=500, pool=50, rng=np.random.default_rng(1))
    assert set(stand.after[:, 0]) == {19.0} and set(stand.total[:, 0]) == {60.0}
    assert stand.notes == ()


def test_a_target_bigger_than_every_control_is_said_to_have_no_good_match() -> None:
    from harmwatch.evaluation.did import placebo_stand_ins

    before = np.r_[300, np.arange(1, 200) % 30 + 1]
    after = np.r_[150, np.arange(1, 200) % 20 + 1]
    treated = np.arange(len(before)) == 0
    totals = UnitTotals(tuple(f"L{i}" for i in range(len(before))), before, after, treated, 12, 6)
    stand = placebo_stand_ins(totals, draws=100, pool=50, rng=np.random.default_rng(2))
    assert len(stand.notes) == 1 and stand.notes[0].startswith(
        "no good match for 1 target unit(s) (L0)"
    )
    assert "the interval is rough" in stand.notes[0]


def test_off_centre_placebos_are_said_in_words_and_the_estimate_is_centred() -> None:
    # Areas as busy as the target all doubled; small areas stayed level; the target stayed
    # level too. Against all controls alike it looks level-ish, against its peers it fell.
    rng = np.random.default_rng(5)
    small_before = rng.poisson(5, 300)
    small_after = rng.poisson(5 * 6 / 12, 300)
    big_before = rng.poisson(60, 80)
    big_after = rng.poisson(60 * 2 * 6 / 12, 80)
    before = np.r_[60, 61, big_before, small_before]
    after = np.r_[30, 31, big_after, small_after]
    treated = np.arange(len(before)) < 2
    totals = UnitTotals(tuple(map(str, range(len(before)))), before, after, treated, 12, 6)
    res = did_placebo_calibrated(totals)
    assert res.off_centre is not None and "the placebo groups are off-centre" in res.off_centre
    assert "rose by" in res.off_centre and "against them the target fell" in res.off_centre
    assert res.ci_low < res.estimate < res.ci_high
    assert res.estimate < res.uncorrected_estimate
    assert res.placebo_centre > 1.1
    assert res.off_centre in res.notes
