"""The pages as their users meet them (issue 10, items 2 and 9–13): honest statuses, honest
charts, one count per name, sizes and budgets that fit, neutral colours, plain words.

Every figure a page shows is compared with the library's own call on the same store,
and figures on one page with each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from test_web_security import log_entries
from webhelpers import SignedIn, WebEnv, new_env, sign_in

from harmwatch.cli.demo import sample_dir
from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.web import create_app
from harmwatch.where.areas import area_ranking
from harmwatch.where.hotspots import hotspots
from harmwatch.where.patrol import patrol_plan
from harmwatch.where.requests import AreaRankingRequest, HotspotsRequest, PatrolPlanRequest

BEDS = {"force": "bedfordshire", "crime_type": "Drugs", "method": "gistar"}
LUTON = {"lsoa": "E01033803,E01033804", "start": "2025-09", "force": "bedfordshire"}


def text_of(html: str) -> str:
    """The page's visible words: tags, scripts and styles dropped, entities read."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def by_id(html: str, element_id: str) -> str:
    """The words of the element with this id (one not nested in another of its kind)."""
    match = re.search(rf'<(\w+)\b[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, element_id
    return text_of(match.group(2))


def number(text: str) -> int:
    return int(text.replace(",", ""))


def last_outcome(env: WebEnv, actor: str, route: str) -> str:
    entries = [e for e in log_entries(env, actor=actor) if e["target"] == f"route:{route}"]
    assert entries, route
    return str(entries[0]["outcome"])  # newest first


# -- item 2: a refused search is a 422, logged "refused", with no figures ---------------


@pytest.mark.parametrize(
    ("path", "params", "reason", "no_figures"),
    [
        (
            "/evaluate",
            {**LUTON, "lsoa": "E01999999"},
            "have no street crimes loaded",
            "eval-summary",
        ),
        ("/evaluate", {**LUTON, "end": "2025-03"}, "2025-09", "eval-summary"),
        (
            "/evaluate",
            {**LUTON, "buffer": "99999"},
            "buffer must lie between 0 and 5000",
            "eval-summary",
        ),
        ("/hotspots", {**BEDS, "months": "2025-13"}, "not a month", 'id="map"'),
        (
            "/hotspots",
            {**BEDS, "cell": "10"},
            "cell size must lie between 50 and 50000",
            'id="map"',
        ),
        ("/forecast", {**BEDS, "months": "2025-13"}, "not a month", "Months scored"),
        ("/forecast", {**BEDS, "cell": "7"}, "cell size must lie between", "Months scored"),
        (
            "/",
            {"district": "Narnia", "force": "hertfordshire"},
            "no crimes in district",
            "chart-title",
        ),
        (
            "/",
            {"crime_type": "Piracy"},
            "crime type(s) 'Piracy' are not in the data",
            "chart-title",
        ),
        ("/", {"force": "hertfordshire", "period": "2025-13"}, "not a month", "change-table"),
    ],
)
def test_a_refused_search_is_422_and_logged_refused(
    clients: dict[str, SignedIn],
    web_env: WebEnv,
    path: str,
    params: dict[str, str],
    reason: str,
    no_figures: str,
) -> None:
    page = clients["analyst"].client.get(path, params=params)
    assert page.status_code == 422, (path, params)
    alerts = [text_of(a) for a in re.findall(r'role="alert">(.*?)</div>', page.text, re.S)]
    assert any(reason in a for a in alerts), alerts
    assert "<form" in page.text  # the form is still there, to correct
    assert no_figures not in page.text  # nothing computed from a value not asked for
    assert last_outcome(web_env, "analyst", path) == "refused"


def test_a_good_search_is_200_and_logged_ok(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    for path, params in (("/hotspots", {**BEDS, "cell": "1000"}), ("/evaluate", LUTON)):
        page = clients["analyst"].client.get(path, params=params)
        assert page.status_code == 200, path
        assert last_outcome(web_env, "analyst", path) == "ok"


def test_a_bad_value_is_not_replaced_by_the_default(clients: dict[str, SignedIn]) -> None:
    """The hotspot page used to run over every month when months=2025-13; now it says so."""
    page = clients["analyst"].client.get("/hotspots", params={**BEDS, "months": "2025-13"})
    assert "Nothing was computed" in text_of(page.text)
    assert 'value="2025-13"' in page.text  # refilled as typed, not as the default
    forecast = clients["analyst"].client.get("/forecast", params={**BEDS, "months": "2025-13"})
    assert "Nothing was computed" in text_of(forecast.text)


def test_a_bad_budget_refuses_the_plan_but_not_the_map(clients: dict[str, SignedIn]) -> None:
    page = clients["analyst"].client.get(
        "/hotspots", params={**BEDS, "cell": "1000", "patrol_km2": "-3"}
    )
    assert page.status_code == 422
    assert 'id="map"' in page.text  # the map did not depend on the budget
    assert "No patrol plan: the patrol budget above could not be read." in page.text
    assert 'id="plan-totals"' not in page.text


# -- item 9: gaps break every line and every period is told as runs ---------------------


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebEnv, TestClient]]:
    """Bedfordshire with 2025-04…2025-06 missing: 9 months in 2 runs."""
    root = tmp_path_factory.mktemp("gapped")
    db = root / "gapped.duckdb"
    months = [m for m in range(1, 13) if m not in (4, 5, 6)]
    files = [
        sample_dir() / f"2025-{m:02d}" / f"2025-{m:02d}-bedfordshire-street.csv.gz" for m in months
    ]
    ingest(files, db)
    env = new_env(root / "env", db, {"analyst": Role.ANALYST})
    with TestClient(create_app(env.settings())) as client:
        sign_in(client, "analyst")
        yield env, client


RUNS = "9 months in 2 runs: Jan 2025–Mar 2025 and Jul 2025–Dec 2025"


def test_overview_breaks_lines_at_gaps_and_says_runs(
    gapped: tuple[WebEnv, TestClient],
) -> None:
    _, client = gapped
    page = client.get("/", params={"force": "bedfordshire", "crime_type": ["Drugs", "Burglary"]})
    assert page.status_code == 200
    assert by_id(page.text, "coverage-months").startswith(RUNS)
    chart = re.search(r'<svg class="chart".*?</svg>', page.text, re.S)
    assert chart
    svg = chart.group(0)
    # Two series, each drawn as two polylines (one per run): never one line across the gap.
    assert svg.count('<polyline class="chart-line') == 4
    assert "no data" in svg and "no data (not loaded): Apr 2025–Jun 2025" in svg
    for line in re.findall(r'<polyline class="chart-line[^"]*" points="([^"]+)"', svg):
        assert len(line.split()) in (3, 6)  # Jan–Mar, Jul–Dec
    # The calendar axis keeps the gap's width: 12 month positions, not 9.
    xs = sorted({float(p.split(",")[0]) for p in re.findall(r'cx="([\d.]+)"', svg)})
    assert len(xs) == 9
    step = (xs[-1] - xs[0]) / 11
    assert xs[3] - xs[2] == pytest.approx(4 * step, abs=0.2)  # Mar to Jul: four months apart
    sparks = re.findall(r'<svg class="spark".*?</svg>', page.text, re.S)
    assert sparks and all(s.count('<polyline class="spark-line"') == 2 for s in sparks)
    assert "no data for Apr 2025–Jun 2025" in sparks[0]


def test_other_pages_tell_periods_as_runs(gapped: tuple[WebEnv, TestClient]) -> None:
    _, client = gapped
    hotspot = client.get("/hotspots", params={**BEDS, "cell": "1000"})
    assert hotspot.status_code == 200
    assert f"Loaded: {RUNS}." in text_of(hotspot.text)
    caption = re.search(r'<p class="map-caption">(.*?)</p>', hotspot.text, re.S)
    assert caption and RUNS in text_of(caption.group(1))
    forecast = client.get("/forecast", params={**BEDS, "cell": "1000"})
    words = text_of(forecast.text)
    assert "Run Jan 2025–Mar 2025: 3 months, 2 scored." in words
    assert "Run Jul 2025–Dec 2025: 6 months, 5 scored." in words


# -- item 10: one definition of each count, the same in every panel ---------------------


def stat_strip(html: str) -> dict[str, int]:
    return {
        "in": number(by_id(html, "stat-in-area")),
        "outside": number(by_id(html, "stat-outside")),
    }


def test_hotspot_page_counts_agree_with_each_other_and_the_library(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    client = clients["analyst"].client
    pages = {
        cell: client.get("/hotspots", params={**BEDS, "cell": cell}) for cell in ("250", "1000")
    }
    strips = {cell: stat_strip(page.text) for cell, page in pages.items()}
    # The crimes in the study area are counted inside its outline: the same at any cell size.
    assert strips["250"] == strips["1000"]
    direct = hotspots(
        web_env.analytics_db, HotspotsRequest(forces=("bedfordshire",), cell=1000)
    ).area_counts()
    assert strips["1000"] == {"in": direct.in_area, "outside": direct.outside_area}
    assert direct.in_area + direct.outside_area == direct.located

    html = pages["1000"].text
    words = text_of(html)
    # The warning's "N of M located points lie outside" is the header's "outside it".
    warning = re.search(r"([\d,]+) of ([\d,]+) located points .{0,20}lie outside", words)
    assert warning, words[:2000]
    assert number(warning.group(1)) == strips["1000"]["outside"]
    assert number(warning.group(2)) == direct.located
    # The cells' total differs by the edge cells, and the page says by how much.
    note = by_id(html, "cells-note")
    assert f"hold {direct.in_cells:,} of the {direct.in_area:,} crimes inside it" in note
    assert f"{direct.in_edge_cells:,} lie in edge cells" in note and direct.in_edge_cells > 0
    # The LSOA ranking counts crimes with a study-area LSOA, and reconciles with the header.
    ranking = area_ranking(web_env.analytics_db, AreaRankingRequest(forces=("bedfordshire",)))
    assert ranking.crimes_inside_outline == direct.in_area
    count_note = by_id(html, "lsoa-count-note")
    assert count_note.startswith(f"{ranking.crimes_ranked:,} crimes ranked")
    assert f"the {direct.in_area:,} inside the study area's outline" in count_note
    assert f"of {ranking.crimes_ranked:,} crimes ranked" in by_id(html, "lsoa-concentration")
    # The patrol plan's crimes are the cells' crimes.
    result = hotspots(
        web_env.analytics_db, HotspotsRequest(forces=("bedfordshire",), cell=1000, method="gistar")
    )
    plan = patrol_plan(result, PatrolPlanRequest(forces=("bedfordshire",), cell=1000, area_km2=5))
    totals = by_id(html, "plan-totals")
    assert f"of the {direct.in_cells:,} crimes in them" in totals
    assert plan.totals["crimes_in_cells"] == direct.in_cells
    assert plan.totals["crimes_in_study_area"] == direct.in_area


def test_api_summary_uses_the_same_names(clients: dict[str, SignedIn]) -> None:
    summary = (
        clients["analyst"]
        .client.get("/api/hotspots", params={**BEDS, "cell": "1000", "cells": "none"})
        .json()["summary"]
    )
    assert (
        summary["points_in_study_area"] + summary["points_outside_study_area"]
        == (summary["points_selected"])
    )
    assert (
        summary["points_in_cells"] + summary["points_in_edge_cells_left_out"]
        == (summary["points_in_study_area"])
    )


# -- item 11: cells no finer than the data, budgets that fit, tables that say they are cut


@pytest.fixture(scope="module")
def small_boundary(clients: dict[str, SignedIn]) -> str:
    """About 2.9 km² of Luton town centre."""
    ring = [
        [-0.432, 51.874],
        [-0.408, 51.874],
        [-0.408, 51.890],
        [-0.432, 51.890],
        [-0.432, 51.874],
    ]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    signed = clients["analyst"]
    created = signed.client.post(
        "/api/boundaries",
        files={"file": ("luton.geojson", json.dumps(feature).encode(), "application/geo+json")},
        data={"name": "Luton centre"},
        headers={"X-CSRF-Token": signed.csrf},
    )
    assert created.status_code == 201, created.text
    assert 2.5 < created.json()["area_km2"] < 3.3
    return str(created.json()["id"])


def test_a_small_boundary_gets_cells_no_finer_than_the_data(
    clients: dict[str, SignedIn], small_boundary: str
) -> None:
    client = clients["analyst"].client
    summary = client.get(
        "/api/hotspots",
        params={"boundary": small_boundary, "force": "bedfordshire", "cells": "none"},
    ).json()["summary"]
    assert summary["cell_size_m"] == 100  # not the 25 m that 50 cells across would give
    why = next(d for d in summary["defaults_chosen"] if d.startswith("cell size"))
    assert "not the 25 m" in why and "anonymised map points" in why

    page = client.get("/hotspots", params={"boundary": small_boundary, "force": "bedfordshire"})
    assert page.status_code == 200
    note = by_id(page.text, "budget-note")
    # A tenth of the area's cells, because the usual 5 km² is larger than the whole area.
    assert "a tenth of the study area" in note and "the default 5 km² is not smaller" in note
    assert "100 %" not in by_id(page.text, "plan-totals")


def test_a_typed_budget_as_large_as_the_area_is_refused(
    clients: dict[str, SignedIn], small_boundary: str
) -> None:
    client = clients["analyst"].client
    params = {"boundary": small_boundary, "force": "bedfordshire", "patrol_km2": "5"}
    page = client.get("/hotspots", params=params)
    assert page.status_code == 422
    assert "is not smaller than the study area" in by_id(page.text, "plan-error")
    assert 'id="map"' in page.text  # the hotspots themselves were asked for and shown
    api = client.get(
        "/api/patrol", params={"boundary": small_boundary, "force": "bedfordshire", "area_km2": "5"}
    )
    assert api.status_code == 422 and "not smaller than the study area" in api.json()["detail"]


def test_cut_tables_say_so(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    params = {"force": "hertfordshire", "cell": "250", "method": "count", "patrol_km2": "20"}
    page = clients["analyst"].client.get("/hotspots", params=params)
    assert page.status_code == 200
    result = hotspots(
        web_env.analytics_db, HotspotsRequest(forces=("hertfordshire",), cell=250, method="count")
    )
    plan = patrol_plan(result, PatrolPlanRequest(forces=("hertfordshire",), cell=250, area_km2=20))
    assert len(plan.zones) > 15
    assert by_id(page.text, "zones-cut").startswith(
        f"The 15 zones with most crimes, of {len(plan.zones):,}; download all as CSV"
    )
    ranking = area_ranking(web_env.analytics_db, AreaRankingRequest(forces=("hertfordshire",)))
    assert by_id(page.text, "lsoa-cut").startswith(
        f"The 20 LSOAs with most crimes, of {len(ranking.table):,} ranked"
    )


# -- item 12: police-generated crime types are coloured neutrally, never by colour alone --


def test_drug_changes_are_not_green_or_red(clients: dict[str, SignedIn]) -> None:
    page = (
        clients["analyst"]
        .client.get("/", params={"force": "hertfordshire", "crime_type": ["Drugs", "Burglary"]})
        .text
    )
    found = re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', page, re.S)
    rows = {name: row for name, row in found if 'class="spark"' in row}  # every crime type
    drugs, burglary = rows["Drugs"], rows["Burglary"]
    assert "chg-up" not in drugs and "chg-down" not in drugs
    assert "chg-neutral" in drugs or "chg-flat" in drugs or "chg-none" in drugs
    assert "chg-up" in burglary or "chg-down" in burglary or "chg-flat" in burglary
    # The direction is also an arrow and a sign, for whoever cannot tell red from green.
    assert re.search(r"[↑↓→] [+-]\d", drugs) and re.search(r"[↑↓→] [+-]\d", burglary)
    assert "less searching rather than less crime" in page


# -- item 13: plain words, no command-line terms, force names, small p-values -------------


CLI_TERMS = re.compile(r"harmwatch [a-z]|--[a-z]|lsoa_share|lsoa-list|`")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {"force": "hertfordshire"}),
        ("/", {}),
        ("/hotspots", {"force": "hertfordshire", "cell": "1000"}),
        ("/forecast", {"force": "hertfordshire", "cell": "1000"}),
        ("/evaluate", LUTON),
        ("/evaluate", {}),
    ],
)
def test_pages_use_no_command_line_terms(
    clients: dict[str, SignedIn], path: str, params: dict[str, str]
) -> None:
    for role in ("analyst", "pcc-viewer"):
        page = clients[role].client.get(path, params=params)
        if page.status_code == 403:
            continue
        words = text_of(page.text)
        found = CLI_TERMS.search(words)
        assert found is None, (role, path, words[max(0, found.start() - 80) : found.end() + 80])


def test_forecast_page_explains_its_statistics(clients: dict[str, SignedIn]) -> None:
    words = text_of(
        clients["analyst"]
        .client.get("/forecast", params={"force": "hertfordshire", "cell": "1000"})
        .text
    )
    for term in (
        "Hit rate",
        "PAI (predictive accuracy index)",
        "PEI (predictive efficiency index)",
        "prospective",
    ):
        assert term in words, term
    # A "best" is marked only with the note saying whether the months can tell it apart.
    assert "month-to-month" in words


def test_summaries_name_forces_and_round_small_p_values(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    direct = change(web_env.analytics_db, ChangeRequest(baseline_fallback=True))
    assert "e-" not in direct.sentence and "bedfordshire" not in direct.sentence
    assert (
        "the areas of Bedfordshire Police, Cambridgeshire Constabulary, Hertfordshire Constabulary"
        in (direct.sentence)
    )
    page = clients["pcc-viewer"].client.get("/").text
    assert unescape(direct.sentence) in unescape(page)
    assert not re.search(r"\d\.\d+e-\d+", page)
    hotspot = clients["analyst"].client.get("/hotspots", params={**BEDS, "cell": "1000"}).text
    caption = re.search(r'<p class="map-caption">(.*?)</p>', hotspot, re.S)
    assert caption and "Bedfordshire Police" in caption.group(1)


def test_evaluation_page_says_what_each_figure_means(clients: dict[str, SignedIn]) -> None:
    words = text_of(clients["pcc-viewer"].client.get("/evaluate", params=LUTON).text)
    for term in (
        "Rate ratio, after ÷ before",
        "difference-in-differences",
        "weighted displacement quotient",
        "95 % CI",
    ):
        assert term in words, term
