"""Static map titles name forces as they write their names and periods as runs (issue 10, 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harmwatch.maps import results
from harmwatch.where.hotspots import hotspots
from harmwatch.where.patrol import patrol_plan
from harmwatch.where.requests import HotspotsRequest, PatrolPlanRequest


def test_png_map_titles(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    titles: list[str] = []

    def capture(path: Path, *args: Any, title: str, **kwargs: Any) -> Path:
        titles.append(title)
        return path

    monkeypatch.setattr(results, "draw_grid_map", capture)
    request = HotspotsRequest(
        forces=("hertfordshire",), cell=1000, months="2025-01:2025-03,2025-07"
    )
    result = hotspots(sample_db, request)
    results.draw_hotspot_map(result, tmp_path / "map.png")
    plan = patrol_plan(result, PatrolPlanRequest(forces=("hertfordshire",), cell=1000, top_n=5))
    results.draw_patrol_map(result, plan, tmp_path / "plan.png")
    runs = "4 months in 2 runs: Jan 2025–Mar 2025 and Jul 2025"
    assert titles == [
        f"Drugs: Hertfordshire Constabulary, {runs}",
        f"Patrol plan: Drugs, Hertfordshire Constabulary, {runs}",
    ]
