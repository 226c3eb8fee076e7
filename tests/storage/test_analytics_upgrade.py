"""A store written by the first release opens with today's code and is upgraded in place.

The fixture (tests/storage/data/release-1, see its README) was written by the first
release's own ``ingest``; nothing here recreates it with today's code. Also: a store
newer than this code is refused, a failing step rolls back to the version before it,
and a read-only open that cannot upgrade says so instead of reading an old schema.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from harmwatch.query.filter import Filter
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.sources.policeuk.status import store_status
from harmwatch.storage.analytics import (
    LATEST_VERSION,
    LOADED_BY_UNKNOWN,
    MIGRATIONS,
    AnalyticsStore,
    Migration,
    SchemaError,
)
from harmwatch.storage.analytics import migrations as migration_module
from harmwatch.storage.analytics import store as store_module
from harmwatch.where.areas import area_ranking
from harmwatch.where.hotspots import hotspots

RELEASE = Path(__file__).parent / "data" / "release-1"
TABLES = ("street", "outcomes", "stop_search", "loads", "datasets", "rejects", "meta")
# What changes between two loads of the same files: when, which run, and (from schema 2) who.
PER_RUN = ("run_id", "loaded_at", "loaded_by")


def release_copy(tmp_path: Path) -> Path:
    db = tmp_path / "release-1.duckdb"
    with gzip.open(RELEASE / "store.duckdb.gz", "rb") as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return db


def snapshot(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and sorted rows, read with DuckDB itself (not the store)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in TABLES:
            cursor = con.execute(f"SELECT * FROM {table} ORDER BY ALL")
            rows = cursor.fetchall()
            out[table] = ([d[0] for d in cursor.description], rows)
        return out
    finally:
        con.close()


def columns(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT table_name, column_index, column_name, data_type, is_nullable "
            "FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def fingerprint(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def fresh_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture's files loaded today, as the release loaded them (same order, same paths)."""
    db = tmp_path / "fresh.duckdb"
    work = tmp_path / "inputs"
    shutil.copytree(RELEASE / "inputs", work)
    monkeypatch.chdir(work)
    ingest([Path("first")], db)
    ingest([Path("second")], db, lenient=True)
    monkeypatch.undo()
    return db


def test_the_fixture_is_a_first_release_store(tmp_path: Path) -> None:
    db = release_copy(tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        load_columns = [r[0] for r in con.execute("DESCRIBE loads").fetchall()]
    finally:
        con.close()
    assert "schema_migrations" not in tables and version == [("1",)]
    assert "loaded_by" not in load_columns


def test_release_store_is_upgraded_in_place_step_by_step(tmp_path: Path) -> None:
    db = release_copy(tmp_path)
    before = snapshot(db)
    with AnalyticsStore.open(db) as store:  # read-only: upgrades first (see the migrations module)
        assert store.read_only
        assert store.schema_version() == LATEST_VERSION == 5
        steps = store.applied_migrations()
    assert [(s.version, s.description) for s in steps] == [
        (m.version, m.description) for m in MIGRATIONS
    ]
    # Step 1 was applied by the release, which did not record when; the others just now.
    assert steps[0].applied_at is None and all(s.applied_at is not None for s in steps[1:])

    after = snapshot(db)
    for table in ("street", "outcomes", "stop_search", "datasets", "rejects"):
        assert after[table] == before[table], table
    assert after["meta"][1] == [("schema_version", str(LATEST_VERSION))]
    old_columns, old_loads = before["loads"]
    new_columns, new_loads = after["loads"]
    assert new_columns == [*old_columns, "loaded_by"]
    assert new_loads == [(*row, None) for row in old_loads]  # every provenance field kept
    assert len(new_loads) == 4 and sum(r[-2] is not None for r in new_loads) == 1  # one replaced

    # A second open finds nothing to do and changes nothing.
    with AnalyticsStore.open(db, read_only=False) as store:
        assert len(store.applied_migrations()) == LATEST_VERSION
    assert snapshot(db) == after


def test_upgraded_store_has_the_schema_of_a_new_one(tmp_path: Path) -> None:
    db = release_copy(tmp_path)
    AnalyticsStore.open(db).close()
    new = tmp_path / "new.duckdb"
    AnalyticsStore.open(new, read_only=False).close()
    assert columns(db) == columns(new)


def test_upgraded_store_gives_the_figures_of_a_fresh_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = release_copy(tmp_path)
    fresh = fresh_load(tmp_path, monkeypatch)

    upgraded, loaded = store_status(old).to_dict(), store_status(fresh).to_dict()
    assert (
        upgraded["rows"]
        == loaded["rows"]
        == {
            "street": 249,
            "outcomes": 200,
            "stop-and-search": 225,
        }
    )
    assert upgraded["drugs_rows"] == loaded["drugs_rows"]
    assert upgraded["rejects"] == loaded["rejects"] == 1
    for key in ("rows_without_location", "by_force_month", "by_crime_type", "month_runs"):
        assert upgraded[key] == loaded[key], key
    assert upgraded["rejects_by_reason"] == loaded["rejects_by_reason"]
    assert [r["line"] for r in upgraded["rejects_by_reason"]] == [10]
    assert len(upgraded["loads"]) == len(loaded["loads"]) == 3
    for a, b in zip(upgraded["loads"], loaded["loads"], strict=True):
        assert {k: v for k, v in a.items() if k not in PER_RUN} == {
            k: v for k, v in b.items() if k not in PER_RUN
        }
        assert a["loaded_by"] == LOADED_BY_UNKNOWN
        assert b["loaded_by"].startswith("cli:")

    for flt in (Filter(("bedfordshire",)), Filter(("bedfordshire",), all_crime_types=True)):
        a, b = (hotspots(db, flt, method="gistar", cell=2000) for db in (old, fresh))
        assert a.summary() == b.summary()
        pd.testing.assert_frame_equal(a.cells, b.cells)
    everything = Filter(("bedfordshire",), all_crime_types=True)
    ranked_old, ranked_new = area_ranking(old, everything), area_ranking(fresh, everything)
    assert ranked_old.summary() == ranked_new.summary()
    assert ranked_old.crimes_ranked > 200


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "newer.duckdb"
    AnalyticsStore.open(db, read_only=False).close()
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(LATEST_VERSION + 1)])
    con.close()
    before = fingerprint(db)
    for read_only in (True, False):
        with pytest.raises(SchemaError, match=r"written by a newer harmwatch.*upgrade harmwatch"):
            AnalyticsStore.open(db, read_only=read_only)
    with pytest.raises(SchemaError, match="newer harmwatch"):
        store_status(db)
    with pytest.raises(SchemaError, match="newer harmwatch"):
        ingest([RELEASE / "inputs" / "first"], db)
    assert fingerprint(db) == before


def failing(step: Migration) -> Migration:
    """``step`` with a statement appended that fails after its real work is done."""
    return Migration(
        step.version, step.description, (*step.statements, "SELECT error('injected failure')")
    )


def test_a_failing_step_rolls_back_to_the_version_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = release_copy(tmp_path)
    before = snapshot(db)
    monkeypatch.setattr(migration_module, "MIGRATIONS", (MIGRATIONS[0], failing(MIGRATIONS[1])))
    for read_only in (False, True):
        with pytest.raises(SchemaError, match=r"to schema 2 .*injected failure.*left at schema 1"):
            AnalyticsStore.open(db, read_only=read_only)
    # Nothing of step 2 stayed: no column, no bookkeeping table, version 1, every row.
    assert snapshot(db) == before
    assert not any(c[0] == "schema_migrations" or c[2] == "loaded_by" for c in columns(db))

    # A later step failing leaves the store at the step before it, not before the run.
    extra = Migration(
        LATEST_VERSION + 1,
        "an extra table",
        ("CREATE TABLE extra (a INTEGER)", "INSERT INTO extra VALUES (1)"),
    )
    monkeypatch.setattr(migration_module, "MIGRATIONS", (*MIGRATIONS, failing(extra)))
    with pytest.raises(
        SchemaError, match=rf"to schema {LATEST_VERSION + 1} .*left at schema {LATEST_VERSION}"
    ):
        AnalyticsStore.open(db, read_only=False)
    monkeypatch.undo()
    with AnalyticsStore.open(db) as store:
        assert store.schema_version() == LATEST_VERSION
        assert [s.version for s in store.applied_migrations()] == [m.version for m in MIGRATIONS]
        assert "extra" not in store.tables()


def test_read_only_open_refuses_when_another_process_holds_the_file(tmp_path: Path) -> None:
    db = release_copy(tmp_path)
    before = fingerprint(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
         "print('open', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(SchemaError) as caught:
            AnalyticsStore.open(db)
    finally:
        holder.communicate("")
    message = str(caught.value)
    assert "schema 1" in message and f"schema {LATEST_VERSION}" in message
    assert "could not open it for writing" in message and "harmwatch status" in message
    assert fingerprint(db) == before
    with AnalyticsStore.open(db) as store:  # once the other process has gone, it upgrades
        assert store.schema_version() == LATEST_VERSION


def test_read_only_open_refuses_while_this_process_holds_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = release_copy(tmp_path)
    monkeypatch.setattr(store_module, "_UPGRADE_WAIT_S", 0.2)
    other = duckdb.connect(str(db), read_only=True)  # as another thread's open connection would
    try:
        with pytest.raises(SchemaError, match="this process kept it open read-only"):
            AnalyticsStore.open(db)
    finally:
        other.close()
    with AnalyticsStore.open(db) as store:
        assert store.schema_version() == LATEST_VERSION


def test_schema_steps_are_numbered_in_order_and_step_one_is_frozen() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST_VERSION
    # Step 1 is the first release's schema; a released step never changes (add a new one).
    text = "\n".join(MIGRATIONS[0].statements)
    assert hashlib.sha256(text.encode()).hexdigest() == STEP_1_SHA256
    assert MIGRATIONS[1].statements == ("ALTER TABLE loads ADD COLUMN loaded_by VARCHAR",)


# sha256 of the first release's _SCHEMA statements joined by newlines (commit a7d0b26).
STEP_1_SHA256 = "a2877d75ccf1e14ba9b71615466f78ecefb908ee1fe9751fcd47b19be0229f1c"
