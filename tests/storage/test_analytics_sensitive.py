"""Personal data in the analytics store: read only through a checker that may refuse, and logs.

The table here is made up for the test (no real person's data): a stand-in for the
call-data records a later issue loads.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from harmwatch.errors import InputError, NotFoundError
from harmwatch.storage.analytics import (
    TABLES,
    AnalyticsStore,
    SensitiveAccess,
    SensitiveAccessError,
    Sensitivity,
    TableQuery,
)

TABLE = "call_records"
ROWS = [(1, "A", "B", 30), (2, "A", "C", 5), (3, "D", "B", 61)]


class Refused(Exception):
    pass


class Checker:
    """A SensitiveAccess that records what it was asked and may refuse."""

    def __init__(self, allow: bool = True, fail_log: bool = False) -> None:
        self.allow = allow
        self.fail_log = fail_log
        self.checked: list[tuple[str, str]] = []
        self.logged: list[tuple[str, int, str]] = []

    def check(self, table: str, purpose: str) -> None:
        self.checked.append((table, purpose))
        if not self.allow:
            raise Refused(f"no access to {table}")

    def log(self, table: str, rows: int, purpose: str) -> None:
        if self.fail_log:
            raise OSError("the access log cannot be written")
        self.logged.append((table, rows, purpose))


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    db = tmp_path / "with-personal.duckdb"
    AnalyticsStore.open(db, read_only=False).close()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE {TABLE} (id INTEGER, caller VARCHAR, callee VARCHAR, secs INTEGER)")
    con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)", ROWS)
    con.close()
    return db


def test_every_table_of_the_schema_is_declared_and_undeclared_ones_are_personal(
    store_path: Path,
) -> None:
    with AnalyticsStore.open(store_path) as store:
        tables = store.tables()
        assert set(tables) == set(TABLES) | {TABLE}
        personal = {t for t in TABLES if store.sensitivity(t) is Sensitivity.PERSONAL}
        # Call data and a force's own crime records are the schema's personal data;
        # everything else is open or bookkeeping.
        assert personal == {"calls", "call_files", "force_crimes", "force_crime_files"}
        # Undeclared, so personal: a table nobody classified fails closed.
        assert store.sensitivity(TABLE) is Sensitivity.PERSONAL
    assert isinstance(Checker(), SensitiveAccess)


def test_a_read_without_a_checker_is_refused(store_path: Path) -> None:
    with AnalyticsStore.open(store_path) as store:
        with pytest.raises(TypeError):
            store.read_sensitive(TABLE, TableQuery(), purpose="x")  # type: ignore[call-arg]
        for access in (None, object(), "yes"):
            with pytest.raises(SensitiveAccessError, match="needs an access checker"):
                store.read_sensitive(TABLE, TableQuery(), access=access, purpose="x")  # type: ignore[arg-type]
        with pytest.raises(SensitiveAccessError, match="needs a purpose"):
            store.read_sensitive(TABLE, TableQuery(), access=Checker(), purpose="  ")
        # The store's own queries may name open tables only.
        with pytest.raises(SensitiveAccessError, match="not open data"):
            store._rows((TABLE,), f"SELECT * FROM {TABLE}")
        # And the open path is not a way in to open tables either: one path each.
        with pytest.raises(SensitiveAccessError, match="open data"):
            store.read_sensitive("street", TableQuery(), access=Checker(), purpose="x")


def test_a_refused_check_reads_nothing(store_path: Path) -> None:
    checker = Checker(allow=False)
    with AnalyticsStore.open(store_path) as store, pytest.raises(Refused):
        store.read_sensitive(TABLE, TableQuery(), access=checker, purpose="case 42")
    assert checker.checked == [(TABLE, "case 42")]
    assert checker.logged == []  # nothing was read, so nothing to log


def test_an_allowed_read_is_logged_with_its_row_count(store_path: Path) -> None:
    checker = Checker()
    query = TableQuery(columns=("id", "callee"), where={"caller": ["A"]}, order_by=("id",))
    with AnalyticsStore.open(store_path) as store:
        got = store.read_sensitive(TABLE, query, access=checker, purpose="case 42: who A called")
        everything = store.read_sensitive(TABLE, TableQuery(limit=2), access=checker, purpose="p")
        none = store.read_sensitive(
            TABLE, TableQuery(where={"caller": []}), access=checker, purpose="p"
        )
    assert got.columns == ("id", "callee") and got.rows == [(1, "B"), (2, "C")] and len(got) == 2
    assert everything.columns == ("id", "caller", "callee", "secs") and len(everything) == 2
    assert none.rows == []
    assert checker.logged == [
        (TABLE, 2, "case 42: who A called"),
        (TABLE, 2, "p"),
        (TABLE, 0, "p"),
    ]


def test_a_read_that_cannot_be_logged_is_not_given(store_path: Path) -> None:
    checker = Checker(fail_log=True)
    with AnalyticsStore.open(store_path) as store, pytest.raises(OSError, match="access log"):
        store.read_sensitive(TABLE, TableQuery(), access=checker, purpose="p")


def test_queries_name_only_real_columns(store_path: Path) -> None:
    with AnalyticsStore.open(store_path) as store:
        with pytest.raises(InputError, match="no column"):
            store.read_sensitive(
                TABLE, TableQuery(columns=('id" FROM street --',)), access=Checker(), purpose="p"
            )
        with pytest.raises(InputError, match="no column"):
            store.read_sensitive(
                TABLE, TableQuery(where={"nope": [1]}), access=Checker(), purpose="p"
            )
        with pytest.raises(NotFoundError):
            store.read_sensitive("cdr_missing", TableQuery(), access=Checker(), purpose="p")


def test_staging_sql_may_not_name_a_personal_table(store_path: Path) -> None:
    with AnalyticsStore.open(store_path, read_only=False) as store:
        stage = store.staging()
        with pytest.raises(SensitiveAccessError, match=TABLE):
            stage.rows(f"SELECT count(*) FROM {TABLE}")
        with pytest.raises(SensitiveAccessError, match=f"(?i){TABLE}"):
            stage.execute(f"CREATE TEMP VIEW leak AS SELECT * FROM main.{TABLE.upper()}")
        assert stage.rows("SELECT count(*) FROM range(3)") == [(3,)]
