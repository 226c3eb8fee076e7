"""Which forces and months an oversight figure from police.uk files covers, and its queries.

A figure over several forces adds their counts, so every month in it must be
loaded for every one of them: a month one force lacks would undercount the
total without saying so. By default the months are those every force has
loaded; months asked for that some force lacks are refused, naming the force
and the months. Months are described as their runs, never as first to last
(:func:`harmwatch.timeline.months.periods_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.forces import force_name, force_slug, forces_text
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.timeline.months import month_number, periods_text, runs_text

# datasets.kind -> what a reader calls those files
NOUNS = {"street": "street-crime", "outcomes": "outcomes", "stop-and-search": "stop-and-search"}


class ScopeError(InputError):
    """The forces or months asked for are not loaded."""


@dataclass(frozen=True)
class Scope:
    forces: tuple[str, ...]  # slugs, in the order given
    months: tuple[str, ...]  # 'YYYY-MM', sorted
    defaults_chosen: tuple[str, ...]
    notes: tuple[str, ...]


def resolve_scope(
    store: AnalyticsStore, forces: Sequence[str], months: Sequence[str] | None, kind: str
) -> Scope:
    """The forces and months of ``kind`` files to count, the defaults chosen and notes.

    ``forces`` empty: every force with ``kind`` loaded. ``months`` None: every month
    loaded for every one of the forces (months only some have are named in a note).
    """
    noun = NOUNS[kind]
    defaults: list[str] = []
    notes: list[str] = []
    loaded_forces = store.dataset_forces(kind)
    slugs = list(dict.fromkeys(force_slug(f) for f in forces if f.strip()))
    if not slugs:
        if not loaded_forces:
            raise ScopeError(f"no {noun} files are loaded; load police.uk's {noun} files first")
        slugs = loaded_forces
        defaults.append(f"forces: every force with {noun} loaded ({forces_text(slugs, most=50)})")
    unloaded = [s for s in slugs if s not in loaded_forces]
    if unloaded:
        loaded_text = forces_text(loaded_forces, most=50) if loaded_forces else "none"
        raise ScopeError(
            f"no {noun} months are loaded for {forces_text(unloaded, most=50)}; forces with "
            f"{noun} loaded: {loaded_text}"
        )
    per_force = {s: set(store.loaded_months([s], kind)) for s in slugs}
    if months is None:
        common = set.intersection(*per_force.values())
        if not common:
            raise ScopeError(
                f"no {noun} month is loaded for every one of {forces_text(slugs, most=50)}: "
                + "; ".join(f"{force_name(s)}: {runs_text(m)}" for s, m in per_force.items())
            )
        period = sorted(common, key=month_number)
        defaults.append(
            f"months: {periods_text(period)}, every {noun} month loaded"
            + (f" for every one of {forces_text(slugs, most=50)}" if len(slugs) > 1 else "")
        )
        for s, have in per_force.items():
            left = have - common
            if left:
                notes.append(
                    f"{force_name(s)}'s {noun} months {runs_text(left)} are left out: the other "
                    "forces lack them"
                )
    else:
        if not months:
            raise ScopeError("no months given")
        period = sorted(set(months), key=month_number)
        lacking = {s: [m for m in period if m not in have] for s, have in per_force.items()}
        lacking = {s: m for s, m in lacking.items() if m}
        if lacking:
            raise ScopeError(
                f"{noun} months not loaded: "
                + "; ".join(f"{force_name(s)} lacks {runs_text(m)}" for s, m in lacking.items())
                + ". Loaded: "
                + "; ".join(
                    f"{force_name(s)}: {runs_text(have) if have else 'none'}"
                    for s, have in per_force.items()
                )
            )
    return Scope(tuple(slugs), tuple(period), tuple(defaults), tuple(notes))


def in_list(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    """``column IN (?, ?, …)`` and its parameters; FALSE for no values."""
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def scope_where(scope: Scope) -> tuple[str, list[object]]:
    """SQL selecting a police.uk table's rows of the scope's forces and months."""
    forces, force_params = in_list("force", scope.forces)
    months, month_params = in_list("strftime(month, '%Y-%m')", scope.months)
    return f"{forces} AND {months}", [*force_params, *month_params]


def open_rows(
    store: AnalyticsStore, tables: Sequence[str], sql: str, params: Sequence[object]
) -> list[tuple[Any, ...]]:
    """Rows of a query over open police.uk tables, through the store's checked reader.

    The store's typed questions do not cover the oversight breakdowns; its reader of
    open tables refuses any table that is not declared open data.
    """
    return store._rows(tables, sql, params)
