"""`forecast-eval`: how well would each method have predicted next month's crimes here?

Drug offences are police-generated and persistent: "last month's counts" is a
strong forecast, and a method must beat it to be worth recommending. This verb
scores every method on the user's own force and crime type, month by month,
over each run of consecutive months separately (never across a gap), and shares
of area are of the study area, never of a bounding box.

Which method did best is said only when the months scored can tell: the method
with the highest mean PAI is "clearly ahead" only when a paired t-test over the
months both were scored on puts every other method below it (p < 0.05). A gap of
29.41 against 29.39 is month-to-month noise, and marking one of them "best" would
tell an analyst to prefer it for nothing; :meth:`ForecastEvaluation.leaders` then
names every method within noise of the top, and says so.

**Which method to use** (``recommended``) is chosen the honest way: month by
month, the method with the highest mean hit rate (over the coverages asked for)
on the months scored *before* it, starting from harmwatch's default
(:data:`~harmwatch.where.forecast.RECOMMENDED_METHOD`) when nothing has been
scored yet. That choice is then scored on the month itself, so the figures the
recommendation is judged by are never the figures it was chosen on, and the
method named for the coming month is the one chosen on every month scored.
Its paired comparison with each method (:func:`paired_comparisons`) is the mean
difference in hit rate over the months both were scored on, with a t interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import t as student_t
from scipy.stats import ttest_rel

from harmwatch.errors import InputError
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import StudyArea
from harmwatch.timeline.months import consecutive_runs
from harmwatch.where.forecast import (
    RECOMMENDED_METHOD,
    rolling_forecasts,
    summarise_forecasts,
)
from harmwatch.where.requests import ForecastEvalRequest
from harmwatch.where.workspace import prepare

# Below this many months scored by both methods, a difference cannot be told from noise.
MIN_PAIRED_MONTHS = 3
NOISE_ALPHA = 0.05


@dataclass(frozen=True)
class Leaders:
    """At one coverage: the highest mean PAI, and every method the months cannot tell from it."""

    coverage: float
    top: str  # the highest mean PAI (first by name on a tie)
    methods: tuple[str, ...]  # top and every method within noise of it, highest first
    clear: bool  # True: top is ahead of every other method beyond month-to-month noise
    note: str

    def to_dict(self) -> dict[str, object]:
        return {"methods": list(self.methods), "clear": self.clear, "note": self.note}


def paired_p_value(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided paired t-test p-value of ``a - b`` (NaN when the differences do not vary)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    if diff.size < 2 or np.allclose(diff, diff[0]):
        return math.nan if not diff.size or diff[0] == 0 else 0.0
    return float(ttest_rel(a, b).pvalue)


def method_leaders(monthly: pd.DataFrame, summary: pd.DataFrame) -> list[Leaders]:
    """Per coverage, the method with the highest mean PAI and those within noise of it.

    A method is *clearly below* the top when, over the target months both have a
    PAI for (``monthly``), the top's monthly PAI exceeds its own on average and a
    paired t-test gives p < :data:`NOISE_ALPHA`; with fewer than
    :data:`MIN_PAIRED_MONTHS` such months nothing is clearly below anything.
    """
    out: list[Leaders] = []
    for coverage, group in summary.groupby("coverage"):
        ranked = group.sort_values(
            ["mean_pai", "method"], ascending=[False, True], na_position="last"
        )
        top = str(ranked.iloc[0]["method"])
        part = monthly[monthly["coverage"] == coverage]
        keys = ["run", "target_month"] if "run" in part else ["target_month"]
        wide = part.pivot_table(index=keys, columns="method", values="pai", aggfunc="first")
        within = [top]
        months_used = 0
        for other in ranked["method"].iloc[1:]:
            other = str(other)
            pairs = wide[[top, other]].dropna() if top in wide and other in wide else wide.iloc[:0]
            months_used = max(months_used, len(pairs))
            below = False
            if len(pairs) >= MIN_PAIRED_MONTHS:
                p = paired_p_value(pairs[top].to_numpy(), pairs[other].to_numpy())
                gap = float((pairs[top] - pairs[other]).mean())
                below = gap > 0 and math.isfinite(p) and p < NOISE_ALPHA
            if not below:
                within.append(other)
        best = float(ranked.iloc[0]["mean_pai"])
        clear = len(within) == 1 and len(ranked) > 1
        share = f"{100 * float(coverage):g} %"
        if clear:
            note = (
                f"flagging {share} of the area, {top} has the highest mean PAI ({best:.2f}), ahead of "
                "every other method by more than month-to-month variation explains (paired "
                f"t-test over the months scored, p < {NOISE_ALPHA:g})"
            )
        elif len(within) == len(ranked):
            note = (
                f"flagging {share} of the area the methods' mean PAIs (highest {best:.2f}, {top}) are "
                "within month-to-month noise of each other: the months scored cannot tell them "
                f"apart (paired t-test, p ≥ {NOISE_ALPHA:g}, or fewer than {MIN_PAIRED_MONTHS} "
                "months), so no method is marked best"
            )
        else:
            listed = ", ".join(within[:-1]) + f" and {within[-1]}"
            note = (
                f"flagging {share} of the area, {listed} are within month-to-month noise of the highest "
                f"mean PAI ({best:.2f}): the months scored cannot tell them apart (paired t-test, "
                f"p ≥ {NOISE_ALPHA:g}), so they are marked jointly highest"
            )
        out.append(Leaders(float(coverage), top, tuple(within), clear, note))
    return out


RECOMMENDED = "recommended"  # the name of the month-by-month choice in tables and charts
CONF_LEVEL = 0.95


@dataclass(frozen=True)
class Recommendation:
    """The method chosen month by month on earlier months, and how that choice scored."""

    method: str  # the method for the coming month: chosen on every month scored
    rule: str
    months_chosen_on: int
    choices: pd.DataFrame  # run, target_month, method chosen, months it was chosen on
    track: pd.DataFrame  # the choice's own scores: run, target_month, coverage, hit_rate, pai

    def to_dict(self) -> dict[str, object]:
        counts = self.choices["method"].value_counts()
        return {
            "method": self.method,
            "rule": self.rule,
            "months_chosen_on": self.months_chosen_on,
            "chosen_each_month": {str(k): int(v) for k, v in counts.items()},
            "scored": [
                {
                    "coverage": float(cov),
                    "months": int(g["hit_rate"].notna().sum()),
                    "mean_hit_rate": _finite(float(g["hit_rate"].mean())),
                    "mean_pai": _finite(float(g["pai"].mean())),
                }
                for cov, g in self.track.groupby("coverage")
            ],
        }


@dataclass(frozen=True)
class Comparison:
    """The mean paired difference in hit rate between two methods at one coverage."""

    method: str
    against: str
    coverage: float
    months: int
    difference: float
    ci_low: float
    ci_high: float

    @property
    def text(self) -> str:
        share = f"{100 * self.coverage:g} %"
        if self.months < 2 or not math.isfinite(self.ci_low):
            return (
                f"{self.method} against {self.against} at {share}: {self.difference:+.3f} over "
                f"{self.months} month(s), too few for an interval"
            )
        if self.ci_low > 0:
            verdict = "beats"
        elif self.ci_high < 0:
            verdict = "trails"
        else:
            verdict = "cannot be told from"
        return (
            f"{self.method} {verdict} {self.against} at {share} of the area by "
            f"{self.difference:+.3f} in hit rate, {100 * CONF_LEVEL:.0f} % interval "
            f"{self.ci_low:+.3f} to {self.ci_high:+.3f}, over {self.months} months"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "against": self.against,
            "coverage": self.coverage,
            "months": self.months,
            "difference": _finite(self.difference),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "text": self.text,
        }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _keys(frame: pd.DataFrame) -> list[str]:
    return ["run", "target_month"] if "run" in frame else ["target_month"]


def recommend(monthly: pd.DataFrame, default: str = RECOMMENDED_METHOD) -> Recommendation:
    """Month by month, the method with the best mean hit rate on the months scored before.

    ``monthly`` is the rolling table (every method, every coverage). Months are
    taken in calendar order across runs (an earlier run's months are earlier
    months); a month with no crime has no hit rate and teaches nothing. Before
    any month is scored the choice is ``default`` when it was evaluated, else
    the first method in the table. Ties go to the method listed first.
    """
    keys = _keys(monthly)
    methods = list(dict.fromkeys(monthly["method"]))
    first = default if default in methods else methods[0]
    per_month = (
        monthly.groupby([*keys, "method"], sort=False)["hit_rate"].mean().unstack("method")
    )[methods]
    order = per_month.index.to_frame(index=False).sort_values("target_month", kind="stable")
    per_month = per_month.loc[pd.MultiIndex.from_frame(order) if len(keys) > 1 else order[keys[0]]]
    total = pd.Series(0.0, index=methods)
    scored = 0
    choices = []
    for index, row in per_month.iterrows():
        if scored:
            means = total / scored
            chosen = max(methods, key=lambda m: (means[m], -methods.index(m)))
        else:
            chosen = first
        key = index if isinstance(index, tuple) else (index,)
        choices.append({**dict(zip(keys, key, strict=True)), "method": chosen, "chosen_on": scored})
        if row.notna().all():
            total += row
            scored += 1
    choice_frame = pd.DataFrame(choices, columns=[*keys, "method", "chosen_on"])
    if scored:
        means = total / scored
        next_method = max(methods, key=lambda m: (means[m], -methods.index(m)))
    else:
        next_method = first
    track = monthly.merge(choice_frame[[*keys, "method"]], on=[*keys, "method"])
    return Recommendation(
        method=next_method,
        rule=(
            "each month, the method with the highest mean hit rate (over the coverages "
            "asked for) on the months scored before it; "
            f"{first} before any month was scored. The coming month's method is chosen on "
            f"all {scored} month(s) scored"
        ),
        months_chosen_on=scored,
        choices=choice_frame,
        track=track[[*keys, "coverage", "hit_rate", "pai"]],
    )


def paired_comparisons(monthly: pd.DataFrame, recommendation: Recommendation) -> list[Comparison]:
    """The recommended choice against every method, per coverage, over months both scored."""
    keys = _keys(monthly)
    track = recommendation.track.assign(method=RECOMMENDED)
    both = pd.concat([monthly[[*keys, "method", "coverage", "hit_rate"]], track])
    out: list[Comparison] = []
    for coverage, part in both.groupby("coverage"):
        wide = part.pivot_table(index=keys, columns="method", values="hit_rate", aggfunc="first")
        for other in dict.fromkeys(monthly["method"]):
            pairs = wide[[RECOMMENDED, other]].dropna()
            diff = (pairs[RECOMMENDED] - pairs[other]).to_numpy(dtype=float)
            n = len(diff)
            mean = float(diff.mean()) if n else math.nan
            low = high = math.nan
            if n >= 2:
                sd = float(diff.std(ddof=1))
                half = float(student_t.ppf(0.5 + CONF_LEVEL / 2, n - 1)) * sd / math.sqrt(n)
                low, high = mean - half, mean + half
            out.append(Comparison(RECOMMENDED, str(other), float(coverage), n, mean, low, high))
    return out


def pooled_curve(curve: pd.DataFrame) -> pd.DataFrame:
    """The hit-rate-by-area curve per method: all hits over all crimes of the months scored."""
    if curve.empty:
        return pd.DataFrame(columns=["method", "coverage", "hit_rate", "months"])
    grouped = curve.groupby(["method", "coverage"], sort=False)
    out = grouped.agg(hits=("hits", "sum"), total=("total", "sum"), months=("hits", "size"))
    out["hit_rate"] = out["hits"] / out["total"]
    return out.reset_index()[["method", "coverage", "hit_rate", "months"]]


@dataclass
class ForecastEvaluation:
    monthly: pd.DataFrame  # one row per run, method, target month and coverage
    summary: pd.DataFrame  # per method and coverage, over every scored month of every run
    runs: list[dict[str, object]]
    study_area: StudyArea
    grid: Grid
    n_cells: int
    crime_types: list[str]
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    forces: list[str] = field(default_factory=list)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)  # per method, month and level

    def recommendation(self) -> Recommendation:
        """The method chosen month by month on earlier months (see the module docstring)."""
        return recommend(self.monthly)

    def comparisons(self) -> list[Comparison]:
        """The recommended choice against each method, per coverage, with intervals."""
        return paired_comparisons(self.monthly, self.recommendation())

    def coverage_curve(self) -> pd.DataFrame:
        """Pooled hit rate by share of the area flagged, per method (the curve chart's data).

        The recommended choice's curve is its chosen method's, month by month.
        """
        if self.curve.empty:
            return pooled_curve(self.curve)
        keys = _keys(self.curve)
        chosen = self.recommendation().choices[[*keys, "method"]]
        track = self.curve.merge(chosen, on=[*keys, "method"]).assign(method=RECOMMENDED)
        return pooled_curve(pd.concat([track, self.curve], ignore_index=True))

    def leaders(self) -> dict[float, Leaders]:
        """At each coverage, the highest mean PAI and the methods within noise of it."""
        return {lead.coverage: lead for lead in method_leaders(self.monthly, self.summary)}

    def to_dict(self) -> dict[str, object]:
        return {
            "study_area": self.study_area.description,
            "study_area_kind": self.study_area.kind,
            "cell_size_m": self.grid.cell,
            "study_cells": self.n_cells,
            "runs": self.runs,
            "summary": self.summary.to_dict(orient="records"),
            "highest_mean_pai": {str(k): v.to_dict() for k, v in self.leaders().items()},
            "recommended": {
                **self.recommendation().to_dict(),
                "comparisons": [c.to_dict() for c in self.comparisons()],
            },
            "curve": self.coverage_curve().to_dict(orient="records"),
            "defaults_chosen": self.defaults_chosen,
            "warnings": self.warnings,
        }


def forecast_eval(db_path: str | Path, request: ForecastEvalRequest) -> ForecastEvaluation:
    """Rolling next-month forecast evaluation of the request's methods for its crimes."""
    ws = prepare(db_path, request)
    points, study, grid, mask, inside = ws.points, ws.study_area, ws.grid, ws.mask, ws.inside
    defaults, warnings = ws.defaults_chosen, ws.warnings
    methods, coverages, min_history = request.methods, request.coverages, request.min_history

    frames = []
    curves = []
    runs = []
    for run in consecutive_runs(points.months):
        info: dict[str, object] = {"first": run[0], "last": run[-1], "months": len(run)}
        if len(run) <= min_history:
            info["scored_months"] = 0
            info["note"] = f"too short: needs more than {min_history} months"
            warnings.append(
                f"months {run[0]}…{run[-1]} ({len(run)}) are too few to forecast with "
                f"{min_history} months of history; skipped"
            )
            runs.append(info)
            continue
        in_run = inside & np.isin(points.month, run)
        index = {m: i for i, m in enumerate(run)}
        month_index = np.array([index[m] for m in points.month[in_run]], dtype=np.int64)
        result = rolling_forecasts(
            points.x[in_run],
            points.y[in_run],
            month_index,
            run,
            grid,
            mask,
            methods=methods,
            coverages=coverages,
            kde_bandwidth=request.kde_bandwidth,
            min_history=min_history,
        )
        frame, curve = result.table, result.curve
        frame.insert(0, "run", f"{run[0]}…{run[-1]}")
        curve.insert(0, "run", f"{run[0]}…{run[-1]}")
        frames.append(frame)
        curves.append(curve)
        info["scored_months"] = len(run) - min_history
        runs.append(info)
    if len(runs) > 1:
        defaults.append(
            f"{len(runs)} separate runs of consecutive months; each is evaluated on its own, "
            "never across a gap"
        )
    if not frames:
        raise InputError(
            "no run of consecutive months is long enough to evaluate a forecast "
            f"(need more than {min_history} months): "
            + ", ".join(f"{r['first']}…{r['last']}" for r in runs)
        )
    monthly = pd.concat(frames, ignore_index=True)
    return ForecastEvaluation(
        monthly=monthly,
        summary=summarise_forecasts(monthly),
        runs=runs,
        study_area=study,
        grid=grid,
        n_cells=int(mask.sum()),
        crime_types=list(points.filter.crime_types),
        forces=list(points.forces),
        defaults_chosen=defaults,
        warnings=warnings,
        curve=pd.concat(curves, ignore_index=True),
    )
