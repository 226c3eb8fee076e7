"""The intelligence room over HTTP: need-to-know by role, justification, exports and imports.

A records database of its own: every user in Hertfordshire's ``demo-unit`` (as the
demo's are), the demo's fictional intelligence seeded by the demo's own code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_intelligence_env, sign_in

from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app

WHY = {"X-Justification": "Op Demo: web tests of the intelligence room"}


@pytest.fixture(scope="module")
def intel_env(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> tuple[WebEnv, dict[str, int]]:
    return new_intelligence_env(tmp_path_factory.mktemp("intel-web"), sample_db)


@pytest.fixture(scope="module")
def intel(intel_env: tuple[WebEnv, dict[str, int]]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(intel_env[0].settings())
    out = {}
    for role in Role:
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def _log(env: WebEnv, actor: str) -> list[audit.AuditEntry]:
    engine = make_engine(env.database_url)
    try:
        with session_scope(engine) as db:
            return audit.query(db, actor=actor, limit=None)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "role",
    [
        "admin",
        "pcc-viewer",
        "forensic-reviewer",
        "neighbourhood-officer",
        "data-protection-officer",
    ],
)
def test_roles_without_intelligence_get_nothing_not_even_counts(
    intel: dict[str, SignedIn], role: str
) -> None:
    client = intel[role].client
    for url in (
        "/api/intelligence/reports",
        "/api/intelligence/entities",
        "/api/intelligence/chart",
        "/api/intelligence/path?from=1&to=14",
        "/api/intelligence/players",
    ):
        response = client.get(url, headers=WHY)
        assert response.status_code == 403, (role, url)
        assert "HC-DEMO" not in response.text and "Fictional" not in response.text
    page = client.get("/intelligence")
    assert page.status_code == 403
    assert "Intelligence" not in [a for a in page.text.split('"') if a == "/intelligence"]


def test_a_read_needs_a_reason_and_is_logged_with_it(
    intel: dict[str, SignedIn], intel_env: tuple[WebEnv, dict[str, int]]
) -> None:
    analyst = intel["analyst"].client
    refused = analyst.get("/api/intelligence/reports")
    assert refused.status_code == 422 and "justification" in refused.json()["detail"]
    ok = analyst.get("/api/intelligence/reports", headers=WHY)
    assert ok.status_code == 200
    views = ok.json()["reports"]
    assert {r["reference"] for r in views} >= {"HC-DEMO-0001", "HC-DEMO-0003"}
    assert all(r["text_is_sanitised"] for r in views)  # analysts: sanitised text only
    entries = _log(intel_env[0], "analyst")
    assert [(e.action, e.outcome) for e in entries[:2]] == [
        ("consultation", "ok"),
        ("consultation", "refused"),
    ]
    assert entries[0].justification == WHY["X-Justification"]


def test_the_path_from_the_local_dealer_to_the_county_line(
    intel: dict[str, SignedIn], intel_env: tuple[WebEnv, dict[str, int]]
) -> None:
    ids = intel_env[1]
    response = intel["intelligence-officer"].client.get(
        f"/api/intelligence/path?from={ids['jay']}&to={ids['tony']}", headers=WHY
    )
    assert response.status_code == 200, response.text
    path = response.json()["paths"][0]
    assert path["labels"] == ["Jay Fictional", "Kez Fictional", "TONY line (fictional)"]
    assert [[r["grade"] for r in h["reports"]] for h in path["hops"]] == [["2C P"], ["1B C"]]
    assert path["weakest_hop"]["reports"][0]["reference"] == "HC-DEMO-0002"
    assert any("DI approval" in c for c in response.json()["chart"]["conditions"])


def test_an_export_waits_for_the_conditions_and_is_a_disclosure(
    intel: dict[str, SignedIn], intel_env: tuple[WebEnv, dict[str, int]]
) -> None:
    officer = intel["intelligence-officer"]
    body = {
        "entity": str(intel_env[1]["jay"]),
        "hops": 3,
        "format": "gexf",
        "recipient": "Bedfordshire Police intelligence bureau",
        "justification": "Op Demo: share the chart with Bedfordshire",
    }
    headers = {"x-csrf-token": officer.csrf}
    held = officer.client.post("/api/intelligence/export", json=body, headers=headers)
    assert held.status_code == 409 and "DI approval" in held.json()["detail"]
    done = officer.client.post(
        "/api/intelligence/export", json={**body, "acknowledge_conditions": True}, headers=headers
    )
    assert done.status_code == 200 and b"DI approval" in done.content
    entry = _log(intel_env[0], "intelligence-officer")[0]
    assert (entry.action, entry.outcome, entry.details["recipient"]) == (
        "disclosure",
        "ok",
        "Bedfordshire Police intelligence bureau",
    )
    analyst = intel["analyst"]
    refused = analyst.client.post(
        "/api/intelligence/export",
        json={**body, "acknowledge_conditions": True},
        headers={"x-csrf-token": analyst.csrf},
    )
    assert refused.status_code == 403


def test_an_import_with_a_bad_row_stores_nothing(intel: dict[str, SignedIn]) -> None:
    officer = intel["intelligence-officer"]
    bad = (
        "reference,scheme,source_evaluation,intelligence_assessment,handling_code,sanitised_text,originator,reported_on\n"
        "HC-W-1,3x5x2,2,B,P,fine,PC A,2025-01-01\n"
        "HC-W-2,3x5x2,4,B,P,bad grade,PC A,2025-01-01\n"
    )
    response = officer.client.post(
        "/api/intelligence/import",
        files={"reports": ("reports.csv", bad.encode(), "text/csv")},
        headers={"x-csrf-token": officer.csrf},
    )
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "reports.csv:3: grade: source_evaluation: '4' is not a 3x5x2 value; allowed: 1, 2, 3"
    ]
    listed = officer.client.get("/api/intelligence/reports", headers=WHY).json()["reports"]
    assert not [r for r in listed if r["reference"].startswith("HC-W-")]


def test_pages_ask_for_a_reason_before_reading_anything(
    intel: dict[str, SignedIn], intel_env: tuple[WebEnv, dict[str, int]]
) -> None:
    officer = intel["neighbourhood-officer"]  # cannot open it at all
    assert officer.client.get("/intelligence").status_code == 403
    io = intel["intelligence-officer"]
    before = len(_log(intel_env[0], "intelligence-officer"))
    page = io.client.get("/intelligence")
    assert page.status_code == 200 and "Nothing has been read yet" in page.text
    assert len(_log(intel_env[0], "intelligence-officer")) == before
    io.client.post(
        "/purpose",
        data={
            "purpose": "Op Demo: briefing on the TONY line",
            "back": "/intelligence",
            "csrf_token": io.csrf,
        },
    )
    page = io.client.get("/intelligence")
    assert page.status_code == 200 and "HC-DEMO-0003" in page.text
    assert "Not to be disclosed outside Hertfordshire Constabulary" in page.text
    ids = intel_env[1]
    report = io.client.get(f"/intelligence/reports/{ids['HC-DEMO-0003']}")
    assert report.status_code == 200 and "Handling code C" in report.text
    entity = io.client.get(f"/intelligence/entities/{ids['kez']}")
    assert entity.status_code == 200 and "TONY line (fictional)" in entity.text
    chart = io.client.get(f"/intelligence/chart?entity={ids['jay']}&to={ids['tony']}")
    assert chart.status_code == 200
    io.client.post("/purpose", data={"purpose": "", "back": "/", "csrf_token": io.csrf})


def test_the_officer_decides_a_suggested_merge_from_the_page(
    intel: dict[str, SignedIn], intel_env: tuple[WebEnv, dict[str, int]]
) -> None:
    io = intel["intelligence-officer"]
    ids = intel_env[1]
    io.client.post(
        "/purpose",
        data={"purpose": "Op Demo: tidy duplicates", "back": "/", "csrf_token": io.csrf},
    )
    page = io.client.get("/intelligence")
    assert "Possible duplicates (1)" in page.text and "Jay Fictionel" in page.text
    done = io.client.post(
        "/intelligence/merges",
        data={
            "keep": ids["jay"],
            "merge": ids["jay-again"],
            "decision": "reject",
            "evidence": "checked: different dates of custody",
            "csrf_token": io.csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Possible duplicates" not in io.client.get("/intelligence").text
    entry = next(
        e
        for e in _log(intel_env[0], "intelligence-officer")
        if e.target == f"intelligence-entity:{ids['jay-again']}"
    )
    assert (entry.action, entry.outcome, entry.details["decision"]) == (
        "alteration",
        "ok",
        "reject",
    )
    io.client.post("/purpose", data={"purpose": "", "back": "/", "csrf_token": io.csrf})


def test_a_persons_age_is_given_on_the_date_asked(intel: dict[str, SignedIn]) -> None:
    client = intel["intelligence-officer"].client
    got = client.get("/api/intelligence/entities?kind=person&on=2025-02-20", headers=WHY).json()
    kez = next(e for e in got["entities"] if e["label"] == "Kez Fictional")
    assert (kez["age"], kez["age_on"]) == (16, "2025-02-20")  # a child when the line was his
