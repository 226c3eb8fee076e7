"""Benchmark: grid Gi* against esda's G_Local with libpysal weights.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_gistar.py [--json]

Data: every police.uk Hertfordshire street crime in ``/work/shared/data`` (all
months, all crime types) counted on 100 m cells over the Hertfordshire police
force area's bounding box (about 350,000 cells); the study-area mask is the cells
whose centres fall inside the force-area boundary (about 164,000 cells), so the
coastline-like edge is exercised everywhere. Falls back to Poisson counts on an
irregular synthetic mask if the files are missing, and says so.

Both sides are timed end to end, the way a user would run them: ours is one call
of ``gistar`` (neighbour stencil included); esda is building
``libpysal.weights.DistanceBand`` on the masked cell centres plus
``esda.G_Local(y, w, transform="B", star=True, permutations=0)``. The z-scores
must agree to 1e-9.
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
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harmwatch.spatial.grid import Grid
from harmwatch.where.kernels.gistar import gistar

CELL = 100.0
STREET_FILES = "/work/shared/data/police-uk/*/*-hertfordshire-street.csv.gz"
FORCE_AREAS = "/work/shared/data/boundaries/police-force-areas-2020.geojson"


def hertfordshire_crimes(cell: float) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Hertfordshire's police.uk street crimes counted on ``cell`` m cells, the mask of
    cells inside the force-area boundary, and a description; None without the files."""
    files = sorted(glob.glob(STREET_FILES))
    if not files or not Path(FORCE_AREAS).exists():
        return None
    import pandas as pd
    import shapely

    from harmwatch.spatial.projection import to_bng

    with open(FORCE_AREAS, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    herts = next(f for f in features if f["properties"]["PFA20NM"] == "Hertfordshire")
    area = shapely.transform(
        shapely.geometry.shape(herts["geometry"]),
        lambda c: np.column_stack(to_bng(c[:, 0], c[:, 1])),
    )
    grid = Grid.covering(*area.bounds, cell)
    cx, cy = grid.centres()
    mask = shapely.contains_xy(area, cx, cy).reshape(grid.shape)
    cols = ["Longitude", "Latitude"]
    df = pd.concat([pd.read_csv(f, usecols=cols) for f in files], ignore_index=True).dropna()
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    counts = grid.counts(x, y).astype(np.float64)
    return (
        counts,
        mask,
        (
            f"police.uk Hertfordshire street crimes ({len(files)} months, "
            f"{int(counts[mask].sum()):,} in the force area) on {cell:g} m cells, "
            "mask = force-area boundary"
        ),
    )


def load_problem(seed: int = 1992) -> tuple[np.ndarray, np.ndarray, str]:
    """Counts per cell, the study-area mask, and a description of the data."""
    real = hertfordshire_crimes(CELL)
    if real is not None:
        return real

    rng = np.random.default_rng(seed)
    nrows, ncols = 500, 600
    yy, xx = np.mgrid[0:nrows, 0:ncols]
    r = np.hypot((xx - ncols / 2) / (ncols / 2), (yy - nrows / 2) / (nrows / 2))
    wobble = 0.08 * np.sin(7 * np.arctan2(yy - nrows / 2, xx - ncols / 2))
    mask = r < 0.95 + wobble
    mask &= rng.random((nrows, ncols)) > 0.02  # scattered holes
    intensity = 0.3 + 4 * np.exp(-(((xx - 220) / 40) ** 2 + ((yy - 300) / 30) ** 2))
    counts = rng.poisson(intensity).astype(np.float64)
    return counts, mask, "synthetic Poisson counts on an irregular mask (files not found)"


def esda_gistar(counts: np.ndarray, mask: np.ndarray, band: float) -> np.ndarray:
    """What a libpysal/esda user would run: DistanceBand weights, then G_Local."""
    import esda
    import libpysal

    rows, cols = np.nonzero(mask)
    centres = np.column_stack([(cols + 0.5) * CELL, (rows + 0.5) * CELL])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands / disconnected components
        # The 1e-9 slack keeps diagonal neighbours whose distance rounds above
        # cell * sqrt(2); ours applies the same tolerance.
        w = libpysal.weights.DistanceBand(
            centres, threshold=band * (1 + 1e-9), binary=True, silence_warnings=True
        )
        g = esda.G_Local(counts[mask], w, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON line of results")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of ours (median)")
    args = parser.parse_args()

    counts, mask, source = load_problem()
    nrows, ncols = counts.shape
    print(f"data:    {source}")
    print(
        f"problem: {nrows}x{ncols} = {counts.size:,} cells, {int(mask.sum()):,} in the mask "
        f"({mask.mean():.0%})"
    )
    print(f"{'band':<22} {'ours s':>9} {'esda s':>9} {'x faster':>9} {'max |dz|':>10}")

    results = []
    for label, band_arg, band in [
        ("queen (cell*sqrt 2)", None, CELL * math.sqrt(2)),
        ("2.5 cells (250 m)", 2.5 * CELL, 2.5 * CELL),
    ]:
        gistar(counts, mask, CELL, band_arg)  # warm-up
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            z, _ = gistar(counts, mask, CELL, band_arg)
            times.append(time.perf_counter() - t)
        t_ours = statistics.median(times)

        t = time.perf_counter()
        z_esda = esda_gistar(counts, mask, band)
        t_esda = time.perf_counter() - t

        dz = float(np.max(np.abs(z[mask] - z_esda)))
        assert dz <= 1e-9, f"z differs from esda by {dz:.3g} for band {label}"
        print(f"{label:<22} {t_ours:>9.4f} {t_esda:>9.2f} {t_esda / t_ours:>9.0f} {dz:>10.1e}")
        results.append(
            {
                "band": label,
                "band_m": band,
                "ours_s": t_ours,
                "ours_runs_s": times,
                "esda_s": t_esda,
                "speedup": t_esda / t_ours,
                "max_abs_dz": dz,
            }
        )
    print(f"ours = median of {args.repeats} runs; esda = one run incl. DistanceBand weights")
    print("target: >= 100x faster on the queen band")

    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "gistar",
                    "data": source,
                    "cells": int(counts.size),
                    "masked_cells": int(mask.sum()),
                    "cell_m": CELL,
                    "results": results,
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                }
            )
        )


if __name__ == "__main__":
    main()
