"""The board report's sections from the record rooms: operations, programmes, forensic review.

Each section asks the room's own aggregate function — operations'
:func:`~harmwatch.operations.summary.summarise` (figures only, ``exact=False``),
programmes' :func:`~harmwatch.programmes.outcomes.outcomes`, forensics'
:func:`~harmwatch.forensics.progress.progress` — which checks the caller's role
and writes the access-log entry; no record table is read here. A room that
refuses the role, or holds nothing for a force and period, gives a section that
says so, never a zero.

Published figures (``published``: the PCC viewer's report and any published
version) go through the one small-number rule
(:mod:`harmwatch.outputs.suppression`). The measures (:mod:`.measures`) publish
some of the same counts — county lines closed, people entering treatment, samples
retested — in tables of their own; two tables cut from the same counts must not
be protected apart, or one would give back what the other hides. So a figure the
measures publish is printed here as they show it (:class:`Reported`), its parts
only with it as a fixed total (:func:`.report_tables.breakdown`), and a programme
figure the measures publish is not repeated at all ("reported above"), since the
measures add programmes of a type together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.outputs.suppression import NOTE, WITHHELD, suppress_counts
from harmwatch.sources.policeuk.forces import force_name, forces_text

from .framework import Framework
from .measures import MeasuresReport
from .report_tables import (
    Cell,
    Section,
    Shown,
    Table,
    breakdown,
    count_of,
    figure,
    grouped_breakdown,
    list_with_total,
)

TOTAL = "total"
MONEY_MIN_RECORDS = 5  # a sum of money behind fewer records than this can point at a person
REPORTED_ABOVE = "reported above"
NONE_RECORDED = "none recorded"


@dataclass
class Reported:
    """Figures the measures publish, as they show them: force (or ``total``) -> figure."""

    operations: dict[tuple[str, tuple[str, ...]], dict[str, Shown]] = field(default_factory=dict)
    #: (programme type, measure) of every figure a programme measure shows, ratios' parts too
    programmes: set[tuple[str, str]] = field(default_factory=set)
    #: forensic figure -> force -> (value, denominator)
    forensic: dict[str, dict[str, tuple[Shown, Shown]]] = field(default_factory=dict)
    titles: dict[Any, str] = field(default_factory=dict)


def reported_figures(measures: MeasuresReport, framework: Framework) -> Reported:
    """What the measures show of the records' counts, keyed as the sections count them."""
    from harmwatch.programmes.config import programme_types

    out = Reported()
    types = programme_types()
    for result in measures.results:
        spec = framework.measure(result.key)
        by_force: dict[str, Shown] = {a.force: a.value for a in result.areas}
        denominators: dict[str, Shown] = {a.force: a.denominator for a in result.areas}
        if result.total is not None:
            by_force[TOTAL] = result.total.value
            denominators[TOTAL] = result.total.denominator
        if spec.kind == "operations-figure":
            key = (str(spec.option("figure")), tuple(spec.option("levels") or ()))
            out.operations[key] = by_force
            out.titles[key] = spec.title
        elif spec.kind == "programme-measure":
            ptype = types.get(str(spec.option("programme_type")))
            measure_key = str(spec.option("measure"))
            out.programmes.add((str(spec.option("programme_type")), measure_key))
            if ptype is not None:
                try:
                    m = ptype.measure(measure_key)
                except KeyError:
                    continue
                for part in (m.numerator, m.denominator):
                    if part:
                        out.programmes.add((ptype.key, part))
        elif spec.kind == "forensic-progress":
            name = str(spec.option("figure"))
            out.forensic[name] = {f: (v, denominators.get(f)) for f, v in by_force.items()}
            out.titles[name] = spec.title
    return out


def _whole(value: Shown) -> int:
    """A figure known to be a count (the caller has checked) as an int."""
    if not isinstance(value, int):
        raise TypeError(f"not a count: {value!r}")
    return value


def _columns(forces: Sequence[str]) -> list[str]:
    names = [force_name(f) for f in forces]
    return ["Figure", *names, *(["All forces"] if len(forces) > 1 else [])]


# -- operations ----------------------------------------------------------------------------

#: The summary's counts in the order a board reads them; lines and OCG levels have parts.
OPERATION_COUNTS = (
    "people_charged", "offences_charged", "lines_closed", "warrants_executed", "arrests",
    "out_of_court_disposals", "drug_seizures", "cannabis_factories", "cannabis_plants",
    "weapons_recovered",
)  # fmt: skip
LINE_PARTS = ("lines_closed_type1", "lines_closed_type2")
OCG_LEVELS = ("major", "moderate", "minor")


def _records_behind(summary: Any) -> int:
    return len({r for fig in summary.figures.values() for r in fig.records})


def _pounds(value: Decimal | float | int) -> str:
    amount = Decimal(str(value))
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


def operations_section(
    engine: Engine, principal: Principal, forces: Sequence[str], since: date, until: date,
    period_text: str, *, published: bool, reported: Reported, client: str = "",
) -> Section:  # fmt: skip
    """Operation results in the period, per force, as the operations room counts them."""
    from harmwatch.errors import UserError
    from harmwatch.operations.summary import LABELS, summarise

    title = "Operations: results recorded in the period"
    summaries: dict[str, Any] = {}
    for force in forces:
        try:
            summaries[force] = summarise(
                engine, principal, force=force, since=since, until=until, exact=False,
                client=client,
            )  # fmt: skip
        except UserError as exc:
            return Section("operations", title, False, f"not shown: {exc}")
    owner = force_name(principal.force) if principal.force else "your force"
    recorded = [f for f in forces if _records_behind(summaries[f])]
    if not recorded:
        return Section(
            "operations", title, False,
            f"no operations recorded for {forces_text(forces)} in {period_text}: {owner}'s records "
            "hold no operation result in these months",
        )  # fmt: skip
    several = len(forces) > 1
    rows: list[list[Cell]] = []
    notes = [
        f"Counted from the operation results {owner} records, by the force area in which each "
        "happened (figures only: no name, officer or premises is read)."
    ]

    def value(force: str, name: str) -> int:
        return int(summaries[force].value(name))

    def shown_row(label: str, per_force: dict[str, Shown], total: Shown) -> None:
        cells: list[Cell] = [label]
        for force in forces:
            cells.append(figure(per_force.get(force)) if force in recorded else NONE_RECORDED)
        if several:
            cells.append(figure(total))
        rows.append(cells)

    def own_row(label: str, values: dict[str, int]) -> dict[str, Shown]:
        """A row of counts no measure shows: the rule over the forces, with its total."""
        if not published:
            shown: dict[str, Shown] = dict(values)
            shown_row(label, shown, sum(values.values()) if several else None)
            return shown
        keys = list(values)
        parts, total, _ = list_with_total([values[k] for k in keys])
        shown = dict(zip(keys, parts, strict=True))
        shown_row(label, shown, total if several else None)
        return shown

    def parts_rows(
        labels: Sequence[str], parts: dict[str, list[int]], totals: dict[str, Shown]
    ) -> None:
        per_part: list[dict[str, Shown]] = [{} for _ in labels]
        for force, counts in parts.items():
            shown = list(counts) if not published else breakdown(counts, totals.get(force))
            for i in range(len(labels)):
                per_part[i][force] = shown[i] if shown is not None else "not shown"
        left_out = [
            force_name(f) for f in parts if published and breakdown(parts[f], totals.get(f)) is None
        ]
        if left_out:
            notes.append(
                f"{', '.join(labels)}: not shown for {', '.join(left_out)}, because the figure "
                "they add up to is hidden or the rule could not protect them."
            )
        for label, per_force in zip(labels, per_part, strict=True):
            total: Shown = None
            if several and not published:
                total = sum(int(v) for v in per_force.values() if isinstance(v, int))
            shown_row(label, per_force, total)

    for name in OPERATION_COUNTS:
        values = {f: value(f, name) for f in recorded}
        key = (name, ())
        if published and key in reported.operations:
            shown = reported.operations[key]
            shown_row(f"{LABELS[name]} (as in the measures)", shown, shown.get(TOTAL))
        else:
            shown = own_row(LABELS[name], values)
        if name == "lines_closed":
            parts_rows(
                [LABELS[p] for p in LINE_PARTS],
                {f: [value(f, p) for p in LINE_PARTS] for f in recorded},
                shown,
            )
    levels = {f: summaries[f].value("ocg_disruptions") for f in recorded}
    grouped = next(
        (k for k in reported.operations if k[0] == "ocg_disruptions" and k[1]), None
    ) if published else None  # fmt: skip
    rest = list(OCG_LEVELS)
    if grouped is not None:
        chosen = list(grouped[1])
        shown = reported.operations[grouped]
        shown_row(
            f"OCG disruptions ({', '.join(chosen)}; as in the measures)", shown, shown.get(TOTAL)
        )
        parts_rows(
            [f"… {level}" for level in chosen],
            {f: [int(levels[f][level]) for level in chosen] for f in recorded},
            shown,
        )
        rest = [level for level in OCG_LEVELS if level not in chosen]
    for level in rest:
        own_row(f"OCG disruptions: {level}", {f: int(levels[f][level]) for f in recorded})
    rows.extend(_money_rows(forces, recorded, summaries, published=published, several=several))
    illustrative = any(t.get("illustrative") for s in summaries.values() for t in s.price_tables)
    if illustrative:
        notes.append("Drug values use an ILLUSTRATIVE price table, not a force's own.")
    missing = [force_name(f) for f in forces if f not in recorded]
    if missing:
        notes.append(
            f"No operation result of {owner} happened in {', '.join(missing)} in {period_text}: "
            f"'{NONE_RECORDED}' there, not a zero."
        )
    if published:
        notes.append(NOTE)
        notes.append(
            f"Sums of money are shown only where {MONEY_MIN_RECORDS} or more seizures lie "
            "behind them."
        )
    table = Table(f"Operation results, {period_text}", _columns(forces), rows)
    return Section("operations", title, tables=[table], notes=notes)


def _money_rows(
    forces: Sequence[str], recorded: Sequence[str], summaries: dict[str, Any], *,
    published: bool, several: bool,
) -> list[list[Cell]]:  # fmt: skip
    out: list[list[Cell]] = []
    for label, low_name, high_name in (
        ("Drugs seized, street value", "drugs_value_low", "drugs_value_high"),
        ("Cash seized", "cash_seized", None),
    ):
        cells: list[Cell] = [label]
        totals: list[tuple[Decimal, Decimal]] = []
        hidden = False
        for force in forces:
            if force not in recorded:
                cells.append(NONE_RECORDED)
                continue
            s = summaries[force]
            behind = len(s.figures[low_name].records)
            low = Decimal(str(s.value(low_name)))
            high = Decimal(str(s.value(high_name))) if high_name else low
            if published and 0 < behind < MONEY_MIN_RECORDS:
                cells.append(f"{WITHHELD} (fewer than {MONEY_MIN_RECORDS} seizures)")
                hidden = True
                continue
            totals.append((low, high))
            cells.append(_pounds(low) if high_name is None else f"{_pounds(low)}–{_pounds(high)}")
        if several:
            if hidden:
                cells.append(WITHHELD)  # a sum beside a hidden part would give the part back
            else:
                low_sum = sum((t[0] for t in totals), Decimal(0))
                high_sum = sum((t[1] for t in totals), Decimal(0))
                cells.append(
                    _pounds(low_sum)
                    if high_name is None
                    else f"{_pounds(low_sum)}–{_pounds(high_sum)}"
                )
        out.append(cells)
    return out


# -- programmes ----------------------------------------------------------------------------


def _published_measures(ptype: Any, outcome: Any, reported: set[tuple[str, str]]) -> list[Any]:
    """A programme's measures as a published report shows them (see the module docstring)."""
    from harmwatch.programmes.outcomes import MeasureResult, suppressed

    measures = {m.key: m for m in ptype.measures}
    if outcome.suppressed:
        shown = list(outcome.measures)  # the room's own rule, for a viewer of outcomes
    else:
        # The room's rule, as it applies it for a viewer of outcomes; sums of hours or money
        # it judges by the people behind them, whom a reader's figures do not name here.
        shown = suppressed(ptype, list(outcome.measures), [])
        for n, r in enumerate(shown):
            m = measures[r.key]
            whole = m.kind != "sum" or (
                m.event and ptype.event(m.event).form.field(m.field or "").type == "integer"
            )
            if not whole:
                shown[n] = MeasureResult(r.key, r.title, r.kind, value=WITHHELD, suppressed=True)
    hidden = {k for k in measures if (ptype.key, k) in reported}
    for m in ptype.measures:
        if m.kind == "ratio" and ({m.numerator, m.denominator} & hidden):
            hidden.add(m.key)
    return [
        MeasureResult(r.key, r.title, r.kind, value=REPORTED_ABOVE, suppressed=True)
        if r.key in hidden
        else r
        for r in shown
    ]


def _measure_cells(r: Any) -> list[Cell]:
    if r.kind == "ratio":
        if r.percent is not None:
            return [r.title, f"{r.percent} %", f"{figure(r.numerator)} of {figure(r.denominator)}"]
        of = (
            f"{figure(r.numerator)} of {figure(r.denominator)}"
            if r.numerator is not None or r.denominator is not None
            else ""
        )
        return [r.title, figure(r.value if isinstance(r.value, str) else None), of]
    value = r.value
    if isinstance(value, Decimal):
        return [r.title, f"{value:,}", ""]
    return [r.title, figure(value), ""]


def programmes_section(
    engine: Engine, principal: Principal, forces: Sequence[str], since: date, until: date,
    period_text: str, *, published: bool, reported: Reported, client: str = "",
) -> Section:  # fmt: skip
    """Each programme's outcome measures over the period, as the programmes room counts them."""
    from harmwatch.errors import UserError
    from harmwatch.programmes.config import programme_types
    from harmwatch.programmes.outcomes import outcomes

    title = "Programmes: outcome measures in the period"
    types = programme_types()
    tables: list[Table] = []
    notes: list[str] = []
    refused: list[str] = []
    empty: list[str] = []
    for force in forces:
        try:
            found = outcomes(
                engine, principal, force=force, since=since, until=until, client=client
            )
        except UserError as exc:
            refused.append(f"{force_name(force)}: not shown ({exc})")
            continue
        if not found:
            empty.append(force_name(force))
            continue
        for o in found:
            ptype = types.get(o.programme_type)
            if ptype is None:
                continue  # a type no longer configured has no measures to show
            shown = _published_measures(ptype, o, reported.programmes) if published else o.measures
            tables.append(
                Table(
                    f"{force_name(force)}: {o.name} ({o.type_title}; partner: {o.partner}), "
                    f"{period_text}",
                    ["Measure", "Figure", "Of"],
                    [_measure_cells(r) for r in shown],
                )
            )
    if refused:
        notes.extend(refused)
    if empty:
        notes.append(f"No programmes recorded for {', '.join(empty)}.")
    if not tables:
        reason = "; ".join(
            [*refused, *([f"no programmes recorded for {forces_text(forces)}"] if empty else [])]
        )
        return Section("programmes", title, False, reason or "no programmes recorded")
    if published:
        notes.append(NOTE)
        if reported.programmes:
            notes.append(
                f"A figure the measures above report (people entering treatment, for example) "
                f"is marked '{REPORTED_ABOVE}' rather than repeated: the measures add the "
                "programmes of a type together, and the two tables are protected as one."
            )
        notes.append("Sums of hours or money are withheld in the published version.")
    return Section("programmes", title, tables=tables, notes=notes)


# -- the forensic review -------------------------------------------------------------------


def forensic_section(
    engine: Engine, principal: Principal, forces: Sequence[str], *, published: bool,
    reported: Reported, client: str = "",
) -> Section:  # fmt: skip
    """A laboratory-incident review's progress to date, per force (a snapshot, not the period)."""
    from harmwatch.errors import UserError
    from harmwatch.forensics.progress import NOTIFICATION_STATES, RETESTED, SAMPLE_STATES, progress
    from harmwatch.forensics.retests import DISPOSITIONS

    title = "Forensic review: progress of the laboratory-incident review"
    try:
        found = progress(engine, principal, client=client)
    except UserError as exc:
        return Section("forensic-review", title, False, f"not shown: {exc}")
    if not found.incident_ids:
        return Section("forensic-review", title, False, "no laboratory incident is recorded")
    by_force = {f.force: f for f in found.forces}
    present = [f for f in forces if f in by_force]
    if not present:
        return Section(
            "forensic-review", title, False,
            f"no samples of {forces_text(forces)} in the review that you may see",
        )  # fmt: skip
    not_retested = [s for s in SAMPLE_STATES if s not in RETESTED]
    rows: list[list[Cell]] = []
    notes = [
        f"The review's progress as of {found.as_of} (to date, not a count for the period); "
        "every incident recorded is counted."
    ]
    several = len(forces) > 1
    columns: dict[str, dict[str, Shown]] = {}
    for force in present:
        p = by_force[force]
        col: dict[str, Shown] = {}
        exact = not found.suppressed
        retest_shown = reported.forensic.get("retested", {}).get(force)
        sent_shown = reported.forensic.get("notifications-sent", {}).get(force)
        states = {s: p.samples_by_state[s] for s in SAMPLE_STATES}
        notices = {s: p.notifications_by_state[s] for s in NOTIFICATION_STATES}
        kinds = dict(p.dispositions)
        if not published:
            col.update(cases=p.cases, samples=p.samples, retested=p.retested, notifications=p.notifications,
                       disposed=p.disposed)  # fmt: skip
            col.update({f"state:{k}": v for k, v in states.items()})
            col.update({f"notice:{k}": v for k, v in notices.items()})
            col.update({f"kind:{k}": v for k, v in kinds.items()})
            columns[force] = col
            continue
        col["cases"] = (
            p.cases if not exact else suppress_counts([int(p.cases)], total=False).shown(0)
        )
        col.update(_published_group(
            "state", SAMPLE_STATES, states, [list(RETESTED), not_retested], retest_shown,
            ("retested", "samples"), (p.retested, p.samples), exact,
        ))  # fmt: skip
        col.update(_published_group(
            "notice", NOTIFICATION_STATES, notices, [["sent"], ["due", "overdue"]], sent_shown,
            (None, "notifications"), (notices["sent"], p.notifications), exact,
        ))  # fmt: skip
        if exact:
            parts, total, _ = list_with_total([int(v) for v in kinds.values()])
            col.update({f"kind:{k}": v for k, v in zip(kinds, parts, strict=True)})
            col["disposed"] = total
        else:
            col.update({f"kind:{k}": v for k, v in kinds.items()})
            col["disposed"] = p.disposed
        columns[force] = col
    labels = [
        ("cases", "Cases affected"),
        ("samples", "Samples affected"),
        ("retested", "… with a retest result"),
        *((f"state:{s}", f"… {s.replace('-', ' ')}") for s in SAMPLE_STATES),
        ("notifications", "Notifications (CPS, defence, court)"),
        *((f"notice:{s}", f"… {s}") for s in NOTIFICATION_STATES),
        ("disposed", "Compared retests disposed of"),
        *((f"kind:{k}", f"… {k.replace('-', ' ')}") for k in DISPOSITIONS),
    ]
    for key, label in labels:
        cells: list[Cell] = [label]
        for force in forces:
            cells.append(figure(columns[force].get(key)) if force in columns else "no samples")
        if several:
            cells.append(figure(_forensic_total(key, columns, reported, published)))
        rows.append(cells)
    if published:
        notes.append(NOTE)
        notes.append(
            "Totals across forces are given for the figures the measures report, and in full "
            "only in the unpublished version."
        )
    absent = [force_name(f) for f in forces if f not in columns]
    if absent:
        notes.append(f"No samples of {', '.join(absent)} in the review that you may see.")
    table = Table(f"Laboratory-incident review, as of {found.as_of}", _columns(forces), rows)
    return Section("forensic-review", title, tables=[table], notes=notes)


def _published_group(
    prefix: str, order: Sequence[str], parts: Mapping[str, Shown], groups: Sequence[Sequence[str]],
    measured: tuple[Shown, Shown] | None, keys: tuple[str | None, str],
    exact_totals: tuple[Shown, Shown], exact: bool,
) -> dict[str, Shown]:  # fmt: skip
    """A breakdown in two groups (retested or not; sent or not) under the totals the measures
    may show: their figures as they show them, the parts protected against them.

    ``keys``: the column keys of the first group's total (None when that group is one
    part, shown as itself) and of the whole.
    """
    sub_key, whole_key = keys
    out: dict[str, Shown] = {}
    if measured is not None:
        value, whole = measured
        if sub_key is not None:
            out[sub_key] = value
        out[whole_key] = whole
        shown: list[list[Shown]] | None = None
        if count_of(value) is not None and count_of(whole) is not None:
            if exact:
                shown = grouped_breakdown(
                    [[int(parts[k]) for k in g] for g in groups],  # type: ignore[arg-type]
                    [value, int(whole) - int(value)],  # type: ignore[arg-type]
                )
            else:
                shown = [[parts[k] for k in g] for g in groups]  # the room's own rule
        for g_i, g in enumerate(groups):
            for k_i, k in enumerate(g):
                out[f"{prefix}:{k}"] = shown[g_i][k_i] if shown is not None else "not shown"
        return out
    if not exact:  # the room's own rule
        out.update({f"{prefix}:{k}": parts[k] for k in order})
        if sub_key is not None:
            out[sub_key] = exact_totals[0]
        out[whole_key] = exact_totals[1]
        return out
    shown_parts, total, _ = list_with_total([int(parts[k]) for k in order])  # type: ignore[arg-type]
    out.update({f"{prefix}:{k}": v for k, v in zip(order, shown_parts, strict=True)})
    out[whole_key] = total
    if sub_key is not None:
        first = groups[0]
        # A group's sum is shown only when every part of it is: then it tells nothing more.
        every = all(count_of(out[f"{prefix}:{k}"]) is not None for k in first)
        out[sub_key] = sum(_whole(parts[k]) for k in first) if every else WITHHELD
    return out


#: Column key -> (forensic measure figure, 0 for its value or 1 for its denominator).
_FORENSIC_MEASURED = {
    "retested": ("retested", 0),
    "samples": ("retested", 1),
    "notice:sent": ("notifications-sent", 0),
    "notifications": ("notifications-sent", 1),
}


def _forensic_total(
    key: str, columns: dict[str, dict[str, Shown]], reported: Reported, published: bool
) -> Shown:
    """The all-forces figure: the sum unpublished; published, only the measures' own total."""
    if not published:
        values = [c.get(key) for c in columns.values()]
        if all(count_of(v) is not None for v in values):
            return sum(_whole(v) for v in values)
        return None
    if key not in _FORENSIC_MEASURED:
        return None
    name, which = _FORENSIC_MEASURED[key]
    total = reported.forensic.get(name, {}).get(TOTAL)
    return None if total is None else total[which]
