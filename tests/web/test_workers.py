"""Several worker processes: the store gate holds across processes; `serve --workers` serves."""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from webhelpers import new_env, password_for, sample_csv

from harmwatch.security.roles import Role
from harmwatch.web.cache import gate_for

LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _hold_read(db: str, held: object, release: object) -> None:
    gate = gate_for(Path(db))
    with gate.read():
        held.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]


def test_a_writer_waits_for_a_reader_in_another_process(tmp_path: Path) -> None:
    db = tmp_path / "analytics.duckdb"
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    reader = ctx.Process(target=_hold_read, args=(str(db), held, release))
    reader.start()
    try:
        assert held.wait(20)
        gate = gate_for(db)
        started = time.monotonic()
        timer = threading.Timer(0.5, release.set)
        timer.start()
        with gate.write():
            waited = time.monotonic() - started
        assert waited >= 0.4  # it could not write while the other process read
    finally:
        release.set()
        reader.join(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_shares_the_store_and_sees_an_upload(
    tmp_path: Path, sample_db: Path
) -> None:
    env = new_env(tmp_path / "env", sample_db, {"analyst": Role.ANALYST})
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "harmwatch.cli.main", "serve", "--workers", "2",
            "--port", str(port), "--db", str(env.analytics_db),
            "--database-url", env.database_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HARMWATCH_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = LOGIN_TOKEN.search(client.get("/login").text)
            assert token
            client.post(
                "/login",
                data={"username": "analyst", "password": password_for("analyst"),
                      "csrf_token": token.group(1)},
            )  # fmt: skip
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
            assert csrf
            before = [client.get("/api/status").json()["rows"]["street"] for _ in range(6)]
            assert len(set(before)) == 1
            text = sample_csv("2025-01", "hertfordshire")
            shorter = "\n".join(text.splitlines()[:101]) + "\n"  # the month, cut to 100 rows
            loaded = client.post(
                "/api/uploads",
                files={"files": ("2025-01-hertfordshire-street.csv", shorter.encode(), "text/csv")},
                headers={"X-CSRF-Token": csrf.group(1)},
            )
            assert loaded.status_code == 200, loaded.text
            time.sleep(1.2)  # another worker re-reads the store's version within a second
            after = {client.get("/api/status").json()["rows"]["street"] for _ in range(8)}
            assert len(after) == 1 and after.pop() < before[0]
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    output = server.stdout.read().decode() if server.stdout else ""
    assert "2 worker processes" in output
    assert "Traceback" not in output, output[-3000:]
