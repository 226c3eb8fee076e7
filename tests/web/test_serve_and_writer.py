"""`harmwatch serve [--demo]` wiring, and the group-commit writer's failure isolation."""

from __future__ import annotations

import re
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


def test_serve_demo_loads_sample_and_prints_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmwatch.cli import serve

    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    served: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        served["app"] = app
        served.update(kwargs)

    monkeypatch.setattr("uvicorn.run", fake_run)
    cli = typer.Typer()
    cli.command()(serve.serve_command)
    result = CliRunner().invoke(cli, ["--demo", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Open http://127.0.0.1:8123/login" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
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
