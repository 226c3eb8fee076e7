"""The calls room over HTTP: who may import, read, download and accept call data, and the log.

A records database of its own (every user in Hertfordshire's ``demo-unit``, the demo's
fictional intelligence seeded) and a small SYNTHETIC county-lines scenario from the
generator, imported once through the API as an intelligence officer would.
"""

from __future__ import annotations

import csv
import gzip
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, new_intelligence_env, sign_in, small_call_scenario

from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app

WHY = {"X-Justification": "Op Hypernova: web tests of the calls room"}
REFERENCE = "CDA/2026/0042"
NO_CALL_DATA = [
    "admin",
    "neighbourhood-officer",
    "pcc-viewer",
    "forensic-reviewer",
    "data-protection-officer",
]


@pytest.fixture(scope="module")
def calls_env(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> tuple[WebEnv, dict[str, Path]]:
    root = tmp_path_factory.mktemp("calls-web")
    env, _ = new_intelligence_env(root / "env", sample_db)
    return env, small_call_scenario(root / "scenario")


@pytest.fixture(scope="module")
def calls(calls_env: tuple[WebEnv, dict[str, Path]]) -> Iterator[dict[str, SignedIn]]:
    app = create_app(calls_env[0].settings())
    out = {}
    for role in Role:
        client = TestClient(app)
        out[role.value] = SignedIn(client, sign_in(client, role.value), role.value)
    yield out
    for signed in out.values():
        signed.client.close()


def _log(env: WebEnv, actor: str, action: str | None = None) -> list[audit.AuditEntry]:
    engine = make_engine(env.database_url)
    try:
        with session_scope(engine) as db:
            return audit.query(db, actor=actor, action=action, limit=None)
    finally:
        engine.dispose()


def _post_import(signed: SignedIn, files: list[tuple[str, bytes]], spec: Path, **form: str) -> Any:
    data = {"legal_basis": "ipa-part3", "authority_ref": REFERENCE, "synthetic": "on", **form}
    upload = [("files", (name, content, "application/gzip")) for name, content in files]
    upload.append(("spec", (spec.name, spec.read_bytes(), "application/toml")))
    return signed.client.post(
        "/api/calls/import",
        data=data,
        files=upload,
        headers={"X-CSRF-Token": signed.csrf},
    )


def _wait(signed: SignedIn, job_id: str) -> dict[str, Any]:
    states = []
    for _ in range(600):
        response = signed.client.get(f"/api/calls/import/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        states.append(job["state"])
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import job never finished: {states[-5:]}")


@pytest.fixture(scope="module")
def imported(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]]
) -> dict[str, Any]:
    """The scenario imported through the API by the intelligence officer; the job's outcome."""
    scenario = calls_env[1]
    officer = calls["intelligence-officer"]
    response = _post_import(
        officer, [("calls.csv.gz", scenario["calls"].read_bytes())], scenario["spec"]
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["state"] in ("queued", "running", "done")
    assert started["poll"] == f"/api/calls/import/{started['job_id']}"
    return _wait(officer, started["job_id"])


def _post(signed: SignedIn, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return signed.client.post(
        url, json=body or {}, headers={"X-CSRF-Token": signed.csrf, **WHY, **headers}
    )


@pytest.fixture(scope="module")
def document(calls: dict[str, SignedIn], imported: dict[str, Any]) -> dict[str, Any]:
    response = _post(calls["analyst"], "/api/county-lines/detect")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    assert found["lines"], "the scenario's lines were not detected"
    return found


def test_the_import_runs_as_a_job_and_reports_its_progress_and_outcome(
    imported: dict[str, Any], calls_env: tuple[WebEnv, dict[str, Path]]
) -> None:
    with gzip.open(calls_env[1]["calls"], "rt", encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    assert imported["state"] == "done", imported
    assert imported["fraction"] == 1.0
    assert imported["file"] == "calls.csv.gz"
    assert imported["total_bytes"] > 0 and imported["done_bytes"] == imported["total_bytes"]
    [outcome] = imported["imported"]
    assert outcome["rows"] == rows and not outcome["already_imported"]
    assert outcome["file_id"].startswith("cdr-")


def test_the_files_list_shows_the_import_with_its_authority_and_synthetic_mark(
    calls: dict[str, SignedIn], imported: dict[str, Any], calls_env: tuple[WebEnv, dict[str, Path]]
) -> None:
    response = calls["analyst"].client.get("/api/calls/files", headers=WHY)
    assert response.status_code == 200, response.text
    [row] = response.json()["files"]
    assert row["file_id"] == imported["imported"][0]["file_id"]
    assert row["rows"] == imported["imported"][0]["rows"]
    assert (row["legal_basis"], row["authority_ref"], row["synthetic"]) == (
        "ipa-part3",
        REFERENCE,
        True,
    )
    assert row["imported_by"] == "intelligence-officer"
    logged = _log(calls_env[0], "analyst", "consultation")[0]
    assert logged.justification == WHY["X-Justification"]
    assert logged.outcome == "ok"


def test_an_import_job_is_only_its_owners(
    calls: dict[str, SignedIn], imported: dict[str, Any]
) -> None:
    response = calls["analyst"].client.get(f"/api/calls/import/{imported['job_id']}")
    # The analyst may not import at all, so not even the route is theirs.
    assert response.status_code == 403
    assert "calls.csv.gz" not in response.text


def test_a_bad_row_refuses_the_file_with_file_line_and_stores_nothing(
    calls: dict[str, SignedIn],
    imported: dict[str, Any],
    calls_env: tuple[WebEnv, dict[str, Path]],
) -> None:
    env, scenario = calls_env
    with gzip.open(scenario["calls"], "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    cells = next(csv.reader([lines[4]]))
    cells[2] = "yesterday teatime"  # the start time of the row on file line 5
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    lines[4] = out.getvalue()
    bad = gzip.compress(("\n".join(lines) + "\n").encode())
    officer = calls["intelligence-officer"]
    before = officer.client.get("/api/calls/files", headers=WHY).json()["files"]
    response = _post_import(officer, [("bad-calls.csv.gz", bad)], scenario["spec"])
    assert response.status_code == 202, response.text
    job = _wait(officer, response.json()["job_id"])
    assert job["state"] == "refused"
    assert "nothing" in job["summary"]
    assert any(p.startswith("bad-calls.csv.gz:5: ") for p in job["problems"]), job["problems"]
    after = officer.client.get("/api/calls/files", headers=WHY).json()["files"]
    assert after == before
    con = duckdb.connect(str(env.analytics_db), read_only=True)
    try:
        stored = con.execute(
            "SELECT count(*) FROM call_files WHERE file_name = 'bad-calls.csv.gz'"
        ).fetchone()
    finally:
        con.close()
    assert stored == (0,)
    refused = [e for e in _log(env, "intelligence-officer", "collection") if e.outcome == "refused"]
    assert refused and refused[0].details.get("file") == "bad-calls.csv.gz"


def test_an_upload_without_an_authority_reference_is_refused_before_anything_is_stored(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]]
) -> None:
    scenario = calls_env[1]
    response = _post_import(
        calls["intelligence-officer"],
        [("calls.csv.gz", scenario["calls"].read_bytes())],
        scenario["spec"],
        authority_ref=" ",
    )
    assert response.status_code == 422
    assert "authority reference" in response.json()["detail"]


@pytest.mark.parametrize("role", NO_CALL_DATA)
def test_roles_without_intelligence_are_refused_everything_and_logged_denied(
    calls: dict[str, SignedIn],
    calls_env: tuple[WebEnv, dict[str, Path]],
    imported: dict[str, Any],
    role: str,
) -> None:
    signed = calls[role]
    assert signed.client.get("/county-lines").status_code == 403
    assert signed.client.get("/api/calls/files", headers=WHY).status_code == 403
    for url in (
        "/api/county-lines/detect",
        "/api/county-lines/schedule",
        "/api/county-lines/accept",
        "/api/calls/analysis/contacts",
        "/api/calls/import",
    ):
        response = _post(signed, url, {"line_id": "LINE-01", "finding": "line"})
        assert response.status_code == 403, (role, url)
        assert REFERENCE not in response.text and "+447" not in response.text
    page = signed.client.post(
        "/county-lines/detect", data={"csrf_token": signed.csrf}, follow_redirects=False
    )
    assert page.status_code == 403
    denied = [e for e in _log(calls_env[0], role) if e.outcome == "denied"]
    targets = {e.target for e in denied}
    assert len(denied) >= 8
    assert any("county-lines" in t for t in targets) and any("calls" in t for t in targets)


def test_an_analyst_reads_but_may_not_import_or_accept(
    calls: dict[str, SignedIn],
    calls_env: tuple[WebEnv, dict[str, Path]],
    document: dict[str, Any],
) -> None:
    analyst = calls["analyst"]
    scenario = calls_env[1]
    response = _post_import(
        analyst, [("calls.csv.gz", scenario["calls"].read_bytes())], scenario["spec"]
    )
    assert response.status_code == 403
    line_id = document["lines"][0]["line_id"]
    assert _post(analyst, "/api/county-lines/accept", {"line_id": line_id}).status_code == 403
    form = analyst.client.post(
        "/county-lines/accept", data={"csrf_token": analyst.csrf, "line_id": line_id}
    )
    assert form.status_code == 403
    denied = [e for e in _log(calls_env[0], "analyst") if e.outcome == "denied"]
    assert {e.target for e in denied} >= {"route:/api/calls/import", "route:/county-lines/accept"}


def test_detection_answers_the_document(document: dict[str, Any]) -> None:
    assert {"deal_lines", "roles", "cuckooed_cells", "lines", "synthetic", "files", "rules"} <= set(
        document
    )
    assert document["synthetic"] is True
    line = document["lines"][0]
    assert {
        "line_id", "numbers", "handsets", "controllers", "runners", "users", "continuity",
        "cuckooed", "evidence", "customer_counts",
    } <= set(line)  # fmt: skip
    assert set(document["deal_lines"]) >= {n["number"] for n in line["numbers"]}
    assert all(document["roles"][n] == "line" for n in document["deal_lines"])
    assert set(document["roles"].values()) <= {"line", "controller", "runner", "user"}


def test_the_page_asks_for_a_purpose_before_reading_anything(
    calls_env: tuple[WebEnv, dict[str, Path]], imported: dict[str, Any]
) -> None:
    env = calls_env[0]
    with TestClient(create_app(env.settings())) as client:
        csrf = sign_in(client, "intelligence-officer")
        before = len(_log(env, "intelligence-officer", "consultation"))
        page = client.get("/county-lines")
        assert page.status_code == 200
        assert "Nothing has been read yet" in page.text
        assert REFERENCE not in page.text and "calls.csv.gz" not in page.text
        assert len(_log(env, "intelligence-officer", "consultation")) == before
        client.post(
            "/purpose",
            data={"csrf_token": csrf, "purpose": "Op Hypernova: the TONY line", "back": "/"},
        )
        page = client.get("/county-lines")
        assert REFERENCE in page.text and "SYNTHETIC" in page.text
        assert 'id="import-form"' in page.text
        logged = _log(env, "intelligence-officer", "consultation")[0]
        assert logged.justification is not None and logged.justification.endswith("the TONY line")


def _page_client(env: WebEnv, username: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(env.settings()))
    csrf = sign_in(client, username)
    client.post(
        "/purpose", data={"csrf_token": csrf, "purpose": "Op Hypernova: the TONY line", "back": "/"}
    )
    return client, csrf


def test_the_page_shows_each_line_with_its_evidence_and_only_officers_may_accept(
    calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    env = calls_env[0]
    for username, may_accept in (("intelligence-officer", True), ("analyst", False)):
        client, csrf = _page_client(env, username)
        with client:
            page = client.post("/county-lines/detect", data={"csrf_token": csrf})
        assert page.status_code == 200, page.text
        assert 'id="synthetic-banner"' in page.text
        for line in document["lines"]:
            assert f'data-line="{line["line_id"]}"' in page.text
            for n in line["numbers"]:
                assert n["number"] in page.text
                for evidence in line["evidence"].get(n["number"], []):
                    assert evidence.replace("'", "&#39;") in page.text
        assert ("into intelligence</button>" in page.text) is may_accept
        assert (
            'id="import-form"' in page.text if may_accept else 'id="import-form"' not in page.text
        )


def test_a_download_is_a_disclosure_and_a_view_is_not(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    env = calls_env[0]
    client, csrf = _page_client(env, "analyst")
    with client:
        view = client.post("/county-lines/detect", data={"csrf_token": csrf})
        assert view.status_code == 200
        shown = _log(env, "analyst")[0]
        assert shown.action == "consultation" and shown.details.get("question")
        download = client.post(
            "/county-lines/detect",
            data={"csrf_token": csrf, "format": "csv", "recipient": "CPS reviewing lawyer"},
        )
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:3] == ["line_id", "number", "role"]
    assert rows[-1][0] == "SYNTHETIC"
    assert {r[1] for r in rows[1:] if r[2] == "line"} == set(document["deal_lines"])
    entry = _log(env, "analyst")[0]
    assert entry.action == "disclosure" and entry.details["recipient"] == "CPS reviewing lawyer"
    api = _post(calls["analyst"], "/api/county-lines/detect", {"format": "json"})
    assert api.headers["content-disposition"] == 'attachment; filename="county-lines.json"'
    assert api.json()["deal_lines"] == document["deal_lines"]
    assert _log(env, "analyst")[0].action == "disclosure"


def test_a_schedule_lists_the_rows_behind_a_finding_and_is_logged_as_an_export(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    line = document["lines"][0]
    response = _post(
        calls["analyst"],
        "/api/county-lines/schedule",
        {"line_id": line["line_id"], "finding": "line", "recipient": "disclosure officer"},
    )
    assert response.status_code == 200, response.text
    rows = [r for r in csv.reader(io.StringIO(response.text)) if not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    assert header[:4] == ["file_id", "file_name", "line", "authority_ref"]
    assert body and all(r[3] == REFERENCE and int(r[2]) >= 2 for r in body)
    numbers = {n["number"] for n in line["numbers"]}
    a, b = header.index("a_party"), header.index("b_party")
    assert all(r[a] in numbers or r[b] in numbers for r in body)
    entry = _log(calls_env[0], "analyst")[0]
    assert entry.action == "disclosure" and entry.details["recipient"] == "disclosure officer"
    assert entry.details["rows"] == len(body)
    unknown = _post(
        calls["analyst"], "/api/county-lines/schedule", {"line_id": "LINE-99", "finding": "line"}
    )
    assert unknown.status_code == 404


def test_accepting_a_line_makes_the_county_line_entity_and_its_phone_links(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    officer = calls["intelligence-officer"]
    line = document["lines"][0]
    response = _post(officer, "/api/county-lines/accept", {"line_id": line["line_id"]})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["entity_url"] == f"/intelligence/entities/{made['entity_id']}"
    entities = officer.client.get(
        "/api/intelligence/entities?kind=county-line", headers=WHY
    ).json()["entities"]
    mine = [e for e in entities if e["id"] == made["entity_id"]]
    assert mine and mine[0]["label"].startswith(line["line_id"])
    chart = officer.client.get(
        f"/api/intelligence/chart?entity={made['entity_id']}&hops=1", headers=WHY
    ).json()
    labels = {n["id"]: n["label"] for n in chart["nodes"]}
    me = f"intelligence-entity:{made['entity_id']}"
    deal = {
        labels[e["target"] if e["source"] == me else e["source"]]
        for e in chart["edges"]
        if e["kind"] == "deal-line"
    }
    assert deal == {n["number"] for n in line["numbers"]}
    report = officer.client.get(
        made["report_url"].replace("/intelligence", "/api/intelligence"), headers=WHY
    )
    assert report.status_code == 200 and REFERENCE in report.json()["text"]
    assert _log(calls_env[0], "intelligence-officer", "collection")[0].target == me


def test_the_accept_form_links_to_the_entity_and_report(
    calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    client, csrf = _page_client(calls_env[0], "intelligence-officer")
    line_id = document["lines"][-1]["line_id"]
    with client:
        page = client.post(
            "/county-lines/accept",
            data={
                "csrf_token": csrf,
                "line_id": line_id,
                "source": "1",
                "information": "B",
                "reference": "CDR-WEB-PAGE-1",
            },
        )
        assert page.status_code == 200, page.text
        assert f"{line_id} accepted into intelligence" in page.text
        href = page.text.split('href="/intelligence/entities/')[1].split('"')[0]
        entity = client.get(f"/intelligence/entities/{href}")
    assert entity.status_code == 200 and line_id in entity.text
    assert "deal-line" in entity.text


def test_the_everyday_analysis_through_the_api(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    number = document["lines"][0]["numbers"][0]["number"]
    response = _post(calls["analyst"], "/api/calls/analysis/contacts", {"numbers": [number]})
    assert response.status_code == 200, response.text
    table = response.json()
    assert table["rows"] and table["columns"]
    entry = _log(calls_env[0], "analyst")[0]
    assert entry.action == "consultation" and entry.details["numbers"] == [number]
    wrong = _post(calls["analyst"], "/api/calls/analysis/colocation", {"numbers": [number]})
    assert wrong.status_code == 422 and "two numbers" in wrong.json()["detail"]


def test_safeguarding_flags_are_read_under_the_callers_policy_and_logged(
    calls: dict[str, SignedIn], calls_env: tuple[WebEnv, dict[str, Path]], document: dict[str, Any]
) -> None:
    # What the flags say is tested on the library (tests/calls/test_accept_and_flags.py);
    # here, that the API answers them, logs the intelligence read, and refuses others.
    got = _post(calls["analyst"], "/api/county-lines/flags", {})
    assert got.status_code == 200, got.text
    assert isinstance(got.json()["flags"], list) and got.json()["synthetic"] is True
    read = [e for e in _log(calls_env[0], "analyst") if e.target == "intelligence-entity:*"]
    assert read and read[0].action == "consultation" and read[0].outcome == "ok"
    assert read[0].justification == WHY["X-Justification"]
    refused = _post(calls["pcc-viewer"], "/api/county-lines/flags", {})
    assert refused.status_code == 403
