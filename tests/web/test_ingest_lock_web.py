"""Loads of the analytics store wait for each other through the records database's ingest lock.

In one process: the test holds the lock as another app server (or a shell's ``harmwatch
ingest``) would, and the web app's upload, the call-data import job and the command
line must wait for it, say whose load they wait for, or refuse naming it. Import jobs
live in the records database, so a second app over the same records database answers
their progress. The two-server test (test_two_servers.py) does the same across real
processes on PostgreSQL.
"""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner
from webhelpers import (
    access_log_of,
    new_env,
    new_intelligence_env,
    sample_csv,
    sign_in,
    small_call_scenario,
)

from harmwatch.cli.demo import sample_dir
from harmwatch.cli.main import app as cli
from harmwatch.security.roles import Role
from harmwatch.storage.dblock import INGEST_LOCK, DatabaseLock, Held
from harmwatch.storage.models import DatabaseLockHolder
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app


def _until(condition: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    """Poll ``condition`` until it is true (it decides nothing: the state is what is waited for)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


class OtherServer:
    """Holds a records database's ingest lock as another app server's load would."""

    def __init__(self) -> None:
        self._stack = ExitStack()

    def take(self, url: str) -> Held:
        engine = make_engine(url)
        self._stack.callback(engine.dispose)
        return self._stack.enter_context(
            DatabaseLock(engine, INGEST_LOCK).hold(holder="web:alice", what="a police.uk upload")
        )

    def release(self) -> None:
        self._stack.close()


@pytest.fixture
def other_server() -> Iterator[OtherServer]:
    other = OtherServer()
    yield other
    other.release()


def test_an_upload_waits_its_turn_or_is_refused_naming_the_load_it_waited_for(
    tmp_path: Path, sample_db: Path, other_server: OtherServer
) -> None:
    env = new_env(tmp_path / "env", sample_db, {"analyst": Role.ANALYST})
    shorter = "\n".join(sample_csv().splitlines()[:51]) + "\n"
    upload = {"files": ("2025-01-hertfordshire-street.csv", shorter.encode(), "text/csv")}
    with TestClient(create_app(env.settings(ingest_wait_s=0.2))) as client:
        csrf = sign_in(client, "analyst")
        free = client.post("/api/uploads", files=upload, headers={"X-CSRF-Token": csrf})
        assert free.status_code == 200, free.text
        lock = free.json()["lock"]
        assert (lock["lock"], lock["hold"], lock["queued_behind"]) == (INGEST_LOCK, 1, None)
        assert lock["acquired_at"] <= lock["released_at"]

        other_server.take(env.database_url)
        busy = client.post("/api/uploads", files=upload, headers={"X-CSRF-Token": csrf})
    assert busy.status_code == 503, busy.text
    detail = busy.json()["detail"]
    assert "held by a police.uk upload by web:alice on" in detail and "since" in detail
    logged = access_log_of(env.database_url, "analyst")
    loads = sorted(
        (e for e in logged if e["action"] == "collection"), key=lambda e: int(str(e["id"]))
    )
    assert [e["outcome"] for e in loads] == ["started", "ok", "started", "refused"]
    details: list[Any] = [e["details"] for e in loads]
    assert details[1]["ingest_lock"]["hold"] == 1
    assert "web:alice" in str(details[3]["error"])


def test_a_queued_import_job_is_answered_by_another_app_server(
    tmp_path: Path, sample_db: Path, other_server: OtherServer
) -> None:
    env, _ = new_intelligence_env(tmp_path / "env", sample_db)
    scenario = small_call_scenario(tmp_path / "scenario")
    with (
        TestClient(create_app(env.settings())) as one,
        TestClient(create_app(env.settings())) as other,
    ):
        csrf = sign_in(one, "intelligence-officer")
        other.cookies.set("hw_session", str(one.cookies.get("hw_session")))
        other_server.take(env.database_url)
        started = one.post(
            "/api/calls/import",
            data={"legal_basis": "ipa-part3", "authority_ref": "CDA/2026/7", "synthetic": "on"},
            files=[
                ("files", ("calls.csv.gz", scenario["calls"].read_bytes(), "application/gzip")),
                ("spec", ("spec.toml", scenario["spec"].read_bytes(), "application/toml")),
            ],
            headers={"X-CSRF-Token": csrf},
        )
        assert started.status_code == 202, started.text
        poll = started.json()["poll"]

        def job() -> dict[str, Any]:
            answer = other.get(poll)  # the server that is not running the import
            assert answer.status_code == 200, answer.text
            found: dict[str, Any] = answer.json()
            return found

        queued = _until(lambda: (j := job())["waiting_for"] and j, "the job said it was queued")
        assert queued["state"] == "queued"
        assert queued["waiting_for"].startswith("a police.uk upload by web:alice on")
        # Let the other load finish: the import goes on by itself.
        other_server.release()
        done = _until(lambda: (j := job())["state"] not in ("queued", "running") and j, "done")
        assert done["state"] == "done", done
        assert done["waiting_for"] == "" and done["imported"][0]["rows"] > 0
        assert done["lock"]["queued_behind"].startswith("a police.uk upload by web:alice")
        # Another user (signed in on either server) is told there is no such job.
        analyst = TestClient(create_app(env.settings()))
        sign_in(analyst, "analyst")
        assert analyst.get(poll).status_code == 403  # not even their route
        analyst.close()


def test_harmwatch_ingest_given_the_records_database_takes_the_same_lock(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    from webhelpers import make_records

    make_records(fresh_postgres_url, {})
    engine = make_engine(fresh_postgres_url)
    lock = DatabaseLock(engine, INGEST_LOCK)
    month = sample_dir() / "2025-03" / "2025-03-bedfordshire-street.csv.gz"
    store = tmp_path / "analytics.duckdb"
    outcome: dict[str, Any] = {}

    def ingest() -> None:
        outcome["result"] = CliRunner().invoke(
            cli, ["ingest", str(month), "--db", str(store), "--database-url", fresh_postgres_url]
        )

    with lock.hold(holder="web:alice", what="a police.uk upload"):
        thread = threading.Thread(target=ingest)
        thread.start()
        _until(lambda: lock.waiting() == 1, "the command waiting for the lock")
    thread.join(120)
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    assert "waiting for a police.uk upload by web:alice on" in result.output
    with session_scope(engine) as db:
        row = db.scalars(select(DatabaseLockHolder)).one()
        assert (row.holds, row.holder, row.what) == (
            2,
            f"cli:{getpass.getuser()}",
            "harmwatch ingest",
        )
        assert row.released_at is not None
    engine.dispose()
