"""The everyday call-data analysis, on hand-made rows whose answers are worked out below.

Numbers: T and T2 are targets; C1, C2, C3 their contacts. Files f1 and f2 are visible,
``hidden`` never is: each of its rows would change a figure if it were counted. The
clock went forward at 01:00 UTC on Sunday 31 March 2024; f1:4, at 00:30 BST on Monday
1 April, is 23:30 UTC on Sunday — local hour 0 and a Monday.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pytest

from harmwatch.calls import analysis
from harmwatch.calls.tables import Table, to_csv, to_json
from harmwatch.errors import InputError
from harmwatch.storage.analytics import migrations

LONDON = ZoneInfo("Europe/London")
T = "+447700900001"
C1 = "+447700900002"
C2 = "+447700900003"
T2 = "+447700900004"
C3 = "+447700900005"
W = "withheld"
IMEI_1 = "35209900176148"
IMEI_2 = "35693803564380"
A_SITE = (51.75, -0.34)
A_SITE_LATER = (51.751, -0.341)
H_SITE = (51.8, -0.2)
FILES = ["f1", "f2"]


def kind(key: str) -> str:
    return "withheld" if key == W else "msisdn"


def row(
    file_id: str,
    line: int,
    a: str,
    b: str,
    local: str,
    event: str = "call",
    duration: int = 0,
    located: str | None = None,
    cell: str | None = None,
    site: tuple[float, float] | None = None,
    imei: str | None = None,
) -> tuple[object, ...]:
    wall = datetime.fromisoformat(local)
    utc = wall.replace(tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)
    lat, lon = site if site else (None, None)
    return (
        file_id,
        line,
        a,
        kind(a),
        b,
        kind(b),
        utc,
        wall,
        duration,
        event,
        located,
        imei,
        imei,
        cell,
        lat,
        lon,
    )


ROWS = [
    row("f1", 1, T, C1, "2024-03-29 10:00", "call", 60, T, "A", A_SITE, IMEI_1),
    row("f1", 2, C1, T, "2024-03-29 10:05", "sms", 0, T, "A", A_SITE, IMEI_1),
    row("f1", 3, T, C1, "2024-03-30 23:10", "sms", 0, T, "H", H_SITE, IMEI_1),
    row("f1", 4, C2, T, "2024-04-01 00:30", "call", 120, T, "H", H_SITE, IMEI_1),
    row("f1", 5, T, C2, "2024-04-01 02:00", "call", 30, T, "H", H_SITE, IMEI_1),
    row("f1", 6, W, T, "2024-04-01 12:00", "call", 10, T, "A", A_SITE, IMEI_1),
    row("f1", 7, T, C3, "2024-04-03 08:00", "sms", 0, T, "B", (51.7, -0.3), IMEI_1),
    row("f1", 8, C1, T, "2024-03-31 00:15", "sms", 0, T, "H", H_SITE, IMEI_1),
    row("f2", 3, T, C1, "2024-04-02 09:00", "call", 45, T, "A", A_SITE_LATER, IMEI_2),
    row("f2", 1, T2, C1, "2024-04-02 09:10", "call", 20, T2, "A", A_SITE_LATER),
    row("f2", 2, T2, C2, "2024-04-01 01:00", "sms", 0, T2, "H", H_SITE),
    row("f2", 4, W, T2, "2024-04-02 11:00", "call", 5, T2),
    row("hidden", 1, T, C1, "2024-04-03 10:00", "call", 999, T, "A", (0.0, 0.0), "35000000000000"),
    row("hidden", 2, T2, C3, "2024-04-03 10:00", "sms", 0, T2, "Z", (0.0, 0.0)),
    row("hidden", 3, T2, C2, "2024-04-02 09:05", "sms", 0, T2, "A", (0.0, 0.0)),
]


def store(rows: list[tuple[object, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrations.migrate(con)
    if rows:
        con.executemany(f"INSERT INTO calls VALUES ({', '.join('?' * 16)})", rows)
    return con


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return store(ROWS)


def as_dicts(table: Table) -> list[dict[str, object]]:
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_top_contacts_figures(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.top_contacts(con, FILES, T)
    assert table.columns == analysis.TOP_CONTACTS_COLUMNS
    assert table.rows == [
        (C1, "msisdn", 5, 3, 2, 2, 3, 105, dt("2024-03-29 10:00"), dt("2024-04-02 09:00"), 4,
         "f1:1;f1:2;f1:3;f1:8;f2:3"),
        (C2, "msisdn", 2, 1, 1, 2, 0, 150, dt("2024-04-01 00:30"), dt("2024-04-01 02:00"), 1,
         "f1:4;f1:5"),
        (C3, "msisdn", 1, 1, 0, 0, 1, 0, dt("2024-04-03 08:00"), dt("2024-04-03 08:00"), 1,
         "f1:7"),
        (W, "withheld", 1, 0, 1, 1, 0, 10, dt("2024-04-01 12:00"), dt("2024-04-01 12:00"), 1,
         "f1:6"),
    ]  # fmt: skip
    assert [r[0] for r in analysis.top_contacts(con, FILES, T, limit=2).rows] == [C1, C2]


def test_the_file_filter_and_no_files(con: duckdb.DuckDBPyConnection) -> None:
    # The hidden file's T→C1 call (999 s) counts only when the file is visible.
    assert analysis.top_contacts(con, [*FILES, "hidden"], T).rows[0][2] == 6
    only_f2 = analysis.top_contacts(con, ["f2"], T)
    assert [(r[0], r[2], r[-1]) for r in only_f2.rows] == [(C1, 1, "f2:3")]
    for table in (
        analysis.top_contacts(con, [], T),
        analysis.common_contacts(con, [], [T, T2]),
        analysis.hour_of_day(con, [], T),
        analysis.day_of_week(con, [], T),
        analysis.usual_cells(con, [], T),
        analysis.co_location(con, [], T, T2),
        analysis.co_location_days(con, [], T, T2),
        analysis.first_last_seen(con, [], [T]),
        analysis.timeline(con, [], T),
        analysis.source_rows(con, [], T),
        analysis.rows_for_sources(con, [], "f1:1"),
    ):
        assert table.rows == []
        assert analysis.NO_FILES_NOTE in table.notes
    with pytest.raises(InputError, match="files"):
        analysis.top_contacts(con, "f1", T)


def test_common_contacts(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.common_contacts(con, FILES, [T, T2, T])
    assert table.columns == (
        "counterpart",
        "counterpart_kind",
        "targets",
        "events",
        f"events_{T}",
        f"events_{T2}",
        "sources",
    )
    # Withheld calls both targets but is no contact; C3 is shared only through the hidden file.
    assert table.rows == [
        (C1, "msisdn", 2, 6, 5, 1, "f1:1;f1:2;f1:3;f1:8;f2:1;f2:3"),
        (C2, "msisdn", 2, 3, 2, 1, "f1:4;f1:5;f2:2"),
    ]
    with_hidden = analysis.common_contacts(con, [*FILES, "hidden"], [T, T2])
    assert [r[0] for r in with_hidden.rows] == [C1, C2, C3]
    with pytest.raises(InputError, match="two different"):
        analysis.common_contacts(con, FILES, [T, T])


def test_a_target_is_a_common_contact_of_two_others() -> None:
    con = store(
        [
            row("f1", 1, T, T2, "2024-05-01 10:00"),
            row("f1", 2, C1, T2, "2024-05-01 11:00"),
        ]
    )
    table = analysis.common_contacts(con, ["f1"], [T, C1, T2])
    assert table.rows == [(T2, "msisdn", 2, 2, 1, 1, 0, "f1:1;f1:2")]


def test_hour_of_day_reads_local_time_across_the_clock_change(
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = analysis.hour_of_day(con, FILES, T)
    rows = {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}
    assert list(rows) == list(range(24))
    # f1:4 is 00:30 BST (23:30 UTC): hour 0, with f1:8 at 00:15 GMT the day before.
    assert rows[0] == {
        "hour": 0,
        "events": 2,
        "calls_out": 0,
        "calls_in": 1,
        "sms_out": 0,
        "sms_in": 1,
        "talk_s": 120,
        "days": 2,
        "sources": "f1:4;f1:8",
    }
    assert rows[23]["sources"] == "f1:3"
    assert rows[1]["events"] == 0 and rows[1]["sources"] == ""
    assert rows[10]["sources"] == "f1:1;f1:2"
    assert (rows[10]["calls_out"], rows[10]["sms_in"], rows[10]["days"]) == (1, 1, 1)
    by_hour = {h: r["events"] for h, r in rows.items() if r["events"]}
    assert by_hour == {0: 2, 2: 1, 8: 1, 9: 1, 10: 2, 12: 1, 23: 1}


def test_day_of_week(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.day_of_week(con, FILES, T)
    assert [(r[0], r[1]) for r in table.rows] == list(
        enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), start=1)
    )
    # f1:4 is Monday local although Sunday in UTC; Sunday holds only f1:8 (00:15 GMT).
    assert [r[2] for r in table.rows] == [3, 1, 1, 0, 2, 1, 1]
    monday = dict(zip(table.columns, table.rows[0], strict=True))
    assert monday["sources"] == "f1:4;f1:5;f1:6"
    assert (monday["calls_out"], monday["calls_in"], monday["talk_s"]) == (1, 2, 160)
    assert table.rows[6][-1] == "f1:8"


def test_usual_cells(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.usual_cells(con, FILES, T)
    assert table.rows == [
        ("night", 1, "H", 4, 1.0, 2, dt("2024-03-30 23:10"), dt("2024-04-01 02:00"), *H_SITE,
         "f1:3;f1:4;f1:5;f1:8"),
        # The latest visible row gives A's site; the hidden file's later (0, 0) does not.
        ("day", 1, "A", 4, 0.8, 3, dt("2024-03-29 10:00"), dt("2024-04-02 09:00"),
         *A_SITE_LATER, "f1:1;f1:2;f1:6;f2:3"),
        ("day", 2, "B", 1, 0.2, 1, dt("2024-04-03 08:00"), dt("2024-04-03 08:00"), 51.7, -0.3,
         "f1:7"),
    ]  # fmt: skip
    assert any("home location" in n for n in table.notes)
    # Night 00:00–06:00 does not cross midnight: 23:10 is day-time, and days are dates.
    early = {(r[0], r[2]): (r[3], r[5]) for r in analysis.usual_cells(con, FILES, T, (0, 6)).rows}
    assert early == {("night", "H"): (3, 2), ("day", "H"): (1, 1), ("day", "A"): (4, 3),
                     ("day", "B"): (1, 1)}  # fmt: skip
    with pytest.raises(InputError, match="night_hours"):
        analysis.usual_cells(con, FILES, T, (22, 24))


def test_co_location(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.co_location(con, FILES, T, T2)
    # 30 minutes apart is inside the window; the hidden T2 row at 09:05 in A is not seen.
    assert table.rows == [
        ("H", *H_SITE, dt("2024-04-01 00:30"), dt("2024-04-01 01:00"), 30.0, "f1", 4, "f2", 2),
        ("A", *A_SITE_LATER, dt("2024-04-02 09:00"), dt("2024-04-02 09:10"), 10.0, "f2", 3,
         "f2", 1),
    ]  # fmt: skip
    assert [r[0] for r in analysis.co_location(con, FILES, T, T2, 29).rows] == ["A"]
    reverse = analysis.co_location(con, FILES, T2, T)
    assert [r[5] for r in reverse.rows] == [-30.0, -10.0]
    assert len(analysis.co_location(con, [*FILES, "hidden"], T, T2).rows) == 3
    with pytest.raises(InputError, match="differ"):
        analysis.co_location(con, FILES, T, T)


def test_co_location_days(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.co_location_days(con, FILES, T, T2)
    assert table.rows == [
        (date(2024, 4, 1), 1, 1, "H", dt("2024-04-01 00:30"), dt("2024-04-01 01:00"),
         "f1:4;f2:2"),
        (date(2024, 4, 2), 1, 1, "A", dt("2024-04-02 09:00"), dt("2024-04-02 09:10"),
         "f2:1;f2:3"),
    ]  # fmt: skip


def test_first_last_seen(con: duckdb.DuckDBPyConnection) -> None:
    nobody = "+447700900099"
    table = analysis.first_last_seen(con, FILES, [T2, T, nobody])
    got = as_dicts(table)
    assert got[0] == {
        "number": T2,
        "events": 3,
        "first_local": dt("2024-04-01 01:00"),
        "last_local": dt("2024-04-02 11:00"),
        "first_utc": dt("2024-04-01 00:00"),
        "last_utc": dt("2024-04-02 10:00"),
        "days": 2,
        "imeis": 0,
        "imei_list": "",
        "cells": 2,
        "sources": "f2:1;f2:2;f2:4",
    }
    assert got[1] == {
        "number": T,
        "events": 9,
        "first_local": dt("2024-03-29 10:00"),
        "last_local": dt("2024-04-03 08:00"),
        "first_utc": dt("2024-03-29 10:00"),
        "last_utc": dt("2024-04-03 07:00"),
        "days": 6,
        "imeis": 2,
        "imei_list": f"{IMEI_1};{IMEI_2}",
        "cells": 3,
        "sources": "f1:1;f1:2;f1:3;f1:4;f1:5;f1:6;f1:7;f1:8;f2:3",
    }
    assert got[2]["number"] == nobody and got[2]["events"] == 0
    assert got[2]["first_local"] is None and got[2]["sources"] == ""


def test_timeline(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.timeline(con, FILES, T)
    assert [(r[-2], r[-1]) for r in table.rows] == [
        ("f1", 1), ("f1", 2), ("f1", 3), ("f1", 8), ("f1", 4), ("f1", 5), ("f1", 6),
        ("f2", 3), ("f1", 7),
    ]  # fmt: skip
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert first == {
        "started_local": dt("2024-03-29 10:00"),
        "started_utc": dt("2024-03-29 10:00"),
        "direction": "out",
        "counterpart": C1,
        "counterpart_kind": "msisdn",
        "event": "call",
        "duration_s": 60,
        "located": T,
        "cell_id": "A",
        "cell_lat": A_SITE[0],
        "cell_lon": A_SITE[1],
        "imei": IMEI_1,
        "file_id": "f1",
        "line": 1,
    }
    monday = analysis.timeline(con, FILES, T, dt("2024-04-01 00:00"), dt("2024-04-02 00:00"))
    assert [r[-1] for r in monday.rows] == [4, 5, 6]
    # An aware bound is read as the same instant on the UK wall clock (23:00 UTC = 00:00 BST).
    aware = analysis.timeline(con, FILES, T, datetime(2024, 3, 31, 23, 0, tzinfo=UTC), limit=2)
    assert [r[-1] for r in aware.rows] == [4, 5]
    with pytest.raises(InputError, match="end"):
        analysis.timeline(con, FILES, T, dt("2024-04-02 00:00"), dt("2024-04-01 00:00"))
    with pytest.raises(InputError, match="limit"):
        analysis.timeline(con, FILES, T, limit=0)


def test_timeline_orders_the_repeated_autumn_hour_by_utc() -> None:
    # 01:40 BST comes before 01:10 GMT on 27 October 2024, although its wall clock is later.
    first = row("f1", 2, T, C1, "2024-10-27 01:40")
    later = list(row("f1", 1, T, C1, "2024-10-27 01:10"))
    later[6] = datetime(2024, 10, 27, 1, 10)  # the second 01:10, in GMT
    con = store([first, tuple(later)])
    assert [r[-1] for r in analysis.timeline(con, ["f1"], T).rows] == [2, 1]
    top = analysis.top_contacts(con, ["f1"], T).rows[0]
    assert (top[8], top[9]) == (dt("2024-10-27 01:40"), dt("2024-10-27 01:10"))


def test_source_rows_give_the_rows_behind_a_figure(con: duckdb.DuckDBPyConnection) -> None:
    top = analysis.top_contacts(con, FILES, T).rows[0]
    behind = analysis.source_rows(con, FILES, T, C1)
    assert ";".join(f"{r[0]}:{r[1]}" for r in behind.rows) == top[-1]
    assert behind.columns[:4] == ("file_id", "line", "started_local", "started_utc")
    named = analysis.rows_for_sources(con, FILES, top[-1])
    assert named.rows == behind.rows
    night_h = analysis.usual_cells(con, FILES, T).rows[0]
    in_h = analysis.source_rows(con, FILES, T, cell_id="H")
    assert ";".join(f"{r[0]}:{r[1]}" for r in in_h.rows) == night_h[-1]
    # A sources text cannot reach a file the caller may not see.
    assert analysis.rows_for_sources(con, FILES, "hidden:1;f2:3").rows == (
        analysis.rows_for_sources(con, FILES, "f2:3").rows
    )
    assert analysis.parse_sources("a:b:3;x:10") == [("a:b", 3), ("x", 10)]
    with pytest.raises(InputError, match="item 2"):
        analysis.parse_sources("f1:1;f1")


def test_csv_and_json(con: duckdb.DuckDBPyConnection) -> None:
    table = analysis.top_contacts(con, FILES, T, limit=1)
    text = to_csv(table)
    assert text.splitlines()[0] == ",".join(analysis.TOP_CONTACTS_COLUMNS)
    assert list(csv.reader(io.StringIO(text)))[1] == [
        C1, "msisdn", "5", "3", "2", "2", "3", "105", "2024-03-29 10:00:00",
        "2024-04-02 09:00:00", "4", "f1:1;f1:2;f1:3;f1:8;f2:3",
    ]  # fmt: skip
    data = to_json(table)
    assert data["rows"][0]["first_seen_local"] == "2024-03-29T10:00:00"
    assert data["rows"][0]["counterpart"] == C1 and data["notes"] == list(table.notes)
    # Text a spreadsheet would run is defused; an E.164 key and a negative number are not.
    odd = Table("t", ("a", "b", "c"), [("=HYPERLINK(1)", C1, -0.34)], ())
    assert to_csv(odd).splitlines()[1] == "'=HYPERLINK(1),+447700900002,-0.34"


def random_frame(seed: int, n: int) -> pd.DataFrame:
    """``n`` rows among 40 numbers, half of them T's, over 60 days across the spring change."""
    rng = np.random.default_rng(seed)
    pool = np.array([f"+4477009{i:05d}" for i in range(40)])
    pick = np.array([rng.choice(pool, size=2, replace=False) for _ in range(n)])
    a, b = pick[:, 0].copy(), pick[:, 1].copy()
    with_t = rng.random(n) < 0.5
    t_calls = rng.random(n) < 0.5
    a[with_t & t_calls] = T
    b[with_t & ~t_calls] = T
    seconds = rng.integers(0, 60 * 86400, size=n)
    utc = pd.Timestamp("2024-03-01") + pd.to_timedelta(seconds, unit="s")
    local = utc.tz_localize("UTC").tz_convert(LONDON).tz_localize(None)
    event = np.where(rng.random(n) < 0.4, "sms", "call")
    duration = np.where(event == "sms", 0, rng.integers(0, 600, size=n)).astype("int32")
    return pd.DataFrame(
        {
            "file_id": [f"f{k}" for k in rng.integers(0, 3, size=n)],
            "line": np.arange(1, n + 1, dtype="int64"),
            "a_party": a,
            "a_kind": "msisdn",
            "b_party": b,
            "b_kind": "msisdn",
            "started_utc": utc,
            "started_local": local,
            "duration_s": duration,
            "event": event,
            "located": a,
            "imei": None,
            "imei_as_given": None,
            "cell_id": None,
            "cell_lat": np.nan,
            "cell_lon": np.nan,
        }
    )


def test_top_contacts_and_hours_match_pandas_on_random_rows() -> None:
    frame = random_frame(seed=20240331, n=5000)
    con = store([])
    con.register("frame", frame)
    con.execute("INSERT INTO calls SELECT * FROM frame")
    assert con.execute("SELECT count(*) FROM calls").fetchone() == (5000,)
    mine = frame[frame.file_id.isin(["f0", "f2"]) & ((frame.a_party == T) | (frame.b_party == T))]
    mine = mine.assign(
        out=mine.a_party == T,
        counterpart=np.where(mine.a_party == T, mine.b_party, mine.a_party),
        source=mine.file_id + ":" + mine.line.astype(str),
    ).sort_values(["file_id", "line"])
    expected = {}
    for cp, g in mine.groupby("counterpart"):
        by_utc = g.sort_values("started_utc")
        expected[cp] = (
            len(g),
            int(g.out.sum()),
            int((~g.out).sum()),
            int((g.event == "call").sum()),
            int((g.event == "sms").sum()),
            int(g.duration_s[g.event == "call"].sum()),
            by_utc.started_local.iloc[0].to_pydatetime(),
            by_utc.started_local.iloc[-1].to_pydatetime(),
            g.started_local.dt.date.nunique(),
            ";".join(g.source),
        )
    got = analysis.top_contacts(con, ["f0", "f2"], T, limit=None)
    assert len(got.rows) == len(expected) > 30
    assert {r[0]: tuple(r[2:]) for r in got.rows} == expected
    counts = [r[2] for r in got.rows]
    assert counts == sorted(counts, reverse=True)

    hours = analysis.hour_of_day(con, ["f0", "f2"], T)
    by_hour = mine.groupby(mine.started_local.dt.hour).size()
    assert [r[1] for r in hours.rows] == [int(by_hour.get(h, 0)) for h in range(24)]
    assert sum(r[1] for r in hours.rows) == len(mine)
