"""Aoristic apportioning of crimes known only within a time range, to hour of week.

Many property crimes are found, not seen: a burglary is known only to have
happened "between 18:00 when they left and 07:30 when they came back". Counting
it at 18:00 (or at 07:30, or at the midpoint) piles such crimes up at the hours
victims leave or come home. Aoristic analysis (Ratcliffe & McCullagh 1998,
"Aoristic crime analysis", Int. J. Geographical Information Science
12(7):751-764; Ratcliffe 2002, "Aoristic signatures and the spatio-temporal
analysis of high volume crime patterns", J. Quantitative Criminology
18(1):23-43) instead spreads each crime over the hours it may have happened in,
in proportion to how much of its range falls in each. For a crime with the
half-open range ``[start, end)`` the weight of local clock hour ``h`` is

    w(h) = |[start, end) ∩ h| / (end - start)

so a crime's weights sum to 1 and a profile's total is its number of crimes. A
crime with one known time (no end, or ``end == start``) puts weight 1 in the
local hour that contains it. The 13.5 hours of the burglary above give 1/13.5
to each of 18:00-06:00 and 0.5/13.5 to 07:00.

The profile is by **local** day of week and hour, because patrols are planned
on the clock on the wall. Times are taken in UTC, cut at UTC hour boundaries
and each piece is then given its local day and hour with the zone's rules, so
daylight saving comes out right: on the night the clocks go back local 01:00
happens twice and gets both real hours; on the night they go forward local
01:00 never happens and gets nothing. This relies on the zone's UTC offsets
being whole hours, which is true of the UK (and of any zone used with police.uk
data) since 1847; zones or dates with other offsets are refused.

Ranges longer than ``max_span_hours`` are left out: spread over a week or more,
a crime says nothing about the hour of week, and it would only flatten the
profile. They are counted, as are invalid records, so that a report can say
how many crimes the profile stands for.

Everything is vectorised: each crime is expanded into its UTC hour pieces with
``np.repeat``, in chunks of a bounded number of pieces, and the weights are
summed with ``np.bincount``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

__all__ = ["HOURS_PER_WEEK", "AoristicProfile", "aoristic_profile"]

HOURS_PER_WEEK = 168
_HOUR_S = 3600
# 1970-01-01, hour 0 of the int64 epoch, was a Thursday: 3 days after the Monday
# that starts our weeks.
_EPOCH_HOUR_OF_WEEK = 3 * 24
# Pieces handled at once. Each piece costs about ten int64/float64 temporaries,
# so a chunk peaks at ~80 MB whatever the crimes' spans; big enough that the
# per-chunk overhead is negligible.
_CHUNK_PIECES = 1_000_000


@dataclass(frozen=True, eq=False)
class AoristicProfile:
    """Hour-of-week profiles of one or more groups of crimes (e.g. patrol zones).

    ``eq=False``: the fields are arrays, for which ``==`` is elementwise, so the
    generated ``__eq__`` and ``__hash__`` would fail.
    """

    weights: np.ndarray  # (n_groups, 7, 24) float64: day of week (0 = Monday) x local hour
    n_exact: np.ndarray  # (n_groups,) int64: crimes with one known time
    n_ranged: np.ndarray  # (n_groups,) int64: crimes spread over a range
    n_too_long: np.ndarray  # (n_groups,) int64: ranges over max_span_hours, not in weights
    n_invalid: np.ndarray  # (n_groups,) int64: no start, or end before start; not in weights
    zone: str
    max_span_hours: float

    def total(self) -> np.ndarray:
        """``(7, 24)`` profile summed over the groups."""
        return np.asarray(self.weights.sum(axis=0))


def _as_utc_seconds(values: object, name: str) -> np.ndarray:
    """Whole seconds since the epoch (int64) of naive UTC datetime64 values.

    Casting to ``datetime64[s]`` floors sub-second parts, so a range shorter
    than a second becomes an exact time. NaT stays NaT (int64 min), which
    callers test with ``np.isnat`` before this cast.
    """
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        raise ValueError(
            f"{name} must be a numpy datetime64 array of naive UTC times, got dtype {arr.dtype}; "
            "for a timezone-aware pandas Series use "
            ".dt.tz_convert('UTC').dt.tz_localize(None).to_numpy()"
        )
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr.astype("datetime64[s]").view(np.int64)


def _resolve_zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {zone!r}; use an IANA name such as 'Europe/London'"
        ) from exc


def _wall_seconds(utc_s: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Local wall-clock time, as seconds since the local epoch, of UTC seconds."""
    idx = pd.DatetimeIndex(utc_s.astype("datetime64[s]")).tz_localize("UTC").tz_convert(tz)
    return np.asarray(idx.tz_localize(None), dtype="datetime64[s]").view(np.int64)


def _hour_of_week_of_utc_hours(utc_hours: np.ndarray, tz: ZoneInfo, zone: str) -> np.ndarray:
    """Local hour of week (``day * 24 + hour``, 0 = Monday 00:00) of whole UTC hours.

    A UTC hour maps onto a single local hour only if the zone's offset is a
    whole number of hours and does not change inside it. Both are checked, at
    the first and last second of every hour, rather than assumed: the UK's
    offsets are whole hours and change on UTC hour boundaries (01:00 UTC), but
    before December 1847 London kept local mean time (-0:01:15), which a
    mistyped year can reach.
    """
    start = utc_hours * _HOUR_S
    off_start = _wall_seconds(start, tz) - start
    off_end = _wall_seconds(start + (_HOUR_S - 1), tz) - (start + (_HOUR_S - 1))
    bad = (off_start % _HOUR_S != 0) | (off_start != off_end)
    if bad.any():
        first = int(start[np.flatnonzero(bad)[0]])
        when = np.datetime64(first, "s")
        offset = int(off_start[np.flatnonzero(bad)[0]])
        sign = "-" if offset < 0 else "+"
        hh, rest = divmod(abs(offset), _HOUR_S)
        mm, ss = divmod(rest, 60)
        raise ValueError(
            f"time zone {zone!r} is {sign}{hh}:{mm:02d}:{ss:02d} from UTC at {when} UTC, or "
            "changes offset inside that hour; aoristic hours need whole-hour offsets that "
            "change on the hour. A date that far out of place is usually a typo: drop it first"
        )
    local_hours = (start + off_start) // _HOUR_S
    return np.asarray((local_hours + _EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK)


def _add_pieces(
    out: np.ndarray,
    start_s: np.ndarray,
    end_s: np.ndarray,
    group: np.ndarray,
    tz: ZoneInfo,
    zone: str,
) -> None:
    """Add the weights of crimes ``[start_s, end_s)`` (all ``end_s > start_s``) to ``out``.

    ``out`` is the flat ``n_groups * 168`` accumulator.
    """
    h0 = start_s // _HOUR_S
    h1 = (end_s - 1) // _HOUR_S  # half-open: an end on the hour does not touch that hour
    k = h1 - h0 + 1
    owner = np.repeat(np.arange(start_s.size), k)
    first_piece = np.cumsum(k) - k
    hour = h0[owner] + (np.arange(owner.size) - first_piece[owner])
    lo = np.maximum(start_s[owner], hour * _HOUR_S)
    hi = np.minimum(end_s[owner], (hour + 1) * _HOUR_S)
    weight = (hi - lo) / (end_s - start_s)[owner]
    # A year of data has under 9,000 distinct hours however many crimes it holds,
    # so converting the distinct hours, not the pieces, keeps the zone rules cheap.
    unique_hours, inverse = np.unique(hour, return_inverse=True)
    how = _hour_of_week_of_utc_hours(unique_hours, tz, zone)[inverse.ravel()]
    out += np.bincount(group[owner] * HOURS_PER_WEEK + how, weights=weight, minlength=out.size)


def aoristic_profile(
    start_utc: np.ndarray,
    end_utc: np.ndarray | None,
    *,
    zone: str = "Europe/London",
    groups: np.ndarray | None = None,
    n_groups: int | None = None,
    max_span_hours: float = 168.0,
    chunk_pieces: int = _CHUNK_PIECES,
) -> AoristicProfile:
    """Aoristic hour-of-week profile of crimes, per group.

    Args:
        start_utc: ``(n,)`` numpy ``datetime64`` (any unit) of the start of each
            crime's range (or its one known time), naive values meaning UTC.
            NaT makes the record invalid.
        end_utc: ``(n,)`` ``datetime64`` of the (exclusive) end of each range;
            NaT, or a value equal to the start, means the time is known
            exactly. ``None`` means every time is exact. Times are read to the
            whole second.
        zone: IANA time zone whose wall clock the profile is in.
        groups: optional ``(n,)`` integer group of each crime (e.g. the patrol
            zone it falls in), ``0 .. n_groups - 1``. A negative group means the
            crime is in none: it is left out and not counted. ``None`` puts
            every crime in group 0.
        n_groups: number of groups; ``None`` means ``groups.max() + 1`` (1 when
            ``groups`` is None).
        max_span_hours: ranges longer than this are left out of the weights and
            counted in ``n_too_long``; a range of exactly this length is kept.
            The default, a week, only drops ranges that cannot say anything
            about the hour of week; a tighter cap (e.g. 24 or 48 hours) keeps
            the profile to the crimes whose time is roughly known.
        chunk_pieces: about how many crime-hour pieces are expanded at once;
            it bounds memory (roughly 80 bytes a piece), not the result. A
            chunk always takes at least one crime, so with a very large
            ``max_span_hours`` one long range can exceed it.

    Returns:
        An :class:`AoristicProfile`. ``weights[g].sum()`` equals
        ``n_exact[g] + n_ranged[g]`` up to rounding.

    Raises:
        ValueError: on inputs that are not 1-D ``datetime64`` arrays of one
            length, non-integer or out-of-range groups, a non-positive or
            non-finite ``max_span_hours``, an unknown zone, or a zone whose
            offset at some crime's time is not a whole number of hours.
    """
    start_arr = np.asarray(start_utc)
    s = _as_utc_seconds(start_arr, "start_utc")
    start_ok = ~np.isnat(start_arr)
    n = s.size
    if end_utc is None:
        e = s.copy()
        end_given = np.zeros(n, dtype=bool)
    else:
        end_arr = np.asarray(end_utc)
        e = _as_utc_seconds(end_arr, "end_utc")
        if e.size != n:
            raise ValueError(f"start_utc has {n} values but end_utc has {e.size}")
        end_given = ~np.isnat(end_arr)
    if not (math.isfinite(max_span_hours) and max_span_hours > 0):
        raise ValueError(f"max_span_hours must be a positive number, got {max_span_hours!r}")
    if chunk_pieces < 1:
        raise ValueError(f"chunk_pieces must be at least 1, got {chunk_pieces!r}")
    tz = _resolve_zone(zone)

    if groups is None:
        if n_groups is not None and n_groups < 1:
            raise ValueError(f"n_groups must be at least 1, got {n_groups}")
        n_groups = 1 if n_groups is None else int(n_groups)
        group = np.zeros(n, dtype=np.int64)
    else:
        g = np.asarray(groups)
        if g.dtype.kind not in "iu":
            raise ValueError(f"groups must be an integer array, got dtype {g.dtype}")
        if g.shape != (n,):
            raise ValueError(f"groups has shape {g.shape}, expected ({n},) like start_utc")
        group = g.astype(np.int64)
        top = int(group.max()) if n else -1
        if n_groups is None:
            n_groups = max(top + 1, 0)
        elif n_groups < 0:
            raise ValueError(f"n_groups must not be negative, got {n_groups}")
        elif top >= n_groups:
            raise ValueError(f"group id {top} is out of range for n_groups={n_groups}")
        n_groups = int(n_groups)

    in_group = group >= 0
    # NaT is int64 min in s and e; every comparison below is masked by
    # start_ok / end_given so those sentinels are never read as times.
    exact = start_ok & (~end_given | (e == s))
    ordered = start_ok & end_given & (e > s)
    invalid = ~start_ok | (start_ok & end_given & (e < s))
    # Compare in seconds with integers where possible: the cap is a float of hours.
    too_long = ordered & ((e - s) > max_span_hours * _HOUR_S)
    ranged = ordered & ~too_long

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask & in_group], minlength=n_groups).astype(np.int64)

    out = np.zeros(n_groups * HOURS_PER_WEEK, dtype=np.float64)
    use = (exact | ranged) & in_group
    # An exact time is treated as the one-second range [t, t + 1): it lands in
    # the hour holding t with weight 1/1, through the same code as the ranges.
    # (This also replaces the NaT sentinel of a missing end.)
    us, ue, ug = s[use], np.where(exact, s + 1, e)[use], group[use]
    pieces = (ue - 1) // _HOUR_S - us // _HOUR_S + 1
    cum = np.cumsum(pieces)
    lo = 0
    while lo < us.size:
        before = int(cum[lo] - pieces[lo])
        hi = max(int(np.searchsorted(cum, before + chunk_pieces, side="right")), lo + 1)
        _add_pieces(out, us[lo:hi], ue[lo:hi], ug[lo:hi], tz, zone)
        lo = hi

    return AoristicProfile(
        weights=out.reshape(n_groups, 7, 24),
        n_exact=count(exact),
        n_ranged=count(ranged),
        n_too_long=count(too_long),
        n_invalid=count(invalid),
        zone=zone,
        max_span_hours=float(max_span_hours),
    )
