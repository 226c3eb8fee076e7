"""Programme types, declared in TOML: adding a programme is configuration, not code.

A programme type (treatment referral, Checkpoint diversion, victim services …) says
what a programme of its kind records and what it measures:

- whether it has **participants** and whether they are **pseudonymised** (the
  default: only a keyed pseudonym is stored, :mod:`harmwatch.programmes.pseudonyms`),
  and the non-identifying attributes a participant may carry (an age band);
- its **event kinds**, each with fields declared as ``name``/``type``/``guidance``/
  ``required``/``choices``/``min``/``max`` and turned into a
  :class:`~harmwatch.kernel.forms.Form` (so the web form, the API, the command line and
  the bulk template refuse bad input with the same words), and whether an event of
  the kind names a participant;
- its **outcome measures**, each a computation over the events
  (:mod:`harmwatch.programmes.outcomes`): ``count`` (events of a kind), ``sum`` (of a
  number field over events of a kind), ``participants`` (distinct participants with an
  event of a kind), ``ratio`` (one measure over another, shown as a percentage with
  its numerator and denominator). ``where`` narrows the events to those whose fields
  have the given values, which is how an *entered* outcome is counted: Checkpoint's
  reoffending at 12 and 24 months is recorded as a ``reoffending-check`` event (the
  participants are pseudonymised, so it cannot be computed from other records).

The shipped types are in ``data/programmes.toml``; a force adds its own in a TOML
file named by ``HARMWATCH_PROGRAMMES`` (or passed to :func:`load_types`). A mistake
in a file is refused with the file, the type and the field named.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from harmwatch.errors import InputError
from harmwatch.kernel.forms import Field, Form

ENV = "HARMWATCH_PROGRAMMES"
SHIPPED = Path(__file__).parent / "data" / "programmes.toml"

MeasureKind = Literal["count", "sum", "participants", "ratio"]
ParticipantRule = Literal["required", "optional", "none"]
MEASURE_KINDS: tuple[str, ...] = ("count", "sum", "participants", "ratio")
FIELD_TYPES = ("text", "integer", "decimal", "money", "date", "boolean", "choice", "choices")
#: The fields every event has (the head), which no event kind may declare again.
HEAD_FIELDS = ("programme", "event_kind", "occurred_on", "participant", "operation")
_KEY = re.compile(r"[a-z][a-z0-9-]{0,47}")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")


class ProgrammeConfigError(InputError):
    """A programme-type file that cannot be used: the file, the type and the field named."""


@dataclass(frozen=True)
class EventKind:
    key: str
    title: str
    form: Form
    participant: ParticipantRule

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.form.fields


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    kind: MeasureKind
    event: str | None = None  # the event kind counted (None: every kind), for count/participants
    field: str | None = None  # the field summed
    where: tuple[tuple[str, Any], ...] = ()  # field = typed value, all must hold
    numerator: str | None = None  # measure keys, for a ratio
    denominator: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ProgrammeType:
    key: str
    title: str
    description: str
    source: str
    participants: bool
    pseudonymised: bool
    attributes: Form  # a participant's non-identifying attributes
    events: tuple[EventKind, ...]
    measures: tuple[Measure, ...]
    treatment_referral_event: str | None = None  # counted as a referral into treatment
    file: str = ""

    def event(self, key: str) -> EventKind:
        for kind in self.events:
            if kind.key == key:
                return kind
        raise InputError(
            f"event_kind: {key!r} is not an event of {self.title}; one of "
            f"{', '.join(k.key for k in self.events)}"
        )

    def measure(self, key: str) -> Measure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)


class _Where:
    """Where a value was read from, for the messages."""

    def __init__(self, file: str, type_key: str = "", part: str = "") -> None:
        self.file, self.type_key, self.part = file, type_key, part

    def at(self, part: str) -> _Where:
        joined = f"{self.part}.{part}" if self.part else part
        return _Where(self.file, self.type_key, joined)

    def error(self, reason: str) -> ProgrammeConfigError:
        where = self.file
        if self.type_key:
            where += f": programme type {self.type_key!r}"
        if self.part:
            where += f": {self.part}"
        return ProgrammeConfigError(f"{where}: {reason}")


def _text(table: Mapping[str, Any], name: str, where: _Where, *, required: bool = True) -> str:
    value = table.get(name)
    if value is None:
        if required:
            raise where.at(name).error("is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise where.at(name).error("must be a non-empty string")
    return " ".join(value.split())


def _bool(table: Mapping[str, Any], name: str, where: _Where, default: bool) -> bool:
    value = table.get(name, default)
    if not isinstance(value, bool):
        raise where.at(name).error("must be true or false")
    return value


def _known(table: Mapping[str, Any], names: Iterable[str], where: _Where) -> None:
    allowed = set(names)
    for name in table:
        if name not in allowed:
            raise where.at(str(name)).error(
                f"is not a setting here; settings are: {', '.join(sorted(allowed))}"
            )


def _number(value: Any, where: _Where) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error("must be a number")
    return Decimal(str(value))


def _field(table: Any, where: _Where, *, head_names: bool = False) -> Field:
    if not isinstance(table, dict):
        raise where.error("must be a table (name, type, guidance …)")
    _known(
        table,
        ("name", "type", "guidance", "required", "choices", "min", "max", "label", "max_length"),
        where,
    )
    name = _text(table, "name", where)
    # Named by the field from here on: "fields[kits]" says more than "fields[0]".
    where = _Where(where.file, where.type_key, re.sub(r"\[\d+\]$", f"[{name}]", where.part))
    if not _FIELD_NAME.fullmatch(name):
        raise where.at("name").error("lower-case letters, digits and _, starting with a letter")
    if not head_names and name in HEAD_FIELDS:
        raise where.at("name").error(
            f"{name!r} is a field every event has ({', '.join(HEAD_FIELDS)}); choose another name"
        )
    ftype = _text(table, "type", where)
    if ftype not in FIELD_TYPES:
        raise where.at("type").error(f"{ftype!r}: one of {', '.join(FIELD_TYPES)}")
    choices = table.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, (str, int)) for c in choices):
        raise where.at("choices").error("must be a list of strings")
    cleaned = tuple(str(c).strip().lower() for c in choices)
    if ftype in ("choice", "choices") and not cleaned:
        raise where.at("choices").error(f"a {ftype} field needs its choices")
    if cleaned and ftype not in ("choice", "choices"):
        raise where.at("choices").error("only a choice or choices field has choices")
    minimum = _number(table.get("min"), where.at("min"))
    maximum = _number(table.get("max"), where.at("max"))
    if (minimum is not None or maximum is not None) and ftype not in (
        "integer",
        "decimal",
        "money",
    ):
        raise where.at("min").error("only a number field has a minimum or maximum")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise where.at("min").error(f"{minimum} is more than max ({maximum})")
    max_length = table.get("max_length", 200)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise where.at("max_length").error("must be a whole number of at least 1")
    return Field(
        name=name,
        type=ftype,  # type: ignore[arg-type]
        guidance=_text(table, "guidance", where),
        required=_bool(table, "required", where, False),
        choices=cleaned,
        minimum=minimum,
        maximum=maximum,
        max_length=max_length,
        label=_text(table, "label", where, required=False),
    )


def _form(kind: str, title: str, items: Any, where: _Where, description: str = "") -> Form:
    if items is None:
        items = []
    if not isinstance(items, list):
        raise where.error("must be a list of fields ([[...fields]])")
    fields = tuple(_field(item, where.at(f"fields[{n}]")) for n, item in enumerate(items))
    names = [f.name for f in fields]
    for name in names:
        if names.count(name) > 1:
            raise where.at(name).error("is declared twice")
    return Form(kind=kind, title=title, fields=fields, description=description)


def _event(table: Any, type_key: str, participants: bool, where: _Where) -> EventKind:
    if not isinstance(table, dict):
        raise where.error("must be a table ([[types.events]])")
    _known(table, ("key", "title", "description", "participant", "fields"), where)
    key = _text(table, "key", where)
    where = _Where(where.file, where.type_key, f"events[{key}]")
    if not _KEY.fullmatch(key):
        raise where.at("key").error("lower-case letters, digits and -, starting with a letter")
    title = _text(table, "title", where)
    default = "required" if participants else "none"
    rule = table.get("participant", default)
    if rule not in ("required", "optional", "none"):
        raise where.at("participant").error("required, optional or none")
    if rule != "none" and not participants:
        raise where.at("participant").error(
            "this programme type has no participants (participants = false): use none"
        )
    form = _form(
        f"programme-event-{type_key}-{key}",
        title,
        table.get("fields"),
        where,
        _text(table, "description", where, required=False),
    )
    return EventKind(key=key, title=title, form=form, participant=rule)


def _where_values(raw: Any, kind: EventKind | None, where: _Where) -> tuple[tuple[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise where.error("must be a table of field = value")
    if kind is None:
        raise where.error("needs the event kind whose fields it tests (event = ...)")
    out = []
    for name, value in raw.items():
        try:
            f = kind.form.field(name)
        except KeyError:
            raise where.at(name).error(
                f"is not a field of the event {kind.key!r} "
                f"({', '.join(kind.form.names) or 'it has none'})"
            ) from None
        typed, reason = f.parse(value)
        if reason or typed is None:
            raise where.at(name).error(f"{value!r}: {reason or 'a value is needed'}")
        out.append((name, typed))
    return tuple(out)


def _measure(
    table: Any, events: Mapping[str, EventKind], earlier: Mapping[str, Measure], where: _Where
) -> Measure:
    if not isinstance(table, dict):
        raise where.error("must be a table ([[types.measures]])")
    _known(
        table,
        (
            "key",
            "title",
            "kind",
            "event",
            "field",
            "where",
            "numerator",
            "denominator",
            "description",
        ),
        where,
    )
    key = _text(table, "key", where)
    where = _Where(where.file, where.type_key, f"measures[{key}]")
    if not _KEY.fullmatch(key):
        raise where.at("key").error("lower-case letters, digits and -, starting with a letter")
    if key in earlier:
        raise where.at("key").error("is declared twice")
    kind = _text(table, "kind", where)
    if kind not in MEASURE_KINDS:
        raise where.at("kind").error(f"{kind!r}: one of {', '.join(MEASURE_KINDS)}")
    event_key = table.get("event")
    event: EventKind | None = None
    if event_key is not None:
        if kind == "ratio":
            raise where.at("event").error("a ratio is of two measures: numerator and denominator")
        if event_key not in events:
            raise where.at("event").error(
                f"{event_key!r} is not an event of this type; one of {', '.join(events)}"
            )
        event = events[event_key]
    field_name = table.get("field")
    numerator = table.get("numerator")
    denominator = table.get("denominator")
    if kind == "sum":
        if event is None:
            raise where.at("event").error("a sum needs the event kind whose field it adds up")
        if not isinstance(field_name, str):
            raise where.at("field").error("a sum needs the number field it adds up")
        try:
            summed = event.form.field(field_name)
        except KeyError:
            raise where.at("field").error(
                f"{field_name!r} is not a field of the event {event.key!r}"
            ) from None
        if summed.type not in ("integer", "decimal", "money"):
            raise where.at("field").error(f"{field_name!r} is a {summed.type}, not a number")
    elif field_name is not None:
        raise where.at("field").error("only a sum adds up a field")
    if kind == "participants" and event is not None and event.participant == "none":
        raise where.at("event").error(f"events {event.key!r} name no participant")
    if kind == "ratio":
        for name, ref in (("numerator", numerator), ("denominator", denominator)):
            if not isinstance(ref, str):
                raise where.at(name).error("a ratio needs the key of an earlier measure")
            if ref not in earlier:
                raise where.at(name).error(
                    f"{ref!r} is not a measure declared before this one "
                    f"({', '.join(earlier) or 'none yet'})"
                )
            if earlier[ref].kind == "ratio":
                raise where.at(name).error(f"{ref!r} is a ratio; a ratio is of counts or sums")
        if table.get("where") is not None:
            raise where.at("where").error("a ratio takes its events from its two measures")
    elif numerator is not None or denominator is not None:
        raise where.at("numerator").error("only a ratio has a numerator and denominator")
    return Measure(
        key=key,
        title=_text(table, "title", where),
        kind=kind,  # type: ignore[arg-type]
        event=event.key if event else None,
        field=field_name if kind == "sum" else None,
        where=_where_values(table.get("where"), event, where.at("where")),
        numerator=numerator if kind == "ratio" else None,
        denominator=denominator if kind == "ratio" else None,
        description=_text(table, "description", where, required=False),
    )


def _type(table: Any, file: str, n: int) -> ProgrammeType:
    where = _Where(file, part=f"types[{n}]")
    if not isinstance(table, dict):
        raise where.error("must be a table ([[types]])")
    key = table.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise where.at("key").error(
            "each programme type needs a key: lower-case letters, digits and -, e.g. checkpoint"
        )
    where = _Where(file, key)
    _known(
        table,
        (
            "key",
            "title",
            "description",
            "source",
            "participants",
            "pseudonymised",
            "attributes",
            "events",
            "measures",
            "treatment_referral_event",
        ),
        where,
    )
    participants = _bool(table, "participants", where, True)
    pseudonymised = _bool(table, "pseudonymised", where, True)
    if not participants and table.get("attributes"):
        raise where.at("attributes").error("a programme type without participants has none")
    raw_events = table.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise where.at("events").error("declare at least one event kind ([[types.events]])")
    events: dict[str, EventKind] = {}
    for i, raw in enumerate(raw_events):
        kind = _event(raw, key, participants, where.at(f"events[{i}]"))
        if kind.key in events:
            raise where.at(f"events[{kind.key}]").error("is declared twice")
        events[kind.key] = kind
    raw_measures = table.get("measures", [])
    if not isinstance(raw_measures, list):
        raise where.at("measures").error("must be a list ([[types.measures]])")
    measures: dict[str, Measure] = {}
    for i, raw in enumerate(raw_measures):
        m = _measure(raw, events, measures, where.at(f"measures[{i}]"))
        measures[m.key] = m
    referral = table.get("treatment_referral_event")
    if referral is not None and referral not in events:
        raise where.at("treatment_referral_event").error(
            f"{referral!r} is not an event of this type; one of {', '.join(events)}"
        )
    title = _text(table, "title", where)
    return ProgrammeType(
        key=key,
        title=title,
        description=_text(table, "description", where, required=False),
        source=_text(table, "source", where),
        participants=participants,
        pseudonymised=pseudonymised and participants,
        attributes=_form(
            f"programme-participant-{key}",
            f"{title}: participant",
            table.get("attributes"),
            where.at("attributes"),
        ),
        events=tuple(events.values()),
        measures=tuple(measures.values()),
        treatment_referral_event=referral,
        file=file,
    )


def parse_types(text: str, file: str) -> dict[str, ProgrammeType]:
    """The programme types declared in ``text`` (the contents of ``file``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeConfigError(f"{file}: not valid TOML: {exc}") from None
    _known(data, ("types",), _Where(file))
    raw = data.get("types")
    if not isinstance(raw, list) or not raw:
        raise ProgrammeConfigError(f"{file}: declare programme types as [[types]] tables")
    out: dict[str, ProgrammeType] = {}
    for n, table in enumerate(raw):
        ptype = _type(table, file, n)
        if ptype.key in out:
            raise ProgrammeConfigError(f"{file}: programme type {ptype.key!r} is declared twice")
        out[ptype.key] = ptype
    return out


def load_types(*paths: Path | str) -> dict[str, ProgrammeType]:
    """The shipped types, then each file's; a file may add types, never redefine one."""
    types = parse_types(SHIPPED.read_text(encoding="utf-8"), str(SHIPPED))
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProgrammeConfigError(f"{p}: cannot read it ({exc.strerror})") from None
        for key, ptype in parse_types(text, str(p)).items():
            if key in types:
                raise ProgrammeConfigError(
                    f"{p}: programme type {key!r} is already declared in {types[key].file}"
                )
            types[key] = ptype
    return types


@cache
def _cached(extra: str) -> dict[str, ProgrammeType]:
    return load_types(*([extra] if extra else []))


def programme_types() -> dict[str, ProgrammeType]:
    """Every programme type in use: the shipped ones and those of ``$HARMWATCH_PROGRAMMES``."""
    return dict(_cached(os.environ.get(ENV, "").strip()))


def programme_type(key: str) -> ProgrammeType:
    types = programme_types()
    try:
        return types[key]
    except KeyError:
        raise InputError(
            f"programme_type: {key!r} is not a programme type; one of {', '.join(types)}"
        ) from None
