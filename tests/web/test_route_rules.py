"""The route table is the access policy: every route has a rule, and every rule is enforced.

A route added without a rule must fail this file (``test_every_route_has_a_rule``)
and, if it ever ships, be refused at run time (``test_route_without_rule_is_closed``).
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from webhelpers import SignedIn, WebEnv, sign_in

from harmwatch.kernel.capabilities import Capability
from harmwatch.security.roles import Role
from harmwatch.web import create_app
from harmwatch.web.rules import ROUTE_RULES, SIGNED_IN, UNSAFE_METHODS, Rule

GUARDED = sorted(
    ((method, path, rule) for (method, path), rule in ROUTE_RULES.items() if not rule.public),
    key=lambda item: (item[1], item[0]),
)
PATH_VALUES = {
    "username": "analyst",
    "boundary_id": "0123456789abcdef",
    "report_id": "1",
    "entity_id": "1",
    "merge_id": "1",
    "job_id": "no-such-job",
    "kind": "contacts",
    "referral_id": "1",
    "operation_id": "1",
    "result_id": "1",
    "table_id": "1",
    "authorisation_id": "1",
    "programme_id": "1",
    "event_id": "1",
    "incident_id": "1",
    "retest_id": "1",
    "exhibit_id": "1",
    "step": "compare",
    "case_id": "1",
    "notification_id": "1",
}


def _url(path: str) -> str:
    return path.format(**PATH_VALUES)


def _route_keys(app: FastAPI) -> list[tuple[tuple[str, str], object]]:
    """Every (method, path) the app answers, with the route object that answers it.

    ``iter_route_contexts`` flattens included routers (FastAPI keeps them nested).
    The guard looks rules up by the path of the route FastAPI hands it; a router
    included with an extra prefix would make the two differ, so that is refused too.
    """
    keys: list[tuple[tuple[str, str], object]] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            keys.append((("*", route.path), route))
        elif isinstance(route, Route | APIRoute):
            assert context.path == route.path, f"include prefix on {route.path}: not supported"
            for method in sorted((context.methods or set()) - {"HEAD"}):
                keys.append(((method, str(context.path)), route))
        else:
            keys.append((("?", repr(route)[:120]), route))
    return keys


@pytest.mark.parametrize(
    ("method", "path", "rule"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED]
)
def test_rule_is_enforced(
    method: str,
    path: str,
    rule: Rule,
    anonymous: TestClient,
    clients: dict[str, SignedIn],
) -> None:
    """No session: 401 (API) or a redirect to sign-in (pages). A role without the capability: 403."""
    url = _url(path)
    response = anonymous.request(method, url, follow_redirects=False)
    if rule.kind == "api":
        assert response.status_code == 401, response.text
        assert response.json() == {"detail": "sign in first"}
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")

    refused = [
        role
        for role in Role
        if isinstance(rule.access, Capability) and not rule.access.granted(role)
    ]
    for role in refused:
        signed = clients[role.value]
        headers = {"X-CSRF-Token": signed.csrf} if method in UNSAFE_METHODS else {}
        response = signed.client.request(method, url, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (role, response.text[:300])
        if rule.kind == "api":
            assert response.headers["content-type"].startswith("application/json")
            assert "may not" in response.json()["detail"]
        else:
            assert "Not allowed" in response.text


def test_every_route_has_a_rule(app: FastAPI) -> None:
    """Walk app.routes: a route missing from the table fails here, and so does a stale rule."""
    keys = _route_keys(app)
    missing = [key for key, _ in keys if key not in ROUTE_RULES]
    assert not missing, f"routes without an access rule in harmwatch.web.rules: {missing}"
    # The guard runs as a FastAPI dependency, so only APIRoutes pass through it; anything
    # else (the OpenAPI document, the static mount) must be public by rule.
    unguarded = [key for key, route in keys if not isinstance(route, APIRoute)]
    assert all(ROUTE_RULES[key].public for key in unguarded), unguarded
    stale = set(ROUTE_RULES) - {key for key, _ in keys}
    assert not stale, f"rules for routes that do not exist: {stale}"


def test_route_without_rule_is_closed(web_env: WebEnv) -> None:
    """A route someone adds without a rule is refused to everyone, admins included."""
    app = create_app(web_env.settings())

    @app.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "should not be served"}

    with TestClient(app) as client:
        sign_in(client, "admin")
        response = client.get("/api/forgotten")
    assert response.status_code == 403
    assert "no access rule" in response.json()["detail"]


def test_public_routes_need_no_session(anonymous: TestClient) -> None:
    assert anonymous.get("/health").json() == {"status": "ok"}
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/static/css/app.css").status_code == 200
    spec = anonymous.get("/api/openapi.json").json()
    assert "/api/hotspots" in spec["paths"]
    assert not any(p.startswith("/admin") or p == "/" for p in spec["paths"]), "pages stay out"


def test_capabilities_match_the_contract() -> None:
    """The table's grants, read per role (the PCC viewer sees aggregates only)."""

    def reachable(role: Role) -> set[str]:
        return {
            f"{m} {p}"
            for (m, p), r in ROUTE_RULES.items()
            if not r.public and (r.access == SIGNED_IN or r.access.granted(role))  # type: ignore[union-attr]
        }

    pcc = reachable(Role.PCC_VIEWER)
    assert pcc == {
        "POST /logout",
        "POST /purpose",
        "GET /",
        "GET /forecast",
        "GET /api/meta",
        "GET /api/trends",
        "GET /api/forecast-eval",
        "GET /evaluate",  # a PCC must be able to check a claim that something worked
        "GET /api/evaluate",
        "GET /api/change",
        # A force's own records: counts only (aggregates, 250 m cells, small numbers hidden).
        "GET /force-records",
        "GET /api/force-records/files",
        "GET /api/force-records/reconciliation",
        "GET /api/force-records/timing",
        # Operations: summaries computed from the records, never a name.
        "GET /operations",
        "GET /operations/summary",
        "GET /api/operations",
        "GET /api/operations/summary",
        # Programmes: outcome measures (small numbers suppressed), never a participant.
        "GET /programmes",
        "GET /api/programmes",
        "GET /api/programmes/types",
        "GET /api/programmes/{programme_id}/outcomes",
        # Forensic review: its progress in figures (small numbers suppressed).
        "GET /forensics",
        "GET /api/forensics/progress",
        # Oversight: the measures, stop and search and outcomes (published figures only),
        # the board report (its PDF logged as a disclosure), and any claim checked.
        "GET /oversight",
        "GET /oversight/measure",
        "GET /oversight/stop-search",
        "GET /oversight/outcomes",
        "GET /oversight/report",
        "GET /oversight/report.pdf",
        "GET /api/oversight/measures",
        "GET /api/oversight/stop-search",
        "GET /api/oversight/outcomes",
        "GET /check-claim",
        "GET /api/check-claim",
    }
    assert "GET /api/hotspots" in reachable(Role.NEIGHBOURHOOD_OFFICER)
    assert "POST /api/uploads" not in reachable(Role.NEIGHBOURHOOD_OFFICER)
    assert "POST /api/audit" in reachable(Role.ADMIN)
    assert "POST /api/audit" not in reachable(Role.ANALYST)
    assert "POST /api/audit" in reachable(Role.DATA_PROTECTION_OFFICER)
    assert "POST /records/subject-access" in reachable(Role.DATA_PROTECTION_OFFICER)
    assert "POST /records/subject-access" not in reachable(Role.ADMIN)
