"""Jinja filters: how numbers, shares, months and changes read on the pages.

In one place so every page writes "no data" (a month not loaded) the same way and
never as 0, and percentages carry the same precision everywhere. A change is
never told by colour alone: it carries an arrow and its sign, and for a
police-generated crime type (:mod:`harmwatch.evaluation.recording`) it is not
coloured at all, since its fall may mean less searching, not less crime. Periods
read as their runs of consecutive months (:func:`periods`), as the library
words them.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePath

from harmwatch.evaluation.rates import p_text
from harmwatch.evaluation.recording import police_generated
from harmwatch.sources.policeuk.forces import force_name as _force_name
from harmwatch.sources.policeuk.forces import forces_text
from harmwatch.timeline.months import month_label, periods_text


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
    """'↑ +12.5 %' against a loaded month; 'no data' when it is not loaded; 'from 0' when it was 0.

    The arrow and the sign say the direction, so it is never told by colour alone.
    """
    if base is None:
        return "no data"
    if rate is None:
        return "from 0"
    arrow = "↑" if rate > 0 else "↓" if rate < 0 else "→"
    return f"{arrow} {100 * rate:+.1f} %"


def change_class(rate: float | None, crime_type: str | None = None) -> str:
    """Red for a rise, green for a fall; neutral (no colour) for a police-generated type."""
    if rate is None:
        return "chg-none"
    if crime_type is not None and police_generated(crime_type):
        return "chg-neutral" if rate else "chg-flat"
    return "chg-up" if rate > 0 else "chg-down" if rate < 0 else "chg-flat"


def month_name(month: str | None) -> str:
    """'2025-12' -> 'Dec 2025'."""
    if not month or len(month) != 7:
        return month or "—"
    try:
        return month_label(month)
    except ValueError:
        return month


def periods(months: object) -> str:
    """'14 months in 2 runs: Mar 2024–Apr 2024 and Jan 2025–Dec 2025'."""
    return periods_text([str(m) for m in months])  # type: ignore[attr-defined]


def forces(slugs: object) -> str:
    """Forces as they write their names."""
    return forces_text([str(s) for s in slugs], most=50)  # type: ignore[attr-defined]


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
    """'p < 0.001' or 'p = 0.042': a p-value is never printed as zero (the library's wording)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "p = —"
    return p_text(number)


# The library words some messages for the command line ("give the period (e.g. --period
# 2025-10:2025-12)", "(harmwatch evaluate)"); a page says the same in its own words.
_PAGE_WORDS = (
    (re.compile(r"\s*\(harmwatch evaluate\)"), " (the \u201cDid it work?\u201d page)"),
    (re.compile(r"\s*\(harmwatch ingest\)"), " (on the Data page)"),
    (re.compile(r"\s*\(harmwatch crimes import[^)]*\)"), " (on the Force records page)"),
    (re.compile(r"\s*\(harmwatch [^)]*\)"), ""),
    (re.compile(r";\s*give current populations with --population"), ""),
    (re.compile(r"\s*\(--force, repeatable\)"), ""),
    (re.compile(r"\s*\((?:--as|--db)\)"), ""),
    (re.compile(r"\(e\.g\. --[\w-]+ "), "(e.g. "),
    (re.compile(r"(?<![\w-])--([a-z][\w-]*)"), r"\1"),
)


def plain(text: object) -> str:
    """Library text as a page says it: no command-line option or command in it."""
    out = "" if text is None else str(text)
    for pattern, words in _PAGE_WORDS:
        out = pattern.sub(words, out)
    return out


FILTERS = {
    "plain": plain,
    "ratio": ratio,
    "pvalue": pvalue,
    "num": num,
    "pct": pct,
    "count_or_nodata": count_or_nodata,
    "change": change,
    "change_class": change_class,
    "month_name": month_name,
    "periods": periods,
    "forces": forces,
    "force_name": force_name,
    "basename": basename,
}
