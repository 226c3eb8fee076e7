"""`forecast-eval`: how well would each method have predicted next month's crimes here?

Drug offences are police-generated and persistent: "last month's counts" is a
strong forecast, and a method must beat it to be worth recommending. This verb
scores every method on the user's own force and crime type, month by month,
over each run of consecutive months separately (never across a gap), and shares
of area are of the study area, never of a bounding box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harmwatch.errors import InputError
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import StudyArea
from harmwatch.timeline.months import consecutive_runs
from harmwatch.where.forecast import rolling_forecast_evaluation, summarise_forecasts
from harmwatch.where.requests import ForecastEvalRequest
from harmwatch.where.workspace import prepare


@dataclass
class ForecastEvaluation:
    monthly: pd.DataFrame  # one row per run, method, target month and coverage
    summary: pd.DataFrame  # per method and coverage, over every scored month of every run
    runs: list[dict[str, object]]
    study_area: StudyArea
    grid: Grid
    n_cells: int
    crime_types: list[str]
    defaults_chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def best_methods(self) -> dict[float, str]:
        """The method with the highest mean PAI at each coverage."""
        out: dict[float, str] = {}
        for coverage, group in self.summary.groupby("coverage"):
            ranked = group.sort_values("mean_pai", ascending=False, na_position="last")
            out[float(coverage)] = str(ranked.iloc[0]["method"])
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "study_area": self.study_area.description,
            "study_area_kind": self.study_area.kind,
            "cell_size_m": self.grid.cell,
            "study_cells": self.n_cells,
            "runs": self.runs,
            "summary": self.summary.to_dict(orient="records"),
            "best_method_by_mean_pai": {str(k): v for k, v in self.best_methods().items()},
            "defaults_chosen": self.defaults_chosen,
            "warnings": self.warnings,
        }


def forecast_eval(db_path: str | Path, request: ForecastEvalRequest) -> ForecastEvaluation:
    """Rolling next-month forecast evaluation of the request's methods for its crimes."""
    ws = prepare(db_path, request)
    points, study, grid, mask, inside = ws.points, ws.study_area, ws.grid, ws.mask, ws.inside
    defaults, warnings = ws.defaults_chosen, ws.warnings
    methods, coverages, min_history = request.methods, request.coverages, request.min_history

    frames = []
    runs = []
    for run in consecutive_runs(points.months):
        info: dict[str, object] = {"first": run[0], "last": run[-1], "months": len(run)}
        if len(run) <= min_history:
            info["scored_months"] = 0
            info["note"] = f"too short: needs more than {min_history} months"
            warnings.append(
                f"months {run[0]}…{run[-1]} ({len(run)}) are too few to forecast with "
                f"{min_history} months of history; skipped"
            )
            runs.append(info)
            continue
        in_run = inside & np.isin(points.month, run)
        index = {m: i for i, m in enumerate(run)}
        month_index = np.array([index[m] for m in points.month[in_run]], dtype=np.int64)
        frame = rolling_forecast_evaluation(
            points.x[in_run],
            points.y[in_run],
            month_index,
            run,
            grid,
            mask,
            methods=methods,
            coverages=coverages,
            kde_bandwidth=request.kde_bandwidth,
            min_history=min_history,
        )
        frame.insert(0, "run", f"{run[0]}…{run[-1]}")
        frames.append(frame)
        info["scored_months"] = len(run) - min_history
        runs.append(info)
    if len(runs) > 1:
        defaults.append(
            f"{len(runs)} separate runs of consecutive months; each is evaluated on its own, "
            "never across a gap"
        )
    if not frames:
        raise InputError(
            "no run of consecutive months is long enough to evaluate a forecast "
            f"(need more than {min_history} months): "
            + ", ".join(f"{r['first']}…{r['last']}" for r in runs)
        )
    monthly = pd.concat(frames, ignore_index=True)
    return ForecastEvaluation(
        monthly=monthly,
        summary=summarise_forecasts(monthly),
        runs=runs,
        study_area=study,
        grid=grid,
        n_cells=int(mask.sum()),
        crime_types=list(points.filter.crime_types),
        defaults_chosen=defaults,
        warnings=warnings,
    )
