"""Roll-up across forces: each force's figures side by side, the total, rates, suppression.

A partnership across forces (the five South West forces; Bedfordshire,
Cambridgeshire and Hertfordshire) reports each measure per force and for the
region. :func:`combine` turns one measure's figures per force, as counted
(:class:`Counted`), into what is shown (:class:`AreaFigure`):

- **counts** (crimes, lines closed, people entering treatment) with a baseline:
  each force's count and baseline count, and the region's, which is their sum; the
  honest comparison (:func:`harmwatch.oversight.claims.compare`) for each; the
  rate per 1,000 residents with its exact Poisson interval
  (:func:`harmwatch.oversight.population.rate_per_1000`) where the population
  table has the force, and "no population for …" where it has not (then no
  regional rate either: a rate over part of the region's people would be wrong);
- **shares** (referred people who entered treatment, reoffending): numerator and
  denominator per force and in total, the percentage with its exact
  Clopper–Pearson interval (Clopper, C. J. and Pearson, E. S., 1934, *Biometrika*
  26: 404–413) — or, for a **tally** of work done (samples retested of those
  affected), the percentage alone, because it is a count of what was done, not an
  estimate of anything.

A total is given only when every force has its figure: a sum over the forces that
have one would be quoted as the region's.

Published figures (``published=True``, and always for a PCC viewer) go through
the one small-number rule, :func:`harmwatch.outputs.suppression.suppress`: a count
table is forces × (period, baseline) with the region's totals of each column; a
share table is forces × (numerator, the rest) with each force's denominator, the
column totals and the region's denominator. A count of 1 to 4 is "fewer than 5",
and whatever would let it be worked out — another force's count beside a
published total, or the total itself — is withheld too. Everything derived from a
hidden count (its comparison, its percentage, its rate) is hidden with it, since
each would give the count back. Figures a room already suppressed (the PCC's view
of programme outcomes and of a forensic review) arrive as text and stay so; no
total is formed over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scipy.stats import beta

from harmwatch.outputs.suppression import WITHHELD, Status, suppress, suppress_counts
from harmwatch.sources.policeuk.forces import force_name

from .claims import Comparison, compare
from .population import Population, PopulationTable, Rate, rate_per_1000

if TYPE_CHECKING:
    from .measures import MeasuresReport

Shape = Literal["count", "share", "tally"]
Figure = int | str | None  # as counted or shown: a count, the rule's label, or none
CONF_LEVEL = 0.95
TOTAL = "total"


@dataclass
class Counted:
    """One force's figures for one measure, as counted, before anything is hidden.

    ``value`` is the count (or a share's numerator) in the period, ``baseline`` the
    count in the baseline (None: no comparison for this measure), ``denominator`` a
    share's. A figure a room already suppressed is its text.
    """

    force: str
    shape: Shape = "count"
    available: bool = True
    reason: str = ""
    value: Figure = None
    baseline: Figure = None
    denominator: Figure = None
    period_months: int = 0
    baseline_months: int = 0
    notes: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


@dataclass
class AreaFigure:
    """What is shown of one measure for one force, or for the region (``force == "total"``)."""

    force: str
    name: str
    available: bool = True
    reason: str = ""
    value: Figure = None
    baseline: Figure = None
    denominator: Figure = None
    percent: float | None = None
    percent_low: float | None = None
    percent_high: float | None = None
    comparison: Comparison | None = None
    rate: Rate | None = None
    population: Population | None = None
    population_note: str = ""
    suppressed: bool = False  # some figure of this row is not shown as counted
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "force": self.force,
            "name": self.name,
            "available": self.available,
            "reason": self.reason,
            "value": self.value,
            "baseline": self.baseline,
            "denominator": self.denominator,
            "percent": self.percent,
            "percent_low": self.percent_low,
            "percent_high": self.percent_high,
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "suppressed": self.suppressed,
            "population": self.population.residents if self.population else None,
            "population_year": self.population.year if self.population else None,
            "population_note": self.population_note,
            "rate_per_1000": None,
            "rate_per_1000_low": None,
            "rate_per_1000_high": None,
            "notes": self.notes,
        }
        if self.rate is not None:
            out.update(
                rate_per_1000=self.rate.rate,
                rate_per_1000_low=self.rate.low,
                rate_per_1000_high=self.rate.high,
            )
        return out


def share_interval(numerator: int, denominator: int) -> tuple[float, float]:
    """Clopper–Pearson exact interval for ``numerator/denominator``, in percent."""
    alpha = 1 - CONF_LEVEL
    low = (
        0.0
        if numerator == 0
        else float(beta.ppf(alpha / 2, numerator, denominator - numerator + 1))
    )
    high = (
        1.0
        if numerator == denominator
        else float(beta.ppf(1 - alpha / 2, numerator + 1, denominator - numerator))
    )
    return 100 * low, 100 * high


def _is_count(value: Figure) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _n(value: Figure) -> int:
    """A figure known to be a count (the rows were chosen for it)."""
    if not isinstance(value, int):
        raise TypeError(f"not a count: {value!r}")
    return value


def _unavailable(c: Counted) -> AreaFigure:
    return AreaFigure(c.force, force_name(c.force), False, c.reason, notes=list(c.notes))


def _total_reason(rows: Sequence[Counted]) -> str | None:
    """Why the region has no total, or None when it has one."""
    missing = [force_name(c.force) for c in rows if not c.available]
    reasons = {c.reason for c in rows if not c.available}
    if len(missing) == len(rows) and len(reasons) == 1:
        return reasons.pop()
    if len(missing) == len(rows):  # each force's own reason says more than "no figure"
        return "; ".join(f"{force_name(c.force)}: {c.reason}" for c in rows)
    if missing:
        return f"no total: {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no figure"
    shown = [force_name(c.force) for c in rows
             if not all(_is_count(v) for v in (c.value, c.baseline, c.denominator) if v is not None)]  # fmt: skip
    if shown:
        return (
            f"no total: the figures of {', '.join(shown)} are suppressed by the room that "
            "holds them, so no sum can be shown"
        )
    return None


def _population(
    figure: AreaFigure, count: int, population: PopulationTable | None, year: int | None
) -> None:
    if population is None:
        return
    found = population.lookup(figure.force, year)
    if found is None:
        figure.population_note = population.missing_text(figure.force)
        return
    figure.population = found
    figure.rate = rate_per_1000(count, found.residents)
    if year is not None and found.year is not None and found.year != year:
        figure.population_note = (
            f"population of {found.year}, {abs(year - found.year)} year(s) from the period: "
            "rates are approximate; give current populations with --population"
        )


def _combine_counts(
    rows: Sequence[Counted], several: bool, published: bool,
    population: PopulationTable | None, year: int | None,
) -> tuple[list[AreaFigure], AreaFigure | None]:  # fmt: skip
    with_baseline = any(c.baseline is not None for c in rows if c.available)
    exact = [
        c for c in rows
        if c.available and _is_count(c.value) and (not with_baseline or _is_count(c.baseline))
    ]  # fmt: skip
    no_total = _total_reason(rows) if several else "one force"
    cells = [[_n(c.value), *([_n(c.baseline)] if with_baseline else [])] for c in exact]
    table = None
    if published and cells:
        table = suppress(cells, column_totals=several and no_total is None)
    shown: dict[str, AreaFigure] = {}
    for i, c in enumerate(exact):
        value: Figure = c.value
        base: Figure = c.baseline if with_baseline else None
        hidden = False
        if table is not None:
            if not table.safe:
                value, base, hidden = WITHHELD, WITHHELD if with_baseline else None, True
            else:
                value = table.shown(i, 0)
                base = table.shown(i, 1) if with_baseline else None
                hidden = not table.is_shown(i, 0) or (with_baseline and not table.is_shown(i, 1))
        figure = AreaFigure(c.force, force_name(c.force), value=value, baseline=base,
                            suppressed=hidden, notes=list(c.notes))  # fmt: skip
        if _is_count(value):
            if with_baseline and _is_count(base):
                figure.comparison = compare(_n(base), _n(value), c.baseline_months, c.period_months)
            _population(figure, _n(value), population, year)
        shown[c.force] = figure
    areas = []
    for c in rows:
        if c.force in shown:
            areas.append(shown[c.force])
        elif not c.available:
            areas.append(_unavailable(c))
        else:  # a room's own suppression: as it showed them
            areas.append(AreaFigure(c.force, force_name(c.force), value=c.value,
                                    baseline=c.baseline, suppressed=True, notes=list(c.notes)))  # fmt: skip
    if not several:
        return areas, None
    if no_total is not None:
        return areas, AreaFigure(TOTAL, "All forces", False, no_total)
    value_total = sum(_n(c.value) for c in exact)
    base_total = sum(_n(c.baseline) for c in exact) if with_baseline else None
    total = AreaFigure(TOTAL, "All forces", value=value_total, baseline=base_total)
    if table is not None:
        totals = table.shown_column_totals() or []
        total.value = totals[0]
        total.baseline = totals[1] if with_baseline else None
        column_status = table.column_status
        total.suppressed = column_status is not None and any(
            s is not Status.SHOWN for s in column_status
        )
    if _is_count(total.value):
        first = exact[0]
        if with_baseline and _is_count(total.baseline):
            total.comparison = compare(
                _n(total.baseline),
                _n(total.value),
                first.baseline_months,
                first.period_months,
            )
        _total_rate(total, areas, _n(total.value), population, year)
    return areas, total


def _total_rate(
    total: AreaFigure, areas: Sequence[AreaFigure], count: int,
    population: PopulationTable | None, year: int | None,
) -> None:  # fmt: skip
    if population is None:
        return
    found = [population.lookup(a.force, year) for a in areas]
    lacking = [a.name for a, p in zip(areas, found, strict=True) if p is None]
    if lacking:
        total.population_note = (
            f"no rate for the region: no population for {', '.join(lacking)} in {population.source}"
        )
        return
    residents = sum(p.residents for p in found if p is not None)
    years = sorted({p.year for p in found if p is not None and p.year is not None})
    total.population = Population(TOTAL, residents, years[-1] if len(years) == 1 else None,
                                  population.source)  # fmt: skip
    total.rate = rate_per_1000(count, residents)
    notes = {a.population_note for a in areas if a.population_note}
    total.population_note = "; ".join(sorted(notes))


def _percent(figure: AreaFigure, numerator: int, denominator: int, tally: bool) -> None:
    if denominator == 0:
        figure.notes.append("no denominator in the period: no percentage")
        return
    figure.percent = 100 * numerator / denominator
    if not tally:
        figure.percent_low, figure.percent_high = share_interval(numerator, denominator)


def _combine_shares(
    rows: Sequence[Counted], several: bool, published: bool, tally: bool
) -> tuple[list[AreaFigure], AreaFigure | None]:
    exact = [c for c in rows if c.available and _is_count(c.value) and _is_count(c.denominator)]
    valid = [c for c in exact if _n(c.value) <= _n(c.denominator)]
    over = [c for c in exact if c not in valid]
    no_total = _total_reason(rows) if several else "one force"
    if no_total is None and over:
        no_total = (
            f"no total: in {', '.join(force_name(c.force) for c in over)} the numerator exceeds "
            "the denominator in the period"
        )
    cells = [[_n(c.value), _n(c.denominator) - _n(c.value)] for c in valid]
    table = None
    if published and cells:
        table = suppress(cells, row_totals=True, column_totals=several and no_total is None,
                         grand_total=several and no_total is None)  # fmt: skip
    shown: dict[str, AreaFigure] = {}
    for i, c in enumerate(valid):
        value: Figure = c.value
        den: Figure = c.denominator
        if table is not None:
            row_totals = table.shown_row_totals() or []
            value, den = (table.shown(i, 0), row_totals[i]) if table.safe else (WITHHELD, WITHHELD)
        figure = AreaFigure(c.force, force_name(c.force), value=value, denominator=den,
                            notes=list(c.notes))  # fmt: skip
        figure.suppressed = not (_is_count(value) and _is_count(den))
        if not figure.suppressed:
            _percent(figure, _n(value), _n(den), tally)
        shown[c.force] = figure
    for c in over:  # each figure a count of its own: no share is formed from them
        figure = AreaFigure(c.force, force_name(c.force), value=c.value, denominator=c.denominator,
                            notes=[*c.notes, "the numerator exceeds the denominator in the period "
                                   "(events of earlier referrals): no percentage"])  # fmt: skip
        if published:
            each = suppress_counts([_n(c.value), _n(c.denominator)], total=False)
            figure.value, figure.denominator = each.shown(0), each.shown(1)
            figure.suppressed = not (each.is_shown(0) and each.is_shown(1))
        shown[c.force] = figure
    areas = []
    for c in rows:
        if c.force in shown:
            areas.append(shown[c.force])
        elif not c.available:
            areas.append(_unavailable(c))
        else:
            areas.append(AreaFigure(c.force, force_name(c.force), value=c.value,
                                    denominator=c.denominator, suppressed=True,
                                    notes=list(c.notes)))  # fmt: skip
    if not several:
        return areas, None
    if no_total is not None:
        return areas, AreaFigure(TOTAL, "All forces", False, no_total)
    num_total = sum(_n(c.value) for c in valid)
    den_total = sum(_n(c.denominator) for c in valid)
    total = AreaFigure(TOTAL, "All forces", value=num_total, denominator=den_total)
    if table is not None:
        columns = table.shown_column_totals() or [WITHHELD]
        grand = table.shown_grand_total()
        total.value, total.denominator = columns[0], grand
        total.suppressed = not (_is_count(total.value) and _is_count(total.denominator))
    if not total.suppressed:
        _percent(total, _n(total.value), _n(total.denominator), tally)
    return areas, total


def combine(
    rows: Sequence[Counted],
    *,
    published: bool,
    population: PopulationTable | None = None,
    year: int | None = None,
) -> tuple[list[AreaFigure], AreaFigure | None]:
    """Each force's figures as shown, and the region's total when there are several forces.

    ``year``: the period's, for choosing the population year.
    """
    several = len(rows) > 1
    shape = next((c.shape for c in rows if c.available), "count")
    if shape == "count":
        return _combine_counts(rows, several, published, population, year)
    return _combine_shares(rows, several, published, tally=shape == "tally")


def rollup(
    store_path: str | Path | None,
    forces: Sequence[str],
    period: tuple[str, str] | None = None,
    *,
    population: PopulationTable | None = None,
    **options: Any,
) -> MeasuresReport:
    """The region's report: :func:`harmwatch.oversight.measures.compute` for ``forces``,
    with rates per 1,000 from the shipped population table unless another is given."""
    from .measures import compute  # measures imports this module for combine()
    from .population import shipped_population

    return compute(
        store_path, forces, period, population=population or shipped_population(), **options
    )
