"""Benchmark: a national Gi* hotspot map of drug offences at 250 m, end to end and the kernel alone.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_gistar_national.py --db STORE [--repeats 3] [--json]
    PYTHONPATH=src python benchmarks/bench_gistar_national.py --build DIR [--copies 46]

What is timed: the map a force analyst asks for with

    harmwatch hotspots --db STORE --cell 250 --method gistar --json

(every loaded force, Drugs, 250 m cells, Gi* with the 8 adjacent cells, FDR):

* ``hotspots()`` + ``summary()`` in a fresh process (imports excluded): reading the
  points, the study area (the forces' districts), the cell mask, which crimes lie
  inside, the counts, the KDE column (binned FFT at the rule-of-thumb bandwidth),
  Gi*, the FDR step and the cell table;
* the command line itself, interpreter start and imports included;
* the kernel alone on the national counts: Gi* z and p for the study cells, and
  the FDR step on them.

Baseline, in the same run: ``reference_hotspots`` below, the pipeline as it was
before issue 18 (point-by-point ``contains_xy`` over every cell centre and, twice,
over every crime; LSOA names split crime by crime; full-grid Gi* z and p grids;
``fftconvolve`` on a twice-padded grid; class labels built as strings), run the
same way (a fresh process, and the command line with ``hotspots`` swapped for it).
Every table column must be identical to the baseline's, except the KDE column,
which may differ by FFT round-off (at most 1e-12 of its peak). The kernel's z is
also checked against esda's ``G_Local`` on a window of the national grid
(``--esda-cells``) to 1e-9, as ``bench_gistar.py`` does for Hertfordshire.

Peak memory: each process's maximum resident set (``wait4``), and for the kernel
alone the peak of numpy's traced allocations.

Data: ``--db`` is a store made by ``harmwatch ingest``. The shared police.uk files
alone hold about 64,000 drug offences; a national store holds about 3 million (3 %
of ~100 million street rows). ``--build DIR`` makes a store of national drug volume
from the shared files: the real street files plus ``--copies`` drug-only copies of
each under months shifted back in steps of 8 years (real locations, fake months),
about 3.0 million located drug offences over 2.33 million 250 m study cells. The
figures in the report were also taken on a store padded to 98.7 million street
rows (copies of the real non-drug rows under the same shifted months, inserted into
the DuckDB ``street`` table directly), which changes only the point read.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harmwatch.where.hotspots import HotspotResult, hotspots, resolve
from harmwatch.where.kernels.gistar import gistar_cells, neighbour_offsets
from harmwatch.where.kernels.multiple_testing import adjust_pvalues
from harmwatch.where.requests import HotspotsRequest

CELL = 250.0
SHARED = "/work/shared/data/police-uk"
REQUEST = {"crime_types": ("Drugs",), "cell": CELL, "method": "gistar"}
CLI_ARGS = ["hotspots", "--cell", "250", "--method", "gistar", "--json"]


# --- The pipeline before issue 18, kept as the baseline -------------------------------


def reference_gistar(
    values: np.ndarray, mask: np.ndarray, cell: float, band: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """The Gi* kernel as it was: full-grid float64 sums and full-grid z and p."""
    from scipy import ndimage
    from scipy.special import ndtr

    from harmwatch.where.kernels.gistar import _stencil

    n = int(np.count_nonzero(mask))
    offsets = neighbour_offsets(cell, band)
    x = values[mask].astype(np.float64)
    z = np.full(values.shape, np.nan)
    p = np.full(values.shape, np.nan)
    if x.min() == x.max():
        return z, p
    xbar = x.mean()
    s = math.sqrt(float(np.mean((x - xbar) ** 2)))
    filled = np.zeros(values.shape)
    filled[mask] = x
    fp = _stencil(offsets, values.shape)
    local_sum = ndimage.correlate(filled, fp, mode="constant", cval=0.0)[mask]
    w_sum = ndimage.correlate(mask.astype(np.float64), fp, mode="constant", cval=0.0)[mask]
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = s * np.sqrt((n * w_sum - w_sum * w_sum) / (n - 1))
        zi = (local_sum - xbar * w_sum) / denom
    zi[w_sum >= n] = np.nan
    z[mask] = zi
    p[mask] = 2.0 * ndtr(-np.abs(zi))
    return z, p


def reference_binned_density(grid: Any, px: np.ndarray, py: np.ndarray, h: float) -> np.ndarray:
    """The KDE's binned route as it was: four bincounts, then ``fftconvolve``."""
    from scipy.signal import fftconvolve

    c = grid.cell
    reach = math.ceil(h / c)
    pad = reach + 2
    nrp, ncp = grid.nrows + 2 * pad, grid.ncols + 2 * pad
    u = (px - grid.x0) / c - 0.5 + pad
    v = (py - grid.y0) / c - 0.5 + pad
    j0 = np.floor(u).astype(np.int64)
    i0 = np.floor(v).astype(np.int64)
    tu, tv = u - j0, v - i0
    weight = np.ones_like(u)
    binned = np.zeros(nrp * ncp)
    for di, dj, share in (
        (0, 0, (1 - tv) * (1 - tu)),
        (0, 1, (1 - tv) * tu),
        (1, 0, tv * (1 - tu)),
        (1, 1, tv * tu),
    ):
        binned += np.bincount(
            (i0 + di) * ncp + (j0 + dj), weights=weight * share, minlength=nrp * ncp
        )
    k = np.arange(-reach, reach + 1) * c
    d2 = (k[:, None] ** 2 + k[None, :] ** 2) / (h * h)
    kernel = np.clip(1.0 - d2, 0.0, None) ** 2
    dens = fftconvolve(binned.reshape(nrp, ncp), kernel, mode="same")
    dens = dens[pad : pad + grid.nrows, pad : pad + grid.ncols]
    dens[np.abs(dens) < 1e-9 * max(float(np.abs(dens).max()), 1e-300)] = 0.0
    return dens * (3.0 / (math.pi * h * h) * 1e6)


def reference_outside_warning(points: Any, area: Any) -> str | None:
    """The out-of-area sentence as it was: points tested again, names split crime by crime."""
    inside = shapely.contains_xy(area.geometry, points.x, points.y)
    n_out = int((~inside).sum())
    if n_out == 0:
        return None
    names = pd.Series(points.lsoa_name[~inside]).str.rsplit(" ", n=1).str[0]
    top = names[names != ""].value_counts().head(5)
    where = ", ".join(f"{k} {v}" for k, v in top.items())
    return f"{n_out:,} of {len(points):,} located points lie outside ({where})"


def reference_hotspots(db_path: str | Path, request: HotspotsRequest) -> HotspotResult:
    """``hotspots()`` for a Gi* request (normal p-values) as the pipeline was before issue 18."""
    from harmwatch.spatial.grid import Grid
    from harmwatch.storage.analytics import AnalyticsStore
    from harmwatch.where.kernels.kde import kde_route, quartic_kde
    from harmwatch.where.selection import select_points
    from harmwatch.where.workspace import Workspace, resolve_study_area

    with AnalyticsStore.open(db_path) as store:
        points = select_points(store, request.filter())
    study = resolve_study_area(request.place, points)
    cell = float(request.cell or CELL)
    grid = Grid.covering(*study.bounds, cell)
    cx, cy = grid.centres()
    mask = np.asarray(shapely.contains_xy(study.geometry, cx, cy)).reshape(grid.shape)
    warning = reference_outside_warning(points, study)
    inside = shapely.contains_xy(study.geometry, points.x, points.y)
    ws = Workspace(points, study, grid, mask, inside, [], [warning] if warning else [])
    req = resolve(request, ws).request
    x, y = points.x[inside], points.y[inside]
    counts = grid.counts(x, y)
    flat_mask = mask.ravel()
    table = pd.DataFrame(
        {
            "cell_id": np.flatnonzero(flat_mask),
            "x": cx[flat_mask],
            "y": cy[flat_mask],
            "n": counts.ravel()[flat_mask],
        }
    )
    bandwidth = float(req.bandwidth or 0)
    route = kde_route(bandwidth, cell, int(x.size), grid.size)
    if route == "binned":
        density = reference_binned_density(grid, x, y, bandwidth)
    else:
        density = quartic_kde(grid, x, y, bandwidth, route=route)
    table["kde"] = density.ravel()[flat_mask]
    band = float(req.distance_band or cell * np.sqrt(2))
    z, p = reference_gistar(counts.astype(float), mask, cell, band)
    p_adj = adjust_pvalues(p, req.p_adjust)
    table["gistar"] = z.ravel()[flat_mask]
    table["pvalue"] = p.ravel()[flat_mask]
    table["pvalue_adj"] = p_adj.ravel()[flat_mask]
    significant = table["pvalue_adj"] < req.alpha
    table["class"] = np.where(
        significant & (table["gistar"] > 0),
        "hot spot",
        np.where(significant & (table["gistar"] < 0), "cold spot", "not significant"),
    )
    return HotspotResult(
        cells=table,
        grid=grid,
        mask=mask,
        study_area=study,
        points=points,
        method="gistar",
        parameters={"cell_size_m": cell, "alpha": req.alpha, "p_adjust": req.p_adjust},
        defaults_chosen=[],
        warnings=ws.warnings,
        inside=inside,
    )


# --- Child processes: one run each, so that each has its own peak memory -------------


def child(variant: str, db: str, out: str | None) -> None:
    if variant.startswith("cli-"):
        import harmwatch.cli.where as cli_where
        from harmwatch.cli.main import app

        if variant == "cli-reference":
            cli_where.hotspots = reference_hotspots  # type: ignore[assignment]
        sys.argv = ["harmwatch", *CLI_ARGS, "--db", db]
        app()
        return
    import harmwatch.cli.main  # noqa: F401  (the command line's imports, not timed)

    request = HotspotsRequest(**REQUEST)  # type: ignore[arg-type]
    run = reference_hotspots if variant == "reference" else hotspots
    t0, c0 = time.perf_counter(), time.process_time()
    result = run(db, request)
    summary = result.summary()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if out:
        result.cells.to_pickle(out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_s": cpu,
                "cells": len(result.cells),
                "points": summary["points_selected"],
                "hot_cells": summary.get("hot_cells"),
            }
        )
    )


def _wait4_popen(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MB) and stdout of one command, from its own
    rusage alone."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        stdout = proc.stdout.read().decode()
        # wait4, not communicate(): it reaps the child and returns that child's rusage.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout


def timed_child(variant: str, db: str, out: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", variant, "--db", db]
    if out:
        cmd += ["--out", out]
    wall, cpu, rss, stdout = _wait4_popen(cmd)
    info: dict[str, Any] = {"process_s": wall, "process_cpu_s": cpu, "max_rss_mb": rss}
    if not variant.startswith("cli-"):
        info.update(json.loads(stdout.strip().splitlines()[-1]))
    return info


# --- Checks ----------------------------------------------------------------------------


def compare_tables(ref: pd.DataFrame, new: pd.DataFrame) -> dict[str, float]:
    """Assert the new table is the baseline's; return the KDE's largest difference."""
    assert list(ref.columns) == list(new.columns), (list(ref.columns), list(new.columns))
    assert ref.dtypes.tolist() == new.dtypes.tolist(), (ref.dtypes, new.dtypes)
    for col in ref.columns:
        if col == "kde":
            continue
        a, b = ref[col].to_numpy(), new[col].to_numpy()
        same = (
            np.array_equal(a, b, equal_nan=True)
            if a.dtype.kind == "f"
            else ref[col].equals(new[col])
        )
        assert same, f"column {col} differs from the baseline"
    dkde = float(np.max(np.abs(ref["kde"].to_numpy() - new["kde"].to_numpy())))
    peak = float(ref["kde"].max())
    assert dkde <= 1e-12 * peak, f"KDE differs by {dkde:.3g} (peak {peak:.4g})"
    return {"max_abs_dkde": dkde, "kde_peak": peak}


def esda_window(counts: np.ndarray, mask: np.ndarray, cells: int) -> dict[str, float]:
    """Gi* z on the busiest square window of about ``cells`` study cells against esda."""
    import warnings

    import esda
    import libpysal

    side = int(math.sqrt(cells / max(mask.mean(), 1e-9)))
    r, c = np.unravel_index(int(np.argmax(counts)), counts.shape)
    r0 = max(0, min(r - side // 2, counts.shape[0] - side))
    c0 = max(0, min(c - side // 2, counts.shape[1] - side))
    sub_counts = counts[r0 : r0 + side, c0 : c0 + side].astype(float)
    sub_mask = mask[r0 : r0 + side, c0 : c0 + side]
    z, _ = gistar_cells(sub_counts, sub_mask, CELL)
    rows, cols = np.nonzero(sub_mask)
    centres = np.column_stack([(cols + 0.5) * CELL, (rows + 0.5) * CELL])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(
            centres, threshold=CELL * math.sqrt(2) * (1 + 1e-9), binary=True, silence_warnings=True
        )
        g = esda.G_Local(sub_counts[sub_mask], w, transform="B", star=True, permutations=0)
    esda_s = time.perf_counter() - t0
    dz = float(np.nanmax(np.abs(z - np.asarray(g.Zs))))
    assert dz <= 1e-9, f"Gi* differs from esda by {dz:.3g}"
    return {"esda_cells": int(sub_mask.sum()), "esda_s": esda_s, "esda_max_abs_dz": dz}


def kernel_alone(db: str, repeats: int) -> dict[str, Any]:
    """Gi* (+ FDR) on the national counts: the previous kernel against ``gistar_cells``."""
    from harmwatch.where.workspace import prepare

    request = HotspotsRequest(**REQUEST)  # type: ignore[arg-type]
    ws = prepare(db, request)
    counts = ws.grid.counts(ws.points.x[ws.inside], ws.points.y[ws.inside])
    mask = ws.mask
    band = CELL * math.sqrt(2)

    def ref() -> tuple[np.ndarray, np.ndarray]:
        z, p = reference_gistar(counts.astype(float), mask, CELL, band)
        return z[mask], adjust_pvalues(p, "fdr")[mask]

    def new() -> tuple[np.ndarray, np.ndarray]:
        z, p = gistar_cells(counts, mask, CELL, band)
        return z, adjust_pvalues(p, "fdr")

    out: dict[str, Any] = {"grid_cells": int(mask.size), "study_cells": int(mask.sum())}
    results = {}
    for name, fn in (("reference", ref), ("ours", new)):
        fn()  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            results[name] = fn()
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = {"best_s": min(times), "runs_s": times, "peak_traced_mb": peak / 2**20}
    for a, b in zip(results["reference"], results["ours"], strict=True):
        assert np.array_equal(a, b, equal_nan=True), "kernel results differ from the baseline"
    out["counts"], out["mask"] = counts, mask
    return out


# --- A store of national drug volume -----------------------------------------------------


def build_store(folder: Path, copies: int) -> Path:
    """The shared street files plus ``copies`` drug-only copies under shifted months, ingested."""
    from harmwatch.sources.policeuk.ingest import ingest

    synth = folder / "drug-copies"
    for path in sorted(glob.glob(f"{SHARED}/*/*-street.csv.gz")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame[frame["Crime type"] == "Drugs"]
        name = os.path.basename(path)
        year, month = int(name[:4]), name[5:7]
        for k in range(1, copies + 1):
            shifted = f"{year - 8 * k:04d}-{month}"
            target = synth / shifted / (shifted + name[7:])
            target.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(target, "wt", compresslevel=1, newline="") as fh:
                frame.assign(Month=shifted).to_csv(fh, index=False)
    db = folder / "national.duckdb"
    ingest([Path(SHARED), synth], db)
    return db


# --- Report -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store to map (made by harmwatch ingest)")
    parser.add_argument("--build", type=Path, help="make a store of national drug volume here")
    parser.add_argument("--copies", type=int, default=46, help="drug-only copies for --build")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant (best)")
    parser.add_argument("--esda-cells", type=int, default=40_000, help="0 skips the esda check")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child(args.child, args.db, args.out)
        return
    if args.build:
        args.build.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        db = build_store(args.build, args.copies)
        print(f"built {db} in {time.perf_counter() - t0:.0f} s")
        if not args.db:
            return
    if not args.db:
        parser.error("give --db STORE (or --build DIR to make one)")

    print(f"store:   {args.db}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tables = {v: str(Path(tmp) / f"{v}.pkl") for v in ("reference", "ours")}
        for i in range(args.repeats):
            for variant in ("reference", "ours"):
                out = tables[variant] if i == 0 else None
                runs.setdefault(variant, []).append(timed_child(variant, args.db, out))
            for variant in ("cli-reference", "cli-ours"):
                runs.setdefault(variant, []).append(timed_child(variant, args.db))
        check = compare_tables(pd.read_pickle(tables["reference"]), pd.read_pickle(tables["ours"]))

    first = runs["ours"][0]
    print(
        f"map:     {first['points']:,} drug offences, {first['cells']:,} study cells of "
        f"{CELL:g} m, {first['hot_cells']:,} hot cells; table = baseline's (KDE within "
        f"{check['max_abs_dkde']:.1e} of a {check['kde_peak']:.0f} peak)"
    )
    print(f"{'end to end':<40} {'baseline s':>10} {'ours s':>8} {'x faster':>9} "
          f"{'base MB':>8} {'ours MB':>8}")  # fmt: skip
    results: dict[str, Any] = {}
    for label, ref_key, our_key, field, cpu_field in (
        ("hotspots() + summary(), fresh proc", "reference", "ours", "seconds", "cpu_s"),
        ("harmwatch hotspots --json (CLI)", "cli-reference", "cli-ours", "process_s",
         "process_cpu_s"),
    ):  # fmt: skip
        entry: dict[str, Any] = {}
        for kind, key in (("wall", field), ("cpu", cpu_field)):
            ref_s = min(r[key] for r in runs[ref_key])
            our_s = min(r[key] for r in runs[our_key])
            entry[kind] = {
                "baseline_s": ref_s,
                "ours_s": our_s,
                "speedup": ref_s / our_s,
                "baseline_runs_s": [r[key] for r in runs[ref_key]],
                "ours_runs_s": [r[key] for r in runs[our_key]],
            }
        ref_mb = min(r["max_rss_mb"] for r in runs[ref_key])
        our_mb = min(r["max_rss_mb"] for r in runs[our_key])
        entry.update({"baseline_max_rss_mb": ref_mb, "ours_max_rss_mb": our_mb})
        for kind in ("wall", "cpu"):
            e = entry[kind]
            print(f"{label + (' wall' if kind == 'wall' else ' CPU'):<40} "
                  f"{e['baseline_s']:>10.2f} {e['ours_s']:>8.2f} {e['speedup']:>9.2f}"
                  + (f" {ref_mb:>8.0f} {our_mb:>8.0f}" if kind == "wall" else ""))  # fmt: skip
        results[our_key] = entry

    kernel = kernel_alone(args.db, max(args.repeats, 3))
    ref_k, our_k = kernel["reference"], kernel["ours"]
    print(
        f"{'kernel: Gi* z, p + FDR (wall)':<40} {ref_k['best_s']:>10.3f} {our_k['best_s']:>8.3f} "
        f"{ref_k['best_s'] / our_k['best_s']:>9.2f} {ref_k['peak_traced_mb']:>8.0f} "
        f"{our_k['peak_traced_mb']:>8.0f}"
    )
    print(
        f"         ({kernel['study_cells']:,} study cells on a {kernel['grid_cells']:,}-cell "
        "grid; MB = numpy's traced peak; results identical)"
    )
    results["kernel"] = {k: v for k, v in kernel.items() if k not in ("counts", "mask")}
    if args.esda_cells:
        esda_check = esda_window(kernel["counts"], kernel["mask"], args.esda_cells)
        print(
            f"esda:    G_Local on a window of {esda_check['esda_cells']:,} study cells, "
            f"max |dz| {esda_check['esda_max_abs_dz']:.1e} ({esda_check['esda_s']:.1f} s)"
        )
        results["esda"] = esda_check
    print(
        f"best of {args.repeats} runs each, baseline and ours alternating; CPU = user + system "
        "seconds (all threads), steadier than wall time on a busy machine; MB = peak RSS of "
        "the process (wait4). Target: the CLI map in <= 10 s on a national store"
    )
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "gistar_national",
                    "store": args.db,
                    "cell_m": CELL,
                    "points": first["points"],
                    "study_cells": first["cells"],
                    "table_check": check,
                    "results": results,
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                }
            )
        )


if __name__ == "__main__":
    main()
