"""Bedfordshire's police.uk files for the oversight tests: one store, and the raw files read apart.

``beds_db`` (tests/conftest.py) loads only the street files; these tests need the
outcomes and stop-and-search files of the same 36 months too. The store is built
once per session with the project's ingest and shared by every oversight test
module that imports :func:`beds_police_store`. The raw readers below use pandas
on the ``.csv.gz`` files directly, so the figures the tests compare are computed
without harmwatch's ingest or SQL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

MONTHS = [f"{y}-{m:02d}" for y in range(2021, 2025) for m in range(1, 13)]
MONTHS = [m for m in MONTHS if "2021-05" <= m <= "2024-04"]
_BUILT: dict[str, Path] = {}


def beds_files(police_uk: Path, kind: str) -> list[Path]:
    files = sorted(police_uk.glob(f"202[1-4]-*/*-bedfordshire-{kind}.csv.gz"))
    assert [f.name[:7] for f in files] == MONTHS, kind
    return files


def beds_police_store(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bedfordshire street, outcomes and stop-and-search files, 2021-05…2024-04, loaded once."""
    if "db" not in _BUILT:
        from harmwatch.sources.policeuk.ingest import ingest

        db = tmp_path_factory.mktemp("oversight-police") / "beds-police.duckdb"
        files = [
            f for k in ("street", "outcomes", "stop-and-search") for f in beds_files(police_uk, k)
        ]
        ingest(files, db)
        _BUILT["db"] = db
    return _BUILT["db"]


def read_raw(police_uk: Path, kind: str) -> pd.DataFrame:
    """Every row of Bedfordshire's ``kind`` files as text, with its file's month and row."""
    frames = []
    for path in beds_files(police_uk, kind):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["file_month"] = path.name[:7]
        frame["row"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
