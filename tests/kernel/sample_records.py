"""A sample record type for the kernel's tests: a note about a person, owned by a unit.

It is what every personal room will be — a model with the record envelope, a
declared record type with its capabilities, and a small service that reads only
through the kernel — kept in the tests so that no personal record type ships before
a real room needs one. Its table lives in a metadata of its own, created by the
tests, so the shipped migrations stay the whole schema of the real database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, Text, false, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from harmwatch.kernel import policy, reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import (
    Handling,
    HandlingCode,
    RecordMixin,
    RecordType,
    Restriction,
    SubjectTerms,
    envelope,
)
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.roles import Role
from harmwatch.storage.models import Base


class SampleBase(DeclarativeBase):
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)


class SampleNote(RecordMixin, SampleBase):
    __tablename__ = "sample_notes"
    record_kind = "sample-note"

    subject_name: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


READ_NOTES = capability(
    "read-sample-notes", "read sample notes", {Role.INTELLIGENCE_OFFICER, Role.ANALYST}
)
WRITE_NOTES = capability("write-sample-notes", "write sample notes", {Role.INTELLIGENCE_OFFICER})


def _match(model: type[SampleNote], terms: SubjectTerms):  # type: ignore[no-untyped-def]
    if not terms.name:
        return false()
    return model.subject_name.icontains(terms.name, autoescape=True)


SAMPLE_NOTES = RecordType(
    kind="sample-note",
    model=SampleNote,
    title="sample notes",
    read=READ_NOTES,
    write=WRITE_NOTES,
    subject_match=_match,
    describe=lambda note: f"note about {note.subject_name}",
)


PERMITTED = Handling(HandlingCode.P)


@contextmanager
def sample_notes_declared(engine: Engine) -> Iterator[None]:
    """The sample type declared and its table created, for the length of a test."""
    SampleBase.metadata.create_all(engine)
    try:
        with policy.registered(SAMPLE_NOTES):
            yield
    finally:
        SampleBase.metadata.drop_all(engine)


def person(
    username: str,
    role: Role = Role.INTELLIGENCE_OFFICER,
    force: str = "hertfordshire",
    units: tuple[str, ...] = ("dacorum-cid",),
    purpose: str | None = None,
) -> Principal:
    return Principal(username, role, force, frozenset(units), "web", purpose)


# -- the service: every read through the kernel, every change in a unit of work -------


def create_note(
    engine: Engine,
    by: Principal,
    subject: str,
    text: str,
    *,
    unit: str | None = None,
    handling: Handling = PERMITTED,
    restriction: Restriction = Restriction.RESTRICTED,
) -> int:
    owning_unit = unit or sorted(by.units)[0]
    with unit_of_work(engine, by, AuditAction.COLLECTION, RecordRef("sample-note", "new")) as work:
        policy.require_collect(by, SAMPLE_NOTES, by.force, owning_unit)
        note = SampleNote(
            subject_name=subject,
            text=text,
            **envelope(
                by.actor,
                owning_force=by.force,
                owning_unit=owning_unit,
                handling=handling,
                restriction=restriction,
                retention="intelligence",
            ),
        )
        work.db.add(note)
        work.db.flush()
        work.target(note.ref)
        return note.id


def share_note(engine: Engine, by: Principal, note_id: int, force: str, unit: str = "") -> None:
    ref = RecordRef("sample-note", str(note_id))
    with unit_of_work(
        engine, by, AuditAction.ALTERATION, ref, details={"share": f"{force}/{unit}"}
    ) as work:
        note = work.db.scalars(
            policy.scope(by, select(SampleNote).where(SampleNote.id == note_id), SampleNote)
        ).one()
        policy.share(work.db, by, note, force, unit)


def list_notes(
    engine: Engine, by: Principal, justification: str | None = "briefing for Op Test"
) -> list[SampleNote]:
    return reads.consult(engine, by, SampleNote, justification=justification).records


def count_notes(
    engine: Engine, by: Principal, justification: str | None = "briefing for Op Test"
) -> int:
    return reads.count(engine, by, SampleNote, justification=justification)


def search_notes(
    engine: Engine, by: Principal, text: str, justification: str | None = "briefing for Op Test"
) -> list[SampleNote]:
    stmt = select(SampleNote).where(SampleNote.text.icontains(text, autoescape=True))
    return reads.consult(
        engine, by, SampleNote, stmt, justification=justification, details={"search": text}
    ).records


def export_notes(
    engine: Engine,
    by: Principal,
    *,
    justification: str | None = "disclosure to CPS, case 12345",
    recipient: str = "CPS Thames and Chiltern",
    acknowledge: bool = False,
) -> list[SampleNote]:
    return reads.disclose(
        engine,
        by,
        SampleNote,
        justification=justification,
        recipient=recipient,
        acknowledge_conditions=acknowledge,
    ).records
