"""The oversight room over HTTP: each API is the library's answer, each role gets what it may.

An app of its own over a copy of the bundled sample with a month of real stop-and-search
(Bedfordshire, 2021-05) loaded too, and the demo's SYNTHETIC records of Hertfordshire
(intelligence, Op Lantern, one programme of each type) seeded by the demo's own code,
every account working in Hertfordshire's ``demo-unit`` as the demo's do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webhelpers import (
    SignedIn,
    WebEnv,
    access_log_of,
    new_intelligence_env,
    sign_in,
    with_stop_and_search,
)

from harmwatch.kernel.principal import Principal
from harmwatch.operations import demo as operations_demo
from harmwatch.oversight.claims import check_claim
from harmwatch.oversight.crime_outcomes import crime_outcomes
from harmwatch.oversight.framework import load_framework
from harmwatch.oversight.measures import MeasuresReport, compute
from harmwatch.oversight.population import shipped_population
from harmwatch.oversight.stop_search import stop_search
from harmwatch.programmes import demo as programmes_demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine
from harmwatch.web import create_app
from harmwatch.web.jsontools import jsonable

FORCE = "hertfordshire"
UNIT = "demo-unit"
THREE = ("hertfordshire", "bedfordshire", "cambridgeshire")
# Op Lantern's results fall in March to September 2025: a period that holds some.
PERIOD = "2025-07:2025-09"
SMALL = re.compile(r"^[1-4]$")


@dataclass
class World:
    env: WebEnv
    app: Any
    signed: dict[str, SignedIn]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[World]:
    env, _ = new_intelligence_env(tmp_path_factory.mktemp("oversight-web"), sample_db)
    with_stop_and_search(env)
    engine = make_engine(env.database_url)
    operations_demo.seed(engine, FORCE, UNIT)
    programmes_demo.seed_demo(
        engine, Principal("analyst", Role.ANALYST, FORCE, frozenset({UNIT}), "system")
    )
    engine.dispose()
    app = create_app(env.settings())
    clients = {name: TestClient(app) for name in ("analyst", "pcc-viewer", "admin")}
    signed = {name: SignedIn(c, sign_in(c, name), name) for name, c in clients.items()}
    yield World(env, app, signed)
    for client in clients.values():
        client.close()


def plain_json(payload: Any) -> Any:
    """A library result as the API writes it (numpy unwrapped, tuples as lists, NaN as null)."""
    return json.loads(json.dumps(jsonable(payload)))


def principal(username: str) -> Principal:
    return Principal(username, Role(username), FORCE, frozenset({UNIT}), "web")


def library_measures(
    world: World, username: str, forces: tuple[str, ...], *, published: bool
) -> MeasuresReport:
    """``compute`` as the CLI calls it, for the same user the web signed in."""
    engine = make_engine(world.env.database_url)
    try:
        return compute(
            world.env.analytics_db, forces, ("2025-07", "2025-09"), framework=load_framework(),
            engine=engine, principal=principal(username), published=published,
            population=shipped_population(), client="test",
        )  # fmt: skip
    finally:
        engine.dispose()


def entries(world: World, actor: str) -> list[dict[str, Any]]:
    return access_log_of(world.env.database_url, actor)


def small_counts(value: Any, keys: frozenset[str], where: str = "") -> list[str]:
    """Counts from 1 to 4 under ``keys`` anywhere in a JSON body."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4:
                found.append(f"{where}.{k}={v}")
            found += small_counts(v, keys, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += small_counts(v, keys, f"{where}[{i}]")
    return found


SEARCH_COUNTS = frozenset(
    {"searches", "finds", "link_blank", "other_outcome_searches", "other_outcome_finds",
     "arrests", "not_stated"}
)  # fmt: skip
OUTCOME_COUNTS = frozenset(
    {"crimes", "without_crime_id", "from_outcomes", "from_street", "outcome_before_crime"}
)
MEASURE_COUNTS = frozenset(
    {"value", "baseline", "baseline_value", "denominator", "before", "after"}
)


def data_counts(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-count="(\d+)"', html)]


# -- check a claim ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"before": 1111, "after": 1208},
        {"before": 1111, "after": 1208, "crime_type": "hate-crime"},
        {"before": 40, "after": 12, "before_months": 12, "after_months": 3, "crime_type": "drugs"},
        {"before": 0, "after": 0},
    ],
)
def test_the_claim_api_is_the_librarys_answer(world: World, query: dict[str, Any]) -> None:
    response = world.signed["pcc-viewer"].client.get("/api/check-claim", params=query)
    assert response.status_code == 200, response.text
    before, after = query["before"], query["after"]
    rest = {k: v for k, v in query.items() if k not in ("before", "after")}
    assert response.json() == plain_json(check_claim(before, after, **rest).to_dict())


def test_the_claim_page_answers_in_one_sentence_with_the_interval(world: World) -> None:
    page = world.signed["pcc-viewer"].client.get(
        "/check-claim", params={"before": "1,111", "after": "1208"}
    )
    assert page.status_code == 200
    answer = unescape(re.search(r'id="claim-answer">([^<]*)<', page.text).group(1))  # type: ignore[union-attr]
    assert "1.087 (1.001–1.181" in answer
    assert "only just beyond what chance alone produces" in answer
    caveats = re.findall(r"<li>([^<]*)</li>", page.text.split('id="claim-caveats"')[1])
    assert len(caveats) == len(check_claim(1111, 1208).caveats)
    # The library's pointer to the command line is put in the page's words.
    assert "harmwatch evaluate" not in page.text and "Did it work?" in caveats[-1]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"before": "abc", "after": "12"}, "before: must be a whole number"),
        ({"before": "-3", "after": "12"}, "a count cannot be negative"),
        ({"before": "10", "after": "12.5"}, "after: must be a whole number"),
        ({"before": "10", "after": "12", "after_months": "0"}, "must be more than 0 months"),
        ({"before": "10", "after": "12", "crime_type": "burglary"}, "is not one of"),
    ],
)
def test_a_claim_that_cannot_be_checked_is_refused_on_the_page_and_logged(
    world: World, query: dict[str, str], words: str
) -> None:
    signed = world.signed["analyst"]
    page = signed.client.get("/check-claim", params=query)
    assert page.status_code == 422
    assert words in unescape(page.text) and 'id="claim-answer"' not in page.text
    logged = next(e for e in entries(world, "analyst") if e["target"] == "route:/check-claim")
    assert logged["outcome"] == "refused" and logged["details"]["status"] == 422


def test_the_claim_api_refuses_what_cannot_be_compared(world: World) -> None:
    client = world.signed["analyst"].client
    negative = client.get("/api/check-claim", params={"before": -1, "after": 3})
    assert negative.status_code == 422 and "cannot be negative" in negative.json()["detail"]
    assert client.get("/api/check-claim", params={"before": "x", "after": 3}).status_code == 422
    assert client.get("/api/check-claim", params={"after": 3}).status_code == 422
    logged = [e for e in entries(world, "analyst") if e["target"] == "route:/api/check-claim"]
    assert [e["outcome"] for e in logged[:3]] == ["refused"] * 3


# -- the measures -------------------------------------------------------------------------------


def test_the_pcc_viewer_gets_the_published_measures_even_when_asking_for_working_figures(
    world: World,
) -> None:
    client = world.signed["pcc-viewer"].client
    got = client.get(
        "/api/oversight/measures",
        params={"force": list(THREE), "period": PERIOD, "working_figures": "true"},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["published"] is True
    expected = library_measures(world, "pcc-viewer", THREE, published=True)
    assert body == plain_json(expected.to_dict())
    assert small_counts(body, MEASURE_COUNTS) == []


def test_an_analyst_gets_working_figures_for_police_uk_data_when_asking(world: World) -> None:
    client = world.signed["analyst"].client
    working = client.get(
        "/api/oversight/measures",
        params={"force": list(THREE), "period": PERIOD, "working_figures": "true"},
    ).json()
    assert working == plain_json(
        library_measures(world, "analyst", THREE, published=False).to_dict()
    )
    assert working["published"] is False
    # By default the figures are the published ones, as on the command line.
    default = client.get("/api/oversight/measures", params={"force": list(THREE), "period": PERIOD})
    assert default.json() == plain_json(
        library_measures(world, "analyst", THREE, published=True).to_dict()
    )
    drugs = next(m for m in working["measures"] if m["key"] == "drug-offences")
    assert drugs["available"] and [f["force"] for f in drugs["forces"]] == list(THREE)
    assert drugs["total"]["value"] == sum(f["value"] for f in drugs["forces"])


def test_each_role_gets_the_records_measures_its_rooms_allow(world: World) -> None:
    def lines_closed(username: str) -> dict[str, Any]:
        body = world.signed[username].client.get(
            "/api/oversight/measures",
            params={
                "force": FORCE, "period": PERIOD, "measure": "county-lines-closed",
                "working_figures": "true",
            },
        ).json()  # fmt: skip
        (measure,) = body["measures"]
        return measure

    analyst, pcc, admin = (lines_closed(u) for u in ("analyst", "pcc-viewer", "admin"))
    assert analyst["available"] and isinstance(analyst["value"], int) and analyst["value"] > 0
    assert pcc["available"]  # the operations room gives a PCC viewer the figures, never a name
    if analyst["value"] < 5:
        assert pcc["value"] == "fewer than 5"
    else:
        assert pcc["value"] == analyst["value"]
    assert not admin["available"] and admin["reason"]  # an admin may not see operations


def test_the_dashboard_shows_the_apis_figures_side_by_side_and_in_total(world: World) -> None:
    client = world.signed["pcc-viewer"].client
    params = {"force": list(THREE), "period": PERIOD}
    page = client.get("/oversight", params=params)
    assert page.status_code == 200
    body = client.get("/api/oversight/measures", params=params).json()
    drugs = next(m for m in body["measures"] if m["key"] == "drug-offences")
    row = page.text.split('id="m-drug-offences"')[1].split("</tr>")[0]
    shown = [int(n) for n in re.findall(r'data-count="(\d+)"', row)]
    assert shown == [f["value"] for f in drugs["forces"]] + [drugs["total"]["value"]]
    assert "Published figures." in page.text and "Working figures" not in page.text
    assert "Hertfordshire Constabulary" in page.text  # forces as they write their names
    assert "ONS mid-year population estimates" in page.text and "residents of 20" in page.text
    assert all(n == 0 or n >= 5 for n in data_counts(page.text))


def test_a_measure_page_has_its_chart_and_table_and_says_what_they_mean(world: World) -> None:
    client = world.signed["pcc-viewer"].client
    page = client.get(
        "/oversight/measure",
        params={"key": "drug-offences", "force": list(THREE), "period": PERIOD},
    )
    assert page.status_code == 200
    assert 'src="data:image/png;base64,' in page.text
    assert "The figures the chart draws" in page.text
    meaning = page.text.split('id="meaning-heading"')[1].split("</ul>")[0]
    assert meaning.count("<li>") == 4  # three forces and the total
    assert "for every 1,000 residents" in meaning


@pytest.mark.parametrize("path", ["/oversight", "/oversight/measure", "/check-claim"])
def test_pages_use_no_command_line_words(world: World, path: str) -> None:
    params: dict[str, Any] = {"force": FORCE, "key": "drug-possession", "before": "5", "after": "9"}
    page = world.signed["analyst"].client.get(path, params=params)
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text)
    assert not re.search(r"(?<![\w-])--[a-z]", text), re.findall(r".{40}--[a-z].{20}", text)
    assert not re.search(r"\bharmwatch (?:evaluate|ingest|crimes|measures|report)\b", text)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/oversight", {"force": "atlantis"}),
        ("/oversight", {"force": FORCE, "period": "2025-13"}),
        ("/oversight/measure", {"force": FORCE, "key": "no-such-measure"}),
        ("/oversight/stop-search", {"months": "2025-13"}),
        ("/oversight/stop-search", {"force": FORCE}),  # no stop-and-search files for it
        ("/oversight/outcomes", {"force": "bedfordshire", "crime_type": "Nonsense"}),
        ("/oversight/report", {"period": "2025-10"}),  # no force
        ("/api/oversight/measures", {"force": "atlantis"}),
        ("/api/oversight/measures", {"force": FORCE, "period": "2025-01,2025-03"}),
        ("/api/oversight/stop-search", {"force": FORCE}),
        ("/api/oversight/outcomes", {"force": FORCE, "months": "2019-01"}),
    ],
)
def test_refusals_answer_422_and_are_logged_refused(
    world: World, path: str, params: dict[str, str]
) -> None:
    response = world.signed["analyst"].client.get(path, params=params)
    assert response.status_code == 422, response.text[:300]
    latest = next(e for e in entries(world, "analyst") if e["target"] == f"route:{path}")
    assert latest["outcome"] == "refused"


# -- stop and search, outcomes ----------------------------------------------------------------


def test_stop_search_is_the_librarys_and_the_pcc_viewer_always_gets_it_suppressed(
    world: World,
) -> None:
    result = stop_search(world.env.analytics_db, ["bedfordshire"], None)
    params = {"force": "bedfordshire"}
    analyst = world.signed["analyst"].client.get("/api/oversight/stop-search", params=params)
    assert analyst.json() == plain_json(result.to_dict())
    published = world.signed["analyst"].client.get(
        "/api/oversight/stop-search", params={**params, "suppressed": "true"}
    )
    assert published.json() == plain_json(result.to_dict(suppressed=True))
    pcc = world.signed["pcc-viewer"].client.get("/api/oversight/stop-search", params=params)
    assert pcc.json() == published.json()
    # The month has groups of one to four searches: the analyst sees them, the PCC does not.
    assert small_counts(analyst.json(), SEARCH_COUNTS)
    assert small_counts(pcc.json(), SEARCH_COUNTS) == []
    page = world.signed["pcc-viewer"].client.get("/oversight/stop-search", params=params)
    assert page.status_code == 200
    assert data_counts(page.text) and all(n == 0 or n >= 5 for n in data_counts(page.text))
    assert "fewer than 5" in page.text


def test_outcomes_are_the_librarys_and_the_pcc_viewer_always_gets_them_suppressed(
    world: World,
) -> None:
    result = crime_outcomes(world.env.analytics_db, ["bedfordshire"], None, "Drugs")
    params = {"force": "bedfordshire", "crime_type": "Drugs"}
    analyst = world.signed["analyst"].client.get("/api/oversight/outcomes", params=params).json()
    assert analyst == plain_json(result.to_dict())
    pcc = world.signed["pcc-viewer"].client.get("/api/oversight/outcomes", params=params).json()
    assert pcc == plain_json(result.to_dict(suppressed=True))
    assert small_counts(pcc, OUTCOME_COUNTS) == []
    page = world.signed["pcc-viewer"].client.get("/oversight/outcomes", params=params)
    assert page.status_code == 200
    assert all(n == 0 or n >= 5 for n in data_counts(page.text))
    crimes = pcc["crimes"]
    assert f'data-count="{crimes}"' in page.text


# -- the report --------------------------------------------------------------------------------


def test_reading_the_report_is_a_consultation_and_the_pdf_a_disclosure(world: World) -> None:
    signed = world.signed["pcc-viewer"]
    query = {"force": FORCE, "period": PERIOD}
    page = signed.client.get("/oversight/report", params=query)
    assert page.status_code == 200
    assert "PUBLISHED VERSION" in page.text  # a PCC viewer: the published version only
    assert "script-src" not in page.headers["content-security-policy"]
    assert "<script" not in page.text
    link = re.search(r'href="(/oversight/report\.pdf\?[^"]+)"[^>]*>Download PDF', page.text)
    assert link
    before = [e for e in entries(world, "pcc-viewer") if e["action"] == "disclosure"]
    pdf = signed.client.get(unescape(link.group(1)))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    log = entries(world, "pcc-viewer")
    viewed = next(e for e in log if e["target"] == "route:/oversight/report")
    assert viewed["action"] == "consultation" and viewed["outcome"] == "ok"
    assert viewed["details"]["published"] is True
    taken = [e for e in log if e["action"] == "disclosure"]
    assert len(taken) == len(before) + 1
    assert taken[0]["target"] == "route:/oversight/report.pdf"
    assert taken[0]["details"]["recipient"] == "pcc-viewer"
    assert taken[0]["details"]["pdf_bytes"] == len(pdf.content)


def test_the_analyst_chooses_which_version_of_the_report(world: World) -> None:
    client = world.signed["analyst"].client
    query = {"force": FORCE, "period": PERIOD}
    working = client.get("/oversight/report", params=query).text
    published = client.get("/oversight/report", params={**query, "published": "1"}).text
    assert ">OFFICIAL<" in working and "PUBLISHED VERSION" not in working
    assert "PUBLISHED VERSION" in published
    assert "Open the version to publish" in working
