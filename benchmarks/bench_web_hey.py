"""Benchmark: the web app under a room of analysts, measured with ``hey``, against a release.

Run from the repository root (needs Debian's ``hey``: ``apt-get install hey``):

    python benchmarks/bench_web_hey.py [--duration 20] [--baseline a7d0b26] [--workers 1 2]
                                       [--no-baseline] [--json FILE]

``hey`` is a compiled load generator: unlike a Python client it leaves most of the
CPU to the server, so what is measured is the app. Every request goes through the
whole app: the session read, the route table's check, the cached analysis, and the
access-log entry written (and committed) before the response leaves.

For each server, on the bundled sample (Hertfordshire, Bedfordshire, Cambridgeshire
street crimes, 2025), with fresh databases and five signed-in analysts:

- ``/health``, closed loop: 50 clients, each sending its next request as soon as the
  last is answered: what this machine, uvicorn and the middleware manage doing nothing;
- the cached Hertfordshire Gi* map layer the hotspot page draws
  (``/api/hotspots?force=hertfordshire&crime_type=Drugs&cell=250&method=gistar&format=geojson&cells=map``),
  closed loop, 50 clients in five ``hey`` processes of ten, one session each;
- the same layer paced: 50 clients at one request a second each (``hey -q 1``). hey's
  paced clients all fire at the same instant each second, so every second starts
  with 50 requests at once: the p95 is the time to drain that burst.

The layer is asked for as a browser asks (``Accept-Encoding: gzip``) and arrives
gzipped (62 KB of its 508 KB). The header is given to hey explicitly: Go's HTTP
client then hands the body over as it came instead of inflating it, which is the
browser's work on the analyst's own machine, not the server's, and on this machine
would take CPU from the server it measures.

Servers, in the same run, each started as production starts it (``harmwatch
serve``, with uvicorn's own settings): the release given by ``--baseline``
(checked out in a temporary git worktree and served from its own source, one
worker: "today's figures"), and this tree with each ``--workers`` count
(``--workers N`` for N > 1). For each scenario: requests a second, p50/p95/p99
latency, errors, and the CPU share of the server processes and of ``hey`` (CPU
seconds over wall seconds times cores), since client and server share the machine.
The exact ``hey`` command lines are printed (the session cookie elided).

Targets (issue 10): closed-loop throughput on the cached layer at least half of
``/health``'s with the same workers; 50 clients at one request a second each,
p95 under 150 ms.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_web_load import free_port, wait_ready  # noqa: E402

PASSWORD = "bench-analyst-password-1"
ANALYSTS = 5
CLIENTS = 50
LAYER = (
    "/api/hotspots?force=hertfordshire&crime_type=Drugs&cell=250&method=gistar"
    "&format=geojson&cells=map"
)
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

PREPARE = """
import sys
import harmwatch
print(harmwatch.__file__)
from pathlib import Path
from harmwatch.cli.demo import sample_dir
from harmwatch.security.accounts import create_user
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.storage.records import make_engine, session_scope, upgrade
root = Path(sys.argv[1])
ingest([sample_dir()], root / "analytics.duckdb")
engine = make_engine(f"sqlite:///{root / 'records.sqlite'}")
upgrade(engine)
with session_scope(engine) as db:
    for i in range(int(sys.argv[2])):
        create_user(db, f"analyst{i}", "analyst", sys.argv[3])
"""


@dataclass
class Result:
    server: str
    scenario: str
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    server_cpu_share: float
    hey_cpu_share: float
    server_cpu_ms_per_request: float
    hey_commands: list[str]
    hey_processes: int


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes and their children (uvicorn's workers)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    seen: set[int] = set()
    pending = list(pids)
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        pending += [int(c) for c in children]
    return total


def sign_in(base: str, username: str) -> str:
    with httpx.Client(base_url=base, timeout=60) as client:
        token = LOGIN_TOKEN.search(client.get("/login").text)
        if not token:
            raise RuntimeError("no sign-in form")
        client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        cookie = client.cookies.get("hw_session")
        if not cookie:
            raise RuntimeError(f"sign-in of {username} failed")
        return cookie


#: What a browser's fetch of a map layer says it accepts (see the module's docstring).
LAYER_HEADERS = ("Accept-Encoding: gzip",)


def hey_command(
    url: str,
    duration: float,
    clients: int,
    cookie: str | None,
    rate: float | None,
    headers: tuple[str, ...] = (),
) -> list[str]:
    command = ["hey", "-z", f"{duration:g}s", "-c", str(clients), "-o", "csv"]
    if rate:
        command += ["-q", f"{rate:g}"]
    for header in headers:
        command += ["-H", header]
    if cookie:
        command += ["-H", f"Cookie: hw_session={cookie}"]
    return [*command, url]


def shown(command: list[str]) -> str:
    """A hey command line as a shell would take it, the session cookie elided."""
    parts = [re.sub(r"hw_session=\S+", "hw_session=…", part) for part in command]
    return " ".join(f"'{part}'" if re.search(r"[\s&?;=]", part) else part for part in parts)


def run_scenario(
    server: str,
    name: str,
    base: str,
    path: str,
    cookies: list[str | None],
    duration: float,
    server_pids: list[int],
    rate: float | None = None,
    headers: tuple[str, ...] = (),
) -> Result:
    per = CLIENTS // len(cookies)
    cores = os.cpu_count() or 1
    commands = [hey_command(base + path, duration, per, c, rate, headers) for c in cookies]
    before = cpu_seconds(server_pids)
    times = os.times()
    hey_before = times.children_user + times.children_system  # hey runs as our child
    started = time.monotonic()
    runs = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in commands]
    outputs = [run.communicate()[0] for run in runs]
    wall = time.monotonic() - started
    server_cpu = cpu_seconds(server_pids) - before
    latencies: list[float] = []
    errors = 0
    for output in outputs:
        for row in csv.DictReader(io.StringIO(output)):
            latencies.append(float(row["response-time"]) * 1000)
            errors += row["status-code"] != "200"
    times = os.times()
    hey_cpu = times.children_user + times.children_system - hey_before
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))]
            if latencies
            else float("nan")
        )

    return Result(
        server=server,
        scenario=name,
        requests_per_s=len(latencies) / duration,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p95_ms=pct(0.95),
        p99_ms=pct(0.99),
        errors=errors,
        server_cpu_share=server_cpu / (wall * cores),
        hey_cpu_share=hey_cpu / (wall * cores),
        server_cpu_ms_per_request=1000 * server_cpu / len(latencies) if latencies else float("nan"),
        hey_commands=list(dict.fromkeys(shown(c) for c in commands)),
        hey_processes=len(commands),
    )


def wait_for_workers(log: Path, workers: int, timeout: float) -> None:
    """Until every worker has said it started (uvicorn logs it once a worker)."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("Application startup complete") < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} workers did not all start in {timeout:.0f} s")
        time.sleep(0.5)


def measure(label: str, src: Path, workers: int, duration: float, scratch: Path) -> list[Result]:
    data = scratch / label.replace(" ", "-").replace(",", "")
    data.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src), "HARMWATCH_HOME": str(data / "home")}
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(data), str(ANALYSTS), PASSWORD], env=env, check=True
    )
    port = free_port()
    # Served as production serves it: ``harmwatch serve``, uvicorn's own settings.
    command = [
        sys.executable, "-m", "harmwatch.cli.main", "serve", "--port", str(port),
        "--db", str(data / "analytics.duckdb"),
        "--database-url", f"sqlite:///{data / 'records.sqlite'}",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    errors = (data / "server-errors.log").open("wb")  # a pipe nobody read could stall it
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=180.0)
        wait_for_workers(data / "server-errors.log", workers, timeout=180.0)
        cookies: list[str | None] = [sign_in(base, f"analyst{i}") for i in range(ANALYSTS)]
        with httpx.Client(
            base_url=base, timeout=120, cookies={"hw_session": str(cookies[0])}
        ) as client:
            client.get(LAYER, headers={"accept-encoding": "gzip"}).raise_for_status()
        # Fifty connections for a few seconds, so that every worker has computed and
        # cached the layer (and its gzip) before the clock starts.
        warm = hey_command(base + LAYER, 3, CLIENTS, cookies[0], None, LAYER_HEADERS)
        subprocess.run(warm, check=True, capture_output=True)
        pids = [server.pid]
        results = [
            run_scenario(
                label, "/health, closed loop", base, "/health", [None] * ANALYSTS, duration, pids
            ),
            run_scenario(
                label,
                "layer, closed loop",
                base,
                LAYER,
                cookies,
                duration,
                pids,
                headers=LAYER_HEADERS,
            ),
            run_scenario(
                label,
                "layer, 1 request/s per client",
                base,
                LAYER,
                cookies,
                duration,
                pids,
                rate=1,
                headers=LAYER_HEADERS,
            ),
        ]
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        errors.close()
    return results


def verdicts(results: list[Result]) -> list[dict[str, object]]:
    """Each server's figures against the issue's targets."""
    by = {(r.server, r.scenario): r for r in results}
    out: list[dict[str, object]] = []
    for server in dict.fromkeys(r.server for r in results):
        health = by[(server, "/health, closed loop")]
        layer = by[(server, "layer, closed loop")]
        paced = by[(server, "layer, 1 request/s per client")].p95_ms
        ratio = layer.requests_per_s / health.requests_per_s if health.requests_per_s else 0.0
        out.append(
            {
                "server": server,
                "layer_over_health": ratio,
                "throughput_target_met": ratio >= 0.5,
                "paced_p95_ms": paced,
                "paced_target_met": paced < 150,
                # The same comparison by the server's CPU per request (health's over the
                # layer's), which other load on the machine disturbs less.
                "cpu_per_request_ratio": health.server_cpu_ms_per_request
                / layer.server_cpu_ms_per_request,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--baseline", default="a7d0b26", help="git revision to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="this tree only (iterating)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts for this tree"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("hey"):
        sys.exit("this benchmark needs hey: apt-get install hey")
    load_before = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="hw-bench-hey-"))
    worktree = scratch / "baseline"
    results: list[Result] = []
    try:
        if not args.no_baseline:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree),
                            args.baseline], check=True, capture_output=True)  # fmt: skip
            results += measure(
                f"release {args.baseline}, 1 worker", worktree / "src", 1, args.duration, scratch
            )
        for workers in args.workers:
            label = f"this tree, {workers} worker{'s' if workers > 1 else ''}"
            results += measure(label, ROOT / "src", workers, args.duration, scratch)
    finally:
        if worktree.exists():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                check=False,
            )
        shutil.rmtree(scratch, ignore_errors=True)
    cores = os.cpu_count()
    print(f"{cores} cores; {args.duration:g} s a scenario; hey with {CLIENTS} clients")
    print(f"load average (1, 5, 15 min) before: {load_before}; after: {os.getloadavg()}")
    print("hey commands, per scenario (its processes run at once, one per signed-in analyst):")
    for scenario in dict.fromkeys(r.scenario for r in results):
        first = next(r for r in results if r.scenario == scenario)
        print(f"  {scenario}: {first.hey_processes} processes of")
        for command in first.hey_commands:
            print(f"    {command}")
    print(
        f"{'server':<32} {'scenario':<32} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'err':>5} {'server CPU':>10} {'hey CPU':>8} {'CPU/req':>8}"
    )
    for r in results:
        print(
            f"{r.server:<32} {r.scenario:<32} {r.requests_per_s:8.0f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{r.p99_ms:7.1f} {r.errors:5d} {r.server_cpu_share:10.0%} {r.hey_cpu_share:8.0%} "
            f"{r.server_cpu_ms_per_request:6.2f}ms"
        )
    print(
        "CPU shares are of all the machine's cores (the rest went to other processes or idle); "
        "CPU/req is the server's CPU time per answered request, which other load on the "
        "machine disturbs less than the rates do."
    )
    checked = verdicts(results)
    for v in checked:
        print(
            f"{v['server']}: layer/health throughput {v['layer_over_health']:.2f} "
            f"(target >= 0.50: {'met' if v['throughput_target_met'] else 'NOT met'}); "
            f"paced p95 {v['paced_p95_ms']:.0f} ms "
            f"(target < 150: {'met' if v['paced_target_met'] else 'NOT met'}); "
            f"by CPU per request {v['cpu_per_request_ratio']:.2f}"
        )
    if args.json:
        report = {
            "cores": cores,
            "duration_s": args.duration,
            "clients": CLIENTS,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "results": [asdict(r) for r in results],
            "targets": checked,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
