"""The admin room's declaration: manage accounts, read the access log."""

from __future__ import annotations

from harmwatch.admin.subjects import staff_accounts, staff_activity
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule
from harmwatch.security.accounts import AccountError
from harmwatch.security.audit import AuditError
from harmwatch.security.operator_keys import OperatorKeyError
from harmwatch.security.roles import Role

MANAGE_USERS = capability(
    "manage-users",
    "create and disable accounts, set roles, forces and units, issue operator keys",
    {Role.ADMIN},
)
READ_AUDIT = capability(
    "read-audit",
    "search, verify and export the access log",
    {Role.ADMIN, Role.DATA_PROTECTION_OFFICER},
)

_CHANGE = AuditAction.ALTERATION

ROOM = Room(
    name="admin",
    title="Administration: accounts and the access log",
    capabilities=(MANAGE_USERS, READ_AUDIT),
    routes={
        # The page shows the form and the chain's state; searches and exports are
        # posted, so the justification and the search terms stay out of URLs.
        ("GET", "/admin/audit"): RouteRule(READ_AUDIT, "page"),
        ("POST", "/admin/audit"): RouteRule(READ_AUDIT, "page", needs_justification=True),
        ("POST", "/admin/audit/export"): RouteRule(
            READ_AUDIT, "page", audit=AuditAction.DISCLOSURE, needs_justification=True
        ),
        ("POST", "/admin/audit/verify"): RouteRule(READ_AUDIT, "page", audit=AuditAction.VERIFY),
        ("GET", "/admin/users"): RouteRule(MANAGE_USERS, "page"),
        ("POST", "/admin/users"): RouteRule(MANAGE_USERS, "page", audit=AuditAction.COLLECTION),
        ("POST", "/admin/users/{username}/role"): RouteRule(MANAGE_USERS, "page", audit=_CHANGE),
        ("POST", "/admin/users/{username}/units"): RouteRule(MANAGE_USERS, "page", audit=_CHANGE),
        ("POST", "/admin/users/{username}/disable"): RouteRule(MANAGE_USERS, "page", audit=_CHANGE),
        ("POST", "/api/audit"): RouteRule(READ_AUDIT, "api", needs_justification=True),
        ("GET", "/api/users"): RouteRule(MANAGE_USERS, "api"),
    },
    nav=(
        NavEntry("/admin/audit", "Access log", READ_AUDIT, order=80),
        NavEntry("/admin/users", "Users", MANAGE_USERS, order=90),
    ),
    web=("harmwatch.web.rooms.admin",),
    cli="harmwatch.cli.admin",
    errors=(AccountError, AuditError, OperatorKeyError),
    subject_finders=(staff_accounts, staff_activity),
)
