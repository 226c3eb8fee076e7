"""Each verb's request: its defaults, what it refuses (naming the field), and how it is resolved."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harmwatch.evaluation.areas import load_crime_data
from harmwatch.evaluation.change import resolve as resolve_change
from harmwatch.evaluation.evaluate import resolve as resolve_evaluation
from harmwatch.evaluation.requests import ChangeRequest, EvaluateRequest, TrendsRequest
from harmwatch.query.params import WEB, ParamError
from harmwatch.where.forecast import DEFAULT_METHODS
from harmwatch.where.hotspots import resolve as resolve_hotspots
from harmwatch.where.requests import (
    AreaRankingRequest,
    EmergingHotspotsRequest,
    ForecastEvalRequest,
    HotspotsRequest,
    PatrolPlanRequest,
)
from harmwatch.where.workspace import prepare

LUTON = ("E01033803", "E01033804")


def refused(cls: type, match: str, **values: object) -> None:
    with pytest.raises(ParamError, match=match):
        cls(**values)


def test_hotspots_defaults_and_refusals() -> None:
    request = HotspotsRequest()
    assert (request.method, request.p_adjust, request.alpha) == ("gistar", "fdr", 0.05)
    assert request.crime_types == ("Drugs",) and request.cell is None and request.forces == ()
    assert HotspotsRequest(all_crime_types=True).filter().crime_types == ()
    refused(
        HotspotsRequest, "unknown method 'magic'; choose one of count, kde, gistar", method="magic"
    )
    refused(HotspotsRequest, "alpha must lie between 0 and 1, got 1.5", alpha=1.5)
    refused(HotspotsRequest, "bandwidth must be positive, got 0", bandwidth=0.0)
    refused(HotspotsRequest, "bandwidth_adjust must be positive", bandwidth_adjust=-1.0)
    refused(HotspotsRequest, "cell must be positive, got inf", cell=math.inf)
    refused(
        HotspotsRequest,
        "distance_band 100 m is smaller than one 250 m cell",
        cell=250.0,
        distance_band=100.0,
    )
    refused(HotspotsRequest, "no crime type chosen", crime_types=())
    refused(HotspotsRequest, "not a month", months="2025-13")


def test_emerging_hotspots_refusals() -> None:
    assert EmergingHotspotsRequest().p_adjust == "fdr"
    refused(EmergingHotspotsRequest, "unknown p_adjust 'bonferroni'", p_adjust="bonferroni")
    refused(EmergingHotspotsRequest, "smaller than one", cell=500.0, distance_band=400.0)


def test_forecast_eval_defaults_and_refusals() -> None:
    request = ForecastEvalRequest()
    # Issue 11: one month of history is enough to start (a longer window uses what there is).
    assert request.methods == DEFAULT_METHODS and request.min_history == 1
    assert request.methods[0] == "blend" and "opencp" in request.methods
    assert request.coverages == (0.01, 0.05, 0.1)
    refused(ForecastEvalRequest, "unknown forecast method 'magic'", methods=("magic",))
    refused(ForecastEvalRequest, "say how many months", methods=("last",))
    refused(ForecastEvalRequest, "opencp always uses every earlier month", methods=("opencp-3",))
    assert ForecastEvalRequest(methods=("last-6", "last-all", "kde-all"), min_history=1)
    refused(ForecastEvalRequest, "min_history must be at least 1, got 0", min_history=0)
    refused(ForecastEvalRequest, "coverages must lie between 0 and 1, got 1", coverages=(0.5, 1.0))
    refused(ForecastEvalRequest, "kde_bandwidth must be positive", kde_bandwidth=-3.0)
    assert ForecastEvalRequest(methods=("last-6",), min_history=6).min_history == 6


def test_area_ranking_defaults_and_refusals() -> None:
    assert AreaRankingRequest().top == 20 and AreaRankingRequest().lsoa_list is None
    refused(AreaRankingRequest, "top must be at least 0, got -1", top=-1)


def test_patrol_plan_budget_score_and_run() -> None:
    refused(PatrolPlanRequest, "give exactly one budget")
    refused(PatrolPlanRequest, "give exactly one budget", top_n=3, area_km2=2.0)
    refused(PatrolPlanRequest, "top_n must be at least 1, got 0", top_n=0)
    refused(PatrolPlanRequest, "area_km2 must be positive, got nan", area_km2=math.nan)
    refused(PatrolPlanRequest, "connectivity must be 4 or 8", top_n=3, connectivity=6)
    refused(
        PatrolPlanRequest,
        "score 'kde' needs a hotspot run with method 'kde'; this run used 'count'",
        area_km2=5.0,
        score="kde",
        method="count",
    )
    plan = PatrolPlanRequest(top_n=3, score="count")
    assert plan.score == "n"  # the hotspots command calls counts "count"
    assert plan.hotspots_request() == HotspotsRequest(method="count")
    kde = PatrolPlanRequest(area_km2=2.0, score="kde", cell=250.0, forces=("hertfordshire",))
    assert kde.hotspots_request() == HotspotsRequest(
        method="kde", cell=250.0, forces=("hertfordshire",)
    )
    assert PatrolPlanRequest.spec("area_km2").default(WEB) == 5.0  # the web has no --top


def test_evaluate_defaults_and_refusals() -> None:
    request = EvaluateRequest("2025-09", lsoa="e01033803 E01033804; e01033803")
    assert request.lsoa == LUTON  # upper-cased, each kept once, as pasted
    assert (request.end, request.pre_start, request.buffer_m) == (None, None, 500.0)
    assert request.crime_types == ("Drugs",) and request.controls == ()
    refused(
        EvaluateRequest,
        "start must look like 2025-09, got 'Sept 2025'",
        start="Sept 2025",
        lsoa=LUTON,
    )
    refused(EvaluateRequest, "lsoa: not LSOA codes: E0103380", start="2025-09", lsoa="E0103380")
    refused(
        EvaluateRequest,
        "buffer_m must be positive, got 0",
        start="2025-09",
        lsoa=LUTON,
        buffer_m=0.0,
    )
    refused(
        EvaluateRequest,
        "n_controls must be at least 2, got 1",
        start="2025-09",
        lsoa=LUTON,
        n_controls=1,
    )
    refused(
        EvaluateRequest,
        "name control LSOAs or ask for a number of them, not both",
        start="2025-09",
        lsoa=LUTON,
        controls=("E01017466",),
        n_controls=5,
    )
    refused(
        EvaluateRequest, "cell ids must be whole numbers", start="2025-09", cells="1,x", cell=250.0
    )


def test_change_defaults_and_refusals() -> None:
    request = ChangeRequest(period="2025-10:2025-12", baseline="2025-07:2025-09")
    assert request.period == ("2025-10", "2025-12") and request.baseline == ("2025-07", "2025-09")
    assert ChangeRequest().period is None and ChangeRequest().baseline_fallback is False
    refused(ChangeRequest, "period must be one run of consecutive months", period="2025-01,2025-03")
    refused(
        ChangeRequest,
        "period ends \\(2025-01\\) before it starts \\(2025-03\\)",
        period=("2025-03", "2025-01"),
    )
    refused(
        ChangeRequest,
        "the baseline 2025-06 overlaps the period 2025-05…2025-07",
        period="2025-05:2025-07",
        baseline="2025-06",
    )
    refused(ChangeRequest, "district must be at most 100 characters", district="x" * 101)
    refused(ChangeRequest, "police.uk files carry crime types, not Home Office offence classes",
            offence_classes=("92D",))  # fmt: skip
    refused(ChangeRequest, "unknown Home Office offence class\\(es\\): 99Z",
            source="force-records", offence_classes=("99Z",))  # fmt: skip
    cleaned = ChangeRequest(source="force-records", offence_classes=("092d", "92E"))
    assert cleaned.filter().offence_classes == ("92D", "92E")


def test_trends_defaults() -> None:
    request = TrendsRequest(forces=("hertfordshire",), district=" St Albans ")
    assert request.district == "St Albans" and request.crime_types == ("Drugs",)


# --- resolution: the defaults the data decide, and the sentences that say so ---------


def test_change_resolves_period_and_baseline_from_the_months_loaded() -> None:
    loaded = [f"2025-{m:02d}" for m in range(1, 13)]
    resolved = resolve_change(ChangeRequest(baseline_fallback=True), loaded, ["hertfordshire"])
    assert resolved.request.period == ("2025-10", "2025-12")
    assert resolved.request.baseline == ("2025-07", "2025-09")
    assert resolved.defaults_chosen[0] == "period: 2025-10…2025-12, the latest 3 months loaded"
    assert "the 3 months just before the period" in resolved.defaults_chosen[1]
    given = resolve_change(ChangeRequest(period="2025-12", baseline="2025-06"), loaded, ["x"])
    assert given.defaults_chosen == [] and given.request.baseline == ("2025-06", "2025-06")
    with pytest.raises(ValueError, match="overlaps"):
        resolve_change(ChangeRequest(baseline="2025-11"), loaded, ["x"])


def test_evaluate_resolves_its_months_and_says_which(sample_db: Path) -> None:
    data = load_crime_data(sample_db, ["Drugs"], ["bedfordshire"])
    resolved = resolve_evaluation(EvaluateRequest("2025-09", lsoa=LUTON), data)
    assert (resolved.request.end, resolved.request.pre_start) == ("2025-12", "2025-01")
    text = " | ".join(resolved.defaults_chosen)
    assert "end: 2025-12" in text and "pre-period: 2025-01…2025-08" in text
    assert "buffer: 500 m around the target" in text
    given = resolve_evaluation(
        EvaluateRequest("2025-09", "2025-10", pre_start="2025-06", lsoa=LUTON, buffer_m=400.0), data
    )
    assert given.defaults_chosen == []


def test_hotspots_resolve_bandwidth_and_neighbours(sample_db: Path) -> None:
    request = HotspotsRequest(forces=("hertfordshire",), cell=1000.0)
    resolved = resolve_hotspots(request, prepare(sample_db, request))
    assert resolved.request.bandwidth is not None and resolved.request.bandwidth > 0
    assert resolved.request.distance_band == pytest.approx(1000 * math.sqrt(2))
    assert [line.split(":")[0] for line in resolved.defaults_chosen] == [
        "bandwidth",
        "neighbours",
        "p-values adjusted for multiple comparisons",
    ]
    counts = HotspotsRequest(forces=("hertfordshire",), cell=1000.0, method="count")
    plain = resolve_hotspots(counts, prepare(sample_db, counts))
    assert plain.defaults_chosen == [] and plain.request.bandwidth is None
    # A band given with the cell size left to the data is checked once the cell is known.
    banded = HotspotsRequest(forces=("hertfordshire",), distance_band=10.0)
    with pytest.raises(ParamError, match="distance_band 10 m is smaller than one"):
        resolve_hotspots(banded, prepare(sample_db, banded))
