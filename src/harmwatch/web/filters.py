"""Jinja filters: how numbers, shares, months and changes read on the pages.

In one place so every page writes "no data" (a month not loaded) the same way and
never as 0, and percentages carry the same precision everywhere.
"""

from __future__ import annotations

import math
from pathlib import PurePath

from harmwatch.sources.policeuk.forces import force_name as _force_name

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def num(value: object) -> str:
    """Thousands separators; floats to three significant figures below 1,000."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "—"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.3g}" if abs(number) < 1000 else f"{number:,.0f}"


def pct(value: object, digits: int = 1) -> str:
    if value is None:
        return "—"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "—" if not math.isfinite(number) else f"{100 * number:.{digits}f} %"


def count_or_nodata(value: int | None) -> str:
    return "no data" if value is None else num(value)


def change(rate: float | None, base: int | None) -> str:
    """'+12.5 %' against a loaded month; 'no data' when it is not loaded; 'from 0' when it was 0."""
    if base is None:
        return "no data"
    if rate is None:
        return "from 0"
    return f"{100 * rate:+.1f} %"


def change_class(rate: float | None) -> str:
    if rate is None:
        return "chg-none"
    return "chg-up" if rate > 0 else "chg-down" if rate < 0 else "chg-flat"


def month_name(month: str | None) -> str:
    """'2025-12' -> 'Dec 2025'."""
    if not month or len(month) != 7:
        return month or "—"
    return f"{_MONTHS[int(month[5:]) - 1]} {month[:4]}"


def force_name(slug: str) -> str:
    return _force_name(slug)


def basename(path: str) -> str:
    return PurePath(str(path).split("!")[-1]).name


def ratio(value: object) -> str:
    """A ratio to two decimals; '∞' for an unbounded interval end, '—' when undefined."""
    if value is None:
        return "—"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "—"
    return "∞" if math.isinf(number) else f"{number:.2f}"


def pvalue(value: object) -> str:
    """'p < 0.001' or 'p = 0.042': a p-value is never printed as zero."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "p = —"
    if not math.isfinite(number):
        return "p = —"
    return "p < 0.001" if number < 0.001 else f"p = {number:.3f}"


FILTERS = {
    "ratio": ratio,
    "pvalue": pvalue,
    "num": num,
    "pct": pct,
    "count_or_nodata": count_or_nodata,
    "change": change,
    "change_class": change_class,
    "month_name": month_name,
    "force_name": force_name,
    "basename": basename,
}
