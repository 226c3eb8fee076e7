"""Period change: did crime really go up or down between two periods?

The question a monthly briefing asks ("drug offences are up 18 % on last year")
is a comparison of two Poisson counts. ``change`` answers it with the exact
conditional rate ratio (:mod:`harmwatch.evaluation.rates`), months as exposure so
that periods of different lengths compare, and says in a sentence whether the
change is distinguishable from chance. It is not an evaluation: it says nothing
about why crime changed (see :func:`harmwatch.evaluation.evaluate.evaluate`).

Default baseline: the same months a year earlier, so that the seasons match.
Where those are not loaded (a store holding one year, as the bundled sample
does) a caller may ask to fall back to the months just before the period; the
result then says so, and carries the caveat that the seasons differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from harmwatch.evaluation.areas import EvaluationError, isin
from harmwatch.evaluation.evaluate import DRUGS_CAVEAT, SMALL_COUNT, MonthsNotLoadedError
from harmwatch.evaluation.rates import RateRatio, interval_text, pct_change, rate_ratio_exact
from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.storage import analytics
from harmwatch.timeline.months import (
    add_months,
    consecutive_runs,
    count_text,
    month_number,
    month_range,
    parse_month_spec,
    runs_text,
    span_text,
)
from harmwatch.where.hotspots import AreaSpec, resolve_study_area
from harmwatch.where.selection import Filter, SelectionError, district_condition, select_points

ALPHA = 0.05
DEFAULT_PERIOD_MONTHS = 3  # a quarter: long enough to count, short enough to be "now"


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
    district: str | None = None

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
            "district": self.district,
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
    """Months every one of ``forces`` has loaded: a month one force lacks would undercount."""
    marks = ", ".join("?" * len(forces))
    return [
        r[0]
        for r in con.execute(
            "SELECT strftime(month, '%Y-%m') AS m FROM datasets "
            f"WHERE kind = 'street' AND force IN ({marks}) "
            "GROUP BY m HAVING count(DISTINCT force) = ? ORDER BY m",
            [*forces, len(forces)],
        ).fetchall()
    ]


def parse_period(spec: str, label: str = "period") -> tuple[str, str]:
    """'2024-01' or '2024-01:2024-03' as (first, last); a list with a gap is refused."""
    months = parse_month_spec(spec)
    if month_number(months[-1]) - month_number(months[0]) + 1 != len(months):
        raise ValueError(f"{label} must be one run of consecutive months, got {spec!r}")
    return months[0], months[-1]


def latest_period(
    loaded: Sequence[str], length: int = DEFAULT_PERIOD_MONTHS
) -> tuple[tuple[str, str], str]:
    """The last ``length`` loaded months, within the latest consecutive run, and why."""
    runs = consecutive_runs(loaded)
    if not runs:
        raise MonthsNotLoadedError("no street-crime months are loaded for this selection")
    tail = runs[-1][-length:]
    why = f"period: {span_text(tail[0], tail[-1])}, the latest {length} months loaded"
    if len(tail) < length:
        why = (
            f"period: {span_text(tail[0], tail[-1])}, the latest run of consecutive months "
            f"loaded ({len(tail)}; {length} were wanted)"
        )
    return (tail[0], tail[-1]), why


def _default_baseline(
    period: tuple[str, str], loaded: Sequence[str], fallback: bool
) -> tuple[tuple[str, str], str]:
    first, last = period
    year = (add_months(first, -12), add_months(last, -12))
    n = len(month_range(first, last))
    before = (add_months(first, -n), add_months(first, -1))
    covered = set(loaded)
    if fallback and not set(month_range(*year)) <= covered and set(month_range(*before)) <= covered:
        return before, (
            f"baseline: {span_text(*before)}, the {count_text(n)} just before the period, because the "
            f"same months a year earlier ({span_text(*year)}) are not loaded; this compares different "
            "seasons (see the caveats)"
        )
    return year, f"baseline: {span_text(*year)}, the same months a year earlier"


def _counts_by_month(
    con: duckdb.DuckDBPyConnection,
    forces: Sequence[str],
    types: Sequence[str],
    condition: str = "TRUE",
    params: Sequence[object] = (),
) -> dict[str, int]:
    marks_f = ", ".join("?" * len(forces))
    marks_t = ", ".join("?" * len(types))
    rows = con.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM street "
        f"WHERE force IN ({marks_f}) AND crime_type IN ({marks_t}) AND {condition} GROUP BY 1",
        [*forces, *types, *params],
    ).fetchall()
    return {str(m): int(n) for m, n in rows}


def change(
    db_path: str | Path,
    flt: Filter,
    period: tuple[str, str] | None = None,
    baseline: tuple[str, str] | None = None,
    *,
    area: AreaSpec | None = None,
    lsoa_codes: Sequence[str] = (),
    district: str | None = None,
    baseline_fallback: bool = False,
) -> Change:
    """Compare crimes in ``period`` with ``baseline`` (default: a year earlier).

    ``flt`` chooses forces and crime types (its months must be empty: the periods
    say which months). Without ``area``, ``lsoa_codes`` or ``district`` every
    selected crime of the forces counts, located or not; with an area or LSOA
    codes, located crimes inside the area (or carrying one of the codes); with
    ``district`` ("St Albans"), crimes whose LSOA name starts with it (crimes
    without an LSOA cannot be placed and are left out).

    ``period`` None: the latest :data:`DEFAULT_PERIOD_MONTHS` months loaded for
    every selected force. ``baseline_fallback``: where the same months a year
    earlier are not loaded, compare with as many months just before the period
    instead of refusing. Every default taken is listed in ``defaults_chosen``.
    """
    if flt.months:
        raise ValueError("give the months as the period and baseline, not in the filter")
    has_area = area is not None and bool(area.boundary or area.bbox)
    if has_area and lsoa_codes:
        raise ValueError("give an area or LSOA codes, not both")
    district = district.strip() if district and district.strip() else None
    if district is not None and (has_area or lsoa_codes):
        raise ValueError(
            "give a district, LSOA codes or an area (boundary or bbox): only one of them"
        )
    if period is not None:
        month_range(*period)  # a reversed period is refused before the store is opened
    if baseline is not None:
        month_range(*baseline)
    defaults: list[str] = []
    con = analytics.connect(db_path, read_only=True)
    try:
        all_forces = [
            r[0] for r in con.execute("SELECT DISTINCT force FROM street ORDER BY 1").fetchall()
        ]
        # Deduplicated: coverage counts distinct forces, so a repeated one would hide every month.
        forces = list(dict.fromkeys(force_slug(f) for f in flt.forces)) or all_forces
        unknown = [f for f in forces if f not in all_forces]
        if unknown or not forces:
            raise SelectionError(
                f"no street crimes loaded for force(s) {', '.join(unknown) or '(any)'}; "
                f"loaded: {', '.join(all_forces) or 'none'}"
            )
        place: tuple[str, list[object]] | None = None
        if district is not None:  # before the months: a typo is the likelier mistake
            condition, params, district = district_condition(con, forces, district)
            place = (condition, params)
        loaded = _loaded_street_months(con, forces)
        if period is None:
            period, why = latest_period(loaded)
            defaults.append(
                why + (f" for every one of {', '.join(forces)}" if len(forces) > 1 else "")
            )
        first, last = period
        months = month_range(first, last)
        if baseline is None:
            baseline, why = _default_baseline(period, loaded, baseline_fallback)
            defaults.append(why)
        base_months = month_range(*baseline)
        if set(months) & set(base_months):
            raise ValueError(
                f"the baseline {span_text(*baseline)} overlaps the period {span_text(*period)}"
            )
        for label, wanted in (("period", months), ("baseline", base_months)):
            gap = [m for m in wanted if m not in loaded]
            if gap:
                every = " (for every one of them)" if len(forces) > 1 else ""
                raise MonthsNotLoadedError(
                    f"{label} month(s) {runs_text(gap)} are not loaded for {', '.join(forces)}; "
                    f"loaded months{every}: {runs_text(loaded) if loaded else 'none'}"
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
        elif place is not None:
            description = f"district {district} ({', '.join(forces)})"
            rows = _counts_by_month(con, forces, types, *place)
            a = sum(rows.get(m, 0) for m in months)
            b = sum(rows.get(m, 0) for m in base_months)
            unplaced = _counts_by_month(con, forces, types, "lsoa_name IS NULL")
            left_out = sum(unplaced.get(m, 0) for m in months + base_months)
            notes.append(
                f"district {district}: crimes whose LSOA name starts with it; {left_out:,} "
                "crimes without an LSOA in these months cannot be placed and are left out"
            )
        else:
            description = f"all of {', '.join(forces)}"
            rows = _counts_by_month(con, forces, types)
            a = sum(rows.get(m, 0) for m in months)
            b = sum(rows.get(m, 0) for m in base_months)
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
    ratio_text = f"{rate.ratio:.2f}" if b else "undefined"
    sentence = (
        f"{what} in {description}: {a} crimes in {span_text(first, last)} ({count_text(len(months))}) "
        f"against {b} in {span_text(*baseline)} ({count_text(len(base_months))}), {change_text} (rate "
        f"ratio {ratio_text}, 95 % CI {interval_text(rate.ci_low, rate.ci_high)}, "
        f"p = {rate.p_value:.3g}). "
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
        district=district,
    )
