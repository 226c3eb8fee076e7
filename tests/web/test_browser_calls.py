"""The intelligence officer in Chromium on the county-lines page: declare a purpose, upload a
small SYNTHETIC scenario and watch the progress bar reach done, run detection, accept a line and
find it in the intelligence graph; the page passes axe at each step.

Its own server: every account in Hertfordshire's ``demo-unit``, the demo's fictional
intelligence seeded, and a scenario from the county-lines generator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_accessibility import AXE, violations
from test_browser import CHROMIUM, LiveServer, browser, sign_in
from webhelpers import new_intelligence_env, small_call_scenario

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
__all__ = ["browser"]

PURPOSE = "Op Hypernova: the Stevenage county lines"
REFERENCE = "CDA/2026/0107"


@pytest.fixture(scope="module")
def calls_server(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> Iterator[tuple[LiveServer, dict[str, Path]]]:
    root = tmp_path_factory.mktemp("browser-calls")
    env, _ = new_intelligence_env(root / "env", sample_db)
    scenario = small_call_scenario(root / "scenario")
    with LiveServer(env) as live:
        yield live, scenario


def _errors(page: Page) -> list[str]:
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
    return errors


def _declare(page: Page) -> None:
    page.get_by_label("Case or operation you are working on").fill(PURPOSE)
    page.get_by_role("button", name="Declare").click()
    page.wait_for_selector(".purpose-bar strong")


def test_the_officer_imports_detects_and_accepts_a_line_into_the_graph(
    browser: Browser, calls_server: tuple[LiveServer, dict[str, Path]]
) -> None:
    server, scenario = calls_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors = _errors(page)
    try:
        sign_in(page, server, "intelligence-officer")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="County lines").click()
        assert "Nothing has been read yet" in page.locator("main").inner_text()
        assert page.locator("#import-form").count() == 0
        _declare(page)
        page.wait_for_url(f"{server.url}/county-lines")

        page.get_by_label("Call-data files", exact=True).set_input_files(str(scenario["calls"]))
        page.get_by_label("Import spec (.toml or .json)").set_input_files(str(scenario["spec"]))
        page.get_by_label("Legal basis").select_option("ipa-part3")
        page.get_by_label("Authority reference").fill(REFERENCE)
        page.get_by_label("Synthetic data (a generated scenario, not real people)").check()
        page.get_by_role("button", name="Import", exact=True).click()
        page.wait_for_selector("#import-form[data-state]")
        assert page.locator("#import-progress").is_visible()
        page.wait_for_selector("#import-form[data-state='done']", timeout=120_000)
        assert page.locator("#import-progress").evaluate("bar => bar.value") == 100
        assert "1 file(s) imported" in page.locator("#import-result").inner_text()
        page.wait_for_selector("#call-files[data-refreshed]")
        files = page.locator("#call-files tbody").inner_text()
        assert "calls.csv.gz" in files and REFERENCE in files and "SYNTHETIC" in files

        page.get_by_role("button", name="Run detection").click()
        page.wait_for_selector("#detection", timeout=120_000)
        assert page.locator("#synthetic-banner").is_visible()
        first = page.locator("section.county-line").first
        line_id = first.get_attribute("data-line")
        assert line_id
        assert first.locator("caption").first.inner_text().startswith(line_id)
        first.get_by_role("button", name=f"Accept {line_id} into intelligence").click()
        page.wait_for_selector("#accepted")
        assert f"{line_id} accepted into intelligence" in page.locator("#accepted").inner_text()

        page.locator("#accepted-entity").click()
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text().startswith(line_id)
        links = page.locator("main table tbody").first.inner_text()
        assert "deal-line" in links and "+447" in links
        assert errors == []
    finally:
        context.close()


def test_the_county_lines_page_meets_wcag_aa(
    browser: Browser, calls_server: tuple[LiveServer, dict[str, Path]]
) -> None:
    server, _ = calls_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, server, "intelligence-officer")
        axe = AXE.read_text(encoding="utf-8")
        found = {}
        page.goto(f"{server.url}/county-lines")  # before a purpose: the page asks for one
        if problems := violations(page, axe):
            found["ask"] = problems
        _declare(page)
        page.goto(f"{server.url}/county-lines")
        if problems := violations(page, axe):
            found["page"] = problems
        page.get_by_role("button", name="Run detection").click()
        page.wait_for_load_state()
        if problems := violations(page, axe):
            found["detection"] = problems
        assert found == {}
    finally:
        context.close()
