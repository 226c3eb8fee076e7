"""Benchmark: importing and detecting on ~10 million call-data rows, against pandas + networkx.

Run from the repository root (about ten minutes on a 2-core machine):

    PYTHONPATH=src python benchmarks/bench_cdr_scale.py [--population 62000] [--days 60]
                                                        [--keep DIR] [--json FILE]

Data: a SYNTHETIC scenario from :mod:`harmwatch.calls.synth` (seed 77, the given
population over 60 days: about 10 million rows, 250 MB of gzip CSV in the synthetic
operator layout). Each stage runs in its own process so that its peak resident memory
(``ru_maxrss``) is its own:

1. **generate** — the scenario written to files (not part of the targets);
2. **import** — ``harmwatch.calls.importer.import_file`` into a DuckDB file: parse,
   normalise every number to its typed key and every IMEI to its 14-digit key, times
   to UTC and UK local time, check every row, store, in one transaction;
3. **detect** — ``harmwatch.calls.findings.detect`` on the stored rows: the whole
   detector (features, scores, continuity, roles, cuckooing, customer counts);
4. **baseline** — a plain pandas + networkx pipeline computing the same candidate
   features from the same file: read the CSV (pyarrow engine), normalise numbers
   with pandas string methods, orders and repeat customers per number, order and
   conversation shares, answered orders (``merge_asof``), co-location in the same
   cell within 20 minutes (a merge on cell and time bucket) and the shared-handset
   graph's connected components (networkx). It computes the scoring features only,
   not roles, cuckooing or counts, so it is a lower bound on what a pandas pipeline
   doing all of it would take.

Targets (issue 13): import and detection each under 60 s and 4 GB on this machine.
Times are wall-clock seconds, one run each; the ratio is baseline / harmwatch for
the feature work (import + detect against the baseline's one pass).
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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_generate(folder: Path, population: int, days: int) -> dict[str, Any]:
    from harmwatch.calls.synth.files import write_scenario
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    began = time.perf_counter()
    params = ScenarioParams.with_overrides({"population": str(population), "days": str(days)})
    scenario = generate(params, 77)
    write_scenario(scenario, folder)
    return {"rows": len(scenario.events), "seconds": time.perf_counter() - began}


def stage_import(folder: Path) -> dict[str, Any]:
    import duckdb

    from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
    from harmwatch.sources.importspec import load_spec
    from harmwatch.storage.analytics import migrations

    store = folder / "calls.duckdb"
    for old in (store, store.with_name(store.name + ".wal")):
        old.unlink(missing_ok=True)  # a kept folder's earlier run would be "already imported"
    con = duckdb.connect(str(store))
    migrations.migrate(con)
    spec = load_spec(folder / "spec.toml", CALL_DATA)
    began = time.perf_counter()
    done = import_file(
        con, folder / "calls.csv.gz", spec, authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC"),
        force="synthetic", imported_by="benchmark", synthetic=True,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    con.close()
    return {"rows": done.rows, "seconds": seconds, "file_id": done.file_id}


def stage_detect(folder: Path, file_id: str) -> dict[str, Any]:
    import duckdb

    from harmwatch.calls import findings

    con = duckdb.connect(str(folder / "calls.duckdb"), read_only=True)
    began = time.perf_counter()
    result = findings.detect(con, [file_id])
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "lines": len(result.lines), "deal_numbers": len(result.deal_lines)}


def stage_baseline(folder: Path) -> dict[str, Any]:
    import networkx as nx
    import numpy as np
    import pandas as pd

    began = time.perf_counter()
    df = pd.read_csv(folder / "calls.csv.gz", engine="pyarrow", dtype=str)
    df.columns = ["a", "b", "t", "dur", "svc", "imei", "cell", "lat", "lon"]

    def key(s: pd.Series) -> pd.Series:
        d = s.str.replace(r"[\s\-\.\(\)/]", "", regex=True)
        out = d.where(~d.str.match(r"^0[1-9]\d{8,9}$"), "+44" + d.str[1:])
        out = out.where(~out.str.match(r"^44[1-9]\d{8,9}$"), "+" + out)
        letters = s.str.contains(r"[A-Za-z]", regex=True)
        return out.where(
            ~letters, "alpha:" + s.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        )

    df["a"], df["b"] = key(df["a"]), key(df["b"])
    df["t"] = pd.to_datetime(df["t"], format="%Y-%m-%dT%H:%M:%SZ")
    df["lt"] = df["t"].dt.tz_localize("UTC").dt.tz_convert("Europe/London").dt.tz_localize(None)
    df["dur"] = df["dur"].astype(np.int32)
    df["sms"] = df["svc"] == "SMS"
    df["imei"] = df["imei"].str.replace(r"\D", "", regex=True).str[:14]
    mobile = df["a"].str.startswith("+44") & df["b"].str.startswith("+44") & (df["a"] != df["b"])
    orders = df[mobile & (df["sms"] | (df["dur"] < 60))]
    per = (
        orders.assign(day=orders["lt"].dt.date)
        .groupby(["b", "a"])
        .agg(days=("day", "nunique"), k=("t", "size"))
        .reset_index()
    )
    cand = per.groupby("b").agg(
        customers=("a", "size"), repeat=("days", lambda d: int((d >= 2).sum()))
    )
    cand = cand[cand["repeat"] >= 6]
    inbound = df[df["b"].isin(cand.index) & (df["a"] != df["b"])]
    calls = inbound[~inbound["sms"]]
    feats = pd.DataFrame(
        {
            "inbound": inbound.groupby("b").size(),
            "orders": orders[orders["b"].isin(cand.index)].groupby("b").size(),
            "conversations": calls[calls["dur"] >= 180].groupby("b").size(),
            "calls": calls.groupby("b").size(),
        }
    ).fillna(0)
    feats["order_share"] = feats["orders"] / feats["inbound"].clip(lower=1)
    feats["conv_share"] = feats["conversations"] / feats["calls"].clip(lower=1)
    req = feats[(feats["order_share"] >= 0.9) & (feats["conv_share"] < 0.1)].index
    o = orders[orders["b"].isin(req)][["b", "a", "t"]].rename(columns={"b": "n", "a": "c"})
    out = df[df["a"].isin(req)][["a", "b", "t"]].rename(columns={"a": "n", "b": "c", "t": "tx"})
    o = o.sort_values("t")
    out = out.sort_values("tx")
    answered = pd.merge_asof(o, out, left_on="t", right_on="tx", by=["n", "c"], direction="forward")
    answered["ok"] = (answered["tx"] - answered["t"]) <= pd.Timedelta(minutes=20)
    reply = answered.groupby("n")["ok"].mean()
    loc = df[df["cell"].notna()][["a", "cell", "t"]]
    loc = loc.assign(bucket=(loc["t"] - pd.Timestamp(0)) // pd.Timedelta(minutes=20))
    mine = loc[loc["a"].isin(req)]
    spread = pd.concat([mine.assign(bucket=mine["bucket"] + d) for d in (-1, 0, 1)])
    pairs = spread.merge(loc, on=["cell", "bucket"], suffixes=("", "_o"))
    pairs = pairs[
        (pairs["a"] != pairs["a_o"])
        & ((pairs["t"] - pairs["t_o"]).abs() <= pd.Timedelta(minutes=20))
    ]
    partners = pairs.groupby(["a", "a_o"])["cell"].nunique()
    handsets = df[df["imei"].notna() & (df["imei"] != "")][["a", "imei"]].drop_duplicates()
    graph = nx.Graph()
    graph.add_edges_from(("n:" + r.a, "h:" + r.imei) for r in handsets.itertuples())
    components = sum(1 for _ in nx.connected_components(graph))
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "candidates": len(cand),
        "required": len(req),
        "replies": len(reply),
        "partner_pairs": len(partners),
        "handset_components": components,
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
    parser.add_argument("--population", type=int, default=62000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--keep", type=Path, help="Keep the files here (default: a temporary folder)."
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        folder = args.folder
        if args.stage == "generate":
            got = stage_generate(folder, args.population, args.days)
        elif args.stage == "import":
            got = stage_import(folder)
        elif args.stage == "detect":
            got = stage_detect(folder, args.file_id)
        else:
            got = stage_baseline(folder)
        got["peak_mb"] = round(_peak_mb())
        print(json.dumps(got, default=str))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {}
        print(f"SYNTHETIC scenario: population {args.population:,}, {args.days} days", flush=True)
        results["generate"] = _child(
            "generate", folder, "--population", str(args.population), "--days", str(args.days)
        )
        print(
            f"generate  {results['generate']['rows']:>12,} rows  {results['generate']['seconds']:7.1f} s  {results['generate']['peak_mb']:>6,} MB",
            flush=True,
        )
        results["import"] = _child("import", folder)
        print(
            f"import    {results['import']['rows']:>12,} rows  {results['import']['seconds']:7.1f} s  {results['import']['peak_mb']:>6,} MB",
            flush=True,
        )
        results["detect"] = _child("detect", folder, "--file-id", results["import"]["file_id"])
        print(
            f"detect    {results['detect']['lines']:>7} lines       {results['detect']['seconds']:7.1f} s  {results['detect']['peak_mb']:>6,} MB",
            flush=True,
        )
        results["baseline"] = _child("baseline", folder)
        print(
            f"pandas+networkx features      {results['baseline']['seconds']:7.1f} s  {results['baseline']['peak_mb']:>6,} MB",
            flush=True,
        )
        ours = results["import"]["seconds"] + results["detect"]["seconds"]
        results["ratio_baseline_over_harmwatch"] = results["baseline"]["seconds"] / ours
        print(f"baseline / (import + detect) = {results['ratio_baseline_over_harmwatch']:.2f}")
        for stage in ("import", "detect"):
            r = results[stage]
            met = r["seconds"] < 60 and r["peak_mb"] < 4096
            print(f"target {stage}: under 60 s and 4 GB: {'met' if met else 'NOT met'}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
