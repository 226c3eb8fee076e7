"""The outcomes framework: what a PCC or a Combating Drugs Partnership reports, in TOML.

The measures are configuration, not code. The shipped framework
(``data/outcomes.toml``) follows the national drug strategy, *From Harm to Hope:
a 10-year drugs plan to cut crime and save lives* (HM Government, December 2021),
whose three priorities are the framework's ``priority`` values —

- ``supply``: break drug supply chains;
- ``treatment``: deliver a world-class treatment and recovery system;
- ``demand``: achieve a generational shift in the demand for drugs —

and adds ``plan`` for a Police and Crime Plan's own measures (neighbourhood crime,
victims). A force or partnership uses its own file: ``--framework FILE``, or the
file named by ``$HARMWATCH_OUTCOMES`` (as ``$HARMWATCH_PROGRAMMES`` names extra
programme types). A file either stands alone or starts ``[framework] extends =
"shipped"``: its measures then replace the shipped ones of the same key, add new
ones after them, and ``drop = [...]`` removes shipped ones.

Each measure (``[[measures]]``) has a ``key``, ``title``, ``priority``, ``kind``,
``direction`` (``increase``, ``decrease`` or ``neutral``), ``source`` (where the
figures come from, in words) and optionally ``area``, ``description``,
``caveats``, a ``[measures.target]`` (``wording``; optional ``number``; ``of`` =
``change``, a percentage change on the baseline, or ``value``, the figure itself)
and a ``[measures.baseline]`` (``period`` and its ``source``: a fixed baseline such
as a national one, in place of the default comparison). Its kind says what is
counted and takes its own fields (:data:`KIND_FIELDS`):

==========================  =================================================================
``police-uk-crimes``        street crimes of ``crime_types`` (police.uk, OGL v3.0)
``force-records-crimes``    the force's own crime records, by ``crime_types``, ``flags`` or
                            Home Office ``offence_classes`` (possession 92D/92E, trafficking
                            92A/92B/92C)
``operations-figure``       a ``figure`` of the operations summary (``lines_closed``,
                            ``ocg_disruptions`` with ``levels`` …), records read as figures
``programme-measure``       a ``programme_type``'s outcome ``measure`` (treatment entry,
                            diversion completion, reoffending, victim contacts)
``forensic-progress``       a laboratory-incident review's ``figure`` (``retested``,
                            ``notifications-sent``)
``stop-search-find-rate``   the stop and search find rate (:mod:`harmwatch.oversight.
                            stop_search`) of searches for ``object_of_search`` (none: all)
==========================  =================================================================

Police-generated crime (drugs, weapons possession: :mod:`harmwatch.evaluation.
recording`) must be ``neutral``: a fall may mean less searching, so neither way is
good news, and a neutral measure takes no target. A file that cannot be used is
refused naming the file, the measure and the field.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harmwatch.errors import InputError
from harmwatch.evaluation.recording import police_generated
from harmwatch.timeline.months import parse_period

ENV = "HARMWATCH_OUTCOMES"
SHIPPED = Path(__file__).parent / "data" / "outcomes.toml"

Direction = Literal["increase", "decrease", "neutral"]
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "neutral")
TargetOf = Literal["change", "value"]

#: From Harm to Hope's three priorities, and the Police and Crime Plan's own measures.
PRIORITIES: dict[str, str] = {
    "supply": "Break drug supply chains",
    "treatment": "Deliver a world-class treatment and recovery system",
    "demand": "Achieve a generational shift in the demand for drugs",
    "plan": "Police and Crime Plan",
}

#: Operations-summary figures that count things (money and values are not compared here).
OPERATIONS_FIGURES: tuple[str, ...] = (
    "people_charged", "offences_charged", "lines_closed", "lines_closed_type1",
    "lines_closed_type2", "warrants_executed", "arrests", "out_of_court_disposals",
    "drug_seizures", "ocg_disruptions", "cannabis_factories", "weapons_recovered",
)  # fmt: skip
FORENSIC_FIGURES: tuple[str, ...] = ("retested", "notifications-sent")
_KEY = re.compile(r"[a-z][a-z0-9-]{0,47}")
COMMON_FIELDS = (
    "key", "title", "priority", "kind", "direction", "source", "area", "description",
    "caveats", "target", "baseline",
)  # fmt: skip


class FrameworkError(InputError):
    """An outcomes file that cannot be used: the file, the measure and the field named."""


@dataclass(frozen=True)
class Target:
    """What the plan aims at: words always; a number where the plan sets one."""

    wording: str
    number: float | None = None
    of: TargetOf = "change"  # change: percent change on the baseline; value: the figure

    def to_dict(self) -> dict[str, Any]:
        return {"wording": self.wording, "number": self.number, "of": self.of}


@dataclass(frozen=True)
class Baseline:
    """A fixed baseline in place of the default comparison, and where it comes from."""

    period: tuple[str, str]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"period": list(self.period), "source": self.source}


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    title: str
    priority: str
    kind: str
    direction: Direction
    source: str
    area: str = "the force area"
    description: str = ""
    caveats: tuple[str, ...] = ()
    target: Target | None = None
    baseline: Baseline | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # the kind's own fields

    @property
    def priority_title(self) -> str:
        return PRIORITIES[self.priority]

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "priority": self.priority,
            "priority_title": self.priority_title,
            "kind": self.kind,
            "direction": self.direction,
            "source": self.source,
            "area": self.area,
            "description": self.description,
            "caveats": list(self.caveats),
            "target": self.target.to_dict() if self.target else None,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "options": {k: list(v) if isinstance(v, tuple) else v for k, v in self.options.items()},
        }


@dataclass(frozen=True)
class Framework:
    title: str
    source: str
    file: str
    measures: tuple[MeasureSpec, ...]

    def measure(self, key: str) -> MeasureSpec:
        for m in self.measures:
            if m.key == key:
                return m
        raise InputError(f"measure: {key!r} is not in {self.file}; one of {', '.join(self.keys())}")

    def keys(self) -> list[str]:
        return [m.key for m in self.measures]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "file": self.file,
            "measures": [m.to_dict() for m in self.measures],
        }


class _Where:
    def __init__(self, file: str, measure: str = "") -> None:
        self.file, self.measure = file, measure

    def error(self, fieldname: str | None, reason: str) -> FrameworkError:
        where = self.file
        if self.measure:
            where += f": measure {self.measure!r}"
        if fieldname:
            where += f": {fieldname}"
        return FrameworkError(f"{where}: {reason}")


# -- the kinds' own fields -------------------------------------------------------------

Check = Callable[[Any, "_Where", str], Any]


def _strings(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise where.error(name, "must be a list of one or more strings")
    return tuple(" ".join(v.split()) for v in value)


def _crime_types(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    from harmwatch.crimes.offences import POLICE_UK_CRIME_TYPES

    known = {t.lower(): t for t in (*POLICE_UK_CRIME_TYPES, "Anti-social behaviour")}
    out = []
    for text in _strings(value, where, name):
        if text.lower() not in known:
            raise where.error(name, f"{text!r} is not a police.uk crime type; one of "
                              f"{', '.join(known.values())}")  # fmt: skip
        out.append(known[text.lower()])
    return tuple(out)


def _flags(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    from harmwatch.crimes.flags import FlagError, expand_flags

    names = _strings(value, where, name)
    try:
        expand_flags(names)
    except FlagError as exc:
        raise where.error(name, str(exc)) from None
    return names


def _offence_classes(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    from harmwatch.crimes.offences import normalise_code, offence_classes

    out = []
    for text in _strings(value, where, name):
        code = normalise_code(text)
        if code not in offence_classes():
            raise where.error(name, f"{text!r} is not a Home Office offence class harmwatch knows")
        out.append(code)
    return tuple(out)


def _choice(choices: tuple[str, ...]) -> Check:
    def check(value: Any, where: _Where, name: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise where.error(name, f"{value!r}: one of {', '.join(choices)}")
        return value

    return check


def _levels(value: Any, where: _Where, name: str) -> tuple[str, ...]:
    from harmwatch.operations.results import DISRUPTION_LEVELS

    levels = _strings(value, where, name)
    for level in levels:
        if level not in DISRUPTION_LEVELS:
            raise where.error(name, f"{level!r}: one of {', '.join(DISRUPTION_LEVELS)}")
    return levels


def _key_text(value: Any, where: _Where, name: str) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise where.error(name, "lower-case letters, digits and -, starting with a letter")
    return value


def _any(value: Any, where: _Where, name: str) -> Any:
    return value


#: Each kind's fields: name -> (required, check). ``None``: the kind's options are passed to
#: its computation unchecked here (it checks them).
KIND_FIELDS: dict[str, dict[str, tuple[bool, Check]] | None] = {
    "police-uk-crimes": {"crime_types": (True, _crime_types)},
    "force-records-crimes": {
        "crime_types": (False, _crime_types),
        "flags": (False, _flags),
        "offence_classes": (False, _offence_classes),
    },
    "operations-figure": {
        "figure": (True, _choice(OPERATIONS_FIGURES)),
        "levels": (False, _levels),
    },
    "programme-measure": {
        "programme_type": (True, _key_text),
        "measure": (True, _key_text),
    },
    "forensic-progress": {"figure": (True, _choice(FORENSIC_FIGURES))},
    "stop-search-find-rate": {"object_of_search": (False, _strings)},
}


def _text(table: Mapping[str, Any], name: str, where: _Where, *, required: bool = True) -> str:
    value = table.get(name)
    if value is None:
        if required:
            raise where.error(name, "is missing")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise where.error(name, "must be a non-empty string")
    return " ".join(value.split())


def _target(raw: Any, direction: str, where: _Where) -> Target | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise where.error("target", "must be a table ([measures.target])")
    for name in raw:
        if name not in ("wording", "number", "of"):
            raise where.error(f"target.{name}", "is not a setting; settings: wording, number, of")
    if direction == "neutral":
        raise where.error(
            "target", "a neutral measure has no target: neither a rise nor a fall is the aim"
        )
    wording = _text(raw, "wording", _Where(where.file, where.measure))
    number = raw.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))):
        raise where.error("target.number", "must be a number")
    of = raw.get("of", "change")
    if of not in ("change", "value"):
        raise where.error("target.of", f"{of!r}: change (percent change) or value (the figure)")
    return Target(wording, None if number is None else float(number), of)


def _baseline(raw: Any, where: _Where) -> Baseline | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise where.error("baseline", "must be a table ([measures.baseline])")
    for name in raw:
        if name not in ("period", "source"):
            raise where.error(f"baseline.{name}", "is not a setting; settings: period, source")
    text = raw.get("period")
    if not isinstance(text, str):
        raise where.error("baseline.period", 'is missing (e.g. "2019-04:2020-03")')
    try:
        period = parse_period(text, "baseline.period")
    except InputError as exc:
        raise where.error("baseline.period", str(exc)) from None
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise where.error("baseline.source", "a fixed baseline must say where it comes from")
    return Baseline(period, " ".join(source.split()))


def _measure(table: Any, file: str, n: int) -> MeasureSpec:
    where = _Where(file, f"#{n + 1}")
    if not isinstance(table, dict):
        raise where.error(None, "must be a table ([[measures]])")
    key = table.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise where.error("key", "lower-case letters, digits and -, starting with a letter")
    where = _Where(file, key)
    kind = table.get("kind")
    if kind not in KIND_FIELDS:
        raise where.error("kind", f"{kind!r}: one of {', '.join(KIND_FIELDS)}")
    fields = KIND_FIELDS[kind]
    options: dict[str, Any] = {}
    for name, value in table.items():
        if name in COMMON_FIELDS:
            continue
        if fields is None:
            options[name] = value
            continue
        if name not in fields:
            allowed = sorted({*COMMON_FIELDS, *fields})
            raise where.error(
                name, f"is not a setting of a {kind} measure; settings: {', '.join(allowed)}"
            )
        options[name] = fields[name][1](value, where, name)
    for name, (required, _) in (fields or {}).items():
        if required and name not in options:
            raise where.error(name, f"a {kind} measure needs it")
    if (
        kind == "operations-figure"
        and "levels" in options
        and options["figure"] != "ocg_disruptions"
    ):
        raise where.error("levels", "only the ocg_disruptions figure has levels")
    if kind == "force-records-crimes" and "crime_types" in options and "offence_classes" in options:
        raise where.error("offence_classes", "give crime types or offence classes, not both")
    priority = table.get("priority")
    if priority not in PRIORITIES:
        raise where.error("priority", f"{priority!r}: one of {', '.join(PRIORITIES)}")
    direction = table.get("direction")
    if direction not in DIRECTIONS:
        raise where.error("direction", f"{direction!r}: one of {', '.join(DIRECTIONS)}")
    generated = [t for t in options.get("crime_types", ()) if police_generated(t)]
    if kind == "force-records-crimes" and options.get("offence_classes"):
        from harmwatch.crimes.offences import offence_classes

        types = {offence_classes()[c].police_uk_type for c in options["offence_classes"]}
        generated += [t for t in types if t and police_generated(t)]
    if generated and direction != "neutral":
        raise where.error(
            "direction",
            f"{', '.join(dict.fromkeys(generated))} offences are found by police activity, so a "
            "fall may mean less searching: the direction must be neutral",
        )
    caveats = table.get("caveats", [])
    if not isinstance(caveats, list) or not all(isinstance(c, str) and c.strip() for c in caveats):
        raise where.error("caveats", "must be a list of sentences")
    return MeasureSpec(
        key=key,
        title=_text(table, "title", where),
        priority=str(priority),
        kind=str(kind),
        direction=direction,
        source=_text(table, "source", where),
        area=_text(table, "area", where, required=False) or "the force area",
        description=_text(table, "description", where, required=False),
        caveats=tuple(" ".join(c.split()) for c in caveats),
        target=_target(table.get("target"), str(direction), where),
        baseline=_baseline(table.get("baseline"), where),
        options=options,
    )


def parse_framework(text: str, file: str, *, shipped: Framework | None = None) -> Framework:
    """The framework declared in ``text`` (the contents of ``file``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{file}: not valid TOML: {exc}") from None
    where = _Where(file)
    for name in data:
        if name not in ("framework", "measures"):
            raise where.error(name, "is not a section here; sections: [framework], [[measures]]")
    head = data.get("framework", {})
    if not isinstance(head, dict):
        raise where.error("framework", "must be a table")
    for name in head:
        if name not in ("title", "source", "extends", "drop"):
            raise where.error(
                f"framework.{name}", "is not a setting; settings: title, source, extends, drop"
            )
    extends = head.get("extends")
    if extends not in (None, "shipped"):
        raise where.error("framework.extends", f'{extends!r}: only "shipped" can be extended')
    raw = data.get("measures", [])
    if not isinstance(raw, list) or (not raw and extends is None):
        raise where.error("measures", "declare the measures as [[measures]] tables")
    measures: dict[str, MeasureSpec] = {}
    for n, table in enumerate(raw):
        m = _measure(table, file, n)
        if m.key in measures:
            raise _Where(file, m.key).error("key", "is declared twice")
        measures[m.key] = m
    drop = head.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        raise where.error("framework.drop", "must be a list of measure keys")
    if extends is None:
        if drop:
            raise where.error("framework.drop", "only a file that extends the shipped one drops")
        return Framework(
            title=_text(head, "title", _Where(file, ""), required=False) or Path(file).name,
            source=_text(head, "source", _Where(file, ""), required=False),
            file=file,
            measures=tuple(measures.values()),
        )
    base = shipped or shipped_framework()
    for key in drop:
        if key not in base.keys():  # noqa: SIM118 (a list of keys, not a dict)
            raise where.error("framework.drop", f"{key!r} is not a shipped measure")
    merged = {m.key: m for m in base.measures if m.key not in drop}
    merged.update(measures)  # same key: replaced in place; new keys: after the shipped ones
    return Framework(
        title=_text(head, "title", _Where(file, ""), required=False) or base.title,
        source=_text(head, "source", _Where(file, ""), required=False) or base.source,
        file=f"{base.file} extended by {file}",
        measures=tuple(merged.values()),
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(f"{path}: cannot read it ({exc.strerror})") from None


def shipped_framework() -> Framework:
    return parse_framework(SHIPPED.read_text(encoding="utf-8"), str(SHIPPED))


def load_framework(path: str | Path | None = None) -> Framework:
    """The framework in ``path``; else the file ``$HARMWATCH_OUTCOMES`` names; else the shipped."""
    chosen = path if path is not None else (os.environ.get(ENV, "").strip() or None)
    if chosen is None:
        return shipped_framework()
    p = Path(chosen)
    return parse_framework(_read(p), str(p))
