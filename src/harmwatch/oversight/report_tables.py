"""What a board report is made of: figures as shown, tables, pictures and sections.

Every number a report prints is a :class:`Figure`: its text as shown and, when it
is a count that is shown, the count itself, so that a page can mark counts up
(``<td class="count">``) and a check can find every one. A figure the
small-number rule hides is its label ("fewer than 5", "withheld") with no count.

:func:`breakdown` is how a report shows the parts of a figure another table
already publishes (county lines closed by Type 1 and Type 2, under the lines
closed that the measures show): the parts go through the one rule
(:mod:`harmwatch.outputs.suppression`) with that figure as a fixed total, and
when the figure is itself hidden, or the rule cannot protect a part, the parts
are left out — two tables cut from the same counts must not be protected apart.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harmwatch.outputs.suppression import suppress, suppress_counts

Shown = int | str | None  # a count, the rule's label (or other text), or nothing


@dataclass(frozen=True)
class Figure:
    """A number as printed; ``count`` is set only for a count that is shown."""

    text: str
    count: int | None = None

    def __str__(self) -> str:
        return self.text


Cell = str | Figure


def figure(value: Shown, *, none: str = "—") -> Figure:
    """A count (1,234), a label as it is ("fewer than 5"), or ``none`` for nothing."""
    if value is None:
        return Figure(none)
    if isinstance(value, bool):
        return Figure(str(value))
    if isinstance(value, int):
        return Figure(f"{value:,}", value)
    if isinstance(value, float):
        return Figure(f"{value:,.1f}")
    return Figure(str(value))


def count_of(value: Shown) -> int | None:
    """The count behind a shown figure, or None when it is hidden or not a count."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Image:
    """A PNG to embed, with the words that stand in for it (``alt``)."""

    png: bytes
    alt: str

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def to_dict(self) -> dict[str, Any]:
        return {"alt": self.alt, "png_bytes": len(self.png)}


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    row_headers: bool = True  # the first cell of each row names the row

    def to_dict(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "columns": self.columns,
            "rows": [[str(c) for c in row] for row in self.rows],
            "counts": [
                [c.count if isinstance(c, Figure) else None for c in row] for row in self.rows
            ],
            "notes": self.notes,
        }


@dataclass
class Section:
    """A part of the report drawn from one room, or why it has nothing to show."""

    key: str
    title: str
    available: bool = True
    reason: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "available": self.available,
            "reason": self.reason,
            "paragraphs": self.paragraphs,
            "tables": [t.to_dict() for t in self.tables],
            "notes": self.notes,
        }


def breakdown(parts: Sequence[int], total: Shown) -> list[Shown] | None:
    """The parts of ``total`` as a published report may show them, or None to leave them out.

    ``total`` is the figure as another table shows it: a count (then it is fixed,
    and the rule protects the parts against it), hidden text (the parts would give
    it back: left out) or None (no other table shows it: the parts' own total is
    not printed, so the parts are protected on their own).
    """
    if total is None:
        table = suppress_counts(list(parts), total=False)
        return [table.shown(i) for i in range(len(parts))]
    if count_of(total) is None or sum(parts) != total:
        return None
    table = suppress_counts(list(parts), total=True, total_fixed=True)
    if table.exposed:
        return None
    return [table.shown(i) for i in range(len(parts))]


def grouped_breakdown(
    groups: Sequence[Sequence[int]], totals: Sequence[Shown]
) -> list[list[Shown]] | None:
    """Parts in groups whose totals other tables show (samples retested and not yet retested).

    Each group's total must be shown as a count equal to its parts' sum; the groups
    are one table whose rows have those fixed totals, so a part cannot be worked
    out from its own group or from the others. None: leave the parts out.
    """
    if any(count_of(t) is None for t in totals) or [sum(g) for g in groups] != list(totals):
        return None
    width = max(len(g) for g in groups)
    # The padding cells are zeros the reader knows are zeros: they add no information.
    cells = np.zeros((len(groups), width), dtype=np.int64)
    for i, group in enumerate(groups):
        cells[i, : len(group)] = group
    table = suppress(cells, row_totals=True, totals_fixed=True)
    if table.exposed:
        return None
    return [[table.shown(i, j) for j in range(len(g))] for i, g in enumerate(groups)]


def list_with_total(values: Sequence[int]) -> tuple[list[Shown], Shown, bool]:
    """A list and its total through the rule: (parts, total, whether all could be protected)."""
    table = suppress_counts(list(values), total=True)
    column = table.shown_column_totals()
    total: Shown = column[0] if column else None
    return [table.shown(i) for i in range(len(values))], total, table.safe


# A whole number from 1 to 4 standing alone in prose (not part of 1,000, 2.5, 3 % or 2025).
_SMALL = re.compile(r"(?<![\w.,£−-])[1-4](?![\w.,%])")
# Prose numbers that are not counts of people or events: lengths of time and closure types.
_NOT_COUNTS = re.compile(
    r"\b[1-4]\s+(?:months?|years?|runs?)\b|\bType\s+[12]\b|\bpage\s+\d+\s+of\s+\d+\b"
    r"|\bsection\s+\d+\b|\b1\s+to\s+4\b",
    re.I,
)


def small_count_in(text: str) -> bool:
    """Whether prose carries a bare whole number from 1 to 4 that may be a count.

    A published report prints no count below 5; a sentence from another room that
    carries one (a note like "3 crimes have no location") is left out of it rather
    than printed (the report says how many were left out).
    """
    return bool(_SMALL.search(_NOT_COUNTS.sub(" ", text)))
