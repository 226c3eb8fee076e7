"""The route table: what every route of the web app needs before it runs.

One table, read by one guard (:func:`harmwatch.web.deps.guard`), so that access
rules can be reviewed in one place and a route added without a rule fails closed
at run time and fails the test suite (``tests/web/test_route_rules.py`` walks
``app.routes`` against this table). Each room declares the rules of its own routes
(:class:`harmwatch.kernel.rooms.RouteRule`, in its ``room.py``); this module adds the
web app's own — sign-in, sign-out, the declared purpose, liveness, the API
description and the static files — and joins them.

Keys are ``(method, path template)`` exactly as FastAPI registers them; the
static mount is keyed ``("*", "/static")``.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import PUBLIC, SIGNED_IN, RouteRule, route_rules

__all__ = [
    "EXPORT_FORMATS",
    "JUSTIFICATION_MAX",
    "JUSTIFICATION_MIN",
    "PUBLIC",
    "ROUTE_RULES",
    "SIGNED_IN",
    "UNSAFE_METHODS",
    "Rule",
    "rule_for",
]

Rule = RouteRule

# Formats that take data away from the app: a call asking for one is logged as a disclosure.
EXPORT_FORMATS = frozenset({"csv", "geojson", "png", "svg"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JUSTIFICATION_MIN = 10
JUSTIFICATION_MAX = 500

CORE_RULES: dict[tuple[str, str], RouteRule] = {
    # Public: the sign-in form, liveness, the API description and the app's own assets.
    ("GET", "/login"): RouteRule(PUBLIC, "page", audit=None),
    ("POST", "/login"): RouteRule(PUBLIC, "page", audit=None, login_csrf=True),
    ("GET", "/health"): RouteRule(PUBLIC, "api", audit=None),
    ("GET", "/api/openapi.json"): RouteRule(PUBLIC, "api", audit=None),
    ("*", "/static"): RouteRule(PUBLIC, "static", audit=None),
    # Any signed-in user: leave, or say which case or operation they are working on.
    ("POST", "/logout"): RouteRule(SIGNED_IN, "page", audit=None),
    ("POST", "/purpose"): RouteRule(SIGNED_IN, "page", audit=None),
}


def _join() -> dict[tuple[str, str], RouteRule]:
    rooms = route_rules()
    clash = set(CORE_RULES) & set(rooms)
    if clash:
        raise ValueError(f"rooms declare routes the web app owns: {sorted(clash)}")
    return {**CORE_RULES, **rooms}


ROUTE_RULES: dict[tuple[str, str], RouteRule] = _join()


def rule_for(method: str, path: str) -> RouteRule | None:
    """The rule of a route; HEAD is answered as GET is. None: no rule (the guard refuses)."""
    method = "GET" if method == "HEAD" else method
    return ROUTE_RULES.get((method, path))
