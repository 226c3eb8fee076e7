"""The national benchmark: harmwatch on every force of England and Wales over 15 years.

What: the synthetic national police.uk archive of ``benchmarks/national_archive.py``
(about 100 million street rows at scale 1, plus outcomes and stop-and-search; see its
docstring for how it is made) is loaded and analysed with the ``harmwatch`` command
line, each step in a FRESH process so that its peak memory is its own:

(a) ``harmwatch ingest ARCHIVE --db STORE``: rows/s (target >= 300,000) and peak
    resident memory (target <= 8 GiB);
(b) ``harmwatch status --db STORE``;
(c) ``harmwatch hotspots``: the national map of drug offences at 250 m over every
    force (Gi* with FDR, the command's default method; the grid and its statistics,
    and with ``--map`` the PNG too);
(d) ``harmwatch change``: one call over every force (the command counts the forces
    it is given together; with none it takes all loaded), 2019-01…2019-02 against
    2018-11…2018-12 (months every force has in the real files as well: their latest
    three months, the command's default, differ from force to force there); with
    ``--each-force`` also one call per force, reported as the total and the slowest;
(e) ``harmwatch evaluate``: Luton (the ONS district outline, bundled with harmwatch)
    in Bedfordshire, intervention 2023-01…2023-12 against 2021-05…2022-12, the
    controls and buffer chosen by the command.

(b)-(e) each have a target of <= 10 s of wall time, which includes the command's own
start-up (``harmwatch --help`` is timed too, as the floor). The store's size on disk
(the DuckDB file plus its ``<store>.parts`` folder) is compared with the archive's
total gzip bytes (target: store <= gzip).

Baseline, measured in the same run: the same steps on the real shared files only (the
store built from ``../shared/data/police-uk``: 2.8 million rows, 41 forces' street
crimes in 2018-10…2019-02 plus longer runs of a few forces), so a reader sees how each
figure grows from the real sample to the national archive.

Wall time is measured around the child process; peak memory is the child's
``ru_maxrss`` as ``os.wait4`` returns it (the child and any processes it waited for).
Children get a private ``HARMWATCH_HOME`` in the work folder, so no log or default
database of the user's is touched.

Run (from the repository root)::

    python benchmarks/bench_national.py ARCHIVE [--json out.json]
    python benchmarks/bench_national.py --scale 0.01 [--seed N] [--json out.json]

``ARCHIVE`` is a folder made by ``national_archive.py``; with ``--scale`` instead, the
generator builds one first (timed, in its own process, ``--processes`` of them).
Other options: ``--work DIR`` (stores, logs; default a temporary folder, removed
unless ``--keep``), ``--no-baseline``, ``--each-force``, ``--map``, ``--data DIR`` (the shared
data folder). Full scale needs about 20 GB of disk: ~10 GB of archive and about as
much again of store.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "benchmarks" / "national_archive.py"
DEFAULT_DATA = ROOT.parent / "shared" / "data"

INGEST_ROWS_PER_S = 300_000
INGEST_PEAK_BYTES = 8 * 1024**3
STEP_SECONDS = 10.0
EVALUATE_FORCE, EVALUATE_DISTRICT = "bedfordshire", "Luton"
EVALUATE_START, EVALUATE_END, EVALUATE_PRE_START = "2023-01", "2023-12", "2021-05"
# Months every force has in the real files too, so national and baseline compute alike.
CHANGE_PERIOD, CHANGE_BASELINE = "2019-01:2019-02", "2018-11:2018-12"
NO_DATA = "have no data for this selection"  # what `change` says of months without a crime


def harmwatch_command() -> list[str]:
    """The installed ``harmwatch`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("harmwatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("harmwatch")
    return [found] if found else [sys.executable, "-m", "harmwatch.cli.main"]


def measure(command: list[str], logs: Path, name: str, env: dict[str, str]) -> dict[str, Any]:
    """Run one command in a fresh process: wall time, peak RSS, exit status, its JSON."""
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / f"{name}.out", logs / f"{name}.err"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {
        "command": command,
        "wall_s": round(wall, 3),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_bytes": int(usage.ru_maxrss) * 1024,
        "returncode": child.returncode,
        "ok": child.returncode == 0,
    }
    text = out_path.read_text(errors="replace")
    try:
        result["json"] = json.loads(text) if text.strip().startswith(("{", "[")) else None
    except json.JSONDecodeError:
        result["json"] = None
    if child.returncode != 0:
        message = err_path.read_text(errors="replace") or text
        # The head says what went wrong, the tail where (a traceback's last lines).
        result["error_tail"] = (
            message if len(message) <= 2000 else f"{message[:1000]} … {message[-1000:]}"
        )

    return result


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _dirs, files in os.walk(path):
        total += sum((Path(folder) / f).stat().st_size for f in files)
    return total


def store_bytes(store: Path) -> int:
    parts = store.with_name(store.name + ".parts")
    wal = store.with_name(store.name + ".wal")
    return sum(disk_bytes(p) for p in (store, parts, wal) if p.exists())


def gzip_bytes(archive: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(archive):
        total += sum((Path(folder) / f).stat().st_size for f in files if f.endswith(".csv.gz"))
    return total


def forces_in(archive: Path) -> list[str]:
    return sorted({p.name[8 : -len("-street.csv.gz")] for p in archive.glob("*/*-street.csv.gz")})


def luton_boundary(path: Path) -> Path:
    from harmwatch.spatial import boundaries

    lads = boundaries.districts()
    lads[lads["name"] == EVALUATE_DISTRICT][["name", "geometry"]].to_file(path, driver="GeoJSON")
    return path


def _summary(step: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    payload = step.get("json") or {}
    return {k: payload.get(k) for k in keys if isinstance(payload, dict) and k in payload}


def run_steps(
    label: str,
    archive: Path,
    work: Path,
    env: dict[str, str],
    each_force: bool,
    draw_map: bool = False,
) -> dict[str, Any]:
    hw = harmwatch_command()
    store = work / f"{label}.duckdb"
    for stale in (
        store,
        store.with_name(store.name + ".parts"),
        store.with_name(store.name + ".wal"),
    ):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    logs = work / "logs" / label
    db = ["--db", str(store)]
    steps: dict[str, Any] = {}

    def step(name: str, args: list[str]) -> dict[str, Any]:
        print(f"[{label}] {name}: {' '.join(args)}", file=sys.stderr, flush=True)
        result = measure([*hw, *args], logs, name, env)
        print(
            f"[{label}] {name}: {result['wall_s']:.1f} s, "
            f"peak {result['peak_rss_bytes'] / 1024**3:.2f} GiB, rc {result['returncode']}",
            file=sys.stderr,
            flush=True,
        )
        steps[name] = result
        return result

    step("startup", ["--help"])
    ingest = step("ingest", ["ingest", str(archive), *db, "--json"])
    loaded = (ingest.get("json") or {}).get("rows_loaded") or {}
    ingest["rows"] = int(sum(loaded.values())) if isinstance(loaded, dict) else 0
    ingest["rows_by_kind"] = loaded
    ingest["rows_per_s"] = round(ingest["rows"] / ingest["wall_s"]) if ingest["ok"] else None
    step("status", ["status", *db, "--json"])
    drawn = ["--map", str(work / f"{label}-hotspots.png")] if draw_map else []
    hot = step(
        "hotspots", ["hotspots", *db, "--crime-type", "Drugs", "--cell", "250", *drawn, "--json"]
    )
    hot["summary"] = _summary(
        hot, ("points_selected", "points_in_study_area", "cells", "study_area_km2", "hot_cells")
    )
    months = ["--period", CHANGE_PERIOD, "--baseline", CHANGE_BASELINE]
    change = step("change", ["change", *db, *months, "--json"])
    change["summary"] = _summary(
        change, ("period", "baseline", "count_period", "count_baseline", "rate_ratio")
    )
    if each_force:
        per_force = []
        for force in forces_in(archive):
            one = measure(
                [*hw, "change", *db, *months, "--force", force, "--json"],
                logs,
                f"change-{force}",
                env,
            )
            # At small scales a small force has months without one drug offence, which
            # the command refuses; that is the data, not a failure of the command.
            no_data = not one["ok"] and NO_DATA in one.get("error_tail", "")
            status = "ok" if one["ok"] else "no data" if no_data else "failed"
            per_force.append({"force": force, "wall_s": one["wall_s"], "status": status})
        slowest = max(per_force, key=lambda r: r["wall_s"])
        steps["change_each_force"] = {
            "calls": len(per_force),
            "failed": [r["force"] for r in per_force if r["status"] == "failed"],
            "no_data": [r["force"] for r in per_force if r["status"] == "no data"],
            "total_s": round(sum(r["wall_s"] for r in per_force), 2),
            "slowest_s": slowest["wall_s"],
            "slowest_force": slowest["force"],
            "per_force": per_force,
        }
        print(
            f"[{label}] change per force: {len(per_force)} calls, "
            f"{steps['change_each_force']['total_s']} s in all, slowest "
            f"{slowest['force']} {slowest['wall_s']:.1f} s; no data in the months for "
            f"{len(steps['change_each_force']['no_data'])}, failed "
            f"{len(steps['change_each_force']['failed'])}",
            file=sys.stderr,
        )
    boundary = luton_boundary(work / "luton.geojson")
    evaluate = step(
        "evaluate",
        [
            "evaluate", *db, "--force", EVALUATE_FORCE, "--boundary", str(boundary),
            "--start", EVALUATE_START, "--end", EVALUATE_END, "--pre-start", EVALUATE_PRE_START,
            "--json",
        ],
    )  # fmt: skip
    evaluate["summary"] = _summary(
        evaluate, ("pre_months", "post_months", "counts", "rate_ratio", "p_value")
    )
    for result in steps.values():
        result.pop("json", None)  # kept in the logs folder; too big for the results
    return {
        "archive": str(archive),
        "store": str(store),
        "store_bytes": store_bytes(store),
        "gzip_bytes": gzip_bytes(archive),
        "steps": steps,
    }


def build_archive(
    work: Path, scale: float, seed: int, processes: int, data: Path, env: dict[str, str]
) -> tuple[Path, dict[str, Any]]:
    archive = work / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    command = [
        sys.executable, str(GENERATOR), "--out", str(archive), "--scale", str(scale),
        "--seed", str(seed), "--processes", str(processes), "--data", str(data),
    ]  # fmt: skip
    print(f"[generator] {' '.join(command)}", file=sys.stderr, flush=True)
    result = measure(command, work / "logs", "generator", env)
    if not result["ok"]:
        raise SystemExit(f"the generator failed:\n{result.get('error_tail', '')}")
    manifest = json.loads((archive / "manifest.json").read_text())
    result.pop("json", None)
    result["rows"] = manifest["rows"]
    result["rows_by_kind"] = manifest["rows_by_kind"]
    result["rows_per_s"] = round(manifest["rows"] / result["wall_s"])
    result["gzip_bytes"] = manifest["gzip_bytes"]
    result["scale"], result["seed"], result["processes"] = scale, seed, processes
    return archive, result


def targets(national: dict[str, Any]) -> list[dict[str, Any]]:
    steps = national["steps"]
    ingest = steps["ingest"]
    rows: list[dict[str, Any]] = [
        {
            "figure": "ingest rows/s",
            "value": ingest.get("rows_per_s"),
            "target": f">= {INGEST_ROWS_PER_S:,}",
            "met": bool(ingest["ok"] and (ingest.get("rows_per_s") or 0) >= INGEST_ROWS_PER_S),
        },
        {
            "figure": "ingest peak memory (GiB)",
            "value": round(ingest["peak_rss_bytes"] / 1024**3, 2),
            "target": f"<= {INGEST_PEAK_BYTES / 1024**3:g}",
            "met": bool(ingest["ok"] and ingest["peak_rss_bytes"] <= INGEST_PEAK_BYTES),
        },
    ]
    for name in ("status", "hotspots", "change", "evaluate"):
        s = steps[name]
        rows.append(
            {
                "figure": f"{name} (s)",
                "value": s["wall_s"],
                "target": f"<= {STEP_SECONDS:g}",
                "met": bool(s["ok"] and s["wall_s"] <= STEP_SECONDS),
            }
        )
    if "change_each_force" in steps:
        each = steps["change_each_force"]
        rows.append(
            {
                "figure": (
                    f"change per force, slowest (s; {each['total_s']} s for {each['calls']}"
                    + (f", {len(each['no_data'])} without data" if each["no_data"] else "")
                    + ")"
                ),
                "value": each["slowest_s"],
                "target": f"<= {STEP_SECONDS:g}",
                "met": not each["failed"] and each["slowest_s"] <= STEP_SECONDS,
            }
        )
    ratio = national["store_bytes"] / max(national["gzip_bytes"], 1)
    rows.append(
        {
            "figure": "store bytes / archive gzip bytes",
            "value": round(ratio, 3),
            "target": "<= 1",
            "met": ratio <= 1.0,
        }
    )
    return rows


def print_report(results: dict[str, Any]) -> None:
    national, baseline = results["national"], results.get("baseline")
    gen = results.get("generator")
    if gen:
        print(
            f"generator: scale {gen['scale']}, {gen['rows']:,} rows ({gen['rows_by_kind']}) in "
            f"{gen['wall_s']:.1f} s = {gen['rows_per_s']:,} rows/s with {gen['processes']} processes, "
            f"peak {gen['peak_rss_bytes'] / 1024**3:.2f} GiB, {gen['gzip_bytes'] / 1e6:,.1f} MB gzip"
        )
    print(f"national archive: {national['archive']} ({national['gzip_bytes'] / 1e6:,.1f} MB gzip)")
    head = f"{'step':<12} {'national':>24}"
    if baseline:
        head += f" {'baseline (real files)':>24} {'ratio':>7}"
    print(head)

    def cell(step: dict[str, Any]) -> str:
        if not step["ok"]:
            return f"FAILED rc {step['returncode']}"
        return f"{step['wall_s']:.2f} s {step['peak_rss_bytes'] / 1024**3:.2f} GiB"

    for name in ("startup", "ingest", "status", "hotspots", "change", "evaluate"):
        line = f"{name:<12} {cell(national['steps'][name]):>24}"
        if baseline:
            b, n = baseline["steps"][name], national["steps"][name]
            ratio = n["wall_s"] / b["wall_s"] if b["ok"] and n["ok"] and b["wall_s"] else None
            line += f" {cell(b):>24} {f'{ratio:.1f}x' if ratio else '-':>7}"
        print(line)
    for label, res in (("national", national), ("baseline", baseline)):
        if not res:
            continue
        ing = res["steps"]["ingest"]
        print(
            f"{label}: ingest {ing.get('rows', 0):,} rows at {ing.get('rows_per_s') or 0:,} rows/s; "
            f"store {res['store_bytes'] / 1e6:,.1f} MB vs gzip {res['gzip_bytes'] / 1e6:,.1f} MB"
        )
        for name in ("status", "hotspots", "change", "evaluate"):
            step = res["steps"][name]
            if not step["ok"]:
                print(f"  {name} failed: {step.get('error_tail', '').strip()[-300:]}")
    print()
    print(f"{'figure':<70} {'value':>10} {'target':>12}  met")
    for row in results["targets"]:
        value = row["value"]
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(
            f"{row['figure']:<70} {shown:>10} {row['target']:>12}  {'yes' if row['met'] else 'NO'}"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "archive", nargs="?", type=Path, help="a folder made by national_archive.py"
    )
    parser.add_argument("--scale", type=float, help="build the archive at this scale first")
    parser.add_argument("--seed", type=int, default=20_101_201)
    parser.add_argument("--processes", type=int, default=2, help="generator processes")
    parser.add_argument("--work", type=Path, help="folder for stores and logs (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--each-force", action="store_true", help="also time change per force")
    parser.add_argument("--map", action="store_true", help="hotspots also draws its PNG map")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if (args.archive is None) == (args.scale is None):
        parser.error("give an ARCHIVE folder or --scale (to build one), not both")

    work = args.work or Path(tempfile.mkdtemp(prefix="harmwatch-national-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HARMWATCH_HOME": str(work / "home")}
    env.pop("HARMWATCH_DB", None)
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "work": str(work),
    }
    try:
        if args.scale is not None:
            archive, results["generator"] = build_archive(
                work, args.scale, args.seed, args.processes, args.data, env
            )
        else:
            archive = args.archive
            if not (archive / "manifest.json").exists():
                print(f"note: {archive} has no manifest.json (not made by national_archive.py?)")
        manifest = archive / "manifest.json"
        if manifest.exists():
            meta = json.loads(manifest.read_text())
            results["archive"] = {
                k: meta.get(k)
                for k in (
                    "seed",
                    "scale",
                    "months",
                    "rows",
                    "rows_by_kind",
                    "files_count",
                    "gzip_bytes",
                )
            }
        results["national"] = run_steps("national", archive, work, env, args.each_force, args.map)
        if not args.no_baseline:
            real = args.data / "police-uk"
            if real.is_dir():
                results["baseline"] = run_steps(
                    "baseline", real, work, env, args.each_force, args.map
                )
            else:
                print(f"note: no real files at {real}; baseline left out", file=sys.stderr)
        results["targets"] = targets(results["national"])
        results["machine"]["load_average_at_end"] = os.getloadavg()
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return results


if __name__ == "__main__":
    main()
