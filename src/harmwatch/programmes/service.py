"""Programmes: set one up, enrol participants, record and correct events, read them — through the kernel.

Every change is one unit of work (the change and its access-log entry commit
together); every read of participants or events is scoped by the record policy,
justified and logged. An event is checked by its kind's form
(:func:`entry_form`: the fields every event has, then the kind's own, from the
programme type's configuration), so the web form, the API, the command line and the
bulk import refuse the same bad input with the same words, naming the field.

A participant is named by what the officer types (a custody number, a name), which
is turned into the programme's keyed pseudonym at once and never stored or logged
(:mod:`harmwatch.programmes.pseudonyms`); an event for someone not yet enrolled
enrols them. A type that is not pseudonymised (volunteers) keeps the role reference
as typed. The pseudonym itself may be typed too (``P-3F9A1C07B2``), to add an event
for a participant whose identifier is not at hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem, jsonable, shown
from harmwatch.kernel.justification import Justification, resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, RecordMixin, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from . import pseudonyms
from .config import EventKind, ProgrammeType, programme_type
from .kinds import EVENTS, PARTICIPANTS, PROGRAMMES, READ_PROGRAMMES, WRITE_PROGRAMMES
from .models import Programme, ProgrammeEvent, ProgrammeKey, ProgrammeParticipant

MAX_NAME = 120
MAX_TEXT = 2000

PROGRAMME_FORM = Form(
    kind="programme",
    title="Programme",
    fields=(
        Field(
            "name",
            "text",
            "the programme's name, unique in your force",
            required=True,
            max_length=MAX_NAME,
        ),
        Field(
            "programme_type",
            "text",
            "the programme type's key (see the list)",
            required=True,
            max_length=48,
            label="Type",
        ),
        Field("starts_on", "date", "the day it started", required=True),
        Field("ends_on", "date", "the day it ended (empty while it runs)"),
        Field("partner", "text", "the provider or partner agency", max_length=200),
        Field("description", "text", "what it is for", max_length=MAX_TEXT),
    ),
    rules=(
        lambda v: (
            [Problem("ends_on", f"{v['ends_on']} is before the start ({v['starts_on']})")]
            if v.get("ends_on") and v.get("starts_on") and v["ends_on"] < v["starts_on"]
            else []
        ),
    ),
)


def head_fields(kind: EventKind, *, programme: bool = False) -> tuple[Field, ...]:
    """The fields every event has, first on its form (and ``programme`` first in a sheet)."""
    out = []
    if programme:
        out.append(
            Field(
                "programme",
                "text",
                "the programme's name, as recorded",
                required=True,
                max_length=MAX_NAME,
            )
        )
    out.append(Field("occurred_on", "date", "the day it happened", required=True, label="Date"))
    if kind.participant != "none":
        out.append(
            Field(
                "participant",
                "text",
                "who: their custody number or name (only a pseudonym is kept), or their "
                "pseudonym (P-…) or reference",
                required=kind.participant == "required",
                max_length=pseudonyms.MAX_IDENTIFIER,
            )
        )
    out.append(
        Field(
            "operation",
            "text",
            "the operation it came from: its name or id (optional)",
            max_length=MAX_NAME,
        )
    )
    return tuple(out)


def entry_form(ptype: ProgrammeType, kind: EventKind) -> Form:
    """The form an event of ``kind`` is entered on: the head, then the kind's fields."""
    return Form(
        kind=kind.form.kind,
        title=f"{ptype.title}: {kind.title}",
        fields=head_fields(kind) + kind.fields,
        description=kind.form.description,
    )


def check_event(
    type_key: str, event_kind: str, values: Mapping[str, Any], *, partial: bool = False
) -> list[Problem]:
    """The problems of an event's values as typed (stores nothing, reads no record)."""
    ptype = programme_type(type_key)
    _, problems = entry_form(ptype, ptype.event(event_kind)).check(values, partial=partial)
    return problems


# -- views -------------------------------------------------------------------------------


@dataclass
class ProgrammeView:
    id: int
    ref: str
    name: str
    programme_type: str
    type_title: str
    starts_on: date
    ends_on: date | None
    partner: str
    description: str
    force: str
    unit: str
    restriction: str
    synthetic: bool

    def to_json(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.__dict__.items()}


@dataclass
class ParticipantView:
    id: int
    ref: str
    programme_id: int
    label: str  # the pseudonym, or a role reference
    pseudonymised: bool
    attributes: dict[str, Any]
    enrolled: bool = False  # True: this call enrolled them

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class EventView:
    id: int
    ref: str
    programme_id: int
    event_kind: str
    title: str
    occurred_on: date
    participant: str | None  # the pseudonym (or reference)
    fields: dict[str, str]  # as shown: money in pounds, lists with ;
    operation_id: int | None
    force: str
    unit: str
    created_by: str
    synthetic: bool
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.__dict__.items()}


def programme_view(p: Programme) -> ProgrammeView:
    try:
        title = programme_type(p.programme_type).title
    except InputError:
        title = f"{p.programme_type} (type no longer configured)"
    return ProgrammeView(
        id=p.id,
        ref=str(p.ref),
        name=p.name,
        programme_type=p.programme_type,
        type_title=title,
        starts_on=p.starts_on,
        ends_on=p.ends_on,
        partner=p.partner,
        description=p.description,
        force=p.owning_force,
        unit=p.owning_unit,
        restriction=p.restriction,
        synthetic=p.synthetic,
    )


def _kind_of(type_key: str, event_kind: str) -> EventKind | None:
    try:
        return programme_type(type_key).event(event_kind)
    except InputError:
        return None


def typed_fields(type_key: str, event: ProgrammeEvent) -> dict[str, Any]:
    """An event's stored fields, typed again by its kind's form (as the measures test them)."""
    raw = json.loads(event.fields or "{}")
    kind = _kind_of(type_key, event.event_kind)
    if kind is None:
        return raw
    out: dict[str, Any] = {}
    for f in kind.fields:
        out[f.name] = f.parse(raw.get(f.name))[0]
    return out


def event_view(type_key: str, e: ProgrammeEvent, label: str | None) -> EventView:
    kind = _kind_of(type_key, e.event_kind)
    raw = json.loads(e.fields or "{}")
    if kind is None:
        values = {k: str(v) for k, v in raw.items()}
        title = e.event_kind
    else:
        typed = typed_fields(type_key, e)
        values = {f.name: shown(f, typed.get(f.name)) for f in kind.fields}
        title = kind.title
    return EventView(
        id=e.id,
        ref=str(e.ref),
        programme_id=e.programme_id,
        event_kind=e.event_kind,
        title=title,
        occurred_on=e.occurred_on,
        participant=label,
        fields=values,
        operation_id=e.operation_id,
        force=e.owning_force,
        unit=e.owning_unit,
        created_by=e.created_by,
        synthetic=e.synthetic,
    )


# -- looking up ---------------------------------------------------------------------------


def _one(db: Session, by: Principal, model: type[RecordMixin], record_id: int, title: str) -> Any:
    """A record the principal may see; missing and hidden alike are "not found" (logged apart)."""
    return policy.visible_one(db, by, model, record_id, what=title)


def _programme_for_change(work: Work, programme_id: int) -> Programme:
    """The programme, which the principal may add to (its own force; its unit if restricted)."""
    if not WRITE_PROGRAMMES.granted(work.principal.role):
        raise policy.PolicyDenied(f"your role ({work.principal.role}) may not change programmes")
    programme: Programme = _one(work.db, work.principal, Programme, programme_id, "programme")
    policy.require(work.db, work.principal, AuditAction.ALTERATION, programme)
    return programme


def programme_by_name(db: Session, by: Principal, name: str) -> Programme:
    """A programme of the principal's force by name (a sheet's ``programme`` column)."""
    wanted = " ".join(name.split())
    found = db.scalars(
        policy.scope(
            by,
            select(Programme).where(Programme.name == wanted, Programme.owning_force == by.force),
            Programme,
        )
    ).first()
    if found is None:
        raise FormRefused([Problem("programme", f"no programme {wanted!r} that you may see")])
    return found


def _operation_id(db: Session, by: Principal, text: str | None) -> int | None:
    if not text:
        return None
    from harmwatch.operations.models import Operation

    text = text.strip()
    condition = Operation.id == int(text) if text.isdigit() else Operation.name == text
    found = db.scalars(policy.scope(by, select(Operation).where(condition), Operation)).first()
    if found is None:
        raise FormRefused([Problem("operation", f"no operation {text!r} that you may see")])
    return found.id


def _unit(by: Principal, unit: str | None) -> str:
    return unit or (sorted(by.units)[0] if by.units else "")


def _envelope(by: Principal, programme: Programme, unit: str) -> dict[str, Any]:
    return envelope(
        by.actor,
        owning_force=by.force,
        owning_unit=unit,
        handling=Handling(HandlingCode.P),
        restriction=Restriction(programme.restriction),
    )


# -- programmes ---------------------------------------------------------------------------


def create_programme(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    *,
    restricted: bool = False,
    unit: str | None = None,
    synthetic: bool = False,
    client: str = "",
) -> ProgrammeView:
    """Set up a programme of a configured type (its pseudonym key is made with it)."""
    by = principal
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(PROGRAMMES.kind, "new"), client=client
    ) as work:
        owning_unit = _unit(by, unit)
        policy.require_collect(by, PROGRAMMES, by.force, owning_unit)
        clean = PROGRAMME_FORM.checked(values)
        try:
            ptype = programme_type(str(clean["programme_type"]))
        except InputError as exc:
            raise FormRefused([Problem("programme_type", str(exc).split(": ", 1)[-1])]) from None
        taken = work.db.scalar(
            policy.privileged(
                select(func.count())
                .select_from(Programme)
                .where(Programme.owning_force == by.force, Programme.name == clean["name"]),
                "a programme's name must be unique in its force, seen or not",
            )
        )
        if taken:
            raise FormRefused(
                [Problem("name", f"your force already has a programme {clean['name']!r}")]
            )
        programme = Programme(
            programme_type=ptype.key,
            name=clean["name"],
            starts_on=clean["starts_on"],
            ends_on=clean["ends_on"],
            partner=clean["partner"] or "",
            description=clean["description"] or "",
            synthetic=synthetic,
            **envelope(
                by.actor,
                owning_force=by.force,
                owning_unit=owning_unit,
                handling=Handling(HandlingCode.P),
                restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
            ),
        )
        work.db.add(programme)
        work.db.flush()
        if ptype.pseudonymised:
            work.db.add(
                ProgrammeKey(
                    programme_id=programme.id,
                    secret=pseudonyms.new_secret(),
                    created_at=models.utcnow(),
                )
            )
        work.target(programme.ref)
        work.details.update({"programme_type": ptype.key, "name": programme.name})
        return programme_view(programme)


def list_programmes(
    engine: Engine, principal: Principal, *, programme_type: str = "", client: str = ""
) -> list[ProgrammeView]:
    """Programmes the principal may see (not personal: no justification), by name."""
    from harmwatch.kernel import reads

    stmt: Select[Any] = select(Programme).order_by(Programme.name)
    details: dict[str, Any] = {}
    if programme_type:
        stmt = stmt.where(Programme.programme_type == programme_type)
        details["programme_type"] = programme_type
    got = reads.consult(
        engine, principal, Programme, stmt, justification=None, client=client, details=details
    )
    return [programme_view(p) for p in got.records]


def get_programme(
    engine: Engine, principal: Principal, programme_id: int, *, client: str = ""
) -> ProgrammeView:
    from harmwatch.kernel import reads

    got = reads.get(engine, principal, Programme, programme_id, justification=None, client=client)
    return programme_view(got.records[0])


# -- participants -------------------------------------------------------------------------


def _label(db: Session, programme: Programme, ptype: ProgrammeType, typed: str) -> str:
    """What a participant is stored as: their pseudonym (or reference); never ``typed``."""
    text = " ".join(typed.split())
    if not ptype.participants:
        raise FormRefused([Problem("participant", f"{ptype.title} records no participants")])
    if not ptype.pseudonymised:
        if not text:
            raise FormRefused([Problem("participant", "required")])
        # A role reference (SC 4411) is matched without regard to case or spaces.
        return "".join(text.split()).upper()
    if pseudonyms.looks_like_pseudonym(text):
        return text.upper()
    key = db.get(ProgrammeKey, programme.id)
    if key is None or key.secret is None:
        raise FormRefused(
            [
                Problem(
                    "participant",
                    "this programme's pseudonym key was erased: its participants are anonymous "
                    "and no one can be matched or enrolled",
                )
            ]
        )
    try:
        return pseudonyms.pseudonym(key.secret, text)
    except InputError as exc:
        raise FormRefused([Problem("participant", str(exc).split(": ", 1)[-1])]) from None


def _participant(
    work: Work,
    programme: Programme,
    ptype: ProgrammeType,
    typed: str,
    attributes: Mapping[str, Any] | None,
    unit: str,
    *,
    synthetic: bool = False,
) -> tuple[ProgrammeParticipant, bool]:
    """The participant ``typed`` names, enrolling them if new; and whether they were enrolled."""
    label = _label(work.db, programme, ptype, typed)
    found = work.db.scalars(
        policy.scope(
            work.principal,
            select(ProgrammeParticipant).where(
                ProgrammeParticipant.programme_id == programme.id,
                ProgrammeParticipant.label == label,
            ),
            ProgrammeParticipant,
        )
    ).first()
    clean = ptype.attributes.checked(attributes or {}) if attributes else None
    if found is not None:
        if clean:
            found.attributes = json.dumps({k: jsonable(v) for k, v in clean.items()})
            found.updated_at = models.utcnow()
            found.updated_by = work.principal.actor
        return found, False
    if ptype.pseudonymised and pseudonyms.looks_like_pseudonym(typed):
        raise FormRefused(
            [Problem("participant", f"no participant {label} in this programme that you may see")]
        )
    if clean is None:
        # Enrolled by an event: the attributes are added later (add_participant).
        clean = ptype.attributes.check({}, partial=True)[0]
    policy.require_collect(work.principal, PARTICIPANTS, work.principal.force, unit)
    participant = ProgrammeParticipant(
        programme_id=programme.id,
        label=label,
        pseudonymised=ptype.pseudonymised,
        attributes=json.dumps({k: jsonable(v) for k, v in clean.items() if v is not None}),
        synthetic=synthetic,
        **_envelope(work.principal, programme, unit),
    )
    work.db.add(participant)
    work.db.flush()
    return participant, True


def participant_view(p: ProgrammeParticipant, enrolled: bool = False) -> ParticipantView:
    return ParticipantView(
        id=p.id,
        ref=str(p.ref),
        programme_id=p.programme_id,
        label=p.label,
        pseudonymised=p.pseudonymised,
        attributes=json.loads(p.attributes or "{}"),
        enrolled=enrolled,
    )


def add_participant(
    engine: Engine,
    principal: Principal,
    programme_id: int,
    identifier: str,
    attributes: Mapping[str, Any] | None = None,
    justification: str | None = None,
    *,
    unit: str | None = None,
    client: str = "",
) -> ParticipantView:
    """Enrol a participant (or find them: the same identifier, the same pseudonym).

    The answer carries the pseudonym; the identifier is neither stored nor logged.
    """
    by = principal
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(PARTICIPANTS.kind, "new"), client=client
    ) as work:
        work.justify(resolve(by, justification, what="enrolling a participant"))
        programme = _programme_for_change(work, programme_id)
        ptype = programme_type(programme.programme_type)
        participant, enrolled = _participant(
            work,
            programme,
            ptype,
            identifier,
            attributes,
            _unit(by, unit),
            synthetic=programme.synthetic,
        )
        work.target(participant.ref)
        if not enrolled:
            work.primary.action = (
                AuditAction.ALTERATION if attributes else (AuditAction.CONSULTATION)
            )
        work.details.update(
            {"programme": str(programme.ref), "label": participant.label, "enrolled": enrolled}
        )
        return participant_view(participant, enrolled)


# -- events -------------------------------------------------------------------------------


def store_event(
    work: Work,
    programme: Programme,
    event_kind: str,
    values: Mapping[str, Any],
    *,
    unit: str | None = None,
    where: str = "",
    synthetic: bool = False,
) -> tuple[ProgrammeEvent, ProgrammeParticipant | None, bool]:
    """Check and add one event inside ``work`` (the form, the participant, the operation).

    Shared by :func:`record_event` and the bulk import (:mod:`harmwatch.programmes.sheets`).
    Returns the event, its participant and whether this enrolled them.
    """
    by = work.principal
    ptype = programme_type(programme.programme_type)
    try:
        kind = ptype.event(event_kind)
    except InputError as exc:
        raise FormRefused([Problem("event_kind", str(exc).split(": ", 1)[-1], where)]) from None
    clean, problems = entry_form(ptype, kind).check(values, where=where)
    if problems:
        raise FormRefused(problems)
    owning_unit = _unit(by, unit)
    policy.require_collect(by, EVENTS, by.force, owning_unit)
    participant, enrolled = None, False
    if clean.get("participant"):
        participant, enrolled = _participant(
            work,
            programme,
            ptype,
            str(clean["participant"]),
            None,
            owning_unit,
            synthetic=synthetic or programme.synthetic,
        )
    operation_id = _operation_id(work.db, by, clean.get("operation"))
    own = {f.name: jsonable(clean[f.name]) for f in kind.fields if clean[f.name] is not None}
    event = ProgrammeEvent(
        programme_id=programme.id,
        participant_id=participant.id if participant else None,
        event_kind=kind.key,
        occurred_on=clean["occurred_on"],
        fields=json.dumps(own, sort_keys=True),
        operation_id=operation_id,
        synthetic=synthetic or programme.synthetic,
        **_envelope(by, programme, owning_unit),
    )
    work.db.add(event)
    work.db.flush()
    return event, participant, enrolled


def record_event(
    engine: Engine,
    principal: Principal,
    programme_id: int,
    event_kind: str,
    values: Mapping[str, Any],
    justification: str | None = None,
    *,
    unit: str | None = None,
    client: str = "",
) -> EventView:
    """Record one event, checked by its kind's form; :class:`FormRefused` names each field.

    An event that names a participant needs a justification (typed, or the session's
    declared purpose); a count-only event (a custody visit) does not.
    """
    by = principal
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(EVENTS.kind, "new"), client=client
    ) as work:
        names_someone = bool(str(values.get("participant") or "").strip())
        if names_someone:
            work.justify(resolve(by, justification, what="recording a participant's event"))
        elif justification and justification.strip():
            work.justify(Justification.typed(justification))
        programme = _programme_for_change(work, programme_id)
        event, participant, enrolled = store_event(work, programme, event_kind, values, unit=unit)
        work.target(event.ref)
        work.details.update(
            {
                "programme": str(programme.ref),
                "event_kind": event.event_kind,
                "participant": participant.label if participant else None,
                "enrolled": enrolled,
                "operation_id": event.operation_id,
            }
        )
        view = event_view(
            programme.programme_type, event, participant.label if participant else None
        )
        if enrolled:
            view.notes.append(
                f"{participant.label if participant else ''} enrolled in the programme"
            )
        return view


def correct_event(
    engine: Engine,
    principal: Principal,
    event_id: int,
    changes: Mapping[str, Any],
    justification: str | None,
    *,
    client: str = "",
) -> EventView:
    """Correct an event's date, operation or fields; logged with each change, old and new."""
    by = principal
    ref = RecordRef(EVENTS.kind, str(event_id))
    with unit_of_work(engine, by, AuditAction.ALTERATION, ref, client=client) as work:
        if not WRITE_PROGRAMMES.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not change programme events")
        work.justify(resolve(by, justification, what="correcting a programme event"))
        event: ProgrammeEvent = _one(work.db, by, ProgrammeEvent, event_id, "programme event")
        policy.require(work.db, by, AuditAction.ALTERATION, event)
        programme: Programme = _one(work.db, by, Programme, event.programme_id, "programme")
        ptype = programme_type(programme.programme_type)
        kind = ptype.event(event.event_kind)
        if "participant" in changes:
            raise FormRefused(
                [
                    Problem(
                        "participant",
                        "an event's participant is not corrected: record the "
                        "event again for the right person and correct this one's fields",
                    )
                ]
            )
        form = Form(
            kind=kind.form.kind,
            title=kind.title,
            fields=tuple(f for f in head_fields(kind) if f.name != "participant") + kind.fields,
        )
        before = typed_fields(programme.programme_type, event)
        current: dict[str, Any] = {
            "occurred_on": event.occurred_on,
            "operation": str(event.operation_id) if event.operation_id else None,
            **before,
        }
        clean = form.checked({**current, **changes})
        changed: dict[str, Any] = {}
        for f in kind.fields:
            if clean[f.name] != before.get(f.name):
                changed[f.name] = [jsonable(before.get(f.name)), jsonable(clean[f.name])]
        if clean["occurred_on"] != event.occurred_on:
            changed["occurred_on"] = [
                event.occurred_on.isoformat(),
                clean["occurred_on"].isoformat(),
            ]
            event.occurred_on = clean["occurred_on"]
        operation_id = _operation_id(work.db, by, clean.get("operation"))
        if operation_id != event.operation_id:
            changed["operation_id"] = [event.operation_id, operation_id]
            event.operation_id = operation_id
        if not changed:
            raise FormRefused([Problem("fields", "nothing to correct: every value is as recorded")])
        event.fields = json.dumps(
            {f.name: jsonable(clean[f.name]) for f in kind.fields if clean[f.name] is not None},
            sort_keys=True,
        )
        event.updated_at = models.utcnow()
        event.updated_by = by.actor
        work.db.flush()
        work.details["changed"] = changed
        label = None
        if event.participant_id is not None:
            label = _labels(work.db, by, [event.participant_id]).get(event.participant_id)
        return event_view(programme.programme_type, event, label)


def _labels(db: Session, by: Principal, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.scalars(
        policy.scope(
            by,
            select(ProgrammeParticipant).where(ProgrammeParticipant.id.in_(sorted(set(ids)))),
            ProgrammeParticipant,
        )
    )
    return {p.id: p.label for p in rows}


@dataclass
class EventListing:
    programme: ProgrammeView
    events: list[EventView]
    total: int
    participants: int  # distinct participants among them


def list_events(
    engine: Engine,
    principal: Principal,
    programme_id: int,
    *,
    justification: str | None,
    event_kind: str = "",
    limit: int = 500,
    client: str = "",
) -> EventListing:
    """A programme's events the principal may see, newest first (at most ``limit``)."""
    by = principal
    target = RecordRef(EVENTS.kind, "*")
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        target,
        client=client,
        details={"programme": f"programme:{programme_id}"},
    ) as work:
        if not READ_PROGRAMMES.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see programme events")
        work.justify(resolve(by, justification, what="reading a programme's events"))
        programme: Programme = _one(work.db, by, Programme, programme_id, "programme")
        stmt = select(ProgrammeEvent).where(ProgrammeEvent.programme_id == programme.id)
        if event_kind:
            programme_type(programme.programme_type).event(event_kind)
            stmt = stmt.where(ProgrammeEvent.event_kind == event_kind)
            work.details["event_kind"] = event_kind
        stmt = stmt.order_by(ProgrammeEvent.occurred_on.desc(), ProgrammeEvent.id.desc())
        rows = list(work.db.scalars(policy.scope(by, stmt, ProgrammeEvent)))
        labels = _labels(work.db, by, [e.participant_id for e in rows if e.participant_id])
        shown_rows = rows[:limit]
        work.details.update({"rows": len(rows), "records": [str(e.ref) for e in shown_rows]})
        views = [
            event_view(programme.programme_type, e, labels.get(e.participant_id or 0))
            for e in shown_rows
        ]
        return EventListing(
            programme=programme_view(programme),
            events=views,
            total=len(rows),
            participants=len({e.participant_id for e in rows if e.participant_id}),
        )


def erase_key(
    engine: Engine,
    principal: Principal,
    programme_id: int,
    justification: str | None,
    *,
    client: str = "",
) -> None:
    """Erase a programme's pseudonym key: its pseudonyms become anonymous, for good.

    Nobody can then tell whose a pseudonym is, and no one can be enrolled or matched
    (see :mod:`harmwatch.programmes.pseudonyms`); events and outcomes stay.
    """
    by = principal
    ref = RecordRef(PROGRAMMES.kind, str(programme_id))
    with unit_of_work(
        engine, by, AuditAction.ALTERATION, ref, client=client, details={"key": "erased"}
    ) as work:
        work.justify(resolve(by, justification, what="erasing a programme's pseudonym key"))
        programme = _programme_for_change(work, programme_id)
        key = work.db.get(ProgrammeKey, programme.id)
        if key is None or key.secret is None:
            raise InputError(f"{programme.ref} has no pseudonym key to erase")
        key.secret = None
        key.erased_at = models.utcnow()
        key.erased_by = by.actor
        work.db.flush()
