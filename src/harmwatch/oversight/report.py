"""The PCC / partnership board report: one force or several, one period, every section.

:func:`build_report` assembles a :class:`Report` from what the other parts of
harmwatch compute — nothing is counted twice and nothing is typed:

- the framework's measures (:func:`harmwatch.oversight.measures.compute`, rolled
  up across forces with rates per 1,000 residents: :mod:`.rollup`), each with its
  honest comparison and whether its target is met, and a chart of it
  (:mod:`.report_charts`): police.uk months as a broken line at gaps, records'
  figures as bars, shares with their intervals;
- maps of the period's drug hotspots (Gi*, :func:`harmwatch.where.hotspots.hotspots`)
  and of the change in drug offences per district;
- the operations, programmes and forensic-review rooms' own aggregates
  (:mod:`.report_records`), each of which checks the caller's role and logs the read;
- stop and search (:mod:`.stop_search`) and what happened to drug crimes
  (:mod:`.crime_outcomes`);
- a methods-and-caveats annex.

A section whose data or records are not there says so ("no operations recorded
for …"), never a zero. ``published`` (always on for the PCC viewer, and for any
version to be published) sends every count through the one small-number rule
(:mod:`harmwatch.outputs.suppression`); a breakdown it cannot protect is left
out and :attr:`Report.left_out` says which. The published maps draw areas only —
Gi* classes of 500 m cells and districts — never a crime's point, as the web app
does for the PCC viewer (:mod:`harmwatch.evaluation.aggregates`).

The police.uk street crimes are counted by the statements hotspots and change use
(:mod:`harmwatch.storage.analytics.aggregate`), so ``aggregation`` can move those
scans to Spark and the page stays the same; the rest of the report reads the store's
DuckDB, small tables that a cluster would not make faster.

:mod:`.render` turns a report into HTML and PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from harmwatch import ATTRIBUTION
from harmwatch.engines import EngineChoice, SqlEngine
from harmwatch.engines.policeuk import street_engine
from harmwatch.errors import InputError, UserError
from harmwatch.evaluation.recording import (
    POLICE_GENERATED,
    neutral_direction_note,
    police_generated,
)
from harmwatch.kernel.principal import Principal
from harmwatch.outputs.suppression import NOTE, suppress
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.forces import force_name, force_slug, forces_text
from harmwatch.spatial import places
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.timeline.months import (
    month_number,
    month_range,
    parse_month,
    periods_text,
    run_label,
)

from . import report_charts as charts
from .claims import BEYOND_P, CAUSE_CAVEAT, RECORDING_CAVEAT, REGRESSION_CAVEAT, Grade, compare
from .framework import Framework, MeasureSpec, load_framework
from .measures import MeasureResult, MeasuresReport, compute
from .population import PopulationTable, shipped_population
from .report_records import (
    Reported,
    forensic_section,
    operations_section,
    programmes_section,
    reported_figures,
)
from .report_tables import (
    Cell,
    Figure,
    Image,
    Section,
    Shown,
    Table,
    breakdown,
    count_of,
    figure,
    small_count_in,
)
from .residents import ResidentsTable
from .rollup import AreaFigure

#: The crime types the maps show: the partnership's own subject.
MAP_CRIME_TYPES = ("Drugs",)
#: The published maps' cells: the evaluation's aggregate squares (about an urban LSOA).
PUBLISHED_CELL_M = 500.0
PUBLISHED = "PUBLISHED VERSION: small numbers suppressed"
OFFICIAL = "OFFICIAL"
RECORDS_CREDIT = "Source: the force's own records in harmwatch (not police.uk)."
OTHER_DISTRICTS = "other districts (outside the force area)"
NO_LSOA = "no location (no LSOA)"

Progress = Callable[[str], None]


@dataclass
class SummaryLine:
    """One measure in a line of the first page."""

    key: str
    title: str
    priority_title: str
    value: Figure
    change: str
    direction: str
    target: str
    available: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "priority_title": self.priority_title,
            "value": self.value.text,
            "value_count": self.value.count,
            "change": self.change,
            "direction": self.direction,
            "target": self.target,
            "available": self.available,
            "reason": self.reason,
        }


@dataclass
class MeasureSection:
    key: str
    title: str
    priority_title: str
    direction: str
    source: str
    area: str
    available: bool
    reason: str
    headline: str
    target: str
    figures: Table | None
    chart: Image | None
    chart_table: Table | None
    caveats: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "priority_title": self.priority_title,
            "direction": self.direction,
            "source": self.source,
            "area": self.area,
            "available": self.available,
            "reason": self.reason,
            "headline": self.headline,
            "target": self.target,
            "figures": self.figures.to_dict() if self.figures else None,
            "chart": self.chart.to_dict() if self.chart else None,
            "chart_table": self.chart_table.to_dict() if self.chart_table else None,
            "caveats": self.caveats,
            "notes": self.notes,
        }


@dataclass
class MapSection:
    key: str
    title: str
    available: bool
    reason: str = ""
    image: Image | None = None
    table: Table | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "available": self.available,
            "reason": self.reason,
            "image": self.image.to_dict() if self.image else None,
            "table": self.table.to_dict() if self.table else None,
            "notes": self.notes,
        }


@dataclass
class AnnexItem:
    title: str
    paragraphs: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "paragraphs": self.paragraphs}


@dataclass
class Report:
    title: str
    forces: list[str]
    period: tuple[str, str]
    baseline: tuple[str, str]
    published: bool
    generated_on: date
    prepared_by: str
    framework: str
    population_source: str
    summary: list[SummaryLine]
    measures: list[MeasureSection]
    maps: list[MapSection]
    sections: list[Section]
    annex: list[AnnexItem]
    defaults_chosen: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    attribution: list[str] = field(default_factory=list)

    @property
    def marking(self) -> str:
        return PUBLISHED if self.published else OFFICIAL

    @property
    def force_names(self) -> list[str]:
        return [force_name(f) for f in self.forces]

    @property
    def period_text(self) -> str:
        return periods_text(month_range(*self.period))

    @property
    def period_label(self) -> str:
        """The period as its months' run, without their number: 'Jul 2025–Sep 2025'."""
        return run_label(month_range(*self.period))

    @property
    def baseline_text(self) -> str:
        return periods_text(month_range(*self.baseline))

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "marking": self.marking,
            "forces": self.forces,
            "force_names": self.force_names,
            "period": list(self.period),
            "period_text": self.period_text,
            "baseline": list(self.baseline),
            "baseline_text": self.baseline_text,
            "published": self.published,
            "generated_on": self.generated_on.isoformat(),
            "prepared_by": self.prepared_by,
            "framework": self.framework,
            "population_source": self.population_source,
            "summary": [s.to_dict() for s in self.summary],
            "measures": [m.to_dict() for m in self.measures],
            "maps": [m.to_dict() for m in self.maps],
            "sections": [s.to_dict() for s in self.sections],
            "annex": [a.to_dict() for a in self.annex],
            "defaults_chosen": self.defaults_chosen,
            "left_out": self.left_out,
            "attribution": self.attribution,
        }


# -- building ------------------------------------------------------------------------------


@dataclass
class _Build:
    """What every part of the report shares while it is built."""

    store_path: Path | None
    forces: list[str]
    measures: MeasuresReport
    framework: Framework
    published: bool
    left_out: list[str]
    notes_left_out: bool = False
    aggregation: EngineChoice | None = None

    @property
    def several(self) -> bool:
        return len(self.forces) > 1

    def prose(self, lines: Sequence[str]) -> list[str]:
        """Sentences from other rooms as a published report may print them (no small count)."""
        if not self.published:
            return list(lines)
        kept = [line for line in lines if not small_count_in(line)]
        if len(kept) < len(lines):
            self.notes_left_out = True
        return kept


def build_report(
    store_path: str | Path | None,
    forces: Sequence[str],
    period: tuple[str, str] | None = None,
    *,
    engine: Engine | None = None,
    principal: Principal | None = None,
    published: bool = False,
    framework: Framework | None = None,
    population: PopulationTable | None = None,
    residents: ResidentsTable | None = None,
    progress: Progress | None = None,
    client: str = "",
    today: date | None = None,
    aggregation: EngineChoice | None = None,
) -> Report:
    """The board report for ``forces`` over ``period`` (default: the latest three months).

    ``store_path``: the DuckDB analytics store (police.uk files); ``engine`` and
    ``principal``: the records database and who asks (without them the records'
    sections say they were not read); ``published``: the version to publish, small
    numbers suppressed (always for a PCC viewer); ``population``: residents for
    rates per 1,000 (default: the shipped table, labelled with its source and
    year); ``residents``: a :class:`~harmwatch.oversight.residents.ResidentsTable`
    for stop-and-search disproportionality; ``progress``: told what is being done;
    ``aggregation``: where the police.uk street crimes' scans run — the measures', the
    maps' and the monthly charts' (None: the store's DuckDB; Spark: transpiled, over the
    store's part files, :mod:`harmwatch.engines.policeuk`). The records, stop and
    search and outcomes stay on DuckDB, as every statistic does.
    """
    say = progress or (lambda _text: None)
    slugs = list(dict.fromkeys(force_slug(f) for f in forces if f.strip()))
    if not slugs:
        raise InputError("force: name at least one force (--force, repeatable)")
    if principal is not None and principal.role is Role.PCC_VIEWER:
        published = True  # the PCC viewer sees aggregates only, as everywhere
    chosen = framework or load_framework()
    table = population or shipped_population()
    path = Path(store_path) if store_path is not None else None
    say(f"computing {len(chosen.measures)} measures for {forces_text(slugs)}")
    measures = compute(
        path, slugs, period, framework=chosen, engine=engine, principal=principal,
        published=published, population=table, client=client, aggregation=aggregation,
    )  # fmt: skip
    build = _Build(path, slugs, measures, chosen, published, [], aggregation=aggregation)
    summary, sections = [], []
    for result in measures.results:
        say(f"measure: {result.title}")
        summary.append(_summary_line(result))
        sections.append(_measure_section(build, result, chosen.measure(result.key)))
    say("maps: hotspots and change")
    maps = [_hotspot_map(build), _change_map(build)]
    since, until = _days(measures.period)
    period_text = periods_text(month_range(*measures.period))
    records: list[Section] = []
    if engine is None or principal is None:
        reason = "records not read: sign in (--as) to include the records' sections"
        records = [
            Section("operations", "Operations: results recorded in the period", False, reason),
            Section("programmes", "Programmes: outcome measures in the period", False, reason),
            Section(
                "forensic-review",
                "Forensic review: progress of the laboratory-incident review",
                False,
                reason,
            ),
        ]
    else:
        reported = reported_figures(measures, chosen) if published else Reported()
        say("operations")
        records.append(operations_section(
            engine, principal, slugs, since, until, period_text, published=published,
            reported=reported, client=client,
        ))  # fmt: skip
        say("programmes")
        records.append(programmes_section(
            engine, principal, slugs, since, until, period_text, published=published,
            reported=reported, client=client,
        ))  # fmt: skip
        say("forensic review")
        records.append(forensic_section(
            engine, principal, slugs, published=published, reported=reported, client=client,
        ))  # fmt: skip
    say("stop and search")
    police = [_stop_search_section(build, residents), _outcomes_section(build)]
    for section in [*records, *police]:
        section.notes = build.prose(section.notes)
    who = (
        f"{principal.username} ({principal.role}, {force_name(principal.force)})"
        if principal is not None and principal.force
        else (f"{principal.username} ({principal.role})" if principal is not None else "")
    )
    return Report(
        title=f"Drug harm and the Police and Crime Plan: {forces_text(slugs)}, {period_text}",
        forces=slugs,
        period=measures.period,
        baseline=measures.baseline,
        published=published,
        generated_on=today or date.today(),
        prepared_by=who,
        framework=measures.framework,
        population_source=table.source,
        summary=summary,
        measures=sections,
        maps=maps,
        sections=[*records, *police],
        annex=_annex(build, table),
        defaults_chosen=build.prose(measures.defaults_chosen),
        left_out=[
            *build.left_out,
            *(["notes from the rooms that name a count below 5"] if build.notes_left_out else []),
        ],
        attribution=[ATTRIBUTION, places.ATTRIBUTION],
    )


def _days(months: tuple[str, str]) -> tuple[date, date]:
    """The first and last day of a period of months: what the record rooms filter by."""
    import calendar

    first_year, first_month = parse_month(months[0])
    last_year, last_month = parse_month(months[1])
    return (
        date(first_year, first_month, 1),
        date(last_year, last_month, calendar.monthrange(last_year, last_month)[1]),
    )


# -- measures ------------------------------------------------------------------------------


def _crime_types(spec: MeasureSpec) -> list[str]:
    """The police.uk crime types a measure counts, its offence classes' types included."""
    types = list(spec.option("crime_types", ()) or ())
    if spec.option("offence_classes"):
        from harmwatch.crimes.offences import offence_classes

        known = offence_classes()
        types += [known[c].police_uk_type or "" for c in spec.option("offence_classes")]
    return [t for t in dict.fromkeys(types) if t]


def _direction(result: MeasureResult, spec: MeasureSpec) -> str:
    if result.direction == "neutral":
        if any(police_generated(t) for t in _crime_types(spec)):
            return "neutral: found by police activity, so neither a rise nor a fall is good news"
        return "neutral: neither a rise nor a fall is the aim"
    return "aim: a rise" if result.direction == "increase" else "aim: a fall"


def _value(head: AreaFigure, shape: str) -> Figure:
    if not head.available:
        return Figure("not available")
    if shape == "count":
        return figure(head.value)
    if head.percent is None:
        return Figure(f"{figure(head.value)} of {figure(head.denominator)}")
    interval = (
        f" (95 % interval {head.percent_low:.1f}–{head.percent_high:.1f} %)"
        if head.percent_low is not None and head.percent_high is not None
        else ""
    )
    return Figure(
        f"{head.percent:.1f} %{interval}: {figure(head.value)} of {figure(head.denominator)}"
    )


def _change(result: MeasureResult) -> str:
    head = result.headline
    if not head.available:
        return head.reason
    if result.shape != "count":
        return "a share for the period, not compared with a baseline"
    if head.comparison is None:
        return "no change is given: a figure is hidden by the small-number rule"
    return head.comparison.sentence


def _target(result: MeasureResult) -> str:
    if result.target is None:
        return f"{result.target_status}: {result.target_reason}"
    return f"{result.target_status} ({result.target.wording}): {result.target_reason}"


def _summary_line(result: MeasureResult) -> SummaryLine:
    head = result.headline
    spec_direction = (
        "neutral" if result.direction == "neutral"
        else ("aim: a rise" if result.direction == "increase" else "aim: a fall")
    )  # fmt: skip
    return SummaryLine(
        key=result.key,
        title=result.title,
        priority_title=result.priority_title,
        value=_value(head, result.shape),
        change=_change(result),
        direction=spec_direction,
        target=result.target_status,
        available=result.available,
        reason=result.reason,
    )


def _rate(area: AreaFigure) -> str:
    if area.rate is None:
        return area.population_note or "—"
    text = f"{area.rate.rate:.2f} ({area.rate.low:.2f}–{area.rate.high:.2f})"
    if area.population is not None and area.population.year is not None:
        text += f"; residents {area.population.year}"
    return text


def _figures_table(build: _Build, result: MeasureResult) -> Table:
    rows: list[list[Cell]] = []
    areas = [*result.areas, *([result.total] if result.total is not None else [])]
    if result.shape == "count":
        base = result.baseline
        columns = [
            "Area", "Period", "Baseline" + (f" ({periods_text(month_range(*base))})" if base else ""),
            "Change on the baseline", "Per 1,000 residents (95 % interval)",
        ]  # fmt: skip
        for a in areas:
            if not a.available:
                rows.append([a.name, "not available", "", a.reason, ""])
                continue
            change = a.comparison.sentence if a.comparison else (
                "not given: a figure is hidden" if a.suppressed else "—"
            )  # fmt: skip
            rows.append([a.name, figure(a.value), figure(a.baseline), change, _rate(a)])
    else:
        columns = ["Area", "Count", "Of", "Per cent"]
        for a in areas:
            if not a.available:
                rows.append([a.name, "not available", "", a.reason])
                continue
            pct = "—" if a.percent is None else f"{a.percent:.1f} %"
            if a.percent is not None and a.percent_low is not None and a.percent_high is not None:
                pct += f" (95 % interval {a.percent_low:.1f}–{a.percent_high:.1f} %)"
            rows.append([a.name, figure(a.value), figure(a.denominator), pct])
    notes = build.prose(list(dict.fromkeys(n for a in areas for n in a.notes)))
    return Table(f"{result.title}: each force" + (" and in total" if result.total else ""),
                 columns, rows, notes=list(dict.fromkeys(notes)))  # fmt: skip


def _measure_section(build: _Build, result: MeasureResult, spec: MeasureSpec) -> MeasureSection:
    chart: Image | None = None
    chart_table: Table | None = None
    notes = build.prose(result.notes)
    # A force's figure is drawn even when the region has no total (a force without records).
    if any(a.available for a in result.areas):
        try:
            if spec.kind == "police-uk-crimes" and build.store_path is not None:
                chart, chart_table, chart_notes = _monthly(build, result, spec)
                notes += chart_notes
            elif result.shape == "count":
                chart, chart_table = _bars(result)
                if chart is None:
                    notes.append("no chart: every figure is hidden by the small-number rule")
            else:
                chart, chart_table = _shares(result)
        except UserError as exc:
            notes.append(f"no chart: {exc}")
    head = result.headline
    headline = f"{_value(head, result.shape).text}; {_change(result)}"
    return MeasureSection(
        key=result.key,
        title=result.title,
        priority_title=result.priority_title,
        direction=_direction(result, spec),
        source=result.source,
        area=result.area,
        available=result.available,
        reason=result.reason,
        headline=headline,
        target=_target(result),
        # A measure no force has a figure for says why in one line: a table would repeat it.
        figures=_figures_table(build, result) if any(a.available for a in result.areas) else None,
        chart=chart,
        chart_table=chart_table,
        caveats=build.prose(result.caveats),
        notes=notes,
    )


def _monthly(
    build: _Build, result: MeasureResult, spec: MeasureSpec
) -> tuple[Image, Table, list[str]]:
    """Each force's counts by month: period, baseline and the months loaded between them."""
    assert build.store_path is not None and result.baseline is not None
    types = tuple(spec.option("crime_types"))
    period, baseline = month_range(*result.period), month_range(*result.baseline)
    between = [
        m for m in month_range(min(period[0], baseline[0]), max(period[-1], baseline[-1]))
        if m not in period and m not in baseline
    ]  # fmt: skip
    series: list[charts.MonthlySeries] = []
    notes: list[str] = []
    rows: dict[str, list[Cell]] = {}
    with (
        AnalyticsStore.open(build.store_path) as store,
        street_engine(store, build.aggregation) as on,
    ):
        for area in result.areas:
            if not area.available:
                continue
            counts = store.street_counts_by_month(
                StreetScope(forces=(area.force,), crime_types=types), on
            )
            loaded = set(store.covered_months([area.force]))
            context = [m for m in between if m in loaded]
            shown_period = _shown_months(
                build, period, counts, area.value, area.name, "period", notes
            )
            shown_base = _shown_months(
                build, baseline, counts, area.baseline, area.name, "baseline", notes
            )
            shown_context = _shown_months(build, context, counts, None, area.name, "other", notes)
            series.append(charts.MonthlySeries(area.name, shown_period, shown_base, shown_context))
            for month, role, value in sorted(
                [*((m, "period", v) for m, v in shown_period.items()),
                 *((m, "baseline", v) for m, v in shown_base.items()),
                 *((m, "other month loaded", v) for m, v in shown_context.items())],
                key=lambda t: month_number(t[0]),
            ):  # fmt: skip
                rows.setdefault(month, [month, role])
                rows[month].append(figure(value, none="not shown"))
    generated = any(police_generated(t) for t in types)
    title = f"{result.title}: crimes a month, {forces_text(a.force for a in result.areas)}"
    png = charts.monthly_chart(title, series, police_generated=generated)
    names = [s.label for s in series]
    alt = (
        f"Line chart of {', '.join(types)} crimes a month for {', '.join(names)}: the period "
        f"{periods_text(period)} as a solid line, the baseline {periods_text(baseline)} as a dashed "
        "line" + (", other months loaded as a dotted line" if between else "")
        + "; the lines break where months are missing. The table beside gives every figure."
    )  # fmt: skip
    if generated:
        note = neutral_direction_note(types)
        if note:
            notes.append(note + ".")
    table = Table(
        f"{result.title}: crimes a month",
        ["Month", "Part", *names],
        [rows[m] for m in sorted(rows, key=month_number)],
    )
    return Image(png, alt), table, notes


def _shown_months(
    build: _Build, months: Sequence[str], counts: dict[str, int], total: Shown, name: str,
    part: str, notes: list[str],
) -> dict[str, int | None]:  # fmt: skip
    """The months' counts as the report may show them: through the rule against the total
    the measure shows, or all hidden when the rule cannot protect them."""
    values = [counts.get(m, 0) for m in months]
    if not build.published:
        return dict(zip(months, values, strict=True))
    if not months:
        return {}
    shown = breakdown(values, total if part != "other" else None)
    if shown is None:
        build.left_out.append(
            f"{name}'s {part} months: not shown by month (the rule could not protect them)"
        )
        notes.append(f"{name}: the {part} months are not shown one by one; their total is hidden "
                     "or a month could be worked out from it.")  # fmt: skip
        return dict.fromkeys(months)
    return {m: count_of(v) for m, v in zip(months, shown, strict=True)}


def _bars(result: MeasureResult) -> tuple[Image | None, Table | None]:
    areas = [*result.areas, *([result.total] if result.total is not None else [])]
    bars = [
        charts.Bar(a.name, count_of(a.value), count_of(a.baseline), figure(a.value).text,
                   figure(a.baseline).text)
        for a in areas if a.available
    ]  # fmt: skip
    table_rows: list[list[Cell]] = [
        [b.label, figure(a.value), figure(a.baseline)]
        for b, a in zip(bars, [a for a in areas if a.available], strict=True)
    ]
    table = Table(
        f"{result.title}: period and baseline", ["Area", "Period", "Baseline"], table_rows
    )
    if all(b.period is None and b.baseline is None for b in bars):
        return None, None  # every figure hidden: a chart would draw nothing
    png = charts.bar_chart(result.title, bars, unit="count", credit=RECORDS_CREDIT)
    alt = (
        f"Bar chart of {result.title}: for each of {', '.join(b.label for b in bars)}, the period "
        "as a solid bar and the baseline as a hatched bar; a hidden figure has no bar. The "
        "table beside gives every figure."
    )
    return Image(png, alt), table


def _shares(result: MeasureResult) -> tuple[Image, Table]:
    areas = [*result.areas, *([result.total] if result.total is not None else [])]
    points = [
        charts.SharePoint(
            a.name, a.percent, a.percent_low, a.percent_high,
            f"{a.percent:.1f} %" if a.percent is not None else "not shown",
        )
        for a in areas if a.available
    ]  # fmt: skip
    target = result.target.number if result.target and result.target.of == "value" else None
    png = charts.share_chart(result.title, points, target=target, credit=RECORDS_CREDIT)
    alt = (
        f"Chart of {result.title} as a percentage for each of {', '.join(p.label for p in points)}"
        + (", with its 95 % interval" if result.shape == "share" else "")
        + (f", and the target of {target:g} % as a dashed line" if target is not None else "")
        + ". The table beside gives every figure."
    )
    rows: list[list[Cell]] = [[p.label, p.text] for p in points]
    return Image(png, alt), Table(f"{result.title}: per cent", ["Area", "Per cent"], rows)


# -- maps ----------------------------------------------------------------------------------


def _map_measure(build: _Build) -> MeasureResult | None:
    """The measure counting the maps' crime types, whose totals the change map must match."""
    for result in build.measures.results:
        spec = build.framework.measure(result.key)
        if spec.kind == "police-uk-crimes" and tuple(spec.option("crime_types")) == MAP_CRIME_TYPES:
            return result
    return None


def _hotspot_map(build: _Build) -> MapSection:
    from harmwatch.maps.results import district_outlines
    from harmwatch.where.hotspots import HotspotsRequest, hotspots

    what = ", ".join(MAP_CRIME_TYPES)
    months = month_range(*build.measures.period)
    title = f"Hotspots of {what} offences, {periods_text(months)}"
    if build.store_path is None:
        return MapSection("hotspots", title, False, "no police.uk store given (--db)")
    request = HotspotsRequest(
        forces=tuple(build.forces), crime_types=MAP_CRIME_TYPES, months=tuple(months),
        method="gistar", cell=PUBLISHED_CELL_M if build.published else None,
    )  # fmt: skip
    try:
        result = hotspots(build.store_path, request, engine=build.aggregation)
    except UserError as exc:
        return MapSection("hotspots", title, False, f"no map: {exc}")
    grid = result.grid
    classes = charts.classes_grid(grid.shape, result.cells["cell_id"].to_numpy(),
                                  result.cells["class"].to_numpy())  # fmt: skip
    alpha = result.parameters["alpha"]
    legend = f"Gi* ({result.parameters.get('p_adjust')}-adjusted p < {alpha})"
    png = charts.hotspot_map(
        grid, result.mask, classes, result.study_area.geometry,
        district_outlines(list(build.forces)), title=title, legend_label=legend,
        subtitle=f"{forces_text(build.forces)}; {grid.cell:g} m cells; classes only, no crime points",
    )  # fmt: skip
    table = _hotspot_table(result)
    hot = int((result.cells["class"] == "hot spot").sum())
    alt = (
        f"Map of {forces_text(build.forces)} with its districts outlined and towns named, "
        f"{hot:,} grid cells of {grid.cell:g} m marked as Getis-Ord Gi* hot spots of {what} "
        f"offences in {periods_text(months)}. The table beside counts the cells by district."
    )
    notes = [
        f"Getis-Ord Gi* on {grid.cell:g} m cells: a hot spot is a cell whose neighbourhood "
        f"holds more {what} offences than chance would put there (p < {alpha} after the "
        f"{result.parameters.get('p_adjust')} adjustment for testing every cell). Only the "
        "cells' classes are drawn, never a crime's location.",
        neutral_direction_note(MAP_CRIME_TYPES) or "",
    ]
    if not build.published:
        notes += [*result.defaults_chosen, *result.warnings]
    return MapSection("hotspots", title, True, image=Image(png, alt), table=table,
                      notes=[n for n in notes if n])  # fmt: skip


def _hotspot_table(result: Any) -> Table:
    import geopandas as gpd
    import pandas as pd

    from harmwatch.spatial.boundaries import force_districts

    cells = result.cells
    frames = [force_districts(f)[["name", "geometry"]] for f in result.points.forces]
    districts = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs
    )
    centres = gpd.GeoDataFrame(
        {"klass": cells["class"].to_numpy()},
        geometry=gpd.points_from_xy(cells["x"], cells["y"]),
        crs=districts.crs,
    )
    joined = gpd.sjoin(centres, districts, predicate="within", how="left")
    km2 = result.grid.cell_area_km2
    rows: list[list[Cell]] = []
    # Areas, not numbers of cells: a cell is ground, and km² read the same at any cell size.
    for name in districts["name"]:
        mine = joined[joined["name"] == name]
        hot = int((mine["klass"] == "hot spot").sum())
        cold = int((mine["klass"] == "cold spot").sum())
        share = f"{100 * hot / len(mine):.1f} %" if len(mine) else "—"
        rows.append([str(name), f"{len(mine) * km2:,.2f}", f"{hot * km2:,.2f}", share,
                     f"{cold * km2:,.2f}"])  # fmt: skip
    return Table(
        "Hot and cold spots by district, as areas (km² of grid cells whose centre lies in the "
        "district)",
        [
            "District",
            "Area (km²)",
            "Hot-spot area (km²)",
            "Hot-spot share of the area",
            "Cold-spot area (km²)",
        ],
        rows,
    )


def _change_map(build: _Build) -> MapSection:
    from harmwatch.spatial.boundaries import force_area_polygon, force_districts

    what = ", ".join(MAP_CRIME_TYPES)
    measure = _map_measure(build)
    period = month_range(*build.measures.period)
    baseline_pair = measure.baseline if measure and measure.baseline else build.measures.baseline
    baseline = month_range(*baseline_pair)
    title = f"Change in {what} offences by district: {periods_text(period)} against {periods_text(baseline)}"
    if build.store_path is None:
        return MapSection("change", title, False, "no police.uk store given (--db)")
    shades: list[charts.DistrictShade] = []
    rows: list[list[Cell]] = []
    notes: list[str] = []
    outlines = []
    with (
        AnalyticsStore.open(build.store_path) as store,
        street_engine(store, build.aggregation) as on,
    ):
        covered = set(store.street_forces())
        for force in build.forces:
            if force not in covered:
                notes.append(f"{force_name(force)}: no police.uk street crimes loaded")
                continue
            area = next(
                (a for a in measure.areas if a.force == force and a.available), None
            ) if measure else None  # fmt: skip
            polygon = force_area_polygon(force)
            if polygon is not None:
                outlines.append(polygon)
            frame = force_districts(force)
            names = [str(n) for n in frame["name"]]
            scope = StreetScope(forces=(force,), crime_types=MAP_CRIME_TYPES)
            per = {
                n: _two(store, on, StreetScope(forces=(force,), crime_types=MAP_CRIME_TYPES,
                                               district=n), period, baseline)
                for n in names
            }  # fmt: skip
            everything = _two(store, on, scope, period, baseline)
            unplaced = _two(store, on, StreetScope(forces=(force,), crime_types=MAP_CRIME_TYPES,
                                                   lsoa_name_missing=True), period, baseline)  # fmt: skip
            placed = (sum(p for p, _ in per.values()), sum(b for _, b in per.values()))
            other = (
                everything[0] - placed[0] - unplaced[0],
                everything[1] - placed[1] - unplaced[1],
            )
            labels = [*names, OTHER_DISTRICTS, NO_LSOA]
            cells = [[*per[n]] for n in names] + [list(other), list(unplaced)]
            shown = _district_counts(build, force, cells, area, everything)
            if shown is None:
                notes.append(
                    f"{force_name(force)}: districts not shown, because the force's total is "
                    "hidden or a district's count could be worked out from it"
                )
                build.left_out.append(f"{force_name(force)}'s districts on the change map")
                for n, geom in zip(names, frame.geometry, strict=True):
                    shades.append(charts.DistrictShade(n, geom, "not shown"))
                continue
            geoms = dict(zip(names, frame.geometry, strict=True))
            for label, (p, b), raw in zip(labels, shown, cells, strict=True):
                klass, text = _district_change(p, b, raw, len(period), len(baseline))
                if label in geoms:
                    shades.append(charts.DistrictShade(label, geoms[label], klass))
                rows.append([label, force_name(force), figure(p), figure(b), text])
    if not shades:
        return MapSection("change", title, False, "; ".join(notes) or "no districts to draw")
    import shapely

    area_geom = (
        shapely.union_all(outlines) if outlines else shapely.union_all([s.geometry for s in shades])
    )
    generated = any(police_generated(t) for t in MAP_CRIME_TYPES)
    png = charts.change_map(
        shades, area_geom, title=title, subtitle=forces_text(build.forces),
        police_generated=generated,
    )  # fmt: skip
    counts = {k: sum(s.klass == k for s in shades) for k in charts.CHANGE_CLASSES}
    alt = (
        f"Map of {forces_text(build.forces)}'s districts shaded by the change in {what} offences: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + ". The table beside gives each district's counts and change."
    )
    notes += [
        "Each district's change is the exact rate ratio of its period count to its baseline "
        f"count (months as exposure); 'beyond chance' means p < {BEYOND_P:g}. With many districts "
        "compared, about one in twenty crosses that line by chance.",
        "Districts are those of the LSOA each crime carries (police.uk's LSOA name); crimes "
        "carrying an LSOA of a district outside the force area, and crimes without one, are "
        "counted in their own rows.",
    ]
    if generated:
        notes.append((neutral_direction_note(MAP_CRIME_TYPES) or "") + ".")
    table = Table(
        f"{what} offences by district", ["District", "Force", "Period", "Baseline", "Change"], rows
    )
    return MapSection("change", title, True, image=Image(png, alt), table=table, notes=notes)


def _two(
    store: AnalyticsStore, on: SqlEngine | None, scope: StreetScope, period: list[str],
    baseline: list[str],
) -> tuple[int, int]:  # fmt: skip
    counts = store.street_counts_by_month(scope, on)
    return sum(counts.get(m, 0) for m in period), sum(counts.get(m, 0) for m in baseline)


def _district_counts(
    build: _Build, force: str, cells: list[list[int]], area: AreaFigure | None,
    everything: tuple[int, int],
) -> list[tuple[Shown, Shown]] | None:  # fmt: skip
    """Districts × (period, baseline) as shown: through the rule against the force's totals
    as the measure shows them; None when they cannot be shown."""
    if not build.published:
        return [(p, b) for p, b in cells]
    if area is None:  # no measure publishes the totals: protect the districts on their own
        totals: tuple[Shown, Shown] = everything
        fixed = False
    else:
        totals = (area.value, area.baseline)
        fixed = True
    if any(count_of(t) is None for t in totals) or tuple(totals) != everything:
        return None
    table = suppress(cells, column_totals=True, totals_fixed=fixed)
    if table.exposed:
        return None
    return [(table.shown(i, 0), table.shown(i, 1)) for i in range(len(cells))]


def _district_change(
    period: Shown, baseline: Shown, raw: list[int], n_period: int, n_baseline: int
) -> tuple[str, str]:
    if count_of(period) is None or count_of(baseline) is None:
        return "not shown", "not given: a count is hidden"
    found = compare(raw[1], raw[0], n_baseline, n_period)
    if found.grade is None:
        return "within chance", found.sentence
    if found.grade is Grade.WITHIN:
        return "within chance", found.sentence
    up = found.rate.ratio > 1
    return ("up, beyond chance" if up else "down, beyond chance"), found.sentence


# -- police.uk sections --------------------------------------------------------------------


def _rate_text(row: dict[str, Any], name: str) -> str:
    value, low, high = row.get(name), row.get(f"{name}_low"), row.get(f"{name}_high")
    if value is None:
        return "not shown"
    if low is None or high is None or not all(math.isfinite(v) for v in (value, low, high)):
        return f"{100 * value:.1f} %"
    return f"{100 * value:.1f} % ({100 * low:.1f}–{100 * high:.1f} %)"


def _stop_search_section(build: _Build, residents: ResidentsTable | None) -> Section:
    from .stop_search import stop_search

    title = "Stop and search"
    if build.store_path is None:
        return Section("stop-search", title, False, "no police.uk store given (--db)")
    months = month_range(*build.measures.period)
    try:
        result = stop_search(build.store_path, build.forces, months, residents)
    except UserError as exc:
        return Section("stop-search", title, False, f"no stop-and-search figures: {exc}")
    data = result.to_dict(suppressed=build.published)
    head = ["Searches", "Finds", "Find rate (95 % interval)", "Arrests", "Arrest rate (95 % interval)",
            "Link to object blank"]  # fmt: skip
    overall: list[list[Cell]] = []
    for key in ("all_searches", "drug_searches"):
        o = data[key]["overall"]
        overall.append([data[key]["label"], figure(o["searches"]), figure(o["finds"]),
                        _rate_text(o, "find_rate"), figure(o["arrests"]),
                        _rate_text(o, "arrest_rate"), figure(o["link_blank"])])  # fmt: skip
    tables = [Table(f"Searches, {data['period']}", ["", *head], overall)]
    paragraphs = [
        "The find rate is the share of searches whose outcome was linked to what was searched "
        "for; a blank link (police.uk leaves it blank on many no-further-action disposals) says "
        "nothing about what was found and is counted beside it. Intervals are exact "
        "(Clopper–Pearson) 95 % intervals."
    ]
    wanted = [
        "legislation",
        "age_range",
        "sex",
        "self_defined_ethnicity",
        "officer_defined_ethnicity",
    ]
    if build.several:
        wanted.insert(0, "force")
    for name in wanted:
        part = data["drug_searches"]["breakdowns"][name]
        if part.get("withheld"):
            paragraphs.append(f"Drug searches by {part['label']}: withheld ({part['withheld']}).")
            continue
        rows: list[list[Cell]] = [
            [g["group"], figure(g["searches"]), figure(g["finds"]), _rate_text(g, "find_rate"),
             figure(g["arrests"]), _rate_text(g, "arrest_rate")]
            for g in part["groups"]
        ]  # fmt: skip
        tables.append(Table(f"Drug searches by {part['label']}",
                            ["Group", "Searches", "Finds", "Find rate", "Arrests", "Arrest rate"], rows))  # fmt: skip
    ratios = data["drug_searches"]["disproportionality"]
    if ratios.get("computed"):
        tables.append(_disproportionality_table(ratios))
    else:
        paragraphs.append(f"Disproportionality: {ratios.get('status')}.")
    notes = [*data.get("notes", []), *data.get("caveats", []), *data.get("suppression", [])]
    return Section("stop-search", title, paragraphs=paragraphs, tables=tables, notes=notes)


def _disproportionality_table(ratios: dict[str, Any]) -> Table:
    rows: list[list[Cell]] = []
    reference = ratios.get("comparison_group")
    for force in ratios.get("forces", []):
        for g in force.get("groups", []):
            ratio, low, high = (
                g.get("rate_ratio"),
                g.get("rate_ratio_low"),
                g.get("rate_ratio_high"),
            )
            per = g.get("searches_per_1000")
            if g.get("group") == reference:
                text = "comparison group"
            elif ratio is None:
                text = "not shown"
            else:
                text = f"{ratio:.2f} ({'—' if low is None else f'{low:.2f}'}–" + (
                    "∞" if high is None else f"{high:.2f}"
                ) + ")"  # fmt: skip
            rows.append([
                force.get("force_name", ""), g.get("group", ""), figure(g.get("searches")),
                "not shown" if per is None else f"{per:.2f}", text,
            ])  # fmt: skip
    return Table(
        f"Drug searches per 1,000 residents against {reference} residents "
        f"({ratios.get('source') or ''}, {ratios.get('year') or ''}; {ratios.get('per') or ''})",
        ["Force", "Self-defined group", "Searches", "Per 1,000", "Rate ratio (95 % interval)"],
        rows,
    )


def _months(value: float | None) -> str:
    """'1 month', '2.5 months': a time in months, as a reader writes it."""
    if value is None:
        return "—"
    return f"{value:g} month" + ("" if value == 1 else "s")


def _outcomes_section(build: _Build) -> Section:
    from .crime_outcomes import crime_outcomes

    title = "What happened to drug crimes: outcomes"
    if build.store_path is None:
        return Section("outcomes", title, False, "no police.uk store given (--db)")
    months = month_range(*build.measures.period)
    try:
        result = crime_outcomes(build.store_path, build.forces, months, MAP_CRIME_TYPES[0])
    except UserError as exc:
        return Section("outcomes", title, False, f"no outcome figures: {exc}")
    data = result.to_dict(suppressed=build.published)
    rows: list[list[Cell]] = []
    for g in data["groups"]:
        share = "not shown" if g.get("share") is None else _rate_text(g, "share")
        t = g.get("time_to_outcome") or {}
        median = t.get("median_months")
        time = "—" if median is None else (
            f"{_months(median)} (quartiles {t.get('q1_months'):g}–{_months(t.get('q3_months'))})"
        )  # fmt: skip
        rows.append([g["group"], figure(g["crimes"]), share, time])
    table = Table(
        f"{MAP_CRIME_TYPES[0]} crimes of {data['period']} by outcome (of {figure(data['crimes'])} "
        "with a Crime ID)",
        ["Outcome", "Crimes", "Share (95 % interval)", "Months to outcome: median (quartiles)"],
        rows,
    )
    paragraphs = [
        "Each crime takes the latest outcome the loaded outcomes files hold for its Crime ID, "
        "else the street file's last outcome category. A charge is not a conviction."
    ]
    notes = [*data.get("notes", []), *data.get("caveats", []), *data.get("suppression", [])]
    return Section("outcomes", title, paragraphs=paragraphs, tables=[table], notes=notes)


# -- the annex -----------------------------------------------------------------------------


def _annex(build: _Build, population: PopulationTable) -> list[AnnexItem]:
    items = [
        AnnexItem(
            "How each change is judged",
            [
                "Each change compares the period's count with the baseline's as two Poisson "
                "counts: the exact conditional rate ratio with its 95 % interval, months as "
                "exposure, and a two-sided p-value for no change. "
                f"'{Grade.WELL_BEYOND.value}' means p < 0.01, '{Grade.JUST_BEYOND.value}' "
                f"p < 0.05, '{Grade.WITHIN.value}' otherwise; a change within chance is not "
                "reported as a rise or a fall. With many measures, about one in twenty crosses "
                "the 5 % line by chance.",
                CAUSE_CAVEAT[0].upper() + CAUSE_CAVEAT[1:] + ".",
                "A target is met when the whole 95 % interval lies on its side, not met when the "
                "whole interval lies on the other side, and 'cannot tell' otherwise.",
            ],
        ),
        AnnexItem(
            "Police-generated offences",
            [
                "Drug offences and possession of weapons enter the data almost only when police "
                "find them: " + "; ".join(POLICE_GENERATED.values()) + ". A fall may mean less "
                "searching as easily as less crime, so these measures are neutral (no target), "
                "drawn in grey, and their change is never reported as good or bad news.",
            ],
        ),
        AnnexItem("Recording changes", [RECORDING_CAVEAT[0].upper() + RECORDING_CAVEAT[1:] + "."]),
        AnnexItem(
            "Regression to the mean", [REGRESSION_CAVEAT[0].upper() + REGRESSION_CAVEAT[1:] + "."]
        ),
        AnnexItem(
            "Neighbourhood crime, approximated",
            [
                "The national neighbourhood-crime measure counts domestic burglary, personal "
                "robbery, theft from the person and vehicle offences. police.uk publishes "
                "Burglary (domestic and non-domestic together), Robbery (personal and business "
                "together), Theft from the person and Vehicle crime, so the measure here is an "
                "approximation that counts more than the national one.",
            ],
        ),
        AnnexItem(
            "Where crimes are placed (police.uk's anonymisation)",
            [
                "police.uk moves every crime to the nearest of a fixed set of anonymised map "
                "points (the centre of a street or of a public place with enough addresses around "
                "it) and gives only its month, so a location is good to a street, not an address, "
                "and some crimes have no location at all. The maps therefore draw areas: "
                "hotspot classes of grid cells and districts, never a crime's point.",
            ],
        ),
        AnnexItem("LSOA vintages", [_vintages_text(build)]),
        AnnexItem(
            "Months come in runs",
            [
                "police.uk files are monthly and some months may be missing. Months are always "
                "described as their runs of consecutive months, charts break their lines at a gap, "
                "and no line is drawn across missing months. This report's period is "
                f"{periods_text(month_range(*build.measures.period))}; its default baseline is "
                f"{periods_text(month_range(*build.measures.baseline))}.",
                *build.prose(build.measures.defaults_chosen),
            ],
        ),
        AnnexItem(
            "Small numbers",
            [
                NOTE,
                "The rule is the threshold rule with complementary suppression that the "
                "Government Statistical Service recommends for tables from administrative sources: "
                "a count from 1 to 4 is shown as 'fewer than 5', and any count or total from which "
                "it could be worked out is withheld too. Figures that two tables share are shown as "
                "the first shows them, so neither gives back what the other hides. "
                + (
                    "It is applied throughout this published version."
                    if build.published
                    else "This version is not for publication and shows the counts as counted; the "
                    "published version applies the rule."
                ),
            ],
        ),
        AnnexItem("Residents (rates per 1,000)", [_population_text(build, population)]),
    ]
    return items


def _vintages_text(build: _Build) -> str:
    if build.store_path is None:
        return "No police.uk store was read."
    months = [*month_range(*build.measures.period), *month_range(*build.measures.baseline)]
    with AnalyticsStore.open(build.store_path) as store:
        found = store.lsoa_vintages(build.forces, months)
    found = {v for v in found if v and v != "None"}
    used = " and ".join(sorted(found)) if found else "not recorded"
    text = (
        "police.uk codes each crime to the Lower layer Super Output Area (LSOA) current when its "
        "file was made: 2011 codes in older files, 2021 codes in newer. The files behind this "
        f"report use {used} codes."
    )
    if len(found) > 1:
        text += (" Some LSOAs were split or merged in 2021, so counts per LSOA are not compared "
                 "across the two; district and force totals are unaffected.")  # fmt: skip
    return text


def _population_text(build: _Build, population: PopulationTable) -> str:
    used = []
    year = int(build.measures.period[0][:4])
    for force in build.forces:
        found = population.lookup(force, year)
        used.append(
            f"{force_name(force)}: "
            + (f"{found.residents:,} residents ({found.year})" if found and found.year
               else (f"{found.residents:,} residents" if found else "no population in the table"))
        )  # fmt: skip
    return (
        f"Rates per 1,000 residents use {population.source}. " + "; ".join(used) + ". The "
        "population is taken as known exactly; the interval is the exact Poisson interval of the "
        "count. Where the table's year is not the period's, the rate is approximate."
    )
