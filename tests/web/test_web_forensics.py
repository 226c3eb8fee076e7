"""The forensics room over HTTP: the demo's incident review, the queue, need-to-know, progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_intelligence_env, sign_in

from harmwatch.forensics import demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine
from harmwatch.web import create_app

WHY = {"X-Justification": "Northgate review: web tests of the forensics room"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> tuple[WebEnv, dict]:
    web_env, _ = new_intelligence_env(tmp_path_factory.mktemp("forensics-web"), sample_db)
    engine = make_engine(web_env.database_url)
    seeded = demo.seed(engine, "hertfordshire", "demo-unit")
    engine.dispose()
    return web_env, seeded


@pytest.fixture(scope="module")
def users(env: tuple[WebEnv, dict]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(env[0].settings())
    out = {}
    for role in Role:
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def test_the_affected_totals_are_the_generators_own(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict]
) -> None:
    _, seeded = env
    reviewer = users["forensic-reviewer"].client
    got = reviewer.get(f"/api/forensics/incidents/{seeded['incident_id']}/affected", headers=WHY)
    assert got.status_code == 200
    data = got.json()
    truth = seeded["truth"]
    assert data["total"]["cases"] == truth["total"]["cases"]
    assert data["total"]["samples"] == truth["total"]["samples"]
    for force, counts in data["forces"].items():
        assert (counts["cases"], counts["samples"]) == (
            truth[force]["cases"],
            truth[force]["samples"],
        )
    queue = reviewer.get(f"/api/forensics/incidents/{seeded['incident_id']}/queue", headers=WHY)
    entries = queue.json()["queue"]
    assert entries and all(e["reason"] for e in entries)
    assert [e["place"] for e in entries] == list(range(1, len(entries) + 1))


def test_the_pages_ask_for_a_reason_before_reading_a_case(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict]
) -> None:
    _, seeded = env
    reviewer = users["forensic-reviewer"]
    page = reviewer.client.get(f"/forensics/incidents/{seeded['incident_id']}")
    assert page.status_code == 200 and "Nothing has been read yet" in page.text
    assert "SYNTHETIC-" not in page.text


@pytest.mark.parametrize(
    "role", ["analyst", "intelligence-officer", "neighbourhood-officer", "admin"]
)
def test_other_roles_see_nothing_of_the_casework(users: dict[str, SignedIn], role: str) -> None:
    client = users[role].client
    for url in (
        "/forensics",
        "/forensics/incidents/1",
        "/forensics/exhibits/1",
        "/api/forensics/progress",
        "/api/forensics/incidents/1/queue",
    ):
        assert client.get(url, headers=WHY).status_code == 403, (role, url)


def test_the_pcc_viewer_gets_progress_figures_only(users: dict[str, SignedIn]) -> None:
    pcc = users["pcc-viewer"].client
    page = pcc.get("/forensics")
    assert page.status_code == 200 and "SYNTHETIC-" not in page.text
    figures = pcc.get("/api/forensics/progress").json()
    assert list(figures["forces"]) == ["hertfordshire"] and figures["suppressed"] is True
    assert figures["total"] is None
    for url in (
        "/forensics/incidents/1",
        "/api/forensics/incidents/1/affected",
        "/api/forensics/exhibits/1",
    ):
        assert pcc.get(url, headers=WHY).status_code == 403, url


def test_casework_recorded_through_the_api_and_its_chain_verified(
    users: dict[str, SignedIn],
) -> None:
    reviewer = users["forensic-reviewer"]
    headers = {"X-CSRF-Token": reviewer.csrf, **WHY}
    bad = reviewer.client.post(
        "/api/forensics/cases",
        json={
            "fields": {
                "reference": "WEB-1",
                "offence_code": "RTA5A",
                "cj_status": "awaiting-trial",
                "custody_status": "bailed",
                "officer_in_charge": "PC 1",
                "subject_label": "A Fictional",
            }
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert "next_hearing_on" in {p["field"] for p in bad.json()["problems"]}
    case = reviewer.client.post(
        "/api/forensics/cases",
        json={
            "fields": {
                "reference": "WEB-1",
                "offence_code": "RTA5A",
                "cj_status": "charged",
                "custody_status": "bailed",
                "officer_in_charge": "PC 1",
                "subject_label": "A Fictional",
            }
        },
        headers=headers,
    )
    assert case.status_code == 201, case.text
    exhibit = reviewer.client.post(
        "/api/forensics/exhibits",
        json={
            "fields": {
                "case_id": str(case.json()["id"]),
                "reference": "WEB-1/BL1",
                "exhibit_type": "blood",
                "test_requested": "s5A drugs",
                "taken_at": "2026-11-02 21:15",
            }
        },
        headers=headers,
    )
    assert exhibit.status_code == 201, exhibit.text
    exhibit_id = exhibit.json()["id"]
    for event in (
        {
            "at": "2026-11-02 21:20",
            "action": "sealed",
            "handled_by": "PC 1",
            "location": "Stevenage custody",
            "seal_number": "S100",
        },
        {
            "at": "2026-11-03 09:00",
            "action": "stored",
            "handled_by": "PC 1",
            "location": "Stevenage custody",
            "seal_number": "S100",
        },
    ):
        made = reviewer.client.post(
            f"/api/forensics/exhibits/{exhibit_id}/custody",
            json={"fields": event},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    result = reviewer.client.post(
        f"/api/forensics/exhibits/{exhibit_id}/results",
        json={
            "fields": {"analyte": "cocaine", "value": "14", "unit": "ug/L", "uncertainty": "2.8"}
        },
        headers=headers,
    )
    assert result.status_code == 201, result.text
    again = reviewer.client.post(
        f"/api/forensics/exhibits/{exhibit_id}/results",
        json={"fields": {"analyte": "cocaine", "value": "15", "unit": "ug/L"}},
        headers=headers,
    )
    assert again.status_code == 422  # a second version of cocaine is an amendment, with a reason
    checked = reviewer.client.post(
        "/api/forensics/verify", json={"exhibit": exhibit_id}, headers=headers
    )
    assert checked.status_code == 200 and checked.json()["ok"] is True


def test_casework_entered_on_the_pages_with_the_forms_checks(users: dict[str, SignedIn]) -> None:
    reviewer = users["forensic-reviewer"]
    reviewer.client.post(
        "/purpose",
        data={
            "purpose": "Northgate review: entering casework",
            "back": "/",
            "csrf_token": reviewer.csrf,
        },
    )
    page = reviewer.client.get("/forensics/new/case")
    assert page.status_code == 200 and 'data-check-url="/api/forensics/check/case"' in page.text
    check = reviewer.client.post(
        "/api/forensics/check/case",
        json={
            "fields": {"cj_status": "awaiting-trial", "next_hearing_on": "tomorrow"},
            "partial": True,
        },
        headers={"X-CSRF-Token": reviewer.csrf},
    )
    assert {p["field"] for p in check.json()["problems"]} == {"next_hearing_on"}
    refused = reviewer.client.post(
        "/forensics/new/case", data={"reference": "PAGE-1", "csrf_token": reviewer.csrf}
    )
    assert refused.status_code == 422 and "Nothing was saved" in refused.text
    made = reviewer.client.post(
        "/forensics/new/case",
        data={
            "reference": "PAGE-1",
            "offence_code": "RTA5A",
            "cj_status": "charged",
            "custody_status": "bailed",
            "officer_in_charge": "PC 2",
            "subject_label": "B Fictional",
            "csrf_token": reviewer.csrf,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    cases = reviewer.client.post(
        "/api/forensics/cases",
        json={
            "fields": {
                "reference": "PAGE-1",
                "offence_code": "RTA5A",
                "cj_status": "charged",
                "custody_status": "bailed",
                "officer_in_charge": "PC 2",
                "subject_label": "B Fictional",
            }
        },
        headers={"X-CSRF-Token": reviewer.csrf, **WHY},
    )
    assert cases.status_code == 422  # the reference is taken now: refused by field
    exhibit = reviewer.client.post(
        "/forensics/new/exhibit",
        data={
            "case_id": "",
            "reference": "PAGE-1/BL1",
            "exhibit_type": "blood",
            "test_requested": "s5A",
            "taken_at": "2026-11-20 22:00",
            "csrf_token": reviewer.csrf,
        },
    )
    assert exhibit.status_code == 422  # no case named
