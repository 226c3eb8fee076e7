"""The small result table every call-data analysis returns, and its CSV and JSON forms.

A :class:`Table` is a title, column names, rows (tuples in column order) and notes
(the definitions and caveats a reader needs beside the figures). :func:`to_csv`
writes RFC 4180 CSV with a header row and no notes (a spreadsheet would read notes
as data; :func:`to_json` carries them). Text cells a spreadsheet would run as a
formula (starting ``= + - @``, tab or CR) get a leading ``'``, as the access-log
export does — except an E.164 party key (``+`` then digits only), which no
spreadsheet runs and which investigators must see exactly as stored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+\d+")


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    notes: tuple[str, ...] = ()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        # repr keeps every digit a float has (str would too, but says so by rule).
        return repr(value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _E164.fullmatch(text):
        return "'" + text
    return text


def to_csv(table: Table) -> str:
    """The table as CSV text: a header of ``columns``, then one line per row (CRLF ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([_text(v) for v in row] for row in table.rows)
    return out.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_json(table: Table) -> dict[str, Any]:
    """The table as a JSON-ready dict: title, columns, rows (one object per row), notes.

    Times are ISO 8601 text without an offset: ``*_local`` columns are UK wall clock,
    ``*_utc`` columns are UTC, as their names say.
    """
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": [
            {c: _json_value(v) for c, v in zip(table.columns, row, strict=True)}
            for row in table.rows
        ],
        "notes": list(table.notes),
    }
