"""Roles are the contract's names; what each may do is declared by the rooms (tests/kernel)."""

from __future__ import annotations

import pytest

from harmwatch.kernel.rooms import role_capabilities
from harmwatch.security.roles import Role, parse_role

EXPECTED = {
    Role.ADMIN: {"view-aggregates", "view-hotspots", "manage-data", "manage-users", "read-audit"},
    Role.ANALYST: {
        "view-aggregates",
        "view-hotspots",
        "manage-data",
        "read-intelligence",
        "read-referrals",
        "read-force-records",
        "view-force-record-aggregates",
        "import-force-records",
        # Operations, their results and programmes: the roles that run them.
        "read-operations",
        "write-operations",
        "view-operation-summaries",
        "read-programmes",
        "write-programmes",
        "view-programme-outcomes",
        "manage-price-tables",
    },
    # Officers who meet exploitation make safeguarding referrals; they see no intelligence.
    # They plan patrols by the hour, from the force's own records.
    Role.NEIGHBOURHOOD_OFFICER: {
        "view-aggregates",
        "view-hotspots",
        "read-referrals",
        "write-referrals",
        "read-force-records",
        "view-force-record-aggregates",
        # Operations, their results and programmes: the roles that run them.
        "read-operations",
        "write-operations",
        "view-operation-summaries",
        "read-programmes",
        "write-programmes",
        "view-programme-outcomes",
    },
    Role.INTELLIGENCE_OFFICER: {
        "view-aggregates",
        "view-hotspots",
        "read-intelligence",
        "write-intelligence",
        "read-intelligence-full-text",
        "read-referrals",
        "write-referrals",
        "read-force-records",
        "view-force-record-aggregates",
        "import-force-records",
        # Operations, their results and programmes: the roles that run them.
        "read-operations",
        "write-operations",
        "view-operation-summaries",
        "read-programmes",
        "write-programmes",
        "view-programme-outcomes",
        "manage-price-tables",
        # Covert authorisations: the intelligence officer alone (need-to-know by unit).
        "read-covert-authorisations",
        "write-covert-authorisations",
    },
    # The lab-incident review: cases, exhibits, custody, retests; and its progress figures.
    Role.FORENSIC_REVIEWER: {
        "view-aggregates",
        "read-forensics",
        "write-forensics",
        "view-forensic-progress",
    },
    # Aggregates of the force's own records too: counts in 250 m cells, never a point.
    # Figures computed from operations and programmes, never a name or a participant.
    Role.PCC_VIEWER: {
        "view-aggregates",
        "view-force-record-aggregates",
        "view-operation-summaries",
        "view-programme-outcomes",
        "view-forensic-progress",
    },
    Role.DATA_PROTECTION_OFFICER: {"view-aggregates", "subject-access", "read-audit"},
}


def test_names_are_the_contract_strings() -> None:
    assert [r.value for r in Role] == [
        "admin",
        "analyst",
        "neighbourhood-officer",
        "intelligence-officer",
        "forensic-reviewer",
        "pcc-viewer",
        "data-protection-officer",
    ]


def test_grants_are_exactly_these() -> None:
    """Personal-record capabilities come with the rooms that hold such records: intelligence
    (and call data) to its two roles only, referrals to them and neighbourhood officers; no
    admin, forensic reviewer or PCC viewer reads either."""
    assert {r: {c.name for c in caps} for r, caps in role_capabilities().items()} == EXPECTED


def test_parse_role_names_the_valid_roles() -> None:
    assert parse_role(" Analyst ") is Role.ANALYST
    with pytest.raises(ValueError, match="roles are: admin, analyst"):
        parse_role("boss")
