"""Benchmark: exact quartic KDE against direct summation over every pair.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_kde.py [--json]

Data: 100,000 real street-crime locations (all crime types) from the police.uk
Hertfordshire street files in ``/work/shared/data``, drawn with a fixed seed from the Hertfordshire force area's bounding box, on a 250 m
grid over its central 50 km x 50 km (40,000 cells) with a 750 m bandwidth. Falls back to synthetic clustered points if the files
are missing and says so.

Baseline: the direct sum a competent numpy user would write, every cell centre
against every event, vectorised over blocks of cells with in-place arithmetic.
It is run once over *all* cells (no subsetting or extrapolation) and takes about
a minute on a 2-core machine. A second, informative baseline uses
``scipy.spatial.cKDTree.sparse_distance_matrix`` to find only the pairs within
the bandwidth, which is what a user who knows about spatial indexes would do.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harmwatch.spatial.grid import Grid
from harmwatch.where.kernels.kde import quartic_kde

N_POINTS = 100_000
CELL = 250.0
BANDWIDTH = 750.0
# Events are drawn from the whole force area's bounding box; the grid covers its
# central 50 km x 50 km, so events beyond the grid edge must still count.
HERTS_BOX = (486_000.0, 190_000.0, 552_000.0, 245_000.0)
GRID_BOX = (495_000.0, 190_000.0, 545_000.0, 240_000.0)
STREET_FILES = "/work/shared/data/police-uk/*/*-hertfordshire-street.csv.gz"


def load_points(seed: int = 2021) -> tuple[np.ndarray, np.ndarray, str]:
    """100,000 event locations in BNG metres, and a description of where from."""
    rng = np.random.default_rng(seed)
    files = sorted(glob.glob(STREET_FILES))
    if files:
        import pandas as pd

        from harmwatch.spatial.projection import to_bng

        cols = ["Longitude", "Latitude"]
        df = pd.concat([pd.read_csv(f, usecols=cols) for f in files], ignore_index=True)
        df = df.dropna()
        x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
        x0, y0, x1, y1 = HERTS_BOX
        inside = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
        x, y = x[inside], y[inside]
        if x.size >= N_POINTS:
            pick = rng.choice(x.size, N_POINTS, replace=False)
            src = f"police.uk Hertfordshire street crimes ({len(files)} months), seeded sample"
            return x[pick], y[pick], src
    # Synthetic: a few hundred Gaussian clusters over a uniform background.
    x0, y0, x1, y1 = HERTS_BOX
    centres = rng.uniform([x0, y0], [x1, y1], size=(300, 2))
    which = rng.integers(0, 300, N_POINTS)
    pts = centres[which] + rng.normal(0, 400, size=(N_POINTS, 2))
    bg = rng.random(N_POINTS) < 0.2
    pts[bg] = rng.uniform([x0, y0], [x1, y1], size=(int(bg.sum()), 2))
    return pts[:, 0], pts[:, 1], "synthetic clustered points (police.uk files not found)"


def direct_sum(grid: Grid, x: np.ndarray, y: np.ndarray, h: float, block: int = 16) -> np.ndarray:
    """Every cell centre against every event, in events per km²."""
    cx, cy = grid.centres()
    h2 = h * h
    ones = np.ones_like(x)
    out = np.empty(grid.size)
    for s in range(0, grid.size, block):
        d2 = np.subtract.outer(cx[s : s + block], x)
        d2 *= d2
        dy = np.subtract.outer(cy[s : s + block], y)
        dy *= dy
        d2 += dy
        d2 /= h2
        np.subtract(1.0, d2, out=d2)
        np.maximum(d2, 0.0, out=d2)
        d2 *= d2
        out[s : s + block] = d2 @ ones
    return out.reshape(grid.shape) * (3.0 / (math.pi * h2) * 1e6)


def kdtree_sum(grid: Grid, x: np.ndarray, y: np.ndarray, h: float) -> np.ndarray:
    """Only the pairs within h, found with cKDTree."""
    from scipy.spatial import cKDTree

    cx, cy = grid.centres()
    cells = cKDTree(np.column_stack([cx, cy]))
    events = cKDTree(np.column_stack([x, y]))
    pairs = cells.sparse_distance_matrix(events, h, output_type="coo_matrix")
    k = (1.0 - pairs.data**2 / (h * h)) ** 2
    out = np.bincount(pairs.row, weights=k, minlength=grid.size)
    return out.reshape(grid.shape) * (3.0 / (math.pi * h * h) * 1e6)


def max_rel_diff(a: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative difference where ref is non-zero; inf if zeros disagree."""
    nz = ref != 0
    if np.any(a[~nz] != 0):
        return math.inf
    return float(np.max(np.abs(a[nz] / ref[nz] - 1.0))) if nz.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON line of results")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of ours (median)")
    args = parser.parse_args()

    x, y, source = load_points()
    gx0, gy0, gx1, gy1 = GRID_BOX
    grid = Grid(gx0, gy0, CELL, round((gx1 - gx0) / CELL), round((gy1 - gy0) / CELL))

    quartic_kde(grid, x, y, BANDWIDTH)  # warm-up: imports, page faults
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        ours = quartic_kde(grid, x, y, BANDWIDTH)
        times.append(time.perf_counter() - t)
    t_ours = statistics.median(times)

    t = time.perf_counter()
    tree = kdtree_sum(grid, x, y, BANDWIDTH)
    t_tree = time.perf_counter() - t

    t = time.perf_counter()
    naive = direct_sum(grid, x, y, BANDWIDTH)
    t_naive = time.perf_counter() - t

    diff_naive = max_rel_diff(ours, naive)
    diff_tree = max_rel_diff(ours, tree)
    assert diff_naive <= 1e-9, f"ours differs from the direct sum by {diff_naive:.3g} (relative)"

    rows = [
        (f"harmwatch quartic_kde (median of {args.repeats})", t_ours, 1.0, 0.0),
        ("direct sum, all pairs (numpy blocks)", t_naive, t_naive / t_ours, diff_naive),
        ("cKDTree pairs within h (scipy)", t_tree, t_tree / t_ours, diff_tree),
    ]
    print(f"data:      {source}")
    print(
        f"problem:   {x.size:,} events, {grid.nrows}x{grid.ncols} = {grid.size:,} cells of "
        f"{CELL:g} m, bandwidth {BANDWIDTH:g} m; all cells computed by every method"
    )
    print(f"{'method':<40} {'seconds':>10} {'x ours':>9} {'max rel diff':>14}")
    for name, secs, ratio, diff in rows:
        print(f"{name:<40} {secs:>10.4f} {ratio:>9.1f} {diff:>14.2e}")
    print(f"speed-up over the direct sum: {t_naive / t_ours:,.0f}x (target >= 50x)")

    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "quartic_kde",
                    "data": source,
                    "events": int(x.size),
                    "cells": grid.size,
                    "cell_m": CELL,
                    "bandwidth_m": BANDWIDTH,
                    "ours_s": t_ours,
                    "ours_runs_s": times,
                    "direct_s": t_naive,
                    "kdtree_s": t_tree,
                    "speedup_vs_direct": t_naive / t_ours,
                    "speedup_vs_kdtree": t_tree / t_ours,
                    "max_rel_diff_direct": diff_naive,
                    "max_rel_diff_kdtree": diff_tree,
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                }
            )
        )


if __name__ == "__main__":
    main()
