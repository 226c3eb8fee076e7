"""Difference-in-differences from a count model with area and month fixed effects.

The panel is one row per unit (a target LSOA or the drawn target area, and each
control LSOA) and month, with the crime count. The model is

    count ~ C(unit) + C(month) + treated_post

a Poisson regression: unit effects absorb each place's level, month effects
absorb everything the whole force went through (seasons, a force-wide
crackdown, a recording change), and ``exp(coef)`` of ``treated_post`` is the
incidence-rate ratio (IRR): how the target's crime changed after the start,
relative to how the controls changed.

The Poisson fixed-effects estimator is consistent whatever the counts'
distribution, provided the mean is right, but its model-based standard errors
assume variance = mean. Police-recorded counts are overdispersed and serially
correlated, so this module reports the Pearson dispersion (chi²/df) and uses
cluster-robust standard errors by unit when there are at least
:data:`MIN_CLUSTERS` units, with the small-sample correction (G/(G−1)) and a
t reference with G−1 degrees of freedom; with fewer units it falls back to
quasi-Poisson (Pearson-scaled) standard errors and says so.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

MIN_CLUSTERS = 10
OVERDISPERSION = 1.5


@dataclass(frozen=True)
class DidResult:
    estimate: float  # IRR = exp(coef of treated_post)
    ci_low: float
    ci_high: float
    p_value: float
    coef: float
    se: float
    model: str
    dispersion: float  # Pearson chi² / residual df of the Poisson fit
    n_units: int
    n_treated_units: int
    n_months: int
    n_obs: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "coef": self.coef,
            "se": self.se,
            "model": self.model,
            "dispersion": self.dispersion,
            "units": self.n_units,
            "treated_units": self.n_treated_units,
            "months": self.n_months,
            "observations": self.n_obs,
            "notes": list(self.notes),
        }


def _design(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Dense dummy design: intercept, unit dummies (first dropped), month dummies, treated_post."""
    units = pd.Categorical(panel["unit"])
    months = pd.Categorical(panel["month"])
    n = len(panel)
    u_codes = np.asarray(units.codes)
    m_codes = np.asarray(months.codes)
    nu, nm = len(units.categories), len(months.categories)
    x = np.zeros((n, 1 + (nu - 1) + (nm - 1) + 1))
    x[:, 0] = 1.0
    rows = np.arange(n)
    has_u = u_codes > 0
    x[rows[has_u], u_codes[has_u]] = 1.0
    has_m = m_codes > 0
    x[rows[has_m], (nu - 1) + m_codes[has_m]] = 1.0
    x[:, -1] = (panel["treated"].to_numpy(bool) & panel["post"].to_numpy(bool)).astype(float)
    y = panel["count"].to_numpy(dtype=float)
    return y, x, u_codes, [str(c) for c in units.categories]


def did_poisson(panel: pd.DataFrame, conf_level: float = 0.95) -> DidResult:
    """Fit the two-way fixed-effects Poisson DiD to ``panel``.

    ``panel`` columns: ``unit``, ``month``, ``count``, ``treated`` (bool, per unit)
    and ``post`` (bool, per month).
    """
    needed = {"unit", "month", "count", "treated", "post"}
    missing = needed - set(panel.columns)
    if missing:
        raise ValueError(f"panel lacks column(s) {', '.join(sorted(missing))}")
    # Units with no crime in any month add nothing to a Poisson fixed-effects fit
    # (their effect runs off to -inf) and make the fit unstable: leave them out.
    totals = panel.groupby("unit")["count"].transform("sum")
    used = panel[totals > 0]
    treated_units = used.loc[used["treated"], "unit"].nunique()
    control_units = used.loc[~used["treated"], "unit"].nunique()
    if treated_units == 0 or control_units == 0:
        raise ValueError("the DiD needs crimes in both the target and the controls")
    if not (used["post"].any() and (~used["post"]).any()):
        raise ValueError("the DiD needs months both before and after the start")
    y, x, groups, _ = _design(used)
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    dispersion = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else math.nan
    coef = float(fit.params[-1])
    n_clusters = treated_units + control_units
    alpha = 1 - conf_level
    if n_clusters >= MIN_CLUSTERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            robust = sm.GLM(y, x, family=sm.families.Poisson()).fit(
                cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True}
            )
        se = float(robust.bse[-1])
        df = n_clusters - 1
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        p_value = float(2 * stats.t.sf(abs(coef) / se, df)) if se > 0 else math.nan
        model = (
            f"Poisson GLM, unit and month fixed effects; cluster-robust SE by unit "
            f"({n_clusters} clusters, t with {df} df)"
        )
    else:
        scale = max(dispersion, 1.0) if math.isfinite(dispersion) else 1.0
        se = float(fit.bse[-1] * math.sqrt(scale))
        crit = float(stats.norm.ppf(1 - alpha / 2))
        p_value = float(2 * stats.norm.sf(abs(coef) / se)) if se > 0 else math.nan
        model = (
            f"Poisson GLM, unit and month fixed effects; quasi-Poisson SE (scaled by "
            f"dispersion {scale:.2f})"
        )
        notes.append(
            f"only {n_clusters} units: too few for cluster-robust standard errors "
            f"(≥ {MIN_CLUSTERS}); serial correlation within units is not allowed for"
        )
    if math.isfinite(dispersion) and dispersion > OVERDISPERSION:
        notes.append(
            f"counts are overdispersed (Pearson chi²/df = {dispersion:.2f} > {OVERDISPERSION}): "
            "model-based Poisson intervals would be too narrow, hence the robust/scaled SE"
        )
    return DidResult(
        estimate=math.exp(coef),
        ci_low=math.exp(coef - crit * se),
        ci_high=math.exp(coef + crit * se),
        p_value=p_value,
        coef=coef,
        se=se,
        model=model,
        dispersion=dispersion,
        n_units=n_clusters,
        n_treated_units=int(treated_units),
        n_months=int(used["month"].nunique()),
        n_obs=len(used),
        notes=tuple(notes),
    )
