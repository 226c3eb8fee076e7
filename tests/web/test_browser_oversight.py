"""The PCC dashboard in Chromium: nothing personal anywhere in what the pages fetched, no small
count shown, WCAG 2.2 AA on every page, and a claim checked in one sentence.

A server over a copy of the bundled sample with a month of real stop-and-search loaded
(Bedfordshire, 2021-05), and the demo's SYNTHETIC records of Hertfordshire — intelligence,
Op Lantern's results, authorisations, programmes and the forensic review — seeded by the
demo's own code, every account working in Hertfordshire's ``demo-unit`` as the demo's do.
The PCC viewer opens the dashboard for one force and for three, drills into a measure, the
report, stop and search and outcomes, follows the pages' data links and downloads the PDF;
every response the browser received is kept and searched.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_accessibility import axe_source, csp_free_page, violations
from test_browser import CHROMIUM, LiveServer, browser, console_errors, page, sign_in
from test_pcc_aggregates_only import Crimes, coordinates_in, numbers_in_text
from webhelpers import access_log_of, new_intelligence_env, with_stop_and_search

from harmwatch.covert import demo as covert_demo
from harmwatch.forensics import demo as forensic_demo
from harmwatch.intelligence import demo as intelligence_demo
from harmwatch.kernel.principal import Principal
from harmwatch.operations import demo as operations_demo
from harmwatch.programmes import demo as programmes_demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, Response

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

__all__ = ["axe_source", "browser", "console_errors", "csp_free_page", "page"]

FORCE = "hertfordshire"
UNIT = "demo-unit"
PERIOD = "2025-07:2025-09"  # Op Lantern's results fall in March to September 2025
ONE = f"/oversight?force={FORCE}&period={PERIOD}"
THREE = f"/oversight?force={FORCE}&force=bedfordshire&force=cambridgeshire&period={PERIOD}"
DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")
PHONE = re.compile(r"7700\s?900\s?\d{3}")
COUNT_KEYS = frozenset(
    {"value", "baseline", "baseline_value", "denominator", "before", "after", "searches",
     "finds", "link_blank", "arrests", "crimes", "without_crime_id", "from_outcomes",
     "from_street", "other_outcome_searches", "other_outcome_finds", "not_stated"}
)  # fmt: skip


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[LiveServer]:
    env, _ = new_intelligence_env(tmp_path_factory.mktemp("oversight-browser"), sample_db)
    with_stop_and_search(env)
    engine = make_engine(env.database_url)
    operations_demo.seed(engine, FORCE, UNIT)
    covert_demo.seed(engine, FORCE, UNIT)
    forensic_demo.seed(engine, FORCE, UNIT)
    programmes_demo.seed_demo(
        engine, Principal("analyst", Role.ANALYST, FORCE, frozenset({UNIT}), "system")
    )
    engine.dispose()
    with LiveServer(env) as live:
        yield live


@pytest.fixture(scope="module")
def crimes(demo_server: LiveServer) -> Crimes:
    return Crimes(demo_server.env.analytics_db)


def personal_data() -> list[str]:
    """The demo's people as its seeders made them: names, aliases, dates of birth."""
    found = ["SYNTHETIC Person", "SYNTHETIC PERSON", "(fictional)"]
    for draft in intelligence_demo._ENTITIES.values():
        if draft.kind != "person":
            continue
        found += [draft.label, *draft.aliases]
        born: date | None = draft.date_of_birth
        if born is not None:
            found += [born.isoformat(), born.strftime("%d/%m/%Y"), f"{born.day} {born:%B %Y}"]
    return found


def personal_in(text: str, where: str) -> list[str]:
    found = [f"{where}: {name!r}" for name in personal_data() if name in text]
    return found + [f"{where}: phone {m}" for m in PHONE.findall(text)]


def small_counts(value: Any, where: str) -> list[str]:
    """Counts from 1 to 4 in a JSON body (the suppression rule shows them as words)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in COUNT_KEYS and type(item) is int and 1 <= item <= 4:
                found.append(f"{where}.{key} = {item}")
            found += small_counts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += small_counts(item, f"{where}[{i}]")
    return found


def shown_counts(page: Page) -> list[int]:
    """Every count a page marks up as a count (tables, figures), as shown."""
    return [
        int(n)
        for n in page.eval_on_selector_all("[data-count]", "els => els.map(e => e.dataset.count)")
    ]


def log_of(server: LiveServer, actor: str) -> list[dict[str, Any]]:
    return access_log_of(server.env.database_url, actor)


def test_nothing_personal_reaches_the_pcc_viewer_from_the_dashboard(
    demo_server: LiveServer, page: Page, crimes: Crimes, console_errors: list[str]
) -> None:
    server = demo_server
    bodies: list[tuple[str, str, bytes]] = []

    def keep(response: Response) -> None:
        if response.url.startswith(server.url):
            with contextlib.suppress(Exception):  # a redirect or a download has no body here
                bodies.append(
                    (response.url, response.headers.get("content-type", ""), response.body())
                )

    page.on("response", keep)
    sign_in(page, server, "pcc-viewer")
    shown: dict[str, list[int]] = {}

    def visit(url: str) -> None:
        response = page.goto(server.url + url)
        assert response is not None and response.status == 200, url
        shown[url] = shown_counts(page)

    visit(ONE)
    assert page.get_by_role("heading", name=re.compile("Hertfordshire Constabulary")).is_visible()
    visit(THREE)
    glance = page.locator("table.glance")
    assert glance.get_by_role("columnheader", name="All forces", exact=True).is_visible()
    assert "Published figures." in (page.locator("main").text_content() or "")
    # Drill into a section: a measure of police.uk data, one the records rooms count (small
    # for three forces: each shown as the rule words it), then the board report.
    page.get_by_role("link", name="Drug offences (police.uk)").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="What this means").is_visible()
    shown["measure"] = shown_counts(page)
    page.goto(server.url + THREE)
    page.get_by_role("link", name="County lines closed").click()
    page.wait_for_load_state()
    hidden = [n for n in shown_counts(page) if 1 <= n <= 4]
    assert hidden == [] and "fewer than 5" in (
        page.locator("#measure-figures").text_content() or ""
    )
    page.goto(server.url + THREE)
    with page.expect_navigation():
        page.get_by_role("link", name="Open the report").click()
    assert "PUBLISHED VERSION" in (page.locator("body").text_content() or "")
    shown["report"] = shown_counts(page)
    for link in ("Stop and search in Bedfordshire Police", "Outcomes of drug crimes in"):
        page.goto(server.url + THREE)
        page.get_by_role("link", name=re.compile(re.escape(link))).click()
        page.wait_for_load_state()
        shown[link] = shown_counts(page)
        # What the page offers as data is part of what the viewer receives.
        page.goto(server.url + (page.get_by_role("link", name="JSON").get_attribute("href") or ""))
    page.goto(server.url + THREE)
    page.goto(server.url + (page.get_by_role("link", name="JSON").get_attribute("href") or ""))
    page.goto(server.url + THREE)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    assert len(bodies) > 10 and sum("json" in kind for _, kind, _ in bodies) >= 3
    found: list[str] = []
    for url, kind, body in bodies:
        if "json" in kind:
            payload = json.loads(body)
            found += coordinates_in(payload, crimes, url)
            found += small_counts(payload, url)
            found += personal_in(body.decode(), url)
        elif kind.startswith("text/"):
            text = DATA_URI.sub("", body.decode())
            found += numbers_in_text(text, crimes, url)
            found += personal_in(text, url)
    assert found == [], "\n".join(found[:20])
    assert all(counts for counts in shown.values()), shown  # each page shows its counts …
    small = {url: [n for n in counts if 1 <= n <= 4] for url, counts in shown.items()}
    assert all(not n for n in small.values()), small  # … and none from 1 to 4
    taken = [e for e in log_of(server, "pcc-viewer") if e["action"] == "disclosure"]
    assert [e["target"] for e in taken] == ["route:/oversight/report.pdf"]  # the one download
    assert console_errors == []


def test_every_oversight_page_meets_wcag_aa_as_the_pcc_viewer(
    demo_server: LiveServer, csp_free_page: Page, axe_source: str
) -> None:
    page = csp_free_page
    sign_in(page, demo_server, "pcc-viewer")
    found: dict[str, list[str]] = {}
    for url in (
        "/oversight",
        ONE,
        THREE,
        f"/oversight/measure?key=drug-offences&force={FORCE}&force=bedfordshire&period={PERIOD}",
        f"/oversight/measure?key=treatment-entry-rate&force={FORCE}&period={PERIOD}",
        "/oversight/stop-search?force=bedfordshire",
        "/oversight/outcomes?force=bedfordshire&crime_type=Drugs",
        "/check-claim?before=1111&after=1208&crime_type=hate-crime",
        "/check-claim?before=eleven&after=12",
    ):
        page.goto(demo_server.url + url)
        if problems := violations(page, axe_source):
            found[url] = problems
    assert found == {}, "\n".join(f"{u}: {p}" for u, p in found.items())


def test_the_report_in_the_browser_meets_wcag_aa(
    demo_server: LiveServer, csp_free_page: Page, axe_source: str
) -> None:
    page = csp_free_page
    sign_in(page, demo_server, "pcc-viewer")
    page.goto(f"{demo_server.url}/oversight/report?force={FORCE}&period={PERIOD}")
    assert page.get_by_role("navigation", name="Report").is_visible()
    assert violations(page, axe_source) == []


def test_a_claim_is_checked_in_one_sentence_and_a_bad_one_refused(
    demo_server: LiveServer, page: Page, console_errors: list[str]
) -> None:
    sign_in(page, demo_server, "pcc-viewer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Check a claim").click()
    page.get_by_label("Earlier count").fill("1111")
    page.get_by_label("Later count").fill("1208")
    page.get_by_role("button", name="Check").click()
    answer = page.locator("#claim-answer").text_content() or ""
    assert "1.087 (1.001–1.181" in answer, answer
    assert "only just beyond what chance alone produces" in answer
    assert page.locator("#claim-caveats li").count() >= 4
    page.get_by_label("Earlier count").fill("a thousand")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Check").click()
    assert refused.value is not None and refused.value.status == 422
    assert "must be a whole number" in (page.get_by_role("alert").text_content() or "")
    assert page.locator("#claim-answer").count() == 0
    entries = [
        e
        for e in log_of(demo_server, "pcc-viewer")
        if e["target"] == "route:/check-claim" and "a thousand" in json.dumps(e["details"])
    ]
    assert [e["outcome"] for e in entries] == ["refused"]
    assert console_errors == []
