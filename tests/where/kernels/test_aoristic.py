"""Aoristic hour-of-week profiles: hand-worked ranges, both DST changes, and a brute force."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from harmwatch.where.kernels.aoristic import AoristicProfile, aoristic_profile

MON, TUE, SAT, SUN = 0, 1, 5, 6
NAT = np.datetime64("NaT", "m")


def t(value: str) -> np.datetime64:
    """A naive UTC time to the minute."""
    return np.datetime64(value, "m")


def one(start: str, end: str | None) -> AoristicProfile:
    """The profile of a single crime."""
    return aoristic_profile(np.array([t(start)]), np.array([NAT if end is None else t(end)]))


def test_burglary_overnight_by_hand() -> None:
    # Monday 13 Jan 2025 18:00 to Tuesday 14 Jan 07:30, GMT, so UTC = local.
    # 13.5 hours: Mon 18..23 (6 h) and Tue 00..06 (7 h) whole, Tue 07 half.
    expected = np.zeros((7, 24))
    expected[MON, 18:24] = 1 / 13.5
    expected[TUE, 0:7] = 1 / 13.5
    expected[TUE, 7] = 0.5 / 13.5
    p = one("2025-01-13T18:00", "2025-01-14T07:30")
    assert p.weights.shape == (1, 7, 24)
    np.testing.assert_allclose(p.weights[0], expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)
    assert p.total().sum() == pytest.approx(1.0, abs=1e-15)
    assert (p.n_exact[0], p.n_ranged[0], p.n_too_long[0], p.n_invalid[0]) == (0, 1, 0, 0)


def test_sunday_night_wraps_to_monday() -> None:
    # Sun 19 Jan 2025 23:15 to Mon 20 Jan 00:45 GMT: 1.5 h, 0.75 h in Sun 23
    # (day 6) and 0.75 h in Mon 00 (day 0): half each.
    p = one("2025-01-19T23:15", "2025-01-20T00:45")
    expected = np.zeros((7, 24))
    expected[SUN, 23] = 0.5
    expected[MON, 0] = 0.5
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)

    # Sun 22:00 to Mon 02:00: four whole hours, a quarter each.
    p = one("2025-01-19T22:00", "2025-01-20T02:00")
    expected = np.zeros((7, 24))
    expected[SUN, 22:24] = 0.25
    expected[MON, 0:2] = 0.25
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)


def test_clocks_go_back_local_one_oclock_twice() -> None:
    # Sat 25 Oct 2025 22:00 BST = 21:00 UTC to Sun 26 Oct 03:00 GMT = 03:00 UTC:
    # six real hours. UTC 21, 22, 23 are BST 22, 23 (Sat) and 00 (Sun); UTC 00 is
    # BST 01:00 and UTC 01 is GMT 01:00 again; UTC 02 is GMT 02.
    p = one("2025-10-25T21:00", "2025-10-26T03:00")
    expected = np.zeros((7, 24))
    expected[SAT, 22] = expected[SAT, 23] = 1 / 6
    expected[SUN, 0] = 1 / 6
    expected[SUN, 1] = 2 / 6
    expected[SUN, 2] = 1 / 6
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)


def test_clocks_go_forward_local_one_oclock_never_happens() -> None:
    # Sat 29 Mar 2025 22:00 GMT to Sun 30 Mar 03:00 BST = 02:00 UTC: four real
    # hours. UTC 22, 23, 00 are GMT 22, 23, 00; UTC 01 is already BST 02:00.
    p = one("2025-03-29T22:00", "2025-03-30T02:00")
    expected = np.zeros((7, 24))
    expected[SAT, 22] = expected[SAT, 23] = 0.25
    expected[SUN, 0] = expected[SUN, 2] = 0.25
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)
    assert p.total()[SUN, 1] == 0.0


def test_exact_times_nat_end_and_equal_end() -> None:
    # 14:59 UTC in July is 15:59 BST on Tuesday 1 Jul 2025; 12:00 UTC on Monday
    # 13 Jan 2025 is 12:00 GMT. Three crimes: NaT end, end == start, no end array.
    start = np.array([t("2025-07-01T14:59"), t("2025-01-13T12:00")])
    p = aoristic_profile(start, np.array([NAT, t("2025-01-13T12:00")]))
    expected = np.zeros((7, 24))
    expected[TUE, 15] = 1.0
    expected[MON, 12] = 1.0
    np.testing.assert_array_equal(p.total(), expected)
    assert (p.n_exact[0], p.n_ranged[0]) == (2, 0)
    np.testing.assert_array_equal(aoristic_profile(start, None).total(), expected)


def test_end_on_the_hour_does_not_touch_that_hour() -> None:
    # [10:00, 11:00) is all of hour 10 and none of hour 11.
    p = one("2025-01-13T10:00", "2025-01-13T11:00")
    assert p.total()[MON, 10] == 1.0 and p.total()[MON, 11] == 0.0


def test_invalid_records_are_counted_and_left_out() -> None:
    start = np.array([t("2025-01-13T10:00"), NAT, NAT, t("2025-01-13T10:00")])
    end = np.array([t("2025-01-13T09:00"), NAT, t("2025-01-13T11:00"), NAT])
    p = aoristic_profile(start, end)
    # End before start, no start at all, no start with an end: invalid. The last is exact.
    assert (p.n_invalid[0], p.n_exact[0], p.n_ranged[0]) == (3, 1, 0)
    expected = np.zeros((7, 24))
    expected[MON, 10] = 1.0
    np.testing.assert_array_equal(p.total(), expected)


def test_too_long_ranges_are_counted_and_left_out() -> None:
    start = np.array([t("2025-01-13T00:00")] * 3)
    end = np.array([t("2025-01-14T00:00"), t("2025-01-14T00:01"), t("2025-01-13T06:00")])
    p = aoristic_profile(start, end, max_span_hours=24.0)
    # Exactly 24 h is kept (Mon 00..23 at 1/24 each); 24 h 1 min is too long;
    # 6 h is kept (Mon 00..05 at 1/6 each).
    expected = np.zeros((7, 24))
    expected[MON, :] = 1 / 24
    expected[MON, 0:6] += 1 / 6
    np.testing.assert_allclose(p.total(), expected, rtol=0, atol=1e-15)
    assert (p.n_ranged[0], p.n_too_long[0]) == (2, 1)

    # The default cap is a week: a week exactly gives 1/168 everywhere.
    p = one("2025-01-13T00:30", "2025-01-20T00:30")
    np.testing.assert_allclose(p.total(), np.full((7, 24), 1 / 168), rtol=0, atol=1e-15)
    assert one("2025-01-13T00:30", "2025-01-20T00:31").n_too_long[0] == 1


def test_groups_are_kept_apart_and_negative_ignored() -> None:
    start = np.array([t("2025-01-13T10:00"), t("2025-01-13T11:00"), t("2025-01-13T12:00")])
    end = np.array([NAT, t("2025-01-13T13:00"), NAT])
    p = aoristic_profile(start, end, groups=np.array([1, 0, -1]), n_groups=3)
    assert p.weights.shape == (3, 7, 24)
    g0 = np.zeros((7, 24))
    g0[MON, 11] = g0[MON, 12] = 0.5
    g1 = np.zeros((7, 24))
    g1[MON, 10] = 1.0
    np.testing.assert_allclose(p.weights[0], g0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(p.weights[1], g1)
    np.testing.assert_array_equal(p.weights[2], np.zeros((7, 24)))
    # The crime in no group is in no count either.
    np.testing.assert_array_equal(p.n_exact, [0, 1, 0])
    np.testing.assert_array_equal(p.n_ranged, [1, 0, 0])
    # Without n_groups it is the largest id plus one.
    assert aoristic_profile(start, end, groups=np.array([1, 0, -1])).weights.shape == (2, 7, 24)


def random_crimes(
    rng: np.random.Generator, n: int, max_span_min: int
) -> tuple[np.ndarray, np.ndarray]:
    """Starts within 36 h of either 2025 DST change, to the minute, and spans up to
    ``max_span_min`` minutes; a fifth exact (NaT end) and a tenth end == start."""
    changes = np.array([t("2025-03-30T01:00"), t("2025-10-26T01:00")])
    start = changes[rng.integers(0, 2, n)] + rng.integers(-36 * 60, 36 * 60, n).astype(
        "timedelta64[m]"
    )
    end = start + rng.integers(1, max_span_min + 1, n).astype("timedelta64[m]")
    kind = rng.random(n)
    end[kind < 0.2] = NAT
    end[(kind >= 0.2) & (kind < 0.3)] = start[(kind >= 0.2) & (kind < 0.3)]
    return start, end


def test_each_crimes_weights_sum_to_one() -> None:
    rng = np.random.default_rng(20261201)
    start, end = random_crimes(rng, 500, 14 * 60)
    # One group per crime, so each crime's weights are a group of their own.
    p = aoristic_profile(start, end, groups=np.arange(500))
    np.testing.assert_allclose(p.weights.sum(axis=(1, 2)), 1.0, rtol=0, atol=1e-12)
    assert int(p.n_exact.sum() + p.n_ranged.sum()) == 500


def brute_force(
    start: np.ndarray, end: np.ndarray, groups: np.ndarray, n_groups: int
) -> np.ndarray:
    """Minute by minute with zoneinfo: each minute of a crime's range gets 1/length
    in the local weekday and hour that zoneinfo gives that minute."""
    london = ZoneInfo("Europe/London")
    out = np.zeros((n_groups, 7, 24))
    for s, e, g in zip(start.astype(np.int64), end, groups, strict=True):
        if g < 0:
            continue
        minutes = [int(s)] if np.isnat(e) or int(e.astype(np.int64)) == s else None
        if minutes is None:
            minutes = list(range(int(s), int(e.astype(np.int64))))
        for m in minutes:
            local = datetime.fromtimestamp(m * 60, tz=UTC).astimezone(london)
            out[g, local.weekday(), local.hour] += 1 / len(minutes)
    return out


def test_chunked_matches_brute_force_across_both_dst_changes() -> None:
    rng = np.random.default_rng(20261201)
    n = 300
    start, end = random_crimes(rng, n, 30 * 60)
    groups = rng.integers(-1, 3, n)
    expected = brute_force(start, end, groups, 3)
    # A chunk of 50 pieces is a handful of crimes, so the sample runs through
    # dozens of chunks; one huge chunk must give the same.
    for chunk in (50, 10**9):
        p = aoristic_profile(start, end, groups=groups, n_groups=3, chunk_pieces=chunk)
        np.testing.assert_allclose(p.weights, expected, rtol=0, atol=1e-9)
    # The sample does reach the repeated and the missing 01:00.
    assert expected[:, SUN, 1].sum() > 0


def test_other_units_and_sub_second() -> None:
    # Nanosecond input is read to the whole second: a 0.5 s range is an exact time.
    start = np.array(["2025-01-13T10:00:00"], dtype="datetime64[ns]")
    end = np.array(["2025-01-13T10:00:00.5"], dtype="datetime64[ns]")
    p = aoristic_profile(start, end)
    assert p.n_exact[0] == 1 and p.total()[MON, 10] == 1.0


def test_input_validation() -> None:
    start = np.array([t("2025-01-13T10:00")])
    with pytest.raises(ValueError, match="datetime64"):
        aoristic_profile(np.array([1.0]), None)
    with pytest.raises(ValueError, match="end_utc has 2"):
        aoristic_profile(start, np.array([NAT, NAT]))
    with pytest.raises(ValueError, match="max_span_hours"):
        aoristic_profile(start, None, max_span_hours=0)
    with pytest.raises(ValueError, match="unknown time zone"):
        aoristic_profile(start, None, zone="Europe/Atlantis")
    with pytest.raises(ValueError, match="integer"):
        aoristic_profile(start, None, groups=np.array([0.0]))
    with pytest.raises(ValueError, match="out of range"):
        aoristic_profile(start, None, groups=np.array([2]), n_groups=2)


def test_non_whole_hour_offsets_are_refused() -> None:
    start = np.array([t("2025-01-13T10:00")])
    # India is UTC+5:30: its local hours start at half past UTC hours.
    with pytest.raises(ValueError, match=r"\+5:30:00"):
        aoristic_profile(start, None, zone="Asia/Kolkata")
    # Before December 1847 London kept local mean time, 1 min 15 s behind UTC.
    with pytest.raises(ValueError, match=r"-0:01:15"):
        aoristic_profile(np.array([t("1805-01-13T10:00")]), None)
    # Other whole-hour zones work: 10:00 UTC is 11:00 in Paris in January.
    assert aoristic_profile(start, None, zone="Europe/Paris").total()[MON, 11] == 1.0


def test_empty_input() -> None:
    p = aoristic_profile(np.array([], dtype="datetime64[s]"), None)
    assert p.weights.shape == (1, 7, 24) and p.total().sum() == 0.0
    assert p.n_exact.tolist() == [0]
