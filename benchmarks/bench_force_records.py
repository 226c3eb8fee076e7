"""Benchmark: importing a million rows of a force's crime records, against pandas + pyproj.

Run from the repository root (a few minutes on a 2-core machine):

    PYTHONPATH=src python benchmarks/bench_force_records.py [--copies 12] [--keep DIR]
                                                            [--json FILE]

Data: a SYNTHETIC RMS export from :mod:`harmwatch.crimes.synth` — Hertfordshire's
twelve bundled police.uk months, ``--copies`` times (12: about 1.05 million rows,
seed 5151), written with **latitude and longitude** instead of the national grid, as
many exports give them, so that both pipelines must project every point. Each stage
runs in its own process so that its peak resident memory (``ru_maxrss``) is its own:

1. **generate** — the export written to CSV (not part of the targets);
2. **harmwatch** — :func:`harmwatch.crimes.importer.import_file` into a DuckDB file:
   read the spec's columns only (Arrow, streamed), check every row, times to UTC with
   the spec's clock-change rules, offence classes to police.uk types, flags mapped,
   latitude/longitude to BNG (pyproj, per batch), district by point in polygon,
   references checked unique, store, one transaction;
3. **baseline** — the issue's baseline, ``pandas.read_csv`` + ``pyproj`` + insert: the
   spec's columns read as text (the C parser), latitude/longitude to BNG with a
   ``pyproj.Transformer``, the frame inserted into a DuckDB table — no checks, no times,
   classes or flags converted: far less than harmwatch does;
4. **baseline-full** — the same work as harmwatch with the usual tools: ``pandas.read_csv`` (the C parser;
   the spec's columns only, as text), ``pd.to_datetime`` + ``tz_localize`` (Europe/London,
   the same ambiguous/nonexistent rules) + ``tz_convert``, dictionary maps for classes,
   flags and status, ``pyproj.Transformer`` for the points, ``geopandas.sjoin`` for the
   districts, ``duplicated`` for references, and an insert of the frame into a DuckDB
   table. It checks less than harmwatch does (no per-row reasons, no line numbers), so it
   is a lower bound on what a pandas import doing all of it would take.

Targets (issue 14): harmwatch at least 3× faster than the baseline, and under 2 GB; the
full baseline is reported beside it, as the fairer comparison of the same work.
Times are wall-clock seconds of one run each, baseline and harmwatch in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SEED = 5151


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_generate(folder: Path, copies: int) -> dict[str, Any]:
    import tomllib

    from harmwatch.crimes.synth import RmsParams, generate, read_street_files, spec_toml
    from harmwatch.spatial.projection import to_wgs84

    began = time.perf_counter()
    result = generate(read_street_files("hertfordshire"), RmsParams(seed=SEED, copies=copies))
    rows = result.rows
    located = rows["Easting"] != ""
    east = rows.loc[located, "Easting"].astype(float).to_numpy()
    north = rows.loc[located, "Northing"].astype(float).to_numpy()
    lon, lat = to_wgs84(east, north)
    rows = rows.drop(columns=["Easting", "Northing"])
    rows.insert(7, "Latitude", "")
    rows.insert(8, "Longitude", "")
    rows.loc[located, "Latitude"] = [f"{v:.6f}" for v in lat]
    rows.loc[located, "Longitude"] = [f"{v:.6f}" for v in lon]
    rows.to_csv(folder / "SYNTHETIC-rms-lonlat.csv", index=False, lineterminator="\n")
    spec = tomllib.loads(spec_toml(SEED))
    columns = dict(spec["columns"])
    columns.pop("easting"), columns.pop("northing")
    columns.update(latitude="Latitude", longitude="Longitude")
    spec["columns"] = columns
    (folder / "spec.json").write_text(json.dumps(spec))
    return {"rows": len(rows), "seconds": time.perf_counter() - began}


def stage_harmwatch(folder: Path) -> dict[str, Any]:
    import duckdb

    from harmwatch.crimes.importer import FORCE_RECORDS, import_file
    from harmwatch.sources.importspec import load_spec
    from harmwatch.storage.analytics import migrations

    store = folder / "records.duckdb"
    for old in (store, store.with_name(store.name + ".wal")):
        old.unlink(missing_ok=True)
    con = duckdb.connect(str(store))
    migrations.migrate(con)
    spec = load_spec(folder / "spec.json", FORCE_RECORDS)
    began = time.perf_counter()
    done = import_file(
        con, folder / "SYNTHETIC-rms-lonlat.csv", spec, force="hertfordshire",
        imported_by="benchmark", synthetic=True,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    located = con.execute("SELECT count(*) FROM force_crimes WHERE district IS NOT NULL").fetchone()
    con.close()
    return {
        "rows": done.rows,
        "in_a_district": int(located[0]) if located else 0,
        "seconds": seconds,
    }


def stage_baseline(folder: Path) -> dict[str, Any]:
    import duckdb
    import numpy as np
    import pandas as pd
    from pyproj import Transformer

    spec = json.loads((folder / "spec.json").read_text())
    columns = spec["columns"]
    began = time.perf_counter()
    frame = pd.read_csv(
        folder / "SYNTHETIC-rms-lonlat.csv", usecols=sorted(set(columns.values())), dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    lat = pd.to_numeric(frame[columns["latitude"]], errors="coerce").to_numpy()
    lon = pd.to_numeric(frame[columns["longitude"]], errors="coerce").to_numpy()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    frame["x"], frame["y"] = (
        np.where(np.isfinite(x), x, np.nan),
        np.where(np.isfinite(y), y, np.nan),
    )
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    con.execute("CREATE OR REPLACE TABLE force_crimes AS SELECT * FROM frame")
    con.close()
    return {
        "rows": len(frame),
        "in_a_district": 0,
        "seconds": time.perf_counter() - began,
    }


def stage_baseline_full(folder: Path) -> dict[str, Any]:
    import duckdb
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from pyproj import Transformer

    from harmwatch.crimes.offences import normalise_code, offence_classes
    from harmwatch.spatial.boundaries import districts

    spec = json.loads((folder / "spec.json").read_text())
    columns = spec["columns"]
    lads = districts()[["name", "geometry"]]  # loaded before the clock: harmwatch caches it too
    began = time.perf_counter()
    frame = pd.read_csv(
        folder / "SYNTHETIC-rms-lonlat.csv", usecols=sorted(set(columns.values())), dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    fmt = spec["time"]["format"]

    def utc(text: pd.Series) -> pd.Series:
        local = pd.to_datetime(text.replace("", None), format=fmt)
        aware = local.dt.tz_localize("Europe/London", ambiguous=np.ones(len(local), bool),
                                     nonexistent="shift_forward")  # fmt: skip
        return aware.dt.tz_convert("UTC").dt.tz_localize(None)

    out = pd.DataFrame({"reference": frame[columns["reference"]].str.strip()})
    classes = offence_classes()
    codes = frame[columns["offence_code"]].map(normalise_code)
    out["offence_code"] = codes
    out["crime_type"] = codes.map({k: c.police_uk_type for k, c in classes.items()})
    originals = frame[columns["original_offence_code"]].map(normalise_code)
    out["original_crime_type"] = originals.map({k: c.police_uk_type for k, c in classes.items()})
    out["committed_from"] = utc(frame[columns["committed_from"]])
    out["committed_to"] = utc(frame[columns["committed_to"]])
    out["recorded"] = utc(frame[columns["recorded"]])
    out["committed_month"] = (
        out["committed_from"]
        .dt.tz_localize("UTC")
        .dt.tz_convert("Europe/London")
        .dt.strftime("%Y-%m")
    )
    flag_map = {v.lower(): k for k, vs in spec["flags"].items() for v in vs}
    out["flags"] = (
        frame[columns["flags"]]
        .str.split(";")
        .map(lambda fs: sorted({flag_map[f.lower()] for f in fs if f.lower() in flag_map}))
    )
    status_map = {v.lower(): k for k, vs in spec["status"].items() for v in vs}
    out["status"] = frame[columns["status"]].str.lower().map(status_map)
    lat = pd.to_numeric(frame[columns["latitude"]], errors="coerce").to_numpy()
    lon = pd.to_numeric(frame[columns["longitude"]], errors="coerce").to_numpy()
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    out["x"], out["y"] = np.where(np.isfinite(x), x, np.nan), np.where(np.isfinite(y), y, np.nan)
    located = out["x"].notna().to_numpy()
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(out.loc[located, "x"], out.loc[located, "y"]), crs=lads.crs,
        index=out.index[located],
    )  # fmt: skip
    joined = gpd.sjoin(points, lads, predicate="intersects", how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    out["district"] = joined["name"].reindex(out.index)
    duplicates = int(out["reference"].duplicated().sum())
    for name in ("address", "lsoa_code", "outcome", "offence_description"):
        out[name] = frame[columns[name]].replace("", None)
    con = duckdb.connect(str(folder / "baseline-full.duckdb"))
    con.execute("CREATE OR REPLACE TABLE force_crimes AS SELECT * FROM out")
    con.close()
    return {
        "rows": len(out),
        "in_a_district": int(out["district"].notna().sum()),
        "duplicate_references": duplicates,
        "seconds": time.perf_counter() - began,
    }


def _child(stage: str, folder: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--folder", str(folder), *extra],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="Keep the files here (default: a temp folder).")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        stages = {
            "generate": lambda: stage_generate(args.folder, args.copies),
            "harmwatch": lambda: stage_harmwatch(args.folder),
            "baseline": lambda: stage_baseline(args.folder),
            "baseline-full": lambda: stage_baseline_full(args.folder),
        }
        got = stages[args.stage]()
        got["peak_mb"] = round(_peak_mb())
        print(json.dumps(got, default=str))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {"copies": args.copies, "seed": SEED}
        print(f"SYNTHETIC RMS export: Hertfordshire 2025 × {args.copies} (seed {SEED})", flush=True)
        results["generate"] = _child("generate", folder, "--copies", str(args.copies))
        g = results["generate"]
        print(f"generate   {g['rows']:>10,} rows  {g['seconds']:7.1f} s  {g['peak_mb']:>6,} MB")
        for stage in ("harmwatch", "baseline", "baseline-full"):
            results[stage] = _child(stage, folder)
            r = results[stage]
            print(
                f"{stage:<10} {r['rows']:>10,} rows  {r['seconds']:7.1f} s  {r['peak_mb']:>6,} MB"
                f"  ({r['in_a_district']:,} placed in a district)",
                flush=True,
            )
        ratio = results["baseline"]["seconds"] / results["harmwatch"]["seconds"]
        full = results["baseline-full"]["seconds"] / results["harmwatch"]["seconds"]
        results["ratio_baseline_over_harmwatch"] = ratio
        results["ratio_full_baseline_over_harmwatch"] = full
        print(f"baseline (read_csv + pyproj + insert) / harmwatch = {ratio:.2f}")
        print(f"baseline-full (the same work in pandas) / harmwatch = {full:.2f}")
        met = ratio >= 3 and results["harmwatch"]["peak_mb"] <= 2048
        print(f"target: at least 3x faster and at most 2 GB: {'met' if met else 'NOT met'}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
