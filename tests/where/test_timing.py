"""Patrol timing: peak windows of an hour-of-week profile, visits, notes and validation."""

from __future__ import annotations

import numpy as np
import pytest

from harmwatch.where.timing import (
    DAY_NAMES,
    SOURCES,
    PatrolWindow,
    patrol_timing,
    profile_table,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def friday_night() -> np.ndarray:
    """100 crimes: 60 in Fri 20-24 and Sat 00-02 (10 an hour), 40 spread thinly.

    The 40 are 40 other cells with 1 each, so the six heavy hours are the only
    ones above 1 and hold 60 % of the weight.
    """
    p = np.zeros((7, 24))
    p[FRI, 20:24] = 10
    p[SAT, 0:2] = 10
    thin = [(d, h) for d in (MON, TUE) for h in range(20)]
    for d, h in thin:
        p[d, h] = 1
    assert p.sum() == 100
    return p


def test_friday_night_is_found_and_split_at_midnight() -> None:
    timing = patrol_timing(friday_night())
    # Half of 100 is reached by the fifth heavy hour (5 x 10 = 50): Fri 20, 21,
    # 22, 23 and then Sat 00 (ties go to the earlier hour, so Sat 01 is not needed).
    assert [w.label() for w in timing.windows] == ["Fri 20:00–24:00", "Sat 00:00–01:00"]
    assert timing.windows[0] == PatrolWindow(FRI, 20, 24, 0.4, 2)
    assert timing.windows[1] == PatrolWindow(SAT, 0, 1, 0.1, 1)
    assert timing.covered_share == pytest.approx(0.5)
    assert timing.crimes == 100
    assert timing.note is None

    # 60 % takes all six heavy hours: Fri 20-24 (40 %) and Sat 00-02 (20 %).
    timing = patrol_timing(friday_night(), target_share=0.6)
    assert [(w.label(), w.share, w.visits) for w in timing.windows] == [
        ("Fri 20:00–24:00", pytest.approx(0.4), 2),
        ("Sat 00:00–02:00", pytest.approx(0.2), 1),
    ]
    assert timing.covered_share == pytest.approx(0.6)


def test_cap_on_windows_keeps_the_heaviest_and_reports_what_it_covers() -> None:
    # Four separate heavy hours of 20, 15, 10 and 5 crimes, on four days; 50
    # more crimes are one each in 50 other hours. 50 % needs the first three
    # heavy hours (20 + 15 = 35 < 50, + 10 = 45 < 50) and the fourth (50).
    p = np.zeros((7, 24))
    p[MON, 3] = 10
    p[TUE, 9] = 20
    p[WED, 15] = 5
    p[THU, 21] = 15
    rest = [(d, h) for d in (FRI, SAT, SUN) for h in range(24) if (d, h) != (SUN, 23)][:50]
    for d, h in rest:
        p[d, h] = 1
    assert p.sum() == 100

    full = patrol_timing(p)
    assert [w.label() for w in full.windows] == [
        "Mon 03:00–04:00",
        "Tue 09:00–10:00",
        "Wed 15:00–16:00",
        "Thu 21:00–22:00",
    ]
    assert full.covered_share == pytest.approx(0.5) and full.note is None

    capped = patrol_timing(p, max_windows=2)
    # The two heaviest, Tue 09 (20 %) and Thu 21 (15 %), back in day order.
    assert [w.label() for w in capped.windows] == ["Tue 09:00–10:00", "Thu 21:00–22:00"]
    assert capped.covered_share == pytest.approx(0.35)
    assert capped.note is not None and "35%" in capped.note and "4 separate" in capped.note


def test_visits_one_per_revisit_interval_rounded_up() -> None:
    p = np.zeros((7, 24))
    p[MON, 0:7] = 10  # 7 hours
    p[WED, 5] = 10  # 1 hour
    p[FRI, 10:16] = 10  # 6 hours
    timing = patrol_timing(p, target_share=1.0)
    # 7 / 2 = 3.5 -> 4; 1 / 2 -> at least 1; 6 / 2 = 3 exactly.
    assert [(w.label(), w.visits) for w in timing.windows] == [
        ("Mon 00:00–07:00", 4),
        ("Wed 05:00–06:00", 1),
        ("Fri 10:00–16:00", 3),
    ]
    assert timing.covered_share == pytest.approx(1.0)
    # Every 3 h: 7 / 3 -> 3, 6 / 3 = 2. Every 0.1 h: 6 / 0.1 = 60, not 61 from rounding.
    assert [w.visits for w in patrol_timing(p, target_share=1.0, revisit_hours=3).windows] == [
        3,
        1,
        2,
    ]
    assert patrol_timing(p, target_share=1.0, revisit_hours=0.1).windows[2].visits == 60


def test_whole_day_window_reads_to_24() -> None:
    p = np.zeros((7, 24))
    p[SUN, :] = 1.0
    timing = patrol_timing(p, target_share=1.0)
    assert [w.label() for w in timing.windows] == ["Sun 00:00–24:00"]
    assert timing.windows[0].hours == 24 and timing.windows[0].visits == 12


def test_too_few_crimes_gives_a_note_and_no_windows() -> None:
    p = np.zeros((7, 24))
    p[FRI, 22] = 9.5
    timing = patrol_timing(p)
    assert timing.windows == () and timing.covered_share == 0.0
    assert timing.crimes == 9.5
    assert timing.note is not None and "fewer than 10 crimes" in timing.note
    assert "not a pattern" in timing.note
    # At the threshold it is enough.
    p[FRI, 22] = 10
    assert [w.label() for w in patrol_timing(p).windows] == ["Fri 22:00–23:00"]

    empty = patrol_timing(np.zeros((7, 24)), min_crimes=0)
    assert empty.windows == () and empty.note is not None and "no crimes" in empty.note


def test_ties_are_broken_by_earlier_day_and_hour() -> None:
    # Twenty cells of weight 1 each; half needs ten of them: the first ten in
    # day/hour order, Tue 05..09 and Thu 05..09, of the four runs below.
    p = np.zeros((7, 24))
    p[TUE, 5:10] = 1
    p[THU, 5:10] = 1
    p[FRI, 5:10] = 1
    p[SUN, 5:10] = 1
    first = patrol_timing(p)
    assert [w.label() for w in first.windows] == ["Tue 05:00–10:00", "Thu 05:00–10:00"]
    for _ in range(3):
        assert patrol_timing(p.copy()) == first
    # A cap on equal windows keeps the earlier ones.
    capped = patrol_timing(p, target_share=1.0, max_windows=2)
    assert [w.label() for w in capped.windows] == ["Tue 05:00–10:00", "Thu 05:00–10:00"]


def test_guidance_and_sources() -> None:
    timing = patrol_timing(friday_night())
    g = timing.guidance
    assert "not a rule" in g
    assert "10–15 minutes" in g and "every 2 hours" in g and "unpredictable order" in g
    assert "Koper (1995)" in g and "Telep, Mitchell & Weisburd (2014)" in g
    assert "Crime Reduction Toolkit" in g and "Hot spots policing" in g
    assert "recorded crime" in g and "drug offences" in g
    assert "differ" not in g
    assert timing.sources == SOURCES and len(SOURCES) == 3
    assert "Justice Quarterly, 12(4), 649–672" in SOURCES[0]
    assert "Justice Quarterly, 31(5), 905–933" in SOURCES[1]
    # Settings away from the evidence are said to be so.
    other = patrol_timing(friday_night(), visit_minutes=(20, 30), revisit_hours=1)
    assert "20–30 minutes" in other.guidance and "every 1 hours" in other.guidance
    assert "differ from the evidence" in other.guidance


def test_profile_table() -> None:
    p = np.arange(168, dtype=float).reshape(7, 24)
    rows = profile_table(p)
    assert len(rows) == 168
    assert rows[0] == {"day": "Mon", "hour": 0, "weight": 0.0}
    assert rows[24 * 4 + 20] == {"day": "Fri", "hour": 20, "weight": 116.0}
    assert rows[-1] == {"day": "Sun", "hour": 23, "weight": 167.0}
    assert DAY_NAMES == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.mark.parametrize(
    ("profile", "kwargs", "message"),
    [
        (np.zeros((24, 7)), {}, r"\(7, 24\).*got shape \(24, 7\)"),
        (np.zeros(168), {}, "got shape"),
        (np.full((7, 24), np.nan), {}, "finite; 168 cell"),
        (np.full((7, 24), -1.0), {}, "negative; 168 cell"),
        (np.zeros((7, 24)), {"target_share": 0}, "target_share"),
        (np.zeros((7, 24)), {"target_share": 1.5}, "target_share"),
        (np.zeros((7, 24)), {"max_windows": 0}, "max_windows must be at least 1"),
        (np.zeros((7, 24)), {"max_windows": 2.5}, "whole number"),
        (np.zeros((7, 24)), {"visit_minutes": (15, 10)}, "shortest first"),
        (np.zeros((7, 24)), {"visit_minutes": (0, 10)}, "positive"),
        (np.zeros((7, 24)), {"revisit_hours": 0}, "revisit_hours"),
        (np.zeros((7, 24)), {"min_crimes": -1}, "min_crimes"),
    ],
)
def test_validation(profile: np.ndarray, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        patrol_timing(profile, **kwargs)  # type: ignore[arg-type]


def test_profile_table_validates() -> None:
    with pytest.raises(ValueError, match="shape"):
        profile_table(np.zeros((7, 23)))
