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

from harmwatch.evaluation.evaluate import Evaluation, evaluate
from harmwatch.evaluation.requests import EvaluateRequest
from harmwatch.web.evaluations import read_evaluation_form

LUTON = "E01033803,E01033804"
QUERY = {"lsoa": LUTON, "start": "2025-09", "force": "bedfordshire", "crime_type": "Drugs"}


@pytest.fixture(scope="module")
def luton(web_env: WebEnv) -> Evaluation:
    """The library's evaluation of QUERY, as the web's routes should give it."""
    return evaluate(
        web_env.analytics_db,
        EvaluateRequest(
            start="2025-09",
            lsoa=tuple(LUTON.split(",")),
            crime_types=("Drugs",),
            forces=("bedfordshire",),
        ),
    )


@pytest.fixture(scope="module")
def direct(luton: Evaluation) -> dict[str, object]:
    return luton.to_dict()


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
    assert page.status_code == 422  # refused, as /api/evaluate refuses the same mistake
    assert 'id="evaluate-form"' in page.text  # the form is still there to correct
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


# -- Aggregates only, place names and the form's lists (issue 10, items 6 and 14) -----------


def test_the_aggregated_evaluation_holds_squares_and_no_location(luton: Evaluation) -> None:
    """What a role without street-level sight gets: counts per national-grid 500 m square,
    through the small-number rule, adding up to the published totals."""
    import numpy as np
    import shapely

    from harmwatch.evaluation.aggregates import SQUARE_M, aggregate
    from harmwatch.outputs.suppression import Status

    full = luton
    agg = aggregate(full)
    assert agg.map_points == {} and full.map_points  # no coordinates left to draw
    table = agg.squares.table
    for row, kind in enumerate(("target", "buffer")):
        total = full.counts[f"{kind}_before"] + full.counts[f"{kind}_after"]
        assert int(table.cells[row].sum()) == total
        assert table.shown_row_totals()[row] == total  # published as the headline says
        hidden = [k for k in range(len(agg.squares)) if table.status[row, k] is not Status.SHOWN]
        assert len(hidden) != 1  # one hidden square would be the total minus the rest
    assert agg.squares.left_off == () and table.safe
    # Each square counts the crimes whose point lies in it.
    x, y = full.map_points["target"]
    for k in range(len(agg.squares)):
        x0, y0, x1, y1 = agg.squares.box(k)
        inside = int(((x >= x0) & (x < x1) & (y >= y0) & (y < y1)).sum())
        assert inside == int(table.cells[0, k])
        assert x0 % SQUARE_M == 0 and y0 % SQUARE_M == 0  # the national grid, not a fitted one
    # The LSOA target is drawn as the squares it covers, never its snap-point discs.
    corners = np.asarray(shapely.get_coordinates(agg.drawn_target))
    assert np.all(corners % SQUARE_M == 0)
    assert agg.drawn_target.contains(full.target.geometry.buffer(-1))
    # Figures unchanged; the control table's counts suppressed with their total published.
    assert agg.counts == full.counts and agg.rate_ratio == full.rate_ratio
    controls = agg.control_counts
    assert int(controls.cells.sum()) == full.counts["controls_before"]
    assert controls.shown_column_totals() == [full.counts["controls_before"]]
    assert controls.safe


def test_the_pcc_viewer_downloads_suppressed_control_counts(
    clients: dict[str, SignedIn],
) -> None:
    pcc = clients["pcc-viewer"].client
    text = pcc.get("/api/evaluate", params={**QUERY, "format": "csv", "table": "controls"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "pre_count" in rows[0]
    hidden = [r for r in rows if r["pre_count"] in ("fewer than 5", "withheld")]
    assert hidden and all(r["pre_mean"] == "" and r["distance"] == "" for r in hidden)
    shown = [int(r["pre_count"]) for r in rows if r not in hidden]
    assert all(v == 0 or v >= 5 for v in shown)
    analyst = clients["analyst"].client
    full = analyst.get("/api/evaluate", params={**QUERY, "format": "csv", "table": "controls"})
    assert "pre_count" not in full.text.splitlines()[0]  # street-level roles: unchanged


def test_the_evaluation_map_names_its_places(clients: dict[str, SignedIn]) -> None:
    for role in ("analyst", "pcc-viewer"):
        layers = clients[role].client.get("/api/evaluate", params={**QUERY, "format": "geojson"})
        body = layers.json()
        assert "GeoNames" in body["attribution"] and "CC BY 4.0" in body["attribution"]
        places = [f for f in body["features"] if f["properties"]["kind"] == "place"]
        assert "Luton" in {f["properties"]["name"] for f in places}, role
        assert all("min_zoom" in f["properties"] for f in places)


def test_the_places_route_serves_the_hotspot_map_labels(clients: dict[str, SignedIn]) -> None:
    client = clients["analyst"].client
    body = client.get("/api/places", params={"bbox": "-0.75,51.6,0.1,52.1"}).json()
    assert body["type"] == "FeatureCollection" and "GeoNames" in body["attribution"]
    names = {f["properties"]["name"] for f in body["features"]}
    assert {"Luton", "Watford", "St Albans", "Stevenage"} <= names
    default = client.get("/api/places").json()  # around the loaded forces
    assert {"Bedford", "Cambridge", "Peterborough"} <= {
        f["properties"]["name"] for f in default["features"]
    }
    bad = client.get("/api/places", params={"bbox": "1,2,3"})
    assert bad.status_code == 422 and "four numbers" in bad.json()["detail"]
    huge = client.get("/api/places", params={"bbox": "-40,0,40,80"})
    assert huge.status_code == 422
    assert clients["pcc-viewer"].client.get("/api/places").status_code == 403


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/evaluate", {**QUERY, "crime_type": "Vehicle crime"}),
        ("/", {"crime_type": "Vehicle crime"}),
        ("/hotspots", {"force": "bedfordshire", "crime_type": "Vehicle crime", "cell": "1000"}),
    ],
)
def test_the_crime_type_list_opens_on_the_chosen_types(
    clients: dict[str, SignedIn], path: str, params: dict[str, str]
) -> None:
    """A list box opens at its top: the chosen types are listed first, so they are seen."""
    page = clients["analyst"].client.get(path, params=params).text
    select = re.search(r'<select id="crime_type"[^>]*>(.*?)</select>', page, re.S)
    assert select, path
    options = re.findall(r"<option value=\"([^\"]*)\"( selected)?>", select.group(1))
    assert options[0] == ("Vehicle crime", " selected"), options[:3]
    rest = [value for value, chosen in options[1:]]
    assert rest == sorted(rest) and "Vehicle crime" not in rest


def test_the_data_tables_can_be_redrawn_after_an_upload(clients: dict[str, SignedIn]) -> None:
    """upload.js replaces #data-tables with the same part of a fresh /data after a load."""
    page = clients["admin"].client.get("/data")
    if page.status_code != 200:
        page = clients["analyst"].client.get("/data")
    assert page.status_code == 200
    assert page.text.count('id="data-tables"') == 1
    tables = page.text.split('id="data-tables"', 1)[1]
    assert "coverage-heading" in tables and "prov-heading" in tables
    script = (Path(__file__).parents[2] / "src/harmwatch/web/static/js/upload.js").read_text()
    assert 'getElementById("data-tables")' in script and "refreshTables" in script


def test_a_breakdown_the_rule_cannot_protect_is_left_off_the_map(luton: Evaluation) -> None:
    """Six target crimes, five in one square and one in another: with the total published,
    "withheld" (5 or more) and "fewer than 5" could only be 5 and 1, so the target's
    squares are not mapped at all — and no square is listed for them."""
    import dataclasses

    import numpy as np

    from harmwatch.evaluation.aggregates import aggregate
    from harmwatch.web.evaluations import square_layers

    full = luton
    x = np.array([510_100.0] * 5 + [512_600.0])  # two squares 2.5 km apart
    y = np.full(6, 221_100.0)
    small = dataclasses.replace(full, map_points={**full.map_points, "target": (x, y)})
    agg = aggregate(small)
    assert agg.squares.left_off == ("target",)
    layer = square_layers(agg)
    assert "target crimes" in layer["disclosure"]["left_off_map"][0]
    squares = [f for f in layer["features"] if f["properties"]["kind"] == "square"]
    assert squares and all("target" not in f["properties"] for f in squares)
    # Squares are listed for buffer crimes and control LSOAs only: the square 2.5 km away that
    # holds only the lone target crime is not listed at all.
    sq = agg.squares
    where = {(int(sq.ix[k]), int(sq.iy[k])): k for k in range(len(sq))}
    lone = where[(512_600 // 500, 221_100 // 500)]
    assert sq.count("target", lone) == 1 and sq.count("buffer", lone) == 0
    buffered = {key for key, k in where.items() if sq.count("buffer", k) > 0}
    control = set(zip(sq.control_ix.tolist(), sq.control_iy.tolist(), strict=True))
    assert len(squares) == len(buffered | control)


def test_control_counts_are_all_withheld_when_the_rule_cannot_protect_them() -> None:
    """Controls of 5 and 1 crimes with their total (6) published: "withheld" (5 or more) and
    "fewer than 5" could only be 5 and 1, so the rule cannot protect them — every control
    count is withheld instead, and the disclosure says why."""
    from harmwatch.evaluation.aggregates import _protected_controls
    from harmwatch.outputs.suppression import suppress_counts

    assert suppress_counts([5, 1], total_fixed=True).exposed  # the case the rule cannot protect
    protected = _protected_controls([5, 1])
    table = protected["control_counts"]
    assert protected["controls_withheld"] and table.safe
    assert table.shown_column() == ["withheld", "withheld"]
    fine = _protected_controls([3, 40, 7, 12])
    assert not fine["controls_withheld"]
    assert fine["control_counts"].shown_column()[0] == "fewer than 5"
