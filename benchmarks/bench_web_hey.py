"""Benchmark: the web app under a room of analysts, measured with ``hey``, against a release.

Run from the repository root (needs Debian's ``hey``: ``apt-get install hey``):

    python benchmarks/bench_web_hey.py [--duration 20] [--baseline a7d0b26] [--json FILE]

``hey`` is a compiled load generator: unlike a Python client it leaves the CPU to the
server, so what is measured is the app. Every request goes through the whole app:
the session lookup, the route table's check, the cached analysis, and the access-log
entry written (and committed) before the response leaves.

For each server, on the bundled sample (Hertfordshire, Bedfordshire, Cambridgeshire
street crimes, 2025), with fresh databases and five signed-in analysts:

- ``/health``, closed loop: 50 clients, each sending its next request as soon as the
  last is answered: what this machine, uvicorn and the middleware manage doing nothing;
- the cached Hertfordshire Gi* map layer the hotspot page draws
  (``/api/hotspots?force=hertfordshire&crime_type=Drugs&cell=250&method=gistar&format=geojson&cells=map``),
  closed loop, 50 clients in five ``hey`` processes of ten, one session each;
- the same layer paced: 50 clients at one request a second each (``hey -q 1``).

Servers, in the same run: the release given by ``--baseline`` (checked out in a
temporary git worktree and served from its own source, one worker: "today's
figures"), and this tree with one worker and with ``--workers 2``. For each
scenario: requests a second, p50/p95/p99 latency, errors, and the CPU share of the
server processes and of ``hey`` (CPU seconds over wall seconds times cores), since
client and server share the machine.

Targets (issue 10): closed-loop throughput on the cached layer at least half of
``/health``'s with the same workers; paced p95 under 150 ms.
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

SERVE_ONE = """
import sys
from pathlib import Path
import uvicorn
from harmwatch.web import WebSettings, create_app
root = Path(sys.argv[1])
app = create_app(WebSettings(analytics_db=root / "analytics.duckdb",
                             database_url=f"sqlite:///{root / 'records.sqlite'}"))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
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


def hey(
    url: str, duration: float, clients: int, cookie: str | None, rate: float | None
) -> subprocess.Popen[str]:
    command = ["hey", "-z", f"{duration:g}s", "-c", str(clients), "-o", "csv"]
    if rate:
        command += ["-q", f"{rate:g}"]
    if cookie:
        command += ["-H", f"Cookie: hw_session={cookie}"]
    return subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True)


def run_scenario(
    server: str,
    name: str,
    base: str,
    path: str,
    cookies: list[str | None],
    duration: float,
    server_pids: list[int],
    rate: float | None = None,
) -> Result:
    per = CLIENTS // len(cookies)
    cores = os.cpu_count() or 1
    before = cpu_seconds(server_pids)
    times = os.times()
    hey_before = times.children_user + times.children_system  # hey runs as our child
    started = time.monotonic()
    runs = [hey(base + path, duration, per, cookie, rate) for cookie in cookies]
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
    )


def measure(label: str, src: Path, workers: int, duration: float, scratch: Path) -> list[Result]:
    data = scratch / label.replace(" ", "-").replace(",", "")
    data.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src), "HARMWATCH_HOME": str(data / "home")}
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(data), str(ANALYSTS), PASSWORD], env=env, check=True
    )
    port = free_port()
    if workers == 1:
        command = [sys.executable, "-c", SERVE_ONE, str(data), str(port)]
    else:
        command = [
            sys.executable, "-m", "harmwatch.cli.main", "serve", "--workers", str(workers),
            "--port", str(port), "--db", str(data / "analytics.duckdb"),
            "--database-url", f"sqlite:///{data / 'records.sqlite'}",
        ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=90.0)
        cookies: list[str | None] = [sign_in(base, f"analyst{i}") for i in range(ANALYSTS)]
        with httpx.Client(
            base_url=base, timeout=120, cookies={"hw_session": str(cookies[0])}
        ) as client:
            for _ in range(4 * workers):  # each worker computes and caches the layer once
                client.get(LAYER).raise_for_status()
        pids = [server.pid]
        results = [
            run_scenario(
                label, "/health, closed loop", base, "/health", [None] * ANALYSTS, duration, pids
            ),
            run_scenario(label, "layer, closed loop", base, LAYER, cookies, duration, pids),
            run_scenario(
                label, "layer, 1 request/s per client", base, LAYER, cookies, duration, pids, rate=1
            ),
        ]
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--baseline", default="a7d0b26", help="git revision to compare with")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("hey"):
        sys.exit("this benchmark needs hey: apt-get install hey")
    scratch = Path(tempfile.mkdtemp(prefix="hw-bench-hey-"))
    worktree = scratch / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.baseline],
                   check=True, capture_output=True)  # fmt: skip
    results: list[Result] = []
    try:
        results += measure(
            f"release {args.baseline}, 1 worker", worktree / "src", 1, args.duration, scratch
        )
        results += measure("this tree, 1 worker", ROOT / "src", 1, args.duration, scratch)
        results += measure("this tree, 2 workers", ROOT / "src", 2, args.duration, scratch)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False
        )
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{os.cpu_count()} cores; {args.duration:g} s a scenario; hey with {CLIENTS} clients")
    print(
        f"{'server':<32} {'scenario':<32} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>5} {'server CPU':>10} {'hey CPU':>8}"
    )
    for r in results:
        print(
            f"{r.server:<32} {r.scenario:<32} {r.requests_per_s:8.0f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{r.p99_ms:7.1f} {r.errors:5d} {r.server_cpu_share:10.0%} {r.hey_cpu_share:8.0%}"
        )
    by = {(r.server, r.scenario): r for r in results}
    for server in dict.fromkeys(r.server for r in results):
        health = by[(server, "/health, closed loop")].requests_per_s
        layer = by[(server, "layer, closed loop")].requests_per_s
        paced = by[(server, "layer, 1 request/s per client")].p95_ms
        print(
            f"{server}: layer/health throughput {layer / health:.2f} (target >= 0.50); "
            f"paced p95 {paced:.0f} ms (target < 150)"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")


if __name__ == "__main__":
    main()
