"""When to patrol a zone: its peak hours of the week, and how to visit them.

The input is one zone's hour-of-week profile, a ``(7, 24)`` array of (aoristic)
crime weights by local day (0 = Monday) and hour, as
:func:`harmwatch.where.kernels.aoristic.aoristic_profile` gives. The peak is
the smallest set of hour-of-week cells that holds at least ``target_share`` of
the weight, chosen greedily from the heaviest cell down (ties go to the earlier
day and hour, so the same profile always gives the same answer). Adjacent
hours on one day are merged into windows; a window that would cross midnight
is left as two, one on each day, because "Fri 20:00–24:00" and "Sat
00:00–02:00" are easier to read on a duty rota than a window that changes day.
At most ``max_windows`` windows (the heaviest) are kept, and the share they
cover is reported after that cap, so it can be below the target.

How to visit comes from the patrol-dosage evidence, and is given as guidance,
not as a rule:

* Koper (1995) found, in the Minneapolis hot spots experiment, that the time a
  hot spot stayed free of disorder after police left rose with the length of
  the stop up to about 15 minutes and fell after that: visits of 10–15 minutes.
* Telep, Mitchell & Weisburd (2014) put that into practice in Sacramento, with
  visits of about 15 minutes made in an unpredictable order about every two
  hours, in a randomised trial run by the police agency itself.
* The College of Policing's Crime Reduction Toolkit summarises the wider
  hot spots policing evidence.

The visits suggested for a window are one every ``revisit_hours`` of it,
rounded up, and at least one. The hours themselves come from recorded crime,
which reflects where and when police look as well as when crime happens; the
guidance says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DAY_NAMES",
    "SOURCES",
    "PatrolTiming",
    "PatrolWindow",
    "patrol_timing",
    "profile_table",
]

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

KOPER_1995 = (
    "Koper, C. S. (1995). Just enough police presence: reducing crime and disorderly "
    "behavior by optimizing patrol time in crime hot spots. Justice Quarterly, 12(4), 649–672."
)
TELEP_2014 = (
    "Telep, C. W., Mitchell, R. J., & Weisburd, D. (2014). How much time should the police "
    "spend at crime hot spots? Answers from a police agency directed randomized field trial "
    "in Sacramento, California. Justice Quarterly, 31(5), 905–933."
)
COLLEGE_TOOLKIT = (
    "College of Policing. Crime Reduction Toolkit: Hot spots policing. "
    "What Works Centre for Crime Reduction, college.police.uk."
)
SOURCES: tuple[str, ...] = (KOPER_1995, TELEP_2014, COLLEGE_TOOLKIT)

# Visit lengths and spacing the sources above support; guidance for other
# settings says that they depart from them.
_EVIDENCE_MINUTES = (10, 15)
_EVIDENCE_REVISIT_HOURS = 2.0
# Slack when rounding visits up: 6 / 0.1 is 60.00000000000001 in floating point.
_CEIL_SLACK = 1e-9


@dataclass(frozen=True)
class PatrolWindow:
    """A run of consecutive peak hours on one day."""

    day: int  # 0 = Monday
    start_hour: int  # local
    end_hour: int  # exclusive, may be 24; windows never cross midnight
    share: float  # share of the zone's weighted crimes in the window
    visits: int  # suggested number of visits in the window

    @property
    def hours(self) -> int:
        return self.end_hour - self.start_hour

    def label(self) -> str:
        """E.g. ``"Fri 20:00–24:00"``."""
        return f"{DAY_NAMES[self.day]} {self.start_hour:02d}:00–{self.end_hour:02d}:00"


@dataclass(frozen=True)
class PatrolTiming:
    """Peak windows of one zone and the visit guidance for them."""

    windows: tuple[PatrolWindow, ...]  # ordered by day then hour
    covered_share: float  # share of the zone's crimes in the windows
    crimes: float  # total weight of the profile
    guidance: str  # the visit guidance, with its sources named
    sources: tuple[str, ...]  # full references
    note: str | None  # why there are no windows, or fewer than asked for


def _check_profile(profile: np.ndarray) -> np.ndarray:
    p = np.asarray(profile)
    if p.shape != (7, 24):
        raise ValueError(
            f"profile must be a (7, 24) array of day of week (0 = Monday) by hour, got shape {p.shape}"
        )
    if p.dtype.kind not in "biuf":
        raise ValueError(f"profile must be numeric, got dtype {p.dtype}")
    p = p.astype(np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError(
            f"profile must be finite; {int(np.count_nonzero(~np.isfinite(p)))} cell(s) are not"
        )
    if np.any(p < 0):
        raise ValueError(
            f"profile must not be negative; {int(np.count_nonzero(p < 0))} cell(s) are below zero"
        )
    return p


def profile_table(profile: np.ndarray) -> list[dict[str, object]]:
    """Rows ``{"day": "Mon", "hour": 0..23, "weight": float}``, Monday 00:00 first, for CSV."""
    p = _check_profile(profile)
    return [
        {"day": DAY_NAMES[d], "hour": h, "weight": float(p[d, h])}
        for d in range(7)
        for h in range(24)
    ]


def _guidance(visit_minutes: tuple[float, float], revisit_hours: float) -> str:
    lo, hi = visit_minutes
    length = f"{lo:g}–{hi:g} minutes" if lo != hi else f"{lo:g} minutes"
    text = (
        "Guidance from the evidence, not a rule: during the windows, visit the zone for "
        f"about {length} at a time, in an unpredictable order, about every "
        f"{revisit_hours:g} hours. "
    )
    if (lo, hi) != _EVIDENCE_MINUTES or revisit_hours != _EVIDENCE_REVISIT_HOURS:
        text += "(These settings differ from the evidence's 10–15 minutes about every two hours.) "
    return text + (
        "Koper (1995) found that the deterrence that lasted after police left a hot spot rose "
        "with the length of the stop up to about 15 minutes and fell after that; Telep, "
        "Mitchell & Weisburd (2014) tested 15-minute visits in an unpredictable order about "
        "every two hours in a randomised trial in Sacramento. See also the College of "
        "Policing Crime Reduction Toolkit, 'Hot spots policing'. The hours come from recorded "
        "crime, which reflects where and when police look as well as when crime happens: "
        "drug offences especially are mostly found by police activity, so their peak hours "
        "may be the hours of past patrols."
    )


def _runs(selected: np.ndarray) -> list[tuple[int, int, int]]:
    """``(day, start_hour, end_hour)`` of each run of True hours, day by day."""
    runs: list[tuple[int, int, int]] = []
    for day in range(7):
        # Pad with False so every run has a rising and a falling edge within the day.
        edges = np.diff(np.concatenate([[False], selected[day], [False]]).astype(np.int8))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        runs.extend((day, int(a), int(b)) for a, b in zip(starts, ends, strict=True))
    return runs


def patrol_timing(
    profile: np.ndarray,
    *,
    target_share: float = 0.5,
    max_windows: int = 6,
    visit_minutes: tuple[float, float] = (10, 15),
    revisit_hours: float = 2.0,
    min_crimes: float = 10.0,
) -> PatrolTiming:
    """Peak patrol windows of a zone's ``(7, 24)`` hour-of-week profile, with visit guidance.

    Args:
        profile: ``(7, 24)`` non-negative, finite weights, day of week
            (0 = Monday) by local hour.
        target_share: the windows are the fewest hours holding at least this
            share of the weight, ``0 < target_share <= 1``.
        max_windows: at most this many windows are kept, the heaviest.
        visit_minutes: ``(shortest, longest)`` visit length for the guidance.
        revisit_hours: one visit every this many hours of a window.
        min_crimes: below this total weight no windows are given: a handful of
            crimes falls in some hours by chance, not as a pattern.

    Returns:
        A :class:`PatrolTiming`. ``covered_share`` is the share of the weight
        in the windows kept, which is below ``target_share`` when the cap on
        windows drops some (``note`` then says so).

    Raises:
        ValueError: if the profile is not a finite, non-negative ``(7, 24)``
            array, or a setting is out of range.
    """
    p = _check_profile(profile)
    if not (0 < target_share <= 1):
        raise ValueError(f"target_share must be above 0 and at most 1, got {target_share!r}")
    if isinstance(max_windows, bool) or not isinstance(max_windows, int | np.integer):
        raise ValueError(f"max_windows must be a whole number, got {max_windows!r}")
    if max_windows < 1:
        raise ValueError(f"max_windows must be at least 1, got {max_windows}")
    if len(visit_minutes) != 2:
        raise ValueError(f"visit_minutes must be (shortest, longest), got {visit_minutes!r}")
    lo, hi = (float(v) for v in visit_minutes)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(
            f"visit_minutes must be two positive lengths, shortest first, got {visit_minutes!r}"
        )
    if not (math.isfinite(revisit_hours) and revisit_hours > 0):
        raise ValueError(f"revisit_hours must be a positive number, got {revisit_hours!r}")
    if not (math.isfinite(min_crimes) and min_crimes >= 0):
        raise ValueError(f"min_crimes must be zero or more, got {min_crimes!r}")

    guidance = _guidance((lo, hi), float(revisit_hours))
    flat = p.ravel()  # index = day * 24 + hour
    total = float(flat.sum())

    def empty(note: str) -> PatrolTiming:
        return PatrolTiming((), 0.0, total, guidance, SOURCES, note)

    if total <= 0:
        return empty("no crimes in this zone: there are no hours to patrol")
    if total < min_crimes:
        return empty(f"fewer than {min_crimes:g} crimes ({total:.1f}): the hours are not a pattern")

    # Stable sort of the negated weights: heaviest first, ties in day/hour order.
    order = np.argsort(-flat, kind="stable")
    cum = np.cumsum(flat[order])
    # Compare with the sorted cumulative total, not flat.sum(): the same
    # additions in the same order, so target_share = 1 is reached exactly.
    k = int(np.searchsorted(cum, target_share * cum[-1], side="left")) + 1
    selected = np.zeros(flat.size, dtype=bool)
    selected[order[:k]] = True
    runs = _runs(selected.reshape(7, 24))

    windows = []
    for day, a, b in runs:
        hours = b - a
        visits = max(1, math.ceil(hours / revisit_hours - _CEIL_SLACK))
        windows.append(PatrolWindow(day, a, b, float(p[day, a:b].sum()) / total, visits))
    note = None
    if len(windows) > max_windows:
        # Heaviest first, earlier first on ties (sorted() is stable and the list
        # is in day/hour order), then back to day/hour order for reading.
        kept = sorted(windows, key=lambda w: -w.share)[:max_windows]
        windows = sorted(kept, key=lambda w: (w.day, w.start_hour))
    covered = float(sum(w.share for w in windows))
    if len(runs) > max_windows:
        note = (
            f"the busiest hours fall in {len(runs)} separate windows; the {max_windows} "
            f"heaviest are kept and hold {covered:.0%} of the crimes, "
            f"short of the {target_share:.0%} asked for"
        )
    return PatrolTiming(tuple(windows), covered, total, guidance, SOURCES, note)
