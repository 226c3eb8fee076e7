"""The framework's measures computed for one force or several, for one period.

:func:`compute` takes the framework (:mod:`.framework`), the forces and a period,
and gives one :class:`MeasureResult` per measure: each force's figure (and the
region's, for several forces: :mod:`.rollup`), the baseline's, the honest
comparison (:func:`harmwatch.oversight.claims.compare`: exact rate ratio, its
interval, p and the graded sentence) wherever a change is reported, the measure's
direction, its target and whether it is met — ``met``, ``not met`` or ``cannot
tell`` (:func:`judge`) — its source and caveats. A measure whose data or records
are not there is ``available=False`` with the reason; no zero is made up.

The period: by default the latest three months loaded for every one of the forces
(:func:`harmwatch.evaluation.change.latest_period`), with the baseline chosen as
``change`` chooses it — the same months a year earlier, or where those are not
loaded as many months just before the period — and ``defaults_chosen`` saying
which. A measure with a fixed baseline in the framework uses that instead.

Where the figures come from, by the measure's kind (one table, :data:`COMPUTERS`):

- police.uk street crime: :func:`harmwatch.evaluation.change.change` on the store,
  so a measure's counts and comparison are exactly what ``harmwatch change`` says
  (its scan on Spark when ``aggregation`` chooses it, as ``change --engine spark``);
- a force's own crime records: the same, inside the force-records room's
  :func:`harmwatch.crimes.service.reading` as aggregates (``exact=False``), which
  checks the role and writes the access-log entry;
- operations: :func:`harmwatch.operations.summary.summarise` with ``exact=False``
  (figures only, the PCC's view: counted over the caller's own force's records);
- programmes: :func:`harmwatch.programmes.outcomes.outcomes` (a PCC viewer gets the
  room's suppressed figures);
- the forensic review: :func:`harmwatch.forensics.progress.progress`, a snapshot
  of the review to date, not a count for the period.

Records are never queried here: every read goes through its room, which logs it.
``published`` (always for a PCC viewer) sends every figure through the one
small-number rule (:mod:`harmwatch.outputs.suppression`) before it is returned.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from harmwatch.engines import EngineChoice
from harmwatch.errors import InputError, UserError
from harmwatch.evaluation.change import change, resolve
from harmwatch.evaluation.recording import neutral_direction_note
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.kernel.principal import Principal
from harmwatch.outputs.suppression import NOTE
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.forces import FORCES, force_name, force_slug, forces_text
from harmwatch.timeline.months import add_months, month_range, parse_month, span_text

from .claims import Grade
from .framework import Framework, MeasureSpec, Target, load_framework
from .population import PopulationTable, poisson_interval
from .rollup import AreaFigure, Counted, combine

MET, NOT_MET, CANNOT_TELL = "met", "not met", "cannot tell"
NO_TARGET, NOT_JUDGED = "no target", "not judged"


@dataclass
class MeasureResult:
    key: str
    title: str
    priority: str
    priority_title: str
    kind: str
    direction: str
    source: str
    area: str
    period: tuple[str, str]
    baseline: tuple[str, str] | None  # None: the measure has no comparison (a share, a snapshot)
    baseline_source: str
    target: Target | None
    target_status: str
    target_reason: str
    areas: list[AreaFigure]
    total: AreaFigure | None
    shape: str = "count"
    caveats: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> AreaFigure:
        """The figure a sentence reports: the region's for several forces, else the force's."""
        return self.total if self.total is not None else self.areas[0]

    @property
    def available(self) -> bool:
        return self.headline.available

    @property
    def reason(self) -> str:
        return self.headline.reason

    def to_dict(self) -> dict[str, Any]:
        head = self.headline
        return {
            "key": self.key,
            "title": self.title,
            "priority": self.priority,
            "priority_title": self.priority_title,
            "kind": self.kind,
            "shape": self.shape,
            "direction": self.direction,
            "source": self.source,
            "area": self.area,
            "period": list(self.period),
            "baseline": list(self.baseline) if self.baseline else None,
            "baseline_source": self.baseline_source,
            "available": self.available,
            "reason": self.reason,
            "value": head.value,
            "baseline_value": head.baseline,
            "denominator": head.denominator,
            "percent": head.percent,
            "comparison": head.comparison.to_dict() if head.comparison else None,
            "target": self.target.to_dict() if self.target else None,
            "target_status": self.target_status,
            "target_reason": self.target_reason,
            "forces": [a.to_dict() for a in self.areas],
            "total": self.total.to_dict() if self.total else None,
            "caveats": self.caveats,
            "notes": self.notes,
        }


@dataclass
class MeasuresReport:
    forces: list[str]
    period: tuple[str, str]
    baseline: tuple[str, str]
    defaults_chosen: list[str]
    framework: str
    framework_file: str
    published: bool
    population_source: str | None
    results: list[MeasureResult]
    notes: list[str] = field(default_factory=list)

    def result(self, key: str) -> MeasureResult:
        for r in self.results:
            if r.key == key:
                return r
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "forces": self.forces,
            "force_names": [force_name(f) for f in self.forces],
            "period": list(self.period),
            "baseline": list(self.baseline),
            "defaults_chosen": self.defaults_chosen,
            "framework": self.framework,
            "framework_file": self.framework_file,
            "published": self.published,
            "population_source": self.population_source,
            "measures": [r.to_dict() for r in self.results],
            "notes": self.notes,
        }


# -- what a computation is given ---------------------------------------------------------


@dataclass
class Context:
    """What every measure's computation shares: where to read, who asks, which months."""

    store_path: Path | None
    engine: Engine | None
    principal: Principal | None
    period: tuple[str, str]
    baseline: tuple[str, str]
    client: str = ""
    # Where police.uk's scan runs (None: the store's DuckDB); never the records' crimes.
    aggregation: EngineChoice | None = None
    _cache: dict[Any, Any] = field(default_factory=dict)

    def no_store(self) -> str | None:
        """Why the analytics store cannot be read, or None when it can."""
        if self.store_path is None:
            return "no analytics store given (--db)"
        if not self.store_path.exists():
            return f"no analytics store at {self.store_path}: load police.uk data first (harmwatch ingest)"
        return None

    def baseline_for(self, spec: MeasureSpec) -> tuple[str, str]:
        return spec.baseline.period if spec.baseline else self.baseline

    def records(self) -> tuple[Engine, Principal] | str:
        """The records engine and who asks, or why records measures cannot be read."""
        if self.engine is None or self.principal is None:
            return "records not read: sign in (--as) to include the records' measures"
        return self.engine, self.principal

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def _dates(months: tuple[str, str]) -> tuple[date, date]:
    first_year, first_month = parse_month(months[0])
    last_year, last_month = parse_month(months[1])
    last_day = calendar.monthrange(last_year, last_month)[1]
    return date(first_year, first_month, 1), date(last_year, last_month, last_day)


def _n_months(months: tuple[str, str]) -> int:
    return len(month_range(*months))


def _missing(force: str, reason: str, shape: str = "count") -> Counted:
    return Counted(force, shape, available=False, reason=reason)  # type: ignore[arg-type]


# -- the kinds ---------------------------------------------------------------------------

#: Caveats every change already carries that the report states once, not per force.
_CHANGE_BOILERPLATE = "a change between two periods says nothing about its cause"


def _from_change(
    force: str, ctx: Context, request: ChangeRequest, aggregation: EngineChoice | None = None
) -> Counted:
    # The engine is the caller's to give, not read from ctx: the force's records come
    # through here too, and personal data never leaves the store for Spark.
    assert ctx.store_path is not None
    try:
        found = change(ctx.store_path, request, engine=aggregation)
    except UserError as exc:
        return _missing(force, str(exc))
    return Counted(
        force,
        value=found.count_period,
        baseline=found.count_baseline,
        period_months=found.period_months,
        baseline_months=found.baseline_months,
        notes=list(found.notes),
        caveats=[c for c in found.caveats if not c.startswith(_CHANGE_BOILERPLATE)],
    )


def _police_uk(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    missing = ctx.no_store()
    if missing:
        return _missing(force, missing)
    request = ChangeRequest(
        forces=(force,),
        crime_types=tuple(spec.option("crime_types")),
        period=ctx.period,
        baseline=ctx.baseline_for(spec),
    )
    return _from_change(force, ctx, request, ctx.aggregation)


RECORDS_CAVEAT = (
    "the records count what was entered: months before the records began, or results not "
    "entered, count as none, so a count of none may mean none were recorded"
)


def _force_records(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    from harmwatch.crimes.service import reading

    records = ctx.records()
    if isinstance(records, str):
        return _missing(force, records)
    missing = ctx.no_store()
    if missing:
        return _missing(force, f"{missing}; the force's own crime records are kept there")
    engine, principal = records
    classes = tuple(spec.option("offence_classes") or ())
    types = tuple(_crime_types(spec))
    request = ChangeRequest(
        forces=(force,),
        crime_types=types or ("Drugs",),
        all_crime_types=not types,
        source="force-records",
        flags=tuple(spec.option("flags") or ()),
        offence_classes=classes,
        period=ctx.period,
        baseline=ctx.baseline_for(spec),
    )
    try:
        with reading(
            engine, principal, what=f"oversight measure {spec.key}", exact=False,
            client=ctx.client,
        ) as grant:  # fmt: skip
            counted = _from_change(force, ctx, request)
            counted.notes.append(grant.source_text())
    except UserError as exc:
        return _missing(force, str(exc))
    return counted


def _operations(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    from harmwatch.operations.summary import summarise

    records = ctx.records()
    if isinstance(records, str):
        return _missing(force, records)
    engine, principal = records
    figure = str(spec.option("figure"))
    levels = spec.option("levels")

    def count(months: tuple[str, str]) -> int:
        since, until = _dates(months)
        summary = ctx.cached(
            ("operations", force, months),
            lambda: summarise(
                engine,
                principal,
                force=force,
                since=since,
                until=until,
                exact=False,
                client=ctx.client,
            ),
        )
        value = summary.value(figure)
        if isinstance(value, dict):
            return sum(int(n) for level, n in value.items() if not levels or level in levels)
        return int(value)

    baseline = ctx.baseline_for(spec)
    try:
        value, base = count(ctx.period), count(baseline)
    except UserError as exc:
        return _missing(force, str(exc))
    return Counted(
        force,
        value=value,
        baseline=base,
        period_months=_n_months(ctx.period),
        baseline_months=_n_months(baseline),
        notes=[
            f"counted from the operation results {principal.force or 'your force'} records "
            f"that happened in {force_name(force)} (figures only)"
        ],
        caveats=[RECORDS_CAVEAT],
    )


def _programme(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    from harmwatch.programmes.config import programme_types
    from harmwatch.programmes.outcomes import outcomes

    key, measure_key = str(spec.option("programme_type")), str(spec.option("measure"))
    types = programme_types()
    if key not in types:
        return _missing(
            force,
            f"no records held: no programme type {key!r} is configured "
            f"(configured: {', '.join(types)})",
        )
    ptype = types[key]
    try:
        m = ptype.measure(measure_key)
    except KeyError:
        return _missing(force, f"programme type {key!r} has no measure {measure_key!r}")
    if m.kind == "sum":
        return _missing(force, f"{m.title} is a sum, which is not compared here")
    records = ctx.records()
    if isinstance(records, str):
        return _missing(force, records)
    engine, principal = records
    share = m.kind == "ratio"
    shape = "share" if share else "count"

    def figures(months: tuple[str, str]) -> list[Any]:
        since, until = _dates(months)
        return [
            next(r for r in o.measures if r.key == measure_key)
            for o in outcomes(
                engine,
                principal,
                force=force,
                since=since,
                until=until,
                programme_type_key=key,
                client=ctx.client,
            )
        ]

    def total(values: Sequence[Any]) -> int | str:
        if all(isinstance(v, int) for v in values):
            return sum(values)
        return values[0] if len(values) == 1 else "not shown"

    try:
        found = figures(ctx.period)
    except UserError as exc:
        return _missing(force, str(exc), shape)
    if not found:
        return _missing(
            force, f"no records held: no {ptype.title} programme is recorded for {force_name(force)}",
            shape,
        )  # fmt: skip
    notes = [f"{len(found)} {ptype.title} programme(s) counted together"]
    if any(not isinstance(r.value, int) for r in found) and len(found) > 1:
        notes.append(
            "a programme's figure is suppressed by the programmes room, so no sum is shown"
        )
    if share:
        return Counted(
            force, "share", value=total([r.numerator for r in found]),
            denominator=total([r.denominator for r in found]),
            period_months=_n_months(ctx.period), notes=notes,
            caveats=["a share over one period: the events of the numerator need not follow those "
                     "of the denominator in the same period (a cohort is not followed)"],
        )  # fmt: skip
    baseline = ctx.baseline_for(spec)
    try:
        before = figures(baseline)
    except UserError as exc:
        return _missing(force, str(exc))
    return Counted(
        force,
        value=total([r.value for r in found]),
        baseline=total([r.value for r in before]) if before else 0,
        period_months=_n_months(ctx.period),
        baseline_months=_n_months(baseline),
        notes=notes,
        caveats=[RECORDS_CAVEAT],
    )


def _forensic(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    from harmwatch.forensics.progress import progress

    records = ctx.records()
    if isinstance(records, str):
        return _missing(force, records, "tally")
    engine, principal = records
    try:
        found = ctx.cached("forensic", lambda: progress(engine, principal, client=ctx.client))
    except UserError as exc:
        return _missing(force, str(exc), "tally")
    if not found.incident_ids:
        return _missing(force, "no records held: no laboratory incident is recorded", "tally")
    mine = next((f for f in found.forces if f.force == force), None)
    if mine is None:
        return _missing(
            force, f"no samples of {force_name(force)} in the review that you may see", "tally"
        )
    if spec.option("figure") == "retested":
        numerator, denominator = mine.retested, mine.samples
    else:
        numerator, denominator = mine.notifications_by_state["sent"], mine.notifications
    return Counted(
        force, "tally", value=numerator, denominator=denominator,
        notes=[f"the review's progress as of {found.as_of}, not a count for the period"],
    )  # fmt: skip


def _stop_search(spec: MeasureSpec, ctx: Context, force: str) -> Counted:
    """The find rate: searches whose outcome was linked to the object of search, of all.

    Searches for the framework's ``object_of_search`` (none: every search), counted by
    :mod:`harmwatch.oversight.stop_search` with its definitions and their caveats.
    """
    from .stop_search import DRUGS_OBJECT, stop_search

    missing = ctx.no_store()
    if missing:
        return _missing(force, missing, "share")
    store_path = ctx.store_path
    assert store_path is not None
    months = month_range(*ctx.period)
    try:
        found = ctx.cached(("stop-search", force), lambda: stop_search(store_path, [force], months))
    except UserError as exc:
        return _missing(force, str(exc), "share")
    objects = tuple(spec.option("object_of_search") or ())
    if not objects:
        counts = found.all_searches.overall
    elif objects == (DRUGS_OBJECT,):
        counts = found.drug_searches.overall
    else:
        [by_object] = [b for b in found.all_searches.breakdowns if b.key == "object_of_search"]
        chosen = [g.counts for g in by_object.groups if g.name in objects]
        counts = sum(chosen[1:], chosen[0]) if chosen else type(found.all_searches.overall)()
    return Counted(
        force, "share", value=counts.finds, denominator=counts.searches,
        period_months=len(months),
        notes=[f"{counts.link_blank:,} of the searches leave the link to the object of search "
               "blank (police.uk leaves it blank on no-further-action disposals); they count "
               "as not found"],
        caveats=["a find rate says how often a search found what it was for, not whether "
                 "searching reduced harm; forces record the link differently"],
    )  # fmt: skip


Computer = Callable[[MeasureSpec, Context, str], Counted]

#: How each kind of measure is counted, per force. A kind without an entry is reported
#: as not computed.
COMPUTERS: dict[str, Computer] = {
    "police-uk-crimes": _police_uk,
    "force-records-crimes": _force_records,
    "operations-figure": _operations,
    "programme-measure": _programme,
    "forensic-progress": _forensic,
    "stop-search-find-rate": _stop_search,
}


# -- the target ----------------------------------------------------------------------------


def _beyond(low: float | None, high: float | None, number: float, direction: str) -> str:
    """Where an interval lies against a target number, for the desired direction."""
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    if direction == "increase":
        return MET if lo >= number else NOT_MET if hi < number else CANNOT_TELL
    return MET if hi <= number else NOT_MET if lo > number else CANNOT_TELL


def judge(spec: MeasureSpec, head: AreaFigure, shape: str) -> tuple[str, str]:
    """Whether the target is met, with the uncertainty: (status, why).

    ``of = "change"``: without a number, met when the change is beyond chance
    (p < 0.05) in the desired direction, not met when beyond chance the other way,
    cannot tell when within chance; with a number (a percentage change), met when
    the whole 95 % interval of the change is on the target's side of it, not met
    when the whole interval is on the other side, else cannot tell. ``of =
    "value"``: the figure against the number — through its interval for an
    estimate (a share's Clopper–Pearson interval, a crime count's Poisson
    interval), exactly for a tally of work recorded (lines closed, samples
    retested), which is a count of what was done, not an estimate.
    """
    target = spec.target
    if spec.direction == "neutral":
        return NO_TARGET, "a neutral measure: neither a rise nor a fall is the aim"
    if target is None:
        return NO_TARGET, "the framework sets no target for this measure"
    if not head.available:
        return CANNOT_TELL, head.reason
    if target.of == "change":
        if shape != "count":
            return CANNOT_TELL, "a share is not compared with a baseline here: set of = value"
        comparison = head.comparison
        if comparison is None:
            return CANNOT_TELL, "the figures are suppressed, so the change is not shown"
        if comparison.grade is None:
            return CANNOT_TELL, "none in either period: there is no change to judge"
        if target.number is None:
            if comparison.grade is Grade.WITHIN:
                return CANNOT_TELL, f"the change is {Grade.WITHIN.value}"
            up = comparison.rate.ratio > 1
            wanted = up == (spec.direction == "increase")
            return (MET if wanted else NOT_MET), f"{comparison.sentence}"
        if comparison.before == 0:
            return (
                CANNOT_TELL,
                "none in the baseline: no percentage change to set against the target",
            )
        status = _beyond(comparison.pct_low, comparison.pct_high, target.number, spec.direction)
        return status, (
            f"the change's 95 % interval ({comparison.pct_low:+.1f} % to "
            + ("∞" if comparison.pct_high is None else f"{comparison.pct_high:+.1f} %")
            + f") against a target of {target.number:+g} %"
        )
    if target.number is None:
        return NOT_JUDGED, "the target is in words only: it sets no number to judge against"
    if shape in ("share", "tally"):
        if head.percent is None:
            return CANNOT_TELL, "no percentage is shown (suppressed, or no denominator)"
        if shape == "tally":
            exact = _beyond(head.percent, head.percent, target.number, spec.direction)
            return exact, f"{head.percent:.1f} % against a target of {target.number:g} % (a tally)"
        status = _beyond(head.percent_low, head.percent_high, target.number, spec.direction)
        return status, (
            f"{head.percent:.1f} % (95 % interval {head.percent_low:.1f}–{head.percent_high:.1f} %) "
            f"against a target of {target.number:g} %"
        )
    if not isinstance(head.value, int):
        return CANNOT_TELL, "the figure is suppressed"
    if spec.kind in ("police-uk-crimes", "force-records-crimes"):
        low, high = poisson_interval(head.value)
        status = _beyond(low, high, target.number, spec.direction)
        return status, (
            f"{head.value:,} (95 % interval {low:.1f}–{high:.1f}) against a target of "
            f"{target.number:g}"
        )
    exact = _beyond(head.value, head.value, target.number, spec.direction)
    return exact, f"{head.value:,} recorded against a target of {target.number:g} (a tally)"


def _crime_types(spec: MeasureSpec) -> list[str]:
    """The police.uk crime types a crime measure counts (its offence classes' types too)."""
    from harmwatch.crimes.offences import offence_classes

    types = list(spec.option("crime_types") or ())
    for code in spec.option("offence_classes") or ():
        kind = offence_classes()[code].police_uk_type
        if kind:
            types.append(kind)
    return list(dict.fromkeys(types))


# -- the period ---------------------------------------------------------------------------


def choose_period(
    store_path: Path | None, forces: Sequence[str], period: tuple[str, str] | None
) -> tuple[tuple[str, str], tuple[str, str], list[str]]:
    """The period and baseline, and the defaults taken (as ``change`` takes them)."""
    from harmwatch.storage.analytics import AnalyticsStore

    loaded: list[str] = []
    have: list[str] = []
    if store_path is not None and store_path.exists():
        with AnalyticsStore.open(store_path) as store:
            street = set(store.street_forces())
            have = [f for f in forces if f in street]
            loaded = store.covered_months(have) if have else []
    if loaded:
        resolved = resolve(ChangeRequest(period=period, baseline_fallback=True), loaded, have)
        p, b = resolved.request.period, resolved.request.baseline
        assert p is not None and b is not None  # resolve fills both
        chosen = list(resolved.defaults_chosen)
        if len(have) < len(forces):
            lacking = [f for f in forces if f not in have]
            chosen.append(f"months chosen from the forces with police.uk data; {forces_text(lacking)} "
                          "ha(s) none loaded")  # fmt: skip
        return p, b, chosen
    if period is None:
        raise InputError(
            f"period: no police.uk months are loaded for {forces_text(forces)} to choose it "
            "from: give the period (e.g. --period 2025-10:2025-12)"
        )
    baseline = (add_months(period[0], -12), add_months(period[1], -12))
    return period, baseline, [f"baseline: {span_text(*baseline)}, the same months a year earlier"]


def compute(
    store_path: str | Path | None,
    forces: Sequence[str],
    period: tuple[str, str] | None = None,
    *,
    framework: Framework | None = None,
    engine: Engine | None = None,
    principal: Principal | None = None,
    published: bool = True,
    population: PopulationTable | None = None,
    measures: Sequence[str] = (),
    client: str = "",
    aggregation: EngineChoice | None = None,
) -> MeasuresReport:
    """Every measure of the framework (or those named) for ``forces`` and the period.

    ``store_path``: the DuckDB analytics store (police.uk and the force's records);
    ``engine`` and ``principal``: the records database and who asks (the records'
    measures are "not read" without them); ``population``: residents for rates per
    1,000; ``published``: figures through the small-number rule (forced for a PCC
    viewer); ``aggregation``: where the police.uk measures' scan, filter and group by
    run (None: the store's DuckDB; the force's records always stay there).
    """
    slugs = list(dict.fromkeys(force_slug(f) for f in forces))
    if not slugs:
        raise InputError("force: name at least one force")
    unknown = [f for f in slugs if f not in FORCES]
    if unknown:
        raise InputError(f"force: {', '.join(unknown)} is not a police.uk force")
    if principal is not None and principal.role is Role.PCC_VIEWER:
        published = True
    chosen_framework = framework or load_framework()
    specs = (
        [chosen_framework.measure(k) for k in measures] if measures else chosen_framework.measures
    )
    path = Path(store_path) if store_path is not None else None
    the_period, the_baseline, defaults = choose_period(path, slugs, period)
    ctx = Context(path, engine, principal, the_period, the_baseline, client, aggregation)
    year = parse_month(the_period[0])[0]
    results = []
    for spec in specs:
        computer = COMPUTERS.get(spec.kind)
        counted = [
            computer(spec, ctx, force)
            if computer
            else _missing(force, f"{spec.kind} is not computed by the measures module yet")
            for force in slugs
        ]
        areas, total = combine(counted, published=published, population=population, year=year)
        shape = next((c.shape for c in counted if c.available), counted[0].shape)
        head = total if total is not None else areas[0]
        status, why = judge(spec, head, shape)
        with_baseline = shape == "count"
        caveats = list(spec.caveats) + list(
            dict.fromkeys(c for row in counted for c in row.caveats)
        )
        neutral = neutral_direction_note(_crime_types(spec))
        if neutral:
            caveats.append(neutral)
        notes = list(dict.fromkeys(n for row in counted for n in row.notes))
        if spec.baseline is not None:
            notes.append(
                f"baseline: {span_text(*spec.baseline.period)}, fixed by the framework "
                f"({spec.baseline.source})"
            )
        results.append(
            MeasureResult(
                key=spec.key, title=spec.title, priority=spec.priority,
                priority_title=spec.priority_title, kind=spec.kind, direction=spec.direction,
                source=spec.source, area=spec.area, period=the_period,
                baseline=ctx.baseline_for(spec) if with_baseline else None,
                baseline_source=spec.baseline.source if spec.baseline else "default",
                target=spec.target, target_status=status, target_reason=why,
                areas=areas, total=total, shape=shape, caveats=caveats, notes=notes,
            )
        )  # fmt: skip
    return MeasuresReport(
        forces=slugs,
        period=the_period,
        baseline=the_baseline,
        defaults_chosen=defaults,
        framework=chosen_framework.title,
        framework_file=chosen_framework.file,
        published=published,
        population_source=population.source if population else None,
        results=results,
        notes=[NOTE] if published else [],
    )
