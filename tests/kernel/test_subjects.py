"""Subject access and review: one search across every room; a review retains or erases, logged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sample_records import create_note, list_notes, person
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.records import SubjectTerms
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.subjects import ReviewDecision, due_for_review, review, subject_access
from harmwatch.security import accounts, audit
from harmwatch.security.roles import Role

pytestmark = pytest.mark.usefixtures("fast_hashing")
OWNER = person("olivia", units=("dacorum-cid",))
DPO = person("dora", role=Role.DATA_PROTECTION_OFFICER, units=("information-management",))
OTHER_FORCE_DPO = person(
    "dan", role=Role.DATA_PROTECTION_OFFICER, force="bedfordshire", units=("im",)
)
WHY = "SAR 2026/0042 from the subject's solicitor"


def test_one_search_finds_what_every_room_holds(notes_engine: Engine) -> None:
    restricted = create_note(notes_engine, OWNER, "Dean Smith", "deals from flat 4")
    create_note(notes_engine, OWNER, "Someone Else", "unrelated")
    with Session(notes_engine) as db:
        accounts.create_user(
            db, "deansmith", "analyst", "a long enough password", force="hertfordshire"
        )
        db.commit()
    report = subject_access(
        notes_engine,
        DPO,
        SubjectTerms(name="dean smith", identifiers=("deansmith",)),
        justification=WHY,
    )
    refs = {item.ref for item in report.held}
    # The DPO is in another unit, yet finds the restricted note: subject access sees the force.
    assert f"sample-note:{restricted}" in refs
    assert "user:deansmith" in refs
    assert any(s.startswith("admin:") for s in report.searched)
    assert any("sample notes" in s for s in report.searched)
    with Session(notes_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert (entry.action, entry.target, entry.outcome) == (
        "consultation",
        "subject:dean smith",
        "ok",
    )
    assert entry.justification == WHY and f"sample-note:{restricted}" in entry.details["records"]
    # Another force's DPO finds none of this force's records.
    other = subject_access(
        notes_engine, OTHER_FORCE_DPO, SubjectTerms(name="dean smith"), justification=WHY
    )
    assert not [i for i in other.held if i.kind == "sample-note"]


def test_only_the_data_protection_role_may_search_and_the_refusal_is_logged(
    notes_engine: Engine,
) -> None:
    with pytest.raises(policy.PolicyDenied):
        subject_access(notes_engine, OWNER, SubjectTerms(name="dean"), justification=WHY)
    with pytest.raises(ValueError, match="name or at least one identifier"):
        subject_access(notes_engine, DPO, SubjectTerms(), justification=WHY)
    with Session(notes_engine) as db:
        assert audit.query(db, limit=1)[0].outcome == "denied"


def test_review_retains_with_a_new_date_or_deletes_and_logs_the_erasure(
    notes_engine: Engine,
) -> None:
    keep = create_note(notes_engine, OWNER, "Dean Smith", "deals")
    drop = create_note(notes_engine, OWNER, "Dean Smith", "old")
    soon = date.today() + timedelta(days=400)  # past the intelligence group's yearly review
    due = due_for_review(notes_engine, DPO, soon, justification="monthly MoPI review")
    assert {i.ref for i in due} == {f"sample-note:{keep}", f"sample-note:{drop}"}
    review(
        notes_engine,
        DPO,
        RecordRef("sample-note", str(keep)),
        ReviewDecision.RETAIN,
        "still linked to Op Scorpion",
        today=soon,
    )
    review(
        notes_engine,
        DPO,
        RecordRef("sample-note", str(drop)),
        ReviewDecision.DELETE,
        "no longer necessary (MoPI)",
    )
    left = list_notes(notes_engine, OWNER)
    assert [n.id for n in left] == [keep]
    assert left[0].review_date == soon + timedelta(days=365)
    with Session(notes_engine) as db:
        (retained,) = audit.query(db, action=AuditAction.ALTERATION)
        (erased,) = audit.query(db, action=AuditAction.ERASURE)
    assert (retained.action, retained.outcome) == ("alteration", "ok")
    assert retained.details["next_review_date"] == (soon + timedelta(days=365)).isoformat()
    assert (erased.action, erased.target, erased.outcome) == (
        "erasure",
        f"sample-note:{drop}",
        "ok",
    )
    assert erased.details["summary"] == "note about Dean Smith"
    assert erased.details["created_by"] == "olivia"
    assert erased.justification == "no longer necessary (MoPI)"
    with pytest.raises(policy.PolicyDenied):
        review(
            notes_engine,
            OWNER,
            RecordRef("sample-note", str(keep)),
            ReviewDecision.DELETE,
            "trying to delete it",
        )
    assert [n.id for n in list_notes(notes_engine, OWNER)] == [keep]
