"""hotspots, forecast-eval and emerging-hotspots as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from harmwatch.cli.main import app

runner = CliRunner()


def test_issue_example_writes_every_study_area_cell(herts_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cells.csv"
    result = runner.invoke(
        app,
        ["hotspots", "--db", str(herts_db), "--force", "hertfordshire", "--crime-type", "Drugs",
         "--cell", "250", "--method", "gistar", "--format", "csv", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = pd.read_csv(out)
    assert list(cells.columns) == [
        "cell_id",
        "x",
        "y",
        "n",
        "kde",
        "gistar",
        "pvalue",
        "pvalue_adj",
        "class",
    ]
    # Every cell of the study area, empty ones included; centres on the 250 m lattice.
    assert (cells["n"] == 0).mean() > 0.5
    assert ((cells["x"] - 125) % 250 == 0).all() and ((cells["y"] - 125) % 250 == 0).all()
    # Hertfordshire is ~1,640 km²: about 26,000 cells of 0.0625 km².
    assert 25_000 < len(cells) < 27_500
    assert set(cells["class"]) <= {"hot spot", "cold spot", "not significant"}
    assert (cells.loc[cells["class"] == "hot spot", "gistar"] > 0).all()
    assert "warning" in result.stderr and "outside the study area" in result.stderr


def test_geojson_gpkg_and_map(herts_db: Path, tmp_path: Path) -> None:
    args = [
        "hotspots",
        "--db",
        str(herts_db),
        "--force",
        "hertfordshire",
        "--method",
        "kde",
        "--cell",
        "1000",
    ]
    assert runner.invoke(app, [*args, "--out", str(tmp_path / "c.geojson")]).exit_code == 0
    assert runner.invoke(app, [*args, "--out", str(tmp_path / "c.gpkg")]).exit_code == 0
    result = runner.invoke(app, [*args, "--map", str(tmp_path / "m.png"), "--json"])
    assert result.exit_code == 0, result.output
    gj = gpd.read_file(tmp_path / "c.geojson")
    gp = gpd.read_file(tmp_path / "c.gpkg")
    assert gj.crs.to_epsg() == 4326 and gp.crs.to_epsg() == 27700
    assert len(gj) == len(gp) and gj["n"].sum() == gp["n"].sum()
    assert gp.geometry.area.round(6).eq(1_000_000).all()
    with Image.open(tmp_path / "m.png") as image:
        assert image.size[0] > 500 and image.size[1] > 500
    summary = json.loads(result.stdout)
    assert summary["study_area_kind"] == "force districts"
    assert any("bandwidth" in d for d in summary["defaults_chosen"])


def test_bad_choices_are_refused_clearly(herts_db: Path) -> None:
    unknown_force = runner.invoke(app, ["hotspots", "--db", str(herts_db), "--force", "kent"])
    assert unknown_force.exit_code == 2 and "loaded: hertfordshire" in unknown_force.stderr
    bad_type = runner.invoke(app, ["hotspots", "--db", str(herts_db), "--crime-type", "Drug"])
    assert bad_type.exit_code == 2 and "choose from" in bad_type.stderr
    bad_month = runner.invoke(app, ["hotspots", "--db", str(herts_db), "--months", "2024-01"])
    assert bad_month.exit_code == 2 and "2021-01…2022-01" in bad_month.stderr
    bad_method = runner.invoke(app, ["hotspots", "--db", str(herts_db), "--method", "magic"])
    assert bad_method.exit_code == 2 and "count, kde, gistar" in bad_method.stderr


def test_forecast_eval_runs_each_run_of_months_separately(full_db: Path) -> None:
    result = runner.invoke(
        app,
        ["forecast-eval", "--db", str(full_db), "--force", "hertfordshire", "--crime-type", "Drugs",
         "--cell", "500", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    runs = [(r["first"], r["last"], r["scored_months"]) for r in payload["runs"]]
    # One month of history suffices by default (issue 11): every month but each run's first.
    assert runs == [
        ("2018-10", "2019-02", 4),
        ("2021-01", "2022-01", 12),
        ("2025-01", "2025-12", 11),
    ]
    methods = {row["method"] for row in payload["summary"]}
    assert methods == {"blend", "last-1", "last-3", "last-all", "kde", "opencp"}
    assert {row["coverage"] for row in payload["summary"]} == {0.01, 0.05, 0.1}
    for row in payload["summary"]:
        assert row["months"] == 27
        assert 0 <= row["mean_hit_rate"] <= 1
    rec = payload["recommended"]
    assert rec["method"] in methods and rec["months_chosen_on"] == 27
    assert sum(rec["chosen_each_month"].values()) == 27
    assert {(c["against"], c["coverage"]) for c in rec["comparisons"]} == {
        (m, c) for m in methods for c in (0.01, 0.05, 0.1)
    }
    assert all(c["months"] == 27 for c in rec["comparisons"])
    curve = {(row["method"], row["coverage"]): row["hit_rate"] for row in payload["curve"]}
    assert curve[("recommended", 1.0)] == pytest.approx(1.0)


def test_forecast_eval_table_is_printed(herts_db: Path, tmp_path: Path) -> None:
    chart, curve = tmp_path / "chart.png", tmp_path / "curve.png"
    result = runner.invoke(
        app,
        ["forecast-eval", "--db", str(herts_db), "--cell", "1000", "--chart", str(chart),
         "--curve", str(curve)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for path in (chart, curve):
        with Image.open(path) as image:
            assert image.size[0] > 800
    for text in ("Flagging 1%", "Flagging 5%", "Flagging 10%", "mean PAI", "opencp", "last-3",
                 "Recommended for the coming month", "95 % interval"):  # fmt: skip
        assert text in result.stdout
    assert f"wrote {curve}" in result.stdout


@pytest.mark.parametrize("fmt", ["csv", "gpkg"])
def test_emerging_hotspots(herts_db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"e.{fmt}"
    result = runner.invoke(
        app,
        ["emerging-hotspots", "--db", str(herts_db), "--cell", "1000", "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["months"][0] == "2021-01" and len(payload["months"]) == 13
    cells = gpd.read_file(out) if fmt == "gpkg" else pd.read_csv(out)
    assert sum(payload["categories"].values()) == len(cells)
    assert any(k.endswith("Hot Spot") for k in payload["categories"])
