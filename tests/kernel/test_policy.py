"""Record-level policy: a caller from another unit sees nothing, in any list, count, search or export.

Uses the tests' sample record type (tests/kernel/sample_records.py): a note about a
person, with a handling code and an owning unit, read only through the kernel.
"""

from __future__ import annotations

import pytest
from sample_records import (
    SampleNote,
    count_notes,
    create_note,
    export_notes,
    list_notes,
    person,
    search_notes,
    share_note,
)
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import NotFoundError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.kernel.records import Handling, HandlingCode, Restriction
from harmwatch.security import audit
from harmwatch.security.roles import Role

OWNER = person("olivia", units=("dacorum-cid",))
SAME_UNIT = person("oscar", units=("dacorum-cid",))
OTHER_UNIT = person("umar", units=("stevenage-cid",))
OTHER_FORCE = person("bea", force="bedfordshire", units=("dacorum-cid",))
PCC = person("pat", role=Role.PCC_VIEWER)


def _sees(engine: Engine, who: object) -> dict[str, object]:
    """Everything ``who`` gets back from every read path of the sample service."""
    return {
        "list": [n.id for n in list_notes(engine, who)],  # type: ignore[arg-type]
        "count": count_notes(engine, who),  # type: ignore[arg-type]
        "search": [n.id for n in search_notes(engine, who, "deals")],  # type: ignore[arg-type]
        "export": [n.id for n in export_notes(engine, who)],  # type: ignore[arg-type]
    }


NOTHING = {"list": [], "count": 0, "search": [], "export": []}


def test_a_restricted_record_is_seen_by_its_unit_only(notes_engine: Engine) -> None:
    note = create_note(notes_engine, OWNER, "Dean Smith", "deals from flat 4")
    assert _sees(notes_engine, OWNER) == {
        "list": [note],
        "count": 1,
        "search": [note],
        "export": [note],
    }
    assert _sees(notes_engine, SAME_UNIT)["list"] == [note]
    assert _sees(notes_engine, OTHER_UNIT) == NOTHING
    assert _sees(notes_engine, OTHER_FORCE) == NOTHING
    with pytest.raises(policy.PolicyDenied):
        reads.get(notes_engine, OTHER_UNIT, SampleNote, note, justification="briefing for Op Test")
    assert (
        reads.get(notes_engine, OWNER, SampleNote, note, justification="briefing for Op Test")
        .records[0]
        .id
        == note
    )


def test_a_force_record_is_seen_across_units_but_not_forces(notes_engine: Engine) -> None:
    note = create_note(notes_engine, OWNER, "Dean Smith", "deals", restriction=Restriction.FORCE)
    assert _sees(notes_engine, OTHER_UNIT)["list"] == [note]
    assert _sees(notes_engine, OTHER_FORCE) == NOTHING


def test_sharing_with_a_unit_or_a_force(notes_engine: Engine) -> None:
    restricted = create_note(notes_engine, OWNER, "A", "deals")
    force_level = create_note(notes_engine, OWNER, "B", "deals", restriction=Restriction.FORCE)
    # A whole-force share opens force-level records to that force, not restricted ones.
    share_note(notes_engine, OWNER, restricted, "bedfordshire")
    share_note(notes_engine, OWNER, force_level, "bedfordshire")
    assert _sees(notes_engine, OTHER_FORCE)["list"] == [force_level]
    # A unit share opens a restricted record to that unit.
    share_note(notes_engine, OWNER, restricted, "hertfordshire", "stevenage-cid")
    assert sorted(_sees(notes_engine, OTHER_UNIT)["list"]) == [restricted, force_level]  # type: ignore[type-var]
    # Only someone who may change a record may share it.
    with pytest.raises(policy.PolicyDenied):
        share_note(notes_engine, OTHER_FORCE, force_level, "cambridgeshire")


def test_a_role_that_does_not_read_the_kind_sees_nothing_and_is_logged_denied(
    notes_engine: Engine,
) -> None:
    create_note(notes_engine, OWNER, "Dean Smith", "deals", restriction=Restriction.FORCE)
    with pytest.raises(policy.PolicyDenied, match="may not see sample notes"):
        list_notes(notes_engine, PCC)
    with Session(notes_engine) as db:
        last = audit.query(db, limit=1)[0]
    assert (last.actor, last.action, last.outcome) == ("pat", "consultation", "denied")


def test_a_denied_read_of_an_existing_record_is_logged_as_denied(notes_engine: Engine) -> None:
    note = create_note(notes_engine, OWNER, "Dean Smith", "deals")
    with pytest.raises(policy.PolicyDenied, match=f"no sample notes {note} that you may see"):
        reads.get(notes_engine, OTHER_UNIT, SampleNote, note, justification="checking a lead")
    with pytest.raises(NotFoundError):
        reads.get(notes_engine, OTHER_UNIT, SampleNote, note + 999, justification="checking a lead")
    with Session(notes_engine) as db:
        last_two = audit.query(db, limit=2)
    assert [(e.target, e.outcome) for e in reversed(last_two)] == [
        (f"sample-note:{note}", "denied"),
        (f"sample-note:{note + 999}", "refused"),
    ]


def test_creating_for_another_unit_is_refused(notes_engine: Engine) -> None:
    with pytest.raises(policy.PolicyDenied, match="owned by your force and one of your units"):
        create_note(notes_engine, OWNER, "X", "y", unit="stevenage-cid")
    with pytest.raises(policy.PolicyDenied, match="may not create"):
        create_note(notes_engine, person("ann", role=Role.ANALYST), "X", "y")


def test_consultations_name_the_records_and_the_justification(notes_engine: Engine) -> None:
    note = create_note(notes_engine, OWNER, "Dean Smith", "deals")
    list_notes(notes_engine, OWNER, justification="Op Scorpion briefing")
    with Session(notes_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert entry.action == "consultation" and entry.outcome == "ok"
    assert entry.details["records"] == [f"sample-note:{note}"]
    assert entry.justification == "Op Scorpion briefing"


def test_a_justification_is_required_or_the_sessions_declared_purpose_used(
    notes_engine: Engine,
) -> None:
    create_note(notes_engine, OWNER, "Dean Smith", "deals")
    with pytest.raises(JustificationRequired):
        list_notes(notes_engine, OWNER, justification=None)
    with Session(notes_engine) as db:
        assert audit.query(db, limit=1)[0].outcome == "refused"
    declared = person("olivia", purpose="Operation Hypernova, line 'Deano'")
    assert len(list_notes(notes_engine, declared, justification=None)) == 1
    with Session(notes_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert entry.justification == "declared for the session: Operation Hypernova, line 'Deano'"


def test_handling_code_c_conditions_are_shown_and_checked_at_export(notes_engine: Engine) -> None:
    conditions = "Not to be disclosed outside Herts CID without DI approval"
    note = create_note(
        notes_engine, OWNER, "Dean Smith", "deals", handling=Handling(HandlingCode.C, conditions)
    )
    read = reads.consult(notes_engine, OWNER, SampleNote, justification="briefing for Op Test")
    assert read.conditions == {f"sample-note:{note}": conditions}
    assert read.records[0].handling.banner().endswith(conditions)
    with pytest.raises(reads.ConditionsNotAcknowledged, match="DI approval"):
        export_notes(notes_engine, OWNER)
    assert [n.id for n in export_notes(notes_engine, OWNER, acknowledge=True)] == [note]
    with Session(notes_engine) as db:
        refused, done = reversed(audit.query(db, limit=2))
    assert (refused.action, refused.outcome) == ("disclosure", "refused")
    assert (done.action, done.outcome) == ("disclosure", "ok")
    assert done.details["recipient"] == "CPS Thames and Chiltern"
    assert done.details["conditions_acknowledged"] is True


def test_handling_codes_are_checked() -> None:
    with pytest.raises(ValueError, match="needs its conditions"):
        Handling(HandlingCode.C)
    with pytest.raises(ValueError, match="carries no conditions"):
        Handling(HandlingCode.P, "only to CPS")


# -- the query guard: an unscoped read of a record table fails, like a route without a rule


def test_an_unscoped_query_of_a_record_table_is_refused(notes_engine: Engine) -> None:
    note = create_note(notes_engine, OWNER, "Dean Smith", "deals")
    with Session(notes_engine) as db:
        with pytest.raises(policy.UnscopedRecordQuery, match="sample_notes"):
            db.scalars(select(SampleNote)).all()
        with pytest.raises(policy.UnscopedRecordQuery):
            db.scalar(select(func.count()).select_from(SampleNote))
        with pytest.raises(policy.UnscopedRecordQuery):
            db.get(SampleNote, note)
        subquery = select(SampleNote.id).scalar_subquery()
        with pytest.raises(policy.UnscopedRecordQuery):
            db.execute(select(func.count()).where(subquery > 0)).all()
        scoped = policy.scope(OWNER, select(SampleNote), SampleNote)
        assert [n.id for n in db.scalars(scoped)] == [note]


def test_the_admin_manages_accounts_and_sees_no_record_content(notes_engine: Engine) -> None:
    create_note(notes_engine, OWNER, "Dean Smith", "deals", restriction=Restriction.FORCE)
    admin = person("root", role=Role.ADMIN)
    with pytest.raises(policy.PolicyDenied):
        list_notes(notes_engine, admin)
    with pytest.raises(policy.PolicyDenied):
        count_notes(notes_engine, admin)
