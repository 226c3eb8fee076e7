"""The intelligence officer in Chromium: the demo's link chart, the path from the local dealer to
the county line, and the same hops and reports on the page as the API gives; the pages pass axe.

Its own server: every account in Hertfordshire's ``demo-unit`` and the demo's fictional
intelligence seeded by the demo's own code, as ``harmwatch serve --demo`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_accessibility import AXE, violations
from test_browser import CHROMIUM, LiveServer, browser, sign_in
from webhelpers import new_intelligence_env

from harmwatch.security import audit
from harmwatch.storage.records import make_engine, session_scope

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
__all__ = ["browser"]

PURPOSE = "Op Demo: briefing on the TONY line"


@pytest.fixture(scope="module")
def intel_server(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> Iterator[tuple[LiveServer, dict[str, int]]]:
    env, ids = new_intelligence_env(tmp_path_factory.mktemp("browser-intel"), sample_db)
    with LiveServer(env) as live:
        yield live, ids


@pytest.fixture
def officer(
    browser: Browser, intel_server: tuple[LiveServer, dict[str, int]]
) -> Iterator[tuple[Page, list[str]]]:
    server, _ = intel_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    sign_in(page, server, "intelligence-officer")
    page.get_by_label("Case or operation you are working on").fill(PURPOSE)
    page.get_by_role("button", name="Declare").click()
    yield page, errors
    context.close()


def _cells(page: Page, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )


def test_the_officer_finds_the_path_from_the_dealer_to_the_line(
    officer: tuple[Page, list[str]], intel_server: tuple[LiveServer, dict[str, int]]
) -> None:
    page, errors = officer
    server, ids = intel_server
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Intelligence").click()
    page.get_by_role("link", name="Link chart").click()
    page.get_by_label("From").select_option(label="Jay Fictional (person)")
    page.get_by_label("To").select_option(label="TONY line (fictional) (county-line)")
    page.get_by_role("button", name="Find path").click()
    page.wait_for_selector("#link-chart[data-ready='1']", timeout=60_000)
    api = page.request.get(f"{server.url}/api/intelligence/path?from={ids['jay']}&to={ids['tony']}")
    assert api.ok, api.text()
    path = api.json()["paths"][0]
    labels = {n["id"]: n["label"] for n in api.json()["chart"]["nodes"]}
    shown = _cells(page, "#path-hops")
    assert [(row[1], row[3]) for row in shown] == [
        (labels[h["from"]], labels[h["to"]]) for h in path["hops"]
    ]
    for row, hop in zip(shown, path["hops"], strict=True):
        for report in hop["reports"]:
            assert report["reference"] in row[4] and report["grade"] in row[4]
    assert [r[1] for r in shown] == ["Jay Fictional", "Kez Fictional"]
    weakest = page.locator("#weakest-hop").inner_text()
    assert path["weakest_hop"]["reports"][0]["reference"] in weakest
    assert "DI approval" in page.locator("#link-chart-conditions").inner_text()
    assert page.locator("#link-chart").get_attribute("data-path") == "found"
    assert errors == []


def test_a_chart_download_is_logged_as_a_disclosure_once_conditions_are_acknowledged(
    officer: tuple[Page, list[str]], intel_server: tuple[LiveServer, dict[str, int]]
) -> None:
    page, errors = officer
    server, ids = intel_server
    page.goto(f"{server.url}/intelligence/chart?entity={ids['jay']}&hops=2")
    page.wait_for_selector("#link-chart[data-ready='1']", timeout=60_000)
    page.get_by_label("Download for (recipient, logged)").fill("Bedfordshire intelligence bureau")
    page.get_by_role("button", name="Download PNG").click()
    page.wait_for_selector("#link-chart-error:not([hidden])")
    assert "acknowledge" in page.locator("#link-chart-error").inner_text()
    page.get_by_label("I have read the handling conditions and will meet them").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG").click()
    assert download.value.suggested_filename.endswith(".png")
    engine = make_engine(server.env.database_url)
    try:
        with session_scope(engine) as db:
            entries = audit.query(db, actor="intelligence-officer", action="disclosure", limit=None)
    finally:
        engine.dispose()
    assert [(e.outcome, e.details.get("recipient")) for e in reversed(entries)] == [
        ("refused", "Bedfordshire intelligence bureau"),
        ("ok", "Bedfordshire intelligence bureau"),
    ]
    assert errors == []


def test_the_intelligence_pages_meet_wcag_aa(
    browser: Browser, intel_server: tuple[LiveServer, dict[str, int]]
) -> None:
    server, ids = intel_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, server, "intelligence-officer")
        axe = AXE.read_text(encoding="utf-8")
        found = {}
        page.goto(f"{server.url}/intelligence")  # before a purpose: the page asks for one
        if problems := violations(page, axe):
            found["ask"] = problems
        page.get_by_label("Case or operation you are working on").fill(PURPOSE)
        page.get_by_role("button", name="Declare").click()
        for name, url in {
            "index": "/intelligence",
            "report": f"/intelligence/reports/{ids['HC-DEMO-0003']}",
            "entity": f"/intelligence/entities/{ids['kez']}",
            "chart": f"/intelligence/chart?entity={ids['jay']}&to={ids['tony']}",
        }.items():
            page.goto(server.url + url)
            if name == "chart":
                page.wait_for_selector("#link-chart[data-ready='1']", timeout=60_000)
            if problems := violations(page, axe):
                found[name] = problems
        assert found == {}
    finally:
        context.close()
