"""Programme events as bulk templates: one sheet kind per programme type.

``harmwatch ops template programme-event-checkpoint`` writes a sheet whose columns
are the programme (by name), the event kind, the day, the participant (their
identifier, pseudonymised on import and never stored; or their pseudonym), the
operation, then every field of the type's event kinds (a row fills in its own kind's;
each row is checked by its kind's form). Since fields differ per type, each type is
a kind of its own, so a sheet's columns are only those its rows can use.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem, SheetKind
from harmwatch.kernel.work import Work

from .config import ProgrammeType, programme_types
from .kinds import EVENTS
from .models import Programme, ProgrammeEvent, ProgrammeParticipant
from .service import programme_by_name, store_event, typed_fields

EXPORT_REASON = "the programme name and pseudonym of an event the exporter was shown"


def sheet_form(ptype: ProgrammeType) -> Form:
    """The type's sheet: the head once, then each event kind's fields (first declaration)."""
    head: tuple[Field, ...] = (
        Field(
            "programme", "text", "the programme's name, as recorded", required=True, max_length=120
        ),
        Field(
            "event_kind",
            "choice",
            "the kind of event",
            required=True,
            choices=tuple(k.key for k in ptype.events),
        ),
        Field("occurred_on", "date", "the day it happened", required=True, label="Date"),
    )
    if ptype.participants:
        head += (
            Field(
                "participant",
                "text",
                "custody number or name (only a pseudonym is kept), "
                "or the pseudonym (P-…) or reference",
                max_length=200,
            ),
        )
    head += (Field("operation", "text", "the operation's name or id (optional)", max_length=120),)
    taken = {f.name for f in head}
    declared: dict[str, list[tuple[str, Field]]] = {}
    for kind in ptype.events:
        for f in kind.fields:
            if f.name not in taken:
                declared.setdefault(f.name, []).append((kind.key, f))
    extra = []
    for name, uses in declared.items():
        guidance = "; ".join(f"{k}: {f.guidance}" for k, f in uses)
        first = uses[0][1]
        specs = {(f.type, f.choices, f.minimum, f.maximum) for _, f in uses}
        if len(specs) > 1:
            # Kinds that mean different things by one name: the column takes text, and
            # each row is checked by its own kind's form on import.
            extra.append(Field(name, "text", guidance, max_length=first.max_length))
            continue
        # Optional here: each row is checked by its own kind's form on import.
        extra.append(
            Field(
                name,
                first.type,
                guidance,
                choices=first.choices,
                minimum=first.minimum,
                maximum=first.maximum,
                max_length=first.max_length,
                label=first.label,
            )
        )
    return Form(
        kind=f"programme-event-{ptype.key}",
        title=f"{ptype.title}: events",
        fields=head + tuple(extra),
        description=ptype.description,
    )


def _store(ptype: ProgrammeType) -> Any:
    def store(work: Work, values: dict[str, Any]) -> ProgrammeEvent:
        programme = programme_by_name(work.db, work.principal, str(values["programme"]))
        if programme.programme_type != ptype.key:
            raise FormRefused(
                [
                    Problem(
                        "programme",
                        f"{programme.name!r} is a {programme.programme_type} "
                        f"programme, not {ptype.key}",
                    )
                ]
            )
        policy.require(work.db, work.principal, AuditAction.ALTERATION, programme)
        kind = ptype.event(str(values["event_kind"]))
        wanted = {"occurred_on", "participant", "operation", *kind.form.names}
        row = {k: v for k, v in values.items() if k in wanted and v is not None}
        if kind.participant == "none":
            row.pop("participant", None)
        event, _, _ = store_event(work, programme, kind.key, row)
        return event

    return store


def _values(ptype: ProgrammeType) -> Any:
    def values(db: Session, record: ProgrammeEvent) -> dict[str, Any]:
        name = db.scalar(
            policy.privileged(
                select(Programme.name).where(Programme.id == record.programme_id), EXPORT_REASON
            )
        )
        label = None
        if record.participant_id is not None:
            label = db.scalar(
                policy.privileged(
                    select(ProgrammeParticipant.label).where(
                        ProgrammeParticipant.id == record.participant_id
                    ),
                    EXPORT_REASON,
                )
            )
        row: dict[str, Any] = {
            "programme": name,
            "event_kind": record.event_kind,
            "occurred_on": record.occurred_on,
            "operation": str(record.operation_id) if record.operation_id else None,
            **typed_fields(ptype.key, record),
        }
        if ptype.participants:
            row["participant"] = label  # the pseudonym: the identifier was never kept
        return row

    return values


def _statement(ptype: ProgrammeType) -> Any:
    def statement() -> Any:
        return select(ProgrammeEvent).where(
            ProgrammeEvent.programme_id.in_(
                select(Programme.id).where(Programme.programme_type == ptype.key)
            )
        )

    return statement


def sheet_kinds() -> tuple[SheetKind, ...]:
    """One sheet kind per configured programme type."""
    return tuple(
        SheetKind(sheet_form(t), EVENTS, _store(t), _values(t), _statement(t))
        for t in programme_types().values()
    )


SHEETS: tuple[SheetKind, ...] = sheet_kinds()
