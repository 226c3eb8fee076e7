"""`harmwatch stop-search` and `harmwatch outcomes` as a user runs them (a local Typer app).

On Bedfordshire's street, outcomes and stop-and-search files 2021-05…2024-04
(tests/oversight/_oversight_police_data.py). The population table is a MADE-UP
test fixture, not real population figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from _oversight_police_data import beds_police_store
from typer.testing import CliRunner

from harmwatch.cli.oversight_police import register
from harmwatch.oversight.crime_outcomes import crime_outcomes
from harmwatch.oversight.stop_search import stop_search

runner = CliRunner()
app = typer.Typer()
register(app)
SOURCE = "MADE-UP TEST FIXTURE: not real population figures"


@pytest.fixture(scope="module")
def db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return beds_police_store(police_uk, tmp_path_factory)


def _residents(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "residents.csv"
    path.write_text("force,ethnic_group,residents,source,year\n" + "\n".join(rows) + "\n")
    return path


def test_stop_search_json_end_to_end(db: Path, tmp_path: Path) -> None:
    residents = _residents(
        tmp_path,
        [f"bedfordshire,{g},{n},{SOURCE},2021" for g, n in
         (("White", 480000), ("Asian", 120000), ("Black", 45000), ("Mixed", 20000),
          ("Other", 9000))],
    )  # fmt: skip
    result = runner.invoke(
        app,
        ["stop-search", "--db", str(db), "--force", "bedfordshire", "--months", "2021-05:2024-04",
         "--residents", str(residents), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    library = stop_search(db, ["bedfordshire"]).to_dict()
    overall = payload["all_searches"]["overall"]
    assert overall == library["all_searches"]["overall"]
    assert isinstance(overall["searches"], int) and overall["searches"] == 11810
    assert {"find_rate", "find_rate_low", "find_rate_high", "arrest_rate", "arrest_rate_low",
            "arrest_rate_high", "link_blank", "find_rate_other_outcomes"} <= set(overall)  # fmt: skip
    ethnicity = payload["all_searches"]["breakdowns"]["self_defined_ethnicity"]
    assert "Census 2021" in ethnicity["label"]
    assert all("find_rate_low" in g for g in ethnicity["groups"])
    dispro = payload["drug_searches"]["disproportionality"]
    assert dispro["computed"] and dispro["source"] == SOURCE
    asian = next(g for g in dispro["forces"][0]["groups"] if g["group"] == "Asian")
    assert asian["rate_ratio_low"] < asian["rate_ratio"] < asian["rate_ratio_high"]
    assert payload["period"] == "36 months: May 2021–Apr 2024"


def test_stop_search_tables_and_the_suppressed_view(db: Path) -> None:
    text = runner.invoke(app, ["stop-search", "--db", str(db), "--force", "Bedfordshire Police"])
    assert text.exit_code == 0, text.output
    assert "Stop and search, Bedfordshire Police, 36 months" in text.stdout
    assert "not computed: no population table given" in text.stdout
    assert "caveat" in text.stderr
    view = runner.invoke(
        app, ["stop-search", "--db", str(db), "--force", "bedfordshire", "--suppressed", "--json"]
    )
    assert view.exit_code == 0, view.output
    payload = json.loads(view.stdout)
    assert payload["suppressed"] is True
    ages = {g["group"]: g for g in payload["all_searches"]["breakdowns"]["age_range"]["groups"]}
    assert ages["under 10"]["searches"] == "fewer than 5"
    shown = runner.invoke(app, ["stop-search", "--db", str(db), "--force", "bedfordshire",
                                "--months", "2021-05", "--suppressed"])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "fewer than 5" in shown.stdout


def test_stop_search_refusals_name_the_file_line_and_field(db: Path, tmp_path: Path) -> None:
    bad = _residents(
        tmp_path,
        [f"bedfordshire,White,480000,{SOURCE},2021", f"bedfordshire,Asian,lots,{SOURCE},2021"],
    )
    result = runner.invoke(app, ["stop-search", "--db", str(db), "--residents", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3: residents: 'lots' is not a whole number above 0" in result.stderr
    assert "Traceback" not in result.output
    months = runner.invoke(app, ["stop-search", "--db", str(db), "--months", "2024-13"])
    assert months.exit_code == 2 and "--months" in months.stderr
    unloaded = runner.invoke(app, ["stop-search", "--db", str(db), "--force", "kent"])
    assert unloaded.exit_code == 2 and "Kent Police" in unloaded.stderr


def test_outcomes_json_end_to_end(db: Path) -> None:
    result = runner.invoke(
        app,
        ["outcomes", "--db", str(db), "--force", "bedfordshire", "--crime-type", "Drugs",
         "--months", "2021-05:2024-04", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    library = crime_outcomes(db, ["bedfordshire"]).to_dict()
    assert payload["groups"] == library["groups"]
    assert payload["crimes"] == 5195 and isinstance(payload["from_outcomes"], int)
    charged = payload["groups"][0]
    assert charged["group"] == "charged"
    assert {"share", "share_low", "share_high", "time_to_outcome"} <= set(charged)
    assert len(payload["by_month"]) == 36


def test_outcomes_tables_another_crime_type_and_refusals(db: Path) -> None:
    text = runner.invoke(app, ["outcomes", "--db", str(db), "--crime-type", "Burglary"])
    assert text.exit_code == 0, text.output
    assert "What happened to Burglary crimes, Bedfordshire Police" in text.stdout
    assert "by month of the crime" in text.stdout
    view = runner.invoke(app, ["outcomes", "--db", str(db), "--suppressed"])
    assert view.exit_code == 0, view.output
    assert "by month of the crime" in view.stdout and "pooled: " in view.stdout
    assert "fewer than 5" in view.stdout
    bad = runner.invoke(app, ["outcomes", "--db", str(db), "--crime-type", "Drugz"])
    assert bad.exit_code == 2 and "'Drugz' is not among" in bad.stderr
