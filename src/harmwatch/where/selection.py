"""Choosing the crimes an analysis is about: forces, crime types, months and districts.

Every analysis starts here, so that a filter (:class:`harmwatch.query.filter.Filter`)
is resolved the same way everywhere and a filter that matches nothing is refused
with the choices that would have matched, rather than producing an empty map.
The store answers the questions (:class:`harmwatch.storage.analytics.AnalyticsStore`);
this module decides what to ask and what to tell the user.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harmwatch.engines import EngineChoice
from harmwatch.engines.policeuk import street_engine
from harmwatch.errors import InputError
from harmwatch.query.filter import FORCE_RECORDS, Filter, Points
from harmwatch.sources.policeuk.forces import force_slug, forces_text
from harmwatch.storage.analytics import AnalyticsStore, StreetPoints, StreetScope
from harmwatch.storage.analytics.aggregate import StreetGroups
from harmwatch.timeline.months import periods_text, runs_text


class SelectionError(InputError):
    pass


# Districts holding less than this share of a force's crimes are strays over its border.
STRAY_DISTRICT_SHARE = 0.005


def resolve_district(store: Any, forces: Sequence[str], district: str) -> str:
    """The district named ``district``, as the store names it, among ``forces``' crimes.

    The name is matched ignoring case and surrounding spaces, among the districts
    the ``forces`` have crimes in; an unknown one is refused with those districts,
    so a typo is not mistaken for "no crimes". Crimes without an LSOA cannot be
    placed in a district, so a scope with the district leaves them out.
    """
    counts = store.district_counts(forces)
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
            f"no crimes in district {district!r} for {forces_text(forces)}."
            + (f" Did you mean {' or '.join(repr(g) for g in guess)}?" if guess else "")
            + f" Districts: {', '.join(main)}"
            + (
                f" (and {len(counts) - len(main)} others with a few stray crimes)"
                if len(counts) > len(main)
                else ""
            )
        )
    return name


def crime_source(store: AnalyticsStore, flt: Filter) -> Any:
    """What answers the filter's questions: the store (police.uk) or a force's records.

    Both answer the same street-crime questions (``street_points``,
    ``street_counts_by_month``, ``covered_months`` …), so every analysis runs on
    either; see :mod:`harmwatch.crimes.source`. Force records are read only inside
    :func:`harmwatch.crimes.service.reading` (who is asking decides what they get).
    """
    if flt.source == FORCE_RECORDS:
        from harmwatch.crimes.source import ForceRecordsSource

        return ForceRecordsSource(store, flt.flags, offence_classes=flt.offence_classes)
    return store


def source_notes(source: Any) -> list[str]:
    """The line saying where the crimes came from (force records: which files, exact or not)."""
    if getattr(source, "kind", None) == FORCE_RECORDS:
        return [source.grant.source_text()]
    return []


@dataclass
class Selection:
    """The street crimes a filter chooses, grouped (:class:`StreetGroups`), and what it resolved.

    From police.uk, the groups hold every chosen crime, located or not; from a force's
    records (``records``), the located crimes one to a group, with their rows and times
    as the records source gave them.
    """

    groups: StreetGroups
    filter: Filter  # resolved: forces and crime types as stored, months with data
    months: list[str]
    notes: list[str]
    n_without_location: int
    records: bool = False
    exact: bool = False  # exact places (force records for those allowed); police.uk: snap points
    rows: StreetPoints | None = None
    times: Any = None  # force records: CrimeTimes of ``rows``

    def points(self) -> Points:
        """The located crimes, one entry per crime."""
        rows = self.rows if self.rows is not None else self.groups.points()
        times = self.times
        return Points(
            x=rows.x,
            y=rows.y,
            month=rows.month,
            lsoa_code=rows.lsoa_code,
            lsoa_name=rows.lsoa_name,
            force=rows.force,
            months=self.months,
            n_without_location=self.n_without_location,
            filter=self.filter,
            notes=self.notes,
            start_utc=None if times is None else times.start_utc,
            end_utc=None if times is None else times.end_utc,
            exact=self.exact,
        )


def select_points(
    store: AnalyticsStore, flt: Filter, *, engine: EngineChoice | None = None
) -> Points:
    """Street crimes matching ``flt``; refuses filters that match nothing loaded.

    ``engine`` says where the police.uk aggregation runs (default: the store's DuckDB).
    """
    return select_street(store, flt, engine=engine).points()


def select_street(
    store: AnalyticsStore, flt: Filter, *, engine: EngineChoice | None = None
) -> Selection:
    """The crimes of :func:`select_points`, grouped, without a row per crime yet."""
    source = crime_source(store, flt)
    records = getattr(source, "kind", None) == FORCE_RECORDS
    if records and engine is not None and engine.name != "duckdb":
        raise InputError(
            f"--engine {engine.name} runs the police.uk aggregations; a force's own records "
            "are personal data read under a logged grant and stay on this machine's DuckDB: "
            "leave out --engine"
        )
    notes: list[str] = source_notes(source)
    loaded_forces = source.street_forces()
    if not loaded_forces:
        if records:
            raise SelectionError(
                "no force crime records match"
                + (f" the flag(s) {', '.join(flt.flags)}" if flt.flags else "")
                + "; import an RMS export first (harmwatch crimes import FILE --spec SPEC)"
            )
        raise SelectionError("no street crimes are loaded; load police.uk street files first")
    forces = tuple(force_slug(f) for f in flt.forces)
    unknown = [f for f in forces if f not in loaded_forces]
    if unknown:
        raise SelectionError(
            f"no street crimes loaded for force(s) {', '.join(unknown)}; loaded: {', '.join(loaded_forces)}"
        )
    if not forces:
        notes.append(f"forces: all loaded ({forces_text(loaded_forces, most=50)})")
    types: tuple[str, ...] = ()
    if not flt.all_crime_types:
        known = source.street_crime_types(forces or None)
        lower = {k.lower(): k for k in known}
        resolved = []
        for t in flt.crime_types:
            if t.lower() not in lower:
                raise SelectionError(
                    f"crime type {t!r} is not in the data; choose from: {', '.join(known)}"
                )
            resolved.append(lower[t.lower()])
        types = tuple(resolved)
    scope = StreetScope(forces=forces or None, crime_types=None if flt.all_crime_types else types)
    available = source.street_months(scope)
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
        notes.append(f"months: all loaded ({periods_text(available)})")
    scope = StreetScope(forces=scope.forces, crime_types=scope.crime_types, months=tuple(months))
    chosen = Filter(
        forces,
        types,
        tuple(months),
        all_crime_types=flt.all_crime_types,
        source=flt.source,
        flags=flt.flags,
        offence_classes=flt.offence_classes,
    )
    if records:
        rows = source.street_points(scope)
        times = source.street_times(scope)
        return Selection(
            groups=StreetGroups.from_points(rows),
            filter=chosen,
            months=months,
            notes=notes,
            n_without_location=source.street_count(scope, located=False),
            records=True,
            exact=bool(source.grant.exact),
            rows=rows,
            times=times,
        )
    with street_engine(store, engine) as on:
        groups = store.street_groups(scope, on)
    return Selection(
        groups=groups,
        filter=chosen,
        months=months,
        notes=notes,
        n_without_location=groups.without_location,
    )
