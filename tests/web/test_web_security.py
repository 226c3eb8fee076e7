"""Sessions, cookies, CSRF, headers, lockout, idle timeout, justification and the access log."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from webhelpers import SignedIn, WebEnv, new_env, password_for, post_login, sign_in

from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage import models
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app


def log_entries(env: WebEnv, **filters: object) -> list[dict[str, object]]:
    engine = make_engine(env.database_url)
    try:
        with session_scope(engine) as db:
            return [audit.entry_dict(e) for e in audit.query(db, limit=None, **filters)]  # type: ignore[arg-type]
    finally:
        engine.dispose()


@pytest.fixture
def fresh(tmp_path: Path, sample_db: Path) -> WebEnv:
    """An app environment of its own, for tests that lock accounts or expire sessions."""
    return new_env(
        tmp_path / "env",
        sample_db,
        {"analyst": Role.ANALYST, "victim": Role.ANALYST, "admin": Role.ADMIN},
    )


def test_session_cookie_flags(anonymous: TestClient) -> None:
    response = post_login(anonymous, "analyst")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("hw_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    assert "Max-Age" not in cookie  # a browser-session cookie; the server enforces timeouts


def test_secure_cookie_when_configured(web_env: WebEnv) -> None:
    app = create_app(web_env.settings(secure_cookies=True))
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/login")
        assert "max-age=31536000" in page.headers["strict-transport-security"]
        response = post_login(client, "analyst")
    cookie = next(c for c in response.headers.get_list("set-cookie") if "hw_session=" in c)
    assert "Secure" in cookie


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/",
        "/hotspots",
        "/api/meta",
        "/api/hotspots?format=csv",
        "/nowhere",
        "/static/js/map.js",
    ],
)
def test_security_headers_everywhere(path: str, clients: dict[str, SignedIn]) -> None:
    response = clients["analyst"].client.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "geolocation=()" in headers["permissions-policy"]
    if path.startswith("/static"):
        assert "max-age" in headers["cache-control"]
    else:
        assert headers["cache-control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(clients: dict[str, SignedIn]) -> None:
    """The CSP forbids inline code; a page that used it would silently break in the browser."""
    admin = clients["admin"].client
    for path in ("/", "/hotspots", "/forecast", "/data", "/admin/users", "/login"):
        html = admin.get(path).text
        assert "<script>" not in html and "<script type" not in html, path
        assert " style=" not in html and "<style" not in html, path
        assert " onclick=" not in html and "javascript:" not in html, path


def test_csrf_required_on_unsafe_requests(clients: dict[str, SignedIn]) -> None:
    admin = clients["admin"]
    form = {"username": "csrf-victim", "role": "analyst", "password": "long-enough-password"}
    missing = admin.client.post("/admin/users", data=form, follow_redirects=False)
    assert missing.status_code == 403
    wrong = admin.client.post(
        "/admin/users", data={**form, "csrf_token": "not-the-token"}, follow_redirects=False
    )
    assert wrong.status_code == 403
    api = admin.client.delete("/api/boundaries/0123456789abcdef")
    assert api.status_code == 403 and "token" in api.json()["detail"]
    ok = admin.client.post(
        "/admin/users", data={**form, "csrf_token": admin.csrf}, follow_redirects=False
    )
    assert ok.status_code == 303, ok.text


def test_sign_in_form_needs_its_token(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/login",
        data={"username": "analyst", "password": password_for("analyst"), "csrf_token": "forged"},
    )
    assert response.status_code == 403


def test_open_redirect_refused(anonymous: TestClient) -> None:
    response = post_login(
        anonymous, "analyst", page="/login?next=//evil.example/", next_url="https://evil.example/"
    )
    assert response.headers["location"] == "/"


def test_lockout_after_five_failures(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        for _ in range(5):
            bad = post_login(client, "victim", "wrong-password-123")
            assert bad.status_code == 401
        locked = post_login(client, "victim")
    assert locked.status_code == 401
    assert "too many failed sign-ins" in locked.text
    failed = log_entries(fresh, action="sign-in-failed", actor="victim")
    assert len(failed) == 6
    reasons = [json.loads(str(e["details"]))["reason"] for e in failed]
    assert reasons.count("BadCredentials") == 4 and reasons.count("LockedOut") == 2


def test_idle_timeout_ends_the_session(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        sign_in(client, "analyst")
        assert client.get("/api/meta").status_code == 200
        engine = make_engine(fresh.database_url)
        with session_scope(engine) as db:
            stale = models.utcnow() - timedelta(minutes=31)
            db.execute(update(models.LoginSession).values(last_seen_at=stale))
        engine.dispose()
        assert client.get("/api/meta").status_code == 401
        page = client.get("/hotspots", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/hotspots"


def test_sign_out_ends_the_session(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "analyst")
        out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert client.get("/api/meta").status_code == 401
    engine = make_engine(fresh.database_url)
    with session_scope(engine) as db:
        assert db.scalars(select(models.LoginSession)).all() == []
    engine.dispose()
    actions = [e["action"] for e in log_entries(fresh, actor="analyst")]
    assert "sign-in" in actions and "sign-out" in actions


def test_every_access_is_logged(fresh: WebEnv) -> None:
    """Views, searches, exports and refusals each leave one entry with who, what and outcome."""
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        sign_in(client, "analyst")
        client.get("/hotspots?force=hertfordshire&cell=1000")
        client.get("/api/hotspots?force=hertfordshire&cell=1000&cells=none")
        client.get("/api/hotspots?force=hertfordshire&cell=1000&format=csv")
        client.get("/api/hotspots?force=nowhere")
        client.get("/admin/audit?justification=curious")
    entries = log_entries(fresh, actor="analyst")
    by_action: dict[str, list[dict[str, object]]] = {}
    for entry in entries:
        by_action.setdefault(str(entry["action"]), []).append(entry)
    view = next(e for e in by_action["view"] if e["target"] == "/hotspots")
    assert json.loads(str(view["details"]))["query"] == {"force": "hertfordshire", "cell": "1000"}
    assert view["outcome"] == "ok"
    searches = [e for e in by_action["search"] if e["target"] == "/api/hotspots"]
    assert {e["outcome"] for e in searches} == {"ok", "refused"}  # the unknown force is refused
    export = by_action["export"][0]
    assert json.loads(str(export["details"]))["query"]["format"] == "csv"
    denied = by_action["denied"][0]
    assert denied["target"] == "/admin/audit" and denied["outcome"] == "denied"
    assert all(str(e["client"]).startswith("testclient") for e in entries)


def test_justification_needed_to_search_the_log(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    admin = clients["admin"].client
    refused = admin.get("/api/audit?actor=analyst")
    assert refused.status_code == 400 and "justification" in refused.json()["detail"]
    short = admin.get("/api/audit?actor=analyst&justification=because")
    assert short.status_code == 400
    reason = "Complaint 2025/118: check who viewed the Stevenage map"
    ok = admin.get("/api/audit", params={"actor": "analyst", "justification": reason})
    assert ok.status_code == 200
    assert all(e["actor"] == "analyst" for e in ok.json()["entries"])
    logged = log_entries(web_env, actor="admin", action="search")
    mine = [e for e in logged if e["target"] == "/api/audit"]
    assert mine and mine[0]["justification"] == reason
    assert "justification" not in json.loads(str(mine[0]["details"]))["query"]

    page = admin.get("/admin/audit")
    assert page.status_code == 200 and "Why are you searching?" in page.text
    assert "audit-table" not in page.text  # no entries shown before a reason is given
    shown = admin.get("/admin/audit", params={"justification": reason})
    assert "audit-table" in shown.text and "Hash chain intact" in shown.text
    export = admin.get("/api/audit", params={"justification": reason, "format": "csv"})
    assert export.status_code == 200
    assert export.text.startswith("id,at,actor,action,target,outcome")
    assert log_entries(web_env, actor="admin", action="export")


def test_pcc_viewer_sees_aggregates_only(clients: dict[str, SignedIn]) -> None:
    pcc = clients["pcc-viewer"].client
    assert pcc.get("/").status_code == 200
    assert pcc.get("/forecast").status_code == 200
    assert pcc.get("/api/trends").status_code == 200
    for path in ("/hotspots", "/data", "/admin/audit", "/admin/users"):
        assert pcc.get(path).status_code == 403, path
    for path in ("/api/hotspots", "/api/areas", "/api/patrol", "/api/status", "/api/users"):
        assert pcc.get(path).status_code == 403, path
    nav = pcc.get("/").text
    assert 'href="/hotspots"' not in nav and 'href="/data"' not in nav


def test_user_admin_is_logged(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    admin = clients["admin"]
    created = admin.client.post(
        "/admin/users",
        data={
            "username": "new-officer",
            "role": "neighbourhood-officer",
            "password": "a-long-enough-password",
            "csrf_token": admin.csrf,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    short = admin.client.post(
        "/admin/users",
        data={
            "username": "shorty",
            "role": "analyst",
            "password": "short",
            "csrf_token": admin.csrf,
        },
    )
    assert short.status_code == 422 and "password too short" in short.text
    changed = admin.client.post(
        "/admin/users/new-officer/role",
        data={"role": "analyst", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    disabled = admin.client.post(
        "/admin/users/new-officer/disable", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert disabled.status_code == 303
    users = {u["username"]: u for u in admin.client.get("/api/users").json()}
    assert users["new-officer"]["role"] == "analyst" and users["new-officer"]["disabled"]
    log = log_entries(web_env, actor="admin")
    targets = [(e["action"], e["target"], e["outcome"]) for e in log]
    assert ("create", "user new-officer", "ok") in targets
    assert ("create", "user shorty", "refused") in targets
    assert ("change", "user new-officer", "ok") in targets


def test_access_log_failure_refuses_the_response(web_env: WebEnv, app: FastAPI) -> None:
    """Fail closed: when the log cannot be written, the data are not sent."""
    fresh_app = create_app(web_env.settings())

    async def broken(**_: object) -> None:
        raise RuntimeError("disk full")

    with TestClient(fresh_app) as client:
        sign_in(client, "analyst")
        # The middleware holds the function it was built with; rebuild the stack with it.
        fresh_app.middleware_stack = None
        for middleware in fresh_app.user_middleware:
            if "record" in middleware.kwargs:
                middleware.kwargs["record"] = broken
        response = client.get("/api/meta")
    assert response.status_code == 500
    assert "access log" in response.text
