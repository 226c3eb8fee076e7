"""The full hotspot pipeline on every shared drug offence in England and Wales.

Loads all of ../shared/data/police-uk into a fresh DuckDB (not timed here: see
bench_ingest.py), then, in a separate process so that its peak memory is its
own, runs ``hotspots`` (``method="gistar", cell=250``) over all forces: select
the 65,730 drug offences, build the study area from every force's districts,
a 250 m grid, counts, quartic KDE, Gi* with FDR. Reports wall time and peak
resident memory, once with the default bandwidth and once with 1 km. Run: ``python benchmarks/bench_pipeline.py [--json]``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "police-uk"


def run_pipeline(db: str, bandwidth: float | None) -> dict[str, object]:
    from harmwatch.where.hotspots import hotspots
    from harmwatch.where.requests import HotspotsRequest

    t0 = time.perf_counter()
    result = hotspots(
        db,
        HotspotsRequest(crime_types=("Drugs",), method="gistar", cell=250, bandwidth=bandwidth),
    )
    seconds = time.perf_counter() - t0
    summary = result.summary()
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "points_selected": summary["points_selected"],
        "points_in_study_area": summary["points_in_study_area"],
        "grid_cells": result.grid.size,
        "study_cells": summary["cells"],
        "hot_cells": summary.get("hot_cells"),
        "bandwidth_m": result.parameters.get("bandwidth_m"),
    }


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        bandwidth = None if sys.argv[3] == "default" else float(sys.argv[3])
        print(json.dumps(run_pipeline(sys.argv[2], bandwidth)))
        return
    from harmwatch.sources.policeuk.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "all.duckdb")
        ingest([DATA], db)
        results = {}
        # The default (sfhotspot's rule) gives a ~45 km bandwidth over England
        # and Wales; 1 km is what an analyst would choose for street level.
        for bandwidth in ("default", "1000"):
            child = subprocess.run(
                [sys.executable, __file__, "--child", db, bandwidth],
                capture_output=True,
                text=True,
                check=True,
            )
            results[bandwidth] = json.loads(child.stdout.strip().splitlines()[-1])
    if "--json" in sys.argv:
        print(json.dumps(results))
        return
    for bandwidth, out in results.items():
        print(
            f"hotspots gistar, all forces, Drugs, 250 m cells, bandwidth {bandwidth} "
            f"({out['bandwidth_m']:,.0f} m): {out['seconds']} s, peak RSS {out['peak_rss_mb']} MB"
        )
        for key, value in out.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
