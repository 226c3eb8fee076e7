"""Roles: the jobs people do with harmwatch. A user has exactly one.

What a role may do is declared by each room as capabilities
(:mod:`harmwatch.kernel.capabilities`), and which records of a kind it may see by
the record policy (:mod:`harmwatch.kernel.policy`); this module only names the roles.
"""

from __future__ import annotations

from enum import StrEnum

from harmwatch.errors import InputError


class Role(StrEnum):
    """A job someone does, not a person."""

    ADMIN = "admin"  # manages accounts and reads the access log; sees no record content
    ANALYST = "analyst"
    NEIGHBOURHOOD_OFFICER = "neighbourhood-officer"
    INTELLIGENCE_OFFICER = "intelligence-officer"
    FORENSIC_REVIEWER = "forensic-reviewer"
    PCC_VIEWER = "pcc-viewer"  # aggregates only, never personal data
    # The force's information management / data protection function: answers subject
    # access requests and carries out MoPI reviews across every room.
    DATA_PROTECTION_OFFICER = "data-protection-officer"


def parse_role(value: Role | str) -> Role:
    """The role named ``value``; :class:`InputError` (a ``ValueError``) listing the valid names otherwise."""
    if isinstance(value, Role):
        return value
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {value!r}; roles are: {names}") from None
