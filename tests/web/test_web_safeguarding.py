"""The safeguarding room over HTTP: the form round trip, prefill from a flag, the API, need-to-know.

A records database of its own: every user in Hertfordshire's ``demo-unit`` (as the
demo's are), with the demo's fictional intelligence (Kez, 16 in February 2025).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_intelligence_env, sign_in

from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app

WHY = {"X-Justification": "Op Demo: web tests of the safeguarding room"}
PURPOSE = "Op Demo: safeguarding the TONY line's runners"
CHILD = {
    "referral_kind": "nrm",
    "concern": "child-criminal-exploitation",
    "referred_on": "2025-02-21",
    "agency": "Single Competent Authority",
    "subject_label": "Kez Fictional",
    "subject_is_child": "yes",
    "source_kind": "county-lines-flag",
    "source_ref": "runner-kez",
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> tuple[WebEnv, dict[str, int]]:
    return new_intelligence_env(tmp_path_factory.mktemp("safeguarding-web"), sample_db)


@pytest.fixture(scope="module")
def users(env: tuple[WebEnv, dict[str, int]]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(env[0].settings())
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


def _declare(user: SignedIn, purpose: str) -> None:
    user.client.post("/purpose", data={"purpose": purpose, "back": "/", "csrf_token": user.csrf})


@pytest.mark.parametrize(
    "role", ["admin", "pcc-viewer", "forensic-reviewer", "data-protection-officer"]
)
def test_roles_without_referrals_get_nothing(users: dict[str, SignedIn], role: str) -> None:
    client = users[role].client
    for url in ("/api/safeguarding/referrals", "/api/safeguarding/referrals/1"):
        response = client.get(url, headers=WHY)
        assert response.status_code == 403, (role, url)
        assert "Kez" not in response.text
    assert client.get("/safeguarding").status_code == 403
    assert client.get("/safeguarding/new").status_code == 403
    assert 'href="/safeguarding"' not in client.get("/login").text


def test_the_form_round_trip_with_errors_beside_their_fields(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict[str, int]]
) -> None:
    officer = users["neighbourhood-officer"]
    client = officer.client
    form = client.get("/safeguarding/new")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    # missing agency and an unreadable date of birth: the form again, each error tied to its field
    bad = {**CHILD, "agency": "", "subject_date_of_birth": "31/02/2009"}
    refused = client.post(
        "/safeguarding/referrals",
        data={**bad, "justification": WHY["X-Justification"], "csrf_token": officer.csrf},
    )
    assert refused.status_code == 422
    assert 'id="subject_date_of_birth-error"' in refused.text
    field = re.search(r'<input id="subject_date_of_birth"[^>]*>', refused.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="subject_date_of_birth-error"' in field.group(0)
    assert 'href="#subject_date_of_birth"' in refused.text
    assert 'value="Kez Fictional"' in refused.text  # what was typed is kept
    refused = client.post(
        "/safeguarding/referrals",
        data={
            **CHILD,
            "agency": "",
            "justification": WHY["X-Justification"],
            "csrf_token": officer.csrf,
        },
    )
    assert refused.status_code == 422 and 'id="agency-error"' in refused.text
    agency = re.search(r'<input id="agency"[^>]*>', refused.text)
    assert agency and "agency-error" in agency.group(0) and "agency-hint" in agency.group(0)
    # without the form's security token: refused before anything is read
    no_csrf = client.post("/safeguarding/referrals", data=CHILD)
    assert no_csrf.status_code == 403
    done = client.post(
        "/safeguarding/referrals",
        data={**CHILD, "justification": WHY["X-Justification"], "csrf_token": officer.csrf},
    )
    assert done.status_code == 200, done.text
    assert "The referral is recorded" in done.text and "Kez Fictional" in done.text
    assert "Reasonable grounds decision" in done.text  # the decision form, for an NRM referral
    entries = _log(env[0], "neighbourhood-officer")
    assert [(e.action, e.outcome) for e in entries[:2]] == [
        ("consultation", "ok"),
        ("collection", "ok"),
    ]
    assert entries[1].justification == WHY["X-Justification"]


def test_a_flag_prefills_the_form_by_post_and_a_url_carries_no_name(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict[str, int]]
) -> None:
    io = users["intelligence-officer"]
    before = len(_log(env[0], "intelligence-officer"))
    linked = io.client.get(
        "/safeguarding/new?concern=cuckooing&source_kind=county-lines-flag&source_ref=cell-9"
        "&subject_is_child=no&subject_label=Somebody+Named"
    )
    assert linked.status_code == 200
    assert 'value="cell-9"' in linked.text and "Somebody Named" not in linked.text
    assert re.search(r'value="no" checked', linked.text)
    posted = io.client.post(
        "/safeguarding/new",
        data={
            "subject_label": "Kez Fictional",
            "subject_entity_id": str(env[1]["kez"]),
            "subject_is_child": "yes",
            "concern": "child-criminal-exploitation",
            "source_kind": "county-lines-flag",
            "source_ref": "runner-kez-2",
            "csrf_token": io.csrf,
        },
    )
    assert posted.status_code == 200
    assert 'value="Kez Fictional"' in posted.text and "Filled in from the flag" in posted.text
    assert len(_log(env[0], "intelligence-officer")) == before  # nothing recorded or read


def test_an_adult_nrm_without_consent_shows_the_duty_to_notify(
    users: dict[str, SignedIn],
) -> None:
    io = users["intelligence-officer"]
    adult = {
        **CHILD,
        "subject_label": "Tenant Fictional",
        "subject_is_child": "no",
        "concern": "cuckooing",
        "consent": "no",
        "source_ref": "cuckooed-cell-1",
    }
    done = io.client.post(
        "/safeguarding/referrals",
        data={**adult, "justification": WHY["X-Justification"], "csrf_token": io.csrf},
    )
    assert done.status_code == 200, done.text
    assert "duty-to-notify" in done.text and "s.52" in done.text
    assert "Tenant Fictional" not in done.text


def test_the_index_asks_for_a_reason_first_then_lists(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict[str, int]]
) -> None:
    analyst = users["analyst"]
    before = len(_log(env[0], "analyst"))
    page = analyst.client.get("/safeguarding")
    assert page.status_code == 200 and "Nothing has been read yet" in page.text
    assert "Record a referral" not in page.text  # analysts read, they do not refer
    assert len(_log(env[0], "analyst")) == before
    listed = analyst.client.post(
        "/safeguarding/search",
        data={
            "justification": WHY["X-Justification"],
            "referral_kind": "",
            "csrf_token": analyst.csrf,
        },
    )
    assert listed.status_code == 200 and "Referrals (" in listed.text
    entry = _log(env[0], "analyst")[0]
    assert (entry.action, entry.outcome, entry.justification) == (
        "consultation",
        "ok",
        WHY["X-Justification"],
    )
    assert analyst.client.get("/safeguarding/new").status_code == 403
    assert (_log(env[0], "analyst")[0].outcome) == "denied"


def test_the_api_records_decides_and_exports(
    users: dict[str, SignedIn], env: tuple[WebEnv, dict[str, int]]
) -> None:
    io = users["intelligence-officer"]
    headers = {"x-csrf-token": io.csrf, **WHY}
    body = {
        "referral_kind": "nrm",
        "subject_label": "Kez Fictional",
        "subject_entity_id": env[1]["kez"],
        "subject_is_child": True,
        "concern": "child-criminal-exploitation",
        "referred_on": "2025-02-20",
        "agency": "Single Competent Authority",
        "source_kind": "county-lines-flag",
        "source_ref": "runner-kez-api",
    }
    # Kez is 16 on the day: the entity's date of birth refuses an adult's record
    wrong = io.client.post(
        "/api/safeguarding/referrals", json={**body, "subject_is_child": False}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["field"] == "subject_is_child"
    made = io.client.post("/api/safeguarding/referrals", json=body, headers=headers)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert made.json()["referral_kind"] == "nrm"
    early = io.client.post(
        f"/api/safeguarding/referrals/{rid}/decisions",
        json={"conclusive_grounds": "positive", "conclusive_grounds_on": "2025-06-01"},
        headers=headers,
    )
    assert early.status_code == 422 and early.json()["problems"][0]["field"] == "conclusive_grounds"
    ok = io.client.post(
        f"/api/safeguarding/referrals/{rid}/decisions",
        json={"reasonable_grounds": "positive", "reasonable_grounds_on": "2025-02-25"},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.json()["awaiting"] == "conclusive grounds"
    found = io.client.get(
        "/api/safeguarding/referrals?source_kind=county-lines-flag&source_ref=runner-kez-api",
        headers=WHY,
    )
    assert [r["id"] for r in found.json()["referrals"]] == [rid]
    assert io.client.get("/api/safeguarding/referrals").status_code == 422  # no reason given
    exported = io.client.post(
        "/api/safeguarding/export",
        json={"recipient": "Hertfordshire MASH", "source_ref": "runner-kez-api"},
        headers=headers,
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "Kez Fictional" in exported.text
    entry = _log(env[0], "intelligence-officer")[0]
    assert (entry.action, entry.outcome, entry.details["recipient"]) == (
        "disclosure",
        "ok",
        "Hertfordshire MASH",
    )
    analyst = users["analyst"]
    refused = analyst.client.post(
        "/api/safeguarding/export",
        json={"recipient": "Hertfordshire MASH"},
        headers={"x-csrf-token": analyst.csrf, **WHY},
    )
    assert refused.status_code == 403


def test_the_decision_form_shows_an_ordering_error_beside_its_field(
    users: dict[str, SignedIn],
) -> None:
    io = users["intelligence-officer"]
    _declare(io, PURPOSE)
    try:
        made = io.client.post(
            "/api/safeguarding/referrals",
            json={
                **CHILD,
                "subject_is_child": True,
                "source_ref": "runner-form-decision",
            },
            headers={"x-csrf-token": io.csrf},
        )
        rid = made.json()["id"]
        page = io.client.get(f"/safeguarding/referrals/{rid}")
        assert page.status_code == 200 and "Kez Fictional" in page.text
        refused = io.client.post(
            f"/safeguarding/referrals/{rid}/decisions",
            data={
                "reasonable_grounds": "positive",
                "reasonable_grounds_on": "2025-02-01",
                "csrf_token": io.csrf,
            },
        )
        assert refused.status_code == 422
        assert 'id="reasonable_grounds_on-error"' in refused.text
        assert "before the referral" in refused.text
        done = io.client.post(
            f"/safeguarding/referrals/{rid}/decisions",
            data={
                "reasonable_grounds": "positive",
                "reasonable_grounds_on": "2025-02-24",
                "csrf_token": io.csrf,
            },
        )
        assert done.status_code == 200 and "The decision is recorded" in done.text
    finally:
        _declare(io, "")
