"""Deal-line detection on Spark: the scoring on the cluster, line assembly on this machine.

The scoring (:mod:`.detection`) reads every row: orders, located events, usual
cells, co-location, as-of answers. It is the part that outgrows one machine, and it
runs on Spark through :class:`~harmwatch.engines.spark.SparkEngine` — the same SQL
statements DuckDB runs, transpiled. Its input is the caller's visible rows: exported
from the analytics store (the ``calls`` rows of the files the record policy lets the
caller see, read through the room connection the service opened) to Parquet in a
private temporary folder that is deleted when the run ends, or read from
``calls_parquet`` on shared storage and limited to the same files.

Line assembly (:mod:`.lines`) and the customer counts stay on DuckDB. They follow a
few numbers one at a time in Python loops (handset sharing, successors, roles),
which a cluster would run as many small jobs, each costing more than DuckDB takes
for the whole step; and they need only the rows around the flagged numbers, a small
share of the data. Spark therefore hands back exactly those rows: every row that
touches (as caller, called or located party) a number in the *support* of the
flagged numbers, and DuckDB runs :mod:`.lines` on them unchanged. The support is
what :mod:`.lines` can read:

- the *line bound* — the flagged numbers, every number seen on their handsets, and,
  repeatedly, every number that a :data:`~.lines.SUCCESSOR_MIN_BOOK`-customer
  number's customers ordered from in a share of at least ``successor_share`` (a
  superset of the successors, which also need dates and an order mix);
- their customers (successors, usual night cells of cuckooing victims);
- the phones that would be their runners on all the rows: co-located with them
  enough, and seen over ``remote_km`` from their usual cell (both can only fail
  when rows are left out, so no other phone can become a runner);
- their counterparts on ``controller_days`` days or more (controllers' usual cells).

Every query in :mod:`.lines` then reads the same rows for the numbers it asks about
as it would read from the store, so the lines, roles, cuckooed cells and counts are
the ones DuckDB finds on all the rows. Should assembly ever put on a line a number
outside the bound, the bound grows by it and assembly runs again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from harmwatch.engines import DuckDBEngine, EngineChoice, SqlEngine
from harmwatch.errors import InputError

from . import detection
from . import lines as linking
from .rules import DetectionRules

#: The columns of ``calls`` the detector reads (a ``calls_parquet`` must have them).
CALL_COLUMNS = (
    "file_id", "line", "a_party", "a_kind", "b_party", "b_kind", "started_utc",
    "started_local", "duration_s", "event", "located", "imei", "cell_id", "cell_lat",
    "cell_lon",
)  # fmt: skip

SHARED_HANDSETS_SQL = """
    WITH h AS (SELECT DISTINCT located AS n, imei FROM hw_ev
               WHERE imei IS NOT NULL AND located IS NOT NULL)
    SELECT DISTINCT b.n FROM h a JOIN h b ON a.imei = b.imei
    WHERE a.n IN (SELECT n FROM hw_support_lines)"""


def successor_candidates_sql(rules: DetectionRules) -> str:
    """Numbers a line's customers moved to, by share alone (the superset of successors)."""
    return f"""
    WITH oc AS (SELECT DISTINCT n AS old, c FROM hw_orders
                WHERE n IN (SELECT n FROM hw_support_lines)),
    book AS (SELECT old, count(*) AS k FROM oc GROUP BY old
             HAVING count(*) >= {linking.SUCCESSOR_MIN_BOOK}),
    moved AS (
        SELECT oc.old, x.n AS new, count(DISTINCT x.c) AS k
        FROM oc JOIN hw_orders x ON x.c = oc.c AND x.n <> oc.old
        WHERE oc.old IN (SELECT old FROM book)
        GROUP BY oc.old, x.n)
    SELECT DISTINCT m.new FROM moved m JOIN book b USING (old)
    WHERE m.k / b.k >= {float(rules.successor_share)}"""


def support_sql(rules: DetectionRules) -> str:
    """``hw_support``: the numbers whose rows line assembly may read (module docstring).

    Needs ``hw_support_lines`` (the line bound) and ``hw_partners`` computed for it.
    """
    r = rules
    far = detection.haversine_sql("x.lat", "x.lon", "h.lat", "h.lon")
    return f"""CREATE OR REPLACE TEMP TABLE hw_support AS
    WITH bound AS (SELECT n FROM hw_support_lines),
    followers AS (
        SELECT DISTINCT p.n, p.m FROM hw_partners p
        WHERE p.days >= {int(r.runner_days)} AND p.occasions >= {detection.MIN_OCCASIONS}
          AND p.cells >= {int(r.runner_cells)}),
    runners AS (
        SELECT DISTINCT f.m FROM followers f JOIN hw_home h ON h.n = f.n
        JOIN hw_loc x ON x.n = f.m
        WHERE {far} > {float(r.remote_km)}),
    pairs AS (
        SELECT a_party AS n, b_party AS c, started_local AS lt FROM hw_ev
        WHERE a_party IN (SELECT n FROM bound)
        UNION ALL
        SELECT b_party AS n, a_party AS c, started_local AS lt FROM hw_ev
        WHERE b_party IN (SELECT n FROM bound)),
    steady AS (
        SELECT c FROM pairs WHERE c <> n GROUP BY n, c
        HAVING count(DISTINCT CAST(lt AS DATE)) >= {int(r.controller_days)})
    SELECT n FROM bound
    UNION SELECT c FROM hw_orders WHERE n IN (SELECT n FROM bound)
    UNION SELECT m FROM runners
    UNION SELECT c FROM steady"""


SUPPORT_ROWS_SQL = f"""
    SELECT {", ".join(CALL_COLUMNS)} FROM hw_ev
    WHERE a_party IN (SELECT n FROM hw_support) OR b_party IN (SELECT n FROM hw_support)
       OR located IN (SELECT n FROM hw_support)"""


def _load_numbers(engine: SqlEngine, table: str, numbers: set[str]) -> None:
    engine.load_rows(table, [("n", "VARCHAR")], [[n] for n in sorted(numbers)])


def line_bound(engine: SqlEngine, rules: DetectionRules, flagged: Sequence[str]) -> set[str]:
    """Every number line assembly could put on a line (module docstring), on ``engine``."""
    numbers = set(flagged)
    if not numbers:
        return numbers
    _load_numbers(engine, "hw_support_lines", numbers)
    numbers |= {str(n) for (n,) in engine.fetchall(SHARED_HANDSETS_SQL)}
    while True:
        _load_numbers(engine, "hw_support_lines", numbers)
        more = {str(n) for (n,) in engine.fetchall(successor_candidates_sql(rules))} - numbers
        if not more:
            return numbers
        numbers |= more


def support_rows(engine: SqlEngine, rules: DetectionRules, bound: set[str]) -> pa.Table:
    """The rows line assembly reads for the line bound ``bound``, as Arrow."""
    _load_numbers(engine, "hw_support_lines", bound)
    detection.colocated_partners(engine, rules, "hw_support_lines")
    engine.execute(support_sql(rules))
    return engine.fetch_arrow(SUPPORT_ROWS_SQL)


@contextmanager
def staged_calls(duck: DuckDBEngine, choice: EngineChoice) -> Iterator[str]:
    """Where Spark reads the visible rows: ``calls_parquet``, or ``hw_ev`` exported now.

    The export (personal data) goes to a folder only this user can read (``mkdtemp``),
    under ``stage_dir`` when given, and is deleted when the block ends.
    """
    if choice.calls_parquet is not None:
        yield choice.calls_parquet
        return
    folder = Path(tempfile.mkdtemp(prefix="harmwatch-calls-", dir=choice.stage_dir))
    try:
        target = folder / "calls.parquet"
        quoted = "'" + str(target).replace("'", "''") + "'"
        duck.execute(
            f"COPY (SELECT {', '.join(CALL_COLUMNS)} FROM hw_ev) TO {quoted} (FORMAT parquet)"
        )
        yield str(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_columns(engine: SqlEngine, where: str) -> None:
    have = {str(r[0]).lower() for r in engine.fetchall("DESCRIBE calls")}
    missing = [c for c in CALL_COLUMNS if c not in have]
    if missing:
        raise InputError(f"calls parquet {where}: no column(s) {', '.join(missing)}")


def detect(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    rules: DetectionRules,
    choice: EngineChoice,
    step: Callable[[str, float], None],
) -> tuple[list[detection.NumberScore], list[linking.DetectedLine]]:
    """Score on Spark, assemble lines on ``con`` (DuckDB), which is left holding the
    support rows as ``hw_ev`` and the base tables built on them (for the counts)."""
    from harmwatch.engines import spark

    session = spark.spark_session(choice.master, driver_memory=choice.driver_memory)
    duck = DuckDBEngine(con)
    detection.scope(duck, files)
    with staged_calls(duck, choice) as parquet, spark.SparkEngine(session) as cluster:
        cluster.register_parquet("calls", parquet)
        if choice.calls_parquet is not None:
            _check_columns(cluster, choice.calls_parquet)
        detection.scope(cluster, files)
        step("orders, locations and usual night cells", 0.05)
        detection.build_base(cluster, rules)
        step("scoring candidate numbers", 0.35)
        scores = detection.score_numbers(cluster, rules)
        step("continuity, roles and cuckooed cells", 0.7)
        bound = line_bound(cluster, rules, [s.number for s in scores if s.flagged])
        while True:
            duck.register_arrow("hw_support_rows", support_rows(cluster, rules, bound))
            duck.execute("CREATE OR REPLACE TEMP VIEW hw_ev AS SELECT * FROM hw_support_rows")
            detection.build_base(duck, rules)
            found = linking.assemble(duck.con, rules, scores)
            on_lines = {n.number for line in found for n in line.numbers}
            if on_lines <= bound:
                return scores, found
            bound |= on_lines
