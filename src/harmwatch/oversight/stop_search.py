"""Stop and search: who was searched, for what, what was found, and disproportionality.

For one or more forces over loaded months (default: the months every one of them
has loaded, described as their runs), the searches police.uk publishes are
counted by object of search, legislation, age range, sex (police.uk's "Gender"
column), self-defined ethnicity (grouped) and officer-defined ethnicity (as
recorded), overall and per group, for all searches and for drug searches
(object of search "Controlled drugs") as their own slice, since that is what a
drug partnership asks. Counting is done in DuckDB (one ``GROUP BY`` per
breakdown); Python only maps the recorded values onto groups and adds them up.

The rates
---------
Each is a share ``k/n`` with its exact Clopper–Pearson 95 % interval
(:mod:`harmwatch.oversight.shares`):

- **find rate** (``find_rate``): searches whose outcome was linked to the object
  of search ("Outcome linked to object of search" = True), of *all* searches.
- **link blank** (``link_blank``): searches whose link column is empty. In the
  shared files (``../shared/data/police-uk``) the column holds the text
  ``True``, ``False`` or nothing, and forces use the blank differently:
  Bedfordshire 2021-05…2024-04 (11,810 searches) leaves it blank only on
  no-further-action disposals — 8,279 of its 8,918 "A no further action
  disposal" searches; the other 639 carry True (275) or False (364) — and
  writes False elsewhere (its one search with no outcome carries False);
  Northumbria 2020-05…2023-02 (12,861 searches) never writes False: the column
  is True or blank on every outcome (blank on 3,466 no-further-action
  searches, 560 arrests, …). So a blank is a "no" for one force and "not said"
  for another; the find rate counts only True, the same for both, and the
  blanks are counted beside it rather than hidden in it.
- **find rate among searches with another outcome**
  (``find_rate_other_outcomes``): linked searches among those whose outcome is
  recorded and is not "A no further action disposal": for Bedfordshire, whose
  blanks all sit on no further action, the share with the blanks left out.
- **arrest rate** (``arrest_rate``): searches with outcome "Arrest", of all
  searches.

Ethnicity
---------
Self-defined ethnicity is recorded in the 2011 Census's 18 categories
("Asian/Asian British - Pakistani" …); it is grouped here to the five broad
groups of the 2021 Census of England and Wales (Asian, Black, Mixed, White,
Other) by the part before " - ", with "Other ethnic group - Not stated" and a
blank as "not stated" (:func:`census_group`; a value the grouping does not know
is refused, naming it, rather than guessed). Officer-defined ethnicity is shown
as recorded (White, Asian, Black, Mixed, Other), a blank as "not recorded".

Disproportionality
------------------
Searches per 1,000 residents of a group against those of White residents,
per force (many searches carry no location, so nothing finer is honest): the
rate ratio ``(a/Rₐ)/(w/R_w)`` of a group's searches ``a`` over its residents
``Rₐ`` to White searches ``w`` over White residents ``R_w``, with the exact
conditional Poisson interval and p-value of
:func:`harmwatch.evaluation.rates.rate_ratio_exact` (residents as exposure).
This is the measure the Home Office publishes (*Police powers and procedures:
stop and search*, "searches per 1,000 people"), here with an interval. The
residents come from a table the user supplies (:mod:`.residents`) on
self-defined groups, so the searches counted are those by self-defined
ethnicity; searches whose ethnicity is not stated are in no group's rate and are
counted beside it. Without a table nothing is computed and the result says so.

Small numbers
-------------
:meth:`StopSearchResult.to_dict` with ``suppressed=True`` is the view for people
who may not see small numbers (see :class:`_Protection`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harmwatch.errors import InputError
from harmwatch.evaluation.rates import RateRatio, rate_ratio_exact
from harmwatch.outputs.suppression import NOTE, THRESHOLD, Status, suppress, suppress_counts
from harmwatch.sources.policeuk.forces import force_name, forces_text
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.timeline.months import periods_text

from .police_scope import Scope, open_rows, resolve_scope, scope_where
from .residents import CENSUS_GROUPS, REFERENCE_GROUP, ResidentsTable
from .shares import Share, share

KIND = "stop-and-search"  # the datasets kind of police.uk's stop-and-search files
NO_FURTHER_ACTION = "A no further action disposal"
ARREST = "Arrest"
DRUGS_OBJECT = "Controlled drugs"
NOT_STATED = "not stated"
NOT_RECORDED = "not recorded"
NO_POPULATION = "not computed: no population table given"
PER = 1000  # residents: "searches per 1,000 residents"

# The part of a self-defined ethnicity before " - " -> its broad Census 2021 group.
_SELF_DEFINED_PREFIXES = {
    "White": "White",
    "Asian/Asian British": "Asian",
    "Black/African/Caribbean/Black British": "Black",
    "Mixed/Multiple ethnic groups": "Mixed",
    "Other ethnic group": "Other",
}
_SELF_DEFINED_NOT_STATED = "Other ethnic group - Not stated"
SELF_DEFINED_LABEL = (
    "self-defined ethnicity, grouped to the five broad Census 2021 groups (Asian, Black, "
    "Mixed, White, Other); 'not stated': blank or 'Other ethnic group - Not stated'"
)

DEFINITIONS = {
    "find_rate": "share of all searches whose outcome was linked to the object of search "
    "('Outcome linked to object of search' True)",
    "link_blank": "searches whose 'Outcome linked to object of search' is blank: forces differ "
    "(Bedfordshire leaves it blank on most no-further-action disposals and nowhere else; "
    "Northumbria never writes False, only True or blank), so a blank is counted here, not "
    "read as found or not found",
    "find_rate_other_outcomes": "share linked to the object of search among searches with an "
    f"outcome other than '{NO_FURTHER_ACTION}' (where Bedfordshire, for one, leaves no link "
    "blank)",
    "arrest_rate": f"share of all searches with outcome '{ARREST}'",
    "intervals": "exact (Clopper–Pearson) 95 % intervals",
    "drug_searches": f"searches whose object of search is '{DRUGS_OBJECT}'",
}

CAVEATS = (
    "Residential population is not the population available to be searched in public places: "
    "people who travel into an area, or spend more time in public places, are searched where "
    "they are, not where they live.",
    "Self-defined ethnicity is often not stated; those searches are in no group's rate, so "
    "every group's rate is an undercount by an unknown share.",
    "Searches of the same person are counted each time: the figures count searches, not people.",
    "Small groups give wide intervals: a rate ratio on a few dozen searches can be far from the "
    "true one by chance.",
)


class StopSearchError(InputError):
    """The stop-and-search figures cannot be computed from what is loaded."""


def census_group(self_defined: str | None) -> str:
    """The broad Census 2021 group of a self-defined ethnicity as police.uk records it."""
    text = (self_defined or "").strip()
    if not text or text == _SELF_DEFINED_NOT_STATED:
        return NOT_STATED
    prefix = text.split(" - ", 1)[0].strip()
    if prefix not in _SELF_DEFINED_PREFIXES:
        raise StopSearchError(
            f"stop_search: self_defined_ethnicity: {text!r} is not a police.uk self-defined "
            f"ethnicity this grouping knows (its part before ' - ' must be one of "
            f"{', '.join(repr(p) for p in _SELF_DEFINED_PREFIXES)})"
        )
    return _SELF_DEFINED_PREFIXES[prefix]


def _as_recorded(value: str | None) -> str:
    text = (value or "").strip()
    return text or NOT_RECORDED


@dataclass(frozen=True)
class Dimension:
    """One breakdown: the column counted, how its values are grouped, and their order."""

    key: str
    label: str
    column: str
    group: Callable[[str | None], str] = _as_recorded
    order: tuple[str, ...] = ()  # a fixed order; otherwise by searches, most first


DIMENSIONS = (
    Dimension("force", "force", "force", group=lambda slug: force_name(slug or "")),
    Dimension("object_of_search", "object of search", "object_of_search"),
    Dimension("legislation", "legislation", "legislation"),
    Dimension(
        "age_range",
        "age range",
        "age_range",
        order=("under 10", "10-17", "18-24", "25-34", "over 34", NOT_RECORDED),
    ),
    Dimension("sex", "sex (police.uk's 'Gender' column, as recorded)", "gender"),
    Dimension(
        "self_defined_ethnicity",
        SELF_DEFINED_LABEL,
        "self_defined_ethnicity",
        group=census_group,
        order=(*CENSUS_GROUPS, NOT_STATED),
    ),
    Dimension(
        "officer_defined_ethnicity",
        "officer-defined ethnicity, as recorded",
        "officer_defined_ethnicity",
        order=("Asian", "Black", "Mixed", "White", "Other", NOT_RECORDED),
    ),
)
_DIMENSION = {d.key: d for d in DIMENSIONS}
ETHNICITY = "self_defined_ethnicity"


@dataclass(frozen=True)
class SearchCounts:
    """What happened in a set of searches; the rates follow from these counts."""

    searches: int = 0
    finds: int = 0  # outcome linked to the object of search: True
    link_blank: int = 0  # outcome linked to the object of search: blank
    other_outcome: int = 0  # outcome recorded and not "A no further action disposal"
    other_outcome_finds: int = 0  # …of which linked to the object of search
    arrests: int = 0

    FIELDS = (
        "searches", "finds", "link_blank", "other_outcome", "other_outcome_finds", "arrests",
    )  # fmt: skip

    def __add__(self, other: SearchCounts) -> SearchCounts:
        return SearchCounts(*(getattr(self, f) + getattr(other, f) for f in self.FIELDS))

    @property
    def find_rate(self) -> Share:
        return share(self.finds, self.searches)

    @property
    def find_rate_other_outcomes(self) -> Share:
        return share(self.other_outcome_finds, self.other_outcome)

    @property
    def arrest_rate(self) -> Share:
        return share(self.arrests, self.searches)

    def to_dict(self) -> dict[str, Any]:
        return {
            "searches": self.searches,
            "finds": self.finds,
            **self.find_rate.fields("find_rate"),
            "link_blank": self.link_blank,
            "other_outcome_searches": self.other_outcome,
            "other_outcome_finds": self.other_outcome_finds,
            **self.find_rate_other_outcomes.fields("find_rate_other_outcomes"),
            "arrests": self.arrests,
            **self.arrest_rate.fields("arrest_rate"),
        }


@dataclass(frozen=True)
class Group:
    name: str
    counts: SearchCounts


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class GroupRatio:
    """One group's searches per 1,000 residents against White residents', in one force."""

    force: str
    group: str
    searches: int
    residents: int
    ratio: RateRatio | None  # None for the comparison group itself

    @property
    def per_1000(self) -> float:
        return PER * self.searches / self.residents


@dataclass(frozen=True)
class ForceDisproportionality:
    force: str
    groups: tuple[GroupRatio, ...]  # the groups the table gives residents for
    searched: tuple[tuple[str, int], ...]  # searches by self-defined group, "not stated" too

    @property
    def not_stated(self) -> int:
        """Searches whose self-defined ethnicity is not stated: in no group's rate."""
        return dict(self.searched).get(NOT_STATED, 0)

    @property
    def without_residents(self) -> tuple[str, ...]:
        """Groups searched whom the population table gives no residents for this force."""
        given = {g.group for g in self.groups}
        return tuple(g for g, n in self.searched if n and g != NOT_STATED and g not in given)


@dataclass(frozen=True)
class Disproportionality:
    """Rate ratios against White residents per force, or why they were not computed."""

    status: str  # "computed", or "not computed: …"
    forces: tuple[ForceDisproportionality, ...] = ()
    source: str | None = None
    year: int | None = None
    months: int = 0

    @property
    def computed(self) -> bool:
        return self.status == "computed"


@dataclass(frozen=True)
class SearchSlice:
    key: str  # "all_searches" or "drug_searches"
    label: str
    overall: SearchCounts
    breakdowns: tuple[Breakdown, ...]
    disproportionality: Disproportionality


@dataclass(frozen=True)
class StopSearchResult:
    forces: tuple[str, ...]
    months: tuple[str, ...]
    all_searches: SearchSlice
    drug_searches: SearchSlice
    residents: ResidentsTable | None = None
    defaults_chosen: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    caveats: tuple[str, ...] = CAVEATS

    @property
    def period(self) -> str:
        return periods_text(self.months)

    @property
    def title(self) -> str:
        return f"Stop and search, {forces_text(self.forces)}, {self.period}"

    @property
    def slices(self) -> tuple[SearchSlice, SearchSlice]:
        return self.all_searches, self.drug_searches

    def to_dict(self, *, suppressed: bool = False) -> dict[str, Any]:
        """Counts as integers, rates with their intervals; ``suppressed``: the aggregate view."""
        protection = _Protection(self) if suppressed else None
        out: dict[str, Any] = {
            "title": self.title,
            "forces": list(self.forces),
            "force_names": [force_name(f) for f in self.forces],
            "months": list(self.months),
            "period": self.period,
            "suppressed": suppressed,
            "definitions": dict(DEFINITIONS),
            "ethnicity_grouping": {
                "self_defined_ethnicity": SELF_DEFINED_LABEL,
                "officer_defined_ethnicity": "as recorded; blank: 'not recorded'",
            },
            "residents": None if self.residents is None else self.residents.to_dict(),
            "defaults_chosen": list(self.defaults_chosen),
            "notes": list(self.notes),
            "caveats": list(self.caveats),
        }
        if protection is not None:
            out["suppression"] = protection.notes()
        for slice_ in self.slices:
            out[slice_.key] = _slice_dict(slice_, protection)
        return out

    def suppressed(self) -> dict[str, Any]:
        """The view for people who may not see small numbers (a PCC viewer, a report)."""
        return self.to_dict(suppressed=True)


# -- computing ---------------------------------------------------------------------------


def stop_search(
    db_path: str | Path,
    forces: Sequence[str] = (),
    months: Sequence[str] | None = None,
    residents: ResidentsTable | None = None,
) -> StopSearchResult:
    """Stop-and-search figures for ``forces`` (default: every force with searches loaded).

    ``months`` None: every month all the forces have loaded; months asked for must be
    loaded for every force. ``residents`` None: disproportionality is not computed.
    """
    with AnalyticsStore.open(db_path) as store:
        return stop_search_in(store, forces, months, residents)


def stop_search_in(
    store: AnalyticsStore,
    forces: Sequence[str] = (),
    months: Sequence[str] | None = None,
    residents: ResidentsTable | None = None,
) -> StopSearchResult:
    """:func:`stop_search` on an open store."""
    scope = resolve_scope(store, forces, months, KIND)
    slugs, period = list(scope.forces), list(scope.months)
    notes = list(scope.notes)
    counts = {d.key: _counts(store, d, slugs, period) for d in DIMENSIONS}
    slices = []
    for key, label, drugs in (
        ("all_searches", "all searches", None),
        ("drug_searches", f"drug searches (object of search '{DRUGS_OBJECT}')", True),
    ):
        breakdowns = tuple(_breakdown(d, counts[d.key], drugs) for d in DIMENSIONS)
        overall = sum((g.counts for g in breakdowns[0].groups), SearchCounts())
        ratios = _disproportionality(store, slugs, period, residents, drugs)
        slices.append(SearchSlice(key, label, overall, breakdowns, ratios))
    if residents is not None:
        notes.append(residents.described())
    return StopSearchResult(
        forces=tuple(slugs),
        months=tuple(period),
        all_searches=slices[0],
        drug_searches=slices[1],
        residents=residents,
        defaults_chosen=scope.defaults_chosen,
        notes=tuple(notes),
    )


def _counts(
    store: AnalyticsStore, dim: Dimension, forces: Sequence[str], months: Sequence[str]
) -> list[tuple[str | None, bool, SearchCounts]]:
    """(recorded value, drug search?, counts) for every value of ``dim`` that occurs."""
    where, where_params = scope_where(Scope(tuple(forces), tuple(months), (), ()))
    other = "outcome IS NOT NULL AND outcome <> ?"
    sql = (
        f"SELECT {dim.column} AS value, coalesce(object_of_search = ?, FALSE) AS drugs, "
        "count(*), "
        "count(*) FILTER (WHERE outcome_linked_to_object), "
        "count(*) FILTER (WHERE outcome_linked_to_object IS NULL), "
        f"count(*) FILTER (WHERE {other}), "
        f"count(*) FILTER (WHERE outcome_linked_to_object AND {other}), "
        "count(*) FILTER (WHERE outcome = ?) "
        f"FROM stop_search WHERE {where} GROUP BY ALL ORDER BY ALL"
    )
    params = [DRUGS_OBJECT, NO_FURTHER_ACTION, NO_FURTHER_ACTION, ARREST, *where_params]
    rows = open_rows(store, ("stop_search",), sql, params)
    return [(value, bool(drugs), SearchCounts(*map(int, rest))) for value, drugs, *rest in rows]


def _breakdown(
    dim: Dimension, rows: Iterable[tuple[str | None, bool, SearchCounts]], drugs: bool | None
) -> Breakdown:
    totals: dict[str, SearchCounts] = {}
    for value, is_drugs, counts in rows:
        if drugs is not None and is_drugs != drugs:
            continue
        name = dim.group(value)
        totals[name] = totals.get(name, SearchCounts()) + counts
    if dim.order:
        rank = {name: n for n, name in enumerate(dim.order)}
        names = sorted(totals, key=lambda g: (rank.get(g, len(rank)), g))
    else:
        names = sorted(totals, key=lambda g: (g == NOT_RECORDED, -totals[g].searches, g))
    return Breakdown(dim.key, dim.label, tuple(Group(n, totals[n]) for n in names))


def _disproportionality(
    store: AnalyticsStore,
    forces: Sequence[str],
    months: Sequence[str],
    residents: ResidentsTable | None,
    drugs: bool | None,
) -> Disproportionality:
    if residents is None:
        return Disproportionality(NO_POPULATION, months=len(months))
    by_force: dict[str, dict[str, int]] = {}
    for force in forces:
        rows = _counts(store, _DIMENSION[ETHNICITY], [force], months)
        groups = _breakdown(_DIMENSION[ETHNICITY], rows, drugs).groups
        by_force[force] = {g.name: g.counts.searches for g in groups}
    out = []
    for force, searched in by_force.items():
        population = residents.of(force)
        white = searched.get(REFERENCE_GROUP, 0)
        ratios = []
        if REFERENCE_GROUP in population:
            white_residents = population[REFERENCE_GROUP]
            for group in CENSUS_GROUPS:
                if group not in population:
                    continue
                a = searched.get(group, 0)
                ratio = (
                    None
                    if group == REFERENCE_GROUP
                    else rate_ratio_exact(a, white, population[group], white_residents)
                )
                ratios.append(GroupRatio(force, group, a, population[group], ratio))
        out.append(ForceDisproportionality(force, tuple(ratios), tuple(searched.items())))
    if not any(f.groups for f in out):
        return Disproportionality(
            f"not computed: the population table ({residents.path}) has no rows for "
            f"{forces_text(forces, most=50)}",
            source=residents.source,
            year=residents.year,
            months=len(months),
        )
    return Disproportionality(
        "computed", tuple(out), residents.source, residents.year, months=len(months)
    )


# -- the suppressed view -----------------------------------------------------------------

Key = tuple[str, str, str, str]  # (slice, breakdown, group, figure); OVERALL for the headline
OVERALL = "*"
FEWER = "fewer than 5"
WITHHELD = "withheld"  # by the rule's secondary suppression: 5 or more
NOT_SHOWN = "not shown"  # a figure of a group or table the view leaves out: no bound implied

# The counts a group's searches split into, each split protected as one table: the link
# (found / not found / blank) and the arrest. The view shows finds, link_blank and arrests;
# the other parts follow from them and the searches, so the rule protects them too.
_SPLITS = {
    "link": ("finds", "link_false", "link_blank"),
    "arrest": ("arrests", "no_arrests"),
}
_SHOWN_SPLIT = ("finds", "link_blank", "arrests")
_GROUP_ONLY_IN_FULL = ("other_outcome_searches", "other_outcome_finds")


def _part(counts: SearchCounts, name: str) -> int:
    if name == "link_false":
        return counts.searches - counts.finds - counts.link_blank
    if name == "no_arrests":
        return counts.searches - counts.arrests
    return int(getattr(counts, name))


def _pooled(
    cells: dict[tuple[str, str], int],
    rows: Sequence[str],
    columns: Sequence[str],
    pooled_rows: AbstractSet[str],
    pooled_columns: AbstractSet[str] = frozenset(),
) -> tuple[dict[tuple[str, str], Status], bool]:
    """The rule over a table whose totals are published, its hidden rows pooled into one.

    The totals (every row's, every column's, the grand total) are figures a reader
    has or can work out: the headline and the shown counts are published, and the
    sum of a list's hidden counts is its total less the shown ones, so a pooled row
    of hidden groups has a known total too. The table goes through
    :func:`~harmwatch.outputs.suppression.suppress` with ``totals_fixed``, so that
    protection comes from the cells. Returns each cell's status outside the pool,
    and whether some figure could not be protected (``exposed``).
    """
    open_rows_ = [r for r in rows if r not in pooled_rows]
    open_columns = [c for c in columns if c not in pooled_columns]
    row_groups = [[r] for r in open_rows_] + ([sorted(pooled_rows)] if pooled_rows else [])
    column_groups = [[c] for c in open_columns] + (
        [sorted(pooled_columns)] if pooled_columns else []
    )
    table = [
        [sum(cells.get((r, c), 0) for r in rg for c in cg) for cg in column_groups]
        for rg in row_groups
    ]
    if not table or not table[0]:
        return {}, False
    result = suppress(
        table, row_totals=True, column_totals=True, grand_total=True, totals_fixed=True
    )
    statuses = {
        (r, c): result.status[i, j]
        for i, r in enumerate(open_rows_)
        for j, c in enumerate(open_columns)
    }
    return statuses, bool(result.exposed)


def _label(value: int, status: Status) -> str | None:
    if status is Status.FEWER:
        return FEWER
    if status is Status.WITHHELD:
        return WITHHELD
    return None


class _Protection:
    """Which figures the suppressed view shows: the one rule, over every table the view implies.

    The headline figures of each slice (all searches, drug searches) are shown as
    they are, unless from 1 to 4 ("fewer than 5"), and the searches a headline
    leaves out (searches not arrested, say) are protected the same way. Then, per
    breakdown:

    1. all searches by group, a list whose total is the headline:
       :func:`~harmwatch.outputs.suppression.suppress_counts`;
    2. drug searches by group as a part of all searches: groups × (drug, other)
       with all searches as row totals, so that subtracting the drug slice from
       all searches cannot reveal a small count either;
    3. each slice's finds / not found / link blank, and arrests / not arrested: groups
       × parts with the group's searches as row totals, so that neither a count
       nor what its rate and total leave (the searches without it) can be worked
       out; a drug-slice group whose parts, taken from all searches' parts,
       would leave 1 to 4 is moved into the pool and the table protected again.

    Groups whose searches are not shown are pooled into one row in 2 and 3 (that
    row's total is known: the headline less the shown groups), and their other
    figures are "not shown". A table holding a figure the rule cannot protect
    (:attr:`~harmwatch.outputs.suppression.SuppressedTable.exposed`) is left out
    whole. A rate is shown only where its count and its total are. The figures
    of searches with another outcome are shown for the headline only. What is
    not audited is inference that chains several of these tables; each is
    protected on its own, and a figure is shown only where every table holding
    it shows it.
    """

    def __init__(self, result: StopSearchResult) -> None:
        self.result = result
        self.forces = result.forces
        self.labels: dict[Key, str] = {}
        self.withheld: set[tuple[str, str]] = set()  # (slice, breakdown) left out whole
        all_, drugs = result.all_searches, result.drug_searches
        for slice_ in result.slices:
            self._headline(slice_)
        self._headline_parts_of(all_, drugs)
        for dim in DIMENSIONS:
            self._breakdown(all_, drugs, dim.key)
        self._disproportionality(all_)
        self._disproportionality(drugs)

    # -- headline ------------------------------------------------------------------------

    def _headline(self, slice_: SearchSlice) -> None:
        c = slice_.overall
        key = (slice_.key, OVERALL, OVERALL)
        for name in SearchCounts.FIELDS:
            if 1 <= getattr(c, name) < THRESHOLD:
                self.labels[(*key, name)] = FEWER
        families = [*_SPLITS.values(), ("other_outcome_finds", "other_outcome_no_finds")]
        for family in families:
            values = {
                n: (c.other_outcome - c.other_outcome_finds)
                if n == "other_outcome_no_finds"
                else _part(c, n)
                for n in family
            }
            if any(1 <= v < THRESHOLD for v in values.values()):
                for n in family:
                    if n in SearchCounts.FIELDS and (*key, n) not in self.labels:
                        self.labels[(*key, n)] = NOT_SHOWN

    def _headline_parts_of(self, all_: SearchSlice, drugs: SearchSlice) -> None:
        key_all, key_drugs = (all_.key, OVERALL, OVERALL), (drugs.key, OVERALL, OVERALL)
        for name in SearchCounts.FIELDS:
            other = getattr(all_.overall, name) - getattr(drugs.overall, name)
            shown = (*key_all, name) not in self.labels and (*key_drugs, name) not in self.labels
            if shown and 1 <= other < THRESHOLD:
                self.labels[(*key_drugs, name)] = NOT_SHOWN
        # The parts the view does not print follow from those it does: hide what gives them.
        for part, gives in (("link_false", ("finds", "link_blank")), ("no_arrests", ("arrests",))):
            other = _part(all_.overall, part) - _part(drugs.overall, part)
            if 1 <= other < THRESHOLD:
                for name in gives:
                    self.labels.setdefault((*key_drugs, name), NOT_SHOWN)

    # -- breakdowns ----------------------------------------------------------------------

    def _breakdown(self, all_: SearchSlice, drugs: SearchSlice, dim: str) -> None:
        whole, part = _breakdown_of(all_, dim), _breakdown_of(drugs, dim)
        names = [g.name for g in whole.groups]
        searched = {g.name: g.counts.searches for g in whole.groups}
        listed = suppress_counts([searched[n] for n in names], total=True, total_fixed=True)
        if listed.exposed:
            self.withheld.update({(all_.key, dim), (drugs.key, dim)})
            return
        hidden_all = set()
        for i, n in enumerate(names):
            label = _label(searched[n], listed.status[i, 0])
            if label:
                self.labels[(all_.key, dim, n, "searches")] = label
                hidden_all.add(n)
        in_drugs = {g.name: g.counts.searches for g in part.groups}
        cells = {}
        for n in names:
            cells[(n, "drugs")] = in_drugs.get(n, 0)
            cells[(n, "other")] = searched[n] - in_drugs.get(n, 0)
        statuses, exposed = _pooled(cells, names, ["drugs", "other"], hidden_all)
        if exposed:
            self.withheld.add((drugs.key, dim))
        hidden_drugs = set(hidden_all)
        for n in in_drugs:
            key = (drugs.key, dim, n, "searches")
            if n in hidden_all:
                self.labels[key] = NOT_SHOWN
                continue
            label = _label(in_drugs[n], statuses[(n, "drugs")])
            if label:
                self.labels[key] = label
                hidden_drugs.add(n)
        whole_counts = {g.name: g.counts for g in whole.groups}
        self._splits(all_.key, dim, whole_counts, hidden_all)
        if (drugs.key, dim) in self.withheld:
            return
        part_counts = {g.name: g.counts for g in part.groups}
        for split, columns in _SPLITS.items():
            pool = hidden_drugs & set(part_counts)
            while True:
                self._split(drugs.key, dim, part_counts, pool, split, columns)
                more = {
                    n
                    for n in part_counts
                    if n not in pool
                    and any(
                        not self.is_hidden((all_.key, dim, n, c))
                        and not self.is_hidden((drugs.key, dim, n, c))
                        and 1 <= _part(whole_counts[n], c) - _part(part_counts[n], c) < THRESHOLD
                        for c in columns
                    )
                }
                if not more:
                    break
                pool |= more

    def _splits(
        self, slice_: str, dim: str, counts: dict[str, SearchCounts], pool: set[str]
    ) -> None:
        for split, columns in _SPLITS.items():
            self._split(slice_, dim, counts, pool, split, columns)

    def _split(
        self,
        slice_: str,
        dim: str,
        counts: dict[str, SearchCounts],
        pool: set[str],
        split: str,
        columns: tuple[str, ...],
    ) -> None:
        names = list(counts)
        for n in names:
            for c in columns:
                self.labels.pop((slice_, dim, n, c), None)  # protected afresh below
        cells = {(n, c): _part(counts[n], c) for n in names for c in columns}
        statuses, exposed = _pooled(cells, names, columns, pool & set(names))
        for n in names:
            for c in columns:
                key = (slice_, dim, n, c)
                if exposed or n in pool:
                    self.labels[key] = NOT_SHOWN
                    continue
                label = _label(cells[(n, c)], statuses[(n, c)])
                if label:
                    self.labels[key] = label

    # -- disproportionality --------------------------------------------------------------

    def _disproportionality(self, slice_: SearchSlice) -> None:
        d = slice_.disproportionality
        if not d.computed or len(self.forces) == 1:
            return  # one force: its groups' searches are the ethnicity breakdown's
        groups = [g.name for g in _breakdown_of(slice_, ETHNICITY).groups]
        pooled_groups = {
            g for g in groups if self.is_hidden((slice_.key, ETHNICITY, g, "searches"))
        }
        pooled_forces = {
            f.force
            for f in d.forces
            if self.is_hidden((slice_.key, "force", force_name(f.force), "searches"))
        }
        cells = {(f.force, g): n for f in d.forces for g, n in f.searched}
        statuses, exposed = _pooled(
            cells, [f.force for f in d.forces], groups, pooled_forces, pooled_groups
        )
        for f in d.forces:
            for g in groups:
                key = (slice_.key, _force_cells(f.force), g, "searches")
                if exposed or f.force in pooled_forces or g in pooled_groups:
                    self.labels[key] = NOT_SHOWN
                    continue
                label = _label(cells.get((f.force, g), 0), statuses[(f.force, g)])
                if label:
                    self.labels[key] = label
        if slice_.key == "drug_searches":
            self._drug_cells_against_all(d)

    def _drug_cells_against_all(self, drugs: Disproportionality) -> None:
        whole = self.result.all_searches.disproportionality
        every = {(f.force, g): n for f in whole.forces for g, n in f.searched}
        for f in drugs.forces:
            for g, n in f.searched:
                a = (self.result.all_searches.key, _force_cells(f.force), g, "searches")
                b = ("drug_searches", _force_cells(f.force), g, "searches")
                if (
                    not self.is_hidden(a)
                    and not self.is_hidden(b)
                    and 1 <= every.get((f.force, g), 0) - n < THRESHOLD
                ):
                    self.withheld.add(("drug_searches", "disproportionality"))

    # -- reading -------------------------------------------------------------------------

    def is_hidden(self, key: Key) -> bool:
        return key in self.labels

    def shown(self, key: Key, value: int) -> int | str:
        return self.labels.get(key, value)

    def breakdown_withheld(self, slice_: str, breakdown: str) -> bool:
        return (slice_, breakdown) in self.withheld

    def notes(self) -> list[str]:
        return [
            NOTE,
            f"'{NOT_SHOWN}': a figure of a group whose searches are not shown, or of a table "
            "whose small counts could not be protected; it implies no bound.",
            "A rate (and its interval) is null where its count or its total is not shown.",
            "Searches with another outcome than no further action, and the find rate among "
            "them, are shown for the headline only.",
        ]


def _force_cells(force: str) -> str:
    return f"force×ethnicity:{force}"


def _breakdown_of(slice_: SearchSlice, key: str) -> Breakdown:
    return next(b for b in slice_.breakdowns if b.key == key)


def _counts_dict(
    counts: SearchCounts, key: tuple[str, str, str], protection: _Protection | None
) -> dict[str, Any]:
    full = counts.to_dict()
    if protection is None:
        return full
    out: dict[str, Any] = {}
    headline = key[1] == OVERALL
    for name, figure in _JSON_COUNTS.items():
        if name in _GROUP_ONLY_IN_FULL and not headline:
            out[name] = NOT_SHOWN
        else:
            out[name] = protection.shown((*key, figure), full[name])
    for rate, (numerator, denominator) in _RATES.items():
        shown = all(not protection.is_hidden((*key, f)) for f in (numerator, denominator))
        if rate == "find_rate_other_outcomes":
            shown = shown and headline
        if shown:
            out.update(getattr(counts, rate).fields(rate))
        else:
            out.update({rate: None, f"{rate}_low": None, f"{rate}_high": None})
            out[f"{rate}_note"] = "withheld: its count or its total is not shown"
    return out


_RATES = {  # rate -> (numerator, denominator), as SearchCounts names them
    "find_rate": ("finds", "searches"),
    "find_rate_other_outcomes": ("other_outcome_finds", "other_outcome"),
    "arrest_rate": ("arrests", "searches"),
}
_JSON_COUNTS = {
    "searches": "searches",
    "finds": "finds",
    "link_blank": "link_blank",
    "other_outcome_searches": "other_outcome",
    "other_outcome_finds": "other_outcome_finds",
    "arrests": "arrests",
}


def _slice_dict(slice_: SearchSlice, protection: _Protection | None) -> dict[str, Any]:
    breakdowns: dict[str, Any] = {}
    for b in slice_.breakdowns:
        if protection is not None and protection.breakdown_withheld(slice_.key, b.key):
            breakdowns[b.key] = {
                "label": b.label,
                "withheld": "a small count in this breakdown could not be protected",
                "groups": [],
            }
            continue
        breakdowns[b.key] = {
            "label": b.label,
            "groups": [
                {"group": g.name, **_counts_dict(g.counts, (slice_.key, b.key, g.name), protection)}
                for g in b.groups
            ],
        }
    return {
        "label": slice_.label,
        "overall": _counts_dict(slice_.overall, (slice_.key, OVERALL, OVERALL), protection),
        "breakdowns": breakdowns,
        "disproportionality": _disproportionality_dict(slice_, protection),
    }


def _disproportionality_dict(slice_: SearchSlice, protection: _Protection | None) -> dict[str, Any]:
    d = slice_.disproportionality
    out: dict[str, Any] = {
        "status": d.status,
        "computed": d.computed,
        "ethnicity": SELF_DEFINED_LABEL,
        "comparison_group": REFERENCE_GROUP,
        "source": d.source,
        "year": d.year,
        "per": f"searches per {PER:,} residents over the {d.months} months counted",
    }
    if not d.computed:
        return out
    out["caveats"] = list(CAVEATS)
    single = len(d.forces) == 1
    withheld = protection is not None and (
        protection.breakdown_withheld(slice_.key, ETHNICITY)
        or protection.breakdown_withheld(slice_.key, "disproportionality")
    )
    forces = []
    for f in d.forces:
        where = ETHNICITY if single else _force_cells(f.force)

        def searches(group: str, n: int, where: str = where) -> int | str:
            if protection is None:
                return n
            return (
                NOT_SHOWN
                if withheld
                else protection.shown((slice_.key, where, group, "searches"), n)
            )

        def visible(group: str, where: str = where) -> bool:
            return protection is None or (
                not withheld and not protection.is_hidden((slice_.key, where, group, "searches"))
            )

        groups = []
        for g in f.groups:
            row: dict[str, Any] = {
                "group": g.group, "residents": g.residents, "searches": searches(g.group, g.searches)
            }  # fmt: skip
            if visible(g.group) and visible(REFERENCE_GROUP):
                row["searches_per_1000"] = g.per_1000
                row.update(_ratio_fields(g.ratio))
            else:
                row["searches_per_1000"] = None
                row.update(_ratio_fields(None))
                row["note"] = "withheld: the group's or White searches are not shown"
            groups.append(row)
        forces.append(
            {
                "force": f.force,
                "force_name": force_name(f.force),
                "groups": groups,
                "not_stated": searches(NOT_STATED, f.not_stated),
                "not_stated_note": "searches whose self-defined ethnicity is not stated: in no "
                "group's rate",
                "groups_without_residents": list(f.without_residents),
            }
        )
    out["forces"] = forces
    return out


def _ratio_fields(ratio: RateRatio | None) -> dict[str, Any]:
    if ratio is None:
        return {"rate_ratio": None, "rate_ratio_low": None, "rate_ratio_high": None,
                "p_value": None, "interval_note": None}  # fmt: skip
    return {
        "rate_ratio": _finite(ratio.ratio),
        "rate_ratio_low": _finite(ratio.ci_low),
        "rate_ratio_high": _finite(ratio.ci_high),
        "p_value": ratio.p_value,
        "interval_note": ratio.note,
    }


def _finite(value: float) -> float | None:
    """JSON has no infinity: an unbounded end (no White searches) is written as null."""
    return value if math.isfinite(value) else None


__all__ = [
    "CAVEATS",
    "DEFINITIONS",
    "DIMENSIONS",
    "NO_POPULATION",
    "Breakdown",
    "Disproportionality",
    "ForceDisproportionality",
    "Group",
    "GroupRatio",
    "SearchCounts",
    "SearchSlice",
    "StopSearchError",
    "StopSearchResult",
    "census_group",
    "stop_search",
    "stop_search_in",
]
