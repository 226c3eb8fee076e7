"""Rooms: one library package per front, declaring everything the app needs to know of it.

A room (``where``, ``evaluation``, ``data``, ``admin``, ``information``; next
``intelligence``, ``calls``, ``operations``, ``forensics``, ``oversight``) is a
library package with a ``room.py`` holding one :class:`Room`: its capabilities, its
record types (model, policy, subject-access search), its route rules, its navigation
entries, the modules of its thin web and command-line adapters, and its expected
errors. The web app, the route table, the command line and the error handlers loop
over :func:`installed_rooms`, so adding a front is one room package, one migration and
two thin adapters — not a dozen edits across five packages.

The library never imports the command line or the web: a room names its adapters as
dotted module paths (strings), which only the web app and the CLI import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import SUBJECT_ACCESS, VIEW_AGGREGATES, Capability
from harmwatch.security.roles import Role

if TYPE_CHECKING:
    from harmwatch.kernel.records import RecordType
    from harmwatch.kernel.subjects import SubjectFinder

#: The rooms this release ships (the command line lists their commands in this order;
#: navigation entries carry their own order). A room's package is imported
#: when first needed, so importing the kernel does not import every analysis.
INSTALLED_ROOMS: tuple[str, ...] = (
    "harmwatch.sources.room",
    "harmwatch.where.room",
    "harmwatch.evaluation.room",
    "harmwatch.intelligence.room",
    "harmwatch.calls.room",
    "harmwatch.crimes.room",
    "harmwatch.safeguarding.room",
    "harmwatch.operations.room",
    "harmwatch.covert.room",
    "harmwatch.programmes.room",
    "harmwatch.forensics.room",
    "harmwatch.oversight.room",
    "harmwatch.information.room",
    "harmwatch.admin.room",
)

PUBLIC: Literal["public"] = "public"
SIGNED_IN: Literal["signed-in"] = "signed-in"
Access = Capability | Literal["public", "signed-in"]
RouteKind = Literal["page", "api", "static"]


@dataclass(frozen=True)
class RouteRule:
    """What a route needs before it runs, and what it logs.

    ``access``: the capability the caller's role must hold (``PUBLIC``: anyone,
    ``SIGNED_IN``: any signed-in user). ``kind``: answered as a page (redirect to
    sign-in, 403 page) or the JSON API (401/403 JSON). ``audit``: the action a call
    logs (None: the handler logs it itself, e.g. sign-in); a change logs it through
    its unit of work, in the same transaction. ``needs_justification``: the caller
    must give a reason (searches of sensitive records).
    """

    access: Access
    kind: RouteKind
    audit: AuditAction | None = AuditAction.CONSULTATION
    needs_justification: bool = False
    login_csrf: bool = False  # pre-session CSRF (double-submit cookie) for the sign-in form

    @property
    def public(self) -> bool:
        return self.access == PUBLIC


@dataclass(frozen=True)
class NavEntry:
    """One link of the web app's navigation, shown to roles holding ``capability``.

    ``order`` places it among every room's links (tens: overview 10 … users 90).
    """

    href: str
    label: str
    capability: Capability
    order: int = 100


@dataclass(frozen=True)
class Room:
    """Everything one front declares. See the module docstring."""

    name: str
    title: str
    capabilities: tuple[Capability, ...] = ()
    record_types: tuple[RecordType, ...] = ()
    routes: Mapping[tuple[str, str], RouteRule] = field(default_factory=dict)
    nav: tuple[NavEntry, ...] = ()
    # Dotted paths of modules with a FastAPI ``router``; imported by the web app only.
    web: tuple[str, ...] = ()
    # Dotted path of a module with ``register(app: typer.Typer)``; imported by the CLI only.
    cli: str | None = None
    errors: tuple[type[UserError], ...] = ()
    # Searches for what this room holds about a data subject beyond its record types
    # (accounts, the access log), for subject access requests and reviews.
    subject_finders: tuple[SubjectFinder, ...] = ()
    # Tables of bulk personal data this room keeps in the analytics store, and the
    # capability that reads each (:mod:`harmwatch.kernel.bulk`).
    bulk_tables: Mapping[str, Capability] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for error in self.errors:
            if not issubclass(error, UserError):
                raise TypeError(f"room {self.name}: {error.__name__} must subclass UserError")
        for key, rule in self.routes.items():
            if rule.access not in (PUBLIC, SIGNED_IN) and not isinstance(rule.access, Capability):
                raise TypeError(f"room {self.name}: route {key} has no capability")


@cache
def installed_rooms() -> tuple[Room, ...]:
    """Every installed room, imported once, in :data:`INSTALLED_ROOMS` order."""
    rooms = tuple(_load(path) for path in INSTALLED_ROOMS)
    _check_unique(rooms)
    return rooms


def _load(path: str) -> Room:
    module = importlib.import_module(path)
    room = getattr(module, "ROOM", None)
    if not isinstance(room, Room):
        raise TypeError(f"{path} must define ROOM = Room(...)")
    return room


def _check_unique(rooms: tuple[Room, ...]) -> None:
    """Two rooms may not claim the same name, route, capability or record kind."""
    seen: dict[str, str] = {}

    def claim(what: str, owner: str) -> None:
        if what in seen and seen[what] != owner:
            raise ValueError(f"{what} is declared by both rooms {seen[what]} and {owner}")
        seen[what] = owner

    for room in rooms:
        claim(f"room {room.name}", room.name)
        for method, path in room.routes:
            claim(f"route {method} {path}", room.name)
        for cap in room.capabilities:
            claim(f"capability {cap.name}", room.name)
        for rtype in room.record_types:
            claim(f"record kind {rtype.kind}", room.name)


def all_capabilities() -> tuple[Capability, ...]:
    """The kernel's own capabilities, then each room's, in room order."""
    return (
        VIEW_AGGREGATES,
        SUBJECT_ACCESS,
        *(c for room in installed_rooms() for c in room.capabilities),
    )


def capability_named(name: str) -> Capability:
    for cap in all_capabilities():
        if cap.name == name:
            return cap
    raise KeyError(name)


def role_capabilities() -> Mapping[Role, frozenset[Capability]]:
    """Each role's capabilities, read off the rooms' declarations (for the users page)."""
    caps = all_capabilities()
    return MappingProxyType({role: frozenset(c for c in caps if c.granted(role)) for role in Role})


def route_rules() -> dict[tuple[str, str], RouteRule]:
    """Every room's route rules in one table (the web app adds its own public routes)."""
    return {key: rule for room in installed_rooms() for key, rule in room.routes.items()}


def navigation() -> list[NavEntry]:
    entries = [entry for room in installed_rooms() for entry in room.nav]
    return sorted(entries, key=lambda e: e.order)


def user_errors() -> tuple[type[UserError], ...]:
    """Every room's declared errors (each a UserError), for documentation and the tests."""
    return tuple(e for room in installed_rooms() for e in room.errors)


def record_types() -> Iterator[RecordType]:
    for room in installed_rooms():
        yield from room.record_types


def adapters(kind: Literal["web", "cli"]) -> list[str]:
    """The dotted module paths of every room's web or CLI adapters."""
    if kind == "web":
        return [module for room in installed_rooms() for module in room.web]
    return [room.cli for room in installed_rooms() if room.cli]


def import_adapter(path: str) -> Any:
    return importlib.import_module(path)


AdapterHook = Callable[[Any], None]
