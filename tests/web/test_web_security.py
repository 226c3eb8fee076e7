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

from harmwatch.kernel.actions import AuditAction
from harmwatch.security import audit
from harmwatch.security.accounts import get_user
from harmwatch.security.audit import AuditError
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
        client.get("/admin/audit")
    entries = log_entries(fresh, actor="analyst")
    by_action: dict[str, list[dict[str, object]]] = {}
    for entry in entries:
        by_action.setdefault(str(entry["action"]), []).append(entry)
    view = next(e for e in by_action["consultation"] if e["target"] == "route:/hotspots")
    assert json.loads(str(view["details"]))["query"] == {"force": "hertfordshire", "cell": "1000"}
    assert view["outcome"] == "ok"
    searches = [e for e in by_action["consultation"] if e["target"] == "route:/api/hotspots"]
    assert {e["outcome"] for e in searches} == {"ok", "refused"}  # the unknown force is refused
    export = by_action["disclosure"][0]
    assert json.loads(str(export["details"]))["query"]["format"] == "csv"
    assert json.loads(str(export["details"]))["recipient"] == "analyst"
    denied = next(e for e in entries if e["outcome"] == "denied")
    assert (denied["action"], denied["target"]) == ("consultation", "route:/admin/audit")
    assert all(str(e["client"]).startswith("testclient") for e in entries)


def test_justification_needed_to_search_the_log(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    signed = clients["admin"]
    admin = signed.client
    post = {"csrf_token": signed.csrf}
    refused = admin.post("/api/audit", data={**post, "actor": "analyst"})
    assert refused.status_code == 400 and "justification" in refused.json()["detail"]
    short = admin.post("/api/audit", data={**post, "actor": "analyst", "justification": "because"})
    assert short.status_code == 400
    reason = "Complaint 2025/118: check who viewed the Stevenage map"
    ok = admin.post("/api/audit", data={**post, "actor": "analyst", "justification": reason})
    assert ok.status_code == 200
    assert all(e["actor"] == "analyst" for e in ok.json()["entries"])
    assert ok.json()["matching"] >= ok.json()["count"]
    logged = log_entries(web_env, actor="admin", action=AuditAction.CONSULTATION)
    mine = [e for e in logged if e["target"] == "route:/api/audit"]
    assert mine and mine[0]["justification"] == reason
    assert "query" not in json.loads(str(mine[0]["details"]))  # nothing travelled in the URL
    assert json.loads(str(mine[0]["details"]))["filters"] == {"actor": "analyst"}

    page = admin.get("/admin/audit")
    assert page.status_code == 200 and "Hash chain intact" in page.text
    assert "audit-table" not in page.text  # no entries shown before a search with a reason
    assert 'method="post" action="/admin/audit"' in page.text
    unjustified = admin.post("/admin/audit", data=post)
    assert "Why are you searching?" in unjustified.text and 'method="post"' in unjustified.text
    shown = admin.post("/admin/audit", data={**post, "justification": reason})
    assert "audit-table" in shown.text and "entries match" in shown.text
    export = admin.post("/api/audit", data={**post, "justification": reason, "format": "csv"})
    assert export.status_code == 200
    assert export.text.startswith("id,at,actor,action,target,outcome")
    assert log_entries(web_env, actor="admin", action=AuditAction.DISCLOSURE)


def test_the_audit_export_is_every_matching_entry_not_the_newest_500(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "admin")
        for _ in range(30):
            client.get("/api/meta")
        reason = "Annual review of the access log"
        engine = make_engine(fresh.database_url)
        with session_scope(engine) as db:
            total = audit.count(db)
        engine.dispose()
        exported = client.post(
            "/admin/audit/export", data={"csrf_token": csrf, "justification": reason}
        )
        searched = client.post(
            "/admin/audit", data={"csrf_token": csrf, "justification": reason, "limit": "10"}
        )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    ids = [int(line.split(",")[0]) for line in exported.text.splitlines()[1:]]
    assert ids == list(range(1, total + 1))  # every entry up to the export, oldest first
    assert "the newest 10 are shown" in searched.text and "Export all" in searched.text
    entry = next(e for e in log_entries(fresh, action=AuditAction.DISCLOSURE))
    assert json.loads(str(entry["details"]))["rows"] == total


def test_the_access_log_page_verifies_from_its_checkpoint(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "admin")
        first = client.get("/admin/audit").text
        client.get("/api/meta")
        second = client.get("/admin/audit").text
        full = client.post("/admin/audit/verify", data={"csrf_token": csrf}).text
    assert "verified to entry" in first
    assert "new entries checked since the last check" in second  # not the whole chain again
    assert "checked from the first entry" in full


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
    assert ("collection", "user:new-officer", "ok") in targets
    assert ("collection", "user:shorty", "refused") in targets
    assert ("alteration", "user:new-officer", "ok") in targets


def test_a_change_is_not_kept_when_its_log_entry_cannot_be_written(
    fresh: WebEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account and its entry are one transaction: no entry, no account."""
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "admin")

        def broken(*args: object, **kwargs: object) -> None:
            raise AuditError("injected: the access log cannot be written")

        monkeypatch.setattr(audit, "record", broken)
        response = client.post(
            "/admin/users",
            data={
                "username": "ghost",
                "role": "analyst",
                "password": "a-long-enough-password",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        monkeypatch.undo()
    assert response.status_code == 503 and "access log cannot be written" in response.text
    engine = make_engine(fresh.database_url)
    with session_scope(engine) as db:
        assert get_user(db, "ghost") is None
    engine.dispose()
    assert not [e for e in log_entries(fresh) if e["target"] == "user:ghost"]


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


def test_expired_sessions_are_purged_at_the_next_sign_in(
    fresh: WebEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as first:
        sign_in(first, "analyst")
    later = models.utcnow() + timedelta(hours=13)  # past the absolute timeout
    monkeypatch.setattr(models, "utcnow", lambda: later)
    with TestClient(app) as second:
        sign_in(second, "victim")
    engine = make_engine(fresh.database_url)
    with session_scope(engine) as db:
        left = db.scalars(select(models.LoginSession)).all()
    engine.dispose()
    assert len(left) == 1  # only the new one
    sign_ins = log_entries(fresh, action=AuditAction.SIGN_IN, actor="victim")
    assert json.loads(str(sign_ins[0]["details"]))["expired_sessions_purged"] == 1


def test_the_last_admin_cannot_be_demoted_and_self_demotion_is_confirmed(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "admin")
        ask = client.post("/admin/users/admin/role", data={"role": "analyst", "csrf_token": csrf})
        assert ask.status_code == 409 and "your own role" in ask.text and 'value="yes"' in ask.text
        confirmed = client.post(
            "/admin/users/admin/role",
            data={"role": "analyst", "confirm": "yes", "csrf_token": csrf},
        )
        assert confirmed.status_code == 422 and "last active admin" in confirmed.text
        disabled = client.post(
            "/admin/users/admin/disable", data={"confirm": "yes", "csrf_token": csrf}
        )
        assert disabled.status_code == 422 and "last active admin" in disabled.text
    engine = make_engine(fresh.database_url)
    with session_scope(engine) as db:
        user = get_user(db, "admin")
        assert user is not None and user.role == "admin" and not user.disabled
    engine.dispose()
    outcomes = [
        e["outcome"] for e in log_entries(fresh, actor="admin", action=AuditAction.ALTERATION)
    ]
    assert outcomes == ["refused", "refused", "refused"]


def test_one_client_cannot_lock_an_account_for_everyone_else(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app, client=("203.0.113.9", 50000)) as attacker:
        for _ in range(5):
            assert post_login(attacker, "victim", "wrong-password-123").status_code == 401
        assert "too many failed sign-ins" in post_login(attacker, "victim").text
    with TestClient(app, client=("198.51.100.7", 50000)) as owner:
        assert post_login(owner, "victim").status_code == 303  # still signs in from elsewhere


def test_a_client_trying_many_names_is_locked_for_all_of_them(fresh: WebEnv) -> None:
    app = create_app(fresh.settings())
    with TestClient(app, client=("203.0.113.9", 50000)) as attacker:
        for i in range(20):
            post_login(attacker, f"guess{i}", "wrong-password-123")
        assert "too many failed sign-ins" in post_login(attacker, "analyst").text
    with TestClient(app, client=("198.51.100.7", 50000)) as other:
        assert post_login(other, "analyst").status_code == 303


def test_the_client_behind_a_trusted_proxy_is_the_forwarded_address(fresh: WebEnv) -> None:
    app = create_app(fresh.settings(trusted_proxies=frozenset({"10.0.0.2"})))
    forwarded = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2"}
    with TestClient(app, client=("10.0.0.2", 50000), headers=forwarded) as proxied:
        post_login(proxied, "victim", "wrong-password-123")
    with TestClient(app, client=("198.51.100.7", 50000), headers=forwarded) as spoofer:
        post_login(spoofer, "victim", "wrong-password-123")  # not a trusted proxy: ignored
    spoofed, proxied = (str(e["client"]) for e in log_entries(fresh, action="sign-in-failed"))
    assert proxied.startswith("203.0.113.9 ") and spoofed.startswith("198.51.100.7 ")


def test_a_layer_the_page_draws_is_part_of_the_view_and_a_download_is_a_disclosure(
    fresh: WebEnv,
) -> None:
    app = create_app(fresh.settings())
    layer = "/api/hotspots?force=hertfordshire&cell=1000&format=geojson&cells=map"
    with TestClient(app) as client:
        sign_in(client, "analyst")
        drawn = client.get(
            layer, headers={"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}
        )
        downloaded = client.get(
            layer,
            headers={
                "Sec-Fetch-Site": "same-origin",
                "Sec-Fetch-Dest": "document",
                "Sec-Fetch-Mode": "navigate",
            },
        )
        scripted = client.get(layer)  # curl, a script: no browser labels
    assert drawn.status_code == downloaded.status_code == scripted.status_code == 200
    entries = [
        e for e in log_entries(fresh, actor="analyst") if e["target"] == "route:/api/hotspots"
    ]
    assert [e["action"] for e in reversed(entries)] == ["consultation", "disclosure", "disclosure"]
    assert json.loads(str(entries[-1]["details"]))["drawn_on_page"] is True
