"""A verb's parameters, declared once: :class:`Param`, the :class:`Request` base, the readers.

Every verb (hotspots, evaluate, change …) takes one frozen dataclass, its
*request*, whose fields carry a :class:`Param` in their metadata: the help text,
the type of one value, the default, bounds, allowed values, a pattern, whether it
repeats, and the names the fronts give it (``--cell`` on the command line,
``cell`` in a URL, "cell size" beside a form). The command line builds its options
from these specs, the API its typed query parameters (so the OpenAPI document and
the fuzzer know every bound), and the pages read their GET forms with them; none
of the three declares a parameter of its own, so a default or a bound cannot
disagree between them.

Three stages, the same for every front:

1. :func:`convert` turns what a front received (a plain mapping of strings from a
   form, or the typed values the command line and the API parsed) into values,
   collecting *every* problem rather than stopping at the first;
2. constructing the request checks each value against its spec and then the
   request's relations between fields (:meth:`Request.relations`) and its
   :class:`~harmwatch.query.place.Place`; a bad request cannot be built, so a verb
   never sees one;
3. each verb module resolves what the data decide (a cell size from the study
   area, a baseline from the months loaded) into a :class:`Resolved`, which says
   which defaults were chosen and why.

Problems name the field with a marker (:func:`ref`) that each front renders in
its own words: ``--cell must be positive, got -5`` on the command line, ``cell
size must lie between 50 and 50000`` beside a form, ``cell …`` for a library
caller. :class:`ParamError` is an :class:`~harmwatch.errors.InputError`, so every
front treats it as bad input (exit 2, HTTP 422, a message beside the form).

A few parameters are bounded more tightly on a shared server than on an
analyst's own machine (a web request may not ask for a 10 m grid over three
counties); those limits are part of the same spec (:class:`Limits`), applied when
the front is ``"web"``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from harmwatch.errors import InputError

if TYPE_CHECKING:  # place.py builds on this module's Problem
    from harmwatch.query.place import Place, PlaceRule

CLI = "cli"
WEB = "web"
FRONTS: frozenset[str] = frozenset({CLI, WEB})
LIBRARY: frozenset[str] = frozenset()  # set by the caller only (a front fills it in code)

_REF = "\x1f"  # never in user text: repr() escapes it
_REF_RE = re.compile(_REF + r"(\w+)" + _REF)

R = TypeVar("R", bound="Request")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def ref(name: str) -> str:
    """A marker for field ``name`` in a message; each front renders it as its own name."""
    return f"{_REF}{name}{_REF}"


@dataclass(frozen=True)
class Limits:
    """Tighter bounds for the web app: a shared server bounds what any signed-in user can ask."""

    ge: float | None = None
    le: float | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class Param:
    """Everything the fronts need to know about one field of a request."""

    help: str
    type: type = str  # the type of one value: str, int or float
    default: Any = None  # None: not given (the verb chooses, and says so)
    required: bool = False
    many: bool = False  # repeatable: --force a --force b; ?force=a&force=b
    parse: Callable[[str, str], Any] | None = None  # (text, name marker) -> value
    text: Callable[[Any], str] | None = None  # value -> text, for links
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    choices: tuple[Any, ...] = ()
    pattern: str | None = None  # each string value (or item) must match it in full
    looks_like: str = ""  # an example, for "must look like 2025-09"
    text_pattern: str | None = None  # the text as typed, for the API (default: ``pattern``)
    max_length: int | None = None
    max_items: int | None = None
    check: Callable[[Any], str | None] | None = None  # further check: a message, or None
    clean: Callable[[Any], Any] | None = None  # normalise a value (upper-case codes …)
    flag: str | None = None  # the command-line option, when not --url-name
    url: str | None = None  # the URL and form name, when not the field name
    label: str | None = None  # what a page calls it in a message, when not the URL name
    metavar: str | None = None
    fronts: frozenset[str] = FRONTS
    place: str | None = None  # the Place attribute this field gives (see place.py)
    web_help: str | None = None  # the web's text where the web takes another form of it
    web_pattern: str | None = None  # …and the pattern of that form (an uploaded boundary's id)
    web_default: Any = UNSET  # the web's default where the web has no alternative
    server: Limits | None = None

    def field(self) -> Any:
        """The dataclass field carrying this spec (its default is the spec's)."""
        if self.required:
            return field(metadata={"param": self})
        return field(default=self.default, metadata={"param": self})

    def but(self, **changes: Any) -> Param:
        """This spec with a few attributes changed (the same parameter in another verb)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Spec:
    """A request field and its :class:`Param`, with the names each front gives it."""

    name: str
    param: Param

    @property
    def url(self) -> str:
        return self.param.url or self.name

    @property
    def flag(self) -> str:
        return self.param.flag or "--" + self.url.replace("_", "-")

    @property
    def label(self) -> str:
        return self.param.label or self.url.replace("_", " ")

    def offered(self, front: str) -> bool:
        return front in self.param.fronts

    def default(self, front: str | None = None) -> Any:
        if front == WEB and self.param.web_default is not UNSET:
            return self.param.web_default
        return self.param.default

    def help(self, front: str | None = None) -> str:
        if front == WEB and self.param.web_help:
            return self.param.web_help
        return self.param.help

    def pattern(self, front: str | None = None) -> str | None:
        """The pattern the text as typed must match (the API declares it)."""
        if front == WEB and self.param.web_pattern:
            return self.param.web_pattern
        return self.param.text_pattern or (self.param.pattern if not self.param.parse else None)

    def bounds(
        self, front: str | None = None
    ) -> tuple[float | None, float | None, float | None, float | None]:
        """(gt, ge, lt, le) for ``front``: the server's limits replace the library's on the web."""
        p = self.param
        gt, ge, lt, le = p.gt, p.ge, p.lt, p.le
        if front == WEB and p.server is not None:
            if p.server.ge is not None:
                gt, ge = None, p.server.ge
            if p.server.le is not None:
                lt, le = None, p.server.le
        return gt, ge, lt, le

    def max_items(self, front: str | None = None) -> int | None:
        if front == WEB and self.param.server is not None and self.param.server.max_items:
            return self.param.server.max_items
        return self.param.max_items


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request; ``text`` names fields with :func:`ref` markers."""

    field: str | None
    text: str

    def render(self, names: Mapping[str, str] | Callable[[str], str] | None = None) -> str:
        def name(match: re.Match[str]) -> str:
            key = match.group(1)
            if callable(names):
                return names(key)
            return (names or {}).get(key, key)

        return _REF_RE.sub(name, self.text)


class ParamError(InputError):
    """A request that cannot be built: every problem found, each naming its field."""

    def __init__(self, problems: Sequence[Problem], names: Mapping[str, str] | None = None) -> None:
        self.problems = list(problems)
        self.names = dict(names or {})
        super().__init__(self.message())

    def messages(self, names: Mapping[str, str] | None = None) -> list[str]:
        """Each problem in the words of a front (``names``: field -> that front's name)."""
        chosen = self.names if names is None else names
        return list(dict.fromkeys(p.render(chosen) for p in self.problems))

    def message(self) -> str:
        return "; ".join(self.messages())

    def __str__(self) -> str:
        return self.message()

    def renamed(self, names: Mapping[str, str]) -> ParamError:
        """The same problems, naming fields as a front does (``--cell``, "cell size")."""
        return ParamError(self.problems, names)


@dataclass(frozen=True)
class Resolved(Generic[R]):
    """A request with the defaults the data decide filled in, and the sentences saying so."""

    request: R
    defaults_chosen: list[str]


class Request:
    """Base of every verb's request (a frozen dataclass of :class:`Param` fields).

    Construction normalises the values (tuples for lists, cleaned codes) and
    validates them: a problem raises :class:`ParamError` naming every bad field.
    Subclasses add checks between fields in :meth:`relations` and say which
    places the verb takes in ``PLACE``.
    """

    #: The kinds of place the verb takes (None: it takes none but the forces).
    PLACE: ClassVar[PlaceRule | None] = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for spec in self.specs():
            try:
                value = normalised(spec, getattr(self, spec.name))
            except InputError as exc:
                problems.append(Problem(spec.name, str(exc)))
                continue
            object.__setattr__(self, spec.name, value)
        if problems:
            raise ParamError(problems)
        self.validate()

    @classmethod
    def specs(cls) -> tuple[Spec, ...]:
        return _specs(cls)

    @classmethod
    def spec(cls, name: str) -> Spec:
        for spec in cls.specs():
            if spec.name == name:
                return spec
        raise KeyError(name)

    def validate(self) -> None:
        """Raise :class:`ParamError` with every problem of this request."""
        problems = self.problems()
        if problems:
            raise ParamError(problems)

    def problems(self, front: str | None = None) -> list[Problem]:
        """Every problem: each field against its spec, then the fields' relations and the place."""
        found: list[Problem] = []
        for spec in self.specs():
            found += value_problems(spec, getattr(self, spec.name), front)
        if found:
            return found  # relations between bad values would only repeat them
        found += self.relations()
        if self.PLACE is not None:
            found += self.PLACE.problems(
                self.place, {s.param.place: s.name for s in self.specs() if s.param.place}
            )
        return found

    def relations(self) -> list[Problem]:
        """Problems between fields (two budgets, controls named and counted); none by default."""
        return []

    @property
    def place(self) -> Place:
        """The :class:`~harmwatch.query.place.Place` the request's fields describe."""
        from harmwatch.query.place import Place

        given = {
            spec.param.place: getattr(self, spec.name)
            for spec in self.specs()
            if spec.param.place and getattr(self, spec.name) not in (None, ())
        }
        return Place(**given)

    def values(self) -> dict[str, Any]:
        return {spec.name: getattr(self, spec.name) for spec in self.specs()}

    def replace(self: R, **changes: Any) -> R:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    @classmethod
    def names(cls, front: str) -> dict[str, str]:
        """Field -> the name ``front`` gives it: ``--cell`` (cli), "cell size" (web pages)."""
        if front == CLI:
            return {s.name: s.flag for s in cls.specs()}
        if front == "api":
            return {s.name: s.url for s in cls.specs()}
        return {s.name: s.label for s in cls.specs()}

    @classmethod
    def narrowed(cls: type[R], other: Request, **changes: Any) -> R:
        """This verb's request from another's fields of the same name (one form, several verbs)."""
        mine = {s.name for s in cls.specs()}
        values = {k: v for k, v in other.values().items() if k in mine}
        values.update(changes)
        return cls(**values)


_SPECS: dict[type, tuple[Spec, ...]] = {}


def _specs(cls: type) -> tuple[Spec, ...]:
    found = _SPECS.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        found = tuple(Spec(f.name, f.metadata["param"]) for f in fields if "param" in f.metadata)
        _SPECS[cls] = found
    return found


# -- checking values -------------------------------------------------------------------


def shown(value: Any) -> str:
    """A value as a message shows it: numbers plainly, text quoted."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return ", ".join(shown(v) for v in value[:10]) + (", …" if len(value) > 10 else "")
    return repr(value)


def _bounds_text(gt: float | None, ge: float | None, lt: float | None, le: float | None) -> str:
    low = gt if gt is not None else ge
    high = lt if lt is not None else le
    if low is not None and high is not None:
        return f"must lie between {low:g} and {high:g}"
    if gt is not None:
        return "must be positive" if gt == 0 else f"must be more than {gt:g}"
    if ge is not None:
        return f"must be at least {ge:g}"
    if lt is not None:
        return f"must be less than {lt:g}"
    return f"must be at most {le:g}"


def _item_problems(spec: Spec, item: Any, front: str | None) -> list[Problem]:
    p, name = spec.param, ref(spec.name)
    if p.type in (int, float):
        whole = p.type is int
        if isinstance(item, bool) or not isinstance(item, int | float):
            what = "a whole number" if whole else "a number"
            return [Problem(spec.name, f"{name} must be {what}, got {shown(item)}")]
        if whole and not float(item).is_integer():
            return [Problem(spec.name, f"{name} must be a whole number, got {shown(item)}")]
        gt, ge, lt, le = spec.bounds(front)
        number = float(item)
        fine = (
            math.isfinite(number)
            and (gt is None or number > gt)
            and (ge is None or number >= ge)
            and (lt is None or number < lt)
            and (le is None or number <= le)
        )
        if not fine:
            if any(b is not None for b in (gt, ge, lt, le)):
                text = _bounds_text(gt, ge, lt, le)
            else:
                text = "must be a finite number"
            return [Problem(spec.name, f"{name} {text}, got {shown(item)}")]
    elif p.type is str:
        if not isinstance(item, str):
            return [Problem(spec.name, f"{name} must be text, got {shown(item)}")]
        pattern = p.web_pattern if (front == WEB and p.web_pattern) else p.pattern
        if pattern and not re.fullmatch(pattern, item):
            hint = f"look like {p.looks_like}" if p.looks_like else "be in the documented form"
            return [Problem(spec.name, f"{name} must {hint}, got {shown(item)}")]
        if p.max_length is not None and len(item) > p.max_length:
            return [Problem(spec.name, f"{name} must be at most {p.max_length} characters long")]
    if p.choices and item not in p.choices:
        listed = ", ".join(str(c) for c in p.choices)
        return [Problem(spec.name, f"unknown {name} {shown(item)}; choose one of {listed}")]
    return []


def value_problems(spec: Spec, value: Any, front: str | None = None) -> list[Problem]:
    """What is wrong with ``value`` for ``spec`` (on ``front``, with its tighter limits)."""
    p = spec.param
    if value is None:
        return [Problem(spec.name, f"{ref(spec.name)} is required")] if p.required else []
    found: list[Problem] = []
    if isinstance(value, tuple):
        limit = spec.max_items(front)
        if limit is not None and len(value) > limit:
            found.append(
                Problem(
                    spec.name, f"{ref(spec.name)}: at most {limit:,} values, got {len(value):,}"
                )
            )
        for item in value:
            found += _item_problems(spec, item, front)
    elif p.many:
        found.append(Problem(spec.name, f"{ref(spec.name)} must be a list, got {shown(value)}"))
    else:
        found += _item_problems(spec, value, front)
    if not found and p.check is not None:
        text = p.check(value)
        if text:
            found.append(Problem(spec.name, text.replace("{name}", ref(spec.name))))
    return found


# -- reading what a front received ------------------------------------------------------


def _parse_text(spec: Spec, text: str) -> Any:
    """One text as a value of ``spec``'s type; raises InputError with a message."""
    p, name = spec.param, ref(spec.name)
    if p.parse is not None and not p.many:
        try:
            value = p.parse(text, name)
        except (InputError, ValueError) as exc:
            message = str(exc)
            raise InputError(message if _REF in message else f"{name}: {message}") from None
        return value
    if p.type is int:
        try:
            return int(text)
        except ValueError:
            raise InputError(f"{name} must be a whole number, got {text!r}") from None
    if p.type is float:
        try:
            return float(text)
        except ValueError:
            raise InputError(f"{name} must be a number, got {text!r}") from None
    return text


def normalised(spec: Spec, value: Any) -> Any:
    """``value`` as the request holds it: tuples for lists, text parsed, then cleaned.

    A library caller may pass what a user would type (``months="2025-01:2025-06"``,
    ``forces="hertfordshire"``); it is read as a front reads it.
    """
    p = spec.param
    if isinstance(value, list):
        value = tuple(value)
    if p.many and isinstance(value, str):
        value = (value,)
    if isinstance(value, str) and p.parse is not None and not p.many:
        value = _parse_text(spec, value.strip())
    if value is not None and p.clean is not None:
        value = p.clean(value)
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(
    cls: type[Request], raw: Mapping[str, Any], front: str | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Values for ``cls`` from what a front received, keyed by field name, and every problem.

    ``raw`` holds strings (a form), lists of strings (a repeated parameter) or
    values a front already parsed (floats from the command line or FastAPI).
    Blank values mean "the default" and are left out; a bad value is reported and
    left out too, so a page can still run with the default beside the message.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in cls.specs():
        if spec.name not in raw or (front is not None and not spec.offered(front)):
            continue
        given = raw[spec.name]
        try:
            if spec.param.many:
                items = list(given) if isinstance(given, list | tuple) else [given]
                items = [i.strip() if isinstance(i, str) else i for i in items if not _blank(i)]
                if not items:
                    continue
                value: Any = tuple(
                    _parse_text(spec, i) if isinstance(i, str) and spec.param.type is not str else i
                    for i in items
                )
            else:
                if isinstance(given, list | tuple):
                    given = given[-1] if given else None
                if _blank(given):
                    continue
                value = given.strip() if isinstance(given, str) else given
                if isinstance(value, str) and spec.param.parse is None:
                    value = _parse_text(spec, value)  # numbers; text stays text
            value = normalised(spec, value)
        except InputError as exc:
            problems.append(Problem(spec.name, str(exc)))
            continue
        bad = value_problems(spec, value, front)
        if bad:
            problems += bad
            continue
        values[spec.name] = value
    return values, problems


def construct(cls: type[R], values: Mapping[str, Any]) -> tuple[R | None, list[Problem]]:
    """The request from converted values, or None with the problems between them."""
    missing = [s for s in cls.specs() if s.param.required and s.name not in values]
    if missing:
        return None, [Problem(s.name, f"{ref(s.name)} is required") for s in missing]
    try:
        return cls(**values), []
    except ParamError as exc:
        return None, exc.problems


def merged(first: list[Problem], later: list[Problem]) -> list[Problem]:
    """``first`` and those of ``later`` about other fields (a bad field's knock-on effects go)."""
    seen = {p.field for p in first if p.field is not None}
    return first + [p for p in later if p not in first and (p.field is None or p.field not in seen)]


def read(
    cls: type[R], raw: Mapping[str, Any], front: str | None = None
) -> tuple[R | None, list[Problem]]:
    """:func:`convert` then :func:`construct`: the request, or None, and every problem found."""
    values, problems = convert(cls, raw, front)
    request, more = construct(cls, values)
    if problems:
        return None, merged(problems, more)
    return request, more


def text_of(spec: Spec, value: Any) -> str | list[str]:
    """A value as a front would type it (for links that reproduce a request)."""
    if spec.param.text is not None:
        return spec.param.text(value)
    if isinstance(value, tuple):
        return [f"{v:g}" if isinstance(v, float) else str(v) for v in value]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def as_query(
    request: Request, front: str = WEB, *, skip: Iterable[str] = ()
) -> dict[str, str | list[str]]:
    """URL parameters (by URL name) that reproduce ``request``: given values, in field order.

    Defaults are left out, except lists (a link spells out its crime types).
    """
    out: dict[str, str | list[str]] = {}
    skipped = set(skip)
    for spec in request.specs():
        if not spec.offered(front) or spec.name in skipped:
            continue
        value = getattr(request, spec.name)
        if value is None or value == ():
            continue
        if value == spec.default(front) and not spec.param.many:
            continue
        out[spec.url] = text_of(spec, value)
    return out
