"""The police.uk street aggregation: written once, in DuckDB's SQL, run on any SQL engine.

police.uk moves every crime to one of a finite set of anonymised map points, so the
crimes an analysis reads collapse into far fewer distinct (point, month, LSOA, force)
groups than there are crimes: the shared sample's 2.5 million located crimes are 1.2
million groups, and a map over years collapses further. :data:`STREET_GROUPS_SQL`,
the scan, filter and group by over ``street``, is the step that grows with the
archive; it runs on the store's own DuckDB connection by default and, transpiled by
SQLGlot, on Spark when chosen (:mod:`harmwatch.engines.policeuk`), so there is one
copy of it. The groups come back as Arrow; :class:`StreetGroups` holds them and gives
each analysis what it reads — the crimes as points (:meth:`StreetGroups.points`, the
same crimes as one row per crime), or counts weighted by ``n`` — and the statistics
(grid, KDE, Gi*, rate ratios, polygon containment) run on this machine unchanged.

The groups include the crimes without a location (``x`` NULL), so one scan answers
both "where" and "how many could not be placed".

The counts behind the report's monthly charts and change map and behind trends
(:data:`MONTH_TYPE_COUNTS_SQL`, :data:`MONTH_COUNTS_SQL`) are the same kind of scan
with a coarser key, written once here and run on either engine the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .rows import MonthTypeCount, StreetPoints, StreetScope

if TYPE_CHECKING:
    from harmwatch.engines.sql import SqlEngine

# The district of an LSOA is its name without the trailing code ("St Albans 012B" is in
# "St Albans"): police.uk carries no district column, and LSOA names are built this way.
DISTRICT_SQL = "regexp_replace(lsoa_name, ' [^ ]+$', '')"

#: The columns of ``street`` the aggregation reads (what another engine must be given).
STREET_COLUMNS = ("force", "crime_type", "month", "x", "y", "lsoa_code", "lsoa_name")

#: The group key, in the order the groups are sorted by (NULLs last).
GROUP_KEY = ("x", "y", "month", "force", "lsoa_code", "lsoa_name")


def quoted(column: str) -> str:
    """A column name quoted: SQLGlot reads a bare ``force`` as DuckDB's FORCE keyword."""
    return '"' + column.replace('"', '""') + '"'


# No ORDER BY: the groups are sorted here once they are back (StreetGroups.from_arrow),
# so their order is the same whichever engine made them, and Spark is spared a global
# sort; it is also faster than DuckDB sorting them by their strings.
STREET_GROUPS_SQL = (
    f"SELECT {', '.join(quoted(c) for c in GROUP_KEY)}, count(*) AS n FROM street "
    "WHERE {where} GROUP BY ALL"
)

# Grouped by the DATE month and labelled here, once per group: formatting every row
# first made DuckDB group by a string, and the label is then the same whichever engine
# counted.
#: Street crimes per month and crime type (the trends' and the report's counts).
MONTH_TYPE_COUNTS_SQL = (
    "SELECT month, crime_type, count(*) AS n FROM street WHERE {where} GROUP BY ALL"
)
#: Street crimes per month: the same count without the crime type in its key.
MONTH_COUNTS_SQL = "SELECT month, count(*) AS n FROM street WHERE {where} GROUP BY ALL"


def sql_in(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    """``column IN (?, …)`` and its parameters; no values: FALSE (an empty tuple matches nothing)."""
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def _month_start(month: str) -> date | None:
    try:
        return date.fromisoformat(f"{month}-01")
    except ValueError:  # not YYYY-MM: it matches no stored month
        return None


def street_where(scope: StreetScope) -> tuple[str, list[object]]:
    """The WHERE clause (DuckDB dialect, ``?`` parameters) choosing ``scope``'s street crimes.

    Months are compared as dates (every stored month is the first of its month): a
    date compares without formatting each row, and lets a Parquet reader skip row
    groups by their month statistics.
    """
    clauses: list[str] = []
    params: list[object] = []
    months = None
    if scope.months is not None:
        months = [d for d in (_month_start(m) for m in scope.months) if d is not None]
    for column, values in (
        (quoted("force"), scope.forces),
        ("crime_type", scope.crime_types),
        ("month", months),
    ):
        if values is not None:
            sql, p = sql_in(column, values)
            clauses.append(sql)
            params += p
    if scope.district is not None:
        clauses.append(f"{DISTRICT_SQL} = ?")
        params.append(scope.district)
    if scope.lsoa_name_missing:
        clauses.append("lsoa_name IS NULL")
    return " AND ".join(clauses) or "TRUE", params


def street_groups_sql(scope: StreetScope) -> tuple[str, list[object]]:
    """:data:`STREET_GROUPS_SQL` for ``scope``, and its parameters."""
    where, params = street_where(scope)
    return STREET_GROUPS_SQL.format(where=where), params


def district_of(name: str) -> str:
    """:data:`DISTRICT_SQL` for one LSOA name (on the few distinct names, not per crime)."""
    head, sep, code = name.rpartition(" ")
    return head if sep and code else name


def _strings(column: pa.ChunkedArray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A string column, in ``order``, as an object array ('' for NULL) and where it was not NULL.

    Each distinct value becomes one Python string that every row holding it shares:
    a national result repeats a few thousand names millions of times.
    """
    import pyarrow.compute as pc

    present = np.asarray(column.is_valid(), dtype=bool)[order]
    coded = pc.fill_null(column, "").combine_chunks().dictionary_encode()
    values = np.asarray(coded.dictionary.to_pylist(), dtype=object)
    return values[np.asarray(coded.indices, dtype=np.intp)[order]], present


def _months(column: pa.ChunkedArray, order: np.ndarray) -> np.ndarray:
    """DATE months, in ``order``, as 'YYYY-MM' labels, formatted once per distinct month."""
    days = np.asarray(column.cast(pa.int32()).fill_null(0), dtype=np.int64)[order]
    distinct, index = np.unique(days, return_inverse=True)
    labels = np.datetime_as_string(distinct.astype("datetime64[D]"), unit="M").astype(object)
    return labels[index]


def _floats(column: pa.ChunkedArray, order: np.ndarray) -> np.ndarray:
    present = np.asarray(column.is_valid(), dtype=bool)
    values = np.asarray(column.fill_null(0.0), dtype=float)
    return np.where(present, values, np.nan)[order]


@dataclass(frozen=True)
class StreetGroups:
    """Street crimes grouped by map point, month, force and LSOA; ``n`` crimes in each.

    ``x`` and ``y`` are NaN for the crimes without a location; ``lsoa_code`` and
    ``lsoa_name`` are '' where the crimes have none (``lsoa_named`` says which names
    were missing rather than empty).
    """

    x: np.ndarray
    y: np.ndarray
    month: np.ndarray  # 'YYYY-MM'
    force: np.ndarray
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    lsoa_named: np.ndarray
    n: np.ndarray  # int64

    @classmethod
    def from_arrow(cls, table: pa.Table) -> StreetGroups:
        """The groups from :data:`STREET_GROUPS_SQL`'s result (from any engine), sorted.

        Sorted by :data:`GROUP_KEY`, NULLs last, so every figure that depends on
        order (float sums, ties in a ranking) is repeatable and engine-independent.
        """
        import pyarrow.compute as pc  # here: its import costs every command, not only these

        order = np.asarray(
            pc.sort_indices(table, sort_keys=[(c, "ascending", "at_end") for c in GROUP_KEY]),
            dtype=np.intp,
        )
        lsoa_code, _ = _strings(table.column("lsoa_code"), order)
        lsoa_name, named = _strings(table.column("lsoa_name"), order)
        force, _ = _strings(table.column("force"), order)
        return cls(
            x=_floats(table.column("x"), order),
            y=_floats(table.column("y"), order),
            month=_months(table.column("month"), order),
            force=force,
            lsoa_code=lsoa_code,
            lsoa_name=lsoa_name,
            lsoa_named=named,
            n=np.asarray(table.column("n"), dtype=np.int64)[order],
        )

    @classmethod
    def from_points(cls, points: StreetPoints) -> StreetGroups:
        """Located crimes one to a group (a force's records: no unlocated crimes here)."""
        size = len(points.x)
        return cls(
            x=np.asarray(points.x, dtype=float),
            y=np.asarray(points.y, dtype=float),
            month=np.asarray(points.month, dtype=object),
            force=np.asarray(points.force, dtype=object),
            lsoa_code=np.asarray(points.lsoa_code, dtype=object),
            lsoa_name=np.asarray(points.lsoa_name, dtype=object),
            lsoa_named=np.asarray(points.lsoa_name, dtype=object) != "",
            n=np.ones(size, dtype=np.int64),
        )

    def __len__(self) -> int:
        return int(self.n.shape[0])

    @property
    def located(self) -> np.ndarray:
        return ~np.isnan(self.x)

    @property
    def without_location(self) -> int:
        """Crimes in the groups that have no map point."""
        return int(self.n[~self.located].sum())

    @property
    def total(self) -> int:
        return int(self.n.sum())

    def points(self) -> StreetPoints:
        """The located crimes, one entry per crime, in the groups' order."""
        keep = self.located
        times = self.n[keep]

        def each(values: np.ndarray) -> np.ndarray:
            return np.repeat(values[keep], times)

        return StreetPoints(
            x=each(self.x),
            y=each(self.y),
            month=each(self.month),
            lsoa_code=each(self.lsoa_code),
            lsoa_name=each(self.lsoa_name),
            force=each(self.force),
        )

    def in_district(self, district: str) -> np.ndarray:
        """Groups whose LSOA name puts them in ``district`` (:data:`DISTRICT_SQL`)."""
        import pandas as pd  # here, not at import: the store is opened by every command

        codes, names = pd.factorize(self.lsoa_name)
        matches = np.array([district_of(str(v)) == district for v in names] or [False])
        return self.lsoa_named & matches[np.maximum(codes, 0)]

    def count(self, where: np.ndarray | None = None, months: Sequence[str] | None = None) -> int:
        """Crimes in the groups chosen by ``where`` (a mask) and in ``months``."""
        import pandas as pd

        keep = np.ones(len(self), dtype=bool) if where is None else where
        if months is not None:
            keep = keep & np.asarray(pd.Index(self.month).isin(list(months)), dtype=bool)
        return int(self.n[keep].sum())

    def counts_by_month(self, where: np.ndarray | None = None) -> dict[str, int]:
        """Crimes per month ('YYYY-MM') in the groups chosen by ``where``; no zero months."""
        import pandas as pd

        keep = np.ones(len(self), dtype=bool) if where is None else where
        sums = pd.Series(self.n[keep]).groupby(self.month[keep], sort=True).sum()
        return {str(m): int(v) for m, v in sums.items() if v}


def street_groups(engine: SqlEngine, scope: StreetScope) -> StreetGroups:
    """Run the aggregation for ``scope`` on ``engine`` (its ``street`` table) and read it back."""
    sql, params = street_groups_sql(scope)
    return StreetGroups.from_arrow(engine.fetch_arrow(sql, params))


def _month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_type_counts(engine: SqlEngine, scope: StreetScope) -> list[MonthTypeCount]:
    """:data:`MONTH_TYPE_COUNTS_SQL` for ``scope`` on ``engine``, sorted by month and type."""
    where, params = street_where(scope)
    rows = engine.fetchall(MONTH_TYPE_COUNTS_SQL.format(where=where), params)
    counts = [MonthTypeCount(_month_label(m), str(t), int(n)) for m, t, n in rows]
    return sorted(counts, key=lambda c: (c.month, c.crime_type))


def month_counts(engine: SqlEngine, scope: StreetScope) -> dict[str, int]:
    """:data:`MONTH_COUNTS_SQL` for ``scope`` on ``engine``: 'YYYY-MM' to crimes, in order."""
    where, params = street_where(scope)
    rows = engine.fetchall(MONTH_COUNTS_SQL.format(where=where), params)
    return {_month_label(m): int(n) for m, n in sorted(rows)}
