"""The route table: what every route of the web app needs before it runs.

One table, read by one guard (:func:`harmwatch.web.deps.guard`), so that access
rules can be reviewed in one place and a route added without a rule fails closed
at run time and fails the test suite (``tests/web/test_route_rules.py`` walks
``app.routes`` against this table).

Keys are ``(method, path template)`` exactly as FastAPI registers them; the
static mount is keyed ``("*", "/static")``. A rule names the capability the
caller's role must hold (``PUBLIC``: anyone, ``SIGNED_IN``: any signed-in user),
whether the route answers as a page (redirect to sign-in, 403 page) or as the
JSON API (401/403 JSON), the access-log action a successful call records, and
whether the caller must type a justification (searches of sensitive records).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from harmwatch.security.roles import Capability

PUBLIC: Final = "public"
SIGNED_IN: Final = "signed-in"

Access = Capability | Literal["public", "signed-in"]
Kind = Literal["page", "api", "static"]

# Formats that take data away from the app: a call asking for one is logged as an export.
EXPORT_FORMATS = frozenset({"csv", "geojson", "png", "svg"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JUSTIFICATION_MIN = 10
JUSTIFICATION_MAX = 500


@dataclass(frozen=True)
class Rule:
    """What a route needs. ``audit``: the action logged when it runs (None: logged by the handler)."""

    access: Access
    kind: Kind
    audit: str | None = "view"
    needs_justification: bool = False
    login_csrf: bool = False  # pre-session CSRF (double-submit cookie) for the sign-in form

    @property
    def public(self) -> bool:
        return self.access == PUBLIC


A = Capability.VIEW_AGGREGATES
H = Capability.VIEW_HOTSPOTS
D = Capability.MANAGE_DATA
AUDIT = Capability.READ_AUDIT
USERS = Capability.MANAGE_USERS

ROUTE_RULES: dict[tuple[str, str], Rule] = {
    # Public: the sign-in form, liveness, the API description and the app's own assets.
    ("GET", "/login"): Rule(PUBLIC, "page", audit=None),
    ("POST", "/login"): Rule(PUBLIC, "page", audit=None, login_csrf=True),
    ("GET", "/health"): Rule(PUBLIC, "api", audit=None),
    ("GET", "/api/openapi.json"): Rule(PUBLIC, "api", audit=None),
    ("*", "/static"): Rule(PUBLIC, "static", audit=None),
    # Any signed-in user.
    ("POST", "/logout"): Rule(SIGNED_IN, "page", audit=None),
    # Pages.
    ("GET", "/"): Rule(A, "page"),
    ("GET", "/forecast"): Rule(A, "page"),
    ("GET", "/evaluate"): Rule(A, "page", audit="search"),
    ("GET", "/hotspots"): Rule(H, "page"),
    ("GET", "/data"): Rule(D, "page"),
    ("POST", "/data/upload"): Rule(D, "page", audit="create"),
    ("GET", "/admin/audit"): Rule(AUDIT, "page", audit="search", needs_justification=True),
    ("GET", "/admin/users"): Rule(USERS, "page"),
    ("POST", "/admin/users"): Rule(USERS, "page", audit="create"),
    ("POST", "/admin/users/{username}/role"): Rule(USERS, "page", audit="change"),
    ("POST", "/admin/users/{username}/disable"): Rule(USERS, "page", audit="change"),
    # JSON API (and downloads: ?format=csv|geojson|png|svg).
    ("GET", "/api/meta"): Rule(A, "api"),
    ("GET", "/api/trends"): Rule(A, "api", audit="search"),
    ("GET", "/api/change"): Rule(A, "api", audit="search"),
    ("GET", "/api/forecast-eval"): Rule(A, "api", audit="search"),
    ("GET", "/api/evaluate"): Rule(A, "api", audit="search"),
    ("GET", "/api/hotspots"): Rule(H, "api", audit="search"),
    ("GET", "/api/areas"): Rule(H, "api", audit="search"),
    ("GET", "/api/patrol"): Rule(H, "api", audit="search"),
    ("GET", "/api/study-area"): Rule(H, "api", audit="search"),
    ("GET", "/api/boundaries"): Rule(H, "api"),
    ("POST", "/api/boundaries"): Rule(H, "api", audit="create"),
    ("GET", "/api/boundaries/{boundary_id}"): Rule(H, "api"),
    ("DELETE", "/api/boundaries/{boundary_id}"): Rule(D, "api", audit="delete"),
    ("GET", "/api/status"): Rule(D, "api"),
    ("POST", "/api/uploads"): Rule(D, "api", audit="create"),
    ("GET", "/api/audit"): Rule(AUDIT, "api", audit="search", needs_justification=True),
    ("GET", "/api/users"): Rule(USERS, "api"),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route; HEAD is answered as GET is. None: no rule (the guard refuses)."""
    method = "GET" if method == "HEAD" else method
    return ROUTE_RULES.get((method, path))
