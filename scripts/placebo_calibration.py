"""How often does `evaluate` call a placebo "significant"? Several seeds, pooled.

The test suite runs one seed (tests/evaluation/test_eval_placebo.py); this script
runs the same draws for several seeds so the false-positive rate can be quoted
with its sampling error. Needs ../shared/data/police-uk (Bedfordshire 2021-05…2024-04).

    .venv/bin/python scripts/placebo_calibration.py [N_PER_SEED] [SEED ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from scipy.stats import binomtest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "evaluation"))

from test_eval_placebo import draw_placebos  # noqa: E402

from harmwatch.evaluation.areas import load_crime_data  # noqa: E402
from harmwatch.sources.policeuk.ingest import ingest  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    seeds = [int(s) for s in sys.argv[2:]] or [1, 2, 3, 4, 5, 20240501]
    files = sorted(
        (ROOT.parent / "shared/data/police-uk").glob("202[1-4]-*/*-bedfordshire-street.csv.gz")
    )
    if len(files) != 36:
        sys.exit(f"expected 36 Bedfordshire street files 2021-05…2024-04, found {len(files)}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "beds.duckdb"
        ingest(files, db)
        data = load_crime_data(db, ["Drugs"], ["bedfordshire"])
    hits = naive_hits = wald_hits = total = 0
    for seed in seeds:
        start = time.perf_counter()
        results = draw_placebos(data, n=n, seed=seed, select_on_pre=False)
        did = int((results[:, 0] < 0.05).sum())
        naive = int((results[:, 1] < 0.05).sum())
        wald = int((results[:, 3] < 0.05).sum())
        hits, naive_hits, wald_hits, total = (
            hits + did,
            naive_hits + naive,
            wald_hits + wald,
            total + n,
        )
        print(
            f"seed {seed:>9}: DiD {did}/{n} = {did / n:.1%} (model Wald {wald / n:.1%}), "
            f"naive before/after {naive / n:.1%} "
            f"({time.perf_counter() - start:.1f} s)"
        )
    ci = binomtest(hits, total).proportion_ci(0.95, method="exact")
    print(
        f"pooled: DiD {hits}/{total} = {hits / total:.1%} (exact 95 % CI {ci.low:.1%}–{ci.high:.1%}); "
        f"model Wald {wald_hits}/{total} = {wald_hits / total:.1%}; naive {naive_hits / total:.1%}"
    )


if __name__ == "__main__":
    main()
