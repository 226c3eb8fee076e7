"""`harmwatch areas` and `harmwatch patrol-plan` through the CLI, on the bundled 2025 sample.

The sample is loaded once for the session (``sample_db`` in tests/conftest.py: three
forces); every run names Hertfordshire, so the figures are Hertfordshire's alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from harmwatch.cli import where_plans

app = typer.Typer()
app.command("areas")(where_plans.areas_command)
app.command("patrol-plan")(where_plans.patrol_plan_command)
runner = CliRunner()


HERTS = ("--force", "hertfordshire")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    """Rich wraps long lines to the terminal; compare text with whitespace collapsed."""
    return " ".join(text.split())


def test_areas_summary_names_study_area_and_top_share(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "lsoas.csv"
    code, stdout, stderr = run(
        "areas", "--db", str(sample_db), "--force", "hertfordshire", "--top", "5", "--out", str(out)
    )
    assert code == 0, stderr
    text = flat(stdout)
    assert "The top 5 % of LSOAs" in text and "Gini coefficient" in text
    assert "Study area: Hertfordshire Constabulary: 10 districts" in text  # the force's own name
    assert "The 5 LSOAs with most crimes, of" in text  # the table says it is cut
    assert "--lsoa-list FILE" in flat(stderr)  # the command line's own hint
    assert "UNDERSTATE" in flat(stderr)  # no LSOA list: the caveat is shown
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "lsoa_code",
        "lsoa_name",
        "district",
        "n",
        "per_month",
        "share",
        "cumulative_share",
        "rank",
    ]
    assert table["rank"].iloc[0] == 1 and table["cumulative_share"].iloc[-1] == pytest.approx(1)


def test_areas_json_with_an_lsoa_list(sample_db: Path, tmp_path: Path) -> None:
    code, stdout, _ = run("areas", "--db", str(sample_db), *HERTS, "--top", "3", "--json")
    assert code == 0
    base = json.loads(stdout)
    assert base["denominator_source"] == "LSOAs with at least one crime in the selection"
    assert len(base["top"]) == 3 and base["crime_types"] == ["Drugs"]
    # A list that adds 50 codes with no crime: 50 more LSOAs in the denominator.
    listed = tmp_path / "list.csv"
    codes = [row["lsoa_code"] for row in base["top"]] + [f"E0199{i:04d}" for i in range(50)]
    pd.DataFrame({"lsoa_code": codes}).to_csv(listed, index=False)
    code, stdout, _ = run(
        "areas", "--db", str(sample_db), *HERTS, "--lsoa-list", str(listed), "--json"
    )
    assert code == 0
    payload = json.loads(stdout)
    assert payload["denominator_source"] == "LSOA list"
    assert payload["denominator_lsoas"] == base["denominator_lsoas"] + 50
    assert payload["gini"] > base["gini"]
    assert any("not in the LSOA list" in c for c in payload["caveats"])


def test_areas_refuses_geojson_output(sample_db: Path, tmp_path: Path) -> None:
    code, _, stderr = run(
        "areas", "--db", str(sample_db), *HERTS, "--out", str(tmp_path / "a.geojson")
    )
    assert code == 2 and "written as .csv only" in flat(stderr)


def test_patrol_plan_summary_files_and_map(sample_db: Path, tmp_path: Path) -> None:
    zones = tmp_path / "zones.geojson"
    png = tmp_path / "plan.png"
    code, stdout, stderr = run(
        "patrol-plan", "--db", str(sample_db), "--force", "hertfordshire", "--cell", "500",
        "--area-km2", "5", "--out", str(zones), "--map", str(png),
    )  # fmt: skip
    assert code == 0, stderr
    text = flat(stdout)
    assert "of the study area and hold" in text and "Study area: Hertfordshire Constabulary" in text
    assert "crimes in its cells" in text
    assert "in-sample" in text
    frame = gpd.read_file(zones)
    assert frame.crs.to_epsg() == 4326 and frame["zone"].tolist()[0] == 1
    assert frame["cells"].sum() == 20  # 5 km² of 0.25 km² cells
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_patrol_plan_json_and_gpkg(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "zones.gpkg"
    code, stdout, _ = run(
        "patrol-plan", "--db", str(sample_db), *HERTS, "--cell", "500", "--method", "gistar",
        "--top", "12", "--connectivity", "4", "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0
    payload = json.loads(stdout)
    t = payload["totals"]
    assert t["cells"] == 12 and t["study_area_cells"] == payload["hotspot_run"]["cells"]
    assert t["share_of_area"] == pytest.approx(12 / t["study_area_cells"])
    assert sum(z["share_of_crime"] for z in payload["zones"]) == pytest.approx(
        t["share_of_crime"], abs=1e-5
    )
    assert payload["parameters"]["score"] == "gistar"
    assert payload["parameters"]["connectivity"] == 4
    assert payload["written"] == [str(out)]
    frame = gpd.read_file(out, layer="zones")
    assert frame.crs.to_epsg() == 27700 and len(frame) == len(payload["zones"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "3", "--area-km2", "2"], "exactly one budget"),
        ([], "exactly one budget"),
        (["--cell", "500", "--area-km2", "0.1"], "smaller than one 500 m cell"),
        (["--top", "3", "--method", "pai"], "unknown --method"),
        (["--top", "3", "--out", "zones.shp"], "cannot tell the format"),
        (["--top", "3", "--force", "atlantis"], "no street crimes loaded"),
    ],
)
def test_patrol_plan_user_errors(sample_db: Path, args: list[str], message: str) -> None:
    code, _, stderr = run("patrol-plan", "--db", str(sample_db), *HERTS, *args)
    assert code == 2 and message in flat(stderr)
