"""The evaluation page and /api/evaluate serve what ``harmwatch evaluate`` computes.

Every figure is compared with a direct call of the library on the same store (or
with an independent count), the refusals with the library's reasons, and the
files with the numbers they must hold.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape as html_unescape
from pathlib import Path

import duckdb
import pytest
from test_web_security import log_entries
from webhelpers import SignedIn, WebEnv

from harmwatch.evaluation.evaluate import evaluate
from harmwatch.evaluation.requests import EvaluateRequest
from harmwatch.web.evaluations import read_evaluation_form

LUTON = "E01033803,E01033804"
QUERY = {"lsoa": LUTON, "start": "2025-09", "force": "bedfordshire", "crime_type": "Drugs"}


@pytest.fixture(scope="module")
def direct(web_env: WebEnv) -> dict[str, object]:
    result = evaluate(
        web_env.analytics_db,
        EvaluateRequest(
            start="2025-09",
            lsoa=tuple(LUTON.split(",")),
            crime_types=("Drugs",),
            forces=("bedfordshire",),
        ),
    )
    return result.to_dict()


def test_api_json_is_the_library_result(
    clients: dict[str, SignedIn], direct: dict[str, object]
) -> None:
    body = clients["analyst"].client.get("/api/evaluate", params=QUERY).json()
    for key in ("rate_ratio", "ci_low", "ci_high", "p_value", "counts", "did", "wdq", "series"):
        assert body[key] == json.loads(json.dumps(direct[key])), key
    assert body["controls"]["count"] == direct["controls"]["count"]  # type: ignore[index]
    assert body["summary"] == direct["summary"]


def test_counts_agree_with_an_independent_count(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    body = clients["analyst"].client.get("/api/evaluate", params=QUERY).json()
    con = duckdb.connect(str(web_env.analytics_db), read_only=True)
    try:
        before, after = con.execute(
            "SELECT count(*) FILTER (WHERE month < DATE '2025-09-01'), "
            "count(*) FILTER (WHERE month >= DATE '2025-09-01') FROM street "
            "WHERE force = 'bedfordshire' AND crime_type = 'Drugs' "
            "AND lsoa_code IN ('E01033803', 'E01033804') "
            "AND x IS NOT NULL",
        ).fetchone()
    finally:
        con.close()
    assert body["counts"]["target_before"] == before
    assert body["counts"]["target_after"] == after
    assert body["pre_period"] == ["2025-01", "2025-08"]
    assert body["post_period"] == ["2025-09", "2025-12"]


def test_page_shows_figures_summary_caveats_and_defaults(
    clients: dict[str, SignedIn], direct: dict[str, object]
) -> None:
    page = clients["pcc-viewer"].client.get("/evaluate", params=QUERY)
    assert page.status_code == 200
    html = page.text
    assert 'href="/evaluate" aria-current="page"' in html
    summary = re.search(r'<p class="lead" id="eval-summary">(.*?)</p>', html, re.S)
    assert summary and html_unescape(summary.group(1).strip()) == direct["summary"]
    assert f'id="rate-ratio">{direct["rate_ratio"]:.2f}<' in html
    assert f'id="did-estimate">{direct["did"]["estimate"]:.2f}<' in html  # type: ignore[index]
    for caveat in direct["caveats"]:  # type: ignore[attr-defined]
        assert caveat in html_unescape(html)
    assert "police-recorded drug offences are proactive" in html
    assert "the last month of the loaded run holding the start" in html  # a default, said
    assert "/api/evaluate?start=2025-09&amp;force=bedfordshire" in html
    assert html.count('class="alert alert-error"') == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2025-01"}, "no pre-period"),
        ({"start": "2026-03"}, "the start month 2026-03 is not loaded"),
        ({"start": "2025-09", "end": "2026-02"}, "2026-01…2026-02"),
        ({"lsoa": "E01999999"}, "have no street crimes loaded"),
        ({"lsoa": "E0103380"}, "not LSOA codes: E0103380"),
        ({"cells": "12"}, "give one target only"),
        ({"lsoa": "", "cells": ""}, "give the target area"),
        ({"start": "Sept 2025"}, "start month must look like 2025-09"),
        ({"buffer": "-5"}, "buffer must lie between 0 and 5000"),
        ({"n_controls": "2.5"}, "number of controls must be a whole number"),
    ],
)
def test_refusals_are_named_beside_the_form(
    clients: dict[str, SignedIn], params: dict[str, str], message: str
) -> None:
    page = clients["analyst"].client.get("/evaluate", params={**QUERY, **params})
    assert page.status_code == 200
    errors = re.findall(r'<div class="alert alert-error" role="alert">(.*?)</div>', page.text)
    assert any(message in html_unescape(e) for e in errors), errors
    assert 'id="eval-summary"' not in page.text  # no number that looks valid


def test_api_refuses_with_the_reason(clients: dict[str, SignedIn]) -> None:
    client = clients["analyst"].client
    no_pre = client.get("/api/evaluate", params={**QUERY, "start": "2025-01"})
    assert no_pre.status_code == 422
    assert "no pre-period" in no_pre.json()["detail"]
    bad_month = client.get("/api/evaluate", params={**QUERY, "start": "2025-13"})
    assert bad_month.status_code == 422
    two = client.get("/api/evaluate", params={**QUERY, "cells": "1", "cell": "500"})
    assert two.status_code == 422 and "one target only" in two.json()["detail"]


def test_files_hold_the_figures(clients: dict[str, SignedIn], direct: dict[str, object]) -> None:
    client = clients["analyst"].client
    series = client.get("/api/evaluate", params={**QUERY, "format": "csv"})
    assert series.headers["content-type"].startswith("text/csv")
    assert "attachment" in series.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(series.text)))
    assert [r["month"] for r in rows] == [f"2025-{m:02d}" for m in range(1, 13)]
    counts = direct["counts"]
    assert sum(int(r["target"]) for r in rows if r["period"] == "before") == counts["target_before"]  # type: ignore[index]
    assert sum(int(r["buffer"]) for r in rows if r["period"] == "after") == counts["buffer_after"]  # type: ignore[index]

    controls = client.get("/api/evaluate", params={**QUERY, "format": "csv", "table": "controls"})
    control_rows = list(csv.DictReader(io.StringIO(controls.text)))
    assert len(control_rows) == direct["controls"]["count"]  # type: ignore[index]
    assert not {r["lsoa_code"] for r in control_rows} & set(LUTON.split(","))

    png = client.get("/api/evaluate", params={**QUERY, "format": "png"})
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"

    layers = client.get("/api/evaluate", params={**QUERY, "format": "geojson"}).json()
    kinds = {f["properties"]["kind"] for f in layers["features"]}
    assert {"target", "buffer", "target-points", "buffer-points"} <= kinds
    drawn = sum(
        f["properties"]["n"]
        for f in layers["features"]
        if f["properties"]["kind"] == "target-points"
    )
    assert drawn == counts["target_before"] + counts["target_after"]  # type: ignore[index]
    lon, lat = next(f for f in layers["features"] if f["geometry"]["type"] == "Point")["geometry"][
        "coordinates"
    ]
    assert -1 < lon < 0 and 51.8 < lat < 52  # Luton, in WGS84


def test_grid_cell_target_counts_the_hotspot_cells(clients: dict[str, SignedIn]) -> None:
    """Cell ids as /api/hotspots numbers them select the crimes those cells hold."""
    client = clients["analyst"].client
    cells = client.get(
        "/api/hotspots", params={"force": "bedfordshire", "cell": "1000", "method": "count"}
    ).json()["cells"]
    top = sorted(cells, key=lambda c: -c["n"])[:3]
    ids = ",".join(str(c["cell_id"]) for c in top)
    body = client.get(
        "/api/evaluate",
        params={"cells": ids, "cell": "1000", "start": "2025-09", "force": "bedfordshire"},
    ).json()
    counted = body["counts"]["target_before"] + body["counts"]["target_after"]
    assert counted == sum(c["n"] for c in top)
    assert body["target"]["kind"] == "cells"


def test_uploaded_boundary_target_is_named_not_located(
    clients: dict[str, SignedIn], tmp_path: Path
) -> None:
    signed = clients["analyst"]
    ring = [[-0.44, 51.87], [-0.40, 51.87], [-0.40, 51.90], [-0.44, 51.90], [-0.44, 51.87]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    upload = signed.client.post(
        "/api/boundaries",
        files={"file": ("luton-box.geojson", json.dumps(feature).encode(), "application/geo+json")},
        data={"name": "Luton centre box"},
        headers={"x-csrf-token": signed.csrf},
    )
    assert upload.status_code == 201, upload.text
    boundary = upload.json()["id"]
    body = signed.client.get(
        "/api/evaluate", params={"boundary": boundary, "start": "2025-09", "force": "bedfordshire"}
    ).json()
    assert body["target"]["description"] == "uploaded boundary 'Luton centre box'"
    assert body["counts"]["target_before"] > 0
    page = signed.client.get("/evaluate", params={"boundary": boundary, "start": "2025-09"})
    assert "Luton centre box" in page.text
    assert "uploads" not in page.text and str(tmp_path) not in page.text


def test_every_evaluation_is_logged(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    clients["neighbourhood-officer"].client.get("/evaluate", params=QUERY)
    clients["neighbourhood-officer"].client.get("/api/evaluate", params={**QUERY, "format": "csv"})
    entries = log_entries(web_env, actor="neighbourhood-officer")
    page = [e for e in entries if e["target"] == "route:/evaluate"]
    assert page and page[-1]["action"] == "consultation"
    raw = page[-1]["details"]
    details = json.loads(raw) if isinstance(raw, str) else raw
    assert details["start"] == "2025-09"
    assert details["target_before"] > 0
    assert any(
        e["action"] == "disclosure" and e["target"] == "route:/api/evaluate" for e in entries
    )


def test_form_reader_fills_defaults_and_keeps_lists() -> None:
    query, problems = read_evaluation_form({"start": "2025-09", "lsoa": "e01033803 E01033804;"})
    assert problems == [] and query is not None
    assert query.lsoa == ("E01033803", "E01033804")
    assert query.crime_types == ("Drugs",) and query.buffer_m == 500.0 and query.end is None
    assert read_evaluation_form({"lsoa": LUTON}) == (None, [])  # nothing asked yet
    _, problems = read_evaluation_form(
        {"start": "2025-09", "lsoa": LUTON, "controls": "E01017466", "n_controls": "5"}
    )
    assert problems == ["name control LSOAs or ask for a number of them, not both"]
