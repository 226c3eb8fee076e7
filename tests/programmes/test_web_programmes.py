"""The programmes room over HTTP: a reader sees events and records one; a PCC sees outcomes only."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from webhelpers import SignedIn, WebEnv, new_env, sign_in

from harmwatch.kernel.principal import Principal
from harmwatch.programmes import service
from harmwatch.security.accounts import set_units
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app

WHY = "Op Demo: web tests of the programmes room"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> tuple[WebEnv, int]:
    env = new_env(tmp_path_factory.mktemp("programmes-web"), sample_db)
    engine = make_engine(env.database_url)
    with session_scope(engine) as db:
        for role in Role:
            set_units(db, role.value, "hertfordshire", ["demo-unit"])
    officer = Principal(
        "setup", Role.NEIGHBOURHOOD_OFFICER, "hertfordshire", frozenset({"demo-unit"})
    )
    pid = service.create_programme(
        engine,
        officer,
        {
            "name": "Herts DIP (web)",
            "programme_type": "treatment-referral",
            "starts_on": "2025-01-01",
        },
    ).id
    for n in range(6):
        service.record_event(
            engine,
            officer,
            pid,
            "referred",
            {
                "occurred_on": "2025-02-01",
                "participant": f"custody-{n}",
                "route": "arrest-referral",
            },
            WHY,
        )
    engine.dispose()
    return env, pid


@pytest.fixture(scope="module")
def users(env: tuple[WebEnv, int]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(env[0].settings())
    out = {}
    for role in (Role.ANALYST, Role.NEIGHBOURHOOD_OFFICER, Role.PCC_VIEWER, Role.ADMIN):
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def test_a_reader_sees_events_and_records_one_with_errors_beside_fields(
    users: dict[str, SignedIn], env: tuple[WebEnv, int]
) -> None:
    _, pid = env
    officer = users["neighbourhood-officer"]
    client = officer.client
    index = client.get("/programmes")
    assert index.status_code == 200 and "Herts DIP (web)" in index.text
    assert "Referrals into treatment" in index.text and f'href="/programmes/{pid}"' in index.text
    page = client.get(f"/programmes/{pid}")
    assert page.status_code == 200 and "Nothing has been read yet" in page.text
    assert 'data-check-url="/api/programmes/check/treatment-referral.referred"' in page.text
    read = client.post(
        f"/programmes/{pid}", data={"justification": WHY, "csrf_token": officer.csrf}
    )
    assert read.status_code == 200 and "Events (6; 6 participants)" in read.text
    assert re.search(r"P-[0-9A-F]{10}", read.text) and "custody-1" not in read.text
    bad = client.post(
        f"/programmes/{pid}/events",
        data={
            "event_kind": "referred",
            "occurred_on": "2025-02-30",
            "participant": "custody-9",
            "route": "",
            "justification": WHY,
            "csrf_token": officer.csrf,
        },
    )
    assert bad.status_code == 422 and 'id="route-error"' in bad.text
    field = re.search(r'<input id="occurred_on"[^>]*>', bad.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'href="#route"' in bad.text and 'value="custody-9"' in bad.text
    good = client.post(
        f"/programmes/{pid}/events",
        data={
            "event_kind": "referred",
            "occurred_on": "2025-02-03",
            "participant": "custody-9",
            "route": "voluntary",
            "justification": WHY,
            "csrf_token": officer.csrf,
        },
    )
    assert good.status_code == 200 and "Recorded: Referred into treatment" in good.text
    assert "Events (7; 7 participants)" in good.text
    check = client.post(
        "/api/programmes/check/treatment-referral.referred",
        json={"fields": {"event_kind": "referred", "route": "by-pigeon"}, "partial": True},
        headers={"X-CSRF-Token": officer.csrf},
    )
    assert check.status_code == 200
    assert [p["field"] for p in check.json()["problems"]] == ["route"]
    form = client.get("/programmes/new")
    assert form.status_code == 200 and "checkpoint" in form.text
    made = client.post(
        "/programmes/new",
        data={
            "name": "Checkpoint (web)",
            "programme_type": "checkpoint",
            "starts_on": "2025-01-01",
            "csrf_token": officer.csrf,
        },
    )
    assert made.status_code == 200 and "Checkpoint (web) is set up" in made.text
    again = client.post(
        "/programmes/new",
        data={
            "name": "Checkpoint (web)",
            "programme_type": "nope",
            "starts_on": "2025-01-01",
            "csrf_token": officer.csrf,
        },
    )
    assert again.status_code == 422 and 'href="#programme_type"' in again.text
    api = users["analyst"].client.get(f"/api/programmes/{pid}", headers={"X-Justification": WHY})
    assert api.status_code == 200 and api.json()["total"] == 7


def test_the_pcc_sees_outcomes_only(users: dict[str, SignedIn], env: tuple[WebEnv, int]) -> None:
    _, pid = env
    pcc = users["pcc-viewer"].client
    index = pcc.get("/programmes")
    assert index.status_code == 200 and "Herts DIP (web)" in index.text
    shown = re.search(r"Referrals into treatment</th><td>(\d+)</td>", index.text)
    assert shown and int(shown.group(1)) >= 6  # 7 once the reader's test has added one
    assert "People who entered treatment</th><td>0</td>" in index.text
    assert f'href="/programmes/{pid}"' not in index.text and "P-" not in index.text
    assert 'href="/programmes/new"' not in index.text
    figures = pcc.get("/api/programmes").json()["programmes"][0]
    assert figures["suppressed"] and all(m["refs"] == [] for m in figures["measures"])
    for url in (f"/programmes/{pid}", f"/api/programmes/{pid}", "/programmes/new"):
        response = pcc.get(url, headers={"X-Justification": WHY})
        assert response.status_code == 403, url
        assert "P-" not in response.text
    admin = users["admin"].client
    assert admin.get("/programmes").status_code == 403
    assert admin.get("/api/programmes").status_code == 403
