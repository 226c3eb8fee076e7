"""Tampering with an exhibit's stored history is found by verify, which names the row."""

from __future__ import annotations

import pytest
from casework_helpers import CLEAN, REVIEWER, WHY, freeze, setup_exhibit, utc, who
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from harmwatch.forensics import casework, chain
from harmwatch.forensics.models import CustodyEvent, ForensicExhibit
from harmwatch.forensics.verify import verify_exhibits
from harmwatch.kernel import policy
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope


@pytest.fixture
def exhibit(records_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> int:
    """An exhibit with four custody events and a result (chain seq 1-5)."""
    freeze(monkeypatch, utc(2025, 3, 31, 12))
    _, _, exhibit = setup_exhibit(records_engine)
    for values in CLEAN[:4]:
        casework.record_custody(records_engine, REVIEWER, exhibit, values, WHY)
    casework.add_result(
        records_engine, REVIEWER, exhibit, {"analyte": "THC", "value": "3.1", "unit": "µg/L"}, WHY
    )
    return exhibit


def drop_trigger(engine: Engine, table: str) -> None:
    on = f" ON {table}" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER {table}_no_update{on}"))


def event_id(engine: Engine, exhibit: int, seq: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM forensic_custody_events WHERE exhibit_id = :e AND seq = :s"),
                {"e": exhibit, "s": seq},
            ).scalar_one()
        )


def test_an_untouched_history_verifies(records_engine: Engine, exhibit: int) -> None:
    report = verify_exhibits(records_engine, REVIEWER, justification=WHY)
    assert (report.ok, report.checked, report.access_log_ok, report.first) == (True, 1, True, None)
    with session_scope(records_engine) as db:
        entry = audit.query(db, actor="reviewer", limit=1)[0]
    assert entry.details["verify"] == "exhibit-chains" and entry.details["broken"] == []


def test_the_trigger_refuses_a_plain_update(records_engine: Engine, exhibit: int) -> None:
    for table in ("forensic_custody_events", "forensic_results"):
        with pytest.raises(DBAPIError, match="append-only"), records_engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET recorded_by = 'someone else'"))
    assert verify_exhibits(records_engine, REVIEWER, justification=WHY).ok


def test_an_altered_custody_event_is_named(records_engine: Engine, exhibit: int) -> None:
    drop_trigger(records_engine, "forensic_custody_events")
    target = event_id(records_engine, exhibit, 2)
    with records_engine.begin() as conn:
        conn.execute(
            text("UPDATE forensic_custody_events SET seal_number = 'S999' WHERE id = :id"),
            {"id": target},
        )
    report = verify_exhibits(records_engine, REVIEWER, justification=WHY, exhibit_id=exhibit)
    assert not report.ok and len(report.broken) == 1
    broken = report.broken[0]
    assert (broken.kind, broken.row_id, broken.seq) == ("custody", target, 2)
    assert "altered" in broken.reason
    assert report.first == f"AB/1: exhibit {exhibit}: custody #{target} (seq 2): {broken.reason}"


def test_a_chain_rewritten_consistently_is_caught_by_the_access_log(
    records_engine: Engine, exhibit: int
) -> None:
    drop_trigger(records_engine, "forensic_custody_events")
    drop_trigger(records_engine, "forensic_results")
    with Session(records_engine) as db:
        rows = chain.history(db, exhibit)
        moved = rows[1]
        assert isinstance(moved, CustodyEvent)
        moved.location = "Somewhere else"  # seq 2, and every hash from it on recomputed
        prev = rows[0].entry_hash
        for row in rows[1:]:
            row.prev_hash = prev
            row.entry_hash = chain.row_hash(row)
            prev = row.entry_hash
        db.commit()
        target = rows[1].id
        assert chain.verify(db, exhibit) is None  # whole, taken on its own
    report = verify_exhibits(records_engine, REVIEWER, justification=WHY)
    assert [(b.kind, b.row_id, b.seq) for b in report.broken] == [("custody", target, 2)]
    assert report.broken[0].reason == "not the row the access log recorded when it was added"


def test_a_rolled_back_append_anchors_nothing(records_engine: Engine, exhibit: int) -> None:
    """A rolled-back append's head stays in its refused entry's details: it must not count."""
    from harmwatch.errors import InputError
    from harmwatch.kernel.actions import AuditAction
    from harmwatch.kernel.refs import RecordRef
    from harmwatch.kernel.work import unit_of_work

    ref = RecordRef("forensic-exhibit", str(exhibit))
    with (
        pytest.raises(InputError),
        unit_of_work(records_engine, REVIEWER, AuditAction.ALTERATION, ref) as work,
    ):
        # chain._append reads the exhibit with Session.get: hold it, loaded under the policy.
        held = policy.visible_one(work.db, REVIEWER, ForensicExhibit, exhibit)
        chain.append_custody(
            work, exhibit, at=utc(2025, 3, 5, 9), action="stored", handled_by="Lab clerk J",
            location="Northgate Lab", seal_number="S100", condition="intact", notes="",
        )  # fmt: skip
        raise InputError(f"refused after the append to {held.reference}")
    with session_scope(records_engine) as db:
        refused = audit.query(db, actor="reviewer", limit=1)[0]
    assert refused.outcome == "refused" and refused.details[chain.ANCHOR_KEY][0]["seq"] == 6
    casework.record_custody(records_engine, REVIEWER, exhibit, CLEAN[4], WHY)  # seq 6 again
    assert verify_exhibits(records_engine, REVIEWER, justification=WHY).ok


def test_verify_is_for_the_forensic_reviewer(records_engine: Engine, exhibit: int) -> None:
    analyst = who(Role.ANALYST, name="nosy")
    with pytest.raises(policy.PolicyDenied):
        verify_exhibits(records_engine, analyst, justification=WHY)
    essex = who(Role.FORENSIC_REVIEWER, force="essex", name="essex-reviewer")
    assert verify_exhibits(records_engine, essex, justification=WHY).checked == 0
