"""Monthly counts per crime type for a force or a district, and how the latest month compares.

The overview page's question is "is it going up?". Two comparisons answer it
honestly: the latest month against the month before (short-term movement, which
seasonality confounds) and against the same month a year earlier (seasonality
removed). A comparison month that was never loaded is "no data", never zero:
police.uk publishes a zero for a crime type in a month it covers only by leaving
it out, so a missing crime type in a covered month *is* zero, but a missing month
is unknown. A month counts as covered when every selected force has it loaded.

A one-month change of a few crimes is mostly noise, so each comparison carries
the exact two-sided p-value of the Poisson rate ratio (one month against one
month, :func:`harmwatch.evaluation.rates.rate_ratio_exact`): a reader can tell a
change distinguishable from chance from one that is not before calling it a rise.
For a longer period, and its interval, see :func:`harmwatch.evaluation.change.change`.

It lives with the evaluation verbs, not in :mod:`harmwatch.timeline` (month
arithmetic, which every room uses and which imports no analysis), because it is
an analysis built on theirs: the same exact rate-ratio test and significance level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harmwatch.evaluation.change import ALPHA
from harmwatch.evaluation.rates import rate_ratio_exact
from harmwatch.evaluation.recording import police_generated
from harmwatch.evaluation.requests import TrendsRequest
from harmwatch.query.filter import Filter
from harmwatch.sources.policeuk.forces import force_slug, forces_text
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.timeline.months import add_months
from harmwatch.where.selection import (
    SelectionError,
    crime_source,
    resolve_district,
    source_notes,
)


def _p_value(now: int, then: int | None) -> float | None:
    """Two-sided exact p-value of equal monthly rates; None when the month is not loaded."""
    if then is None:
        return None
    return rate_ratio_exact(now, then, 1.0, 1.0).p_value


@dataclass
class Comparison:
    """One crime type's latest month against the previous month and the year before."""

    crime_type: str
    latest: int
    previous: int | None  # None: the previous month is not loaded (no data)
    year_ago: int | None
    # Computed here, not passed in, so a p-value can never disagree with its counts.
    p_previous: float | None = field(init=False)
    p_year: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.p_previous = _p_value(self.latest, self.previous)
        self.p_year = _p_value(self.latest, self.year_ago)

    @staticmethod
    def _change(now: int, then: int | None) -> float | None:
        if then is None or then == 0:
            return None
        return (now - then) / then

    @property
    def change_previous(self) -> float | None:
        return self._change(self.latest, self.previous)

    @property
    def change_year(self) -> float | None:
        return self._change(self.latest, self.year_ago)

    @property
    def chance_previous(self) -> bool:
        """True when the change on the previous month is within what chance alone produces."""
        return self.p_previous is not None and self.p_previous >= ALPHA

    @property
    def chance_year(self) -> bool:
        return self.p_year is not None and self.p_year >= ALPHA

    @property
    def police_generated(self) -> bool:
        """A type police find rather than victims report: its direction is not good or bad news."""
        return police_generated(self.crime_type)


@dataclass
class TrendResult:
    forces: list[str]
    district: str | None
    months: list[str]  # covered months, sorted
    table: pd.DataFrame  # month, crime_type, n; every covered month x crime type, zeros filled
    latest: str | None
    previous_month: str | None
    year_ago_month: str | None
    previous_covered: bool
    year_ago_covered: bool
    comparisons: list[Comparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def series(self, crime_type: str) -> list[tuple[str, int]]:
        rows = self.table[self.table["crime_type"] == crime_type]
        return [(str(m), int(n)) for m, n in zip(rows["month"], rows["n"], strict=True)]

    def to_dict(self) -> dict[str, object]:
        return {
            "forces": self.forces,
            "district": self.district,
            "months": self.months,
            "latest": self.latest,
            "previous_month": self.previous_month,
            "previous_month_loaded": self.previous_covered,
            "year_ago_month": self.year_ago_month,
            "year_ago_month_loaded": self.year_ago_covered,
            "comparisons": [
                {
                    "crime_type": c.crime_type,
                    "latest": c.latest,
                    "previous": c.previous,
                    "year_ago": c.year_ago,
                    "change_previous": c.change_previous,
                    "change_year": c.change_year,
                    "p_previous": c.p_previous,
                    "p_year": c.p_year,
                    "distinguishable_previous": None
                    if c.p_previous is None
                    else not c.chance_previous,
                    "distinguishable_year": None if c.p_year is None else not c.chance_year,
                    "police_generated": c.police_generated,
                }
                for c in self.comparisons
            ],
            "series": self.table.to_dict(orient="records"),
            "notes": self.notes,
        }


def monthly_trends(db_path: str | Path, request: TrendsRequest | None = None) -> TrendResult:
    """Street crimes per month and crime type for the request's forces (all loaded when none).

    Its ``district`` narrows to the LSOAs whose name starts with that district
    ("St Albans"); crimes without an LSOA cannot be placed and are left out.
    Every crime type is counted (``request.crime_types`` only says which series a
    front draws).
    """
    request = request or TrendsRequest()
    forces, district = request.forces, request.district
    with AnalyticsStore.open(db_path) as store:
        source = crime_source(
            store, Filter(all_crime_types=True, source=request.source, flags=request.flags)
        )
        loaded = source.dataset_forces("street")
        if not loaded:
            raise SelectionError("no street crimes are loaded; upload police.uk files first")
        chosen = sorted({force_slug(f) for f in forces}) if forces else loaded
        unknown = [f for f in chosen if f not in loaded]
        if unknown:
            raise SelectionError(
                f"no street crimes loaded for force(s) {', '.join(unknown)}; loaded: {', '.join(loaded)}"
            )
        months = source.covered_months(chosen)
        notes: list[str] = source_notes(source)
        if district:
            district = resolve_district(source, chosen, district)
            notes.append(
                f"district {district}: crimes whose LSOA name starts with it; crimes without "
                "an LSOA are left out"
            )
        # Every crime type: the overview shows each type's own series.
        rows = source.street_counts_by_month_and_type(
            StreetScope(forces=tuple(chosen), district=district)
        )
    counts = pd.DataFrame(
        {
            "month": pd.Series([r.month for r in rows], dtype=object),
            "crime_type": pd.Series([r.crime_type for r in rows], dtype=object),
            "n": pd.Series([r.n for r in rows], dtype="int64"),
        }
    )

    counts = counts[counts["month"].isin(months)]
    types = sorted(counts["crime_type"].unique().tolist())
    full = pd.MultiIndex.from_product([months, types], names=["month", "crime_type"])
    table = (
        counts.set_index(["month", "crime_type"])["n"]
        .reindex(full, fill_value=0)
        .astype("int64")
        .reset_index()
    )
    latest = months[-1] if months else None
    previous = add_months(latest, -1) if latest else None
    year_ago = add_months(latest, -12) if latest else None
    covered = set(months)
    by_key = {(m, t): int(n) for m, t, n in table.itertuples(index=False)}
    comparisons = []
    if latest:
        for crime_type in types:
            comparisons.append(
                Comparison(
                    crime_type=crime_type,
                    latest=by_key[(latest, crime_type)],
                    previous=by_key[(previous, crime_type)] if previous in covered else None,
                    year_ago=by_key[(year_ago, crime_type)] if year_ago in covered else None,
                )
            )
    if len(chosen) > 1:
        notes.append(f"months counted only where all of {forces_text(chosen, most=50)} are loaded")
    return TrendResult(
        forces=chosen,
        district=district,
        months=months,
        table=table,
        latest=latest,
        previous_month=previous,
        year_ago_month=year_ago,
        previous_covered=previous in covered,
        year_ago_covered=year_ago in covered,
        comparisons=comparisons,
        notes=notes,
    )
