"""Benchmark: deal-line detection on DuckDB and on Spark local mode, on the same call rows.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_spark_calls.py [--rows 50000000] [--days 60]
                                                          [--layout auto|single|shards]
                                                          [--shard-rows 1000000]
                                                          [--master local[2]]
                                                          [--driver-memory 6g]
                                                          [--spark-runs 1]
                                                          [--keep DIR] [--json FILE]

The 50-million-row run (the default), for a quiet machine with 24 GB of memory and
20 GB free in the temporary folder (``TMPDIR``; or ``--keep DIR`` for the data):

    PYTHONPATH=src python benchmarks/bench_spark_calls.py --rows 50000000 --days 60 \
        --layout shards --shard-rows 1000000 --master 'local[2]' --driver-memory 8g \
        --json spark-calls-50m.json

**Measured** (a quiet 2-core machine, 26.4 minutes in all): 49,734,109 rows in 50 shards,
made in 58.6 s and imported in 122.8 s (peak 2.5 GB, store 1.36 GB); DuckDB 211.2 s
(peak 2.6 GB); Spark 1,162.7 s (JVM 9.1 GB + Python 5.2 GB, 5,987,348 rows handed
back); 5.5×, the same 235,001 scores and 251 lines. A first attempt at a 6 GB driver
with two shuffle partitions a thread failed for want of execution memory; local
masters now take 32 a thread (``engines/spark.py``).

It had been **estimated at about 35 minutes (25 to 45)**, extrapolated from
runs of 1 and 2 million rows in 1-million-row shards (seconds; the 2-million run twice,
the second while another job loaded the machine; 2M/250k: eight shards of 250,000):

=========  ======  =====  ====  ======  =====  =====  =============================
rows       shards  lines  make  DuckDB  Spark  ratio  peak MB: make / DuckDB / Spark
                                                      (Python + JVM)
=========  ======  =====  ====  ======  =====  =====  =============================
1,002,290  1       5      3.3   1.0     45.8   46×    667 / 363 / 349 + 4,356
2,000,877  2       10     6.4   2.1     64.7   31×    775 / 548 / 405 + 4,942
2,000,877  2       10     6.5   2.1     83.3   39×    796 / 562 / 460 + 4,621
2,031,186  8       37     7.2   2.4     66.9   28×    860 / 557 / 642 + 4,777
=========  ======  =====  ====  ======  =====  =====  =============================

(The single-scenario path at 1 million rows, re-run beside them under load: DuckDB 1.8
s, Spark 71.8 s, the same 993,972 rows, 4,698 scores, 5 lines and 116,231 rows handed
back as the earlier 1.6 s / 77.4 s run.) At 50 million: the data ~3–5 minutes (50
shards of ~3.3 s each: generate 1.1, import 2.2); DuckDB ~3–6 minutes (the scoring
grows with the rows, ~45–90 s, spilling past its 2 GB ceiling; the customer counts
scan every row once per line, 0.012–0.02 s a line per million rows, so ~250 lines
take 150–250 s); Spark ~16–32 minutes (18.9 to 37.5 s a million rows above the first
million, from the quiet and the loaded 2-million runs; its per-query overhead, ~27
s, is paid once). Those figures assume the per-row cost holds at 25 times the rows;
Spark's spills to disk there may make it slower.

Memory at 50 million, one process at a time: make ≤ ~2.5 GB (one shard, ~0.3 GB,
and DuckDB's import ceiling of 2 GB); DuckDB detection ≤ ~3 GB (its 2 GB ceiling;
nothing collects the rows into Python); Spark ≤ ~10.5 GB: the JVM's 6 GB heap
(~7 GB resident), and in Python the rows handed back (~11.5 % of all, ~195 bytes
each: ~1.1 GB of Arrow) and DuckDB's 2 GB. The export to Parquet is DuckDB's ``COPY``
(streamed to disk, not through Python); the scores come back per candidate number
(~235,000). Because the hand-off exceeds Spark's default ``spark.driver.maxResultSize``
(1 GB) at this size, the benchmark raises it to :data:`RESULT_LIMIT`. Disk: the store
~1.7 GB (34 MB a million rows), one shard's CSV at a time (~25 MB), and during the
Spark run ~6–8 GB more (the Parquet export, Spark's checkpoints and shuffles: 238–299
MB at 2 million), with DuckDB's spill files besides.

Data (``--layout``; ``auto``: ``single`` up to :data:`SINGLE_MAX` rows, ``shards``
above), SYNTHETIC, seed 77, ``--days`` days, imported through the real importer into
one DuckDB file as ``harmwatch calls import`` does:

- ``single`` — one scenario from :mod:`harmwatch.calls.synth` with the population that
  gives about ``--rows`` rows (a pilot run measures the rows per person-day), written
  in the synthetic operator layout and imported as one file: the path of the earlier
  1- and 5-million-row results, unchanged. One scenario holds every row in memory
  (0.3–0.45 GB a million) and has 100,000 numbers, so it stops near 16 million rows.
- ``shards`` — :mod:`harmwatch.calls.synth.shards`: ``round(rows / shard-rows)``
  independent towns of equal population, shard ``k`` seeded ``77 * 1000 + k``, with
  disjoint numbers, handsets and cells (deal lines never cross shards). Each is
  generated, written, imported as its own file and its CSV deleted before the next is
  generated, so memory and disk hold one shard; detection reads all the files.
  Sharded data is many towns of one size, not one town of 50 million rows: the work
  that grows with a town's density (co-location in a cell) grows with the rows, and
  the per-line work with the number of towns.

``--keep`` keeps (and on a later run with the same rows, days, layout and shard size,
reuses) the store and the shards' truth files.

Each stage runs in its own process, one run each, wall-clock seconds, with its peak
resident memory (``ru_maxrss``; for Spark also its JVM's ``VmHWM``, and a two-second
sample of the process tree's memory and of the temporary folder's disk):

1. **make** — the data (the pilot, generation, import, per shard with ``shards``);
2. **duckdb** — ``harmwatch.calls.findings.detect`` as ``county-lines detect`` runs it;
3. **spark** — the same call with ``--engine spark --master …``: the visible rows
   exported to Parquet, the scoring on Spark, the hand-off of the rows around the
   flagged numbers, line assembly and counts on DuckDB (:mod:`harmwatch.calls.distributed`).
   The JVM's start is timed apart (a long-lived service pays it once); the stages
   are the detector's own progress steps (of the last run). ``--spark-runs 2`` runs
   it again in the same JVM: the second run shows what a warm service pays, since
   a fresh JVM spends much of a first run compiling Spark's own code.

The ratio is spark / duckdb, first run (and warm, with ``--spark-runs`` over 1):
below 1, Spark on this machine is the faster. The two documents are compared (scores
within 1e-12, everything else exactly); the result says whether they matched, and the
exit status is 1 when they did not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEED = 77
#: Above this many rows the data is made in shards (one scenario holds it all in memory).
SINGLE_MAX = 5_000_000
#: Spark's limit on what one job may collect to the driver (its default, 1g, is less than
#: the rows handed back to DuckDB at 50 million rows: about 11 % of them, ~200 bytes each).
RESULT_LIMIT = "4g"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _descendants() -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name may hold spaces and brackets: the ppid follows the last ")".
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], list(parents.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def _status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children_peak_mb() -> float:
    """The peak resident memory (VmHWM) of this process's live descendants, summed."""
    return sum(_status_mb(pid, "VmHWM") for pid in _descendants())


class _Watch:
    """Samples, every two seconds, the resident memory of this process and its
    descendants together, and how much the temporary folder's disk filled (other jobs
    on the machine move it too, so it is an estimate)."""

    def __init__(self, folder: str) -> None:
        import threading

        self.folder = folder
        self.base = shutil.disk_usage(folder).used
        self.rss_mb = 0.0
        self.disk_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(2.0):
            rss = sum(_status_mb(pid, "VmRSS") for pid in [os.getpid(), *_descendants()])
            self.rss_mb = max(self.rss_mb, rss)
            grown = (shutil.disk_usage(self.folder).used - self.base) / 2**20
            self.disk_mb = max(self.disk_mb, grown)

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join()
        return {
            "peak_mb_tree_sampled": round(self.rss_mb),
            "peak_disk_growth_mb_sampled": round(self.disk_mb),
        }


def population_for(rows: int, days: int) -> int:
    """The population whose scenario has about ``rows`` rows over ``days`` days."""
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    guess = max(200, round(rows / (2.8 * days)))
    pilot = min(guess, 20000)
    params = ScenarioParams.with_overrides({"population": str(pilot), "days": str(days)})
    per_person_day = len(generate(params, SEED).events) / (pilot * days)
    return max(200, round(rows / (per_person_day * days)))


def _new_store(folder: Path) -> Any:
    import duckdb

    from harmwatch.storage.analytics import migrations

    store = folder / "calls.duckdb"
    for old in (store, store.with_name(store.name + ".wal")):
        old.unlink(missing_ok=True)
    con = duckdb.connect(str(store))
    migrations.migrate(con)
    return con


def _import(con: Any, written: dict[str, Path]) -> Any:
    from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
    from harmwatch.sources.importspec import load_spec

    return import_file(
        con, written["calls"], load_spec(written["spec"], CALL_DATA),
        authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC"), force="synthetic",
        imported_by="benchmark", synthetic=True,
    )  # fmt: skip


def stage_make(folder: Path, rows: int, days: int) -> dict[str, Any]:
    """One scenario of about ``rows`` rows, imported as one file (the 1M and 5M runs)."""
    from harmwatch.calls.synth.files import write_scenario
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    began = time.perf_counter()
    population = population_for(rows, days)
    params = ScenarioParams.with_overrides({"population": str(population), "days": str(days)})
    scenario = generate(params, SEED)
    written = write_scenario(scenario, folder)
    del scenario
    generated_s = time.perf_counter() - began
    con = _new_store(folder)
    began = time.perf_counter()
    done = _import(con, written)
    import_s = time.perf_counter() - began
    con.close()
    return {
        "layout": "single", "population": population, "days": days, "rows": done.rows,
        "file_ids": [done.file_id], "generate_s": round(generated_s, 1),
        "import_s": round(import_s, 1),
    }  # fmt: skip


def stage_make_shards(folder: Path, rows: int, days: int, shard_rows: int) -> dict[str, Any]:
    """Shards of about ``shard_rows`` rows, each written, imported as its own file and its
    CSV deleted before the next is generated (:mod:`harmwatch.calls.synth.shards`)."""
    from harmwatch.calls.synth.shards import plan_for_rows, write_shards

    began = time.perf_counter()
    plan = plan_for_rows(rows, days, seed=SEED, shard_rows=shard_rows)
    pilot_s = time.perf_counter() - began
    con = _new_store(folder)
    per_shard: list[dict[str, Any]] = []
    walk = write_shards(plan, folder / "shards")
    while True:
        began = time.perf_counter()
        step = next(walk, None)
        if step is None:
            break
        k, written = step
        generated = time.perf_counter() - began
        began = time.perf_counter()
        done = _import(con, written)
        imported = time.perf_counter() - began
        # The store holds the rows; the seeded plan makes the file again if it is wanted.
        written["calls"].unlink()
        per_shard.append(
            {"shard": k, "rows": done.rows, "file_id": done.file_id,
             "generate_s": round(generated, 2), "import_s": round(imported, 2)}
        )  # fmt: skip
    con.close()
    return {
        "layout": "shards", "shards": plan.shards, "shard_seeds": f"{SEED} * 1000 + k",
        "population": plan.params.population * plan.shards,
        "population_per_shard": plan.params.population, "days": days,
        "rows": sum(s["rows"] for s in per_shard),
        "file_ids": [s["file_id"] for s in per_shard], "pilot_s": round(pilot_s, 1),
        "generate_s": round(sum(s["generate_s"] for s in per_shard), 1),
        "import_s": round(sum(s["import_s"] for s in per_shard), 1),
        "per_shard": per_shard,
    }  # fmt: skip


def stage_detect(folder: Path, engine: str, master: str, memory: str, runs: int) -> dict[str, Any]:
    import duckdb

    from harmwatch.calls import findings
    from harmwatch.engines import EngineChoice

    file_ids = json.loads((folder / "made.json").read_text(encoding="utf-8"))["file_ids"]
    con = duckdb.connect(str(folder / "calls.duckdb"), read_only=True)
    out: dict[str, Any] = {"engine": engine}
    watch = _Watch(tempfile.gettempdir())
    choice = EngineChoice(engine, master, driver_memory=memory)
    if engine == "spark":
        from harmwatch.engines import spark

        began = time.perf_counter()
        # The detector asks for the session again and is given this one, limit and all.
        session = spark.spark_session(
            master, driver_memory=memory, settings={"spark.driver.maxResultSize": RESULT_LIMIT}
        )
        out["jvm_start_s"] = round(time.perf_counter() - began, 1)
        out["max_result_size"] = session.conf.get("spark.driver.maxResultSize")
    every = []
    for _ in range(runs if engine == "spark" else 1):
        marks: list[tuple[str, float]] = []
        began = time.perf_counter()

        def mark(what: str, _done: float, marks: list[Any] = marks, began: float = began) -> None:
            marks.append((what, time.perf_counter() - began))

        result = findings.detect(con, file_ids, engine=choice, progress=mark)
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
        # What DuckDB's Arrow of those rows takes: about what Spark collected to send them.
        handed: Any = con.execute("SELECT * FROM hw_support_rows").to_arrow_table()
        out["handed_back_arrow_mb"] = round(handed.nbytes / 2**20, 1)
        del handed
    (folder / f"document-{engine}.json").write_text(
        json.dumps(result.to_document(), default=str), encoding="utf-8"
    )
    out["peak_mb_python"] = round(_peak_mb())
    # Spark's driver and executors are one JVM, a child of this process: its own peak.
    out["peak_mb_children"] = round(_children_peak_mb())
    out.update(watch.stop())
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


def layout_for(rows: int, asked: str) -> str:
    """``single`` (one scenario, as the 1M and 5M runs) up to :data:`SINGLE_MAX` rows, else ``shards``."""
    if asked != "auto":
        return asked
    return "single" if rows <= SINGLE_MAX else "shards"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--layout", choices=("auto", "single", "shards"), default="auto",
        help=f"one scenario, or shards (auto: shards above {SINGLE_MAX:,} rows)",
    )  # fmt: skip
    parser.add_argument("--shard-rows", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--spark-runs", type=int, default=1, help="Spark runs in one JVM.")
    parser.add_argument("--keep", type=Path, help="Keep (and reuse) the files here.")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    layout = layout_for(args.rows, args.layout)
    if args.stage:
        if args.stage == "make":
            if layout == "single":
                got = stage_make(args.folder, args.rows, args.days)
            else:
                got = stage_make_shards(args.folder, args.rows, args.days, args.shard_rows)
        else:
            got = stage_detect(
                args.folder, args.engine, args.master, args.driver_memory, args.spark_runs
            )
        got["peak_mb"] = round(_peak_mb())
        print(json.dumps(got, default=str))
        return 0
    began_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        made_file = folder / "made.json"
        results: dict[str, Any] = {
            "seed": SEED, "master": args.master, "driver_memory": args.driver_memory,
            "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
        }  # fmt: skip
        wanted = {
            "requested_rows": args.rows, "days": args.days, "layout": layout,
            "shard_rows": args.shard_rows if layout == "shards" else None,
        }  # fmt: skip
        made = json.loads(made_file.read_text()) if made_file.exists() else None
        if not made or any(made.get(k) != v for k, v in wanted.items()):
            print(
                f"SYNTHETIC scenario: about {args.rows:,} rows over {args.days} days ({layout})",
                flush=True,
            )
            made = _child("make", "--folder", str(folder), "--rows", str(args.rows),
                          "--days", str(args.days), "--layout", layout,
                          "--shard-rows", str(args.shard_rows))  # fmt: skip
            made.update(wanted)
            made["store_mb"] = round((folder / "calls.duckdb").stat().st_size / 2**20)
            made_file.write_text(json.dumps(made))
        results["data"] = made
        shards = f"  {made['shards']} shards" if made.get("shards") else ""
        print(
            f"data      {made['rows']:>12,} rows  population {made['population']:,}{shards}  "
            f"(generated in {made['generate_s']} s, imported in {made['import_s']} s; "
            f"peak {made['peak_mb']:,} MB; store {made['store_mb']:,} MB)",
            flush=True,
        )
        common = ["--folder", str(folder), "--master", args.master,
                  "--driver-memory", args.driver_memory, "--spark-runs", str(args.spark_runs),
                  "--rows", str(args.rows), "--layout", layout]  # fmt: skip
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
            memory = f"peak {got['peak_mb']:,} MB"
            if got["peak_mb_children"]:
                memory += f" + JVM {got['peak_mb_children']:,} MB"
            print(
                f"{engine:<8}  {got['seconds']:>9.1f} s  {got['lines']} lines{start}{again}"
                f"  ({memory})",
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
        results["load_average_at_end"] = os.getloadavg()
        results["wall_s"] = round(time.perf_counter() - began_all, 1)
        shown = f" (warm {warm:.2f})" if args.spark_runs > 1 else ""
        print(
            f"spark / duckdb = {ratio:.2f}{shown}  ({args.master}); results {results['comparison']}"
            f"; {results['wall_s']} s in all"
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0 if results["same_result"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
