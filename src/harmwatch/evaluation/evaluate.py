"""Did it work: the before/after, difference-in-differences and displacement verb.

``evaluate`` takes one :class:`~harmwatch.evaluation.requests.EvaluateRequest`,
reads the store once, fills in the months, buffer, force and controls it was not
given (:func:`resolve` and the verb say which they chose), and computes for the
target area:

- the before/after rate ratio (crimes per month after the start over before) with
  its exact Poisson interval and p-value: what a reader sees first, and what a
  force-wide trend alone can produce;
- the difference-in-differences incidence-rate ratio against control areas, which
  takes the force-wide trend out (:mod:`harmwatch.evaluation.did`);
- the weighted displacement quotient for the buffer ring around the target
  (:mod:`harmwatch.evaluation.wdq`) and the weighted displacement difference
  with its standard error, z and interval, whose total is the net effect
  (:mod:`harmwatch.evaluation.wdd`); a displacement verdict only when the buffer
  is one catchment around one place (:func:`~harmwatch.evaluation.areas.buffer_catchment`);
- the monthly series of target, buffer and controls for the chart;
- a plain-English summary and the caveats that decide how far to trust it.

It refuses, with the reason, what cannot be evaluated: a start month that is not
loaded, no loaded month just before the start, a gap in the months asked for, a
target with no crimes, fewer than two usable controls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from harmwatch.evaluation.areas import (
    MIN_CONTROLS,
    ControlChoice,
    CrimeData,
    EvaluationError,
    Target,
    buffer_catchment,
    buffer_mask,
    buffer_zone,
    candidate_lsoas,
    isin,
    load_crime_data,
    match_controls,
    ols_slope,
    resolve_target,
    target_force,
)
from harmwatch.evaluation.did import DidResult, UnitTotals, did_placebo_calibrated
from harmwatch.evaluation.rates import (
    RateRatio,
    interval_text,
    p_text,
    pct_change,
    rate_ratio_exact,
)
from harmwatch.evaluation.requests import DEFAULT_BUFFER_M, EvaluateRequest
from harmwatch.evaluation.wdd import WDDResult, read_wdd, wdd_for_evaluation
from harmwatch.evaluation.wdq import WDQResult, weighted_displacement_quotient
from harmwatch.query.params import Resolved
from harmwatch.sources.policeuk.forces import force_name
from harmwatch.timeline.months import (
    add_months,
    consecutive_runs,
    count_text,
    month_label,
    month_range,
    parse_month,
    run_label,
    runs_text,
)

MAX_PRE_MONTHS = 24
MIN_PRE_MONTHS = 12
MIN_POST_MONTHS = 3
SMALL_COUNT = 20
SPIKE_RATIO = 1.5
ALPHA = 0.05

DRUGS_CAVEAT = (
    "police-recorded drug offences are proactive: they are found by police activity (stop and "
    "search, warrants, patrols), not reported by victims. A rise during an enforcement operation "
    "may mean more detection, not more drugs; a fall after it may mean less searching, not fewer "
    "drugs"
)


class MonthsNotLoadedError(EvaluationError):
    """The months an evaluation needs are not in the store."""


@dataclass(frozen=True)
class MonthPlan:
    pre: list[str]
    post: list[str]
    defaults: list[str]


def plan_months(
    loaded: Sequence[str], start: str, end: str | None = None, pre_start: str | None = None
) -> MonthPlan:
    """The pre- and post-period months, checked against what is loaded.

    Defaults: ``end`` is the last month of the run of consecutive loaded months
    that holds ``start``; the pre-period is the run of consecutive loaded months
    just before ``start``, at most :data:`MAX_PRE_MONTHS` long.
    """
    parse_month(start)
    have = set(loaded)
    shown = runs_text(loaded) if loaded else "none"
    if start not in have:
        raise MonthsNotLoadedError(
            f"the start month {start} is not loaded for this selection; loaded months: {shown}"
        )
    defaults: list[str] = []
    if end is None:
        run = next(r for r in consecutive_runs(loaded) if start in r)
        end = run[-1]
        defaults.append(
            f"end: {end}, the last month of the loaded run holding the start ({run[0]}…{run[-1]})"
        )
    post = month_range(start, end)
    missing = [m for m in post if m not in have]
    if missing:
        raise MonthsNotLoadedError(
            f"month(s) {runs_text(missing)} between {start} and {end} are not loaded; "
            f"loaded months: {shown}"
        )
    if pre_start is None:
        pre: list[str] = []
        month = add_months(start, -1)
        while month in have and len(pre) < MAX_PRE_MONTHS:
            pre.insert(0, month)
            month = add_months(month, -1)
        if not pre:
            raise MonthsNotLoadedError(
                f"no pre-period: {add_months(start, -1)}, the month before the start, is not "
                f"loaded, so there is nothing to compare with; loaded months: {shown}"
            )
        defaults.append(
            f"pre-period: {pre[0]}…{pre[-1]} ({len(pre)} months: the loaded months just before "
            f"the start, at most {MAX_PRE_MONTHS})"
        )
    else:
        last = add_months(start, -1)
        if parse_month(pre_start) > parse_month(last):
            raise MonthsNotLoadedError(
                f"no pre-period: the pre-period start {pre_start} is not before the start {start}"
            )
        pre = month_range(pre_start, last)
        missing = [m for m in pre if m not in have]
        if missing:
            raise MonthsNotLoadedError(
                f"pre-period month(s) {runs_text(missing)} are not loaded; loaded months: {shown}"
            )
    return MonthPlan(pre, post, defaults)


@dataclass
class Evaluation:
    """Everything ``evaluate`` found, with the figures a reader must see next to each other."""

    target: Target
    force: str
    crime_types: tuple[str, ...]
    pre_months: list[str]
    post_months: list[str]
    buffer_m: float
    zone: BaseGeometry  # target + buffer
    counts: dict[str, int]
    rate_ratio: RateRatio  # target, after vs before, per month
    did: DidResult
    wdq: WDQResult
    wdd: WDDResult
    buffer_catchment: str | None  # why the buffer is no single catchment; None when it is one
    controls: ControlChoice
    excluded_controls: list[str]
    series: pd.DataFrame  # month, period, target, buffer, controls_total, controls_mean
    summary: str
    caveats: list[str] = field(default_factory=list)
    defaults_chosen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # x, y (BNG) of the target and buffer crimes in the window and of the snap
    # points of control LSOAs near the target, for the map
    map_points: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def start(self) -> str:
        return self.post_months[0]

    def to_dict(self) -> dict[str, object]:
        rr = self.rate_ratio
        control_table = self.controls.table
        return {
            "target": {
                "kind": self.target.kind,
                "description": self.target.description,
                "units": self.target.units,
                "area_km2": round(float(self.target.geometry.area) / 1e6, 4),
            },
            "force": self.force,
            "crime_types": list(self.crime_types),
            "start": self.start,
            "pre_period": [self.pre_months[0], self.pre_months[-1]],
            "pre_months": len(self.pre_months),
            "post_period": [self.post_months[0], self.post_months[-1]],
            "post_months": len(self.post_months),
            "buffer_m": self.buffer_m,
            "counts": self.counts,
            "rate_ratio": _num(rr.ratio),
            "ci_low": _num(rr.ci_low),
            "ci_high": _num(rr.ci_high),
            "p_value": rr.p_value,
            "rate_ratio_note": rr.note,
            "pct_change": pct_change(rr.rate_a, rr.rate_b),
            "did": self.did.to_dict(),
            "wdq": self.wdq.to_dict(),
            "wdd": {
                **self.wdd.to_dict(),
                "includes_buffer": self.buffer_catchment is None,
                "reading": read_wdd(self.wdd, self.buffer_catchment is None),
            },
            "buffer_catchment": {
                "coherent": self.buffer_catchment is None,
                "note": self.buffer_catchment,
            },
            "controls": {
                "method": self.controls.method,
                "count": len(self.controls.codes),
                "excluded_as_touching_target_or_buffer": len(self.excluded_controls),
                "target_pre_mean_per_unit": self.controls.target_pre_mean,
                "target_pre_slope_per_unit": self.controls.target_pre_slope,
                "controls_pre_mean_median": _num(float(control_table["pre_mean"].median())),
                "controls_pre_slope_median": _num(float(control_table["pre_slope"].median())),
                "lsoas": [
                    {
                        "lsoa_code": row.lsoa_code,
                        "lsoa_name": row.lsoa_name,
                        "pre_mean": round(float(row.pre_mean), 4),
                        "pre_slope": round(float(row.pre_slope), 5),
                    }
                    for row in control_table.itertuples()
                ],
            },
            "series": [
                {
                    "month": r.month,
                    "period": r.period,
                    "target": int(r.target),
                    "buffer": int(r.buffer),
                    "controls_mean": round(float(r.controls_mean), 4),
                }
                for r in self.series.itertuples()
            ],
            "summary": self.summary,
            "caveats": self.caveats,
            "defaults_chosen": self.defaults_chosen,
            "notes": self.notes,
        }


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def resolve(request: EvaluateRequest, data: CrimeData) -> Resolved[EvaluateRequest]:
    """The request with its months filled from what is loaded, and the defaults said.

    ``end``: the last month of the loaded run holding ``start``; ``pre_start``:
    the start of the run of loaded months just before it (at most
    :data:`MAX_PRE_MONTHS`). The buffer's default is said too; the force and the
    controls, which need the target's crimes, are said by :func:`evaluate_loaded`.
    """
    plan = plan_months(data.loaded_months, request.start, request.end, request.pre_start)
    chosen = list(plan.defaults)
    if request.buffer_m == DEFAULT_BUFFER_M:
        chosen.append(f"buffer: {DEFAULT_BUFFER_M:g} m around the target")
    return Resolved(request.replace(end=plan.post[-1], pre_start=plan.pre[0]), chosen)


def evaluate(db_path: str | Path, request: EvaluateRequest) -> Evaluation:
    """Evaluate an intervention in the request's target that started in month ``start``.

    ``controls``: LSOA codes to use as controls instead of choosing them;
    ``n_controls``: take the k nearest-matched LSOAs instead of every
    uncontaminated LSOA of the force (see :mod:`harmwatch.evaluation.areas`).
    """
    data = load_crime_data(
        db_path, request.crime_types, request.forces, source=request.source, flags=request.flags
    )
    return evaluate_loaded(data, request)


def evaluate_loaded(data: CrimeData, request: EvaluateRequest) -> Evaluation:
    """:func:`evaluate` on data already read (placebo runs call this many times).

    ``data`` must have been read for the request's forces and crime types.
    """
    resolved = resolve(request, data)
    req = resolved.request
    plan = plan_months(data.loaded_months, req.start, req.end, req.pre_start)
    defaults = list(resolved.defaults_chosen)
    notes = list(data.notes)
    pre, post = plan.pre, plan.post
    window = pre + post
    target = resolve_target(req.place, data)
    notes += target.notes
    force = target_force(target, data)
    if not req.forces and len(data.forces) > 1:
        defaults.append(
            f"force: {force_name(force)} (recorded most of the target's crimes); controls from it"
        )
    buffer_m, controls, n_controls = req.buffer_m, req.controls, req.n_controls
    zone = buffer_zone(target, buffer_m)
    in_buffer = buffer_mask(target, zone, data)

    # Target units' monthly counts (units × window months).
    if target.kind == "lsoa":
        target_matrix = data.lsoa_counts.reindex(
            index=list(target.units), columns=window, fill_value=0
        ).to_numpy()
    else:
        target_matrix = _monthly(data.month[target.in_target], window)[None, :]
    target_series = target_matrix.sum(axis=0)
    buffer_series = _monthly(data.month[in_buffer], window)
    n_pre = len(pre)
    if target_series.sum() == 0:
        raise EvaluationError(
            f"the target area ({target.description}) has no {', '.join(data.crime_types)} crimes "
            f"in {window[0]}…{window[-1]}: there is nothing to evaluate in these months"
        )

    # Controls.
    candidates, excluded, pool_notes = candidate_lsoas(target, zone, data, force)
    notes += pool_notes
    if controls:
        choice = _given_controls(
            controls, target, excluded, data, pre, window, target_series[:n_pre]
        )
    else:
        pool = data.lsoa_counts.reindex(index=candidates, columns=pre, fill_value=0)
        after_pool = data.lsoa_counts.reindex(index=candidates, columns=post, fill_value=0)
        choice = match_controls(
            target_series[:n_pre], len(target.units), pool, n_controls, data.lsoa_names,
            candidate_post=after_pool,
        )  # fmt: skip
        defaults.append(f"controls: {choice.method}")
    if len(choice.codes) < MIN_CONTROLS:
        raise EvaluationError(
            f"only {len(choice.codes)} usable control LSOA(s) (with crimes in these months and "
            f"none in the target or its {buffer_m:g} m buffer); at least {MIN_CONTROLS} are needed. "
            "Try a smaller buffer, more crime types, or name the control LSOAs yourself"
        )
    control_matrix = data.lsoa_counts.reindex(
        index=choice.codes, columns=window, fill_value=0
    ).to_numpy()
    control_series = control_matrix.sum(axis=0)

    counts = {
        "target_before": int(target_series[:n_pre].sum()),
        "target_after": int(target_series[n_pre:].sum()),
        "buffer_before": int(buffer_series[:n_pre].sum()),
        "buffer_after": int(buffer_series[n_pre:].sum()),
        "controls_before": int(control_series[:n_pre].sum()),
        "controls_after": int(control_series[n_pre:].sum()),
    }
    rr = rate_ratio_exact(counts["target_after"], counts["target_before"], len(post), n_pre)
    totals = UnitTotals(
        units=tuple(target.units) + tuple(choice.codes),
        before=np.r_[target_matrix[:, :n_pre].sum(axis=1), control_matrix[:, :n_pre].sum(axis=1)],
        after=np.r_[target_matrix[:, n_pre:].sum(axis=1), control_matrix[:, n_pre:].sum(axis=1)],
        treated=np.r_[np.ones(len(target.units), bool), np.zeros(len(choice.codes), bool)],
        months_before=n_pre,
        months_after=len(post),
    )
    try:
        did = did_placebo_calibrated(totals)
    except ValueError as exc:
        raise EvaluationError(f"the difference-in-differences cannot be estimated: {exc}") from exc
    wdq = weighted_displacement_quotient(
        counts["target_before"],
        counts["target_after"],
        counts["buffer_before"],
        counts["buffer_after"],
        counts["controls_before"],
        counts["controls_after"],
    )
    not_one_catchment = buffer_catchment(target, zone, buffer_m)
    if not_one_catchment is not None:
        wdq = wdq.withhold(not_one_catchment)
    wdd = wdd_for_evaluation(
        (counts["target_before"], counts["target_after"]),
        None
        if not_one_catchment is not None
        else (counts["buffer_before"], counts["buffer_after"]),
        (counts["controls_before"], counts["controls_after"]),
        n_pre,
        len(post),
    )
    series = pd.DataFrame(
        {
            "month": window,
            "period": ["before"] * n_pre + ["after"] * len(post),
            "target": target_series,
            "buffer": buffer_series,
            "controls_total": control_series,
            "controls_mean": control_series / len(choice.codes),
        }
    )
    in_window = isin(data.month, window)
    near = zone.buffer(3 * buffer_m + 1000).bounds
    fp_view = (
        isin(data.fp_code, choice.codes)
        & (data.fp_x >= near[0]) & (data.fp_x <= near[2])
        & (data.fp_y >= near[1]) & (data.fp_y <= near[3])
    )  # fmt: skip
    map_points = {
        "target": (data.x[target.in_target & in_window], data.y[target.in_target & in_window]),
        "buffer": (data.x[in_buffer & in_window], data.y[in_buffer & in_window]),
        "controls": (data.fp_x[fp_view], data.fp_y[fp_view]),
    }
    caveats = _caveats(data, target_series, pre, post, counts, rr, did, wdq)
    summary = _summary(target, data.crime_types, pre, post, counts, rr, did, wdq, len(choice.codes))
    wdd_text = read_wdd(wdd, not_one_catchment is None)
    summary += " " + wdd_text[:1].upper() + wdd_text[1:] + "."
    if not_one_catchment is not None:
        caveats.append(
            "displacement: "
            + not_one_catchment
            + "; the weighted displacement difference is the target's alone"
        )
    return Evaluation(
        target=target,
        force=force,
        crime_types=data.crime_types,
        pre_months=pre,
        post_months=post,
        buffer_m=buffer_m,
        zone=zone,
        counts=counts,
        rate_ratio=rr,
        did=did,
        wdq=wdq,
        wdd=wdd,
        buffer_catchment=not_one_catchment,
        controls=choice,
        excluded_controls=excluded,
        series=series,
        summary=summary,
        caveats=caveats,
        defaults_chosen=defaults,
        notes=notes + list(did.notes),
        map_points=map_points,
    )


def _monthly(months: np.ndarray, window: Sequence[str]) -> np.ndarray:
    index = {m: i for i, m in enumerate(window)}
    out = np.zeros(len(window), dtype=np.int64)
    for m in months.tolist():
        i = index.get(m)
        if i is not None:
            out[i] += 1
    return out


def _given_controls(
    codes: Sequence[str],
    target: Target,
    touching: Sequence[str],
    data: CrimeData,
    pre: list[str],
    window: list[str],
    target_pre: np.ndarray,
) -> ControlChoice:
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    known = set(data.fp_code.tolist())
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise EvaluationError(f"control LSOA(s) {', '.join(unknown)} have no crimes loaded")
    inside = [c for c in wanted if c in target.lsoa_codes]
    if inside:
        raise EvaluationError(f"control LSOA(s) {', '.join(inside)} are part of the target")
    block = data.lsoa_counts.reindex(index=wanted, columns=window, fill_value=0)
    usable = [c for c in wanted if block.loc[c].sum() > 0]
    per_unit = np.asarray(target_pre, dtype=float) / max(len(target.units), 1)
    table = pd.DataFrame(
        {
            "lsoa_code": usable,
            "lsoa_name": [data.lsoa_names.get(c, "") for c in usable],
            "pre_mean": [float(block.loc[c, pre].mean()) for c in usable],
            "pre_slope": [ols_slope(block.loc[c, pre].to_numpy()) for c in usable],
            "distance": [math.nan] * len(usable),
        }
    )
    notes = []
    contaminated = sorted(set(usable) & set(touching))
    if contaminated:
        notes.append(
            f"control LSOA(s) {', '.join(contaminated)} have crimes inside the target or buffer: "
            "the intervention may have affected them"
        )
    return ControlChoice(
        usable,
        table,
        float(per_unit.mean()),
        ols_slope(per_unit),
        f"{len(usable)} LSOA(s) named by the user"
        + (f" ({len(wanted) - len(usable)} without crimes in these months left out)" if len(usable) < len(wanted) else ""),
        notes,
    )  # fmt: skip


def _caveats(
    data: CrimeData,
    target_series: np.ndarray,
    pre: list[str],
    post: list[str],
    counts: dict[str, int],
    rr: RateRatio,
    did: DidResult,
    wdq: WDQResult,
) -> list[str]:
    caveats: list[str] = []
    if len(pre) < MIN_PRE_MONTHS or len(post) < MIN_POST_MONTHS:
        caveats.append(
            f"few months: {len(pre)} before (fewer than {MIN_PRE_MONTHS} cannot show a trend or a "
            f"year's seasons) and {len(post)} after (fewer than {MIN_POST_MONTHS} is mostly noise)"
            if len(pre) < MIN_PRE_MONTHS and len(post) < MIN_POST_MONTHS
            else (
                f"few months before the start: {len(pre)} (fewer than {MIN_PRE_MONTHS} cannot show "
                "a trend or a year's seasons)"
                if len(pre) < MIN_PRE_MONTHS
                else f"few months after the start: {len(post)} (fewer than {MIN_POST_MONTHS} is "
                "mostly noise)"
            )
        )
    if counts["target_before"] < SMALL_COUNT or counts["target_after"] < SMALL_COUNT:
        caveats.append(
            f"small counts: {counts['target_before']} crimes before and {counts['target_after']} "
            f"after in the target (fewer than {SMALL_COUNT} in a period): percentages swing widely "
            "on a handful of crimes; read the interval, not the point estimate"
        )
    pre_series = target_series[: len(pre)].astype(float)
    if len(pre_series) >= 6:
        last, rest = pre_series[-3:].mean(), pre_series[:-3].mean()
        if last > SPIKE_RATIO * rest and last > 0:
            caveats.append(
                f"regression to the mean: the last 3 months before the start averaged {last:.1f} "
                f"crimes a month against {rest:.1f} in the earlier pre-period months "
                f"(> {SPIKE_RATIO}×). An intervention started after a spike will usually be "
                "followed by a fall whatever it does"
            )
    if len(pre) < 12:
        calendar_pre = {m[5:] for m in pre}
        uncovered = sorted({m[5:] for m in post} - calendar_pre)
        if uncovered:
            caveats.append(
                f"seasonality: the {len(pre)} months before cover no "
                f"{', '.join(uncovered)} (calendar months) that the months after do; the change "
                "may be the season. The DiD's controls share the season, the before/after ratio "
                "does not"
            )
    if rr.p_value < ALPHA <= did.p_value:
        caveats.append(
            "the target's own before/after change is distinguishable from chance but the "
            "difference-in-differences is not: the control areas moved much the same way, so the "
            "change is not clearly the intervention's"
        )
    if wdq.withheld is not None:
        pass  # said once, with the weighted displacement difference, by the caller
    elif not wdq.interpretable:
        caveats.append(wdq.reading)
    elif did.p_value >= ALPHA:
        caveats.append(
            "the WDQ has no test of chance: with no change in the target clearly beyond chance "
            "(difference-in-differences p ≥ 0.05), its reading of displacement or diffusion "
            "describes these counts and is not evidence of either"
        )
    if any(t.lower() == "drugs" for t in data.crime_types):
        caveats.append(DRUGS_CAVEAT)
    return caveats


def _p(p: float) -> str:
    return p_text(p)


def _summary(
    target: Target,
    crime_types: Sequence[str],
    pre: list[str],
    post: list[str],
    counts: dict[str, int],
    rr: RateRatio,
    did: DidResult,
    wdq: WDQResult,
    n_controls: int,
) -> str:
    what = ", ".join(crime_types) or "crime"
    before, after = counts["target_before"] / len(pre), counts["target_after"] / len(post)
    change = pct_change(after, before)
    change_text = f"{change:+.0f} %" if change is not None else "from none"
    text = (
        f"In the target ({target.description}), {what} averaged {before:.1f} a month over the "
        f"{count_text(len(pre))} before {month_label(post[0])} ({run_label(pre)}) and {after:.1f} "
        f"a month over the {count_text(len(post))} {run_label(post)}: {change_text} "
        "(rate ratio "
        f"{rr.ratio:.2f}, 95 % CI {interval_text(rr.ci_low, rr.ci_high)}, {_p(rr.p_value)}). "
    )
    if did.p_value < ALPHA:
        direction = "fell" if did.estimate < 1 else "rose"
        verdict = f"the target {direction} relative to them by more than chance would explain"
    else:
        verdict = "a difference this size is within what chance produces"
    text += (
        f"Against {n_controls} control LSOAs, which take out the force-wide trend, the "
        f"difference-in-differences rate ratio is {did.estimate:.2f} (95 % CI "
        f"{interval_text(did.ci_low, did.ci_high)}, {_p(did.p_value)}): {verdict}. "
    )
    if did.off_centre:
        text += did.off_centre[:1].upper() + did.off_centre[1:] + ". "
    text += f"Buffer: {counts['buffer_before']} crimes before, {counts['buffer_after']} after; "
    text += wdq.reading + "."
    return text
