"""Months as 'YYYY-MM' strings, and runs of consecutive months.

Police.uk data are monthly and often have gaps (a force's files for some months
missing). Any series method must work within one run of consecutive months:
treating two runs as one series silently joins, say, 2019-02 to 2021-01.

A month a user typed that is not one is an :class:`~harmwatch.errors.InputError`
(a ``ValueError`` too), so every front shows it as bad input.

Describing a period to a reader follows the same rule: months are described as
their runs (:func:`periods_text`: "14 months in 2 runs: Mar 2024–Apr 2024 and
Jan 2025–Dec 2025"), never as "first to last", which would claim the months in a
gap. Every page, chart title and map title that names a period uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from harmwatch.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text.strip())
    if not match:
        raise InputError(f"not a month (YYYY-MM): {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_number(text: str) -> int:
    """Months since year 0: consecutive months differ by exactly 1."""
    year, month = parse_month(text)
    return year * 12 + (month - 1)


def month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def add_months(text: str, n: int) -> str:
    return month_text(month_number(text) + n)


def month_range(first: str, last: str) -> list[str]:
    a, b = month_number(first), month_number(last)
    if b < a:
        raise InputError(f"month range ends ({last}) before it starts ({first})")
    return [month_text(m) for m in range(a, b + 1)]


def consecutive_runs(months: Iterable[str]) -> list[list[str]]:
    """Split distinct months into maximal runs of consecutive months, in order."""
    numbers = sorted({month_number(m) for m in months})
    runs: list[list[str]] = []
    for n in numbers:
        if runs and month_number(runs[-1][-1]) == n - 1:
            runs[-1].append(month_text(n))
        else:
            runs.append([month_text(n)])
    return runs


def runs_text(months: Iterable[str]) -> str:
    """Months as their runs, for messages: '2021-05…2024-04, 2025-01…2025-12, 2026-03'."""
    return ", ".join(
        f"{run[0]}…{run[-1]}" if len(run) > 1 else run[0] for run in consecutive_runs(months)
    )


def span_text(first: str, last: str) -> str:
    """'2025-10…2025-12', or '2025-12' for a single month."""
    return first if first == last else f"{first}…{last}"


def count_text(n: int, unit: str = "month") -> str:
    """'1 month', '3 months'."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def parse_month_spec(spec: str) -> list[str]:
    """'2021-01', '2021-01:2021-06' or a comma list of either, as a sorted month list."""
    out: set[str] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if ":" in part or ".." in part:
            first, last = re.split(r":|\.\.", part, maxsplit=1)
            out.update(month_range(first.strip(), last.strip()))
        else:
            parse_month(part)
            out.add(part)
    if not out:
        raise InputError(f"no months in {spec!r}")
    return sorted(out, key=month_number)


def parse_period(spec: str, label: str = "period") -> tuple[str, str]:
    """'2024-01' or '2024-01:2024-03' as (first, last); a list with a gap is refused."""
    months = parse_month_spec(spec)
    if month_number(months[-1]) - month_number(months[0]) + 1 != len(months):
        raise InputError(f"{label} must be one run of consecutive months, got {spec!r}")
    return months[0], months[-1]


def months_text(months: Sequence[str]) -> str:
    """Months as :func:`parse_month_spec` reads them, runs compact: '2025-01:2025-06,2025-09'."""
    return ",".join(
        f"{run[0]}:{run[-1]}" if len(run) > 1 else run[0] for run in consecutive_runs(months)
    )


def month_label(text: str) -> str:
    """'2025-03' -> 'Mar 2025', as a reader writes a month."""
    year, month = parse_month(text)
    return f"{MONTH_ABBR[month - 1]} {year}"


def run_label(run: Sequence[str]) -> str:
    """One run of consecutive months: 'Mar 2024–Apr 2024', or 'Dec 2025' for one month."""
    first, last = month_label(run[0]), month_label(run[-1])
    return first if first == last else f"{first}–{last}"


def periods_text(months: Iterable[str]) -> str:
    """Months for a reader, as their runs: never "first to last" across a gap.

    '12 months: Jan 2025–Dec 2025'; '14 months in 2 runs: Mar 2024–Apr 2024 and
    Jan 2025–Dec 2025'; '1 month: Dec 2025'; 'no months'.
    """
    runs = consecutive_runs(months)
    if not runs:
        return "no months"
    n = sum(len(run) for run in runs)
    labels = [run_label(run) for run in runs]
    if len(labels) == 1:
        return f"{count_text(n)}: {labels[0]}"
    listed = ", ".join(labels[:-1]) + f" and {labels[-1]}"
    return f"{count_text(n)} in {len(runs)} runs: {listed}"


def calendar_span(months: Iterable[str]) -> list[str]:
    """Every calendar month from the first to the last of ``months``, gaps included.

    A chart's time axis: a month not loaded keeps its place on the axis, so a gap
    shows as a gap and the lines break there instead of joining across it.
    """
    numbers = sorted({month_number(m) for m in months})
    if not numbers:
        return []
    return [month_text(n) for n in range(numbers[0], numbers[-1] + 1)]
