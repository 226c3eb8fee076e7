"""The app in a real browser: Debian's headless Chromium driven by Playwright.

The server runs with uvicorn on a free loopback port in a background thread,
over a copy of the bundled sample and a records database with one user per
role. Console errors fail the tests: a Content-Security-Policy violation (an
inline script or style someone added) shows up there and nowhere else.

Set HARMWATCH_SCREENSHOTS=DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from webhelpers import WebEnv, corrupt_latitude, new_env, password_for, sample_csv

from harmwatch.security.roles import Role
from harmwatch.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 from a thread; the socket is bound before it starts."""

    def __init__(self, env: WebEnv) -> None:
        import uvicorn

        self.env = env
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(env.settings()), log_level="warning", lifespan="off", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[LiveServer]:
    env = new_env(tmp_path_factory.mktemp("browser"), sample_db)
    with LiveServer(env) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page logs (CSP violations among them); each browser test asserts none."""
    return []


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    tab = context.new_page()
    # An HTTP error status is logged as "Failed to load resource"; the refusal a test
    # provokes (a 422 for a bad upload) is expected. Script errors and CSP refusals are not.
    tab.on(
        "console",
        lambda m: (
            console_errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.on("pageerror", lambda error: console_errors.append(str(error)))
    yield tab
    context.close()


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password_for(username))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")


def keep_screenshot(path: Path) -> None:
    target = os.environ.get("HARMWATCH_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def test_sign_in_and_see_hot_cells_on_the_map(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    sign_in(page, server, "analyst")
    assert page.get_by_role("heading", name="Overview").is_visible()
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)

    query = "force=hertfordshire&crime_type=Drugs&cell=500&method=gistar&patrol_km2=5"
    response = page.goto(f"{server.url}/hotspots?{query}")
    assert response.status == 200
    page.wait_for_selector('#map[data-ready="1"]', timeout=30_000)
    expected = page.evaluate(
        "q => fetch('/api/hotspots?' + q + '&cells=none').then(r => r.json())", query
    )["summary"]["hot_cells"]
    assert expected > 0
    drawn = page.locator("#map path.hw-hot").count()
    assert drawn == expected
    assert page.locator("#map").get_attribute("data-hot-cells") == str(expected)
    assert page.locator("#map path.hw-zone").count() >= 1
    assert page.locator("#map path.hw-study-area").count() == 1
    assert page.locator(".map-legend").is_visible()
    assert page.get_by_role("heading", name="LSOAs by crimes").is_visible()
    shot = tmp_path / "hotspot-map.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)
    assert console_errors == []


def test_bad_upload_shows_file_line_field_reason(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    bad = tmp_path / "2025-01-hertfordshire-street.csv"
    bad.write_text(corrupt_latitude(sample_csv(), line=42))
    sign_in(page, server, "analyst")
    page.goto(f"{server.url}/data")
    page.get_by_label("Files", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Upload and load").click()
    problem = page.locator(".problems code").first
    problem.wait_for(timeout=30_000)
    text = problem.text_content()
    assert text.startswith("2025-01-hertfordshire-street.csv:42: Latitude:"), text
    assert "Nothing was loaded" in page.locator("#upload-result .alert").text_content()
    shot = tmp_path / "bad-upload.png"
    page.screenshot(path=str(shot), full_page=False)
    keep_screenshot(shot)
    assert console_errors == []


def test_pcc_viewer_is_refused_the_data_page(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "pcc-viewer")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Data").count() == 0
    response = page.goto(f"{server.url}/data")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "pcc-viewer" in page.text_content("main")


def test_uploaded_boundary_is_drawn_and_used(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    ring = [[-0.25, 51.88], [-0.15, 51.88], [-0.15, 51.94], [-0.25, 51.94], [-0.25, 51.88]]
    geojson = tmp_path / "stevenage-box.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    sign_in(page, server, "neighbourhood-officer")
    page.goto(f"{server.url}/hotspots?force=hertfordshire&cell=250")
    page.wait_for_selector('#map[data-ready="1"]', timeout=30_000)
    page.get_by_text("Add a boundary").click()
    page.get_by_label("GeoJSON polygon(s)").set_input_files(str(geojson))
    page.get_by_label("Name").fill("Stevenage box")
    page.get_by_role("button", name="Upload and use").click()
    page.wait_for_url(re.compile(r".*boundary=[0-9a-f]{16}.*"), timeout=30_000)
    page.wait_for_selector('#map[data-ready="1"]', timeout=30_000)
    assert page.locator("#map path.hw-boundary").count() == 1
    assert "study area: boundary file" in page.locator(".map-caption").text_content()
    assert page.get_by_label("Study area", exact=True).input_value() in page.url
    shot = tmp_path / "boundary-map.png"
    page.screenshot(path=str(shot), full_page=False)
    keep_screenshot(shot)
    assert console_errors == []


def test_admin_pages(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server.url}/admin/audit")
    assert "verified to entry" in (page.locator(".chain").text_content() or "")
    page.get_by_label("Justification").fill("Monthly review of access")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_selector(".audit-table")
    assert page.url.removeprefix(server.url) == "/admin/audit"  # posted: nothing in the URL
    assert page.locator(".audit-table tbody tr").count() >= 1
    assert "Hash chain intact" in page.locator(".chain").text_content()
    shot = tmp_path / "access-log.png"
    page.screenshot(path=str(shot), full_page=False)
    keep_screenshot(shot)
    page.goto(f"{server.url}/admin/users")
    assert page.get_by_role("heading", name="Users").is_visible()
    page.goto(f"{server.url}/forecast?force=hertfordshire&cell=1000")
    assert page.get_by_role("heading", name="Flagging 5 % of the study area").is_visible()
    shot = tmp_path / "forecast.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)
    assert console_errors == []


def test_pcc_viewer_evaluates_an_intervention(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    """The form, filled as a person would, gives the API's figures, a chart and a drawn map."""
    sign_in(page, server, "pcc-viewer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Did it work?").click()
    page.get_by_label("LSOA codes", exact=True).fill("E01033803, E01033804")
    page.get_by_label("Intervention started").select_option("2025-09")
    page.get_by_label("Force", exact=True).select_option("bedfordshire")
    page.get_by_role("button", name="Evaluate").click()
    page.wait_for_selector('#eval-map[data-ready="1"]', timeout=30_000)
    expected = page.evaluate(
        "() => fetch('/api/evaluate?lsoa=E01033803,E01033804&start=2025-09"
        "&force=bedfordshire&crime_type=Drugs').then(r => r.json())"
    )
    counts = expected["counts"]
    drawn = page.locator("#eval-map").get_attribute("data-target-crimes")
    assert drawn == str(counts["target_before"] + counts["target_after"])
    assert page.locator("#eval-map path.hw-target").count() >= 1
    assert page.locator("#rate-ratio").text_content() == f"{expected['rate_ratio']:.2f}"
    assert page.locator("#did-estimate").text_content() == f"{expected['did']['estimate']:.2f}"
    assert page.locator("#eval-summary").text_content() == expected["summary"]
    assert page.locator("#eval-caveats li").count() == len(expected["caveats"])
    chart = page.locator("img.eval-chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('img.eval-chart').complete")
    assert chart.evaluate("img => img.naturalWidth") > 500
    shot = tmp_path / "evaluation.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)
    assert console_errors == []


def test_data_protection_officer_answers_a_subject_access_request(
    page: Page, server: LiveServer, tmp_path: Path, console_errors: list[str]
) -> None:
    """Declare the request as the session's purpose, search every room, read the report."""
    sign_in(page, server, "data-protection-officer")
    page.get_by_label("Case or operation you are working on").fill("SAR 2026/0042 from staff")
    page.get_by_role("button", name="Declare").click()
    assert "Working on: SAR 2026/0042 from staff" in page.locator(".purpose-bar").text_content()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subject access").click()
    page.get_by_label("Identifiers").fill("analyst, data-protection-officer")
    page.get_by_label("Justification").fill("SAR 2026/0042 from staff")
    page.get_by_role("button", name="Search every room").click()
    page.wait_for_selector("#sar-result-heading")
    report = page.locator("#sar-result-heading").text_content() or ""
    assert report.startswith("Held:")
    table = page.locator("section[aria-labelledby=sar-result-heading] table").text_content() or ""
    assert "user:analyst" in table and "user:data-protection-officer" in table
    assert "access-log entries of acts by 'data-protection-officer'" in table
    shot = tmp_path / "subject-access.png"
    page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot)
    # The declared purpose is cleared with one click.
    page.get_by_role("button", name="Clear").click()
    assert "Working on" not in (page.locator(".purpose-bar").text_content() or "")
    assert console_errors == []


# Each page with a search that works, as a person would open it.
PAGES = {
    "/": "/?force=hertfordshire",
    "/hotspots": "/hotspots?force=hertfordshire&crime_type=Drugs&cell=500&method=gistar",
    "/forecast": "/forecast?force=hertfordshire&cell=1000",
    "/evaluate": "/evaluate?lsoa=E01033803,E01033804&start=2025-09&force=bedfordshire&crime_type=Drugs",
    "/intelligence": "/intelligence",
    "/county-lines": "/county-lines",
    "/force-records": "/force-records",
    "/oversight": "/oversight?force=hertfordshire",
    "/check-claim": "/check-claim?before=1111&after=1208",
    "/safeguarding": "/safeguarding",
    "/operations": "/operations",
    "/seizures": "/seizures",
    "/covert": "/covert",
    "/programmes": "/programmes",
    "/forensics": "/forensics",
    "/data": "/data",
    "/admin/audit": "/admin/audit",
    "/admin/users": "/admin/users",
    "/records/subject-access": "/records/subject-access",
    "/records/review": "/records/review",
}
POINT = re.compile(r'"type"\s*:\s*"Point"')


def _crime_points(text: str) -> int:
    """Point features in a JSON body that are not place names (towns drawn as labels)."""
    if not POINT.search(text):
        return 0
    found = 0

    def walk(value: object) -> None:
        nonlocal found
        if isinstance(value, dict):
            geometry = value.get("geometry")
            kind = (value.get("properties") or {}).get("kind")
            if isinstance(geometry, dict) and geometry.get("type") == "Point" and kind != "place":
                found += 1
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(text))
    return found


def _log(server: LiveServer, actor: str) -> list[dict[str, object]]:
    from harmwatch.security import audit
    from harmwatch.storage.records import make_engine, session_scope

    engine = make_engine(server.env.database_url)
    try:
        with session_scope(engine) as db:
            return [audit.entry_dict(e) for e in audit.query(db, actor=actor, limit=None)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_page_as_every_role_logs_views_not_exports(
    browser: Browser, server: LiveServer, role: str
) -> None:
    """Open each page a role may see: its own layers and charts are part of the view, a
    download is a disclosure, a refused search is refused; the PCC viewer gets no points."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    bodies: list[tuple[str, str]] = []

    def keep(response: object) -> None:
        url = response.url  # type: ignore[attr-defined]
        kind = response.headers.get("content-type", "")  # type: ignore[attr-defined]
        if "json" in kind and url.startswith(server.url):
            with contextlib.suppress(Exception):  # a redirect or an aborted load has no body
                bodies.append((url, response.text()))  # type: ignore[attr-defined]

    page.on("response", keep)
    try:
        sign_in(page, server, role)
        nav = {
            a.get_attribute("href")
            for a in page.get_by_role("navigation", name="Main").get_by_role("link").all()
        }
        assert nav, role
        for href in sorted(nav):
            response = page.goto(server.url + PAGES[str(href)])
            assert response is not None and response.status == 200, (role, href)
            for selector in ("#map", "#eval-map"):
                if page.locator(selector).count():
                    page.wait_for_selector(f"{selector}[data-ready]", timeout=60_000)
            page.wait_for_load_state("networkidle")
        shown = [e for e in _log(server, role) if e["action"] == "disclosure"]
        assert not shown, [e["target"] for e in shown]  # nothing downloaded, nothing disclosed
        if "/hotspots" in nav:
            refused = page.goto(server.url + "/hotspots?months=2025-13")
            assert refused is not None and refused.status == 422
            page.goto(server.url + PAGES["/hotspots"])
            page.wait_for_selector("#map[data-ready]", timeout=60_000)
            with page.expect_download():
                page.get_by_role("link", name="Cells (CSV)").click()
            entries = _log(server, role)
            assert [e["outcome"] for e in entries if "2025-13" in str(e["details"])] == ["refused"]
            assert len([e for e in entries if e["action"] == "disclosure"]) == 1
        if role == "pcc-viewer":
            leaking = [url for url, text in bodies if _crime_points(text)]
            assert not leaking, leaking
        assert errors == []
    finally:
        context.close()
