"""The operations pages in Chromium: WCAG 2.2 AA with the demo's Op Lantern drawn, and a form
that checks as you type (with the server's own words) before anything is posted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_accessibility import axe_source, csp_free_page, violations
from test_browser import CHROMIUM, LiveServer, browser, console_errors, page, sign_in
from webhelpers import new_intelligence_env

from harmwatch.covert import demo as covert_demo
from harmwatch.kernel.principal import Principal
from harmwatch.operations import demo
from harmwatch.programmes import demo as programmes_demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

__all__ = ["axe_source", "browser", "console_errors", "csp_free_page", "page"]
PURPOSE = "Op Lantern: accessibility review of the pages"


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[LiveServer]:
    env, _ = new_intelligence_env(tmp_path_factory.mktemp("ops-browser"), sample_db)
    engine = make_engine(env.database_url)
    seeded = demo.seed(engine, "hertfordshire", "demo-unit")
    covert_demo.seed(engine, "hertfordshire", "demo-unit")
    programmes_demo.seed_demo(
        engine, Principal("analyst", Role.ANALYST, "hertfordshire", frozenset({"demo-unit"}))
    )
    engine.dispose()
    assert seeded["operation_id"] == 1
    with LiveServer(env) as live:
        yield live


def _declare(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/operations")
    page.locator("#purpose-input").fill(PURPOSE)
    page.locator("#purpose-input").press("Enter")
    page.wait_for_load_state()


ANALYST_PAGES = (
    "/operations",
    "/operations/summary?operation=1",
    "/operations/1",
    "/operations/new",
    "/operations/1/results/new?kind=line-closure",
    "/operations/results/1",
    "/operations/import",
    "/seizures",
    "/seizures/prices",
    "/programmes",
    "/programmes/new",
    "/programmes/1",
)
OFFICER_PAGES = ("/covert", "/covert/new", "/covert/1", "/covert/3")


def test_every_operations_page_meets_wcag_aa(
    ops_server: LiveServer, csp_free_page: Page, axe_source: str
) -> None:
    page = csp_free_page
    sign_in(page, ops_server, "analyst")
    _declare(page, ops_server)
    found = {}
    for href in ANALYST_PAGES:
        response = page.goto(ops_server.url + href)
        assert response is not None and response.status == 200, href
        if problems := violations(page, axe_source):
            found[href] = problems
    # A refused form is a page people meet too.
    page.goto(ops_server.url + "/operations/new")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    if problems := violations(page, axe_source):
        found["refused form"] = problems
    assert found == {}


def test_the_authorisation_pages_meet_wcag_aa(
    ops_server: LiveServer, csp_free_page: Page, axe_source: str
) -> None:
    page = csp_free_page
    sign_in(page, ops_server, "intelligence-officer")
    _declare(page, ops_server)
    found = {}
    for href in OFFICER_PAGES:
        response = page.goto(ops_server.url + href)
        assert response is not None and response.status == 200, href
        if problems := violations(page, axe_source):
            found[href] = problems
    page.goto(ops_server.url + "/covert")
    assert "review overdue" in page.content()  # the demo's alerts, on the day
    assert found == {}


def test_the_pcc_viewers_pages_meet_wcag_aa(
    ops_server: LiveServer, csp_free_page: Page, axe_source: str
) -> None:
    page = csp_free_page
    sign_in(page, ops_server, "pcc-viewer")
    found = {}
    for href in ("/operations", "/operations/summary?operation=1", "/programmes"):
        page.goto(ops_server.url + href)
        if problems := violations(page, axe_source):
            found[href] = problems
    assert found == {}
    assert "SYNTHETIC Person" not in page.content()


def test_the_form_checks_as_you_type(
    ops_server: LiveServer, page: Page, console_errors: list[str]
) -> None:
    sign_in(page, ops_server, "analyst")
    page.goto(f"{ops_server.url}/operations/1/results/new?kind=cash-seizure")
    amount = page.get_by_label("Amount (required)")
    amount.fill("a lot")
    amount.blur()
    error = page.locator("#amount-error")
    expect(error).to_have_text(
        "Error: 'a lot' is not an amount in pounds, like 1250.50", timeout=5000
    )
    expect(amount).to_have_attribute("aria-invalid", "true")
    # Fields not touched yet are not shouted at while the user is still on the first one.
    expect(page.locator("#officer-error")).to_be_hidden()
    amount.fill("1,250.50")
    amount.blur()
    expect(error).to_be_hidden(timeout=5000)
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    assert console_errors == []
