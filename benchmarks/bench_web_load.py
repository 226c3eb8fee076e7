"""Benchmark: the hotspot-map API under 50 concurrent clients, with and without the result cache.

Run from the repository root:

    python benchmarks/bench_web_load.py [--clients 50] [--duration 20] [--json]

What it does: loads the bundled police.uk sample (Hertfordshire, Bedfordshire,
Cambridgeshire street crimes, 2025) into a temporary DuckDB file, creates a
records database with one analyst, then for each mode starts ``harmwatch``'s web
app with uvicorn in a *second process* on 127.0.0.1, signs each client in
through the login form, and runs ``--clients`` concurrent clients
(``httpx.AsyncClient``, one session each) for ``--duration`` seconds. Each client
requests the map layer the hotspot page draws
(``/api/hotspots?format=geojson&cells=map``) for filters drawn with a fixed
seed from 24 combinations (4 force choices x 3 methods x 2 cell sizes), the way a
room of analysts opening maps would.

Every request goes through the whole app: session lookup (a write: last-seen),
the route table's capability check, the analysis, and an access-log entry
written before the response (a second write). Latency is measured at the
client, from send to last byte.

Scenarios, in the same run, each against a fresh server process:

- ``cache``: the app as shipped (an LRU of computed results and rendered layers,
  keyed by filter and store version), closed loop: each client sends its next
  request as soon as the last one answers. Starts after a warm-up that opens each
  of the 24 maps once (the first analyst of the day; its time is reported).
- ``no-cache``: the same with ``cache_size=0``, so every request runs the
  library's ``hotspots`` and renders the layer: the baseline.
- ``cache, paced`` / ``no-cache, paced``: each client asks for one map a second
  (50 requests a second offered), a busy room of analysts rather than a flood.
- ``floor: /health``: the app's public no-op endpoint, closed loop: what this
  machine, uvicorn and the httpx clients manage with no work at all.

With N clients in a closed loop, latency is about N / throughput (Little's law),
so a p95 under 200 ms with 50 closed-loop clients needs about 250+ requests a
second; compare the ``floor`` line before reading the others. CPU time per
request is reported for the server process and for the client process (they
share the machine's cores). Target: p95 under 200 ms with the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import re
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx

USERNAME = "bench-analyst"
PASSWORD = "bench-analyst-password-1"
FORCES = ([], ["hertfordshire"], ["bedfordshire"], ["cambridgeshire"])
METHODS = ("gistar", "kde", "count")
CELLS = (500, 1000)
CACHE_SIZE = 256  # WebSettings' default
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def prepare(root: Path) -> tuple[Path, str]:
    """The sample in DuckDB and a records database with one analyst."""
    from harmwatch.cli.demo import sample_dir
    from harmwatch.security.accounts import create_user
    from harmwatch.security.roles import Role
    from harmwatch.sources.policeuk.ingest import ingest
    from harmwatch.storage.records import make_engine, session_scope, upgrade

    db = root / "analytics.duckdb"
    ingest([sample_dir()], db)
    url = f"sqlite:///{root / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        create_user(session, USERNAME, Role.ANALYST, PASSWORD)
    engine.dispose()
    return db, url


def serve(db: str, url: str, upload_dir: str, cache_size: int, port: int) -> None:
    """The server process: the app exactly as ``harmwatch serve`` builds it."""
    import uvicorn

    from harmwatch.web import WebSettings, create_app

    app = create_app(
        WebSettings(
            analytics_db=Path(db),
            database_url=url,
            cache_size=cache_size,
            upload_dir=Path(upload_dir),
        )
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {base} did not start in {timeout:.0f} s")


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = LOGIN_TOKEN.search(page.text)
    if not token:
        raise RuntimeError("no sign-in form")
    response = await client.post(
        "/login",
        data={"username": USERNAME, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    if response.status_code != 303 or "hw_session" not in client.cookies:
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def layer_url(forces: list[str], method: str, cell: int) -> str:
    params: list[tuple[str, str]] = [("force", f) for f in forces]
    params += [
        ("crime_type", "Drugs"),
        ("method", method),
        ("cell", str(cell)),
        ("format", "geojson"),
        ("cells", "map"),
    ]
    return "/api/hotspots?" + "&".join(f"{k}={v}" for k, v in params)


ALL_LAYERS = [layer_url(f, m, c) for f in FORCES for m in METHODS for c in CELLS]


def map_url(rng: random.Random) -> str:
    return rng.choice(ALL_LAYERS)


def warm_up(base: str) -> float:
    """Open each of the 24 maps once, one after another (the first analyst of the day)."""
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token
        client.post(
            "/login",
            data={"username": USERNAME, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        for url in ALL_LAYERS:
            client.get(url).raise_for_status()
    return time.perf_counter() - started


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


async def run_clients(
    base: str,
    clients: int,
    duration: float,
    seed: int,
    *,
    path: str | None = None,
    interval: float = 0.0,
) -> tuple[Outcome, float]:
    """``clients`` concurrent sessions for ``duration`` seconds.

    ``interval`` 0: each client sends its next request as soon as the last one
    answers (closed loop, the most load the clients can make). ``interval`` > 0:
    each client sends one request every ``interval`` seconds (starting at a
    random offset), like analysts who look at a map before opening the next.
    ``path``: request this instead of the varied map layers.
    """
    timeout = httpx.Timeout(120.0)
    sessions = [
        httpx.AsyncClient(base_url=base, timeout=timeout, follow_redirects=False)
        for _ in range(clients)
    ]
    for session in sessions:  # one session each, as fifty analysts would have
        await sign_in(session)
    outcome = Outcome()
    started = time.perf_counter()
    stop_at = started + duration

    async def client_loop(index: int, session: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + index)
        next_at = started + (rng.uniform(0, interval) if interval else 0.0)
        while True:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            if time.perf_counter() >= stop_at:
                break
            url = path or map_url(rng)
            sent = time.perf_counter()
            try:
                response = await session.get(url)
                body = response.content
            except httpx.HTTPError as exc:
                key = type(exc).__name__
                outcome.errors[key] = outcome.errors.get(key, 0) + 1
                continue
            elapsed = time.perf_counter() - sent
            if response.status_code != 200:
                key = str(response.status_code)
                outcome.errors[key] = outcome.errors.get(key, 0) + 1
                continue
            outcome.latencies.append(elapsed)
            outcome.bytes += len(body)

    await asyncio.gather(*(client_loop(i, s) for i, s in enumerate(sessions)))
    wall = time.perf_counter() - started
    for session in sessions:
        await session.aclose()
    return outcome, wall


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Scenario:
    name: str
    cache_size: int
    interval: float = 0.0  # seconds between one client's requests; 0: closed loop
    path: str | None = None  # None: the varied map layers


def run_scenario(
    scenario: Scenario, db: Path, url: str, root: Path, args: argparse.Namespace
) -> dict[str, Any]:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=serve,
        args=(str(db), url, str(root / f"uploads-{port}"), scenario.cache_size, port),
        daemon=True,
    )
    process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        warm_s = warm_up(base) if scenario.cache_size and not scenario.path else None
        server_before = process_cpu_s(process.pid or 0)
        client_before = time.process_time()
        outcome, wall = asyncio.run(
            run_clients(
                base,
                args.clients,
                args.duration,
                args.seed,
                path=scenario.path,
                interval=scenario.interval,
            )
        )
        client_cpu = time.process_time() - client_before
        server_after = process_cpu_s(process.pid or 0)
    finally:
        process.terminate()
        process.join(10)
    lat = outcome.latencies
    n = max(len(lat), 1)
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    return {
        "scenario": scenario.name,
        "cache_size": scenario.cache_size,
        "clients": args.clients,
        "loop": f"one request per client every {scenario.interval:g} s"
        if scenario.interval
        else "closed (next request when the last answers)",
        "path": scenario.path or "/api/hotspots?...&format=geojson&cells=map (24 filters)",
        "warm_up_s": round(warm_s, 2) if warm_s is not None else None,
        "duration_s": round(wall, 2),
        "requests_ok": len(lat),
        "errors": outcome.errors,
        "throughput_rps": round(len(lat) / wall, 1),
        "p50_ms": round(1000 * percentile(lat, 0.50), 1),
        "p95_ms": round(1000 * percentile(lat, 0.95), 1),
        "p99_ms": round(1000 * percentile(lat, 0.99), 1),
        "max_ms": round(1000 * max(lat), 1) if lat else None,
        "mean_response_kb": round(outcome.bytes / n / 1024, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / n, 2) if server_cpu else None,
        "client_cpu_ms_per_request": round(1000 * client_cpu / n, 2),
    }


SCENARIOS = (
    Scenario("cache", CACHE_SIZE),
    Scenario("no-cache", 0),
    Scenario("cache, paced", CACHE_SIZE, interval=1.0),
    Scenario("no-cache, paced", 0, interval=1.0),
    Scenario("floor: /health", CACHE_SIZE, path="/health"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per mode")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--only", default="", help="comma list of scenario names to run (default: all)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hw-bench-web-") as tmp:
        root = Path(tmp)
        db, url = prepare(root)
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        chosen = [s for s in SCENARIOS if not wanted or s.name in wanted]
        results = [run_scenario(s, db, url, root, args) for s in chosen]
    by_name = {r["scenario"]: r for r in results}
    if set(by_name) != {s.name for s in SCENARIOS}:
        print(json.dumps(results, indent=2))
        return
    cached, uncached = by_name["cache"], by_name["no-cache"]
    report = {
        "benchmark": "web load on the hotspot-map API, server in a second process on loopback",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "results": results,
        "target": "p95 < 200 ms",
        "speedup_p95_closed": round(uncached["p95_ms"] / cached["p95_ms"], 1),
        "speedup_throughput_closed": round(
            cached["throughput_rps"] / max(uncached["throughput_rps"], 1e-9), 1
        ),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['benchmark']} ({report['machine']}), {args.clients} clients, {args.duration:g} s each"
    )
    head = ("requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "resp KB", "srv CPU", "cli CPU")  # fmt: skip
    print(f"{'scenario':<17}" + "".join(f"{h:>9}" for h in head))
    for r in results:
        cells = (
            r["requests_ok"], sum(r["errors"].values()), r["throughput_rps"], r["p50_ms"],
            r["p95_ms"], r["p99_ms"], r["max_ms"], r["mean_response_kb"],
            r["server_cpu_ms_per_request"], r["client_cpu_ms_per_request"],
        )  # fmt: skip
        print(f"{r['scenario']:<17}" + "".join(f"{c!s:>9}" for c in cells))
    print(
        "resp KB: mean response after decompression; srv/cli CPU: CPU ms per request of the "
        "server process and of this (client) process; cache runs start after a warm-up "
        "that opens each of the 24 maps once"
    )
    paced = by_name["cache, paced"]
    print(
        f"closed loop: the cache gives {report['speedup_throughput_closed']}x the throughput and a "
        f"{report['speedup_p95_closed']}x lower p95; target p95 < 200 ms "
        f"{'met' if cached['p95_ms'] < 200 else 'NOT met'} closed-loop, "
        f"{'met' if paced['p95_ms'] < 200 else 'NOT met'} at one request per client per second"
    )


if __name__ == "__main__":
    main()
