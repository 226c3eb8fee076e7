"""A force's own crime records asked the questions the analyses ask of police.uk.

Every analysis (hotspots, emerging hotspots, forecasts, patrol plans, change,
evaluation, trends) asks its crimes of a *source* with the store's street-crime
questions (``street_points``, ``street_counts_by_month``, ``covered_months`` …).
For police.uk the source is the :class:`~harmwatch.storage.analytics.AnalyticsStore`
itself; for ``--source force-records`` it is :class:`ForceRecordsSource`, which
answers the same questions from ``force_crimes``, so an analysis runs unchanged on
either and says which it used.

What it counts: rows whose status is recorded and whose class is notifiable
(``counted``), of the files in the caller's :class:`~.service.Grant`, with the
filter's flags. A crime's month is the local month it was **committed** (its
``committed from``), not police.uk's month of recording: the reconciliation page
shows what that changes. Its place is exact for a grant with ``exact``; for a viewer
of aggregates each point is moved to the centre of its
:data:`~.kinds.AGGREGATE_CELL_M` m cell of the British National Grid *in the SQL*,
before any row leaves the store, so no exact place reaches them even in memory.

"Covered" months are the months the files' crimes were recorded in (the span of the
export): a month before it holds only crimes committed then and reported later, so
it is never offered as a month of data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.analytics.rows import (
    LsoaFootprints,
    MonthTypeCount,
    StreetPoints,
    StreetScope,
)

from .flags import expand_flags
from .kinds import AGGREGATE_CELL_M
from .service import SCOPE, TABLES, Grant, current_grant

DISTRICT = "district"
_MONTH = "strftime(committed_month, '%Y-%m')"


@dataclass(frozen=True)
class CrimeTimes:
    """When each located crime happened, in the order of :meth:`street_points` (UTC)."""

    start_utc: np.ndarray  # datetime64[s]
    end_utc: np.ndarray  # datetime64[s]; NaT where the time is known exactly


def _datetimes(values: object) -> np.ndarray:
    """Timestamps as datetime64[s], NULL as NaT (DuckDB gives NULLs as a masked array)."""
    if isinstance(values, np.ma.MaskedArray):
        as_seconds = np.ma.asarray(values).astype("datetime64[s]")
        return np.asarray(np.ma.filled(as_seconds, np.datetime64("NaT", "s")))
    return np.asarray(values).astype("datetime64[s]")


def _in(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


class ForceRecordsSource:
    """The street-crime questions, answered from the granted force records."""

    kind = "force-records"

    def __init__(
        self,
        store: AnalyticsStore,
        flags: Sequence[str] = (),
        grant: Grant | None = None,
        *,
        offence_classes: Sequence[str] = (),
    ):
        self.store = store
        self.grant = grant or current_grant()
        self.flags = expand_flags(flags)
        self.offence_classes = tuple(offence_classes)
        self._con = store.room_connection(TABLES, scoped_by=SCOPE)
        self._times: dict[StreetScope, CrimeTimes] = {}

    # -- the scope --------------------------------------------------------------------

    def _base(self) -> tuple[str, list[object]]:
        where, params = _in("file_id", list(self.grant.file_ids))
        clauses = [where, "counted"]
        if self.flags:
            clauses.append(
                "list_has_any(flags, [" + ", ".join("?" * len(self.flags)) + "]::VARCHAR[])"
            )
            params += list(self.flags)
        if self.offence_classes:
            sql, p = _in("offence_code", list(self.offence_classes))
            clauses.append(sql)
            params += p
        return " AND ".join(clauses), params

    def _where(self, scope: StreetScope) -> tuple[str, list[object]]:
        where, params = self._base()
        clauses = [where]
        for column, values in (
            ("force", scope.forces),
            ("crime_type", scope.crime_types),
            (_MONTH, scope.months),
        ):
            if values is not None:
                sql, p = _in(column, values)
                clauses.append(sql)
                params += p
        if scope.district is not None:
            clauses.append("district = ?")
            params.append(scope.district)
        if scope.lsoa_name_missing:
            clauses.append("district IS NULL")
        return " AND ".join(clauses), params

    def _rows(self, sql: str, params: Sequence[object], question: str) -> list[tuple]:
        rows = self._con.execute(sql, list(params)).fetchall()
        self.grant.questions.append(question)
        return rows

    def _xy(self) -> str:
        if self.grant.exact:
            return "x, y"
        cell = AGGREGATE_CELL_M
        return (
            f"floor(x / {cell}) * {cell} + {cell / 2} AS x, "
            f"floor(y / {cell}) * {cell} + {cell / 2} AS y"
        )

    # -- what is loaded ---------------------------------------------------------------

    def street_forces(self) -> list[str]:
        where, params = self._base()
        return [
            str(r[0])
            for r in self._rows(
                f"SELECT DISTINCT force FROM force_crimes WHERE {where} ORDER BY 1",
                params,
                "forces",
            )
        ]

    def dataset_forces(self, kind: str = "street") -> list[str]:
        return self.street_forces()

    def street_crime_types(self, forces: Sequence[str] | None = None) -> list[str]:
        where, params = self._where(StreetScope(forces=tuple(forces) if forces else None))
        return [
            str(r[0])
            for r in self._rows(
                f"SELECT DISTINCT crime_type FROM force_crimes WHERE {where} ORDER BY 1",
                params,
                "crime types",
            )
        ]

    def _recorded_span(self, forces: Sequence[str] | None) -> list[str]:
        """The months the files' crimes were recorded in, first to last, every month."""
        where, params = _in("file_id", list(self.grant.file_ids))
        if forces:
            f_sql, f_params = _in("force", list(forces))
            where, params = f"{where} AND {f_sql}", params + f_params
        row = self._rows(
            "SELECT strftime(min(coalesce(recorded_month, committed_month)), '%Y-%m'), "
            "strftime(max(coalesce(recorded_month, committed_month)), '%Y-%m') "
            f"FROM force_crimes WHERE {where}",
            params,
            "months recorded",
        )[0]
        if row[0] is None:
            return []
        from harmwatch.timeline.months import month_range

        return list(month_range(str(row[0]), str(row[1])))

    def street_months(self, scope: StreetScope) -> list[str]:
        where, params = self._where(scope)
        have = {
            str(r[0])
            for r in self._rows(
                f"SELECT DISTINCT {_MONTH} FROM force_crimes WHERE {where}", params, "months"
            )
        }
        span = self._recorded_span(scope.forces)
        return [m for m in span if m in have]

    def covered_months(self, forces: Sequence[str], kind: str = "street") -> list[str]:
        spans = [set(self._recorded_span([f])) for f in forces] or [set()]
        return sorted(set.intersection(*spans))

    def loaded_months(self, forces: Sequence[str], kind: str = "street") -> list[str]:
        return self._recorded_span(list(forces))

    def lsoa_vintages(
        self,
        forces: Sequence[str] | None = None,
        months: Sequence[str] | None = None,
        kind: str = "street",
    ) -> set[str]:
        """A force's records carry the LSOA codes its system assigns; their vintage is not said."""
        return set()

    # -- the crimes -----------------------------------------------------------------

    def _points_sql(self, scope: StreetScope, columns: str) -> tuple[str, list[object]]:
        where, params = self._where(scope)
        return (
            f"SELECT {columns} FROM force_crimes WHERE {where} AND x IS NOT NULL "
            "ORDER BY file_id, line",
            params,
        )

    def street_points(self, scope: StreetScope) -> StreetPoints:
        sql, params = self._points_sql(
            scope,
            f"{self._xy()}, {_MONTH} AS month, coalesce(lsoa_code, '') AS lsoa_code, "
            "CASE WHEN district IS NULL THEN '' ELSE district || ' ' || coalesce(lsoa_code, '-') "
            "END AS lsoa_name, force, committed_from, committed_to",
        )
        rows = self._con.execute(sql, params).fetchnumpy()
        self.grant.questions.append("points" if self.grant.exact else "points in 250 m cells")
        self.grant.crimes_read += len(rows["x"])
        # The times come in the same scan: street_times gives them without reading again.
        self._times[scope] = CrimeTimes(
            start_utc=_datetimes(rows["committed_from"]),
            end_utc=_datetimes(rows["committed_to"]),
        )
        return StreetPoints(
            x=np.asarray(rows["x"], dtype=float),
            y=np.asarray(rows["y"], dtype=float),
            month=np.asarray(rows["month"], dtype=object),
            lsoa_code=np.asarray(rows["lsoa_code"], dtype=object),
            lsoa_name=np.asarray(rows["lsoa_name"], dtype=object),
            force=np.asarray(rows["force"], dtype=object),
        )

    def street_times(self, scope: StreetScope) -> CrimeTimes:
        """When each of :meth:`street_points`' crimes happened, in the same order."""
        if scope in self._times:
            return self._times.pop(scope)
        sql, params = self._points_sql(scope, "committed_from, committed_to")
        rows = self._con.execute(sql, params).fetchnumpy()
        self.grant.questions.append("times")
        start = _datetimes(rows["committed_from"])
        end = _datetimes(rows["committed_to"])
        return CrimeTimes(start_utc=start, end_utc=end)

    def street_count(self, scope: StreetScope, *, located: bool | None = None) -> int:
        where, params = self._where(scope)
        if located is not None:
            where += " AND x IS NOT NULL" if located else " AND x IS NULL"
        n = int(
            self._rows(f"SELECT count(*) FROM force_crimes WHERE {where}", params, "count")[0][0]
        )
        return n

    def street_counts_by_month(self, scope: StreetScope) -> dict[str, int]:
        where, params = self._where(scope)
        rows = self._rows(
            f"SELECT {_MONTH}, count(*) FROM force_crimes WHERE {where} GROUP BY 1",
            params,
            "counts by month",
        )
        self.grant.crimes_read += sum(int(n) for _, n in rows)
        return {str(m): int(n) for m, n in rows}

    def street_counts_by_month_and_type(self, scope: StreetScope) -> list[MonthTypeCount]:
        where, params = self._where(scope)
        rows = self._rows(
            f"SELECT {_MONTH}, crime_type, count(*) FROM force_crimes WHERE {where} GROUP BY ALL",
            params,
            "counts by month and type",
        )
        self.grant.crimes_read += sum(int(n) for *_, n in rows)
        return [MonthTypeCount(str(m), str(t), int(n)) for m, t, n in rows]

    def district_counts(self, forces: Sequence[str]) -> dict[str, int]:
        where, params = self._where(StreetScope(forces=tuple(forces)))
        return {
            str(k): int(n)
            for k, n in self._rows(
                f"SELECT district, count(*) FROM force_crimes WHERE {where} "
                "AND district IS NOT NULL GROUP BY 1",
                params,
                "counts by district",
            )
        }

    def lsoa_footprints(self, forces: Sequence[str]) -> LsoaFootprints:
        """Where each LSOA's crimes are: police.uk's open snap points when loaded (they
        outline the LSOAs without giving away a crime), else the records' own points,
        coarsened for a viewer of aggregates."""
        open_fp = self.store.lsoa_footprints(forces) if self.store.street_forces() else None
        if open_fp is not None and len(open_fp.x):
            return open_fp
        where, params = self._where(StreetScope(forces=tuple(forces)))
        sql = (
            f"SELECT DISTINCT {self._xy()}, lsoa_code, force FROM force_crimes WHERE {where} "
            "AND x IS NOT NULL AND lsoa_code IS NOT NULL"
        )
        fp = self._con.execute(sql, params).fetchnumpy()
        return LsoaFootprints(
            x=np.asarray(fp["x"], dtype=float),
            y=np.asarray(fp["y"], dtype=float),
            lsoa_code=np.asarray(fp["lsoa_code"], dtype=object),
            force=np.asarray(fp["force"], dtype=object),
        )

    def lsoa_names(self, forces: Sequence[str]) -> dict[str, str]:
        """LSOA names from police.uk's open files where loaded; the code itself otherwise."""
        names = self.store.lsoa_names(forces) if self.store.street_forces() else {}
        where, params = self._where(StreetScope(forces=tuple(forces)))
        for (code,) in self._rows(
            f"SELECT DISTINCT lsoa_code FROM force_crimes WHERE {where} AND lsoa_code IS NOT NULL",
            params,
            "LSOA codes",
        ):
            names.setdefault(str(code), str(code))
        return names
