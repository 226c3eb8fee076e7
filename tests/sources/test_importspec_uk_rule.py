"""The UK clock rule computed without ICU gives, for every wall time, what ICU gives.

Every quarter hour from 1995 to 2041 (so the rule's first and last years and the
years either side are in) is converted both ways, with each way of resolving the
repeated and the skipped hour: the UTC instant and the refusal reason must agree.
"""

from __future__ import annotations

import duckdb
import pytest

from harmwatch.sources import importspec
from harmwatch.sources.importspec import TimeSpec, timestamp_sql


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE t AS SELECT strftime(ts, '%d/%m/%Y %H:%M') AS raw FROM "
        "generate_series(TIMESTAMP '1995-01-01', TIMESTAMP '2041-12-31 23:45', "
        "INTERVAL 15 MINUTE) g(ts)"
    )
    return c


@pytest.mark.parametrize(
    ("ambiguous", "nonexistent"),
    [("refuse", "refuse"), ("earlier", "shift-forward"), ("later", "refuse")],
)
@pytest.mark.parametrize("zone", ["Europe/London", "Europe/Dublin"])
def test_fast_and_icu_agree_for_every_quarter_hour(
    con: duckdb.DuckDBPyConnection,
    monkeypatch: pytest.MonkeyPatch,
    zone: str,
    ambiguous: str,
    nonexistent: str,
) -> None:
    spec = TimeSpec("%d/%m/%Y %H:%M", zone, ambiguous, nonexistent)  # type: ignore[arg-type]
    fast_utc, fast_reason = timestamp_sql("raw", spec)
    assert "month(" in fast_utc  # the rule's path is in the expression
    monkeypatch.setattr(importspec, "_UK_RULE_ZONES", frozenset())
    icu_utc, icu_reason = timestamp_sql("raw", spec)
    assert "month(" not in icu_utc
    differ = con.execute(
        f"SELECT count(*), any_value(raw) FROM t WHERE ({fast_utc}) IS DISTINCT FROM ({icu_utc}) "
        f"OR ({fast_reason}) IS DISTINCT FROM ({icu_reason})"
    ).fetchone()
    assert differ is not None and differ[0] == 0, differ
    total = con.execute("SELECT count(*) FROM t").fetchone()
    assert total is not None and total[0] > 1_600_000


def test_a_zone_the_rule_does_not_fit_takes_the_general_path() -> None:
    utc, _ = timestamp_sql("raw", TimeSpec("%d/%m/%Y %H:%M", "Europe/Paris"))
    assert "month(" not in utc
    assert not importspec._rule_holds("Europe/Paris")
    assert importspec._rule_holds("Europe/London")
