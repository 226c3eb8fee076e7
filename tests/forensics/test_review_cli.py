"""`harmwatch forensic incident|affected|queue|retest|notify|progress` with operator keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from incidentworld import LEAD, UNIT, WHY, Clock, Sample, case, labs
from typer.testing import CliRunner

from harmwatch.cli import forensic_review
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
forensic_app = typer.Typer()
forensic_review.register(forensic_app)
app.add_typer(forensic_app, name="forensic")
runner = CliRunner()


def _user(tmp_path: Path, url: str, name: str, role: Role, units: list[str]) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as db:
        user = create_user(db, name, role, "a long enough password", force=LEAD, units=units)
        secret = issue_key(db, user, created_by="test")
    engine.dispose()
    key = write_key_file(tmp_path / f"{name}.key", secret)
    return ["--as", name, "--key-file", str(key), "--database-url", url]


def test_the_review_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Clock(monkeypatch)
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    lab = labs(engine)
    coke = Sample(lab.provider_id, results=(("cocaine", "11", "ug/L", "2"),))
    case_id, (ex, _) = case(engine, LEAD, "H1", [coke, coke], status="convicted")
    case(engine, "bedfordshire", "B1", [coke])
    engine.dispose()
    me = _user(tmp_path, url, "reviewer", Role.FORENSIC_REVIEWER, [UNIT])
    pcc = _user(tmp_path, url, "pcc", Role.PCC_VIEWER, [])

    def ok(*args: str, who: list[str] = me) -> str:
        got = runner.invoke(app, ["forensic", *args, *who])
        assert got.exit_code == 0, (args, got.output)
        return got.output

    made = json.loads(ok("incident", "add", "--name", "CLI", "--provider", str(lab.provider_id),
                         "--from", "2016-01-01", "--to", "2016-12-31", "--json"))  # fmt: skip
    iid = str(made["id"])
    ok("incident", "notify-regulator", iid, "--to", "Forensic Science Regulator", "--on", "2025-06-02", "--reference", "FSR/1")  # fmt: skip
    assert "CLI" in ok("incident", "list")
    affected = json.loads(ok("affected", "--incident", iid, "--justification", WHY, "--json"))
    assert affected["forces"] == {
        LEAD: {"cases": 1, "samples": 2, "by_status": affected["forces"][LEAD]["by_status"]},
        "bedfordshire": affected["forces"]["bedfordshire"],
    }
    assert affected["total"]["cases"] == 2 and affected["total"]["samples"] == 3
    assert affected["forces"][LEAD]["by_status"]["convicted"] == {"cases": 1, "samples": 2}
    queue = json.loads(ok("queue", "--incident", iid, "--justification", WHY, "--json"))
    assert [e["reference"] for e in queue["queue"]] == ["B1", "H1"]  # a tie: by reference
    assert all("within the measurement uncertainty" in e["reason"] for e in queue["queue"])
    r = json.loads(ok("retest", "request", str(ex), "--incident", iid, "--requested-on", "2025-05-01", "--json"))  # fmt: skip
    rid = str(r["id"])
    ok("retest", "sent", rid, "--sent-on", "2025-05-02", "--provider", str(lab.other_provider_id))
    ok("retest", "result", rid, "--analyte", "cocaine", "--value", "3", "--unit", "ug/L",
       "--uncertainty", "0.5", "--reported-on", "2025-05-20")  # fmt: skip
    compared = json.loads(ok("retest", "compare", rid, "--json"))
    assert compared["outcome"] == "inconclusive"  # the original lay within uncertainty
    assert "disposition reopen-s142" in ok("retest", "dispose", rid, "--disposition", "reopen-s142", "--reason", "original uncertain")  # fmt: skip
    bad = runner.invoke(app, ["forensic", "retest", "dispose", rid, "--disposition", "pardon", "--reason", "x", *me])  # fmt: skip
    assert bad.exit_code == 2 and "disposition" in bad.output
    ok("notify", "add", str(case_id), "--to", "cps", "--due-on", "2025-06-01", "--incident", iid)
    overdue = json.loads(ok("notify", "overdue", "--justification", WHY, "--json"))
    assert [(n["recipient"], n["overdue_days"]) for n in overdue] == [("cps", 1)]
    ok("notify", "sent", str(overdue[0]["id"]), "--sent-on", "2025-06-02", "--reference", "CPS/1")
    assert json.loads(ok("notify", "overdue", "--justification", WHY, "--json")) == []
    figures = json.loads(ok("progress", "--incident", iid, "--json"))
    assert figures["total"]["retested"] == 1 and figures["forces"][LEAD]["samples_by_state"]["inconclusive"] == 1  # fmt: skip
    # the PCC: progress in figures only, suppressed; the cases themselves refused
    theirs = json.loads(ok("progress", "--incident", iid, "--json", who=pcc))
    assert list(theirs["forces"]) == [LEAD] and theirs["suppressed"] and theirs["total"] is None
    assert theirs["forces"][LEAD]["cases"] == "fewer than 5"
    for args in (
        ["affected", "--incident", iid],
        ["queue", "--incident", iid],
        ["notify", "overdue"],
    ):
        got = runner.invoke(app, ["forensic", *args, "--justification", WHY, *pcc])
        assert got.exit_code == 2 and "may not" in got.output, (args, got.output)
    engine = make_engine(url)
    with session_scope(engine) as db:
        entries = audit.query(db, actor="pcc", limit=None)
    engine.dispose()
    assert [e.outcome for e in entries[:3]] == ["denied", "denied", "denied"]
