"""What happened to drug crimes: outcome shares by month of the crime, and time to outcome.

For one or more forces, a crime type (default "Drugs") and loaded street-crime
months (default: every month all the forces have loaded), each street crime is
given one outcome:

1. the **latest outcome the loaded outcomes files hold** for its Crime ID (the
   row of the latest month; within a month, the last row of that month's file);
2. where no outcome row joins, the street file's own **"Last outcome category"**
   (as at the time police.uk made the file).

How many outcomes came from each is counted. Crimes without a Crime ID (police.uk
gives none to anti-social behaviour) cannot be joined and are counted and left
out. Each street row is one crime, as everywhere in harmwatch; police.uk prints a
few crimes on two rows with one Crime ID, and each row is counted.

Every outcome category is mapped onto a group by :data:`OUTCOME_GROUPS`; a
category the table does not hold is refused, naming it, rather than counted as
"other". The groups, and the categories found in the shared police.uk files
(``../shared/data/police-uk``: "Last outcome category" of the street files and
"Outcome type" of the outcomes files):

===================================================  ==========================================
group                                                police.uk categories
===================================================  ==========================================
charged (court outcomes included)                    Suspect charged; Suspect charged as part of
                                                     another case; Awaiting court outcome;
                                                     Defendant sent to Crown Court; Court result
                                                     unavailable; Court case unable to proceed;
                                                     Defendant found not guilty; Offender sent to
                                                     prison; Offender given suspended prison
                                                     sentence; Offender given community sentence;
                                                     Offender fined; Offender given conditional
                                                     discharge; Offender given absolute discharge;
                                                     Offender ordered to pay compensation;
                                                     Offender deprived of property; Offender
                                                     otherwise dealt with
cautioned                                            Offender given a caution
community resolution                                 Local resolution (police.uk's name for it)
other out-of-court disposal                          Offender given a drugs possession warning;
                                                     Offender given penalty notice
no further action / unable to prosecute              Unable to prosecute suspect; Formal action is
                                                     not in the public interest; Further action
                                                     is not in the public interest; Further
                                                     investigation is not in the public interest
no suspect identified                                Investigation complete; no suspect identified
passed to another organisation                       Action to be taken by another organisation
still under investigation                            Under investigation
outcome not known                                    Status update unavailable; no outcome at all
                                                     (a blank street outcome and no outcome row)
===================================================  ==========================================

Every court result counts as charged: a court hears a case only once a suspect
has been charged or summonsed, and police.uk replaces "Suspect charged" with the
court's result when it has one. A charge is not a conviction.

Shares are ``k/n`` of the crimes with a Crime ID, with exact Clopper–Pearson 95 %
intervals (:mod:`harmwatch.oversight.shares`), overall and per month of the crime.
**Time to outcome** is the months from the crime's month to the month of its
outcome row, for outcomes from the outcomes files (a street file's last outcome
has no month); median and quartiles are those of all such crimes in the group,
interpolated linearly between order statistics (numpy's and pandas' default).
An outcome dated before its crime's month (police.uk moves a crime's month when
it is re-dated) is left out of the times and counted.

Counting is done in DuckDB (one join and ``GROUP BY``); Python maps the
categories onto groups and adds up the grouped rows.

:meth:`CrimeOutcomesResult.to_dict` with ``suppressed=True`` is the view for
people who may not see small numbers (see :class:`_Protection`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harmwatch.errors import InputError
from harmwatch.evaluation.evaluate import DRUGS_CAVEAT
from harmwatch.outputs.suppression import NOTE, THRESHOLD, Status, suppress, suppress_counts
from harmwatch.sources.policeuk.forces import force_name, forces_text
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.timeline.months import periods_text, runs_text

from .police_scope import open_rows, resolve_scope, scope_where
from .shares import Share, share

DEFAULT_CRIME_TYPE = "Drugs"

CHARGED = "charged"
CAUTIONED = "cautioned"
COMMUNITY_RESOLUTION = "community resolution"
OTHER_OUT_OF_COURT = "other out-of-court disposal"
NO_FURTHER_ACTION = "no further action / unable to prosecute"
NO_SUSPECT = "no suspect identified"
ANOTHER_ORGANISATION = "passed to another organisation"
UNDER_INVESTIGATION = "still under investigation"
NOT_KNOWN = "outcome not known"

#: The groups in the order a report lists them.
GROUPS = (
    CHARGED,
    CAUTIONED,
    COMMUNITY_RESOLUTION,
    OTHER_OUT_OF_COURT,
    NO_FURTHER_ACTION,
    NO_SUSPECT,
    ANOTHER_ORGANISATION,
    UNDER_INVESTIGATION,
    NOT_KNOWN,
)

#: police.uk outcome category (street "Last outcome category", outcomes "Outcome type") -> group.
OUTCOME_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "Suspect charged": CHARGED,
        "Suspect charged as part of another case": CHARGED,
        "Awaiting court outcome": CHARGED,
        "Defendant sent to Crown Court": CHARGED,
        "Court result unavailable": CHARGED,
        "Court case unable to proceed": CHARGED,
        "Defendant found not guilty": CHARGED,
        "Offender sent to prison": CHARGED,
        "Offender given suspended prison sentence": CHARGED,
        "Offender given community sentence": CHARGED,
        "Offender fined": CHARGED,
        "Offender given conditional discharge": CHARGED,
        "Offender given absolute discharge": CHARGED,
        "Offender ordered to pay compensation": CHARGED,
        "Offender deprived of property": CHARGED,
        "Offender otherwise dealt with": CHARGED,
        "Offender given a caution": CAUTIONED,
        "Local resolution": COMMUNITY_RESOLUTION,
        "Offender given a drugs possession warning": OTHER_OUT_OF_COURT,
        "Offender given penalty notice": OTHER_OUT_OF_COURT,
        "Unable to prosecute suspect": NO_FURTHER_ACTION,
        "Formal action is not in the public interest": NO_FURTHER_ACTION,
        "Further action is not in the public interest": NO_FURTHER_ACTION,
        "Further investigation is not in the public interest": NO_FURTHER_ACTION,
        "Investigation complete; no suspect identified": NO_SUSPECT,
        "Action to be taken by another organisation": ANOTHER_ORGANISATION,
        "Under investigation": UNDER_INVESTIGATION,
        "Status update unavailable": NOT_KNOWN,
    }
)

CAVEATS = (
    "Outcomes are as at the time police.uk's files were made: a recent month's crimes have had "
    "less time to reach an outcome, so their share still under investigation is higher and their "
    "share charged lower; compare months with that in mind.",
    "The outcomes files hold the outcomes recorded in the months loaded; a crime whose latest "
    "outcome came after the last loaded outcomes month shows an earlier one, or the street "
    "file's.",
    "Charged includes every court result; a charge is not a conviction.",
)


class OutcomeCategoryError(InputError):
    """An outcome category the mapping does not hold: it is named, never counted as other."""


def outcome_group(category: str | None, where: str = "outcome") -> str:
    """The group of a police.uk outcome category; a blank one is "outcome not known"."""
    if category is None or not category.strip():
        return NOT_KNOWN
    try:
        return OUTCOME_GROUPS[category.strip()]
    except KeyError:
        raise OutcomeCategoryError(
            f"{where}: {category!r} is not a police.uk outcome category harmwatch maps onto a "
            "group; add it to harmwatch.oversight.crime_outcomes.OUTCOME_GROUPS with the group "
            "it belongs to"
        ) from None


@dataclass(frozen=True)
class TimeToOutcome:
    """Months from the crime's month to its outcome's: how many, median and quartiles."""

    crimes: int
    median: float | None
    q1: float | None
    q3: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "crimes_with_time": self.crimes,
            "median_months": self.median,
            "q1_months": self.q1,
            "q3_months": self.q3,
        }


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    crimes: int
    share: Share
    time_to_outcome: TimeToOutcome


@dataclass(frozen=True)
class MonthOutcomes:
    month: str
    crimes: int
    counts: Mapping[str, int]  # group -> crimes (every group, 0 included)

    def share(self, group: str) -> Share:
        return share(self.counts[group], self.crimes)


@dataclass(frozen=True)
class CrimeOutcomesResult:
    forces: tuple[str, ...]
    months: tuple[str, ...]
    crime_type: str
    crimes: int  # with a Crime ID: the denominator of every share
    without_crime_id: int
    from_outcomes: int
    from_street: int
    outcome_before_crime: int
    groups: tuple[GroupOutcome, ...]
    by_month: tuple[MonthOutcomes, ...]
    time_to_outcome: TimeToOutcome
    outcome_months: Mapping[str, tuple[str, ...]]  # force -> outcomes months loaded
    categories: Mapping[str, int]  # police.uk category as found -> crimes
    defaults_chosen: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    caveats: tuple[str, ...] = CAVEATS

    @property
    def period(self) -> str:
        return periods_text(self.months)

    @property
    def title(self) -> str:
        return (
            f"What happened to {self.crime_type} crimes, {forces_text(self.forces)}, {self.period}"
        )

    def group(self, name: str) -> GroupOutcome:
        return next(g for g in self.groups if g.group == name)

    def to_dict(self, *, suppressed: bool = False) -> dict[str, Any]:
        """Counts as integers, shares with their intervals; ``suppressed``: the aggregate view."""
        hide = _Protection(self) if suppressed else None
        out: dict[str, Any] = {
            "title": self.title,
            "forces": list(self.forces),
            "force_names": [force_name(f) for f in self.forces],
            "crime_type": self.crime_type,
            "months": list(self.months),
            "period": self.period,
            "suppressed": suppressed,
            "crimes": self._count(hide, "grand", self.crimes),
            "without_crime_id": self._count(hide, "without_crime_id", self.without_crime_id),
            "from_outcomes": self._count(hide, "from_outcomes", self.from_outcomes),
            "from_street": self._count(hide, "from_street", self.from_street),
            "outcome_before_crime": self._count(
                hide, "outcome_before_crime", self.outcome_before_crime
            ),
            "outcome_months": {
                f: runs_text(m) if m else "none" for f, m in self.outcome_months.items()
            },
            "groups": [self._group_dict(g, hide) for g in self.groups],
            "by_month": [self._month_dict(m, hide) for m in self.by_month],
            "time_to_outcome": self._time_dict(self.time_to_outcome, hide, "grand"),
            "mapping": dict(OUTCOME_GROUPS),
            "categories_found": None if hide else dict(self.categories),
            "defaults_chosen": list(self.defaults_chosen),
            "notes": list(self.notes),
            "caveats": list(self.caveats),
        }
        if hide is not None:
            out["suppression"] = hide.notes()
        return out

    def suppressed(self) -> dict[str, Any]:
        """The view for people who may not see small numbers (a PCC viewer, a report)."""
        return self.to_dict(suppressed=True)

    @staticmethod
    def _count(hide: _Protection | None, key: str, value: int) -> int | str:
        return value if hide is None else hide.shown(("total", key), value)

    def _group_dict(self, g: GroupOutcome, hide: _Protection | None) -> dict[str, Any]:
        out: dict[str, Any] = {"group": g.group}
        if hide is None:
            out["crimes"] = g.crimes
            out.update(g.share.fields("share"))
        else:
            out["crimes"] = hide.shown(("group", g.group), g.crimes)
            if hide.is_shown(("group", g.group)) and hide.is_shown(("total", "grand")):
                out.update(g.share.fields("share"))
            else:
                out.update(_no_share())
        out["time_to_outcome"] = self._time_dict(g.time_to_outcome, hide, g.group)
        return out

    def _month_dict(self, m: MonthOutcomes, hide: _Protection | None) -> dict[str, Any]:
        total = ("month", m.month)
        out: dict[str, Any] = {
            "month": m.month,
            "crimes": m.crimes if hide is None else hide.shown(total, m.crimes),
        }
        groups = []
        for name in GROUPS:
            cell = ("cell", m.month, name)
            row: dict[str, Any] = {"group": name}
            if hide is None:
                row["crimes"] = m.counts[name]
                row.update(m.share(name).fields("share"))
            else:
                row["crimes"] = hide.shown(cell, m.counts[name])
                if hide.is_shown(cell) and hide.is_shown(total):
                    row.update(m.share(name).fields("share"))
                else:
                    row.update(_no_share())
            groups.append(row)
        out["groups"] = groups
        if hide is not None and hide.pooled:
            cell = ("cell", m.month, POOLED)
            k = sum(m.counts[g] for g in hide.pooled)
            pooled: dict[str, Any] = {
                "groups": list(hide.pooled),
                "crimes": hide.shown(cell, k),
            }
            if hide.is_shown(cell) and hide.is_shown(total):
                pooled.update(share(k, m.crimes).fields("share"))
            else:
                pooled.update(_no_share())
            out["pooled"] = pooled
        return out

    def _time_dict(self, t: TimeToOutcome, hide: _Protection | None, group: str) -> dict[str, Any]:
        if hide is None:
            return t.to_dict()
        key = ("total", "grand") if group == "grand" else ("group", group)
        if hide.is_shown(key) and t.crimes >= THRESHOLD:
            return {**t.to_dict(), "crimes_with_time": NOT_SHOWN}
        return {
            "crimes_with_time": NOT_SHOWN,
            "median_months": None,
            "q1_months": None,
            "q3_months": None,
            "note": "withheld: fewer than 5 crimes, or the group's count is not shown",
        }


def _no_share() -> dict[str, Any]:
    return {
        "share": None,
        "share_low": None,
        "share_high": None,
        "share_note": "withheld: its count or its total is not shown",
    }


# -- computing ---------------------------------------------------------------------------


def crime_outcomes(
    db_path: str | Path,
    forces: Sequence[str] = (),
    months: Sequence[str] | None = None,
    crime_type: str = DEFAULT_CRIME_TYPE,
) -> CrimeOutcomesResult:
    """What happened to the forces' crimes of ``crime_type`` (see the module)."""
    with AnalyticsStore.open(db_path) as store:
        return crime_outcomes_in(store, forces, months, crime_type)


def crime_outcomes_in(
    store: AnalyticsStore,
    forces: Sequence[str] = (),
    months: Sequence[str] | None = None,
    crime_type: str = DEFAULT_CRIME_TYPE,
) -> CrimeOutcomesResult:
    """:func:`crime_outcomes` on an open store."""
    scope = resolve_scope(store, forces, months, "street")
    crime_type = crime_type.strip()
    known = store.street_crime_types(list(scope.forces))
    if crime_type not in known:
        raise InputError(
            f"crime type: {crime_type!r} is not among {forces_text(scope.forces)}'s street crimes; "
            f"loaded crime types: {', '.join(known)}"
        )
    where, params = scope_where(scope)
    crimes_where = f"crime_type = ? AND {where}"
    crimes_params: list[object] = [crime_type, *params]
    without_id = int(
        open_rows(
            store,
            ("street",),
            f"SELECT count(*) FROM street WHERE {crimes_where} AND crime_id IS NULL",
            crimes_params,
        )[0][0]
    )
    force_in = ", ".join("?" * len(scope.forces))
    sql = f"""
        WITH crimes AS (
            SELECT force, month, crime_id, last_outcome_category FROM street
            WHERE {crimes_where} AND crime_id IS NOT NULL
        ),
        latest AS (
            SELECT force, crime_id, outcome_type, month FROM outcomes
            WHERE force IN ({force_in}) AND crime_id IN (SELECT crime_id FROM crimes)
            QUALIFY row_number() OVER (
                PARTITION BY force, crime_id ORDER BY month DESC, load_id DESC, line DESC
            ) = 1
        )
        SELECT strftime(c.month, '%Y-%m') AS crime_month,
               coalesce(l.outcome_type, c.last_outcome_category) AS category,
               l.crime_id IS NOT NULL AS from_outcomes,
               datediff('month', c.month, l.month) AS months_to_outcome,
               count(*) AS crimes
        FROM crimes c
        LEFT JOIN latest l ON l.force = c.force AND l.crime_id = c.crime_id
        GROUP BY ALL ORDER BY ALL
    """
    rows = open_rows(store, ("street", "outcomes"), sql, [*crimes_params, *scope.forces])
    by_month: dict[str, dict[str, int]] = {m: dict.fromkeys(GROUPS, 0) for m in scope.months}
    times: dict[str, list[tuple[int, int]]] = {g: [] for g in GROUPS}
    categories: dict[str, int] = {}
    from_outcomes = from_street = before = 0
    for month, category, joined, lag, n in rows:
        n = int(n)
        source = "outcomes: outcome_type" if joined else "street: last_outcome_category"
        group = outcome_group(category, source)
        by_month[month][group] += n
        label = category if category else "(blank)"
        categories[label] = categories.get(label, 0) + n
        if joined:
            from_outcomes += n
            if lag < 0:
                before += n
            else:
                times[group].append((int(lag), n))
        else:
            from_street += n
    total = from_outcomes + from_street
    group_totals = {g: sum(m[g] for m in by_month.values()) for g in GROUPS}
    groups = tuple(
        GroupOutcome(g, group_totals[g], share(group_totals[g], total), _time(times[g]))
        for g in GROUPS
    )
    months_out = tuple(
        MonthOutcomes(m, sum(c.values()), MappingProxyType(c)) for m, c in by_month.items()
    )
    outcome_months = {f: tuple(store.loaded_months([f], "outcomes")) for f in scope.forces}
    notes = list(scope.notes)
    notes.append(
        "outcome: the latest the loaded outcomes files hold for the Crime ID "
        f"({from_outcomes:,} crimes), else the street file's last outcome category "
        f"({from_street:,})"
    )
    for f, loaded in outcome_months.items():
        notes.append(
            f"{force_name(f)}: outcomes files loaded for {runs_text(loaded)}"
            if loaded
            else f"{force_name(f)}: no outcomes files loaded; every outcome is the street file's"
        )
    if without_id:
        notes.append(
            f"{without_id:,} {crime_type} crimes have no Crime ID and cannot be joined to an "
            "outcome: they are left out of every share"
        )
    if before:
        notes.append(
            f"{before:,} outcomes are dated before their crime's month (the crime re-dated at "
            "source): they count in the shares but not in the times to outcome"
        )
    caveats = (*CAVEATS, DRUGS_CAVEAT) if crime_type == "Drugs" else CAVEATS
    every_time = [t for g in GROUPS for t in times[g]]
    return CrimeOutcomesResult(
        forces=scope.forces,
        months=scope.months,
        crime_type=crime_type,
        crimes=total,
        without_crime_id=without_id,
        from_outcomes=from_outcomes,
        from_street=from_street,
        outcome_before_crime=before,
        groups=groups,
        by_month=months_out,
        time_to_outcome=_time(every_time),
        outcome_months=MappingProxyType(outcome_months),
        categories=MappingProxyType(dict(sorted(categories.items()))),
        defaults_chosen=scope.defaults_chosen,
        notes=tuple(notes),
        caveats=caveats,
    )


def weighted_quantile(values: Sequence[tuple[int, int]], p: float) -> float | None:
    """The ``p`` quantile of values given as (value, how many), linear between order statistics.

    For the ``N`` values sorted, ``x₀ ≤ … ≤ x_{N−1}``, it is ``x_j + (h − j)(x_{j+1} − x_j)``
    with ``h = (N − 1)p`` and ``j = ⌊h⌋``: numpy's and pandas' default ("linear", Hyndman &
    Fan's type 7), without expanding the counts.
    """
    ordered = sorted((v, n) for v, n in values if n > 0)
    count = sum(n for _, n in ordered)
    if count == 0:
        return None
    h = (count - 1) * p
    j = math.floor(h)

    def at(index: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if index < seen:
                return value
        return ordered[-1][0]

    low, high = at(j), at(min(j + 1, count - 1))
    return float(low + (h - j) * (high - low))


def _time(values: Sequence[tuple[int, int]]) -> TimeToOutcome:
    return TimeToOutcome(
        crimes=sum(n for _, n in values),
        median=weighted_quantile(values, 0.5),
        q1=weighted_quantile(values, 0.25),
        q3=weighted_quantile(values, 0.75),
    )


# -- the suppressed view -----------------------------------------------------------------

NOT_SHOWN = "not shown"  # a figure the view leaves out: no bound implied
FEWER = "fewer than 5"
WITHHELD = "withheld"  # by the rule's secondary suppression: 5 or more
POOLED = "pooled"  # the aggregate view's by-month row of the groups with small months
Key = tuple[str, ...]


class _Protection:
    """Which figures the suppressed view shows, by the one rule.

    The crimes by outcome group and month of the crime are one table with its
    totals along both sides (crimes per group, per month, all crimes), and go
    through :func:`~harmwatch.outputs.suppression.suppress` together — except
    that the groups with a count from 1 to 4 in any month are shown by month only
    together, as one pooled row (:data:`POOLED`). One force's drug crimes by
    outcome and month hold many such counts; left apart, protecting each makes
    the rule withhold most of the table (and its exact check of a 9 × 36 table
    take minutes), while pooled they leave the larger groups' months shown. Each
    pooled group's own total is then protected as a list whose total is the
    pooled row's (or, where the rule hides the pooled row's total, is not shown).
    A table holding a figure the rule cannot protect shows no
    months, and every group's total is protected as one list instead.

    How many outcomes came from each source is a list with the shown total of
    all crimes; the crimes without a Crime ID and the outcomes dated before their
    crime are single counts (1 to 4: "fewer than 5"). A share is shown only where
    its count and its total are; a group's times to outcome only where its count
    is shown and rests on 5 crimes or more (and how many is not shown: with the
    source counts it could give a small count away).
    """

    def __init__(self, result: CrimeOutcomesResult) -> None:
        self.labels: dict[Key, str] = {}
        months = [m.month for m in result.by_month]
        self.pooled = tuple(
            g for g in GROUPS if any(1 <= m.counts[g] < THRESHOLD for m in result.by_month)
        )
        apart = [g for g in GROUPS if g not in self.pooled]
        rows = [[m.counts[g] for m in result.by_month] for g in apart]
        names = [*apart]
        if self.pooled:
            rows.append([sum(m.counts[g] for g in self.pooled) for m in result.by_month])
            names.append(POOLED)
        table = suppress(rows, row_totals=True, column_totals=True, grand_total=True)
        for m in months:
            for g in self.pooled:
                self.labels[("cell", m, g)] = NOT_SHOWN
        if table.exposed:
            for m in months:
                self.labels[("month", m)] = NOT_SHOWN
                for g in (*GROUPS, POOLED):
                    self.labels[("cell", m, g)] = NOT_SHOWN
            groups = suppress_counts([result.group(g).crimes for g in GROUPS], total=True)
            self._read(groups.status[:, 0], [("group", g) for g in GROUPS])
            assert groups.column_status is not None
            self._set(("total", "grand"), groups.column_status[0])
        else:
            self._read(table.status.reshape(-1), [("cell", m, g) for g in names for m in months])
            assert table.row_status is not None and table.column_status is not None
            self._read(table.row_status, [("group", g) for g in names])
            self._read(table.column_status, [("month", m) for m in months])
            assert table.grand_status is not None
            self._set(("total", "grand"), table.grand_status)
            if self.pooled and not self.is_shown(("group", POOLED)):
                for g in self.pooled:  # their totals would add up to the hidden pooled total
                    self.labels[("group", g)] = NOT_SHOWN
            elif self.pooled:
                inside = suppress_counts(
                    [result.group(g).crimes for g in self.pooled], total=True, total_fixed=True
                )
                self._read(inside.status[:, 0], [("group", g) for g in self.pooled])
        if self.is_shown(("total", "grand")):
            split = suppress_counts(
                [result.from_outcomes, result.from_street], total=True, total_fixed=True
            )
            for key, status in zip(
                ("from_outcomes", "from_street"), split.status[:, 0], strict=True
            ):
                self._set(("total", key), status)
        else:
            self.labels[("total", "from_outcomes")] = NOT_SHOWN
            self.labels[("total", "from_street")] = NOT_SHOWN
        for key, value in (
            ("without_crime_id", result.without_crime_id),
            ("outcome_before_crime", result.outcome_before_crime),
        ):
            if 1 <= value < THRESHOLD:
                self.labels[("total", key)] = FEWER

    def _read(self, statuses: Any, keys: Sequence[Key]) -> None:
        for key, status in zip(keys, statuses, strict=True):
            self._set(key, status)

    def _set(self, key: Key, status: Status) -> None:
        if status is Status.FEWER:
            self.labels[key] = FEWER
        elif status is Status.WITHHELD:
            self.labels[key] = WITHHELD

    def is_shown(self, key: Key) -> bool:
        return key not in self.labels

    def shown(self, key: Key, value: int) -> int | str:
        return self.labels.get(key, value)

    def notes(self) -> list[str]:
        notes = [NOTE]
        if self.pooled:
            notes.append(
                f"By month, {', '.join(self.pooled)} are shown together ('pooled'): each has a "
                "month with fewer than 5 crimes; their totals over the period are shown apart."
            )
        notes += [
            f"'{NOT_SHOWN}': a figure the view leaves out; it implies no bound.",
            "A share (and its interval) is null where its count or its total is not shown.",
            "Times to outcome are shown for groups of 5 crimes or more whose count is shown.",
        ]
        return notes


__all__ = [
    "CAVEATS",
    "DEFAULT_CRIME_TYPE",
    "GROUPS",
    "OUTCOME_GROUPS",
    "CrimeOutcomesResult",
    "GroupOutcome",
    "MonthOutcomes",
    "OutcomeCategoryError",
    "TimeToOutcome",
    "crime_outcomes",
    "crime_outcomes_in",
    "outcome_group",
    "weighted_quantile",
]
