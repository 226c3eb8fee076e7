"""How often does `evaluate` call a placebo "significant"? Random targets and busiest targets.

Two designs, both with fixed seeds, so every figure can be rerun exactly:

``random`` (the default; the test suite runs one seed of it in
tests/evaluation/test_eval_placebo.py): 3–5 random Bedfordshire LSOAs with a recurring
drug problem, a random start with at least 12 months before and 6 after, nothing
planted. Needs ../shared/data/police-uk (Bedfordshire 2021-05…2024-04).

    .venv/bin/python scripts/placebo_calibration.py [N_PER_SEED] [SEED ...]

``busiest`` (issue 11: calibrate where users work): targets picked as users pick them,
the busiest LSOAs of the force in the months before the start (the top k, or k of the
top 20), so regression to the mean is tested, across nine runs of months of seven
forces (Bedfordshire 2021-05…2024-04 and 2025, Hertfordshire 2021-01…2022-01 and 2025,
Cambridgeshire, Durham, Dorset, Warwickshire and West Mercia 2025) and random starts
with at least 6 months before and 3 after. Each draw is evaluated twice: as recorded
(no effect: a call of "significant" is a false positive) and with 30 % of the target's
crimes after the start removed (exactly round(0.3 n) per LSOA, seeded: the interval
should cover 0.7). Reports the false-positive rate with its exact (Clopper–Pearson)
95 % interval and the planted cuts' coverage.

    .venv/bin/python scripts/placebo_calibration.py busiest [DRAWS_PER_RUN] [SEED]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "evaluation"))

from test_eval_placebo import draw_placebos  # noqa: E402

from harmwatch.evaluation.areas import CrimeData, load_crime_data  # noqa: E402
from harmwatch.evaluation.evaluate import evaluate_loaded  # noqa: E402
from harmwatch.evaluation.requests import EvaluateRequest  # noqa: E402
from harmwatch.sources.policeuk.ingest import ingest  # noqa: E402
from harmwatch.timeline.months import consecutive_runs  # noqa: E402

POLICE_UK = ROOT.parent / "shared/data/police-uk"
PLANTED_CUT = 0.30
BUSIEST_POOL = 20  # "k of the busiest 20"
SIZES = (1, 2, 3, 5, 10)
MIN_BEFORE, MIN_AFTER = 6, 3
# (force, first month of the run): the runs of at least 12 consecutive months.
RUNS = (
    ("bedfordshire", "2021-05"),
    ("bedfordshire", "2025-01"),
    ("hertfordshire", "2021-01"),
    ("hertfordshire", "2025-01"),
    ("cambridgeshire", "2025-01"),
    ("durham", "2025-01"),
    ("dorset", "2025-01"),
    ("warwickshire", "2025-01"),
    ("west-mercia", "2025-01"),
)


def random_targets(n: int, seeds: list[int]) -> None:
    files = sorted(POLICE_UK.glob("202[1-4]-*/*-bedfordshire-street.csv.gz"))
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


def thinned(data: CrimeData, codes: tuple[str, ...], months: list[str], seed: int) -> CrimeData:
    """``data`` with round(PLANTED_CUT × n) of each target LSOA's crimes in ``months`` removed."""
    rng = np.random.default_rng(seed)
    drop = np.zeros(len(data.x), dtype=bool)
    in_months = np.isin(data.month, months)
    for code in codes:
        rows = np.flatnonzero((data.lsoa_code == code) & in_months)
        k = round(PLANTED_CUT * rows.size)
        if k:
            drop[rng.choice(rows, size=k, replace=False)] = True
    keep = ~drop
    counts = data.lsoa_counts.copy()
    removed = pd.crosstab(
        pd.Series(data.lsoa_code[drop], name="lsoa_code"), pd.Series(data.month[drop], name="month")
    )
    counts = counts.sub(removed.reindex(index=counts.index, columns=counts.columns, fill_value=0))
    return replace(
        data,
        x=data.x[keep],
        y=data.y[keep],
        month=data.month[keep],
        lsoa_code=data.lsoa_code[keep],
        force=data.force[keep],
        lsoa_counts=counts.astype(np.int64),
    )


def busiest_targets(draws_per_run: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "all.duckdb"
        forces = sorted({f for f, _ in RUNS})
        files = [p for f in forces for p in sorted(POLICE_UK.glob(f"*/*-{f}-street.csv.gz"))]
        ingest(files, db)
        datas = {f: load_crime_data(db, ["Drugs"], [f]) for f in forces}
    for force, first in RUNS:
        data = datas[force]
        run = next(r for r in consecutive_runs(data.loaded_months) if r[0] == first)
        start_time = time.perf_counter()
        in_force = [c for c in data.lsoa_counts.index if str(c).startswith(("E", "W"))]
        for _ in range(draws_per_run):
            i = int(rng.integers(MIN_BEFORE, len(run) - MIN_AFTER + 1))
            start = run[i]
            end = run[int(rng.integers(i + MIN_AFTER - 1, len(run)))]
            pre = run[max(0, i - 24) : i]
            post = run[i : run.index(end) + 1]
            before = data.lsoa_counts.loc[in_force, pre].sum(axis=1).sort_values(ascending=False)
            k = int(rng.choice(SIZES))
            top = before.index[:BUSIEST_POOL].to_numpy()
            if rng.random() < 0.5:
                codes = tuple(str(c) for c in top[:k])
                how = "top"
            else:
                codes = tuple(str(c) for c in rng.choice(top, size=k, replace=False))
                how = "of top 20"
            request = EvaluateRequest(start, end, lsoa=codes)
            plain = evaluate_loaded(data, request)
            planted = evaluate_loaded(
                thinned(data, codes, post, int(rng.integers(1 << 31))), request
            )
            for label, ev in (("none", plain), ("planted", planted)):
                did = ev.did
                rows.append(
                    {
                        "force": force,
                        "run": f"{run[0]}…{run[-1]}",
                        "start": start,
                        "end": end,
                        "k": k,
                        "pick": how,
                        "effect": label,
                        "p": did.p_value,
                        "estimate": did.estimate,
                        "uncorrected": did.uncorrected_estimate,
                        "centre": did.placebo_centre,
                        "ci_low": did.ci_low,
                        "ci_high": did.ci_high,
                        "no_good_match": any("no good match" in n for n in did.notes),
                        "target_before": ev.counts["target_before"],
                    }
                )
        print(
            f"{force} {run[0]}…{run[-1]}: {draws_per_run} draws "
            f"({time.perf_counter() - start_time:.0f} s)",
            flush=True,
        )
    frame = pd.DataFrame(rows)
    report(frame)
    if len(sys.argv) > 4:  # a fourth argument: where to write every draw's figures as CSV
        frame.to_csv(sys.argv[4], index=False)
        print(f"wrote {sys.argv[4]}")


def report(frame: pd.DataFrame) -> None:
    none = frame[frame["effect"] == "none"]
    planted = frame[frame["effect"] == "planted"]
    fp = int((none["p"] < 0.05).sum())
    ci = binomtest(fp, len(none)).proportion_ci(0.95, method="exact")
    covered = int(
        ((planted["ci_low"] < 1 - PLANTED_CUT) & (planted["ci_high"] > 1 - PLANTED_CUT)).sum()
    )
    cov_ci = binomtest(covered, len(planted)).proportion_ci(0.95, method="exact")
    found = int(((planted["p"] < 0.05) & (planted["estimate"] < 1)).sum())
    print(
        f"no effect: {fp}/{len(none)} called significant = {fp / len(none):.1%} "
        f"(exact 95 % CI {ci.low:.1%}–{ci.high:.1%}); "
        f"{len(none['force'].unique())} forces, {len(none[['force', 'run']].drop_duplicates())} runs, "
        f"{len(none[['force', 'start']].drop_duplicates())} force-starts"
    )
    print(
        f"planted 30 % cut: {covered}/{len(planted)} intervals cover 0.7 = "
        f"{covered / len(planted):.1%} (exact 95 % CI {cov_ci.low:.1%}–{cov_ci.high:.1%}); "
        f"found (p < 0.05, fall) in {found / len(planted):.1%}"
    )
    by: dict[str, list[str]] = defaultdict(list)
    for key in ("force", "k"):
        for value, part in none.groupby(key):
            share = float((part["p"] < 0.05).mean())
            by[key].append(f"{value}: {share:.1%} of {len(part)}")
    for key, parts in by.items():
        print(f"  false positives by {key}: " + "; ".join(parts))
    centred = none["centre"].dropna()
    print(
        f"  placebo centre (median IRR of the placebo groups): median {centred.median():.2f}, "
        f"off-centre by > 10 % in {float(((centred > 1.1) | (centred < 1 / 1.1)).mean()):.0%} "
        f"of draws; 'no good match' said in {float(none['no_good_match'].mean()):.0%}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "busiest":
        draws = int(sys.argv[2]) if len(sys.argv) > 2 else 40
        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20251101
        busiest_targets(draws, seed)
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    seeds = [int(s) for s in sys.argv[2:]] or [1, 2, 3, 4, 5, 20240501]
    random_targets(n, seeds)


if __name__ == "__main__":
    main()
