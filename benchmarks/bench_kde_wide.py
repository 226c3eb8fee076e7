"""Benchmark: the KDE's binned FFT route against its exact sum, at a county-wide bandwidth.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_kde_wide.py [--json]

Data: the 100,000 Hertfordshire street-crime locations of ``bench_kde.py`` on the
same 50 km × 50 km, 250 m grid, with an 11.25 km bandwidth (45 cells, about what
the rule-of-thumb bandwidth gives over a county). Baseline, in the same run: the
exact quartic sum (``route="exact"``, itself 1,100× faster than direct summation,
see ``bench_kde.py``). Ours: ``route="binned"`` (linear binning + FFT), which
``quartic_kde`` takes on its own for wide bandwidths over many events. Reports the
largest difference as a share of the peak density.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kde import CELL, GRID_BOX, load_points
from harmwatch.spatial.grid import Grid
from harmwatch.where.kernels.kde import kde_route, quartic_kde

BANDWIDTH = 45 * CELL


def best_of(fn, repeat: int) -> tuple[float, np.ndarray]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    x, y, source = load_points()
    grid = Grid.covering(*GRID_BOX, CELL)
    exact_s, exact = best_of(lambda: quartic_kde(grid, x, y, BANDWIDTH, route="exact"), 1)
    binned_s, binned = best_of(lambda: quartic_kde(grid, x, y, BANDWIDTH, route="binned"), 3)
    error = float(np.abs(binned - exact).max() / exact.max())
    result = {
        "machine": platform.machine(),
        "data": source,
        "points": int(x.size),
        "cells": grid.size,
        "bandwidth_m": BANDWIDTH,
        "auto_route": kde_route(BANDWIDTH, CELL, int(x.size), grid.size),
        "exact_s": round(exact_s, 3),
        "binned_s": round(binned_s, 4),
        "speed_up": round(exact_s / binned_s, 1),
        "max_diff_share_of_peak": error,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"data: {source}; {x.size:,} points, {grid.size:,} cells, bandwidth {BANDWIDTH:,.0f} m")
    print(f"exact sum (baseline): {exact_s:.2f} s")
    print(f"linear binning + FFT: {binned_s:.3f} s ({exact_s / binned_s:,.0f}× faster)")
    print(
        f"largest difference: {error:.1e} of the peak density; auto route: {result['auto_route']}"
    )


if __name__ == "__main__":
    main()
