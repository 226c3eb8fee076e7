"""Choosing the crimes an analysis is about: forces, crime types and months.

Every analysis in this room starts here, so that a filter means the same thing
everywhere and a filter that matches nothing is refused with the choices that
would have matched, rather than producing an empty map.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np

from harmwatch.sources.policeuk.forces import force_slug
from harmwatch.timeline.months import parse_month_spec, runs_text


class SelectionError(ValueError):
    pass


# The district of an LSOA is its name without the trailing code ("St Albans 012B" is in
# "St Albans"): police.uk carries no district column, and LSOA names are built this way.
DISTRICT_SQL = "regexp_replace(lsoa_name, ' [^ ]+$', '')"
# Districts holding less than this share of a force's crimes are strays over its border.
STRAY_DISTRICT_SHARE = 0.005


def district_condition(
    con: duckdb.DuckDBPyConnection, forces: Sequence[str], district: str
) -> tuple[str, list[object], str]:
    """A ``street`` condition for crimes in ``district``, its parameters and the district's name.

    The name is matched ignoring case and surrounding spaces, among the districts
    the ``forces`` have crimes in; an unknown one is refused with those districts,
    so a typo is not mistaken for "no crimes". Crimes without an LSOA cannot be
    placed in a district, so the condition leaves them out.
    """
    marks = ", ".join("?" * len(forces))
    counts = dict(
        con.execute(
            f"SELECT {DISTRICT_SQL}, count(*) FROM street WHERE force IN ({marks}) "
            "AND lsoa_name IS NOT NULL GROUP BY 1",
            list(forces),
        ).fetchall()
    )
    by_lower = {str(k).lower(): str(k) for k in counts}
    name = by_lower.get(district.strip().lower())
    if name is None:
        # A force's file names hundreds of districts, most for a handful of stray
        # crimes over its border: list its own (the busy ones) and guess at a typo.
        total = sum(counts.values()) or 1
        main = sorted(k for k, n in counts.items() if n >= STRAY_DISTRICT_SHARE * total)
        guess = difflib.get_close_matches(district.strip(), main, n=2, cutoff=0.6) or (
            difflib.get_close_matches(district.strip(), list(counts), n=2, cutoff=0.6)
        )
        raise SelectionError(
            f"no crimes in district {district!r} for {', '.join(forces)}."
            + (f" Did you mean {' or '.join(repr(g) for g in guess)}?" if guess else "")
            + f" Districts: {', '.join(main)}"
            + (
                f" (and {len(counts) - len(main)} others with a few stray crimes)"
                if len(counts) > len(main)
                else ""
            )
        )
    return f"{DISTRICT_SQL} = ?", [name], name


@dataclass(frozen=True)
class Filter:
    forces: tuple[str, ...] = ()
    crime_types: tuple[str, ...] = ("Drugs",)
    months: tuple[str, ...] = ()  # empty: every month loaded

    @classmethod
    def from_options(
        cls, forces: Sequence[str] | None, crime_types: Sequence[str] | None, months: str | None
    ) -> Filter:
        """A filter from what a user typed: months as ``2025-01``, ``2025-01:2025-06`` or a list."""
        return cls(
            forces=tuple(forces or ()),
            crime_types=tuple(crime_types or ()),
            months=tuple(parse_month_spec(months)) if months else (),
        )


@dataclass
class Points:
    """Street crimes chosen by a :class:`Filter`, located ones and unlocated ones."""

    x: np.ndarray
    y: np.ndarray
    month: np.ndarray  # 'YYYY-MM' strings
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    force: np.ndarray
    months: list[str]  # the months the filter covers that have data, sorted
    n_without_location: int
    filter: Filter
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def forces(self) -> list[str]:
        return (
            sorted(set(self.filter.forces))
            if self.filter.forces
            else sorted(set(self.force.tolist()))
        )


def _in_list(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def select_points(con: duckdb.DuckDBPyConnection, flt: Filter) -> Points:
    """Street crimes matching ``flt``; refuses filters that match nothing loaded."""
    notes: list[str] = []
    loaded_forces = [
        r[0] for r in con.execute("SELECT DISTINCT force FROM street ORDER BY 1").fetchall()
    ]
    if not loaded_forces:
        raise SelectionError("no street crimes are loaded; run `harmwatch ingest PATH` first")
    forces = tuple(force_slug(f) for f in flt.forces)
    unknown = [f for f in forces if f not in loaded_forces]
    if unknown:
        raise SelectionError(
            f"no street crimes loaded for force(s) {', '.join(unknown)}; loaded: {', '.join(loaded_forces)}"
        )
    if not forces:
        notes.append(f"forces: all loaded ({', '.join(loaded_forces)})")
    clauses: list[str] = []
    params: list[object] = []
    if forces:
        sql, p = _in_list("force", forces)
        clauses.append(sql)
        params += p
    types = tuple(flt.crime_types)
    if types:
        scope = f"WHERE {clauses[0]}" if clauses else ""
        known = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT crime_type FROM street {scope} ORDER BY 1", params
            ).fetchall()
        ]
        lower = {k.lower(): k for k in known}
        resolved = []
        for t in types:
            if t.lower() not in lower:
                raise SelectionError(
                    f"crime type {t!r} is not in the data; choose from: {', '.join(known)}"
                )
            resolved.append(lower[t.lower()])
        types = tuple(resolved)
        sql, p = _in_list("crime_type", types)
        clauses.append(sql)
        params += p
    where = " AND ".join(clauses) if clauses else "TRUE"
    available = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT strftime(month, '%Y-%m') FROM street WHERE {where} ORDER BY 1", params
        ).fetchall()
    ]
    if flt.months:
        missing = [m for m in flt.months if m not in available]
        if missing:
            loaded = runs_text(available)
            raise SelectionError(
                f"month(s) {', '.join(missing)} have no data for this selection; loaded months: {loaded}"
            )
        months = sorted(flt.months)
    else:
        months = available
        notes.append(f"months: all loaded ({runs_text(available)})")
    sql, p = _in_list("strftime(month, '%Y-%m')", months)
    where = f"{where} AND {sql}"
    params += p
    rows = con.execute(
        f"SELECT x, y, strftime(month, '%Y-%m') AS month, coalesce(lsoa_code, '') AS lsoa_code, "
        f"coalesce(lsoa_name, '') AS lsoa_name, force FROM street WHERE {where} AND x IS NOT NULL",
        params,
    ).fetchnumpy()
    n_without = con.execute(
        f"SELECT count(*) FROM street WHERE {where} AND x IS NULL", params
    ).fetchall()[0][0]
    return Points(
        x=np.asarray(rows["x"], dtype=float),
        y=np.asarray(rows["y"], dtype=float),
        month=np.asarray(rows["month"], dtype=object),
        lsoa_code=np.asarray(rows["lsoa_code"], dtype=object),
        lsoa_name=np.asarray(rows["lsoa_name"], dtype=object),
        force=np.asarray(rows["force"], dtype=object),
        months=months,
        n_without_location=int(n_without),
        filter=Filter(forces, types, tuple(months)),
        notes=notes,
    )
