"""Two ``harmwatch serve`` processes behind one PostgreSQL and one analytics store work together.

Two real servers (subprocesses on two ports, as two hosts' servers would be, each with
a data directory of its own) share a records database on a real PostgreSQL server (the
suite's own, tests/_postgres.py), one analytics store and one access-log key file.
Then, all at once from both:

- police.uk uploads: a different force-month for each, plus one force-month sent to
  both servers. The test holds the ingest lock itself while they start, and lets go
  only once PostgreSQL shows every upload waiting for it, so they certainly collide;
  each upload's outcome reports its hold of the lock (its number and the database
  server's clock at taking and letting go), and no two holds may overlap;
- wrong passwords for one name, half to each server: the lock must come at exactly
  the fifth, whichever server counted it;
- many requests of two signed-in sessions, each session on both servers, every one
  of them an access-log entry.

Then the store must hold every force-month sent exactly once (the one sent twice loaded
once, "unchanged" the second time), and ``harmwatch audit verify`` must pass over
exactly the entries those requests make. No sleep decides anything: the start is a
barrier, and the uploads' start waits on the lock's own state in ``pg_locks``.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from webhelpers import CSRF_META, LOGIN_TOKEN, make_records, password_for

from harmwatch.cli.demo import sample_dir
from harmwatch.security import audit
from harmwatch.security.accounts import MAX_FAILURES
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.status import store_status
from harmwatch.storage.dblock import INGEST_LOCK, DatabaseLock
from harmwatch.storage.records import make_engine, session_scope

USERS = {
    "uploader-a": Role.ANALYST,
    "uploader-b": Role.ANALYST,
    "target": Role.ANALYST,  # the name guessed at
    "auditor": Role.DATA_PROTECTION_OFFICER,
}
# Each server gets four force-months of its own; Hertfordshire's January goes to both.
OWN = {
    "a": [(f"2025-0{m}", "bedfordshire") for m in (1, 2, 3, 4)],
    "b": [(f"2025-0{m}", "cambridgeshire") for m in (1, 2, 3, 4)],
}
BOTH = ("2025-01", "hertfordshire")
WRONG_PER_SERVER = 4  # eight wrong passwords, more than the five that lock
READS_PER_SESSION = 30  # per signed-in session, alternating servers
CHEAP_LOGGED = "/api/boundaries"  # a consultation that reads no analytics


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    url: str
    store: Path
    env: dict[str, str]
    bases: dict[str, str]  # server name -> base URL
    servers: dict[str, subprocess.Popen[bytes]]


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            output = server.stderr.read().decode() if server.stderr else ""
            pytest.fail(f"a server exited while starting:\n{output[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)


@pytest.fixture
def cluster(tmp_path: Path, fresh_postgres_url: str) -> Iterator[Cluster]:
    make_records(fresh_postgres_url, USERS)
    store = tmp_path / "shared" / "analytics.duckdb"  # no store yet: the uploads make it
    store.parent.mkdir()
    env = {
        **os.environ,
        # Every server must chain the access log with the same key.
        "HARMWATCH_AUDIT_KEY_FILE": str(tmp_path / "shared" / "audit.key"),
        "HARMWATCH_DATABASE_URL": fresh_postgres_url,
    }
    servers: dict[str, subprocess.Popen[bytes]] = {}
    bases: dict[str, str] = {}
    try:
        for name in ("a", "b"):
            port = _free_port()
            servers[name] = subprocess.Popen(
                [
                    sys.executable, "-m", "harmwatch.cli.main", "serve", "--port", str(port),
                    "--db", str(store), "--database-url", fresh_postgres_url,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**env, "HARMWATCH_HOME": str(tmp_path / f"host-{name}")},
            )  # fmt: skip
            bases[name] = f"http://127.0.0.1:{port}"
        for name in servers:
            _wait_ready(bases[name], servers[name])
        yield Cluster(fresh_postgres_url, store, env, bases, servers)
    finally:
        for server in servers.values():
            server.terminate()
        outputs = []
        for server in servers.values():
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
            outputs.append(server.stderr.read().decode() if server.stderr else "")
    for output in outputs:
        assert "Traceback" not in output, output[-3000:]


def _sign_in(base: str, username: str) -> tuple[dict[str, str], str]:
    """Sign in through ``base``'s form: the session cookie and its CSRF token (read from /data)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = LOGIN_TOKEN.search(client.get("/login").text)
        assert form
        signed = client.post(
            "/login",
            data={"username": username, "password": password_for(username),
                  "csrf_token": form.group(1)},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        cookies = {"hw_session": str(client.cookies.get("hw_session"))}
        page = client.get("/data")
        assert page.status_code == 200, page.text
        csrf = CSRF_META.search(page.text)
        assert csrf
        return cookies, csrf.group(1)


def _wrong_password(base: str) -> str:
    """One wrong password for ``target``: the sign-in page's error."""
    with httpx.Client(base_url=base, timeout=120) as client:
        form = LOGIN_TOKEN.search(client.get("/login").text)
        assert form
        answer = client.post(
            "/login",
            data={"username": "target", "password": "not-the-password-at-all",
                  "csrf_token": form.group(1)},
        )  # fmt: skip
        assert answer.status_code == 401, answer.text
        if "unknown username or wrong password" in answer.text:
            return "bad"
        assert "too many failed sign-ins" in answer.text, answer.text
        return "locked"


def _street_file(month: str, force: str) -> Path:
    return sample_dir() / month / f"{month}-{force}-street.csv.gz"


def _upload(base: str, cookies: dict[str, str], csrf: str, month: str, force: str) -> Any:
    path = _street_file(month, force)
    response = httpx.post(
        f"{base}/api/uploads",
        files={"files": (path.name, path.read_bytes(), "application/gzip")},
        headers={"X-CSRF-Token": csrf},
        cookies=cookies,
        timeout=300,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _reads(bases: list[str], cookies: dict[str, str]) -> list[int]:
    return [
        httpx.get(f"{bases[i % 2]}{CHEAP_LOGGED}", cookies=cookies, timeout=60).status_code
        for i in range(READS_PER_SESSION)
    ]


def _rows_in(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1  # less the header


def test_two_servers_serialise_uploads_count_lockouts_and_keep_one_chain(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases["a"], cluster.bases["b"]
    sessions = {"a": _sign_in(a, "uploader-a"), "b": _sign_in(b, "uploader-b")}
    uploads = [("a", month, force) for month, force in OWN["a"]]
    uploads += [("b", month, force) for month, force in OWN["b"]]
    uploads += [("a", *BOTH), ("b", *BOTH)]
    engine = make_engine(cluster.url)
    lock = DatabaseLock(engine, INGEST_LOCK)
    start = threading.Barrier(len(uploads) + 2 * WRONG_PER_SERVER + 2 + 1)

    def at_start(job: Any, *args: Any) -> Any:
        start.wait(60)
        return job(*args)

    with ThreadPoolExecutor(max_workers=start.parties) as pool:
        with lock.hold(holder="test:start-line", what="the test's start line", wait_s=10):
            sent = [
                pool.submit(at_start, _upload, cluster.bases[s], *sessions[s], month, force)
                for s, month, force in uploads
            ]
            wrong = [
                pool.submit(at_start, _wrong_password, base)
                for base in (a, b)
                for _ in range(WRONG_PER_SERVER)
            ]
            reads = [pool.submit(at_start, _reads, [a, b], sessions[s][0]) for s in ("a", "b")]
            start.wait(60)
            # Every upload is queued on the lock (PostgreSQL says so) before it is let go.
            deadline = time.monotonic() + 90
            while lock.waiting() != len(uploads):
                assert time.monotonic() < deadline, f"{lock.waiting()} uploads waiting"
                time.sleep(0.05)
        outcomes = [f.result() for f in sent]
        answers = Counter(f.result() for f in wrong)
        statuses = [status for f in reads for status in f.result()]
    # The one correct password after the lock: still refused, on either server.
    assert _right_password(b) == "locked"

    # -- the uploads came one at a time: their holds of the lock do not overlap -------
    holds = sorted((o["lock"] for o in outcomes), key=lambda h: h["hold"])
    assert [h["hold"] for h in holds] == list(range(2, len(uploads) + 2))  # 1: the test's
    for before, after in itertools.pairwise(holds):
        assert datetime.fromisoformat(before["released_at"]) <= datetime.fromisoformat(
            after["acquired_at"]
        ), (before, after)
    # Each said what it waited for; the first in line, the test's hold.
    assert all(h["queued_behind"] for h in holds)
    assert any("the test's start line by test:start-line" in h["queued_behind"] for h in holds)
    assert lock.holder() is None

    # -- every force-month sent is loaded exactly once ------------------------------
    twice = _street_file(*BOTH).name
    assert sorted(f["status"] for o in outcomes for f in o["files"] if f["file"] == twice) == [
        "loaded",
        "unchanged",
    ]
    sent_months = {(force, month) for _, month, force in uploads}
    status = store_status(cluster.store)
    street = [r for r in status.by_force_month if r["kind"] == "street"]
    assert sorted((r["force"], r["month"]) for r in street) == sorted(sent_months)
    for row in street:
        assert row["rows"] == _rows_in(_street_file(row["month"], row["force"])), row
    live_loads = Counter((load["force"], load["month"]) for load in status.loads)
    assert live_loads == Counter(sent_months), live_loads
    assert {load["loaded_by"] for load in status.loads} == {"web:uploader-a", "web:uploader-b"}

    # -- the lockout came at exactly the limit, counted across both servers ---------
    assert answers == {"bad": MAX_FAILURES - 1, "locked": 2 * WRONG_PER_SERVER - MAX_FAILURES + 1}
    assert statuses == [200] * (2 * READS_PER_SESSION)

    # -- the access log: every request once, one chain ------------------------------
    with session_scope(engine) as db:
        entries = [audit.entry_dict(e) for e in audit.iter_entries(db)]
    engine.dispose()
    failed = [e for e in entries if e["action"] == "sign-in-failed"]
    assert Counter(json.loads(e["details"])["reason"] for e in failed) == {
        "BadCredentials": MAX_FAILURES - 1,
        "LockedOut": 2 * WRONG_PER_SERVER - MAX_FAILURES + 2,  # with the right password
    }
    assert all(e["actor"] == "target" for e in failed)
    assert Counter(e["actor"] for e in entries if e["action"] == "sign-in") == {
        "uploader-a": 1,
        "uploader-b": 1,
    }
    reads_logged = [e for e in entries if e["target"] == f"route:{CHEAP_LOGGED}"]
    assert len(reads_logged) == 2 * READS_PER_SESSION
    loads_logged = Counter(
        e["outcome"] for e in entries if e["target"] == "store:police-uk"
    )  # the intent, then the outcome
    assert loads_logged == {"started": len(uploads), "ok": len(uploads)}
    data_pages = [e for e in entries if e["target"] == "route:/data"]
    expected = 2 + len(data_pages) + len(failed) + len(reads_logged) + 2 * len(uploads)
    assert len(data_pages) == 2
    assert len(entries) == expected, Counter((e["action"], e["target"]) for e in entries)
    assert [e["id"] for e in entries] == list(range(1, expected + 1))

    verified = subprocess.run(
        [
            sys.executable, "-m", "harmwatch.cli.main", "audit", "verify", "--as", "auditor",
            "--database-url", cluster.url,
        ],
        input=password_for("auditor") + "\n",
        capture_output=True,
        text=True,
        env=cluster.env,
        timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"access log intact: {expected:,} entries checked" in verified.stdout


def _right_password(base: str) -> str:
    """The right password for the locked name: refused while the lock lasts."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = LOGIN_TOKEN.search(client.get("/login").text)
        assert form
        answer = client.post(
            "/login",
            data={"username": "target", "password": password_for("target"),
                  "csrf_token": form.group(1)},
        )  # fmt: skip
        if answer.status_code == 401 and "too many failed sign-ins" in answer.text:
            return "locked"
        return f"{answer.status_code}"
