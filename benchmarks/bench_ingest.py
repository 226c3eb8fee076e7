"""Ingest of every shared police.uk file: harmwatch against the loader a user would write.

Baseline: pandas ``read_csv`` of every file, pyproj projection of every row to
British National Grid, insert into DuckDB (one table per kind), one file at a
time. harmwatch: ``harmwatch.sources.policeuk.ingest.ingest`` into a fresh
database, with all its checks, provenance and atomic replace. Both run in this
process, on the same files, one after the other; each is timed on a fresh
database file. Run: ``python benchmarks/bench_ingest.py [DATA_DIR] [--json]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
from pyproj import Transformer

from harmwatch.sources.policeuk.ingest import ingest

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "police-uk"


def baseline(files: list[Path], db: Path) -> int:
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    con = duckdb.connect(str(db))
    created: set[str] = set()
    rows = 0
    for path in files:
        frame = pd.read_csv(path, dtype=str)
        lon = pd.to_numeric(frame["Longitude"], errors="coerce")
        lat = pd.to_numeric(frame["Latitude"], errors="coerce")
        frame["x"], frame["y"] = transformer.transform(lon.to_numpy(), lat.to_numpy())
        kind = path.name.split("-", 2)[2].rsplit("-", 1)[-1].split(".")[0]
        table = {"street": "street", "outcomes": "outcomes", "search": "stop_search"}[kind]
        if table not in created:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
            created.add(table)
        else:
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")
        rows += len(frame)
    con.close()
    return rows


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    data = Path(args[0]) if args else DEFAULT_DATA
    files = sorted(data.rglob("*.csv.gz"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        base_rows = baseline(files, Path(tmp) / "baseline.duckdb")
        base_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = ingest([data], Path(tmp) / "harmwatch.duckdb")
        ours_s = time.perf_counter() - t0
    ours_rows = result.rows_loaded
    assert ours_rows == base_rows, (ours_rows, base_rows)
    out = {
        "files": len(files),
        "rows": ours_rows,
        "baseline_s": round(base_s, 2),
        "harmwatch_s": round(ours_s, 2),
        "baseline_rows_per_s": round(base_rows / base_s),
        "harmwatch_rows_per_s": round(ours_rows / ours_s),
        "speedup": round(base_s / ours_s, 2),
    }
    if "--json" in sys.argv:
        print(json.dumps(out))
    else:
        print(f"{out['files']} files, {out['rows']:,} rows")
        print(
            f"baseline (pandas + pyproj + DuckDB insert): {base_s:6.2f} s  {out['baseline_rows_per_s']:>10,} rows/s"
        )
        print(
            f"harmwatch ingest:                           {ours_s:6.2f} s  {out['harmwatch_rows_per_s']:>10,} rows/s"
        )
        print(f"speed-up: {out['speedup']}x (target >= 3x, and under 30 s)")


if __name__ == "__main__":
    main()
