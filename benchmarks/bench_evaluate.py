"""Benchmark: the evaluation's DiD against the textbook monthly dummy-variable Poisson GLM.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_evaluate.py [--json]

Data: Bedfordshire Drugs offences 2021-05…2024-04 from ``../shared/data`` (36
monthly street files), the 20 target LSOAs of the planted-effect test, start
2023-01, end 2023-06, controls chosen as ``evaluate`` chooses them (every
uncontaminated LSOA of the force).

Baseline, measured in the same run: the same difference-in-differences as most
analysts would fit it, ``count ~ C(unit) + C(month) + treated_post`` as a Poisson
GLM in statsmodels on the monthly panel (units × months rows). Ours:

- ``poisson_fe``: the same model fitted on before/after totals (the coefficient
  must agree with the baseline's to 1e-6);
- ``evaluate_loaded``: the whole verb (target, buffer, controls, rate ratio, the
  random-effect DiD, 2,000 placebo groups for its interval, WDQ, caveats), the
  store read once beforehand as the web app caches it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "evaluation"))

import statsmodels.formula.api as smf  # noqa: E402
from eval_planted import PLANTED_LSOAS, PLANTED_MONTHS  # noqa: E402

from harmwatch.evaluation.areas import load_crime_data  # noqa: E402
from harmwatch.evaluation.did import poisson_fe, totals_from_panel  # noqa: E402
from harmwatch.evaluation.evaluate import evaluate_loaded  # noqa: E402
from harmwatch.evaluation.requests import EvaluateRequest  # noqa: E402
from harmwatch.sources.policeuk.ingest import ingest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "police-uk"


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = sorted(SHARED.glob("202[1-4]-*/*-bedfordshire-street.csv.gz"))
    if len(files) != 36:
        sys.exit(f"needs the 36 Bedfordshire street files 2021-05…2024-04 in {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "beds.duckdb"
        ingest(files, db)
        start = time.perf_counter()
        data = load_crime_data(db, ["Drugs"], ["bedfordshire"])
        read_s = time.perf_counter() - start
    request = EvaluateRequest(*PLANTED_MONTHS, lsoa=PLANTED_LSOAS)
    ours_s, evaluation = timed(lambda: evaluate_loaded(data, request), args.repeat)
    ev = evaluation  # type: ignore[assignment]

    # The same units and months as the evaluation, as a monthly panel.
    window = ev.pre_months + ev.post_months  # type: ignore[attr-defined]
    units = list(ev.target.units) + list(ev.controls.codes)  # type: ignore[attr-defined]
    counts = data.lsoa_counts.reindex(index=units, columns=window, fill_value=0).to_numpy()
    treated = np.array([u in set(ev.target.units) for u in units])  # type: ignore[attr-defined]
    post = np.array([m in set(ev.post_months) for m in window])  # type: ignore[attr-defined]
    panel = pd.DataFrame(
        {
            "count": counts.ravel(),
            "unit": np.repeat(units, len(window)),
            "month": np.tile(window, len(units)),
            "treated_post": np.outer(treated, post).ravel().astype(float),
        }
    )

    def baseline() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = smf.poisson("count ~ C(unit) + C(month) + treated_post", panel).fit(
                disp=0, method="newton", maxiter=100
            )
        return float(fit.params["treated_post"])

    base_s, base_coef = timed(baseline, max(1, args.repeat // 2))
    totals = totals_from_panel(units, counts, treated, post)
    fe_s, fe = timed(lambda: poisson_fe(totals), args.repeat)
    agree = abs(fe.coef - float(base_coef)) < 1e-6  # type: ignore[attr-defined,arg-type]
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "units": len(units),
        "months": len(window),
        "panel_rows": len(panel),
        "read_store_s": round(read_s, 3),
        "baseline_monthly_glm_s": round(base_s, 3),
        "ours_totals_glm_s": round(fe_s, 4),
        "ratio_fit": round(base_s / fe_s, 1),
        "ours_whole_evaluation_s": round(ours_s, 3),
        "ratio_whole_evaluation_vs_baseline_fit": round(base_s / ours_s, 1),
        "coef_baseline": base_coef,
        "coef_ours": fe.coef,  # type: ignore[attr-defined]
        "coefficients_agree_1e-6": agree,
        "did_estimate": ev.did.estimate,  # type: ignore[attr-defined]
        "did_ci": [ev.did.ci_low, ev.did.ci_high],  # type: ignore[attr-defined]
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{len(units)} areas × {len(window)} months = {len(panel):,} panel rows "
        f"(store read once: {read_s:.2f} s)\n"
        f"baseline, monthly dummy-variable Poisson GLM (statsmodels): {base_s:.2f} s\n"
        f"ours, same model on before/after totals: {fe_s * 1000:.1f} ms "
        f"({base_s / fe_s:.0f}× faster; coefficient {fe.coef:.8f} vs {float(base_coef):.8f}, "  # type: ignore[attr-defined,arg-type]
        f"agree to 1e-6: {agree})\n"
        f"ours, the whole evaluation incl. 2,000 placebo groups: {ours_s * 1000:.0f} ms "
        f"({base_s / ours_s:.1f}× faster than the baseline's single model fit)"
    )
    if not agree:
        sys.exit("coefficients disagree")


if __name__ == "__main__":
    main()
