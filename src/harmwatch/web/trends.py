"""Monthly counts per crime type for a force or a district, and how the latest month compares.

The overview page's question is "is it going up?". Two comparisons answer it
honestly: the latest month against the month before (short-term movement, which
seasonality confounds) and against the same month a year earlier (seasonality
removed). A comparison month that was never loaded is "no data", never zero:
police.uk publishes a zero for a crime type in a month it covers only by leaving
it out, so a missing crime type in a covered month *is* zero, but a missing month
is unknown. A month counts as covered when every selected force has it loaded.

This is analytics, not presentation; it lives here until a library home
(``harmwatch.timeline``) is agreed, and it reads the database only through
:func:`harmwatch.storage.analytics.connect` as the other analyses do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.storage import analytics
from harmwatch.timeline.months import add_months
from harmwatch.where.selection import SelectionError

# The district of an LSOA is its name without the trailing code ("St Albans 012B").
_DISTRICT_SQL = "regexp_replace(lsoa_name, ' [^ ]+$', '')"


@dataclass
class Comparison:
    """One crime type's latest month against the previous month and the year before."""

    crime_type: str
    latest: int
    previous: int | None  # None: the previous month is not loaded (no data)
    year_ago: int | None

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
                }
                for c in self.comparisons
            ],
            "series": self.table.to_dict(orient="records"),
            "notes": self.notes,
        }


def monthly_trends(
    db_path: str | Path, forces: Sequence[str] = (), district: str | None = None
) -> TrendResult:
    """Street crimes per month and crime type for ``forces`` (all loaded when empty).

    ``district`` narrows to the LSOAs whose name starts with that district
    ("St Albans"); crimes without an LSOA cannot be placed and are left out.
    """
    con = analytics.connect(db_path, read_only=True)
    try:
        loaded = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT force FROM datasets WHERE kind = 'street' ORDER BY 1"
            ).fetchall()
        ]
        if not loaded:
            raise SelectionError("no street crimes are loaded; upload police.uk files first")
        chosen = sorted({force_slug(f) for f in forces}) if forces else loaded
        unknown = [f for f in chosen if f not in loaded]
        if unknown:
            raise SelectionError(
                f"no street crimes loaded for force(s) {', '.join(unknown)}; loaded: {', '.join(loaded)}"
            )
        marks = ", ".join("?" * len(chosen))
        coverage = con.execute(
            f"SELECT strftime(month, '%Y-%m') AS m FROM datasets WHERE kind = 'street' "
            f"AND force IN ({marks}) GROUP BY m HAVING count(DISTINCT force) = ? ORDER BY m",
            [*chosen, len(chosen)],
        ).fetchall()
        months = [r[0] for r in coverage]
        where = f"force IN ({marks})"
        params: list[object] = list(chosen)
        notes: list[str] = []
        if district:
            known = {
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT {_DISTRICT_SQL} FROM street WHERE {where} "
                    "AND lsoa_name IS NOT NULL",
                    params,
                ).fetchall()
            }
            if district not in known:
                raise SelectionError(
                    f"no crimes in district {district!r} for {', '.join(chosen)}; "
                    f"districts: {', '.join(sorted(known))}"
                )
            where += f" AND {_DISTRICT_SQL} = ?"
            params.append(district)
            notes.append(
                f"district {district}: crimes whose LSOA name starts with it; crimes without "
                "an LSOA are left out"
            )
        counts = con.execute(
            f"SELECT strftime(month, '%Y-%m') AS month, crime_type, count(*)::BIGINT AS n "
            f"FROM street WHERE {where} GROUP BY ALL",
            params,
        ).df()
    finally:
        con.close()

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
        notes.append(f"months counted only where all of {', '.join(chosen)} are loaded")
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
