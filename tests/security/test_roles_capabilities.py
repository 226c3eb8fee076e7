"""Roles grant exactly the capabilities the design contract lists, and nothing more."""

from __future__ import annotations

import pytest

from harmwatch.security.roles import ROLE_CAPABILITIES, Capability, Role, allowed, parse_role

C = Capability
EXPECTED = {
    Role.ADMIN: set(Capability),
    Role.ANALYST: {C.VIEW_AGGREGATES, C.VIEW_HOTSPOTS, C.MANAGE_DATA},
    Role.NEIGHBOURHOOD_OFFICER: {C.VIEW_AGGREGATES, C.VIEW_HOTSPOTS},
    Role.INTELLIGENCE_OFFICER: {C.VIEW_AGGREGATES, C.VIEW_HOTSPOTS, C.VIEW_PERSONAL},
    Role.FORENSIC_REVIEWER: {C.VIEW_AGGREGATES, C.VIEW_PERSONAL},
    Role.PCC_VIEWER: {C.VIEW_AGGREGATES},
}


def test_names_are_the_contract_strings() -> None:
    assert [r.value for r in Role] == [
        "admin",
        "analyst",
        "neighbourhood-officer",
        "intelligence-officer",
        "forensic-reviewer",
        "pcc-viewer",
    ]
    assert [c.value for c in Capability] == [
        "view-aggregates",
        "view-hotspots",
        "manage-data",
        "read-audit",
        "manage-users",
        "view-personal",
    ]


def test_grants_match_the_contract_exactly() -> None:
    assert {role: set(caps) for role, caps in ROLE_CAPABILITIES.items()} == EXPECTED


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_allowed_follows_the_table_for_enums_and_strings(role: Role, capability: C) -> None:
    expected = capability in EXPECTED[role]
    assert allowed(role, capability) is expected
    assert allowed(role.value, capability) is expected


def test_personal_data_audit_and_users_are_kept_to_the_roles_that_need_them() -> None:
    assert {r for r in Role if allowed(r, C.VIEW_PERSONAL)} == {
        Role.ADMIN,
        Role.INTELLIGENCE_OFFICER,
        Role.FORENSIC_REVIEWER,
    }
    assert {r for r in Role if allowed(r, C.READ_AUDIT)} == {Role.ADMIN}
    assert {r for r in Role if allowed(r, C.MANAGE_USERS)} == {Role.ADMIN}
    assert all(allowed(r, C.VIEW_AGGREGATES) for r in Role)


def test_unknown_roles_grant_nothing() -> None:
    assert not allowed("superuser", C.VIEW_AGGREGATES)
    assert not allowed("", C.VIEW_AGGREGATES)


def test_parse_role_names_the_valid_roles() -> None:
    assert parse_role(" Analyst ") is Role.ANALYST
    with pytest.raises(ValueError, match="roles are: admin, analyst"):
        parse_role("boss")
