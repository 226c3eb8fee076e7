"""Fixtures for the evaluation tests: real Bedfordshire street crimes, and a planted copy."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from eval_planted import PLANT_SEED, PLANTED_KEEP, PLANTED_LSOAS, PLANTED_MONTHS

from harmwatch.storage.analytics import copy_store
from harmwatch.storage.analytics.parts import define_views, parts_root


@pytest.fixture(scope="session")
def beds_data(beds_db: Path):  # type: ignore[no-untyped-def]
    from harmwatch.evaluation.areas import load_crime_data

    return load_crime_data(beds_db, ["Drugs"], ["bedfordshire"])


@pytest.fixture(scope="session")
def planted_db(beds_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``beds_db`` with 40 % of the Drugs rows of PLANTED_LSOAS deleted in 2023-01…06.

    Rows are drawn without replacement with a fixed seed, so the copy is the same
    on every run: exactly round(0.4 × n) of the n rows go.
    """
    db = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    copy_store(beds_db, db)
    con = duckdb.connect(str(db))
    try:
        # Loaded rows live in read-only Parquet parts: bring the street rows into the
        # catalogue's street_rows table, where they can be deleted one by one.
        con.execute("INSERT INTO street_rows SELECT * FROM street")
        con.execute("DELETE FROM parts WHERE kind = 'street'")
        define_views(con, parts_root(db), ["street"])
        marks = ", ".join("?" * len(PLANTED_LSOAS))
        rows = con.execute(
            "SELECT load_id, line FROM street WHERE crime_type = 'Drugs' "
            f"AND lsoa_code IN ({marks}) AND month BETWEEN ?::DATE AND ?::DATE "
            "ORDER BY load_id, line",
            [*PLANTED_LSOAS, f"{PLANTED_MONTHS[0]}-01", f"{PLANTED_MONTHS[1]}-01"],
        ).fetchall()
        rng = np.random.default_rng(PLANT_SEED)
        drop = rng.choice(len(rows), size=round((1 - PLANTED_KEEP) * len(rows)), replace=False)
        con.executemany(
            "DELETE FROM street_rows WHERE load_id = ? AND line = ?", [list(rows[i]) for i in drop]
        )
    finally:
        con.close()
    return db
