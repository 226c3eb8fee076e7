"""The forensic reviewer in Chromium: the queue, one retest recorded end to end, WCAG 2.2 AA.

The demo's SYNTHETIC casework (three forces, a FICTIONAL provider's incident) behind a
live server; the reviewer declares the review, opens the incident, requests a retest
of the top case's sample from the queue, marks it sent to another provider, records
the result and compares it with the original — every step a form on the page — and
axe-core finds nothing on each page met on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from test_accessibility import axe_source, csp_free_page, violations
from test_browser import CHROMIUM, LiveServer, browser, sign_in
from webhelpers import new_intelligence_env

from harmwatch.forensics import demo
from harmwatch.forensics.models import ExhibitResult
from harmwatch.storage.records import make_engine, session_scope

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

__all__ = ["axe_source", "browser", "csp_free_page"]
PURPOSE = "Northgate incident review: retests of affected samples"


@pytest.fixture(scope="module")
def review(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> Iterator[tuple[LiveServer, int]]:
    env, _ = new_intelligence_env(tmp_path_factory.mktemp("forensics-browser"), sample_db)
    engine = make_engine(env.database_url)
    seeded = demo.seed(engine, "hertfordshire", "demo-unit")
    engine.dispose()
    with LiveServer(env) as live:
        yield live, int(seeded["incident_id"])


def _original(server: LiveServer, exhibit_id: int) -> ExhibitResult:
    engine = make_engine(server.env.database_url)
    try:
        with session_scope(engine) as db:
            from sqlalchemy import select

            row = db.scalars(
                select(ExhibitResult)
                .where(ExhibitResult.exhibit_id == exhibit_id)
                .order_by(ExhibitResult.seq)
            ).first()
            assert row is not None
            db.expunge(row)
            return row
    finally:
        engine.dispose()


def test_the_queue_and_one_retest_end_to_end(
    review: tuple[LiveServer, int], csp_free_page: Page, axe_source: str
) -> None:
    server, incident_id = review
    page = csp_free_page
    sign_in(page, server, "forensic-reviewer")
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        if problems := violations(page, axe_source):
            found[name] = problems

    page.goto(f"{server.url}/forensics")
    check("index")
    page.locator("#purpose-input").fill(PURPOSE)
    page.locator("#purpose-input").press("Enter")
    page.wait_for_load_state()
    page.goto(f"{server.url}/forensics/incidents/{incident_id}")
    queue = page.locator("#queue")
    expect(queue).to_be_visible()
    check("incident")
    first = queue.locator("tbody tr").first
    expect(first.locator("td").nth(3)).not_to_be_empty()  # its reason for the place
    # The first case of the reviewer's own force (another force's reviewer retests its own).
    request = queue.get_by_role("button", name="Request retest: exhibit").first
    label = request.get_attribute("aria-label") or ""
    exhibit_id = int(label.split("exhibit ")[1].split(" ")[0])
    request.click()
    page.wait_for_load_state()
    retest = page.locator("article.retest").first
    expect(retest).to_contain_text("requested")
    check("requested")
    today = date.today().isoformat()
    retest.get_by_label("Sent on").fill(today)
    retest.get_by_label("Provider retesting it").select_option(index=1)
    retest.get_by_role("button", name="Mark sent").click()
    page.wait_for_load_state()
    retest = page.locator("article.retest").first
    expect(retest).to_contain_text("sent")
    original = _original(server, exhibit_id)
    retest.get_by_label("Analyte", exact=True).fill(original.analyte)
    retest.get_by_label("Value", exact=True).fill(original.value)
    retest.get_by_label("Unit", exact=True).fill(original.unit)
    if original.uncertainty:
        retest.get_by_label("Uncertainty (±, in the unit)").fill(original.uncertainty)
    retest.get_by_label("Reported on").fill(today)
    retest.get_by_role("button", name="Record the result").click()
    page.wait_for_load_state()
    check("resulted")
    page.locator("article.retest").first.get_by_role(
        "button", name="Compare with the original"
    ).click()
    page.wait_for_load_state()
    retest = page.locator("article.retest").first
    expect(retest).to_contain_text("compared")
    # The same value again: unchanged, or inconclusive when it sits within the limit's uncertainty.
    text = retest.inner_text()
    assert "unchanged" in text or "inconclusive" in text, text
    check("compared")
    page.goto(f"{server.url}/forensics/exhibits/{exhibit_id}")
    expect(page.get_by_text("retest")).not_to_have_count(0)
    check("exhibit")  # with its custody and result forms
    # A custody event added from the exhibit's page joins its chain.
    yesterday = date.fromordinal(date.today().toordinal() - 1).isoformat()
    page.get_by_label("At (required)").fill(f"{yesterday} 09:00")
    page.get_by_label("Action (required)").select_option("stored")
    page.get_by_label("Handled by (required)").fill("DC SYNTHETIC")
    page.get_by_label("Location (required)").fill("Hertfordshire evidence store")
    page.get_by_role("button", name="Add to the chain").click()
    page.wait_for_load_state()
    expect(page.get_by_role("cell", name="Hertfordshire evidence store")).not_to_have_count(0)
    page.goto(f"{server.url}/forensics/new/case")
    check("new case form")
    assert found == {}
