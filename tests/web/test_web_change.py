"""Period change on the web: /api/change is the library's answer, and the overview shows it.

The bundled sample holds 2025-01…2025-12 only, so the same months a year earlier
are never loaded: the overview must fall back to the months just before the
period, and say so, rather than refuse.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import duckdb
from scipy.stats import binomtest
from webhelpers import SignedIn, WebEnv

from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest, TrendsRequest
from harmwatch.evaluation.trends import monthly_trends
from harmwatch.security import audit
from harmwatch.storage.records import make_engine, session_scope

ST_ALBANS = {"force": "hertfordshire", "district": "St Albans", "period": "2025-10:2025-12"}


def district_count(db: Path, first: str, last: str, district: str) -> int:
    """Drugs offences by another route: plain SQL, the district as an LSOA-name prefix."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*) FROM street WHERE force = 'hertfordshire' AND crime_type = 'Drugs' "
            "AND month BETWEEN ?::DATE AND ?::DATE AND starts_with(lsoa_name, ?)",
            [f"{first}-01", f"{last}-01", district + " "],
        ).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def test_api_change_for_a_district_is_the_library_result(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    response = clients["analyst"].client.get("/api/change", params=ST_ALBANS)
    assert response.status_code == 200, response.text
    body = response.json()
    direct = change(
        web_env.analytics_db,
        ChangeRequest(
            forces=("hertfordshire",),
            period=("2025-10", "2025-12"),
            district="St Albans",
            baseline_fallback=True,
        ),
    ).to_dict()
    # JSON carries tuples as lists and floats exactly (repr round-trips).
    assert body == json.loads(json.dumps(direct))
    assert body["baseline"] == ["2025-07", "2025-09"]  # a year earlier is not loaded
    assert body["count_period"] == district_count(
        web_env.analytics_db, "2025-10", "2025-12", "St Albans"
    )
    assert body["count_baseline"] == district_count(
        web_env.analytics_db, "2025-07", "2025-09", "St Albans"
    )

    download = clients["analyst"].client.get("/api/change", params={**ST_ALBANS, "format": "csv"})
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    (row,) = list(csv.DictReader(io.StringIO(download.text)))
    assert int(row["count_period"]) == body["count_period"]
    assert row["period"] == "2025-10:2025-12" and row["baseline"] == "2025-07:2025-09"
    assert float(row["p_value"]) == body["p_value"]


def test_api_change_refuses_user_errors_with_the_library_message(
    clients: dict[str, SignedIn],
) -> None:
    analyst = clients["analyst"].client
    for params, message in (
        ({"period": "2030-01"}, "period month(s) 2030-01 are not loaded"),
        ({"period": "2025-01,2025-03"}, "one run of consecutive months"),
        ({"district": "Narnia", "force": "hertfordshire"}, "no crimes in district 'Narnia'"),
        ({"crime_type": "Piracy"}, "crime type 'Piracy' is not in the data"),
        ({"period": "2025-06", "baseline": "2025-06"}, "overlaps the period"),
    ):
        response = analyst.get("/api/change", params=params)
        assert response.status_code == 422, (params, response.text[:300])
        assert message in response.json()["detail"], response.json()


def test_overview_panel_explains_the_fallback_baseline(clients: dict[str, SignedIn]) -> None:
    response = clients["analyst"].client.get("/", params={"force": "hertfordshire"})
    assert response.status_code == 200
    page = response.text
    assert "Has it really changed?" in page
    assert "period: 2025-10…2025-12, the latest 3 months loaded" in page
    assert "baseline: 2025-07…2025-09, the 3 months just before the period" in page
    assert "a year earlier (2024-10…2024-12) are not loaded" in page
    assert "different calendar months" in page  # the library's caveat on seasons
    assert "/api/change?force=hertfordshire" in page and "format=csv" in page
    assert "rate ratio" in page.lower() and "95 % CI" in page


def test_overview_panel_takes_a_typed_period_and_baseline(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    params = {
        "force": "hertfordshire",
        "district": "St Albans",
        "period": "2025-12",
        "baseline": "2025-06",
    }
    page = clients["analyst"].client.get("/", params=params).text
    direct = change(
        web_env.analytics_db,
        ChangeRequest(
            forces=("hertfordshire",),
            period=("2025-12", "2025-12"),
            baseline=("2025-06", "2025-06"),
            district="St Albans",
        ),
    )
    assert direct.sentence in page
    assert "Defaults chosen" not in page  # both were typed: nothing to explain


def test_bad_period_is_shown_beside_the_form(clients: dict[str, SignedIn]) -> None:
    analyst = clients["analyst"].client
    for period, message in (
        ("2030-01", "period month(s) 2030-01 are not loaded"),
        ("2025-01,2025-03", "period must be one run of consecutive months"),
        ("soon", "not a month"),
    ):
        response = analyst.get("/", params={"force": "hertfordshire", "period": period})
        assert response.status_code == 422, period  # refused, as /api/change refuses it
        assert "Has it really changed?" in response.text
        assert message in response.text, period
        assert 'role="alert"' in response.text


def test_pcc_viewer_sees_the_change(clients: dict[str, SignedIn]) -> None:
    pcc = clients["pcc-viewer"].client
    page = pcc.get("/", params={"force": "bedfordshire"})
    assert page.status_code == 200 and "Has it really changed?" in page.text
    api = pcc.get("/api/change", params={"force": "bedfordshire", "district": "Luton"})
    assert api.status_code == 200 and api.json()["district"] == "Luton"


def test_api_change_is_logged_as_a_search(clients: dict[str, SignedIn], web_env: WebEnv) -> None:
    response = clients["pcc-viewer"].client.get(
        "/api/change", params={"force": "cambridgeshire", "period": "2025-12"}
    )
    assert response.status_code == 200
    engine = make_engine(web_env.database_url)
    try:
        with session_scope(engine) as db:
            entries = [
                audit.entry_dict(e)
                for e in audit.query(db, actor="pcc-viewer", action="consultation", limit=None)
            ]
    finally:
        engine.dispose()
    mine = [e for e in entries if e["target"] == "route:/api/change"]
    assert mine, entries[:5]
    assert "cambridgeshire" in str(mine[0]["details"])


def test_overview_marks_month_changes_within_chance(
    clients: dict[str, SignedIn], web_env: WebEnv
) -> None:
    """Each crime type's row says "(chance?)" exactly when binomtest finds p ≥ 0.05."""
    page = clients["analyst"].client.get("/", params={"force": "hertfordshire"}).text
    trend = monthly_trends(web_env.analytics_db, TrendsRequest(forces=("hertfordshire",)))
    marked = 0
    for c in trend.comparisons:
        assert c.previous is not None
        n = c.latest + c.previous
        chance = n == 0 or binomtest(c.latest, n, 0.5).pvalue >= 0.05
        name = c.crime_type.replace("&", "&amp;")
        row = re.search(rf'<th scope="row">{re.escape(name)}</th>(.*?)</tr>', page, re.S)
        assert row, c.crime_type
        assert ("(chance?)" in row.group(1)) == chance, (c.crime_type, c.latest, c.previous)
        marked += chance
    assert 0 < marked < len(trend.comparisons)  # the sample has both kinds
    assert 'id="chance-note"' in page and "do not report it as a rise or fall" in page
