"""Period change: did crime really go up or down between two periods?

The question a monthly briefing asks ("drug offences are up 18 % on last year")
is a comparison of two Poisson counts. ``change`` answers it with the exact
conditional rate ratio (:mod:`harmwatch.evaluation.rates`), months as exposure so
that periods of different lengths compare, and says in a sentence whether the
change is distinguishable from chance. It is not an evaluation: it says nothing
about why crime changed (see :func:`harmwatch.evaluation.evaluate.evaluate`).

Default baseline: the same months a year earlier, so that the seasons match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from harmwatch.evaluation.areas import EvaluationError, isin
from harmwatch.evaluation.evaluate import DRUGS_CAVEAT, SMALL_COUNT, MonthsNotLoadedError
from harmwatch.evaluation.rates import RateRatio, pct_change, rate_ratio_exact
from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.storage import analytics
from harmwatch.timeline.months import add_months, consecutive_runs, month_range
from harmwatch.where.hotspots import AreaSpec, resolve_study_area
from harmwatch.where.selection import Filter, SelectionError, select_points

ALPHA = 0.05


@dataclass
class Change:
    area: str
    forces: list[str]
    crime_types: list[str]
    period: tuple[str, str]
    baseline: tuple[str, str]
    period_months: int
    baseline_months: int
    count_period: int
    count_baseline: int
    rate: RateRatio  # a = period, b = baseline, exposures in months
    distinguishable_from_chance: bool
    sentence: str
    caveats: list[str] = field(default_factory=list)
    defaults_chosen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.count_period - self.count_baseline

    @property
    def pct_change(self) -> float | None:
        """Percentage change in crimes per month (equal to the count change for equal lengths)."""
        return pct_change(self.rate.rate_a, self.rate.rate_b)

    def to_dict(self) -> dict[str, object]:
        rr = self.rate.to_dict()
        return {
            "area": self.area,
            "forces": self.forces,
            "crime_types": self.crime_types,
            "period": list(self.period),
            "baseline": list(self.baseline),
            "period_months": self.period_months,
            "baseline_months": self.baseline_months,
            "count_period": self.count_period,
            "count_baseline": self.count_baseline,
            "per_month_period": self.rate.rate_a,
            "per_month_baseline": self.rate.rate_b,
            "difference": self.difference,
            "pct_change": self.pct_change,
            "rate_ratio": rr["rate_ratio"],
            "ci_low": rr["ci_low"],
            "ci_high": rr["ci_high"],
            "p_value": self.rate.p_value,
            "interval_note": self.rate.note,
            "distinguishable_from_chance": self.distinguishable_from_chance,
            "sentence": self.sentence,
            "caveats": self.caveats,
            "defaults_chosen": self.defaults_chosen,
            "notes": self.notes,
        }


def _loaded_street_months(con: duckdb.DuckDBPyConnection, forces: Sequence[str]) -> list[str]:
    marks = ", ".join("?" * len(forces))
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT strftime(month, '%Y-%m') FROM datasets "
            f"WHERE kind = 'street' AND force IN ({marks}) ORDER BY 1",
            list(forces),
        ).fetchall()
    ]


def _runs(months: Sequence[str]) -> str:
    return ", ".join(f"{r[0]}…{r[-1]}" if len(r) > 1 else r[0] for r in consecutive_runs(months))


def change(
    db_path: str | Path,
    flt: Filter,
    period: tuple[str, str],
    baseline: tuple[str, str] | None = None,
    *,
    area: AreaSpec | None = None,
    lsoa_codes: Sequence[str] = (),
) -> Change:
    """Compare crimes in ``period`` with ``baseline`` (default: a year earlier).

    ``flt`` chooses forces and crime types (its months must be empty: the periods
    say which months). Without ``area`` or ``lsoa_codes`` every selected crime of
    the forces counts, located or not; with them, located crimes inside the area
    (or carrying one of the LSOA codes).
    """
    if flt.months:
        raise ValueError("give the months as the period and baseline, not in the filter")
    if area is not None and (area.boundary or area.bbox) and lsoa_codes:
        raise ValueError("give an area or LSOA codes, not both")
    first, last = period
    months = month_range(first, last)
    defaults: list[str] = []
    if baseline is None:
        baseline = (add_months(first, -12), add_months(last, -12))
        defaults.append(f"baseline: {baseline[0]}…{baseline[1]}, the same months a year earlier")
    base_months = month_range(*baseline)
    if set(months) & set(base_months):
        raise ValueError(
            f"the baseline {baseline[0]}…{baseline[1]} overlaps the period {first}…{last}"
        )
    con = analytics.connect(db_path, read_only=True)
    try:
        all_forces = [
            r[0] for r in con.execute("SELECT DISTINCT force FROM street ORDER BY 1").fetchall()
        ]
        forces = [force_slug(f) for f in flt.forces] if flt.forces else all_forces
        unknown = [f for f in forces if f not in all_forces]
        if unknown or not forces:
            raise SelectionError(
                f"no street crimes loaded for force(s) {', '.join(unknown) or '(any)'}; "
                f"loaded: {', '.join(all_forces) or 'none'}"
            )
        loaded = _loaded_street_months(con, forces)
        for label, wanted in (("period", months), ("baseline", base_months)):
            gap = [m for m in wanted if m not in loaded]
            if gap:
                raise MonthsNotLoadedError(
                    f"{label} month(s) {_runs(gap)} are not loaded for {', '.join(forces)}; "
                    f"loaded months: {_runs(loaded) if loaded else 'none'}"
                )
        points = select_points(
            con, Filter(tuple(forces), flt.crime_types, tuple(months + base_months))
        )
        types = list(points.filter.crime_types)
        notes = list(points.notes)
        caveats: list[str] = []
        if lsoa_codes:
            codes = [c.strip().upper() for c in lsoa_codes if c.strip()]
            inside = isin(points.lsoa_code, codes)
            description = f"LSOA(s) {', '.join(codes)}"
            if not inside.any():
                raise EvaluationError(
                    f"LSOA(s) {', '.join(codes)} have no {', '.join(types)} crimes in these months"
                )
            a = int((inside & isin(points.month, months)).sum())
            b = int((inside & isin(points.month, base_months)).sum())
        elif area is not None and (area.boundary or area.bbox):
            study = resolve_study_area(area, points)
            inside = study.contains(points.x, points.y)
            description = study.description
            a = int((inside & isin(points.month, months)).sum())
            b = int((inside & isin(points.month, base_months)).sum())
            if points.n_without_location:
                notes.append(
                    f"{points.n_without_location:,} crimes without a location cannot be placed "
                    "in the area and are left out"
                )
        else:
            description = f"all of {', '.join(forces)}"
            marks_f = ", ".join("?" * len(forces))
            marks_t = ", ".join("?" * len(types))
            rows = dict(
                con.execute(
                    "SELECT strftime(month, '%Y-%m'), count(*) FROM street "
                    f"WHERE force IN ({marks_f}) AND crime_type IN ({marks_t}) GROUP BY 1",
                    [*forces, *types],
                ).fetchall()
            )
            a = int(sum(rows.get(m, 0) for m in months))
            b = int(sum(rows.get(m, 0) for m in base_months))
    finally:
        con.close()
    rate = rate_ratio_exact(a, b, len(months), len(base_months))
    significant = rate.p_value < ALPHA
    pct = pct_change(rate.rate_a, rate.rate_b)
    what = ", ".join(types)
    if pct is None:
        change_text = "no crimes in the baseline, so no percentage change"
    else:
        change_text = f"{pct:+.0f} % per month"
    high = f"{rate.ci_high:.2f}" if rate.ci_high != float("inf") else "∞"
    ratio_text = f"{rate.ratio:.2f}" if b else "undefined"
    sentence = (
        f"{what} in {description}: {a} crimes in {first}…{last} ({len(months)} months) against "
        f"{b} in {baseline[0]}…{baseline[1]} ({len(base_months)} months), {change_text} (rate "
        f"ratio {ratio_text}, 95 % CI {rate.ci_low:.2f}–{high}, p = {rate.p_value:.3g}). "
        + (
            "A change this large is unlikely to be chance alone (p < 0.05)."
            if significant
            else "A change this size is within what chance alone produces (p ≥ 0.05): do not "
            "report it as a rise or fall."
        )
    )
    if a < SMALL_COUNT or b < SMALL_COUNT:
        caveats.append(
            f"small counts ({a} and {b}): percentage changes on fewer than {SMALL_COUNT} crimes "
            "swing widely by chance"
        )
    if {m[5:] for m in months} != {m[5:] for m in base_months}:
        caveats.append(
            "the period and baseline cover different calendar months: part of the change may be "
            "the season"
        )
    caveats.append(
        "a change between two periods says nothing about its cause; to evaluate an intervention "
        "against control areas use `harmwatch evaluate`"
    )
    if any(t.lower() == "drugs" for t in types):
        caveats.append(DRUGS_CAVEAT)
    return Change(
        area=description,
        forces=forces,
        crime_types=types,
        period=(first, last),
        baseline=(baseline[0], baseline[1]),
        period_months=len(months),
        baseline_months=len(base_months),
        count_period=a,
        count_baseline=b,
        rate=rate,
        distinguishable_from_chance=significant,
        sentence=sentence,
        caveats=caveats,
        defaults_chosen=defaults,
        notes=notes,
    )
