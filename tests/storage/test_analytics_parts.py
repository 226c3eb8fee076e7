"""Parquet part files: a load streamed in chunks is still one load, all or nothing."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from harmwatch.cli.demo import sample_dir
from harmwatch.sources.policeuk.ingest import IngestError, ingest
from harmwatch.storage.analytics import AnalyticsStore, StreetScope
from harmwatch.storage.analytics.parts import parts_root

ROW_TABLES = ("street", "outcomes", "stop_search")


def contents(db: Path) -> dict[str, object]:
    """Every police.uk row and every dataset, read with plain DuckDB (the views are SQL)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, object] = {
            table: con.execute(f"SELECT * EXCLUDE (load_id) FROM {table} ORDER BY ALL").fetchall()
            for table in ROW_TABLES
        }
        out["datasets"] = con.execute(
            "SELECT kind, force, month, rows FROM datasets ORDER BY ALL"
        ).fetchall()
        return out
    finally:
        con.close()


def part_files(db: Path) -> set[str]:
    root = parts_root(db)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


def catalogued(db: Path) -> set[str]:
    with AnalyticsStore.open(db) as store:
        return {p.relative_to(store.parts_root).as_posix() for p in store.part_files()}


def gz_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def write_gz(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.writelines(lines)
    return path


def test_a_load_in_many_chunks_stores_what_one_chunk_does(tmp_path: Path) -> None:
    one = ingest([sample_dir()], tmp_path / "one.duckdb")
    many = ingest([sample_dir()], tmp_path / "many.duckdb", chunk_rows=5_000)
    assert one.rows_by_kind() == many.rows_by_kind() and one.rows_loaded > 20_000
    assert contents(tmp_path / "one.duckdb") == contents(tmp_path / "many.duckdb")
    # Every file on disk is catalogued and every catalogued file is on disk.
    for name in ("one", "many"):
        db = tmp_path / f"{name}.duckdb"
        assert part_files(db) == catalogued(db) != set()
    assert len(part_files(tmp_path / "many.duckdb")) > len(part_files(tmp_path / "one.duckdb"))


def test_a_bad_row_in_the_last_chunk_refuses_the_whole_load(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    ingest([sample_dir() / "2025-05"], db)
    before, files_before = contents(db), part_files(db)

    inputs = tmp_path / "in"
    shutil.copytree(sample_dir() / "2025-08", inputs / "2025-08")
    shutil.copytree(sample_dir() / "2025-09", inputs / "2025-09")
    # Files sort by force, then kind, then month: the last chunk holds Hertfordshire 2025-09.
    late = inputs / "2025-09" / "2025-09-hertfordshire-street.csv.gz"
    lines = gz_lines(late)
    fields = lines[5].split(",")
    fields[1] = "2025-13"
    lines[5] = ",".join(fields)
    write_gz(late, lines)
    early = inputs / "2025-08" / "2025-08-bedfordshire-street.csv.gz"
    lines = gz_lines(early)
    fields = lines[3].split(",")
    fields[1] = "not a month"
    lines[3] = ",".join(fields)
    write_gz(early, lines)

    with pytest.raises(IngestError) as refused:
        ingest([inputs], db, chunk_rows=3_000)
    sources = {p.source for p in refused.value.problems}
    assert sources == {str(early), str(late)}  # both chunks' problems, in one refusal
    assert contents(db) == before
    assert part_files(db) == files_before  # what the refused load wrote is gone


def test_reloading_a_month_rewrites_only_the_files_holding_it(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    first = tmp_path / "first"
    for month in ("2025-05", "2025-06"):
        shutil.copytree(sample_dir() / month, first / month)
    ingest([first], db)
    before = contents(db)
    files_before = part_files(db)

    # police.uk re-publishes May for Bedfordshire with one crime fewer.
    again = tmp_path / "again" / "2025-05" / "2025-05-bedfordshire-street.csv.gz"
    lines = gz_lines(sample_dir() / "2025-05" / "2025-05-bedfordshire-street.csv.gz")
    write_gz(again, lines[:1] + lines[2:])
    result = ingest([again.parent], db)
    assert result.replaced_datasets == 1

    after = contents(db)

    def rows_of(snapshot: dict[str, object], force: str, month: str) -> int:
        return next(
            r[3]
            for r in snapshot["datasets"]  # type: ignore[attr-defined]
            if r[0] == "street" and r[1] == force and r[2].strftime("%Y-%m") == month
        )

    assert (
        rows_of(after, "bedfordshire", "2025-05") == rows_of(before, "bedfordshire", "2025-05") - 1
    )
    assert rows_of(after, "bedfordshire", "2025-06") == rows_of(before, "bedfordshire", "2025-06")
    assert len(after["street"]) == len(before["street"]) - 1  # type: ignore[arg-type]
    changed = files_before - part_files(db)
    assert changed and all("force=bedfordshire" in f for f in changed)
    assert part_files(db) == catalogued(db)


def test_a_store_moved_with_its_parts_folder_still_reads(tmp_path: Path) -> None:
    db = tmp_path / "here" / "store.duckdb"
    ingest([sample_dir() / "2025-05"], db)
    before = contents(db)
    moved = tmp_path / "there" / "store.duckdb"
    moved.parent.mkdir()
    shutil.move(db, moved)
    shutil.move(parts_root(db), parts_root(moved))

    with AnalyticsStore.open(moved) as store:  # read-only: temporary views
        assert store.street_count(StreetScope()) == len(before["street"])  # type: ignore[arg-type]
    AnalyticsStore.open(moved, read_only=False).close()  # read-write: the views move
    assert contents(moved) == before


def test_files_a_crashed_load_left_are_removed_once_old(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    ingest([sample_dir() / "2025-05"], db)
    some = next(iter(parts_root(db).rglob("*.parquet")))
    old_orphan = some.with_name("crashed_1_0.parquet")
    young_orphan = some.with_name("running_1_0.parquet")
    shutil.copy(some, old_orphan)
    shutil.copy(some, young_orphan)
    an_hour_ago = time.time() - 3700
    os.utime(old_orphan, (an_hour_ago, an_hour_ago))

    before = contents(db)
    AnalyticsStore.open(db, read_only=False).close()
    assert not old_orphan.exists() and young_orphan.exists()
    assert contents(db) == before  # an orphan was never part of the store


def test_a_streamed_load_lets_go_of_each_chunk_before_the_commit(
    police_uk: Path, tmp_path: Path
) -> None:
    # Arrow staged on the load's own connection stayed alive until the commit, so
    # memory grew with the load (23 GB on the national archive); staged on a cursor
    # closed after each chunk, what is held stays about one chunk's.
    import pyarrow as pa

    held: list[int] = []

    def progress(stage: str, done: int, total: int, rows: int) -> None:
        if stage == "chunk":
            held.append(pa.total_allocated_bytes())

    months = [police_uk / m for m in ("2018-10", "2018-11", "2018-12", "2019-01")]
    result = ingest(months, tmp_path / "streamed.duckdb", chunk_rows=150_000, progress=progress)
    assert result.rows_loaded > 1_000_000 and len(held) >= 8
    # Two chunks may be held at once (the next is read while one is written).
    per_chunk = max(held[:3])
    assert max(held) < 3 * per_chunk, [round(h / 1e6) for h in held]
