"""Capabilities: what a role may do, each declared by the room it belongs to.

A capability is a named permission with the roles that hold it, declared once,
beside the routes and records it guards (``where/room.py`` declares
``view-hotspots``; a future intelligence room declares its own). Today's six coarse
capabilities in one enum could not say "intelligence officers read intelligence
reports" without every role and every route table changing; declared per room,
adding a front adds its capabilities and nothing else moves.

What a capability cannot say — *which* records of a kind someone may see (their
force, their unit, what was shared with them) — is the record policy's job
(:mod:`harmwatch.kernel.policy`). A capability only opens the door to the kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harmwatch.security.roles import Role, parse_role


@dataclass(frozen=True)
class Capability:
    """A named permission and the roles granted it. ``str()`` is its name, as logged."""

    name: str
    description: str
    granted_to: frozenset[Role]

    def __str__(self) -> str:
        return self.name

    def granted(self, role: Role | str | None) -> bool:
        """Whether ``role`` holds this capability. An unknown or absent role holds nothing."""
        if role is None:
            return False
        try:
            return parse_role(role) in self.granted_to
        except ValueError:
            return False


def capability(name: str, description: str, roles: Iterable[Role]) -> Capability:
    return Capability(name, description, frozenset(roles))


def allowed(role: Role | str | None, capability: Capability) -> bool:
    """Whether ``role`` holds ``capability`` (fail closed for an unknown role)."""
    return capability.granted(role)


#: Every role may see aggregate figures of open data: trends, forecast tables, the
#: outcome of an evaluation. The PCC viewer sees nothing else.
VIEW_AGGREGATES = capability(
    "view-aggregates",
    "overview trends, forecast tables and evaluations of open data",
    Role,
)

#: Subject access requests and MoPI reviews search every room at once (through the
#: kernel's hook, :mod:`harmwatch.kernel.subjects`), so the capability is the kernel's.
SUBJECT_ACCESS = capability(
    "subject-access",
    "answer subject access requests and carry out retention reviews across every room",
    {Role.DATA_PROTECTION_OFFICER},
)
