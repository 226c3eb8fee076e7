"""`harmwatch serve [--demo]` wiring, and the group-commit writer's failure isolation."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner
from webhelpers import post_login

from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage import models
from harmwatch.storage.records import make_engine, session_scope, upgrade
from harmwatch.web.writer import GroupCommitWriter


def test_writer_isolates_a_failing_job(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    upgrade(engine)
    writer = GroupCommitWriter(engine)

    def append(i: int) -> Any:
        return lambda db: (
            audit.record(db, actor="t", action="consultation", target=f"route:/{i}").id
        )

    def fail(_: Any) -> None:
        raise RuntimeError("bad job")

    futures = [writer.submit(append(i)) for i in range(20)]
    bad = writer.submit(fail)
    futures += [writer.submit(append(i)) for i in range(20, 40)]
    ids = [f.result(timeout=10) for f in futures]
    with pytest.raises(RuntimeError, match="bad job"):
        bad.result(timeout=10)
    writer.close()
    assert sorted(ids) == list(range(1, 41))
    with session_scope(engine) as db:
        assert db.scalar(select(func.count()).select_from(models.AuditEntry)) == 40
        assert audit.verify(db).ok
    engine.dispose()


def _consultation(i: int) -> audit.PendingEntry:
    return audit.prepare(actor="t", action="consultation", target=f"route:/{i}", details={"i": i})


def test_writer_chains_waiting_entries_in_one_transaction_in_order(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    upgrade(engine)
    writer = GroupCommitWriter(engine)
    held, release = threading.Event(), threading.Event()

    def hold(_: Any) -> None:  # keeps the writer busy while the entries queue behind it
        held.set()
        assert release.wait(10)

    first = writer.submit(hold)
    assert held.wait(10)
    futures = [writer.submit(_consultation(i)) for i in range(30)]
    release.set()
    first.result(timeout=10)
    ids = [f.result(timeout=10) for f in futures]
    writer.close()
    assert ids == list(range(1, 31))  # each request's entry, in the order they came
    assert writer.batches == 2  # the held job's, then all thirty entries in one
    with session_scope(engine) as db:
        assert audit.verify(db).ok
        targets = [e.target for e in audit.iter_entries(db)]
    assert targets == [f"route:/{i}" for i in range(30)]
    engine.dispose()


def test_waiting_requests_get_their_own_outcome_from_a_shared_batch(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    upgrade(engine)
    writer = GroupCommitWriter(engine)

    def fail(_: Any) -> None:
        raise RuntimeError("bad job")

    async def requests() -> list[Any]:
        jobs: list[Any] = [_consultation(i) for i in range(10)] + [fail]
        jobs += [_consultation(i) for i in range(10, 20)]
        return await asyncio.gather(*(writer.run(job) for job in jobs), return_exceptions=True)

    outcomes = asyncio.run(requests())
    writer.close()
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1 and str(failed[0]) == "bad job"
    assert sorted(o for o in outcomes if isinstance(o, int)) == list(range(1, 21))
    with session_scope(engine) as db:
        assert audit.verify(db).ok
        assert db.scalar(select(func.count()).select_from(models.AuditEntry)) == 20
    engine.dispose()


def _log_from_another_process(url: str, who: str, count: int) -> None:
    engine = make_engine(url)
    writer = GroupCommitWriter(engine)
    entries = [
        audit.prepare(actor=who, action="consultation", target=f"route:/{i}") for i in range(count)
    ]
    for future in [writer.submit(entry) for entry in entries]:
        future.result(timeout=60)
    writer.close()
    engine.dispose()


def test_workers_writers_share_the_log_without_breaking_its_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_log_from_another_process, args=(url, f"worker-{n}", 150))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with session_scope(engine) as db:
        assert audit.verify(db).ok and audit.head_id(db) == 300
        by_worker = [audit.count(db, actor=f"worker-{n}") for n in range(2)]
    assert by_worker == [150, 150]
    engine.dispose()


def test_a_malformed_entry_is_refused_before_it_reaches_the_writer() -> None:
    with pytest.raises(audit.AuditError, match="unknown access-log action"):
        audit.prepare(actor="t", action="peek")
    with pytest.raises(audit.AuditError, match="needs an actor"):
        audit.prepare(actor="  ", action="consultation")


def test_serve_demo_loads_sample_and_prints_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmwatch.cli import serve

    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    served: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        served["app"] = app
        served["frozen_before_serving"] = served.get("frozen", False)
        served.update(kwargs)

    monkeypatch.setattr("uvicorn.run", fake_run)
    # The serving process's heap is frozen (not this test process's).
    monkeypatch.setattr(
        "harmwatch.web.app.freeze_startup_heap", lambda: served.setdefault("frozen", True)
    )
    cli = typer.Typer()
    cli.command()(serve.serve_command)
    result = CliRunner().invoke(cli, ["--demo", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Open http://127.0.0.1:8123/login" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    assert served["frozen_before_serving"]
    passwords = dict(
        re.findall(r"│ (analyst|intelligence-officer)\s+│ \1\s+│ (\S+)\s+│", result.output)
    )
    assert len(passwords.get("analyst", "")) >= 12
    assert "Intelligence: FICTIONAL demonstration data" in result.output

    with TestClient(served["app"]) as client:
        page = client.get("/login")
        assert "Demonstration" in page.text
        response = post_login(client, "analyst", passwords["analyst"])
        assert response.status_code == 303
        assert client.get("/api/meta").json()["forces"] == [
            "bedfordshire",
            "cambridgeshire",
            "hertfordshire",
        ]
        # The demo's SYNTHETIC force records are the analyst's to analyse on first start.
        held = client.get(
            "/api/force-records/files",
            headers={"X-Justification": "demo: first look at the force records"},
        ).json()
        assert held["synthetic"] is True and held["records"] > 80_000
        assert "Force records: SYNTHETIC" in result.output
    with TestClient(served["app"]) as client:  # the demo's intelligence officer has the demo set
        post_login(client, "intelligence-officer", passwords["intelligence-officer"])
        why = {"X-Justification": "demo: first look at the fictional set"}
        held = client.get("/api/intelligence/reports", headers=why).json()["reports"]
        assert {r["reference"] for r in held} >= {"HC-DEMO-0001", "HC-DEMO-0007"}
    engine = make_engine(f"sqlite:///{tmp_path / 'home' / 'demo' / 'records.sqlite'}")
    with session_scope(engine) as db:
        roles = set(db.scalars(select(models.User.role)))
    engine.dispose()
    assert roles == {r.value for r in Role}

    # A second run starts the demo accounts afresh, so its printed passwords work.
    again = CliRunner().invoke(cli, ["--demo"])
    assert again.exit_code == 0, again.output
    assert "already loaded and unchanged" in again.output
    assert "(kept" not in again.output
