"""The Spark engine: DuckDB-dialect SQL transpiled by SQLGlot and run on a SparkSession.

Each statement is parsed as DuckDB SQL, its parameters are bound as literals in the
syntax tree (so a value can never become SQL), a few transforms rewrite what
SQLGlot does not translate into something Spark runs with DuckDB's meaning, and
the tree is written out as Spark SQL:

- ``ASOF [LEFT] JOIN r ON <equalities> AND r.t > l.t`` (Spark has no as-of join):
  ``r`` gains the previous (or, for ``<``/``<=``, the next) ``t`` within its
  equality keys, and the join keeps the one row of ``r`` whose interval holds
  ``l.t`` — the row DuckDB's as-of join picks. On exact ties of ``r.t`` within the
  keys either engine may pick either row.
- ``time_bucket(INTERVAL n unit, t)`` (SQLGlot writes ``DATE_BIN``, which Spark
  lacks): the bucket's start from epoch seconds, on DuckDB's default origin
  (Monday 3 January 2000), so buckets are the same instants.
- ``range(a, b) r(d)`` in ``FROM`` (SQLGlot writes an ``EXPLODE`` Spark rejects as
  a table): a one-column subquery exploding ``sequence(a, b - 1)``.
- ``list(DISTINCT x ORDER BY x)`` (SQLGlot drops the order): ``array_sort(collect_set(x))``.
- ``epoch(t)`` (SQLGlot writes ``UNIX_TIMESTAMP``, whole seconds): DuckDB's seconds
  as a double, fractions kept, from ``unix_micros``.

``CREATE [OR REPLACE] TEMP TABLE x AS …`` becomes a temporary view over the query's
result, computed there and then and kept by the executors (memory, then disk) as a
local checkpoint: like DuckDB's temporary table it is computed once and read many
times, and later plans start from it rather than from the whole chain of queries
before it (a plan rebuilt from every earlier step grows with each one, and Spark
spends longer planning it than running it). Rows come back as tuples of the same Python
types DuckDB gives: the session's timestamps are ``TIMESTAMP_NTZ`` in UTC, so a
timestamp is a naive ``datetime`` of the same wall-clock value.
"""

from __future__ import annotations

import atexit
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from .sql import EngineUnavailable

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Spark 4 runs on Java 17 or newer.
MIN_JAVA = 17
JAVA_PACKAGE = "openjdk-17-jre-headless"
PYSPARK_PIN = "pyspark==4.3.0"

#: DuckDB's time_bucket origin for intervals of days or less: Monday 2000-01-03 00:00 UTC.
_BUCKET_ORIGIN_S = 946857600
_UNIT_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}

_SESSION: SparkSession | None = None
_SESSION_MASTER: str | None = None
_LOCK = threading.Lock()


# -- the session ----------------------------------------------------------------------


def java_runtime() -> str | None:
    """The ``java`` PySpark will launch: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = os.path.join(home, "bin", "java")
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("java")


def java_major(java: str) -> int | None:
    """The major version ``java -version`` reports (8 for ``1.8.0_…``), None if unreadable."""
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def check_available() -> None:
    """Raise :class:`EngineUnavailable`, saying what to install, unless Spark can start."""
    java = java_runtime()
    if java is None:
        raise EngineUnavailable(
            f"--engine spark needs a Java {MIN_JAVA}+ runtime and none was found (no java on "
            f"PATH, no JAVA_HOME): install Debian's {JAVA_PACKAGE} "
            f"(apt-get install {JAVA_PACKAGE}; scripts/system-deps.sh does it)"
        )
    major = java_major(java)
    if major is not None and major < MIN_JAVA:
        raise EngineUnavailable(
            f"--engine spark needs Java {MIN_JAVA} or newer; {java} is Java {major}: install "
            f"Debian's {JAVA_PACKAGE} and put it first on PATH (or set JAVA_HOME)"
        )
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineUnavailable(
            f"--engine spark needs PySpark: pip install {PYSPARK_PIN} (it is in "
            "requirements.lock, which scripts/setup.sh installs)"
        ) from None


def local_cores(master: str) -> int | None:
    """The worker threads of a ``local``, ``local[N]`` or ``local[*]`` master; None if not local."""
    found = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master.strip())
    if not found:
        return None
    threads = found.group(1)
    if threads is None:
        return 1
    return (os.cpu_count() or 1) if threads == "*" else int(threads)


def session_settings(master: str, driver_memory: str = "2g") -> dict[str, str]:
    """The settings :func:`spark_session` starts Spark with (see its docstring for why)."""
    log_config = str(resources.files("harmwatch.engines") / "log4j2.properties")
    java_options = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{log_config}"
    settings = {
        "spark.app.name": "harmwatch",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.warehouse.dir": _scratch_warehouse(),
        "spark.driver.memory": driver_memory,
        # The rows around the flagged numbers come back to this machine as Arrow
        # (about 11 % of the calls: 1.1 GB at 50 million rows), over Spark's default
        # 1 GB cap on a result; the driver's heap is the real bound, so it is the cap.
        "spark.driver.maxResultSize": driver_memory,
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }
    cores = local_cores(master)
    if cores is not None:
        settings.update(
            {
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                # Many shuffle partitions, which adaptive execution merges back to a
                # few for a small job: with two per thread (as before) 50 million call
                # rows gave each task 12 million rows to aggregate in memory, and the
                # run failed for want of execution memory at a 6 GB heap.
                "spark.sql.shuffle.partitions": str(max(8, 32 * cores)),
                "spark.sql.adaptive.enabled": "true",
                "spark.sql.adaptive.coalescePartitions.enabled": "true",
                # The tables kept between steps (local checkpoints) may be pushed to
                # disk down to a fifth of the unified memory, so the aggregation of
                # the next step is not starved by the last step's results.
                "spark.memory.storageFraction": "0.2",
            }
        )
    return settings


def spark_session(
    master: str = "local[2]",
    *,
    driver_memory: str = "2g",
    settings: Mapping[str, str] | None = None,
) -> SparkSession:
    """The process's SparkSession on ``master``: started on first use, then reused.

    Local masters run on loopback only (driver host and bind address 127.0.0.1, no
    UI, no console progress), with 32 shuffle partitions per worker thread that
    adaptive execution coalesces (a small job runs in a few; a large one's tasks each
    aggregate a slice small enough for memory),
    ``driver_memory`` for the one JVM that holds driver and executors, and UTC as the
    session time zone with ``TIMESTAMP_NTZ`` timestamps, which is how the analytics
    store keeps them. ANSI mode is on, as DuckDB is strict: an overflow or a bad cast
    is an error, not a NULL. ``settings`` add to or override these (a cluster's own,
    for instance).
    A process holds one Spark context, so asking for another master while one runs
    is refused.
    """
    global _SESSION, _SESSION_MASTER
    with _LOCK:
        if _SESSION is not None and _alive(_SESSION):
            if master != _SESSION_MASTER:
                raise EngineUnavailable(
                    f"Spark is already running on {_SESSION_MASTER} in this process; one "
                    f"process holds one Spark context, so {master} cannot start beside it"
                )
            return _SESSION
        check_available()
        with _quiet_pyspark():
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.master(master)
            for key, value in {
                **session_settings(master, driver_memory),
                **(settings or {}),
            }.items():
                builder = builder.config(key, value)
            try:
                session = builder.getOrCreate()
            except Exception as exc:  # the JVM failed to start: say so, not a py4j trace
                raise EngineUnavailable(
                    f"Spark did not start on {master}: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}"
                ) from exc
        session.sparkContext.setLogLevel("ERROR")
        _SESSION, _SESSION_MASTER = session, master
        return session


def stop_session() -> None:
    """Stop the process's SparkSession (the JVM exits with the process anyway)."""
    global _SESSION, _SESSION_MASTER
    with _LOCK:
        if _SESSION is not None:
            _SESSION.stop()
        _SESSION, _SESSION_MASTER = None, None


def _alive(session: SparkSession) -> bool:
    return getattr(session.sparkContext, "_jsc", None) is not None


@contextmanager
def _quiet_pyspark() -> Iterator[None]:
    # PySpark warns on import that it does not yet "fully support" pandas 3; harmwatch
    # never converts to or from pandas through Spark (rows come back as tuples or Arrow).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas")
        yield


_WAREHOUSE: list[str] = []


def _scratch_warehouse() -> str:
    # Spark would otherwise make ./spark-warehouse in whatever folder the user is in.
    if not _WAREHOUSE:
        path = tempfile.mkdtemp(prefix="harmwatch-spark-warehouse-")
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        _WAREHOUSE.append(path)
    return _WAREHOUSE[0]


# -- DuckDB SQL to Spark SQL ------------------------------------------------------------


def to_spark(sql: str | exp.Expr, params: Sequence[Any] = ()) -> str:
    """One DuckDB-dialect statement as Spark SQL, with ``params`` bound as literals."""
    tree = sqlglot.parse_one(sql, read="duckdb") if isinstance(sql, str) else sql.copy()
    return _spark_tree(tree, params).sql(dialect="spark")


def _spark_tree(tree: exp.Expr, params: Sequence[Any]) -> exp.Expr:
    tree = bind(tree, params)
    for transform in (_asof_join, _time_bucket, _epoch, _series_table, _ordered_distinct_list):
        tree = tree.transform(transform)
    return tree


def bind(tree: exp.Expr, params: Sequence[Any]) -> exp.Expr:
    """``tree`` with each ``?`` (in order) or ``$n`` replaced by its value as a literal."""
    # Depth first: the order the marks are written in (breadth first is not, and a
    # statement with several IN lists would bind values to the wrong marks).
    marks = list(tree.find_all(exp.Placeholder, bfs=False))
    if not marks:
        if params:
            raise ValueError(f"{len(params)} parameter(s) given to a statement that takes none")
        return tree
    numbered = [m for m in marks if m.this]
    if numbered and len(numbered) != len(marks):
        raise ValueError("a statement mixes ? and $n parameters")
    wanted = max(int(m.this) for m in marks) if numbered else len(marks)
    if wanted != len(params):
        raise ValueError(f"the statement takes {wanted} parameter(s); {len(params)} given")
    for i, mark in enumerate(marks):
        value = params[int(mark.this) - 1] if numbered else params[i]
        mark.replace(literal(value))
    return tree


def literal(value: Any) -> exp.Expr:
    """A Python value as a Spark literal of the type DuckDB would bind it as."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        number = exp.Literal.number(abs(value))
        return exp.Neg(this=number) if value < 0 else number
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot bind {value!r} as a parameter")
        return exp.cast(exp.Literal.string(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("bind naive UTC datetimes: the store's timestamps carry no zone")
        return exp.cast(
            exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMPNTZ
        )
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, list | tuple):
        return exp.Tuple(expressions=[literal(v) for v in value])
    raise TypeError(f"cannot bind a {type(value).__name__} as a parameter")


def _asof_join(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Join) or str(node.args.get("method") or "").upper() != "ASOF":
        return node
    right = node.this
    alias = right.alias_or_name
    on = node.args.get("on")
    if on is None:
        raise NotImplementedError("as-of join without ON (USING is not translated)")
    conditions = list(on.flatten()) if isinstance(on, exp.And) else [on]
    keys: list[str] = []
    inequality: exp.Binary | None = None
    for condition in conditions:
        if isinstance(condition, exp.EQ):
            mine = [c for c in (condition.this, condition.expression) if _of(c, alias)]
            if len(mine) != 1:
                raise NotImplementedError(f"as-of join: cannot read the key in {condition.sql()}")
            keys.append(mine[0].name)
        elif isinstance(condition, exp.GT | exp.GTE | exp.LT | exp.LTE):
            if inequality is not None:
                raise NotImplementedError("as-of join with more than one inequality")
            inequality = condition
        else:
            raise NotImplementedError(f"as-of join condition {condition.sql()}")
    if inequality is None:
        raise NotImplementedError("as-of join without an inequality")
    # Normalise to "right.t OP left.t".
    flipped: dict[type[exp.Binary], type[exp.Binary]] = {
        exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE,
    }  # fmt: skip
    op: type[exp.Binary] = type(inequality)
    mine_t, other = inequality.this, inequality.expression
    if not _of(mine_t, alias):
        mine_t, other, op = other, mine_t, flipped[op]
    if not _of(mine_t, alias) or _of(other, alias):
        raise NotImplementedError(f"as-of join inequality {inequality.sql()}")
    forward = op in (exp.GT, exp.GTE)
    # The right row matches when left.t lies in the interval between its neighbour (in
    # the direction of the search) and itself: exactly one row per left row and keys.
    neighbour = "LAG" if forward else "LEAD"
    window = (
        f"{neighbour}({mine_t.name}) OVER (PARTITION BY {', '.join(keys)} ORDER BY {mine_t.name})"
    )
    source = right.copy()
    source.set(
        "alias",
        None
        if isinstance(source, exp.Table)
        else exp.TableAlias(this=exp.to_identifier("__asof_src")),
    )
    inner = exp.select("*", f"{window} AS __asof_bound").from_(source)
    node.set("this", inner.subquery(alias))
    node.set("method", None)
    bound = exp.column("__asof_bound", alias)
    keeps: dict[type[exp.Binary], type[exp.Binary]] = {
        exp.GT: exp.LTE, exp.GTE: exp.LT, exp.LT: exp.GTE, exp.LTE: exp.GT,
    }  # fmt: skip
    keep = keeps[op]
    within = exp.or_(
        exp.Is(this=bound.copy(), expression=exp.null()), keep(this=bound, expression=other.copy())
    )
    node.set("on", exp.and_(on, exp.paren(within)))
    return node


def _of(column: exp.Expr, alias: str) -> bool:
    return isinstance(column, exp.Column) and column.table == alias


def _time_bucket(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.DateBin):
        return node
    width = node.this
    if node.args.get("origin") is not None or not isinstance(width, exp.Interval):
        raise NotImplementedError("time_bucket: only an INTERVAL width and the default origin")
    unit = width.text("unit").upper().rstrip("S")
    if unit not in _UNIT_SECONDS:
        raise NotImplementedError(f"time_bucket by {unit}: months and years are not translated")
    seconds = int(float(width.this.name)) * _UNIT_SECONDS[unit]
    epoch = exp.TimeToUnix(this=node.expression.copy())
    start = sqlglot.parse_one(
        f"CAST(TIMESTAMP_SECONDS({_BUCKET_ORIGIN_S} + FLOOR((__t - {_BUCKET_ORIGIN_S}) / "
        f"{seconds}) * {seconds}) AS TIMESTAMP_NTZ)",
        read="spark",
    )
    for column in start.find_all(exp.Column):
        if column.name == "__t":
            column.replace(epoch)
    return start


def _epoch(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.TimeToUnix):
        return node
    return exp.Div(
        this=exp.func("UNIX_MICROS", node.this.copy(), dialect="spark"),
        expression=exp.Literal.number(1000000),
    )


def _series_table(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Table) or not isinstance(node.this, exp.GenerateSeries):
        return node
    series = node.this
    alias = node.args.get("alias")
    names = [c.name for c in alias.columns] if alias is not None else []
    column = names[0] if names else "range"
    last = series.args["end"].copy()
    if series.args.get("is_end_exclusive"):
        last = exp.Sub(this=last, expression=exp.Literal.number(1))
    if series.args.get("step") is not None:
        raise NotImplementedError("range(a, b, step) in FROM")
    exploded = exp.Explode(
        this=exp.func("SEQUENCE", series.args["start"].copy(), last, dialect="spark")
    )
    return exp.select(exploded.as_(column)).subquery(alias.name if alias is not None else "range")


def _ordered_distinct_list(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.ArrayAgg) or not isinstance(node.this, exp.Order):
        return node
    order = node.this
    distinct = order.this
    if not isinstance(distinct, exp.Distinct) or len(distinct.expressions) != 1:
        raise NotImplementedError(
            f"ordered list aggregate {node.sql()}: only DISTINCT x ORDER BY x"
        )
    value = distinct.expressions[0]
    [by] = order.expressions
    if by.this != value or by.args.get("desc"):
        raise NotImplementedError(f"{node.sql()}: only ascending by the listed value")
    return exp.ArraySort(this=exp.ArrayUniqueAgg(this=value.copy()))


# -- the engine -------------------------------------------------------------------------


class SparkEngine:
    """DuckDB-dialect SQL on a SparkSession (a fresh session of its own temporary views).

    Its own session (``newSession``: the context is shared, temporary views are not)
    so two runs in one process cannot read each other's tables. :meth:`close` drops
    its tables.
    """

    name = "spark"

    def __init__(self, session: SparkSession, *, own_views: bool = True) -> None:
        self.session = session.newSession() if own_views else session
        self._frames: dict[str, DataFrame] = {}

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        # A local checkpoint's blocks go when the JVM collects the frame that held them.
        for name in list(self._frames):
            self.session.catalog.dropTempView(name)
        self._frames.clear()

    def sql(self, sql: str, params: Sequence[Any] = ()) -> str:
        """The Spark SQL that would run for ``sql`` (for tests and for reading)."""
        return to_spark(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        tree = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(tree, exp.Create) and tree.kind == "TABLE":
            self._create_table(tree, params)
            return
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            raise NotImplementedError("Spark tables here are views: load rows with load_rows")
        self.session.sql(_spark_tree(tree, params).sql(dialect="spark"))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        frame = _naive_timestamps(self.session.sql(to_spark(sql, params)))
        return [tuple(row) for row in frame.collect()]

    def fetch_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        frame = _naive_timestamps(self.session.sql(to_spark(sql, params)))
        return frame.toArrow()

    def load_rows(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        schema = ", ".join(
            f"{name} {exp.DataType.build(kind, dialect='duckdb').sql(dialect='spark')}"
            for name, kind in columns
        )
        frame = self.session.createDataFrame([tuple(r) for r in rows], schema=schema)
        # Rows from Python are already a plan of their own (no lineage to cut).
        self._replace(table, frame, keep=False)

    def register_parquet(self, table: str, path: str | Sequence[str]) -> None:
        paths = [path] if isinstance(path, str) else list(path)
        self._replace(table, self.session.read.parquet(*paths), keep=False)

    def register_arrow(self, table: str, data: pa.Table) -> None:
        self._replace(table, self.session.createDataFrame(data))

    def _create_table(self, tree: exp.Create, params: Sequence[Any]) -> None:
        target = tree.this
        name = target.this.name if isinstance(target, exp.Schema) else target.name
        query = tree.expression
        properties = tree.args.get("properties")
        temporary = properties is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in properties.expressions
        )
        if query is None or not temporary:
            raise NotImplementedError(
                f"{name}: only CREATE TEMP TABLE … AS SELECT runs on Spark (rows: load_rows)"
            )
        frame = self.session.sql(_spark_tree(query, params).sql(dialect="spark"))
        self._replace(name, frame)

    def _replace(self, name: str, frame: DataFrame, *, keep: bool = True) -> None:
        if keep:
            frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        self._frames[name] = frame


def _naive_timestamps(frame: DataFrame) -> DataFrame:
    """Zoned timestamps (from ``timestamp_seconds`` and the like) as UTC wall-clock values.

    PySpark turns a zoned timestamp into a naive ``datetime`` in the *Python process's*
    local zone; DuckDB's are UTC wall-clock, which a ``TIMESTAMP_NTZ`` in a UTC session is.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    fields = frame.schema.fields
    if not any(isinstance(f.dataType, TimestampType) for f in fields):
        return frame
    # By position: a result may repeat a column name (SELECT a.n, b.n).
    slots = [f"c{i}" for i in range(len(fields))]
    return (
        frame.toDF(*slots)
        .select(
            *[
                F.col(slot).cast("timestamp_ntz")
                if isinstance(f.dataType, TimestampType)
                else F.col(slot)
                for slot, f in zip(slots, fields, strict=True)
            ]
        )
        .toDF(*[f.name for f in fields])
    )
