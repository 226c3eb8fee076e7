"""Who is acting: a signed-in user (web or command line) with their role, force and units.

Every record service takes a :class:`Principal`, never a bare username, so the
policy always knows the role, the force and the units to check a record against,
and the access log always knows who to name.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass, field
from typing import Literal

from harmwatch.errors import InputError
from harmwatch.security.roles import Role, parse_role

Via = Literal["web", "cli-password", "cli-key", "bootstrap", "system"]

_UNIT = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def check_unit(unit: str) -> str:
    """A unit id: lower-case letters, digits and ``-`` (``dacorum-cid``), within its force."""
    name = unit.strip().lower()
    if not _UNIT.fullmatch(name):
        raise InputError(f"unit {unit!r}: 1-64 lower-case letters, digits and -, e.g. dacorum-cid")
    return name


def parse_units(text: str | None) -> frozenset[str]:
    """Units as stored on a user (a JSON list), tolerant of an empty or legacy value."""
    if not text:
        return frozenset()
    value = json.loads(text)
    return frozenset(str(u) for u in value) if isinstance(value, list) else frozenset()


def units_json(units: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> str:
    return json.dumps(sorted({check_unit(u) for u in units}))


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


@dataclass(frozen=True)
class Principal:
    """An authenticated actor. ``role`` is None only for the first-admin bootstrap."""

    username: str
    role: Role | None
    force: str = ""  # police.uk force slug, e.g. hertfordshire; "" when none assigned
    units: frozenset[str] = field(default_factory=frozenset)
    via: Via = "web"
    # The case or operation the user declared for this session: the justification of
    # consultations that were not given one of their own (DPA 2018 s.62(2)).
    purpose: str | None = None

    def __post_init__(self) -> None:
        if self.role is not None and not isinstance(self.role, Role):
            object.__setattr__(self, "role", parse_role(self.role))

    @property
    def actor(self) -> str:
        """The name the access log gives this actor."""
        if self.via == "bootstrap":
            return f"cli:{os_user()}"
        return self.username

    @property
    def client(self) -> str:
        return "cli" if self.via.startswith("cli") or self.via == "bootstrap" else ""

    @classmethod
    def bootstrap(cls) -> Principal:
        """The operator creating the first admin account: the one unauthenticated act."""
        return cls(username=f"cli:{os_user()}", role=None, via="bootstrap")
