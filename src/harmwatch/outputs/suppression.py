"""Small-number suppression: the one rule every aggregate output applies, and its check.

Aggregate figures go to people who may not see records (the PCC viewer today,
oversight reports later). A count of one to four in a small area or a short
period can point at a person, so those counts are not shown; and a count that is
not shown must not be recoverable from the figures that are. Every aggregate
table of harmwatch goes through :func:`suppress` (a table with totals along its
rows, its columns or both) or :func:`suppress_counts` (one list with its total),
so the rule is written once.

The rule
--------
1. **Primary suppression.** A count from 1 to 4 (``threshold - 1``) is shown as
   *"fewer than 5"* (:data:`FEWER_THAN_5`), in the table's cells and in its
   totals alike. 0 is shown: an empty area is not disclosive, and a reader could
   often tell it anyway.
2. **Secondary (complementary) suppression.** No suppressed count may be worked
   out from what is shown. A reader knows the totals, every shown count, that a
   "fewer than 5" lies between 1 and 4, that a *"withheld"* count
   (:data:`WITHHELD`) is 5 or more (only counts of 5 or more are withheld as
   complements; zeros never are) and that every row and column adds up to its
   total. Subtracting the shown counts from a shown total is the simplest way to
   recover a figure; bounds are the next (a row total of 6 with a "fewer than 5"
   and a "withheld" can only be 1 + 5). So for every "fewer than 5" the values
   consistent with everything shown must include at least two whole numbers.
   While one does not, the smallest shown non-zero count in a line (row or
   column) through it whose total is shown is withheld as well (the smallest, as
   is usual, because it loses least information) and, once a line has none
   left, its total (unless the caller says its totals are
   published elsewhere: ``totals_fixed``). A figure that still cannot be
   protected is listed in :attr:`SuppressedTable.exposed`; the caller must then
   not publish that breakdown (the evaluation map, for instance, leaves those
   crimes off the map and keeps only the area's total).

This is the threshold rule with complementary suppression that the Government
Statistical Service recommends for tables from administrative sources, where a
suppressed cell must not be derivable by differencing from the totals (GSS,
*Disclosure control guidance for tables produced from administrative sources*,
2014) — with the check
made exact rather than left to the "at least two suppressed cells in every row
and column" rule of thumb, which can still leave a cell determined by the row
and column totals together (Cox, L. H., 1980, "Suppression methodology and
statistical disclosure control", *JASA* 75: 377–385; Hundepool, A. et al., 2012,
*Statistical Disclosure Control*, Wiley, chapter 4, for the audit by linear
programming used here).

The check
---------
A table with its totals is a bordered table whose every row and column sums to
zero; a figure's possible values are the range of that coordinate over the
integer points satisfying those equations and the bounds above. Figures linked
only through one total (a single list, or a table with totals along one side)
get their range in closed form; figures linked through several are bounded by
linear programming (``scipy.optimize.linprog``). The constraint matrix of a
table with margins is totally unimodular, so the linear programme's bounds are
whole numbers and every whole number between them is attainable: the check is
exact, not an approximation.

Each table is protected on its own. A figure that another output publishes (the
evaluation's headline counts are the totals of its map's squares) must be passed
as a published total, with ``totals_fixed`` when it cannot be withheld; tables that
share cells without sharing totals (the same counts cut two ways in two reports)
are beyond this module and must be checked together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from harmwatch.errors import InputError

THRESHOLD = 5
FEWER_THAN_5 = "fewer than 5"
WITHHELD = "withheld"

#: One line to print under any table that went through this module.
NOTE = (
    "Counts from 1 to 4 are shown as 'fewer than 5', and some larger counts or totals are "
    "'withheld' (5 or more) so that no hidden count can be worked out from the totals."
)

Where = Literal["cell", "row", "column", "grand"]
Key = tuple[str, int, int]  # ("cell", i, j), ("row", i, -1), ("column", -1, j), ("grand", -1, -1)


class SuppressionError(InputError):
    """A table the rule cannot be applied to (negative or fractional counts)."""


class Status(StrEnum):
    SHOWN = "shown"
    FEWER = "fewer"  # primary: 1 to threshold - 1
    WITHHELD = "withheld"  # secondary: threshold or more, hidden to protect a primary


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts after the rule: the true counts (for the producer) and what is shown.

    ``cells`` is rows × columns; a total that is not published is ``None``.
    Publish only what :meth:`shown` and the ``shown_*`` methods return.
    """

    cells: np.ndarray  # int64, rows × columns: the true counts
    status: np.ndarray  # object, rows × columns: Status
    row_totals: np.ndarray | None
    row_status: np.ndarray | None
    column_totals: np.ndarray | None
    column_status: np.ndarray | None
    grand_total: int | None
    grand_status: Status | None
    threshold: int
    exposed: tuple[Key, ...]  # figures that could not be protected: do not publish them

    @property
    def safe(self) -> bool:
        """Whether every suppressed figure is protected (nothing in :attr:`exposed`)."""
        return not self.exposed

    @property
    def fewer_label(self) -> str:
        return f"fewer than {self.threshold}"

    def _label(self, value: int, status: Status) -> int | str:
        if status is Status.SHOWN:
            return int(value)
        return self.fewer_label if status is Status.FEWER else WITHHELD

    def shown(self, i: int, j: int = 0) -> int | str:
        """Cell ``(i, j)`` as published: its count, "fewer than 5" or "withheld"."""
        return self._label(int(self.cells[i, j]), self.status[i, j])

    def is_shown(self, i: int, j: int = 0) -> bool:
        return bool(self.status[i, j] is Status.SHOWN)

    def shown_cells(self) -> list[list[int | str]]:
        rows, cols = self.cells.shape
        return [[self.shown(i, j) for j in range(cols)] for i in range(rows)]

    def shown_column(self, j: int = 0) -> list[int | str]:
        return [self.shown(i, j) for i in range(self.cells.shape[0])]

    def shown_row_totals(self) -> list[int | str] | None:
        if self.row_totals is None or self.row_status is None:
            return None
        return [self._label(v, s) for v, s in zip(self.row_totals, self.row_status, strict=True)]

    def shown_column_totals(self) -> list[int | str] | None:
        if self.column_totals is None or self.column_status is None:
            return None
        return [
            self._label(v, s) for v, s in zip(self.column_totals, self.column_status, strict=True)
        ]

    def shown_grand_total(self) -> int | str | None:
        if self.grand_total is None or self.grand_status is None:
            return None
        return self._label(self.grand_total, self.grand_status)

    def counts_suppressed(self) -> int:
        """How many figures (cells and totals) are not shown."""
        hidden = int((self.status != Status.SHOWN).sum())
        for statuses in (self.row_status, self.column_status):
            if statuses is not None:
                hidden += int((statuses != Status.SHOWN).sum())
        return hidden + int(self.grand_status not in (None, Status.SHOWN))


def suppress(
    counts: Sequence[Sequence[int]] | np.ndarray | pd.DataFrame,
    *,
    row_totals: bool = False,
    column_totals: bool = False,
    grand_total: bool = False,
    totals_fixed: bool = False,
    threshold: int = THRESHOLD,
) -> SuppressedTable:
    """Apply the rule to a rows × columns table of counts and the totals to be published.

    ``row_totals``/``column_totals``/``grand_total``: which totals the output shows
    (they are computed here, as sums). ``totals_fixed``: the totals are published
    elsewhere as they are (an evaluation's headline counts), so they are shown
    whatever their size and never withheld; protection must come from the cells.
    """
    table = _as_counts(counts)
    if threshold < 2:
        raise SuppressionError(f"the threshold must be at least 2, got {threshold}")
    rows, cols = table.shape
    entries = _Entries(table, row_totals, column_totals, grand_total)
    status: dict[Key, Status] = {}
    for key, value in entries.values.items():
        fixed = totals_fixed and key[0] != "cell"
        small = 1 <= value < threshold
        status[key] = Status.FEWER if small and not fixed else Status.SHOWN
    exposed: list[Key] = []
    # Each pass withholds one more figure or gives one up: at most every figure once.
    for _ in range(len(status) + 1):
        open_ = [k for k in _audit(entries, status, threshold) if k not in exposed]
        if not open_:
            break
        key = open_[0]
        complement = _complement(entries, status, key, totals_fixed)
        if complement is None:
            exposed.append(key)
        else:
            status[complement] = Status.WITHHELD

    def grid(kind: str, n: int) -> np.ndarray:
        out = np.empty(n, dtype=object)
        for k in range(n):
            out[k] = status[(kind, k, -1) if kind == "row" else (kind, -1, k)]
        return out

    cell_status = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            cell_status[i, j] = status[("cell", i, j)]
    return SuppressedTable(
        cells=table,
        status=cell_status,
        row_totals=table.sum(axis=1) if row_totals else None,
        row_status=grid("row", rows) if row_totals else None,
        column_totals=table.sum(axis=0) if column_totals else None,
        column_status=grid("column", cols) if column_totals else None,
        grand_total=int(table.sum()) if grand_total else None,
        grand_status=status[("grand", -1, -1)] if grand_total else None,
        threshold=threshold,
        exposed=tuple(exposed),
    )


def suppress_counts(
    values: Sequence[int] | np.ndarray | pd.Series,
    *,
    total: bool = True,
    total_fixed: bool = False,
    threshold: int = THRESHOLD,
) -> SuppressedTable:
    """One list of counts (areas, months) with its total: a table of one column."""
    column = np.asarray(values).reshape(-1, 1)
    return suppress(column, column_totals=total, totals_fixed=total_fixed, threshold=threshold)


# -- internals ---------------------------------------------------------------------------


def _as_counts(counts: Sequence[Sequence[int]] | np.ndarray | pd.DataFrame) -> np.ndarray:
    raw = counts.to_numpy() if isinstance(counts, pd.DataFrame) else np.asarray(counts)
    if raw.ndim != 2:
        raise SuppressionError(
            f"a table of counts must have rows and columns, got shape {raw.shape}"
        )
    try:
        values = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise SuppressionError("a table of counts must hold numbers") from exc
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values != np.round(values)):
        raise SuppressionError("counts must be whole numbers of at least 0")
    return values.astype(np.int64)


class _Entries:
    """The bordered table: every figure, and the equations a reader knows hold between them.

    Equations come only from published totals: each published row or column total
    is the sum of its cells, and the grand total (published or not) is the sum of
    the row totals and of the column totals, an unpublished one written as the sum
    of its cells (exact: it is that sum, and at least 0 because the cells are).
    ``lines`` are the row and column equations, tried first for a complement;
    ``borders`` the grand-total relations.
    """

    def __init__(
        self, table: np.ndarray, row_totals: bool, column_totals: bool, grand_total: bool
    ) -> None:
        rows, cols = table.shape
        self.values: dict[Key, int] = {
            ("cell", i, j): int(table[i, j]) for i in range(rows) for j in range(cols)
        }
        self.lines: list[dict[Key, int]] = []
        if row_totals:
            for i in range(rows):
                self.values[("row", i, -1)] = int(table[i].sum())
                self.lines.append({**{("cell", i, j): 1 for j in range(cols)}, ("row", i, -1): -1})
        if column_totals:
            for j in range(cols):
                self.values[("column", -1, j)] = int(table[:, j].sum())
                self.lines.append(
                    {**{("cell", i, j): 1 for i in range(rows)}, ("column", -1, j): -1}
                )
        by_rows: dict[Key, int] = (
            {("row", i, -1): 1 for i in range(rows)}
            if row_totals
            else {("cell", i, j): 1 for i in range(rows) for j in range(cols)}
        )
        by_columns: dict[Key, int] = (
            {("column", -1, j): 1 for j in range(cols)}
            if column_totals
            else {("cell", i, j): 1 for i in range(rows) for j in range(cols)}
        )
        grand: Key = ("grand", -1, -1)
        self.borders: list[dict[Key, int]] = []
        if grand_total:
            # Without a published grand total the relation "row totals add up to what the
            # column totals add up to" is the sum of the line equations: nothing new.
            self.values[grand] = int(table.sum())
            for eq in ({**by_rows, grand: -1}, {**by_columns, grand: -1}):
                if eq not in self.borders:
                    self.borders.append(eq)

    @property
    def equations(self) -> list[dict[Key, int]]:
        return self.lines + self.borders


def _bounds(value: int, status: Status, threshold: int) -> tuple[float, float]:
    if status is Status.SHOWN:
        return float(value), float(value)
    if status is Status.FEWER:
        return 1.0, float(threshold - 1)
    return float(threshold), math.inf


def _audit(entries: _Entries, status: dict[Key, Status], threshold: int) -> list[Key]:
    """The "fewer than 5" figures a reader could pin to one value, in a stable order."""
    unknown = [k for k, s in status.items() if s is not Status.SHOWN]
    if not unknown:
        return []
    # Reduce each equation to its unknowns and a constant, then group unknowns linked
    # by equations (union-find): groups are independent problems.
    reduced: list[tuple[dict[Key, int], float]] = []
    for eq in entries.equations:
        terms = {k: c for k, c in eq.items() if status[k] is not Status.SHOWN}
        if not terms:
            continue
        constant = -float(sum(c * entries.values[k] for k, c in eq.items() if k not in terms))
        reduced.append((terms, constant))  # sum(c * x) = constant
    parent = {k: k for k in unknown}

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for terms, _ in reduced:
        first, *rest = terms
        for k in rest:
            parent[find(k)] = find(first)
    groups: dict[Key, list[int]] = {}
    for n, (terms, _) in enumerate(reduced):
        groups.setdefault(find(next(iter(terms))), []).append(n)
    bounds = {k: _bounds(entries.values[k], status[k], threshold) for k in unknown}
    exposed: set[Key] = set()
    for members in groups.values():
        eqs = [reduced[n] for n in members]
        keys = sorted({k for terms, _ in eqs for k in terms})
        targets = [k for k in keys if status[k] is Status.FEWER]
        if not targets:
            continue
        if len(eqs) == 1:
            ranges = _line_ranges(eqs[0], bounds)
        else:
            ranges = _lp_ranges(eqs, keys, bounds, targets)
        for k in targets:
            lo, hi = ranges[k]
            if hi - lo < 0.5:  # one whole number left
                exposed.add(k)
    order = {k: n for n, k in enumerate(entries.values)}
    return sorted(exposed, key=order.__getitem__)


def _line_ranges(
    equation: tuple[dict[Key, int], float], bounds: dict[Key, tuple[float, float]]
) -> dict[Key, tuple[float, float]]:
    """Ranges of the unknowns of one equation ``sum(c * x) = constant``, in closed form.

    The other unknowns range over a box, so their weighted sum ranges over an
    interval and every whole number in it is reached (coefficients are ±1).
    """
    terms, constant = equation
    low = {k: (c * bounds[k][0] if c > 0 else c * bounds[k][1]) for k, c in terms.items()}
    high = {k: (c * bounds[k][1] if c > 0 else c * bounds[k][0]) for k, c in terms.items()}
    total_low, total_high = sum(low.values()), sum(high.values())
    out: dict[Key, tuple[float, float]] = {}
    for k, c in terms.items():
        rest_low = total_low - low[k] if math.isfinite(low[k]) else _sum_without(low, k)
        rest_high = total_high - high[k] if math.isfinite(high[k]) else _sum_without(high, k)
        # c * x = constant - rest, with rest in [rest_low, rest_high]
        a, b = constant - rest_high, constant - rest_low
        lo, hi = (a / c, b / c) if c > 0 else (b / c, a / c)
        own_lo, own_hi = bounds[k]
        out[k] = (max(lo, own_lo), min(hi, own_hi))
    return out


def _sum_without(values: dict[Key, float], skip: Key) -> float:
    return sum(v for k, v in values.items() if k != skip)


def _lp_ranges(
    equations: list[tuple[dict[Key, int], float]],
    keys: list[Key],
    bounds: dict[Key, tuple[float, float]],
    targets: list[Key],
) -> dict[Key, tuple[float, float]]:
    """Ranges by linear programming (exact: the table's constraint matrix is totally unimodular)."""
    from scipy.optimize import linprog

    index = {k: n for n, k in enumerate(keys)}
    a_eq = np.zeros((len(equations), len(keys)))
    b_eq = np.zeros(len(equations))
    for r, (terms, constant) in enumerate(equations):
        for k, c in terms.items():
            a_eq[r, index[k]] = c
        b_eq[r] = constant
    box = [(bounds[k][0], None if math.isinf(bounds[k][1]) else bounds[k][1]) for k in keys]
    out: dict[Key, tuple[float, float]] = {}
    for k in targets:
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(keys))
            objective[index[k]] = sign
            res = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=box, method="highs")
            if res.status != 0:  # infeasible cannot happen for true counts; unbounded max
                ends.append(bounds[k][0] if sign > 0 else bounds[k][1])
            else:
                ends.append(sign * float(res.fun))
        out[k] = (ends[0], ends[1])
    return out


def _complement(
    entries: _Entries, status: dict[Key, Status], key: Key, totals_fixed: bool
) -> Key | None:
    """The figure to withhold next to protect ``key``, or None when none is left.

    The smallest shown non-zero count in a row or column through ``key`` whose
    total is published; then in the grand total's relations through it; then in
    any equation linked to it through figures already hidden. Totals come after
    every count, and only when ``totals_fixed`` is false.
    """
    order = {k: n for n, k in enumerate(entries.values)}

    def smallest(equations: list[dict[Key, int]], kind: str) -> Key | None:
        open_ = [
            k
            for eq in equations
            for k in eq
            if k != key
            and (k[0] == "cell") == (kind == "cell")
            and status[k] is Status.SHOWN
            and entries.values[k] > 0
        ]
        return min(open_, key=lambda k: (entries.values[k], order[k])) if open_ else None

    linked: list[dict[Key, int]] = []
    hidden = {key}
    grew = True
    while grew:  # equations reachable from key through hidden figures
        grew = False
        for eq in entries.equations:
            if eq not in linked and hidden & eq.keys():
                linked.append(eq)
                new = {k for k in eq if status[k] is not Status.SHOWN} - hidden
                hidden |= new
                grew = True
    tiers = [
        [eq for eq in entries.lines if key in eq],
        [eq for eq in entries.borders if key in eq],
        linked,
    ]
    kinds = ["cell"] if totals_fixed else ["cell", "total"]
    for kind in kinds:
        for tier in tiers:
            found = smallest(tier, kind)
            if found is not None:
                return found
    return None
