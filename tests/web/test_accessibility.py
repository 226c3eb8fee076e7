"""WCAG 2.2 AA in a real browser: axe-core over every page, as every role, with its data drawn.

Public-sector websites and apps must meet WCAG 2.2 AA. axe-core (vendored from npm in
``tests/web/vendor/axe-core``; the app never serves it) is run in Debian's Chromium
over the sign-in page and every page each role's navigation offers, after its maps
and charts are drawn, and must find no violation of the WCAG A and AA rules. The
page is loaded with the Content-Security-Policy bypassed only so that the test can
inject axe; the app itself is served as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PAGES, LiveServer, browser, server, sign_in

from harmwatch.security.roles import Role

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

__all__ = ["browser", "server"]  # the browser tests' fixtures, shared

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} element(s), e.g. {v['nodes'][0]['target']}: "
        f"{v['help']}"
        for v in result["violations"]
    ]


@pytest.fixture
def csp_free_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_the_sign_in_page(server: LiveServer, csp_free_page: Page, axe_source: str) -> None:
    csp_free_page.goto(f"{server.url}/login")
    assert violations(csp_free_page, axe_source) == []


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_page_of_every_role(
    server: LiveServer, csp_free_page: Page, axe_source: str, role: str
) -> None:
    page = csp_free_page
    sign_in(page, server, role)
    nav = sorted(
        str(a.get_attribute("href"))
        for a in page.get_by_role("navigation", name="Main").get_by_role("link").all()
    )
    found: dict[str, list[str]] = {}
    for href in nav:
        page.goto(server.url + PAGES[href])
        for selector in ("#map", "#eval-map"):
            if page.locator(selector).count():
                page.wait_for_selector(f"{selector}[data-ready]", timeout=60_000)
        problems = violations(page, axe_source)
        if problems:
            found[href] = problems
    # A refused search and a page the role may not open are pages people meet too.
    page.goto(server.url + "/hotspots?months=2025-13")
    if problems := violations(page, axe_source):
        found["refused search or not allowed"] = problems
    assert found == {}


FOCUSABLE = (
    "a[href], summary, button:not([disabled]), input:not([disabled]):not([type=hidden]), "
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"
)


@pytest.mark.parametrize("href", ["/", "/hotspots", "/forecast", "/evaluate", "/data"])
def test_every_control_is_reached_by_the_keyboard_in_order(
    server: LiveServer, csp_free_page: Page, href: str
) -> None:
    """Tab from the top reaches every visible control once, starting with "Skip to content"."""
    page = csp_free_page
    sign_in(page, server, "analyst")
    page.goto(server.url + PAGES[href])
    for selector in ("#map", "#eval-map"):
        if page.locator(selector).count():
            page.wait_for_selector(f"{selector}[data-ready]", timeout=60_000)
    expected = page.evaluate(
        """sel => {
            // A radio group is one tab stop (arrow keys move within it): its checked
            // button, else its first. Controls in a closed <details> are not shown.
            const seen = new Set();
            return Array.from(document.querySelectorAll(sel))
              .filter(e => e.checkVisibility())
              .filter(e => {
                if (e.type !== 'radio') return true;
                const group = document.querySelectorAll(`input[type=radio][name="${e.name}"]`);
                const stop = Array.from(group).find(r => r.checked) || group[0];
                return e === stop;
              })
              .map((e, i) => { e.dataset.kbd = String(i); return i; });
        }""",
        FOCUSABLE,
    )
    reached: list[str] = []
    page.keyboard.press("Tab")
    for _ in range(2 * len(expected) + 10):
        key = page.evaluate("() => document.activeElement && document.activeElement.dataset.kbd")
        if reached and key == reached[0]:
            break  # round to the start: every stop seen
        if key is not None:
            reached.append(key)
        page.keyboard.press("Tab")
    first = page.evaluate("() => document.querySelector('[data-kbd=\"0\"]').textContent.trim()")
    assert first == "Skip to content"
    assert reached[0] == "0"
    missed = sorted(set(expected) - {int(k) for k in reached})
    names = page.evaluate(
        'ks => ks.map(k => { const e = document.querySelector(`[data-kbd="${k}"]`); '
        "return e.tagName + ' ' + String(e.getAttribute('name') || e.getAttribute('href') "
        "|| e.id || e.textContent.trim().slice(0, 30)); })",
        missed,
    )
    assert not missed, names
    assert len(reached) == len(set(reached))  # each once
