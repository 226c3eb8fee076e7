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

The verb takes one :class:`~harmwatch.evaluation.requests.ChangeRequest`; its
place is the forces' whole ground, a district, LSOA codes, a boundary or a box
(one of them: the request refuses two). :func:`resolve` fills the period and
baseline from the months loaded and says which it chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harmwatch.engines import EngineChoice
from harmwatch.errors import InputError
from harmwatch.evaluation.areas import EvaluationError, isin
from harmwatch.evaluation.evaluate import DRUGS_CAVEAT, SMALL_COUNT, MonthsNotLoadedError
from harmwatch.evaluation.rates import (
    RateRatio,
    interval_text,
    p_text,
    pct_change,
    rate_ratio_exact,
)
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.query.filter import Filter
from harmwatch.query.params import Resolved
from harmwatch.sources.policeuk.forces import force_slug, forces_text
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.timeline.months import (
    add_months,
    consecutive_runs,
    count_text,
    month_range,
    parse_period,
    run_label,
    runs_text,
    span_text,
)
from harmwatch.where.selection import (
    SelectionError,
    crime_source,
    resolve_district,
    select_street,
)
from harmwatch.where.workspace import resolve_study_area

__all__ = ["Change", "ChangeRequest", "change", "latest_period", "parse_period", "resolve"]

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


def resolve(
    request: ChangeRequest, loaded: Sequence[str], forces: Sequence[str]
) -> Resolved[ChangeRequest]:
    """The period and baseline filled from the months ``loaded`` for every one of ``forces``.

    ``period`` None: the latest :data:`DEFAULT_PERIOD_MONTHS` months loaded.
    ``baseline`` None: the same months a year earlier, or with
    ``baseline_fallback`` as many months just before the period where those are
    not loaded.
    """
    chosen: list[str] = []
    period = request.period
    if period is None:
        period, why = latest_period(loaded)
        chosen.append(
            why + (f" for every one of {forces_text(forces, most=50)}" if len(forces) > 1 else "")
        )
    baseline = request.baseline
    if baseline is None:
        baseline, why = _default_baseline(period, loaded, request.baseline_fallback)
        chosen.append(why)
    if set(month_range(*period)) & set(month_range(*baseline)):
        raise InputError(
            f"the baseline {span_text(*baseline)} overlaps the period {span_text(*period)}"
        )
    return Resolved(request.replace(period=period, baseline=baseline), chosen)


def _not_loaded(
    store: Any,
    label: str,
    gap: Sequence[str],
    forces: Sequence[str],
    loaded: Sequence[str],
) -> str:
    """Why months cannot be compared: which forces lack which of them, by name.

    Over many forces the gap is usually a few forces' missing files; naming all of
    them (41 in the shared data) would hide the three that lack the month.
    """
    shown = runs_text(loaded) if loaded else "none"
    if len(forces) == 1:
        return (
            f"{label} month(s) {runs_text(gap)} are not loaded for {forces[0]}; "
            f"loaded months: {shown}"
        )
    lacking: dict[str, list[str]] = {}
    for force in forces:
        have = set(store.loaded_months([force]))
        missing = [m for m in gap if m not in have]
        if missing:
            lacking[force] = missing
    parts = [f"{force} lacks {runs_text(missing)}" for force, missing in lacking.items()]
    others = len(forces) - len(lacking)
    return (
        f"{label} month(s) {runs_text(gap)} are not loaded for every force asked for: "
        + "; ".join(parts)
        + (f" (the other {others} force(s) have them)" if others else "")
        + f". Months loaded for every one of the {len(forces)} forces: {shown}; leave out the "
        "forces that lack the months, or choose other months"
    )


def change(
    db_path: str | Path, request: ChangeRequest, *, engine: EngineChoice | None = None
) -> Change:
    """Compare crimes in the request's period with its baseline (default: a year earlier).

    The forces and crime types choose the crimes. With no narrower place every
    selected crime of the forces counts, located or not; with a boundary, a box
    or LSOA codes, located crimes inside it (or carrying one of the codes); with
    a district ("St Albans"), crimes whose LSOA name starts with it (crimes
    without an LSOA cannot be placed and are left out). Every default taken is
    listed in ``defaults_chosen``. ``engine`` says where the scan, filter and group by
    of the street crimes runs: the store's DuckDB (None, the default) or Spark
    (:mod:`harmwatch.engines.policeuk`); every count is a sum over its groups.
    """
    place = request.place
    flt = request.filter()
    with AnalyticsStore.open(db_path) as store:
        source = crime_source(store, flt)
        all_forces = source.street_forces()
        # Deduplicated: coverage counts distinct forces, so a repeated one would hide every month.
        forces = list(dict.fromkeys(force_slug(f) for f in flt.forces)) or all_forces
        unknown = [f for f in forces if f not in all_forces]
        if unknown or not forces:
            raise SelectionError(
                f"no street crimes loaded for force(s) {', '.join(unknown) or '(any)'}; "
                f"loaded: {', '.join(all_forces) or 'none'}"
            )
        district = place.district
        if district is not None:  # before the months: a typo is the likelier mistake
            district = resolve_district(source, forces, district)
        loaded = source.covered_months(forces)
        resolved = resolve(request, loaded, forces)
        defaults = list(resolved.defaults_chosen)
        period, baseline = resolved.request.period, resolved.request.baseline
        assert period is not None and baseline is not None  # resolve fills both
        first, last = period
        months = month_range(first, last)
        base_months = month_range(*baseline)
        for label, wanted in (("period", months), ("baseline", base_months)):
            gap = [m for m in wanted if m not in loaded]
            if gap:
                raise MonthsNotLoadedError(_not_loaded(source, label, gap, forces, loaded))
        selected = select_street(
            store,
            Filter(
                tuple(forces),
                flt.crime_types,
                tuple(months + base_months),
                all_crime_types=flt.all_crime_types,
                source=flt.source,
                flags=flt.flags,
                offence_classes=flt.offence_classes,
            ),
            engine=engine,
        )
        # Every count below is a sum over the one grouped scan; a force's records (the
        # groups hold only their located crimes) count the rest with their own questions.
        groups = selected.groups
        types = list(selected.filter.crime_types)
        scope = StreetScope(
            forces=tuple(forces),
            crime_types=None if selected.filter.all_crime_types else tuple(types),
        )
        notes = list(selected.notes)
        caveats: list[str] = []
        located = groups.located
        if place.lsoa_codes:
            codes = list(place.lsoa_codes)
            inside = located & isin(groups.lsoa_code, codes)
            description = f"LSOA(s) {', '.join(codes)}"
            if not inside.any():
                raise EvaluationError(
                    f"LSOA(s) {', '.join(codes)} have no {', '.join(types)} crimes in these months"
                )
            a, b = groups.count(inside, months), groups.count(inside, base_months)
        elif place.boundary or place.bbox is not None:
            study = resolve_study_area(place, sorted(set(forces)))
            inside = np.zeros(len(groups), dtype=bool)
            inside[located] = study.contains(groups.x[located], groups.y[located])
            description = study.description
            a, b = groups.count(inside, months), groups.count(inside, base_months)
            if selected.n_without_location:
                notes.append(
                    f"{selected.n_without_location:,} crimes without a location cannot be placed "
                    "in the area and are left out"
                )
        elif district is not None:
            description = f"district {district} ({forces_text(forces)})"
            if selected.records:
                rows = source.street_counts_by_month(
                    StreetScope(
                        forces=scope.forces, crime_types=scope.crime_types, district=district
                    )
                )
                unplaced = source.street_counts_by_month(
                    StreetScope(
                        forces=scope.forces, crime_types=scope.crime_types, lsoa_name_missing=True
                    )
                )
            else:
                rows = groups.counts_by_month(groups.in_district(district))
                unplaced = groups.counts_by_month(~groups.lsoa_named)
            a = sum(rows.get(m, 0) for m in months)
            b = sum(rows.get(m, 0) for m in base_months)
            left_out = sum(unplaced.get(m, 0) for m in months + base_months)
            notes.append(
                f"district {district}: crimes whose LSOA name starts with it; {left_out:,} "
                "crimes without an LSOA in these months cannot be placed and are left out"
            )
        else:
            description = f"the area{'s' if len(forces) > 1 else ''} of {forces_text(forces)}"
            if selected.records:
                rows = source.street_counts_by_month(scope)
            else:
                rows = groups.counts_by_month()
            a = sum(rows.get(m, 0) for m in months)
            b = sum(rows.get(m, 0) for m in base_months)
    rate = rate_ratio_exact(a, b, len(months), len(base_months))
    significant = rate.p_value < ALPHA
    pct = pct_change(rate.rate_a, rate.rate_b)
    what = ", ".join(types) or "Crimes of every type"
    if pct is None:
        change_text = "no crimes in the baseline, so no percentage change"
    else:
        change_text = f"{pct:+.0f} % per month"
    ratio_text = f"{rate.ratio:.2f}" if b else "undefined"
    sentence = (
        f"{what} in {description}: {a:,} crimes in {run_label(months)} ({count_text(len(months))}) "
        f"against {b:,} in {run_label(base_months)} ({count_text(len(base_months))}), {change_text} (rate "
        f"ratio {ratio_text}, 95 % CI {interval_text(rate.ci_low, rate.ci_high)}, "
        f"{p_text(rate.p_value)}). "
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
        "a change between two periods says nothing about its cause; whether an intervention "
        "caused it needs an evaluation against control areas"
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
