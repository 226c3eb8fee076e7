"""The operations room over HTTP: the demo's Op Lantern, summaries, forms, imports, need-to-know."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_intelligence_env, sign_in

from harmwatch.operations import demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine
from harmwatch.web import create_app

WHY = {"X-Justification": "Op Lantern: web tests of the operations room"}
PURPOSE = "Op Lantern: briefing on the results so far"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> WebEnv:
    web_env, _ = new_intelligence_env(tmp_path_factory.mktemp("operations-web"), sample_db)
    engine = make_engine(web_env.database_url)
    demo.seed(engine, "hertfordshire", "demo-unit")
    engine.dispose()
    return web_env


@pytest.fixture(scope="module")
def users(env: WebEnv) -> Iterator[dict[str, SignedIn]]:
    app = create_app(env.settings())
    out = {}
    for role in Role:
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def _declare(user: SignedIn, purpose: str) -> None:
    user.client.post("/purpose", data={"purpose": purpose, "back": "/", "csrf_token": user.csrf})


def test_the_pcc_viewer_sees_summaries_and_never_a_name(users: dict[str, SignedIn]) -> None:
    pcc = users["pcc-viewer"].client
    page = pcc.get("/operations")
    assert page.status_code == 200 and "Op Lantern" in page.text
    ops = pcc.get("/api/operations").json()["operations"]
    lantern = next(o for o in ops if o["name"] == demo.NAME)
    assert lantern["aims"] == "" and lantern["linked_entities"] == []
    summary = pcc.get("/api/operations/summary", params={"operation": lantern["id"]}).json()
    assert summary["people_charged"] == 22 and summary["exact"] is False
    page = pcc.get("/operations/summary", params={"operation": lantern["id"]})
    assert page.status_code == 200 and "22 people charged" in page.text
    for text in (summary.__repr__(), page.text):
        assert "SYNTHETIC Person" not in text and "SYNTHETIC DC" not in text
    for url in (f"/operations/{lantern['id']}", f"/api/operations/{lantern['id']}",
                "/operations/results/1", "/api/operations/results/1", "/operations/new",
                "/operations/import", "/seizures"):  # fmt: skip
        assert pcc.get(url, headers=WHY).status_code == 403, url


@pytest.mark.parametrize("role", ["admin", "forensic-reviewer", "data-protection-officer"])
def test_roles_outside_operations_see_nothing(users: dict[str, SignedIn], role: str) -> None:
    client = users[role].client
    for url in ("/operations", "/api/operations", "/api/operations/summary", "/operations/summary"):
        assert client.get(url).status_code == 403, (role, url)


def test_an_analyst_reads_results_only_with_a_reason(users: dict[str, SignedIn]) -> None:
    analyst = users["analyst"]
    ops = analyst.client.get("/api/operations").json()["operations"]
    op_id = next(o["id"] for o in ops if o["name"] == demo.NAME)
    page = analyst.client.get(f"/operations/{op_id}")
    assert page.status_code == 200
    assert "Nothing has been read yet" in page.text and "SYNTHETIC Person" not in page.text
    assert "22 people charged" in page.text  # the figures, without a single record read
    _declare(analyst, PURPOSE)
    page = analyst.client.get(f"/operations/{op_id}")
    assert "SYNTHETIC DC" in page.text
    first = re.search(r'href="/operations/results/(\d+)"', page.text)
    assert first is not None
    result = analyst.client.get(f"/operations/results/{first.group(1)}")
    assert result.status_code == 200 and "Correct it" in result.text
    api = analyst.client.get("/api/operations/summary", params={"operation": op_id}, headers=WHY)
    data = api.json()
    assert data["exact"] is True and len(data["records"]["people_charged"]) == 22


def test_the_form_checks_as_you_type_and_refuses_bad_input(users: dict[str, SignedIn]) -> None:
    analyst = users["analyst"]
    headers = {"X-CSRF-Token": analyst.csrf}
    check = analyst.client.post(
        "/api/operations/check/warrant",
        json={"fields": {"applied_on": "2025-05-02", "granted_on": "2025-05-01"}, "partial": True},
        headers=headers,
    )
    assert check.status_code == 200
    assert check.json()["problems"] == [  # a rule across two fields, before the rest is typed
        {"field": "granted_on", "reason": "2025-05-01 is before the application (2025-05-02)"}
    ]
    check = analyst.client.post(
        "/api/operations/check/warrant",
        json={"fields": {"applied_on": "2 May"}, "partial": True},
        headers=headers,
    )
    assert check.json()["problems"] == [
        {"field": "applied_on", "reason": "'2 May' is not a date like 2025-03-31"}
    ]
    new = analyst.client.get("/operations/new")
    assert 'data-check-url="/api/operations/check/operation"' in new.text
    posted = analyst.client.post(
        "/operations/new",
        data={"name": "", "starts_on": "2025-13-01", "csrf_token": analyst.csrf},
    )
    assert posted.status_code == 422
    assert "Nothing was saved" in posted.text and "is not a date like" in posted.text
    done = analyst.client.post(
        "/operations/new",
        data={
            "name": "Op Web",
            "starts_on": "2025-04-01",
            "partner_forces": "bedfordshire",
            "csrf_token": analyst.csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    op_url = done.headers["location"]
    _declare(analyst, PURPOSE)
    made = analyst.client.post(
        f"{op_url}/results/new?kind=cash-seizure",
        data={
            "occurred_on": "2025-04-02",
            "officer": "PC 7",
            "amount": "1,000.00",
            "power": "poca-s294",
            "csrf_token": analyst.csrf,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    op_id = int(op_url.rsplit("/", 1)[1])
    summary = analyst.client.get(
        "/api/operations/summary", params={"operation": op_id}, headers=WHY
    ).json()
    assert summary["cash_seized"] == 1000


def test_templates_download_and_a_bad_upload_lists_its_rows(users: dict[str, SignedIn]) -> None:
    analyst = users["analyst"]
    template = analyst.client.get("/operations/templates/arrest?format=csv")
    assert template.status_code == 200
    lines = template.text.splitlines()
    assert lines[0].startswith("operation,occurred_on") and lines[1].startswith('"# ')
    xlsx = analyst.client.get("/operations/templates/arrest?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = "occurred_on,officer,person,offence\n2025-01-01,PC 1,,supply\n"
    page = analyst.client.post(
        "/operations/import",
        data={"csrf_token": analyst.csrf, "justification": PURPOSE},
        files={"file": ("arrest.csv", bad.encode(), "text/csv")},
    )
    assert page.status_code == 422
    assert "arrest.csv:2" in page.text and "required" in page.text
    api = analyst.client.post(
        "/api/operations/import",
        files={"file": ("arrest.csv", bad.encode(), "text/csv")},
        headers={"X-CSRF-Token": analyst.csrf, **WHY},
    )
    assert api.status_code == 422
    assert api.json()["problems"] == [
        {"field": "person", "reason": "required", "where": "arrest.csv:2"}
    ]
