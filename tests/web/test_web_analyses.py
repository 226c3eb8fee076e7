"""The pages and API serve what the library computes, in every format, cached and invalidated."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from webhelpers import SignedIn, WebEnv, corrupt_latitude, new_env, sample_csv, sign_in

from harmwatch.cli.demo import sample_dir
from harmwatch.outputs.tables import write_table
from harmwatch.query.filter import Filter
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.web import create_app
from harmwatch.web.cache import ResultCache, StoreGate, store_version
from harmwatch.where.hotspots import hotspots

HERTS = "force=hertfordshire&crime_type=Drugs&cell=1000&method=gistar"


def test_hotspots_match_the_library(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    analyst = clients["analyst"].client
    body = analyst.get(f"/api/hotspots?{HERTS}").json()
    direct = hotspots(
        web_env.analytics_db, Filter(forces=("hertfordshire",)), method="gistar", cell=1000
    )
    assert body["summary"]["hot_cells"] == direct.summary()["hot_cells"]
    assert len(body["cells"]) == len(direct.cells)
    assert sum(c["n"] for c in body["cells"]) == int(direct.cells["n"].sum())


def test_downloads_are_what_the_cli_writes(
    clients: dict[str, SignedIn], web_env: WebEnv, tmp_path: Path
) -> None:
    analyst = clients["analyst"].client
    direct = hotspots(
        web_env.analytics_db, Filter(forces=("hertfordshire",)), method="gistar", cell=1000
    )
    expected = write_table(direct.cells, tmp_path / "cells.csv", cell=1000).read_bytes()
    got = analyst.get(f"/api/hotspots?{HERTS}&format=csv")
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    assert got.content == expected

    geo = analyst.get(f"/api/hotspots?{HERTS}&format=geojson").json()
    assert len(geo["features"]) == len(direct.cells)
    png = analyst.get(f"/api/hotspots?{HERTS}&format=png")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"

    layer = analyst.get(f"/api/hotspots?{HERTS}&format=geojson&cells=map").json()
    hot = [f for f in layer["features"] if f["properties"]["class"] == "hot spot"]
    assert len(hot) == int((direct.cells["class"] == "hot spot").sum())
    assert all(-1 < f["geometry"]["coordinates"][0][0][0] < 1 for f in hot)  # lon, WGS84

    for path in (
        f"/api/areas?{HERTS}&format=csv",
        f"/api/patrol?{HERTS}&format=csv",
        f"/api/patrol?{HERTS}&format=geojson",
        f"/api/patrol?{HERTS}&format=png",
        f"/api/forecast-eval?{HERTS}&format=csv",
        "/api/trends?force=hertfordshire&format=csv",
        "/api/trends?force=hertfordshire&format=svg",
        "/api/trends?force=hertfordshire&format=png",
        "/api/status?format=csv&table=coverage",
        "/api/status?format=csv&table=loads",
    ):
        response = analyst.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert "attachment" in response.headers["content-disposition"], path


def test_json_endpoints(clients: dict[str, SignedIn]) -> None:
    analyst = clients["analyst"].client
    meta = analyst.get("/api/meta").json()
    assert meta["forces"] == ["bedfordshire", "cambridgeshire", "hertfordshire"]
    assert "Drugs" in meta["crime_types"] and meta["months"][0] == "2025-01"
    assert "St Albans" in meta["districts"]["hertfordshire"]
    areas = analyst.get(f"/api/areas?{HERTS}&top=5").json()
    assert len(areas["top"]) == 5 and areas["top"][0]["rank"] == 1
    patrol = analyst.get(f"/api/patrol?{HERTS}&area_km2=3").json()
    assert patrol["totals"]["cells"] == 3
    forecast = analyst.get(f"/api/forecast-eval?{HERTS}").json()
    assert {row["method"] for row in forecast["summary"]} >= {"last-1", "last-3"}
    area = analyst.get(f"/api/study-area?{HERTS}").json()
    kinds = [f["properties"]["kind"] for f in area["features"]]
    assert kinds.count("study-area") == 1 and kinds.count("district") == 10
    status = analyst.get("/api/status").json()
    assert len(status["loads"]) == 36


def test_bad_filters_are_422_not_500(clients: dict[str, SignedIn]) -> None:
    analyst = clients["analyst"].client
    for path in (
        "/api/hotspots?force=atlantis",
        "/api/hotspots?crime_type=Piracy",
        "/api/hotspots?months=2019-01",
        "/api/hotspots?months=garbage",
        "/api/hotspots?cell=10",
        "/api/hotspots?boundary=0123456789abcdef",
        "/api/trends?district=Narnia",
        "/api/patrol?method=count&score=kde",
    ):
        response = analyst.get(path)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert response.json()["detail"]
    # The page refuses the same mistake as the API does (422, so the access log says
    # "refused"), and still shows the form with the reason.
    page = analyst.get("/hotspots?force=atlantis")
    assert page.status_code == 422 and "no street crimes loaded for force(s) atlantis" in page.text
    assert 'id="hotspot-filters"' in page.text


def test_overview_says_no_data_for_months_not_loaded(clients: dict[str, SignedIn]) -> None:
    # The library's side (harmwatch.evaluation.trends) is tested in tests/evaluation/test_eval_trends.py.
    page = clients["pcc-viewer"].client.get("/?force=hertfordshire").text
    assert "no data" in page and "Dec 2025" in page


def test_bad_upload_names_file_line_and_field(clients: dict[str, SignedIn]) -> None:
    analyst = clients["analyst"]
    bad = corrupt_latitude(sample_csv(), line=42)
    response = analyst.client.post(
        "/api/uploads",
        files={"files": ("2025-01-hertfordshire-street.csv", bad.encode(), "text/csv")},
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert response.status_code == 422
    body = response.json()
    assert not body["ok"] and "Nothing was loaded" in body["summary"]
    assert any(
        p.startswith("2025-01-hertfordshire-street.csv:42: Latitude:") for p in body["problems"]
    )
    not_police = analyst.client.post(
        "/api/uploads",
        files={"files": ("notes.txt", b"hello", "text/plain")},
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert not_police.status_code == 422 and "not a police.uk file" in not_police.json()["summary"]


def test_upload_replaces_a_month_and_invalidates_the_cache(tmp_path: Path, sample_db: Path) -> None:
    env = new_env(tmp_path / "env", sample_db, {"analyst": Role.ANALYST})
    app = create_app(env.settings())
    with TestClient(app) as client:
        csrf = sign_in(client, "analyst")
        before = client.get(f"/api/hotspots?{HERTS}&cells=none").json()["summary"]
        text = sample_csv()
        rows = text.splitlines()
        drugs = [i for i, row in enumerate(rows) if ",Drugs," in row]
        kept = [row for i, row in enumerate(rows) if i not in set(drugs[:10])]
        upload = client.post(
            "/data/upload",
            files={
                "files": (
                    "2025-01-hertfordshire-street.csv",
                    ("\n".join(kept) + "\n").encode(),
                    "text/csv",
                )
            },
            data={"csrf_token": csrf},
        )
        assert upload.status_code == 200, upload.text[-2000:]
        assert "1 file(s) loaded" in upload.text
        after = client.get(f"/api/hotspots?{HERTS}&cells=none").json()["summary"]
    assert after["points_selected"] == before["points_selected"] - 10


def test_boundary_upload_becomes_a_study_area(clients: dict[str, SignedIn]) -> None:
    analyst = clients["analyst"]
    ring = [[-0.25, 51.88], [-0.15, 51.88], [-0.15, 51.94], [-0.25, 51.94], [-0.25, 51.88]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    created = analyst.client.post(
        "/api/boundaries",
        files={"file": ("stevenage.geojson", json.dumps(doc).encode(), "application/geo+json")},
        data={"name": "Stevenage box"},
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert created.status_code == 201, created.text
    info = created.json()
    assert info["name"] == "Stevenage box" and 40 < info["area_km2"] < 50
    run = analyst.client.get(f"/api/hotspots?boundary={info['id']}&cell=250&cells=none").json()
    assert run["summary"]["study_area_kind"] == "boundary file"
    outline = analyst.client.get(f"/api/boundaries/{info['id']}").json()
    assert outline["geometry"]["type"] == "Polygon"
    listed = analyst.client.get("/api/boundaries").json()
    assert info["id"] in [b["id"] for b in listed]
    page = analyst.client.get(f"/hotspots?boundary={info['id']}&cell=250")
    assert f'data-boundary="/api/boundaries/{info["id"]}"' in page.text
    rubbish = analyst.client.post(
        "/api/boundaries",
        files={
            "file": ("x.geojson", b'{"type": "Point", "coordinates": [0, 51]}', "application/json")
        },
        headers={"X-CSRF-Token": analyst.csrf},
    )
    assert rubbish.status_code == 422


def test_pages_render(clients: dict[str, SignedIn]) -> None:
    admin = clients["admin"].client
    overview = admin.get("/?force=hertfordshire&crime_type=Drugs").text
    assert '<svg class="chart"' in overview and "Drugs, Dec 2025" in overview
    hotspot_page = admin.get(f"/hotspots?{HERTS}").text
    assert 'id="map"' in hotspot_page and "LSOAs by crimes" in hotspot_page
    assert "Patrol zones" in hotspot_page and "/api/hotspots?" in hotspot_page
    forecast = admin.get(f"/forecast?{HERTS}").text
    assert "Flagging 5 % of the study area" in forecast and "last-1" in forecast
    # Issue 11: which method to use, its paired comparisons, and the hit-rate curve.
    assert 'id="recommended-method"' in forecast and 'id="comparisons"' in forecast
    assert "/api/forecast-eval?" in forecast and "format=png" in forecast
    curve = admin.get(f"/api/forecast-eval?{HERTS}&format=png")
    assert curve.status_code == 200 and curve.content[:8] == b"\x89PNG\r\n\x1a\n"
    body = admin.get(f"/api/forecast-eval?{HERTS}").json()
    assert body["recommended"]["method"] in {row["method"] for row in body["summary"]}
    assert body["recommended"]["comparisons"] and body["curve"]
    data = admin.get("/data").text
    assert "2025-01-hertfordshire-street.csv.gz" in data and "no data" not in data
    users = admin.get("/admin/users").text
    assert "pcc-viewer" in users and "Create an account" in users


def test_result_cache_single_flight_and_lru() -> None:
    cache = ResultCache(2)
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    threads = [threading.Thread(target=cache.get_or_compute, args=("k", slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and cache.hits == 7
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    assert cache.get_or_compute("k", lambda: 0) == 0  # evicted: least recently used
    off = ResultCache(0)
    assert off.get_or_compute("k", lambda: 1) == 1 and len(off) == 0


def test_store_version_changes_with_a_load(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    first = sample_dir() / "2025-01" / "2025-01-bedfordshire-street.csv.gz"
    ingest([first], db)
    before = store_version(db)
    assert store_version(db) == before
    ingest([sample_dir() / "2025-02" / "2025-02-bedfordshire-street.csv.gz"], db)
    assert store_version(db) != before


def test_gate_keeps_writers_apart() -> None:
    gate = StoreGate()
    events: list[str] = []

    def write() -> None:
        with gate.write():
            events.append("w")

    with gate.read():
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.05)
        assert events == []  # the writer waits for the reader
    writer.join(1)
    assert events == ["w"]


def test_csv_download_parses(clients: dict[str, SignedIn]) -> None:
    text = clients["analyst"].client.get(f"/api/areas?{HERTS}&format=csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["rank"] == "1" and set(rows[0]) >= {"lsoa_code", "n", "share"}
