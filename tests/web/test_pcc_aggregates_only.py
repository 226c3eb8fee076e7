"""Aggregates only: nothing the PCC viewer can reach carries a crime's coordinates.

Tested the way the route table is: every route the role may reach
(``ROUTE_RULES`` read for ``Role.PCC_VIEWER``, so a route added tomorrow is walked
too) is called with realistic parameters in every format its OpenAPI description
offers, every file a page links to or draws is fetched, and each response is
searched for a point coordinate — a GeoJSON Point that is not a gazetteer place
name, or any pair of numbers (BNG metres or WGS84 degrees) that is the location
of a crime in the store. PNG charts are searched before they are saved: every
point, line and patch matplotlib was asked to draw. The same search run on the
analyst's responses finds the crimes, so it is known to work.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import matplotlib.figure
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scipy.spatial import cKDTree
from webhelpers import SignedIn, WebEnv, new_env, sign_in, with_stop_and_search

from harmwatch.kernel.rooms import PUBLIC, SIGNED_IN
from harmwatch.security.roles import Role
from harmwatch.spatial import places as gazetteer
from harmwatch.web import create_app
from harmwatch.web.rules import ROUTE_RULES, UNSAFE_METHODS

ROLE = Role.PCC_VIEWER
LUTON = {
    "lsoa": "E01033803,E01033804",
    "start": "2025-09",
    "force": "bedfordshire",
    "crime_type": "Drugs",
}
THREE = ["hertfordshire", "bedfordshire", "cambridgeshire"]
# Realistic parameters per route. A route the role may reach and that is missing here
# is still called (with no parameters) and must answer 200, or this file fails and asks
# for its parameters: a new route is never skipped.
REALISTIC: dict[tuple[str, str], list[dict[str, str | list[str]]]] = {
    ("GET", "/"): [{}, {"force": "hertfordshire", "crime_type": "Drugs"}],
    ("GET", "/forecast"): [{"force": "bedfordshire", "crime_type": "Drugs"}],
    ("GET", "/evaluate"): [LUTON, {**LUTON, "buffer": "250"}],
    ("GET", "/api/meta"): [{}],
    ("GET", "/api/trends"): [{"force": "hertfordshire", "crime_type": "Drugs"}],
    ("GET", "/api/forecast-eval"): [{"force": "bedfordshire", "crime_type": "Drugs"}],
    ("GET", "/api/evaluate"): [LUTON, {**LUTON, "table": "controls"}],
    ("GET", "/api/change"): [{"force": "bedfordshire", "crime_type": "Drugs"}],
    ("POST", "/purpose"): [{"purpose": "PCC scrutiny panel, March"}],
    ("GET", "/oversight"): [{"force": "hertfordshire"}, {"force": THREE}],
    ("GET", "/oversight/measure"): [
        {"key": "drug-offences", "force": "bedfordshire"},
        {"key": "weapons-possession", "force": THREE, "period": "2025-12"},
    ],
    ("GET", "/oversight/stop-search"): [{}, {"force": "bedfordshire", "months": "2021-05"}],
    ("GET", "/oversight/outcomes"): [{"force": "bedfordshire", "crime_type": "Drugs"}],
    ("GET", "/oversight/report"): [{"force": "bedfordshire"}],
    ("GET", "/oversight/report.pdf"): [{"force": "bedfordshire"}],
    ("GET", "/check-claim"): [{}, {"before": "1,111", "after": "1208"}],
    ("GET", "/api/check-claim"): [{"before": "1111", "after": "1208"}],
    ("GET", "/api/oversight/measures"): [{"force": "hertfordshire"}, {"force": THREE}],
    ("GET", "/api/oversight/stop-search"): [{"force": "bedfordshire"}],
    ("GET", "/api/oversight/outcomes"): [{"force": "bedfordshire"}],
}
LAST = {("POST", "/logout")}  # ends the session: called last, on its own client
#: Ids for routes with a path parameter. This store holds no such record of the viewer's
#: force, so those answer 404 — which draws nothing either.
PATH_VALUES = {"programme_id": "1"}

LONLAT_TOLERANCE = 2e-6  # degrees (~0.2 m): the layers round to 6 decimal places
BNG_TOLERANCE = 0.5  # metres
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
LINK = re.compile(r'(?:href|src|data-[a-z-]+)="(/[^"]*)"')


class Crimes:
    """Every located crime (and stop and search) of the store, in both coordinate systems."""

    def __init__(self, db: Path) -> None:
        con = duckdb.connect(str(db), read_only=True)
        try:
            rows = con.execute(
                "SELECT DISTINCT longitude, latitude, x, y FROM street WHERE x IS NOT NULL "
                "UNION SELECT DISTINCT longitude, latitude, x, y FROM stop_search "
                "WHERE x IS NOT NULL"
            ).fetchall()
        finally:
            con.close()
        values = np.array(rows, dtype=float)
        self.lonlat = cKDTree(values[:, :2])
        self.bng = cKDTree(values[:, 2:])
        known = gazetteer.places()
        self.place_lonlat = {(p.lon, p.lat): p.name for p in known}
        self.place_bng = {(p.x, p.y) for p in known}

    def located(self, a: float, b: float) -> bool:
        """Whether (a, b) is a crime's location, read as lon/lat or as BNG x/y."""
        if (a, b) in self.place_lonlat or (a, b) in self.place_bng:
            return False  # a place name's own position
        if -8 < a < 2 and 49 < b < 61:
            return bool(self.lonlat.query_ball_point([a, b], LONLAT_TOLERANCE))
        if 0 < a < 700_000 and 0 < b < 1_300_000:
            return bool(self.bng.query_ball_point([a, b], BNG_TOLERANCE))
        return False


@pytest.fixture(scope="module")
def pcc_env(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> WebEnv:
    """The sample, and a month of stop and search (each search has a location too)."""
    return with_stop_and_search(new_env(tmp_path_factory.mktemp("pcc"), sample_db))


@pytest.fixture(scope="module")
def crimes(pcc_env: WebEnv) -> Crimes:
    return Crimes(pcc_env.analytics_db)


@pytest.fixture(scope="module")
def fresh_app(pcc_env: WebEnv) -> FastAPI:
    """An app of its own, so no file was drawn (and cached) before this module looks."""
    return create_app(pcc_env.settings())


@pytest.fixture(scope="module")
def viewer(fresh_app: FastAPI) -> Iterator[SignedIn]:
    with TestClient(fresh_app) as client:
        yield SignedIn(client, sign_in(client, ROLE.value), ROLE.value)


@pytest.fixture(scope="module")
def analyst(fresh_app: FastAPI) -> Iterator[SignedIn]:
    with TestClient(fresh_app) as client:
        yield SignedIn(client, sign_in(client, "analyst"), "analyst")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """Every coordinate matplotlib is asked to draw in a figure saved during the test."""
    seen: list[np.ndarray] = []
    original = matplotlib.figure.Figure.savefig

    def savefig(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> Any:
        for ax in self.axes:
            for collection in ax.collections:
                seen.append(np.asarray(collection.get_offsets(), dtype=float).reshape(-1, 2))
                for path in collection.get_paths():
                    seen.append(np.asarray(path.vertices, dtype=float).reshape(-1, 2))
            for line in ax.lines:
                seen.append(np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2))
            for patch in ax.patches:
                vertices = patch.get_path().vertices
                seen.append(patch.get_patch_transform().transform(vertices))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    return seen


def reachable(role: Role) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for (method, path), rule in ROUTE_RULES.items()
        if rule.access != PUBLIC and (rule.access == SIGNED_IN or rule.access.granted(role))  # type: ignore[union-attr]
    )


def formats_of(openapi: dict[str, Any], path: str) -> list[str | None]:
    """The values of the route's ``format`` parameter in the API description (None: no such
    parameter, or not in the description, as for pages)."""
    operation = openapi["paths"].get(path, {}).get("get", {})
    for param in operation.get("parameters", []):
        if param["name"] == "format":
            found = list(dict.fromkeys(_enums(param.get("schema", {}))))
            return list(found) or [None]
    return [None]


def _enums(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [*node.get("enum", []), *(v for child in node.values() for v in _enums(child))]
    if isinstance(node, list):
        return [v for child in node for v in _enums(child)]
    return []


def coordinates_in(value: Any, crimes: Crimes, where: str) -> list[str]:
    """Point geometries that are not place names, and crime locations, anywhere in ``value``."""
    found: list[str] = []

    def visit(node: Any, kind: str | None) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Feature":
                kind = (node.get("properties") or {}).get("kind")
            geometry_type = node.get("type")
            if geometry_type in ("Point", "MultiPoint") and "coordinates" in node:
                coords = node["coordinates"]
                if kind != "place" or tuple(coords) not in crimes.place_lonlat:
                    found.append(f"{where}: a GeoJSON {geometry_type} {coords}")
            for a, b in (("x", "y"), ("lon", "lat"), ("longitude", "latitude")):
                numbers = isinstance(node.get(a), int | float) and isinstance(
                    node.get(b), int | float
                )
                if numbers and crimes.located(float(node[a]), float(node[b])):
                    found.append(f"{where}: {a}/{b} of a crime {node[a]}, {node[b]}")
            for child in node.values():
                visit(child, kind)
        elif isinstance(node, list):
            pair = len(node) >= 2 and all(isinstance(v, int | float) for v in node[:2])
            if pair and crimes.located(float(node[0]), float(node[1])):
                found.append(f"{where}: a crime's location {node[:2]}")
            for child in node:
                visit(child, kind)

    visit(value, None)
    return found


def numbers_in_text(text: str, crimes: Crimes, where: str) -> list[str]:
    """Crime locations written as two numbers one after the other (CSV rows, HTML, SVG)."""
    values = [float(v) for v in NUMBER.findall(text)]
    return [
        f"{where}: a crime's location {a}, {b} in the text"
        for a, b in itertools.pairwise(values)
        if crimes.located(a, b)
    ]


def in_csv(text: str, crimes: Crimes, where: str) -> list[str]:
    found = numbers_in_text(text, crimes, where)
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for a, b in (("x", "y"), ("lon", "lat"), ("longitude", "latitude")):
            if row.get(a) and row.get(b):
                try:
                    if crimes.located(float(row[a]), float(row[b])):
                        found.append(f"{where}: {a}/{b} of a crime in a CSV row")
                except ValueError:
                    pass
    return found


def search(response: Any, crimes: Crimes, where: str, drawn: list[np.ndarray]) -> list[str]:
    """Everything in one response (and in the figures drawn for it) that locates a crime."""
    kind = response.headers.get("content-type", "")
    found: list[str] = []
    if "json" in kind:
        found += coordinates_in(response.json(), crimes, where)
    elif "csv" in kind:
        found += in_csv(response.text, crimes, where)
    elif kind.startswith("text/") or "svg" in kind:
        found += numbers_in_text(response.text, crimes, where)
    for block in drawn:
        for a, b in block:
            if np.isfinite(a) and np.isfinite(b) and crimes.located(float(a), float(b)):
                found.append(f"{where}: a figure draws a crime's location {a:.1f}, {b:.1f}")
                break
    drawn.clear()
    return found


def links_of(html: str) -> list[str]:
    """Same-site API links a page gives (downloads, the chart, the map's layer)."""
    return sorted({unescape(link) for link in LINK.findall(html) if link.startswith("/api/")})


def call(signed: SignedIn, method: str, path: str, params: dict[str, Any]) -> Any:
    if method in UNSAFE_METHODS:
        return signed.client.request(
            method,
            path,
            data=params,
            headers={"X-CSRF-Token": signed.csrf},
            follow_redirects=False,
        )
    return signed.client.request(method, path, params=params, follow_redirects=False)


def walk(signed: SignedIn, crimes: Crimes, drawn: list[np.ndarray]) -> tuple[list[str], int]:
    """Call every route ``signed``'s role may reach, in every format, and every linked file."""
    openapi = signed.client.get("/api/openapi.json").json()
    found: list[str] = []
    calls = 0
    role = Role(signed.username)
    for method, path in reachable(role):
        if (method, path) in LAST:
            continue
        for params in REALISTIC.get((method, path), [{}]):
            for fmt in formats_of(openapi, path) if method == "GET" else [None]:
                query = {**params, **({"format": fmt} if fmt else {})}
                where = f"{method} {path} {query}"
                url = path.format(**PATH_VALUES)
                response = call(signed, method, url, query)
                calls += 1
                assert response.status_code in (200, 303) or (
                    url != path and response.status_code == 404
                ), (
                    f"{where} answered {response.status_code}: give this route realistic "
                    f"parameters in REALISTIC ({response.text[:200]})"
                )
                found += search(response, crimes, where, drawn)
                if "text/html" in response.headers.get("content-type", ""):
                    for link in links_of(response.text):
                        target = urlsplit(link)
                        linked = signed.client.get(
                            target.path, params=dict(parse_qsl(target.query))
                        )
                        calls += 1
                        assert linked.status_code == 200, (link, linked.text[:200])
                        found += search(linked, crimes, f"{where} -> {link}", drawn)
    return found, calls


def test_the_pcc_viewer_receives_no_crime_location(
    viewer: SignedIn, crimes: Crimes, drawn: list[np.ndarray], fresh_app: FastAPI
) -> None:
    found, calls = walk(viewer, crimes, drawn)
    assert calls > 30  # every route, format and linked file, not a handful
    assert found == [], "\n".join(found[:20])
    # Signing out is reachable too: it answers with no data at all.
    with TestClient(fresh_app) as client:
        csrf = sign_in(client, ROLE.value)
        for method, path in sorted(LAST):
            response = client.request(
                method, path, headers={"X-CSRF-Token": csrf}, follow_redirects=False
            )
            assert response.status_code == 303 and not response.content.strip(b" \n")


def test_the_search_finds_the_crimes_an_analyst_sees(
    analyst: SignedIn, crimes: Crimes, drawn: list[np.ndarray]
) -> None:
    """The same search over the analyst's evaluation finds its points: it is not blind."""
    layer = analyst.client.get("/api/evaluate", params={**LUTON, "format": "geojson"})
    assert any("a GeoJSON Point" in f for f in search(layer, crimes, "geojson", drawn))
    png = analyst.client.get("/api/evaluate", params={**LUTON, "format": "png", "buffer": "400"})
    assert png.status_code == 200
    assert any("a figure draws" in f for f in search(png, crimes, "png", drawn))


def test_the_search_knows_where_each_stop_and_search_was(pcc_env: WebEnv, crimes: Crimes) -> None:
    """Stop and search is personal data with a place: the search looks for those places too."""
    con = duckdb.connect(str(pcc_env.analytics_db), read_only=True)
    try:
        located = con.execute(
            "SELECT longitude, latitude, x, y FROM stop_search WHERE x IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    assert len(located) > 100
    assert all(crimes.located(lon, lat) and crimes.located(x, y) for lon, lat, x, y in located)


def test_every_reachable_route_is_walked() -> None:
    """The walk reads the route table, so it covers what the table grants and nothing less."""
    routes = set(reachable(ROLE))
    assert routes >= {("GET", "/evaluate"), ("GET", "/api/evaluate")}
    assert not {("GET", "/hotspots"), ("GET", "/api/hotspots")} & routes
    stale = set(REALISTIC) - routes
    assert not stale, f"parameters for routes the role cannot reach: {stale}"


def test_the_pcc_map_counts_crimes_per_square_with_small_numbers_suppressed(
    viewer: SignedIn,
) -> None:
    body = viewer.client.get("/api/evaluate", params=LUTON).json()
    layer = viewer.client.get("/api/evaluate", params={**LUTON, "format": "geojson"}).json()
    assert layer["disclosure"]["aggregates_only"] is True
    squares = [f for f in layer["features"] if f["properties"]["kind"] == "square"]
    assert squares and all(f["geometry"]["type"] == "Polygon" for f in squares)
    counts = body["counts"]
    for kind in ("target", "buffer"):
        total = counts[f"{kind}_before"] + counts[f"{kind}_after"]
        assert layer["totals"][kind] == total
        values = [f["properties"][kind] for f in squares if kind in f["properties"]]
        shown = [v for v in values if isinstance(v, int)]
        hidden = [v for v in values if not isinstance(v, int)]
        assert all(v == 0 or v >= 5 for v in shown)  # no count of 1-4 is ever shown
        assert set(hidden) <= {"fewer than 5", "withheld"}
        # What is hidden is not the difference between the total and what is shown.
        assert len(hidden) != 1, f"{kind}: a lone hidden square is total minus the rest"
        if hidden:
            assert sum(shown) < total
    # Squares lie on the national 500 m grid, not on anything fitted to the crimes.
    for f in squares:
        ring = f["geometry"]["coordinates"][0]
        assert len(ring) == 5
    # The JSON's figures are the analyst's, except the control table's hidden counts.
    controls = body["controls"]["lsoas"]
    assert {"pre_count", "pre_mean", "pre_slope"} <= set(controls[0])
    for row in controls:
        if isinstance(row["pre_count"], str):
            assert row["pre_count"] in ("fewer than 5", "withheld")
            assert row["pre_mean"] is None and row["pre_slope"] is None
        else:
            assert row["pre_count"] == 0 or row["pre_count"] >= 5
    assert any(isinstance(r["pre_count"], str) for r in controls)
    assert "disclosure" in body


def test_the_figures_of_the_evaluation_are_the_same_for_both_roles(
    viewer: SignedIn, analyst: SignedIn
) -> None:
    pcc = viewer.client.get("/api/evaluate", params=LUTON).json()
    full = analyst.client.get("/api/evaluate", params=LUTON).json()
    assert "disclosure" not in full and "pre_count" not in full["controls"]["lsoas"][0]
    for key in ("counts", "rate_ratio", "ci_low", "ci_high", "p_value", "did", "wdq", "series"):
        assert pcc[key] == full[key], key
    shown = [r for r in pcc["controls"]["lsoas"] if r["pre_mean"] is not None]
    by_code = {r["lsoa_code"]: r for r in full["controls"]["lsoas"]}
    for row in shown:
        assert row["pre_mean"] == by_code[row["lsoa_code"]]["pre_mean"]
    series = viewer.client.get("/api/evaluate", params={**LUTON, "format": "csv"}).text
    assert series == analyst.client.get("/api/evaluate", params={**LUTON, "format": "csv"}).text


def test_the_pcc_page_says_the_map_is_aggregated(viewer: SignedIn) -> None:
    page = viewer.client.get("/evaluate", params=LUTON)
    assert page.status_code == 200
    assert "counted per 500 m square" in page.text and "never as points" in page.text
    rows = viewer.client.get("/api/evaluate", params=LUTON).json()["controls"]["lsoas"][:50]
    if any(r["pre_mean"] is None for r in rows):  # the page lists the first 50
        assert "(count before the start)" in page.text  # a hidden control count, said as such
