"""The covert room over HTTP: an intelligence officer records one and sees it; nobody else
reaches any covert route (403), and no other role sees the navigation link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from harmwatch.covert import periods
from harmwatch.covert.authorisations import local_text
from harmwatch.covert.room import ROOM
from harmwatch.security.accounts import create_user, set_units
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import copy_store
from harmwatch.storage.records import make_engine, session_scope, upgrade
from harmwatch.web import WebSettings, create_app

WHY = {"X-Justification": "Op Lantern: web tests of the covert room"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# The web app runs on the real clock: the authorisation is granted yesterday (UK date).
TODAY = periods.local_date(datetime.now(UTC))
ROLES = (Role.INTELLIGENCE_OFFICER, Role.ANALYST, Role.PCC_VIEWER)
FORM = {
    "urn": "DS/WEB/1",
    "authorisation_kind": "directed-surveillance",
    "subject": "Dee Fictional",
    "applied_on": (TODAY - timedelta(days=2)).isoformat(),
    "applicant": "DC Applicant",
    "authorised_by": "Supt Authority",
    "authorising_rank": "Superintendent",
    "granted_on": (TODAY - timedelta(days=1)).isoformat(),
    "granted_time": "09:00",
}


def _password(name: str) -> str:
    return f"{name}-correct-horse-battery"


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> Iterator[dict[Role, tuple[TestClient, str]]]:
    root = tmp_path_factory.mktemp("covert-web")
    db = root / "analytics.duckdb"
    copy_store(sample_db, db)
    url = f"sqlite:///{root / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for role in ROLES:
            create_user(session, role.value, role, _password(role.value))
            set_units(session, role.value, "hertfordshire", ["dacorum-cid"])
    engine.dispose()
    app = create_app(WebSettings(analytics_db=db, database_url=url, upload_dir=root / "up"))
    out = {}
    for role in ROLES:
        client = TestClient(app)
        token = LOGIN_TOKEN.search(client.get("/login").text)
        assert token
        signed = client.post(
            "/login",
            data={
                "username": role.value,
                "password": _password(role.value),
                "csrf_token": token.group(1),
                "next": "/",
            },
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        page = client.get("/", follow_redirects=False)
        if page.status_code != 200:
            page = client.get("/login")
        csrf = CSRF_META.search(page.text)
        assert csrf
        out[role] = (client, csrf.group(1))
    yield out
    for client, _ in out.values():
        client.close()


def _url(path: str) -> str:
    return path.replace("{authorisation_id}", "1")


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PCC_VIEWER])
def test_no_other_role_reaches_any_covert_route(
    clients: dict[Role, tuple[TestClient, str]], role: Role
) -> None:
    client, csrf = clients[role]
    for method, path in ROOM.routes:
        headers = {**WHY, "X-CSRF-Token": csrf}
        if method == "GET":
            response = client.get(_url(path), headers=headers, follow_redirects=False)
        elif path.startswith("/api/"):
            response = client.post(_url(path), json={}, headers=headers)
        else:
            response = client.post(_url(path), data={"csrf_token": csrf}, headers=WHY)
        assert response.status_code == 403, (role, method, path, response.status_code)
        assert "Dee" not in response.text
    assert 'href="/covert"' not in client.get("/login").text


def test_an_officer_records_one_and_sees_it(
    clients: dict[Role, tuple[TestClient, str]],
) -> None:
    client, csrf = clients[Role.INTELLIGENCE_OFFICER]
    form = client.get("/covert/new")
    assert form.status_code == 200 and 'data-check-url="/api/covert/check"' in form.text
    assert 'id="granted_time-hint"' in form.text
    check = client.post(
        "/api/covert/check",
        json={"fields": {"granted_time": "9am"}, "partial": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert check.status_code == 200
    assert check.json()["problems"] == [
        {"field": "granted_time", "reason": "'9am' is not a time like 14:30 (24-hour, UK time)"}
    ]
    refused = client.post(
        "/covert/new",
        data={**FORM, "granted_on": (TODAY - timedelta(days=9)).isoformat(), "justification": WHY["X-Justification"],
              "csrf_token": csrf},
    )  # fmt: skip
    assert refused.status_code == 422 and 'href="#granted_on"' in refused.text
    field = re.search(r'<input id="granted_on"[^>]*>', refused.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    done = client.post(
        "/covert/new",
        data={**FORM, "justification": WHY["X-Justification"], "csrf_token": csrf},
    )
    assert done.status_code == 200, done.text
    granted = periods.local_instant(TODAY - timedelta(days=1), time(9, 0))
    ceases = local_text(periods.expiry("directed-surveillance", granted, urgent_oral=False))
    assert "The authorisation is recorded" in done.text and ceases in done.text
    assert "Handling code P" in done.text
    listed = client.get("/api/covert/authorisations", headers=WHY)
    assert [a["urn"] for a in listed.json()["authorisations"]] == ["DS/WEB/1"]
    ident = listed.json()["authorisations"][0]["id"]
    reviewed = client.post(
        f"/api/covert/authorisations/{ident}/reviews",
        json={"reviewed_by": "Supt Authority", "justification": WHY["X-Justification"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert reviewed.status_code == 200 and len(reviewed.json()["reviews"]) == 1
    dashboard = client.post(
        "/covert", data={"justification": WHY["X-Justification"], "csrf_token": csrf}
    )
    assert dashboard.status_code == 200 and "DS/WEB/1" in dashboard.text
    assert 'href="/covert"' in client.get("/covert/new").text  # the nav link, theirs alone
    asked = client.get("/covert")  # no purpose declared: nothing read until a reason is given
    assert asked.status_code == 200 and "Nothing has been read yet" in asked.text
