"""The force-records room over HTTP: import through the page, the bridge to police.uk, when to
patrol, and need-to-know — nothing the PCC viewer receives carries an exact place or a crime
reference, whichever route, format or cache it comes through.

An app of its own over a copy of the bundled sample, with an analyst and a PCC viewer of
Hertfordshire; a small SYNTHETIC Hertfordshire RMS export (two months) from the generator,
imported through the page's form as the analyst.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scipy.spatial import cKDTree
from test_pcc_aggregates_only import Crimes, drawn, formats_of, links_of, reachable, search
from webhelpers import SignedIn, WebEnv, new_env, sign_in, with_stop_and_search

from harmwatch.crimes import service
from harmwatch.crimes.reconcile import COLUMNS, reconcile
from harmwatch.crimes.synth import RmsParams, generate, read_street_files, write_export
from harmwatch.kernel.principal import Principal
from harmwatch.outputs.suppression import FEWER_THAN_5, WITHHELD
from harmwatch.security import audit
from harmwatch.security.accounts import set_units
from harmwatch.security.roles import Role
from harmwatch.spatial import places as gazetteer
from harmwatch.spatial.projection import to_wgs84
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.records import make_engine, session_scope
from harmwatch.web import create_app
from harmwatch.web.analysis import WEB_READER
from harmwatch.web.rooms.where import _suppressed_file, suppressed_cells
from harmwatch.where.requests import HotspotsRequest

__all__ = ["drawn"]  # the PCC test's fixture: every coordinate a saved figure draws

FORCE = "hertfordshire"
MONTHS = ("2025-01", "2025-02")
SEED = 2026
PURPOSE = "Op Lantern: force records in the web tests"
USERS = {"analyst": Role.ANALYST, "pcc-viewer": Role.PCC_VIEWER}
UNITS = {"analyst": "herts-analysis", "pcc-viewer": "pcc-office"}
REFERENCE = re.compile(r"\b\d{2}/\d{5}/\d{2}\b")

HERTS = {"force": FORCE, "crime_type": "Drugs", "source": "force-records"}
TWO_LSOAS = {**HERTS, "lsoa": "E01023727,E01035598", "start": "2025-02"}
# Parameters per GET route, on the force's records; any other route gets HERTS.
ON_RECORDS: dict[str, dict[str, str]] = {
    "/forecast": {**HERTS, "cell": "1000"},
    "/api/forecast-eval": {**HERTS, "cell": "1000"},
    "/evaluate": TWO_LSOAS,
    "/api/evaluate": TWO_LSOAS,
    "/api/change": {**HERTS, "period": "2025-02", "baseline": "2025-01"},
    "/api/force-records/timing": {"force": FORCE, "crime_type": "Drugs", "top": "10"},
    # The oversight measures read the force's records through their room, as the user, for
    # the months the export covers.
    "/oversight": {"force": FORCE, "period": "2025-02"},
    "/oversight/measure": {"force": FORCE, "key": "hate-crime", "period": "2025-02"},
    "/oversight/report": {"force": FORCE, "period": "2025-02"},
    "/oversight/report.pdf": {"force": FORCE, "period": "2025-02"},
    "/api/oversight/measures": {"force": FORCE, "period": "2025-02"},
    "/oversight/stop-search": {"force": "bedfordshire"},
    "/api/oversight/stop-search": {"force": "bedfordshire"},
    "/api/check-claim": {"before": "1111", "after": "1208"},
}


@dataclass
class Export:
    csv: Path
    spec: Path
    references: set[str]


@dataclass
class World:
    env: WebEnv
    app: FastAPI
    export: Export
    analyst: SignedIn
    pcc: SignedIn
    imported: Any  # the page's answer to the import


def _log(env: WebEnv, **query: Any) -> list[Any]:
    engine = make_engine(env.database_url)
    try:
        with session_scope(engine) as db:
            return audit.query(db, limit=None, **query)
    finally:
        engine.dispose()


def _declare(signed: SignedIn) -> None:
    response = signed.client.post(
        "/purpose",
        data={"csrf_token": signed.csrf, "purpose": PURPOSE, "back": "/"},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303), response.text


def post_import(signed: SignedIn, files: list[tuple[str, bytes]], spec: Path) -> Any:
    upload = [("files", (name, content, "text/csv")) for name, content in files]
    upload.append(("spec", (spec.name, spec.read_bytes(), "application/toml")))
    return signed.client.post(
        "/force-records/import", data={"csrf_token": signed.csrf}, files=upload
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[World]:
    root = tmp_path_factory.mktemp("force-records-web")
    env = with_stop_and_search(new_env(root / "env", sample_db, USERS))
    engine = make_engine(env.database_url)
    with session_scope(engine) as db:
        for username, unit in UNITS.items():
            set_units(db, username, FORCE, [unit])
    engine.dispose()
    synthetic = generate(read_street_files(FORCE, MONTHS), RmsParams(seed=SEED))
    files = write_export(synthetic, root / "rms")
    export = Export(files.csv, files.spec, set(synthetic.rows["Crime Reference"]))
    app = create_app(env.settings())
    with TestClient(app) as a, TestClient(app) as p:
        analyst = SignedIn(a, sign_in(a, "analyst"), "analyst")
        pcc = SignedIn(p, sign_in(p, "pcc-viewer"), "pcc-viewer")
        _declare(analyst)
        imported = post_import(analyst, [(export.csv.name, export.csv.read_bytes())], export.spec)
        yield World(env, app, export, analyst, pcc, imported)


def who(username: str, purpose: str | None = None) -> Principal:
    return Principal(
        username, USERS[username], FORCE, frozenset({UNITS[username]}), "web", purpose=purpose
    )


def exact_points(env: WebEnv) -> np.ndarray:
    """Every located RMS crime, read from the store directly (the truth to search for)."""
    with AnalyticsStore.open(env.analytics_db) as store:
        con = store.room_connection(service.TABLES, scoped_by="test: the truth to search for")
        rows = con.execute("SELECT x, y FROM force_crimes WHERE x IS NOT NULL").fetchnumpy()
    return np.column_stack([np.asarray(rows["x"], float), np.asarray(rows["y"], float)])


def stored_files(env: WebEnv) -> int:
    with AnalyticsStore.open(env.analytics_db) as store:
        con = store.room_connection(service.TABLES, scoped_by="test: how many files are stored")
        row = con.execute("SELECT count(*) FROM force_crime_files").fetchone()
    assert row is not None
    return int(row[0])


class RmsCrimes(Crimes):
    """The exact places of the export's crimes, for :func:`search` (BNG and WGS84).

    A crime lying exactly on the 125 m lattice is left out: it is where the corners and
    centres of every aggregate cell and square lie, which say nothing of any crime.
    """

    def __init__(self, env: WebEnv) -> None:
        xy = exact_points(env)
        xy = xy[~(np.mod(xy, 125.0) == 0).all(axis=1)]
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1])
        self.lonlat = cKDTree(np.column_stack([lon, lat]))
        self.bng = cKDTree(xy)
        known = gazetteer.places()
        self.place_lonlat = {(p.lon, p.lat): p.name for p in known}
        self.place_bng = {(p.x, p.y) for p in known}


@pytest.fixture(scope="module")
def rms_crimes(world: World) -> RmsCrimes:
    return RmsCrimes(world.env)


# -- import ----------------------------------------------------------------------------------


def test_the_import_through_the_page_shows_its_outcome(world: World) -> None:
    page = world.imported
    assert page.status_code == 200, page.text[:2000]
    assert "1 file(s) imported" in page.text
    assert f"{len(world.export.references):,}" in page.text  # the records imported
    assert "columns kept:" in page.text  # the importer's notes
    assert 'id="synthetic-banner"' in page.text
    assert world.export.csv.name in page.text  # the analyst sees the file list
    assert stored_files(world.env) == 1


def test_the_same_file_again_is_not_imported_twice(world: World) -> None:
    export = world.export
    page = post_import(world.analyst, [(export.csv.name, export.csv.read_bytes())], export.spec)
    assert page.status_code == 200, page.text[:2000]
    assert "already imported, not imported again" in page.text
    assert stored_files(world.env) == 1


def test_a_broken_file_shows_file_line_field_problems_and_stores_nothing(
    world: World,
) -> None:
    lines = world.export.csv.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[1] = "ZZ9"  # the HO Class of the crime on file line 4
    lines[3] = ",".join(cells)
    before = len(_log(world.env, actor="analyst", action="collection"))
    page = post_import(
        world.analyst, [("broken.csv", ("\n".join(lines) + "\n").encode())], world.export.spec
    )
    assert page.status_code == 400, page.text[:2000]
    assert 'id="import-problems"' in page.text
    assert "broken.csv:4: offence_code (HO Class): not a Home Office class" in page.text
    assert "nothing from this file was stored" in page.text
    assert stored_files(world.env) == 1
    after = _log(world.env, actor="analyst", action="collection")
    refused = after[: len(after) - before]  # newest first
    assert refused and refused[0].outcome == "refused"
    listed = world.analyst.client.get("/api/force-records/files").json()
    assert [f["file_name"] for f in listed["files"]] == [world.export.csv.name]


def test_an_upload_of_the_wrong_kind_is_refused_before_anything_is_stored(world: World) -> None:
    page = post_import(world.analyst, [("export.pdf", b"%PDF-1.4")], world.export.spec)
    assert page.status_code == 400
    assert "must end .csv, .csv.gz, .xlsx" in page.text
    assert stored_files(world.env) == 1


def test_the_pcc_viewer_may_not_import_and_the_refusal_is_logged_as_denied(world: World) -> None:
    export = world.export
    response = post_import(world.pcc, [(export.csv.name, export.csv.read_bytes())], export.spec)
    assert response.status_code == 403
    assert "Not allowed" in response.text
    denied = [
        e for e in _log(world.env, actor="pcc-viewer") if e.target.endswith("/force-records/import")
    ]
    assert denied and denied[0].outcome == "denied"
    assert "import-force-records" in json.dumps(denied[0].details)
    assert 'id="import-form"' not in world.pcc.client.get("/force-records").text


# -- what each role sees ------------------------------------------------------------------------


def test_an_exact_reader_without_a_reason_is_asked_for_one_and_nothing_is_read(
    world: World,
) -> None:
    with TestClient(world.app) as client:
        sign_in(client, "analyst")
        before = len(_log(world.env, actor="analyst", action="consultation"))
        page = client.get("/force-records")
        assert page.status_code == 200
        assert "Nothing has been read yet" in page.text
        assert world.export.csv.name not in page.text and "unexplained" not in page.text
        assert len(_log(world.env, actor="analyst", action="consultation")) == before
        given = client.get("/force-records", params={"justification": PURPOSE})
        assert given.status_code == 200 and world.export.csv.name in given.text
        [entry] = _log(world.env, actor="analyst", action="consultation")[:1]
        assert entry.justification and PURPOSE in entry.justification


def test_every_page_view_is_logged_naming_the_files(world: World) -> None:
    for signed, exact in ((world.analyst, True), (world.pcc, False)):
        page = signed.client.get("/force-records", params={"force": FORCE})
        assert page.status_code == 200, page.text[:2000]
        entries = [
            e
            for e in _log(world.env, actor=signed.username, action="consultation")
            if e.details.get("question") == "force-records page"
        ]
        entry = entries[0]  # the newest
        assert entry.outcome == "ok"
        assert entry.details["files"] == ["force-records-import:1"]
        assert entry.details["exact"] is exact
        assert "crimes_read" in entry.details  # 0 when the plan came from the cache
        assert "reconciliation of hertfordshire" in entry.details["reads"]
        if exact:
            assert entry.justification and PURPOSE in entry.justification


def test_the_pcc_viewer_is_told_how_many_files_and_records_not_which(world: World) -> None:
    page = world.pcc.client.get("/force-records")
    assert page.status_code == 200
    assert 'id="force-files"' not in page.text and 'id="file-counts"' in page.text
    assert f"{len(world.export.references):,} records" in page.text
    assert "aggregates only" in page.text and 'id="synthetic-banner"' in page.text
    assert "Justification" not in page.text  # nothing exact to justify
    body = world.pcc.client.get("/api/force-records/files").json()
    assert body["exact"] is False and "files" not in body
    assert body["file_count"] == 1 and body["records"] == len(world.export.references)
    full = world.analyst.client.get("/api/force-records/files").json()
    [listed] = full["files"]
    assert listed["synthetic"] is True and listed["rows"] == body["records"]


# -- the reconciliation ----------------------------------------------------------------------


def library_reconciliation(world: World, username: str) -> dict[str, Any]:
    engine = world.app.state.hw.engine
    with (
        service.reading(engine, who(username), what="test", justification=PURPOSE) as grant,
        AnalyticsStore.open(world.env.analytics_db) as store,
    ):
        summary = reconcile(store, FORCE, grant=grant).summary()
    return json.loads(json.dumps(summary, default=int))


def test_the_reconciliation_is_the_librarys_and_leaves_nothing_unexplained(world: World) -> None:
    for signed in (world.analyst, world.pcc):
        answer = signed.client.get("/api/force-records/reconciliation", params={"force": FORCE})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        library = library_reconciliation(world, signed.username)
        for key in ("force", "months", "totals", "by_type", "by_month", "non_notifiable"):
            assert body[key] == library[key], key
        assert body["months"] == list(MONTHS)
        assert body["synthetic"] is True and "SYNTHETIC" in body["source"]
        assert all(row["unexplained"] == 0 for row in body["by_type"] + body["by_month"])
        assert body["totals"]["unexplained"] == 0
        assert body["totals"]["police_uk"] == body["totals"]["expected"] > 0
        page = signed.client.get("/force-records", params={"force": FORCE})
        for column in COLUMNS:
            total = re.search(rf'data-total="{column}">([^<]*)<', page.text)
            assert total and total.group(1) == f"{body['totals'][column]:,}", column
        link = 'href="/hotspots?force=hertfordshire&amp;crime_type=Drugs&amp;cell=250'
        assert (f'{link}&amp;source=force-records"' in page.text) is (signed is world.analyst)
        assert (f'{link}"' in page.text) is (signed is world.analyst)  # the PCC has no map
        assert "Non-notifiable records in the export" in page.text


def test_a_reconciliation_for_months_not_in_both_sources_says_why(world: World) -> None:
    answer = world.pcc.client.get(
        "/api/force-records/reconciliation", params={"force": FORCE, "months": "2025-06"}
    )
    assert answer.status_code == 422 and "not in both sources" in answer.json()["detail"]
    page = world.pcc.client.get("/force-records", params={"force": FORCE, "months": "2025-06"})
    assert page.status_code == 200 and 'id="recon-error"' in page.text
    bad = world.pcc.client.get("/force-records", params={"months": "2025-13"})
    assert bad.status_code == 422 and 'id="not-run"' in bad.text


# -- when to patrol --------------------------------------------------------------------------


def test_the_timing_api_gives_the_analyst_windows_to_patrol(world: World) -> None:
    answer = world.analyst.client.get(
        "/api/force-records/timing", params=ON_RECORDS["/api/force-records/timing"]
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["zones"] and body["guidance"] and body["sources"]
    assert any(z["when"]["windows"] for z in body["zones"])
    for zone in body["zones"]:
        for window in zone["when"]["windows"]:
            assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:00–\d\d:00", window["label"])
            assert window["visits"] >= 1 and 0 < window["share"] <= 1
    assert "SYNTHETIC" in body["source"]
    page = world.analyst.client.get("/force-records", params={"force": FORCE})
    first = next(z for z in body["zones"] if z["when"]["windows"])
    assert first["when"]["windows"][0]["label"] in page.text
    assert body["guidance"][0].split(":")[0] in page.text


def test_the_pcc_gets_when_to_patrol_without_small_counts(world: World) -> None:
    params = ON_RECORDS["/api/force-records/timing"]
    pcc = world.pcc.client.get("/api/force-records/timing", params=params).json()
    full = world.analyst.client.get("/api/force-records/timing", params=params).json()
    assert [z["zone"] for z in pcc["zones"]] == [z["zone"] for z in full["zones"]]
    assert "suppression" in pcc and "suppression" not in full
    for zone in pcc["zones"]:
        crimes = zone["crimes"]
        assert crimes in (FEWER_THAN_5, WITHHELD) or crimes == 0 or crimes >= 5
        if isinstance(crimes, str):
            assert zone["share_of_crime"] is None and zone["pai"] is None
        assert "crimes_weighted" not in zone["when"]
        assert not re.search(r"\(\d", zone["lsoas"] + str(zone["when"].get("note") or ""))
        assert all("share" not in w for w in zone["when"]["windows"])
    assert [[w["label"] for w in z["when"]["windows"]] for z in pcc["zones"]] == [
        [w["label"] for w in z["when"]["windows"]] for z in full["zones"]
    ]


# -- the hotspot map on either source ------------------------------------------------------------


def test_the_hotspot_map_runs_on_the_force_records_for_the_analyst(world: World) -> None:
    params = {**HERTS, "cell": "250", "method": "count"}
    page = world.analyst.client.get("/hotspots", params=params)
    assert page.status_code == 200, re.findall(r'alert-error" role="alert">([^<]*)', page.text)
    assert "source=force-records" in page.text  # its layers and downloads keep the source
    cells = world.analyst.client.get("/api/hotspots", params=params).json()
    assert "suppression" not in cells
    assert any(isinstance(c["n"], int) and 1 <= c["n"] <= 4 for c in cells["cells"])
    # The PCC viewer has no hotspot map at all (the route table); force records change nothing.
    assert world.pcc.client.get("/hotspots", params=params).status_code == 403


def test_cell_counts_for_a_viewer_of_aggregates_are_suppressed(world: World) -> None:
    """The where room's serialisation for a grant that is not exact (the PCC's)."""
    analyses = world.app.state.hw.analyses
    request = HotspotsRequest(
        forces=(FORCE,), crime_types=("Drugs",), source="force-records", cell=250.0,
        method="count",
    )  # fmt: skip
    token = WEB_READER.set((world.app.state.hw.engine, who("pcc-viewer"), "test"))
    try:
        result = analyses.hotspots(request)
        shown = suppressed_cells(result.cells)
        csv_text = _suppressed_file(analyses, request, "csv", map_cells=False).decode()
        layer = json.loads(_suppressed_file(analyses, request, "geojson", map_cells=True))
    finally:
        WEB_READER.reset(token)
    values = list(shown["n"])
    assert FEWER_THAN_5 in values
    assert not any(isinstance(v, int) and 1 <= v <= 4 for v in values)
    assert sum(v for v in values if isinstance(v, int)) < int(result.cells["n"].sum())
    assert FEWER_THAN_5 in csv_text
    counts = [f["properties"]["n"] for f in layer["features"]]
    assert FEWER_THAN_5 in counts
    assert not any(isinstance(v, int) and 1 <= v <= 4 for v in counts)


def test_an_analysts_cached_result_is_not_served_to_the_pcc(world: World) -> None:
    analyses = world.app.state.hw.analyses
    engine = world.app.state.hw.engine
    request = HotspotsRequest(
        forces=(FORCE,), crime_types=("Drugs",), source="force-records", cell=250.0,
        months=MONTHS,
    )  # fmt: skip
    results = {}
    for username in ("analyst", "pcc-viewer"):  # the analyst first: the cache holds theirs
        token = WEB_READER.set((engine, who(username, PURPOSE), "test"))
        try:
            results[username] = analyses.hotspots(request)
        finally:
            WEB_READER.reset(token)
    exact, coarse = results["analyst"], results["pcc-viewer"]
    assert coarse is not exact
    xy = np.column_stack([coarse.points.x, coarse.points.y])
    assert len(xy) and np.all(np.mod(xy - 125.0, 250.0) == 0.0)  # 250 m cell centres only
    exact_xy = np.column_stack([exact.points.x, exact.points.y])
    assert not np.all(np.mod(exact_xy - 125.0, 250.0) == 0.0)
    # And over HTTP: the analyst's plan first, then the PCC's, who gets the coarse one.
    params = ON_RECORDS["/api/force-records/timing"]
    analyst = world.analyst.client.get("/api/force-records/timing", params=params).json()
    pcc = world.pcc.client.get("/api/force-records/timing", params=params).json()
    assert "aggregates only" in pcc["source"] and "aggregates only" not in analyst["source"]


def test_a_file_drawn_for_the_analyst_is_not_served_to_the_pcc(world: World) -> None:
    params = {**ON_RECORDS["/api/forecast-eval"], "format": "csv", "months": "2025-01:2025-02"}
    analyst = world.analyst.client.get("/api/forecast-eval", params=params)
    after = world.pcc.client.get("/api/forecast-eval", params=params)
    with TestClient(create_app(world.env.settings())) as client:  # nothing cached
        sign_in(client, "pcc-viewer")
        own = client.get("/api/forecast-eval", params=params)
    assert analyst.status_code == after.status_code == own.status_code == 200
    assert analyst.text != own.text  # the two grants' figures differ …
    assert after.text == own.text  # … and the PCC must get its own


# -- nothing exact reaches the PCC viewer -------------------------------------------------------


def records_routes() -> list[str]:
    """Every GET route the PCC viewer may reach (the route table, so new ones are walked)."""
    return [p for m, p in reachable(Role.PCC_VIEWER) if m == "GET" and "{" not in p]


def references_in(response: Any, references: set[str], where: str) -> list[str]:
    if response.headers.get("content-type", "").startswith("image/"):
        return []
    text = response.text
    found = [f"{where}: crime reference {r}" for r in set(REFERENCE.findall(text)) & references]
    if "SYNTHETIC PERSON" in text or "SYNTHETIC FREE TEXT" in text:
        found.append(f"{where}: a personal column of the export")
    return found


def walk(
    signed: SignedIn, crimes: RmsCrimes, references: set[str], drawn: list[np.ndarray]
) -> tuple[list[str], list[str], int]:
    """Call every route, in every format, on the force's records; follow each page's links.

    Returns what locates a crime, what names one, and how many calls were made; every
    call must answer 200.
    """
    openapi = signed.client.get("/api/openapi.json").json()
    located: list[str] = []
    named: list[str] = []
    calls = 0
    mine = {p for m, p in reachable(Role(signed.username)) if m == "GET"}
    for path in records_routes():
        if path not in mine:  # a PCC-only route (a review's progress figures)
            continue
        params = ON_RECORDS.get(path, HERTS)
        for fmt in formats_of(openapi, path):
            query = {**params, **({"format": fmt} if fmt else {})}
            where = f"{signed.username} GET {path} {query}"
            response = signed.client.get(path, params=query)
            calls += 1
            assert response.status_code == 200, (where, response.text[:300])
            located += search(response, crimes, where, drawn)
            named += references_in(response, references, where)
            if "text/html" in response.headers.get("content-type", ""):
                for link in links_of(response.text):
                    target = urlsplit(link)
                    linked = signed.client.get(target.path, params=dict(parse_qsl(target.query)))
                    calls += 1
                    assert linked.status_code == 200, (link, linked.text[:300])
                    located += search(linked, crimes, f"{where} -> {link}", drawn)
                    named += references_in(linked, references, f"{where} -> {link}")
    return located, named, calls


def test_the_walk_covers_the_force_records_routes() -> None:
    assert set(records_routes()) >= {
        "/force-records",
        "/api/force-records/files",
        "/api/force-records/reconciliation",
        "/api/force-records/timing",
        "/api/evaluate",
        "/api/forecast-eval",
    }


def test_the_search_finds_the_exact_places_the_analyst_gets(
    world: World, rms_crimes: RmsCrimes, drawn: list[np.ndarray]
) -> None:
    """The analyst walks first (so every cache holds exact results), and the search, run
    on the analyst's answers, finds the crimes: it is not blind."""
    located, _, _ = walk(world.analyst, rms_crimes, world.export.references, drawn)
    assert any("a crime's location" in f or "of a crime" in f for f in located), located[:5]
    layer = world.analyst.client.get("/api/evaluate", params={**TWO_LSOAS, "format": "geojson"})
    assert any("a GeoJSON Point" in f for f in search(layer, rms_crimes, "layer", drawn))


def test_nothing_the_pcc_viewer_receives_holds_an_exact_place_or_a_reference(
    world: World, rms_crimes: RmsCrimes, drawn: list[np.ndarray]
) -> None:
    # Every cache first filled by the analyst's exact answers to the same questions.
    walk(world.analyst, rms_crimes, world.export.references, drawn)
    located, named, calls = walk(world.pcc, rms_crimes, world.export.references, drawn)
    assert calls >= 20  # every route, format and linked file, not a handful
    assert located == [], "\n".join(located[:20])
    assert named == [], "\n".join(named[:20])


def test_the_page_with_every_section_passes_axe(world: World) -> None:
    """WCAG 2.2 AA (axe-core in Chromium) on the page as each role sees it with records loaded;
    the shared accessibility test sees it only before anything is imported."""
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import sync_playwright
    from test_accessibility import AXE, violations
    from test_browser import CHROMIUM, CHROMIUM_ARGS, LiveServer
    from test_browser import sign_in as sign_in_page

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    axe = AXE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    with LiveServer(world.env) as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for username in USERS:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, bypass_csp=True
                )
                page = context.new_page()
                sign_in_page(page, live, username)
                if username == "analyst":
                    page.locator("#purpose-input").fill(PURPOSE)
                    page.get_by_role("button", name="Declare").click()
                    page.wait_for_load_state()
                page.goto(f"{live.url}/force-records?force={FORCE}")
                assert page.locator("#timing-zones").count() == 1, username
                assert page.locator("#recon-by-type").count() == 1, username
                if problems := violations(page, axe):
                    found[username] = problems
                context.close()
        finally:
            browser.close()
    assert found == {}
