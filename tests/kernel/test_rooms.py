"""Rooms: every front declares itself once; the library never imports the front ends."""

from __future__ import annotations

import ast
from pathlib import Path

from harmwatch.errors import UserError
from harmwatch.kernel.capabilities import SUBJECT_ACCESS, VIEW_AGGREGATES
from harmwatch.kernel.rooms import (
    adapters,
    all_capabilities,
    import_adapter,
    installed_rooms,
    navigation,
    role_capabilities,
    user_errors,
)
from harmwatch.security.roles import Role

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "harmwatch"


def test_todays_rooms_are_installed() -> None:
    assert [room.name for room in installed_rooms()] == [
        "data",
        "where",
        "evaluation",
        "intelligence",
        "calls",
        "crimes",
        "safeguarding",
        "operations",
        "covert",
        "programmes",
        "forensics",
        "oversight",
        "information",
        "admin",
    ]


def test_every_declared_error_is_a_user_error() -> None:
    errors = user_errors()
    assert errors and all(issubclass(e, UserError) for e in errors)


def test_every_adapter_module_exists_and_has_what_the_front_end_loops_over() -> None:
    for path in adapters("web"):
        assert import_adapter(path).routers, path
    for path in adapters("cli"):
        assert callable(import_adapter(path).register), path


def test_the_library_never_imports_the_command_line_or_the_web() -> None:
    offenders = []
    for file in PACKAGE.rglob("*.py"):
        relative = file.relative_to(PACKAGE)
        if relative.parts[0] in ("cli", "web"):
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{relative}: {n}"
                for n in names
                if n.startswith(("harmwatch.cli", "harmwatch.web"))
            ]
    assert not offenders


def test_grants_read_off_the_rooms() -> None:
    grants = {role: {c.name for c in caps} for role, caps in role_capabilities().items()}
    assert grants[Role.PCC_VIEWER] == {
        "view-aggregates",
        "view-force-record-aggregates",
        "view-operation-summaries",  # figures computed from the records, never a name
        "view-programme-outcomes",  # outcome measures, never a participant
        "view-forensic-progress",  # a lab-incident review's progress, small numbers suppressed
    }
    assert grants[Role.ADMIN] == {
        "view-aggregates",
        "view-hotspots",
        "manage-data",
        "manage-users",
        "read-audit",
    }
    assert grants[Role.DATA_PROTECTION_OFFICER] == {
        "view-aggregates",
        "subject-access",
        "read-audit",
    }
    assert grants[Role.ANALYST] == {
        "view-aggregates",
        "view-hotspots",
        "manage-data",
        "read-intelligence",
        "read-referrals",
        "read-force-records",
        "view-force-record-aggregates",
        "import-force-records",
        "read-operations",
        "write-operations",
        "view-operation-summaries",
        "manage-price-tables",
        "read-programmes",
        "write-programmes",
        "view-programme-outcomes",
    }
    # Covert authorisations: the intelligence officer only, of every role.
    assert {r for r, caps in grants.items() if "read-covert-authorisations" in caps} == {
        Role.INTELLIGENCE_OFFICER
    }
    # No capability to personal data is the admin's: it manages accounts, not records.
    assert SUBJECT_ACCESS not in role_capabilities()[Role.ADMIN]
    assert all(VIEW_AGGREGATES.granted(role) for role in Role)
    names = [c.name for c in all_capabilities()]
    assert len(names) == len(set(names))


def test_unknown_roles_grant_nothing() -> None:
    assert not VIEW_AGGREGATES.granted("superuser")
    assert not VIEW_AGGREGATES.granted("")
    assert not VIEW_AGGREGATES.granted(None)


def test_navigation_is_ordered_across_rooms() -> None:
    assert [e.label for e in navigation()] == [
        "Overview",
        "Hotspot map",
        "Forecast check",
        "Did it work?",
        "Force records",
        "Oversight",
        "Check a claim",
        "Data",
        "Intelligence",
        "County lines",
        "Safeguarding",
        "Operations",
        "Seizures",
        "Authorisations",
        "Programmes",
        "Forensic review",
        "Subject access",
        "Review",
        "Access log",
        "Users",
    ]
