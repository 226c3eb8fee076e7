"""Seizures over HTTP: the list with values and labels, price tables and their upload, revaluing.

A records database of its own: every user in Hertfordshire's ``demo-unit``, with
two seizures recorded through the operations service (valued on entry by the
shipped illustrative table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import markupsafe
import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_env, sign_in

from harmwatch.kernel.principal import Principal
from harmwatch.operations import prices, service
from harmwatch.security import audit
from harmwatch.security.accounts import set_units
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app

WHY = {"X-Justification": "Op Demo: web tests of the seizures room"}
PURPOSE = "Op Demo: valuing the TONY line's seizures"
CSV_HEADER = "drug,form,region,unit,low,high\n"
LABEL_SHOWN = str(markupsafe.escape(prices.ILLUSTRATIVE_LABEL))  # as a page writes it


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> tuple[WebEnv, list[int]]:
    env = new_env(tmp_path_factory.mktemp("seizures-web"), sample_db)
    engine = make_engine(env.database_url)
    with session_scope(engine) as db:
        for role in Role:
            set_units(db, role.value, "hertfordshire", ["demo-unit"])
    officer = Principal(
        "neighbourhood-officer",
        Role.NEIGHBOURHOOD_OFFICER,
        "hertfordshire",
        frozenset({"demo-unit"}),
    )
    ids = []
    for drug, form, quantity, unit in (
        ("cocaine", "powder", "1.5", "kg"),
        ("other", "other", "3", "g"),
    ):
        done = service.record_result(
            engine,
            officer,
            "drug-seizure",
            {
                "occurred_on": "2025-03-01",
                "officer": "PC 1234",
                "drug": drug,
                "form": form,
                "quantity": quantity,
                "unit": unit,
                "location": "Marlowes, Hemel Hempstead",
            },
            PURPOSE,
        )
        ids.append(done.id)
    engine.dispose()
    return env, ids


@pytest.fixture(scope="module")
def users(env: tuple[WebEnv, list[int]]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(env[0].settings())
    out = {}
    for role in Role:
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def _declare(user: SignedIn, purpose: str = PURPOSE) -> None:
    user.client.post("/purpose", data={"purpose": purpose, "back": "/", "csrf_token": user.csrf})


def _log(env: WebEnv, actor: str) -> list[audit.AuditEntry]:
    engine = make_engine(env.database_url)
    try:
        with session_scope(engine) as db:
            return audit.query(db, actor=actor, limit=None)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "role", ["pcc-viewer", "admin", "forensic-reviewer", "data-protection-officer"]
)
def test_roles_without_operations_get_no_seizure_pages(
    users: dict[str, SignedIn], env: tuple[WebEnv, list[int]], role: str
) -> None:
    client = users[role].client
    rid = env[1][0]
    for url in ("/seizures", "/seizures/prices", f"/seizures?history={rid}"):
        page = client.get(url)
        assert page.status_code == 403, (role, url)
        assert "Hemel" not in page.text and "£" not in page.text
    for url in ("/api/seizures", "/api/seizures/prices", f"/api/seizures/{rid}/valuations"):
        assert client.get(url, headers=WHY).status_code == 403, (role, url)
    assert 'href="/seizures"' not in client.get("/login").text


def test_a_reader_sees_each_seizure_with_its_value_and_the_label(
    users: dict[str, SignedIn], env: tuple[WebEnv, list[int]]
) -> None:
    reader = users["neighbourhood-officer"]
    asked = reader.client.get("/seizures")
    assert asked.status_code == 200 and "Nothing has been read yet" in asked.text
    assert "Marlowes" not in asked.text
    _declare(reader)
    page = reader.client.get("/seizures")
    assert page.status_code == 200, page.text
    cocaine = env[1][0]
    row = re.search(rf"<tr>\s*<td>operation-result:{cocaine}.*?</tr>", page.text, re.S)
    assert row, page.text
    cells = row.group(0)
    # 1500 g × £50–£90 (the shipped table's east-of-England price for cocaine powder)
    for shown in (
        "cocaine",
        "powder",
        "1.5 kg",
        "Marlowes, Hemel Hempstead",
        "£75,000.00–£135,000.00",
    ):
        assert shown in cells
    assert "illustrative street prices v1" in cells and "ILLUSTRATIVE" in cells
    assert f'href="/seizures?history={cocaine}#history-heading"' in cells
    assert LABEL_SHOWN in page.text
    assert "not valued: illustrative street prices v1 has no price for other (other)" in page.text
    assert "Revalue" not in page.text  # not a price-table manager
    history = reader.client.get(f"/seizures?history={cocaine}")
    assert history.status_code == 200 and "on entry" in history.text
    assert "(current)" in history.text
    api = reader.client.get("/api/seizures", headers=WHY)
    assert api.status_code == 200
    body = api.json()
    assert body["labels"] == [prices.ILLUSTRATIVE_LABEL]
    assert body["total"] == {
        "low_pence": 7_500_000,
        "high_pence": 13_500_000,
        "valued": 1,
        "not_valued": 1,
    }
    assert any(e.justification == WHY["X-Justification"] for e in _log(env[0], reader.username))


def test_the_price_tables_page_and_a_manager_loads_the_next_version(
    users: dict[str, SignedIn], env: tuple[WebEnv, list[int]]
) -> None:
    reader = users["neighbourhood-officer"].client
    page = reader.get("/seizures/prices")
    assert page.status_code == 200
    assert "illustrative street prices v1" in page.text and LABEL_SHOWN in page.text
    assert "Valid from" in page.text and "harmwatch demo figures" in page.text
    assert 'action="/seizures/prices"' not in page.text  # no upload form for a reader
    refused = reader.post(
        "/seizures/prices",
        data={"name": "x", "csrf_token": users["neighbourhood-officer"].csrf},
        files={"file": ("p.csv", CSV_HEADER + "cocaine,powder,national,g,40,80\n")},
    )
    assert refused.status_code == 403

    analyst = users["analyst"]
    form = analyst.client.get("/seizures/prices")
    assert 'action="/seizures/prices"' in form.text and 'enctype="multipart/form-data"' in form.text
    fields = {
        "name": "Herts prices",
        "source": "Herts expert witness 2025",
        "valid_from": "2025-01-01",
    }
    bad = analyst.client.post(
        "/seizures/prices",
        data={**fields, "csrf_token": analyst.csrf},
        files={"file": ("herts.csv", CSV_HEADER + "cocaine,powder,national,g,80,40\n")},
    )
    assert bad.status_code == 422
    assert "herts.csv:2: high: £40.00 is below low (£80.00)" in bad.text
    assert 'value="Herts expert witness 2025"' in bad.text  # what was typed is kept
    assert "Herts prices v1" not in bad.text
    missing = analyst.client.post(
        "/seizures/prices",
        data={**fields, "source": "", "csrf_token": analyst.csrf},
        files={"file": ("herts.csv", CSV_HEADER + "cocaine,powder,national,g,40,80\n")},
    )
    assert missing.status_code == 422 and 'href="#price-source"' in missing.text
    source = re.search(r'<input id="price-source"[^>]*>', missing.text)
    assert source and 'aria-invalid="true"' in source.group(0)
    assert "price-source-error" in source.group(0)
    done = analyst.client.post(
        "/seizures/prices",
        data={**fields, "csrf_token": analyst.csrf},
        files={"file": ("herts.csv", CSV_HEADER + "cocaine,powder,national,g,40,80\n")},
    )
    assert done.status_code == 200, done.text
    assert "Loaded Herts prices v1: 1 prices, valid from 2025-01-01" in done.text
    api = analyst.client.post(
        "/api/seizures/prices",
        json={
            **fields,
            "rows": [
                {
                    "drug": "cocaine",
                    "form": "powder",
                    "region": "national",
                    "unit": "g",
                    "low": "45",
                    "high": "85",
                }
            ],
        },
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert api.status_code == 201, api.text
    assert (api.json()["title"], api.json()["entries"][0]["low_pence"]) == ("Herts prices v2", 4500)
    bad_api = analyst.client.post(
        "/api/seizures/prices",
        json={**fields, "csv": CSV_HEADER + "glue,powder,national,g,1,2\n"},
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert bad_api.status_code == 422
    assert bad_api.json()["problems"][0]["where"] == "csv:2"
    listed = analyst.client.get("/api/seizures/prices").json()["tables"]
    titles = [t["title"] for t in listed]
    assert "Herts prices v1" in titles and "Herts prices v2" in titles
    one = analyst.client.get(
        f"/api/seizures/prices/{listed[titles.index('Herts prices v1')]['id']}"
    )
    assert one.status_code == 200 and one.json()["entries"][0]["high_pence"] == 8000


def test_a_manager_revalues_and_both_values_are_kept(
    users: dict[str, SignedIn], env: tuple[WebEnv, list[int]]
) -> None:
    analyst = users["analyst"]
    _declare(analyst)
    cocaine = env[1][0]
    page = analyst.client.get(f"/seizures?history={cocaine}")
    assert f'action="/seizures/{cocaine}/revalue"' in page.text
    refused = analyst.client.post(
        f"/seizures/{cocaine}/revalue", data={"reason": "", "csrf_token": analyst.csrf}
    )
    assert refused.status_code == 422 and 'href="#revalue-reason"' in refused.text
    done = analyst.client.post(
        f"/seizures/{cocaine}/revalue",
        data={"reason": "the force's own table", "csrf_token": analyst.csrf},
    )
    assert done.status_code == 200, done.text
    assert "the earlier value is kept in its history" in done.text
    history = analyst.client.get(f"/api/seizures/{cocaine}/valuations", headers=WHY).json()
    ranges = [(v["range"], v["reason"]) for v in history["valuations"]]
    assert ranges[0] == ("£75,000.00–£135,000.00", "on entry")
    # the newest Hertfordshire table valid on 1 March 2025: v2, £45–£85 per g
    assert ranges[-1] == ("£67,500.00–£127,500.00", "the force's own table")
    assert history["current"]["range"] == "£67,500.00–£127,500.00"
    officer = users["neighbourhood-officer"]
    denied = officer.client.post(
        f"/api/seizures/{cocaine}/revalue",
        json={"reason": "try"},
        headers={"X-CSRF-Token": officer.csrf, **WHY},
    )
    assert denied.status_code == 403
    no_csrf = analyst.client.post(f"/api/seizures/{cocaine}/revalue", json={"reason": "x"})
    assert no_csrf.status_code == 403
    api = analyst.client.post(
        f"/api/seizures/{cocaine}/revalue",
        json={"reason": "as first published", "table_id": history["valuations"][0]["table_id"]},
        headers={"X-CSRF-Token": analyst.csrf, **WHY},
    )
    assert api.status_code == 200 and api.json()["range"] == "£75,000.00–£135,000.00"
    assert api.json()["label"] == prices.ILLUSTRATIVE_LABEL
