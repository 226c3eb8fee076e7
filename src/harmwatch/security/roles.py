"""Roles and the capabilities they grant.

One table, :data:`ROLE_CAPABILITIES`, says who may do what; the web app checks every
route against it through :func:`allowed`, so a grant is changed in one place and the
access log and route tests follow.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A job someone does, not a person: a user has exactly one."""

    ADMIN = "admin"
    ANALYST = "analyst"
    NEIGHBOURHOOD_OFFICER = "neighbourhood-officer"
    INTELLIGENCE_OFFICER = "intelligence-officer"
    FORENSIC_REVIEWER = "forensic-reviewer"
    PCC_VIEWER = "pcc-viewer"  # aggregates only, never personal data


class Capability(StrEnum):
    """Something the web app lets a role do."""

    VIEW_AGGREGATES = "view-aggregates"  # overview trends, forecast tables: every role
    VIEW_HOTSPOTS = "view-hotspots"  # hotspot map, LSOA ranking, patrol zones
    MANAGE_DATA = "manage-data"  # upload police.uk files, see provenance and rejects
    READ_AUDIT = "read-audit"  # read, filter, export the access log
    MANAGE_USERS = "manage-users"
    VIEW_PERSONAL = "view-personal"  # later issues (intelligence); only the roles that need it


_C = Capability

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.ANALYST: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_HOTSPOTS, _C.MANAGE_DATA}),
    Role.NEIGHBOURHOOD_OFFICER: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_HOTSPOTS}),
    Role.INTELLIGENCE_OFFICER: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_HOTSPOTS, _C.VIEW_PERSONAL}),
    Role.FORENSIC_REVIEWER: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_PERSONAL}),
    Role.PCC_VIEWER: frozenset({_C.VIEW_AGGREGATES}),
}


def parse_role(value: Role | str) -> Role:
    """The role named ``value``; ``ValueError`` listing the valid names otherwise."""
    if isinstance(value, Role):
        return value
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; roles are: {names}") from None


def allowed(role: Role | str, capability: Capability) -> bool:
    """Whether ``role`` grants ``capability``. An unknown role grants nothing (fail closed)."""
    try:
        parsed = parse_role(role)
    except ValueError:
        return False
    return capability in ROLE_CAPABILITIES[parsed]
