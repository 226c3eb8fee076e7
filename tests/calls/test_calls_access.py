"""Need-to-know on call data: who may import, analyse and detect, which files each sees,
and that every read is in the access log with who, what and why — refusals as denied."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from harmwatch.calls import analysis, service
from harmwatch.calls.importer import CALL_DATA, Authority, CallImportRefused, LegalBasis
from harmwatch.kernel import policy
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import parse_spec
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.records import session_scope

FORCE = "hertfordshire"
UNIT, OTHER = "stevenage-cid", "dacorum-cid"
WHY = "Op Hypernova: call data access test"
SPEC = parse_spec(
    {
        "spec": {"name": "test-operator"},
        "columns": {"a_number": "A", "b_number": "B", "start": "Start", "duration": "Dur"},
        "time": {"format": "iso8601"},
    },
    CALL_DATA,
    source="test.toml",
)


def who(role: Role, unit: str = UNIT) -> Principal:
    return Principal(f"{role.value}-{unit}", role, FORCE, frozenset({unit}), "web")


OFFICER = who(Role.INTELLIGENCE_OFFICER)


@pytest.fixture
def world(records_engine: Engine, tmp_path: Path) -> dict[str, object]:
    restricted = tmp_path / "restricted.csv"
    restricted.write_text("A,B,Start,Dur\n07700900001,07700900002,2026-11-02T10:00:00Z,60\n")
    open_file = tmp_path / "force-wide.csv"
    open_file.write_text("A,B,Start,Dur\n07700900001,07700900003,2026-11-03T10:00:00Z,30\n")
    db = tmp_path / "analytics.duckdb"
    with AnalyticsStore.open(db, read_only=False) as store:
        [r] = service.import_files(
            records_engine, store, OFFICER, [restricted], SPEC,
            service.ImportTerms(Authority(LegalBasis.WARRANT, "W/2026/17"),
                                restriction=Restriction.RESTRICTED),
        )  # fmt: skip
        [f] = service.import_files(
            records_engine, store, OFFICER, [open_file], SPEC,
            service.ImportTerms(Authority(LegalBasis.IPA_PART3, "CDA/2026/9")),
        )  # fmt: skip
    return {"db": db, "restricted": r.file_id, "force": f.file_id}


def contacts(engine: Engine, db: Path, principal: Principal) -> list[str]:
    with AnalyticsStore.open(db) as store:
        table = service.read_calls(
            engine, store, principal,
            lambda con, files: analysis.top_contacts(con, files, "+447700900001"),
            what="contacts +447700900001", justification=WHY,
        )  # fmt: skip
    return sorted(str(row[0]) for row in table.rows)


def test_the_access_matrix(records_engine: Engine, world: dict[str, object]) -> None:
    db = world["db"]
    assert isinstance(db, Path)
    both, force_wide = ["+447700900002", "+447700900003"], ["+447700900003"]
    assert contacts(records_engine, db, OFFICER) == both
    assert contacts(records_engine, db, who(Role.ANALYST)) == both
    assert contacts(records_engine, db, who(Role.INTELLIGENCE_OFFICER, OTHER)) == force_wide
    assert contacts(records_engine, db, who(Role.ANALYST, OTHER)) == force_wide
    for role in (Role.ADMIN, Role.NEIGHBOURHOOD_OFFICER, Role.PCC_VIEWER, Role.FORENSIC_REVIEWER):
        with pytest.raises(policy.PolicyDenied):
            contacts(records_engine, db, who(role))


def test_only_intelligence_officers_import_and_a_refusal_is_logged(
    records_engine: Engine, world: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / "more.csv"
    path.write_text("A,B,Start,Dur\n07700900001,07700900009,2026-11-04T10:00:00Z,30\n")
    analyst = who(Role.ANALYST)
    with AnalyticsStore.open(world["db"], read_only=False) as store:  # type: ignore[arg-type]
        with pytest.raises(policy.PolicyDenied):
            service.import_files(
                records_engine, store, analyst, [path], SPEC,
                service.ImportTerms(Authority(LegalBasis.IPA_PART3, "CDA/2026/10")),
            )  # fmt: skip
        bad = tmp_path / "bad.csv"
        bad.write_text("A,B,Start,Dur\n07700900001,07700900009,yesterday,30\n")
        with pytest.raises(CallImportRefused, match=r"bad.csv:2: start \(Start\)"):
            service.import_files(
                records_engine, store, OFFICER, [bad], SPEC,
                service.ImportTerms(Authority(LegalBasis.IPA_PART3, "CDA/2026/11")),
            )  # fmt: skip
    with session_scope(records_engine) as db:
        entries = audit.query(db, limit=None)
    outcomes = [(e.actor, e.action, e.outcome) for e in entries if e.action == "collection"]
    assert (analyst.actor, "collection", "denied") in outcomes
    assert (OFFICER.actor, "collection", "refused") in outcomes
    assert sum(1 for a, _, o in outcomes if a == OFFICER.actor and o == "ok") == 2


def test_every_read_is_logged_with_the_files_question_and_justification(
    records_engine: Engine, world: dict[str, object]
) -> None:
    db = world["db"]
    assert isinstance(db, Path)
    analyst, pcc = who(Role.ANALYST, OTHER), who(Role.PCC_VIEWER)
    contacts(records_engine, db, analyst)
    with pytest.raises(policy.PolicyDenied):
        contacts(records_engine, db, pcc)
    with session_scope(records_engine) as session:
        entries = audit.query(session, limit=None)
    [read] = [e for e in entries if e.actor == analyst.actor]
    assert (read.action, read.outcome, read.justification) == ("consultation", "ok", WHY)
    assert read.details["question"] == "contacts +447700900001"
    assert read.details["rows"] == 1
    # The analyst of the other unit read only the force-wide file, and the log says so.
    assert len(read.details["files"]) == 1
    [denied] = [e for e in entries if e.actor == pcc.actor]
    assert (denied.action, denied.outcome) == ("consultation", "denied")


def test_no_justification_no_read(records_engine: Engine, world: dict[str, object]) -> None:
    with (
        AnalyticsStore.open(world["db"]) as store,  # type: ignore[arg-type]
        pytest.raises(JustificationRequired),
    ):
        service.read_calls(
                records_engine, store, OFFICER,
                lambda con, files: analysis.first_last_seen(con, files, ["+447700900001"]),
                what="seen", justification=None,
            )  # fmt: skip


def test_subject_access_finds_every_file_naming_the_number_however_it_is_written(
    records_engine: Engine, world: dict[str, object]
) -> None:
    from harmwatch.kernel.records import SubjectTerms
    from harmwatch.kernel.subjects import subject_access

    dpo = who(Role.DATA_PROTECTION_OFFICER)
    found = subject_access(
        records_engine, dpo, SubjectTerms(identifiers=("07700 900001",)), justification=WHY
    )
    calls = [item for item in found.held if item.room == "calls"]
    # Both files name +447700900001, the restricted one too: subject access sees the force.
    assert sorted(item.summary.split(" (")[0] for item in calls) == [
        "call data force-wide.csv",
        "call data restricted.csv",
    ]
    assert "calls: call-data imports" in found.searched
    only = subject_access(
        records_engine, dpo, SubjectTerms(identifiers=("447700900002",)), justification=WHY
    )
    assert [item.summary.split(" (")[0] for item in only.held if item.room == "calls"] == [
        "call data restricted.csv"
    ]


def test_a_review_erases_a_file_and_the_purge_deletes_its_rows(
    records_engine: Engine, world: dict[str, object]
) -> None:
    from harmwatch.kernel.refs import RecordRef
    from harmwatch.kernel.subjects import ReviewDecision, review

    db = world["db"]
    assert isinstance(db, Path)
    dpo = who(Role.DATA_PROTECTION_OFFICER)
    with session_scope(records_engine) as session:
        [restricted] = [
            i for i in service.visible_imports(session, OFFICER) if i.file_id == world["restricted"]
        ]
        ref = restricted.ref
    review(records_engine, dpo, RecordRef(ref.kind, ref.id), ReviewDecision.DELETE,
           "MoPI review: no longer necessary for a policing purpose")  # fmt: skip
    # Erased: nobody reaches the rows any more, though they are still stored …
    assert contacts(records_engine, db, OFFICER) == ["+447700900003"]
    with AnalyticsStore.open(db, read_only=False) as store:
        with pytest.raises(policy.PolicyDenied):
            service.purge_erased(records_engine, store, OFFICER)
        purged = service.purge_erased(records_engine, store, dpo)
        again = service.purge_erased(records_engine, store, dpo)
        con = store.room_connection(("calls",), scoped_by="the test counts what is left")
        left = con.execute("SELECT DISTINCT file_id FROM calls").fetchall()
    # … until the purge deletes them; the other file is untouched.
    assert purged == {world["restricted"]: 1} and again == {}
    assert left == [(world["force"],)]
    with session_scope(records_engine) as session:
        entries = audit.query(session, limit=None)
    erasures = [(e.actor, e.outcome) for e in entries if e.target == "store:calls"]
    assert (OFFICER.actor, "denied") in erasures and (dpo.actor, "ok") in erasures
