"""Check-back on lines closed: the number again, a successor serving its customers, or intelligence.

A small hand-made call-data file (every row below is the evidence), imported through
the calls room, and one intelligence report: each closure's status must follow.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from opsworld import WHY, who
from sqlalchemy import Engine

from harmwatch.calls import service as calls
from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis
from harmwatch.intelligence import reports
from harmwatch.intelligence.grading import grade
from harmwatch.operations import checkback, service
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import parse_spec
from harmwatch.storage.analytics import AnalyticsStore

SPEC = parse_spec(
    {
        "spec": {"name": "test-operator"},
        "columns": {"a_number": "A", "b_number": "B", "start": "Start", "duration": "Dur"},
        "time": {"format": "iso8601"},
    },
    CALL_DATA,
    source="test.toml",
)
OFFICER = who(Role.INTELLIGENCE_OFFICER, name="io")
REBRANDED, QUIET, SEEN_IN_INTEL = "07700900100", "07700900300", "07700900400"
SUCCESSOR = "+447700900200"


def _calls(path: Path) -> Path:
    rows = ["A,B,Start,Dur"]
    customers = [f"0770090001{i}" for i in range(5)]
    for day, customer in enumerate(customers, start=1):  # orders before the closure
        rows.append(f"{customer},{REBRANDED},2025-03-0{day}T20:00:00Z,0")
    for day, customer in enumerate(customers[:4], start=12):  # 4 of 5 move to a new number
        rows.append(f"07700900200,{customer},2025-03-{day}T20:00:00Z,0")
    rows.append(f"{customers[0]},{REBRANDED},2025-03-20T21:00:00Z,0")  # the old one, again
    rows.append(f"{customers[4]},{QUIET},2025-03-05T20:00:00Z,0")
    path.write_text("\n".join(rows) + "\n")
    return path


def _close(engine: Engine, number: str, name: str) -> None:
    service.record_result(
        engine, OFFICER, "line-closure",
        {"occurred_on": "2025-03-10", "officer": "DC 1", "line_name": name, "number": number,
         "closure_type": "type-2", "deactivated_on": "2025-03-10"},
        WHY,
    )  # fmt: skip


@pytest.fixture
def world(records_engine: Engine, tmp_path: Path) -> Path:
    db = tmp_path / "analytics.duckdb"
    with AnalyticsStore.open(db, read_only=False) as store:
        calls.import_files(
            records_engine, store, OFFICER, [_calls(tmp_path / "calls.csv")], SPEC,
            calls.ImportTerms(Authority(LegalBasis.IPA_PART3, "CDA/2025/3")),
        )  # fmt: skip
    for number, name in ((REBRANDED, "Rebrand"), (QUIET, "Quiet"), (SEEN_IN_INTEL, "Intel")):
        _close(records_engine, number, name)
    reports.create(
        records_engine,
        OFFICER,
        reports.ReportDraft(
            reference="HC-TEST-0001",
            grade=grade("3x5x2", "2", "B", "P"),
            sanitised_text="The Intel line is back: orders taken on 07700 900400 again.",
            originator="DC 1",
            reported_on=date(2025, 4, 1),
        ),
    )
    return db


def test_each_closure_gets_the_status_its_evidence_shows(
    records_engine: Engine, world: Path
) -> None:
    before = {c.line_name: c for c in checkback.check(
        records_engine, OFFICER, justification=WHY, store_path=world, on=date(2025, 3, 31))}  # fmt: skip
    rebrand = before["Rebrand"]
    assert rebrand.status == "resurfaced" and rebrand.successor == SUCCESSOR
    assert any("in 1 call(s)" in e for e in rebrand.evidence)
    assert any("4 of the line's 5 customers" in e for e in rebrand.evidence)
    assert before["Quiet"].status == "pending"  # its check-back day (28 days on) is 7 April
    assert before["Quiet"].check_back_on == date(2025, 4, 7)
    assert before["Intel"].status == "resurfaced"
    assert before["Intel"].evidence == [
        "intelligence: report HC-TEST-0001 of 2025-04-01 mentions +447700900400"
    ]
    after = {c.line_name: c.status for c in checkback.check(
        records_engine, OFFICER, justification=WHY, store_path=world, on=date(2025, 4, 7))}  # fmt: skip
    assert after["Quiet"] == "due"


def test_a_role_that_cannot_read_call_data_is_told_what_was_not_checked(
    records_engine: Engine, world: Path
) -> None:
    officer = who(Role.NEIGHBOURHOOD_OFFICER, name="pc")
    items = checkback.check(records_engine, officer, justification=WHY, store_path=world,
                            on=date(2025, 3, 31))  # fmt: skip
    assert {c.status for c in items} <= {"pending", "due", "resurfaced"}
    assert all(c.not_checked for c in items)
