"""The small-number rule: every count of 1–4 hidden, and none recoverable from what is shown.

The property test checks every table the rule produces with an oracle that shares
no code with it: the whole bordered table (cells, every total, published or not)
as equations, a rank test for "recoverable by subtraction" and an integer
programme (``scipy.optimize.milp``) for "recoverable from the bounds a reader
knows" ("fewer than 5" is 1–4, "withheld" is 5 or more).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from harmwatch.errors import UserError
from harmwatch.outputs.suppression import (
    FEWER_THAN_5,
    WITHHELD,
    Status,
    SuppressedTable,
    SuppressionError,
    suppress,
    suppress_counts,
)


def bordered(result: SuppressedTable) -> tuple[list[tuple[str, int, int]], dict, dict]:
    """Every figure of the bordered table, what a reader knows of each, and the true values."""
    cells = result.cells
    rows, cols = cells.shape
    truth: dict[tuple[str, int, int], int] = {}
    known: dict[tuple[str, int, int], tuple[float, float]] = {}

    def reader(value: int, status: Status | None) -> tuple[float, float]:
        if status is None:  # not published: only that it is at least 0
            return 0.0, np.inf
        if status is Status.SHOWN:
            return float(value), float(value)
        if status is Status.FEWER:
            return 1.0, 4.0
        return 5.0, np.inf

    for i in range(rows):
        for j in range(cols):
            truth[("cell", i, j)] = int(cells[i, j])
            known[("cell", i, j)] = reader(int(cells[i, j]), result.status[i, j])
    for i in range(rows):
        truth[("row", i, -1)] = int(cells[i].sum())
        status = None if result.row_status is None else result.row_status[i]
        known[("row", i, -1)] = reader(truth[("row", i, -1)], status)
    for j in range(cols):
        truth[("column", -1, j)] = int(cells[:, j].sum())
        status = None if result.column_status is None else result.column_status[j]
        known[("column", -1, j)] = reader(truth[("column", -1, j)], status)
    truth[("grand", -1, -1)] = int(cells.sum())
    known[("grand", -1, -1)] = reader(truth[("grand", -1, -1)], result.grand_status)
    return list(truth), known, truth


def equations(result: SuppressedTable, keys: list) -> np.ndarray:
    """Rows and columns of the bordered table each add up: cells minus their total = 0."""
    rows, cols = result.cells.shape
    index = {k: n for n, k in enumerate(keys)}
    out = []
    for i in range(rows):
        eq = np.zeros(len(keys))
        for j in range(cols):
            eq[index[("cell", i, j)]] = 1
        eq[index[("row", i, -1)]] = -1
        out.append(eq)
    for j in range(cols):
        eq = np.zeros(len(keys))
        for i in range(rows):
            eq[index[("cell", i, j)]] = 1
        eq[index[("column", -1, j)]] = -1
        out.append(eq)
    for kind, n in (("row", rows), ("column", cols)):
        eq = np.zeros(len(keys))
        for k in range(n):
            eq[index[(kind, k, -1) if kind == "row" else (kind, -1, k)]] = 1
        eq[index[("grand", -1, -1)]] = -1
        out.append(eq)
    return np.array(out)


def recoverable_by_subtraction(result: SuppressedTable, target: tuple[str, int, int]) -> bool:
    """Whether the equations alone (no bounds) pin ``target``: its column of the unknowns'
    matrix is not a combination of the others'."""
    keys, known, _ = bordered(result)
    a = equations(result, keys)
    unknown = [n for n, k in enumerate(keys) if known[k][0] != known[k][1]]
    t = keys.index(target)
    full = np.linalg.matrix_rank(a[:, unknown])
    rest = np.linalg.matrix_rank(a[:, [n for n in unknown if n != t]])
    return bool(full == rest + 1)


def possible_values(result: SuppressedTable, target: tuple[str, int, int]) -> tuple[int, int]:
    """The least and greatest whole value ``target`` can take given everything shown."""
    keys, known, _ = bordered(result)
    a = equations(result, keys)
    lower = np.array([known[k][0] for k in keys])
    upper = np.array([known[k][1] for k in keys])
    t = keys.index(target)
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(keys))
        c[t] = sign
        res = milp(
            c,
            constraints=LinearConstraint(a, 0, 0),
            integrality=np.ones(len(keys)),
            bounds=Bounds(lower, upper),
        )
        assert res.status == 0, res.message
        ends.append(round(sign * res.fun))
    return ends[0], ends[1]


def hidden_small(result: SuppressedTable) -> list[tuple[str, int, int]]:
    keys, known, _ = bordered(result)
    return [k for k in keys if known[k] == (1.0, 4.0)]


def check(result: SuppressedTable, *, totals_fixed: bool) -> None:
    keys, known, truth = bordered(result)
    for k in keys:
        lo, hi = known[k]
        if lo == hi:
            assert truth[k] == lo, k  # a shown figure is the true figure
        elif hi == 4.0:
            assert 1 <= truth[k] <= 4, k  # "fewer than 5" is true
        elif lo == 5.0:
            assert truth[k] >= 5, k  # "withheld" is 5 or more
    # Every published count of 1-4 is hidden, unless it is a total published elsewhere.
    for k in keys:
        published = known[k] != (0.0, np.inf)
        fixed_total = totals_fixed and k[0] != "cell"
        if published and 1 <= truth[k] <= 4 and not fixed_total:
            assert known[k] == (1.0, 4.0), k
        if published and truth[k] == 0:
            assert known[k] == (0.0, 0.0), k  # zeros are shown, never withheld
    for k in hidden_small(result):
        if k in result.exposed:
            lo, hi = possible_values(result, k)
            assert lo == hi, f"{k} reported exposed but is not"
            continue
        assert not recoverable_by_subtraction(result, k), k
        lo, hi = possible_values(result, k)
        assert hi > lo, f"{k} can only be {lo}"
    if not totals_fixed:
        # With totals free the rule withholds more until a figure is safe; a figure is given
        # up (exposed) only when nothing is left to withhold in any line through it.
        for k in result.exposed:
            for m in lines_through(result, k):
                published = known[m] != (0.0, np.inf)
                assert not published or truth[m] == 0 or known[m][0] != known[m][1], (k, m)


def lines_through(result: SuppressedTable, key: tuple[str, int, int]) -> list:
    """The figures of every row and column of the bordered table that ``key`` lies in."""
    rows, cols = result.cells.shape
    kind, i, j = key
    row_line = lambda r: [("cell", r, c) for c in range(cols)] + [("row", r, -1)]  # noqa: E731
    col_line = lambda c: [("cell", r, c) for r in range(rows)] + [("column", -1, c)]  # noqa: E731
    row_totals = [("row", r, -1) for r in range(rows)] + [("grand", -1, -1)]
    col_totals = [("column", -1, c) for c in range(cols)] + [("grand", -1, -1)]
    if kind == "cell":
        return row_line(i) + col_line(j)
    if kind == "row":
        return row_line(i) + row_totals
    if kind == "column":
        return col_line(j) + col_totals
    return row_totals + col_totals


counts = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 60))


@st.composite
def tables(draw: st.DrawFn) -> np.ndarray:
    rows = draw(st.integers(1, 4))
    cols = draw(st.integers(1, 4))
    return np.array([[draw(counts) for _ in range(cols)] for _ in range(rows)])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    rows=st.booleans(),
    columns=st.booleans(),
    grand=st.booleans(),
    fixed=st.booleans(),
)
def test_no_suppressed_count_can_be_recovered(
    table: np.ndarray, rows: bool, columns: bool, grand: bool, fixed: bool
) -> None:
    result = suppress(
        table, row_totals=rows, column_totals=columns, grand_total=grand, totals_fixed=fixed
    )
    check(result, totals_fixed=fixed)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(counts, min_size=1, max_size=30), fixed=st.booleans())
def test_a_list_with_its_total(values: list[int], fixed: bool) -> None:
    result = suppress_counts(values, total_fixed=fixed)
    check(result, totals_fixed=fixed)


def test_small_parts_of_a_small_total_cannot_be_protected_and_say_so() -> None:
    """Four 1s and their total 4 ("fewer than 5"): four counts of at least 1 adding to at
    most 4 can only be 1 each, and no count is left to withhold, so the rule gives them up
    and the caller must not publish the breakdown (found by hypothesis)."""
    result = suppress_counts([1, 1, 1, 1])
    assert not result.safe
    assert set(result.exposed) == {("cell", i, 0) for i in range(4)} | {("column", -1, 0)}
    check(result, totals_fixed=False)


def test_one_small_cell_and_a_shown_total_hides_the_next_smallest() -> None:
    result = suppress([[7, 3, 12, 0]], row_totals=True)
    assert result.shown_cells() == [[WITHHELD, FEWER_THAN_5, 12, 0]]
    assert result.shown_row_totals() == [22]
    # 22 - 12 - 0 = 10 = withheld + fewer-than-5: the small one is 1..4 (withheld 6..9).
    assert possible_values(result, ("cell", 0, 1)) == (1, 4)


def test_bounds_are_a_way_of_recovering_too() -> None:
    """5 + 1 = 6: with only these two hidden, "withheld" (>= 5) and "fewer than 5" (>= 1)
    can only be 5 and 1, so the total is withheld as well; when the total is published
    elsewhere the small count cannot be protected and is reported."""
    free = suppress([[5, 1]], row_totals=True)
    assert free.shown_cells() == [[WITHHELD, FEWER_THAN_5]]
    assert free.shown_row_totals() == [WITHHELD]
    fixed = suppress([[5, 1]], row_totals=True, totals_fixed=True)
    assert fixed.exposed == (("cell", 0, 1),) and not fixed.safe
    assert fixed.shown_row_totals() == [6]


def test_zero_is_shown_and_small_totals_are_suppressed_too() -> None:
    result = suppress([[0, 2], [0, 0]], row_totals=True, column_totals=True, grand_total=True)
    assert result.shown(0, 0) == 0 and result.shown(1, 1) == 0
    assert result.shown(0, 1) == FEWER_THAN_5
    assert result.shown_row_totals() == [FEWER_THAN_5, 0]
    assert result.shown_column_totals() == [0, FEWER_THAN_5]
    assert result.shown_grand_total() == FEWER_THAN_5
    check(result, totals_fixed=False)


def test_nothing_small_nothing_hidden() -> None:
    result = suppress([[5, 9], [0, 40]], row_totals=True, column_totals=True)
    assert result.shown_cells() == [[5, 9], [0, 40]]
    assert result.counts_suppressed() == 0 and result.safe


def test_a_two_way_table_is_protected_by_rows_and_columns_together() -> None:
    table = [[7, 3, 12], [2, 8, 9], [10, 11, 1]]
    result = suppress(table, row_totals=True, column_totals=True, grand_total=True)
    check(result, totals_fixed=False)
    assert result.shown_grand_total() == 63


@pytest.mark.parametrize("bad", [[[-1, 2]], [[1.5, 2]], [1, 2], [[np.nan]]])
def test_bad_tables_are_refused(bad: object) -> None:
    with pytest.raises(SuppressionError) as caught:
        suppress(bad)  # type: ignore[arg-type]
    assert isinstance(caught.value, UserError)
