"""Record forms: the fields of a record type, declared once, checked the same way everywhere.

A warrant, a seizure or a covert authorisation is entered on a web form, posted to
the API, or loaded from a spreadsheet row; all three must refuse the same bad input
with the same words. So each room declares a record type's fields as a :class:`Form`
(name, type, whether required, the choices, a line of guidance), and every front end
goes through :meth:`Form.check`:

- the web form renders its inputs and the as-you-type check from it (the page posts
  the half-filled form to the room's ``check`` endpoint, which answers the problems);
- the bulk template (:mod:`harmwatch.operations.bulk`) is its header, with the
  guidance as the second line;
- an import row is checked by it, and a problem names the file, sheet, line and field.

Values come back typed: ``integer`` as ``int``, ``decimal`` as :class:`~decimal.Decimal`
(quantities in kg keep their digits), ``money`` as whole pence (``int``: £1,234.50 is
123450 — sums of money are never floating point), ``date`` as :class:`~datetime.date`,
``boolean`` as ``bool``, ``choices`` and ``ids`` as tuples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from harmwatch.errors import InputError

FieldType = Literal[
    "text", "integer", "decimal", "money", "date", "boolean", "choice", "choices", "ids"
]

_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_MONEY = re.compile(r"£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value: the field it belongs to, and why.

    ``where`` is the file, sheet and line of an import row (empty for a form).
    """

    field: str
    reason: str
    where: str = ""

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.field}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        out = {"field": self.field, "reason": self.reason}
        if self.where:
            out["where"] = self.where
        return out


#: At most this many problems are listed in an error's message (all are kept on it).
MESSAGE_PROBLEMS = 20


class FormRefused(InputError):
    """Input that breaks a rule; every problem is listed with its field (and row)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:MESSAGE_PROBLEMS])
        more = len(self.problems) - MESSAGE_PROBLEMS
        super().__init__(shown + (f"; and {more} more" if more > 0 else ""))

    def by_field(self) -> dict[str, str]:
        """The first problem of each field, for a form to show beside its input."""
        out: dict[str, str] = {}
        for p in self.problems:
            out.setdefault(p.field, p.reason)
        return out


@dataclass(frozen=True)
class Field:
    """One field of a record form."""

    name: str
    type: FieldType
    guidance: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = 200
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def template_guidance(self) -> str:
        """The guidance line of a bulk template: what to type, and whether it is required."""
        need = "required" if self.required else "optional"
        extra = ""
        if self.type in ("choice", "choices") and self.choices:
            joiner = "one of" if self.type == "choice" else "any of (separate with ;)"
            extra = f" — {joiner}: {', '.join(self.choices)}"
        kind = {
            "date": "a date, 2025-03-31",
            "money": "pounds, e.g. 1250.50",
            "boolean": "yes or no",
            "integer": "a whole number",
            "decimal": "a number",
            "ids": "record ids, separated with ;",
        }.get(self.type, "")
        shown = f" ({kind})" if kind else ""
        return f"{need}{shown}: {self.guidance}{extra}"

    def parse(self, raw: Any) -> tuple[Any, str | None]:
        """The typed value of ``raw`` (None when empty), or the reason it cannot be used."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, ("required" if self.required else None)
        try:
            value = _PARSERS[self.type](self, raw)
        except _Bad as exc:
            return None, str(exc)
        return value, self._bounds(value)

    def _bounds(self, value: Any) -> str | None:
        if self.type in ("integer", "decimal", "money"):
            number = Decimal(value) / (100 if self.type == "money" else 1)
            if self.minimum is not None and number < self.minimum:
                return f"at least {self.minimum}"
            if self.maximum is not None and number > self.maximum:
                return f"at most {self.maximum}"
        return None


class _Bad(ValueError):
    pass


def _text(f: Field, raw: Any) -> str:
    text = " ".join(str(raw).split())
    if len(text) > f.max_length:
        raise _Bad(f"at most {f.max_length} characters (got {len(text)})")
    return text


def _integer(f: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Bad("a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():  # a spreadsheet's number cell
        return int(raw)
    text = str(raw).strip().replace(",", "")
    if not re.fullmatch(r"[+-]?\d{1,15}", text):
        raise _Bad(f"{str(raw)[:40]!r} is not a whole number")
    return int(text)


def _decimal(f: Field, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise _Bad("a number")
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"{str(raw)[:40]!r} is not a number") from None
    if not value.is_finite():
        raise _Bad("a finite number")
    return value


def _money(f: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Bad("an amount in pounds")
    if isinstance(raw, (int, float)):
        text = f"{raw:.2f}" if isinstance(raw, float) else str(raw)
    else:
        text = str(raw).strip()
    if not _MONEY.fullmatch(text):
        raise _Bad(f"{str(raw)[:40]!r} is not an amount in pounds, like 1250.50")
    pounds = Decimal(text.lstrip("£").strip().replace(",", ""))
    return int(pounds * 100)


def _date(f: Field, raw: Any) -> date:
    if isinstance(raw, datetime):  # an Excel date cell
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise _Bad(f"{str(raw)[:40]!r} is not a date like 2025-03-31") from None


def _boolean(f: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad("yes or no")


def _choice(f: Field, raw: Any) -> str:
    text = str(raw).strip().lower()
    if text not in f.choices:
        raise _Bad(f"{str(raw)[:40]!r}: one of {', '.join(f.choices)}")
    return text


def _split(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple)):
        return [str(v).strip() for v in raw if str(v).strip()]
    return [part.strip() for part in re.split(r"[;\n]", str(raw)) if part.strip()]


def _choices(f: Field, raw: Any) -> tuple[str, ...]:
    if not f.choices:  # an open list (offence codes), checked by the form's rules
        return tuple(dict.fromkeys(v.upper() for v in _split(raw)))
    values = [v.lower() for v in _split(raw)]
    wrong = [v for v in values if v not in f.choices]
    if wrong:
        raise _Bad(f"{', '.join(wrong)}: each one of {', '.join(f.choices)}")
    return tuple(dict.fromkeys(values))


def _ids(f: Field, raw: Any) -> tuple[int, ...]:
    out = []
    for part in _split(raw):
        if not re.fullmatch(r"\d{1,12}", part) or int(part) < 1:
            raise _Bad(f"{part[:20]!r} is not a record id")
        out.append(int(part))
    return tuple(dict.fromkeys(out))


_PARSERS: dict[str, Any] = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "money": _money,
    "date": _date,
    "boolean": _boolean,
    "choice": _choice,
    "choices": _choices,
    "ids": _ids,
}


@dataclass(frozen=True)
class Form:
    """The fields of one record type, in the order a template or a form shows them."""

    kind: str
    title: str
    fields: tuple[Field, ...]
    description: str = ""
    # Checks across fields (a date after another): given the typed values, the problems.
    rules: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"form {self.kind}: a field is declared twice")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def check(
        self, values: Mapping[str, Any], *, where: str = "", partial: bool = False
    ) -> tuple[dict[str, Any], list[Problem]]:
        """The typed values and every problem; ``partial``: skip "required" (as you type).

        A name the form does not have is a problem too (a misspelt column must not be
        dropped silently).
        """
        problems: list[Problem] = []
        clean: dict[str, Any] = {}
        for name in values:
            if name not in self.names:
                problems.append(Problem(str(name), f"not a field of {self.title}", where))
        for f in self.fields:
            value, reason = f.parse(values.get(f.name))
            if reason and not (partial and reason == "required"):
                problems.append(Problem(f.name, reason, where))
            clean[f.name] = value
        if not problems:
            for rule in self.rules:
                problems.extend(
                    Problem(p.field, p.reason, where) for p in rule(clean) if p is not None
                )
        return clean, problems

    def checked(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The typed values; :class:`FormRefused` listing every problem."""
        clean, problems = self.check(values)
        if problems:
            raise FormRefused(problems)
        return clean


def jsonable(value: Any) -> Any:
    """A typed value as JSON keeps it (a decimal as its digits, a date as ISO)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


def shown(f: Field, value: Any) -> str:
    """A typed value as a cell or a form shows it (money in pounds, a list with ;)."""
    if value is None:
        return ""
    if f.type == "money":
        return f"{Decimal(int(value)) / 100:.2f}"
    if f.type == "boolean":
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class SheetKind:
    """A record type as a bulk template: its form, and how a row becomes a record and back.

    ``store(work, values)`` creates one record from a row's checked values inside the
    import's one unit of work (``work``: :class:`harmwatch.kernel.work.Work`), checking
    the policy (:func:`harmwatch.kernel.policy.require_collect`) and anything the form
    cannot (a name that must exist); it raises :class:`FormRefused` (problems without a
    ``where``: the import adds the file, sheet and line) or another ``UserError``, and
    returns the new record (flushed, so it has its id). ``values(db, record)`` is the
    record as a row of the same fields, for the export. ``statement`` (a ``select``) picks
    this kind's records out of the model's table for the export (None: all of them).
    """

    form: Form
    record_type: Any  # harmwatch.kernel.records.RecordType
    store: Any  # Callable[[Work, dict[str, Any]], RecordMixin]
    values: Any  # Callable[[Session, RecordMixin], dict[str, Any]]
    statement: Any = None  # Callable[[], Select] | None

    @property
    def kind(self) -> str:
        return self.form.kind
