"""Benchmark: deal-line detection on DuckDB and on Spark local mode, on the same call rows.

Run from the repository root. The default, 50 million rows, wants a quiet machine: the
generator holds every row in memory (about 0.45 GB a million: 2.3 GB at 5 million, so
over 20 GB here) and Spark local[2] took 4.3 minutes at 5 million, 15 times DuckDB;
1 million rows takes about three minutes in all:

    PYTHONPATH=src python benchmarks/bench_spark_calls.py [--rows 50000000] [--days 60]
                                                          [--master local[2]]
                                                          [--driver-memory 6g]
                                                          [--keep DIR] [--json FILE]

Data: a SYNTHETIC scenario from :mod:`harmwatch.calls.synth` (seed 77, ``--days``
days, the population that gives about ``--rows`` rows: a pilot run measures the rows
per person-day), written in the synthetic operator layout and imported through the
real importer into a DuckDB file, as ``harmwatch calls import`` does. ``--keep``
keeps (and on a later run with the same rows and days, reuses) the files.

Each engine runs in its own process, one run each, wall-clock seconds:

1. **duckdb** — ``harmwatch.calls.findings.detect`` as ``county-lines detect`` runs it;
2. **spark** — the same call with ``--engine spark --master …``: the visible rows
   exported to Parquet, the scoring on Spark, the hand-off of the rows around the
   flagged numbers, line assembly and counts on DuckDB (:mod:`harmwatch.calls.distributed`).
   The JVM's start is timed apart (a long-lived service pays it once); the stages
   are the detector's own progress steps (of the last run). ``--spark-runs 2`` runs
   it again in the same JVM: the second run shows what a warm service pays, since
   a fresh JVM spends much of a first run compiling Spark's own code.

The ratio is spark / duckdb, first run (and warm, with ``--spark-runs`` over 1):
below 1, Spark on this machine is the faster. The two
documents are compared (scores within 1e-12, everything else exactly), and the
result says whether they matched.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEED = 77


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def population_for(rows: int, days: int) -> int:
    """The population whose scenario has about ``rows`` rows over ``days`` days."""
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    guess = max(200, round(rows / (2.8 * days)))
    pilot = min(guess, 20000)
    params = ScenarioParams.with_overrides({"population": str(pilot), "days": str(days)})
    per_person_day = len(generate(params, SEED).events) / (pilot * days)
    return max(200, round(rows / (per_person_day * days)))


def stage_make(folder: Path, rows: int, days: int) -> dict[str, Any]:
    import duckdb

    from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
    from harmwatch.calls.synth.files import write_scenario
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams
    from harmwatch.sources.importspec import load_spec
    from harmwatch.storage.analytics import migrations

    began = time.perf_counter()
    population = population_for(rows, days)
    params = ScenarioParams.with_overrides({"population": str(population), "days": str(days)})
    scenario = generate(params, SEED)
    written = write_scenario(scenario, folder)
    del scenario
    generated_s = time.perf_counter() - began
    store = folder / "calls.duckdb"
    for old in (store, store.with_name(store.name + ".wal")):
        old.unlink(missing_ok=True)
    con = duckdb.connect(str(store))
    migrations.migrate(con)
    began = time.perf_counter()
    done = import_file(
        con, written["calls"], load_spec(written["spec"], CALL_DATA),
        authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC"), force="synthetic",
        imported_by="benchmark", synthetic=True,
    )  # fmt: skip
    import_s = time.perf_counter() - began
    con.close()
    return {
        "population": population, "days": days, "rows": done.rows, "file_id": done.file_id,
        "generate_s": round(generated_s, 1), "import_s": round(import_s, 1),
    }  # fmt: skip


def stage_detect(
    folder: Path, file_id: str, engine: str, master: str, memory: str, runs: int
) -> dict[str, Any]:
    import duckdb

    from harmwatch.calls import findings
    from harmwatch.engines import EngineChoice

    con = duckdb.connect(str(folder / "calls.duckdb"), read_only=True)
    out: dict[str, Any] = {"engine": engine}
    choice = EngineChoice(engine, master, driver_memory=memory)
    if engine == "spark":
        from harmwatch.engines import spark

        began = time.perf_counter()
        spark.spark_session(master, driver_memory=memory)
        out["jvm_start_s"] = round(time.perf_counter() - began, 1)
    every = []
    for _ in range(runs if engine == "spark" else 1):
        marks: list[tuple[str, float]] = []
        began = time.perf_counter()

        def mark(what: str, _done: float, marks: list[Any] = marks, began: float = began) -> None:
            marks.append((what, time.perf_counter() - began))

        result = findings.detect(con, [file_id], engine=choice, progress=mark)
        every.append(round(time.perf_counter() - began, 2))
    out["seconds"] = every[0]
    out["every_run_s"] = every
    stages, last = {}, 0.0
    for what, at in marks:
        stages[what] = round(at - last, 2)
        last = at
    # Each mark is when a step *starts*: the time before the first is the set-up (with
    # Spark, the export to Parquet), and each step's time is charged to the one before.
    names = ["set-up"] + [what for what, _ in marks[:-1]]
    out["stages_s"] = dict(zip(names, stages.values(), strict=True))
    out["lines"], out["deal_numbers"] = len(result.lines), len(result.deal_lines)
    out["candidates"] = len(result.scores)
    if engine == "spark":
        out["handed_back_rows"] = con.execute("SELECT count(*) FROM hw_support_rows").fetchone()[0]  # type: ignore[index]
    (folder / f"document-{engine}.json").write_text(
        json.dumps(result.to_document(), default=str), encoding="utf-8"
    )
    out["peak_mb_python"] = round(_peak_mb())
    return out


def same_documents(folder: Path) -> tuple[bool, str]:
    a = json.loads((folder / "document-duckdb.json").read_text(encoding="utf-8"))
    b = json.loads((folder / "document-spark.json").read_text(encoding="utf-8"))
    sa, sb = a.pop("scores"), b.pop("scores")
    if a != b:
        return False, "the documents differ: " + ", ".join(k for k in a if a[k] != b.get(k))
    if len(sa) != len(sb):
        return False, f"{len(sa)} scores on DuckDB, {len(sb)} on Spark"
    for x, y in zip(sa, sb, strict=True):
        for key, value in x.items():
            other = y[key]
            same = (
                math.isclose(value, other, rel_tol=1e-12, abs_tol=1e-12)
                if isinstance(value, float)
                else value == other
            )
            if not same:
                return False, f"{x['number']}: {key} {value!r} on DuckDB, {other!r} on Spark"
    return True, f"identical ({len(sa)} scores, {len(a['lines'])} lines)"


def _child(stage: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--stage", stage, *extra],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--spark-runs", type=int, default=1, help="Spark runs in one JVM.")
    parser.add_argument("--keep", type=Path, help="Keep (and reuse) the files here.")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file-id", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        if args.stage == "make":
            got = stage_make(args.folder, args.rows, args.days)
        else:
            got = stage_detect(
                args.folder,
                args.file_id,
                args.engine,
                args.master,
                args.driver_memory,
                args.spark_runs,
            )
        got["peak_mb"] = round(_peak_mb())
        print(json.dumps(got, default=str))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        made_file = folder / "made.json"
        results: dict[str, Any] = {
            "seed": SEED, "master": args.master, "driver_memory": args.driver_memory,
            "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
        }  # fmt: skip
        made = json.loads(made_file.read_text()) if made_file.exists() else None
        if not made or (made["requested_rows"], made["days"]) != (args.rows, args.days):
            print(f"SYNTHETIC scenario: about {args.rows:,} rows over {args.days} days", flush=True)
            made = _child("make", "--folder", str(folder), "--rows", str(args.rows),
                          "--days", str(args.days))  # fmt: skip
            made["requested_rows"] = args.rows
            made_file.write_text(json.dumps(made))
        results["data"] = made
        print(
            f"data      {made['rows']:>12,} rows  population {made['population']:,}  "
            f"(generated in {made['generate_s']} s, imported in {made['import_s']} s)",
            flush=True,
        )
        common = ["--folder", str(folder), "--file-id", made["file_id"], "--master", args.master,
                  "--driver-memory", args.driver_memory, "--spark-runs", str(args.spark_runs)]  # fmt: skip
        for engine in ("duckdb", "spark"):
            got = _child("detect", *common, "--engine", engine)
            results[engine] = got
            start = f"  (JVM start {got['jvm_start_s']} s apart)" if "jvm_start_s" in got else ""
            runs = got["every_run_s"]
            again = (
                f"; runs in one JVM: {', '.join(f'{r:.1f}' for r in runs)} s"
                if len(runs) > 1
                else ""
            )
            print(
                f"{engine:<8}  {got['seconds']:>9.1f} s  {got['lines']} lines{start}{again}",
                flush=True,
            )
            for what, seconds in got["stages_s"].items():
                print(f"            {seconds:7.1f} s  {what}", flush=True)
        duck_s = results["duckdb"]["seconds"]
        ratio = results["spark"]["seconds"] / duck_s
        results["ratio_spark_over_duckdb"] = round(ratio, 2)
        warm = results["spark"]["every_run_s"][-1] / duck_s
        if args.spark_runs > 1:
            results["ratio_warm_spark_over_duckdb"] = round(warm, 2)
        results["same_result"], results["comparison"] = same_documents(folder)
        shown = f" (warm {warm:.2f})" if args.spark_runs > 1 else ""
        print(
            f"spark / duckdb = {ratio:.2f}{shown}  ({args.master}); results {results['comparison']}"
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
