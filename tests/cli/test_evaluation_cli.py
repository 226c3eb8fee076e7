"""`harmwatch evaluate` and `harmwatch change` as a user runs them (through a local Typer app).

On ``beds_db`` (tests/conftest.py: Bedfordshire's street crimes 2021-05…2024-04, 36
consecutive months, loaded once for the session and shared with the evaluation tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from PIL import Image
from typer.testing import CliRunner

from harmwatch.cli.evaluation import change_command, evaluate_command

runner = CliRunner()
app = typer.Typer()
app.command("evaluate")(evaluate_command)
app.command("change")(change_command)


BEDS = ("--force", "bedfordshire")


def test_issue_example_shape_with_bedfordshire_codes(beds_db: Path) -> None:
    # The issue's example, with two real Bedfordshire LSOAs (Luton 023A and 023B).
    result = runner.invoke(
        app,
        ["evaluate", "--db", str(beds_db), *BEDS, "--lsoa", "E01033803,E01033804",
         "--start", "2021-09", "--end", "2021-12", "--crime-type", "Drugs", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in ("rate_ratio", "ci_low", "ci_high", "p_value", "summary", "caveats", "controls"):
        assert key in payload
    assert {"estimate", "ci_low", "ci_high", "p_value", "model"} <= set(payload["did"])
    assert {"value", "reading"} <= set(payload["wdq"])
    assert payload["pre_months"] == 4 and payload["post_months"] == 4
    assert any("few months" in c for c in payload["caveats"])


def test_issue_example_codes_from_elsewhere_are_refused(beds_db: Path) -> None:
    result = runner.invoke(
        app,
        ["evaluate", "--db", str(beds_db), *BEDS, "--lsoa", "E01023331,E01023383",
         "--start", "2021-09", "--end", "2021-12", "--crime-type", "Drugs", "--json"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "target area is empty" in result.stderr and "Traceback" not in result.output


def test_evaluate_text_chart_and_options(beds_db: Path, tmp_path: Path) -> None:
    chart = tmp_path / "eval.png"
    result = runner.invoke(
        app,
        ["evaluate", "--db", str(beds_db), *BEDS, "--lsoa", "E01033803,E01033804",
         "--start", "2023-01", "--end", "2023-06", "--buffer", "400", "--n-controls", "12",
         "--chart", str(chart)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "difference-in-differences" in result.stdout and f"wrote {chart}" in result.stdout
    assert "caveat" in result.stderr and "12 nearest" in result.stderr
    with Image.open(chart) as image:
        assert image.format == "PNG"


def test_evaluate_refusals(beds_db: Path) -> None:
    base = ["evaluate", "--db", str(beds_db), *BEDS, "--lsoa", "E01033803"]
    no_pre = runner.invoke(app, [*base, "--start", "2021-05"])
    assert no_pre.exit_code == 2 and "no pre-period" in no_pre.stderr
    not_loaded = runner.invoke(app, [*base, "--start", "2024-02", "--end", "2024-08"])
    assert not_loaded.exit_code == 2 and "not loaded" in not_loaded.stderr
    two = runner.invoke(app, [*base, "--boundary", "x.geojson", "--start", "2023-01"])
    assert two.exit_code == 2 and "exactly one" in two.stderr


def test_change_json(beds_db: Path) -> None:
    result = runner.invoke(
        app, ["change", "--db", str(beds_db), *BEDS, "--period", "2022-05:2022-12", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["count_period"], payload["count_baseline"]) == (1173, 984)
    for key in ("rate_ratio", "ci_low", "ci_high", "p_value", "pct_change", "difference"):
        assert key in payload
    assert payload["distinguishable_from_chance"] is True


def test_change_text_and_refusal(beds_db: Path) -> None:
    ok = runner.invoke(
        app,
        ["change", "--db", str(beds_db), *BEDS, "--period", "2023-01:2023-06",
         "--baseline", "2022-01:2022-12", "--lsoa", "E01033803"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "within what chance" in ok.stdout
    # 2021-05 is the first month loaded: neither 2020-05 nor 2021-04 is there to compare with.
    bad = runner.invoke(app, ["change", "--db", str(beds_db), *BEDS, "--period", "2021-05"])
    assert bad.exit_code == 2 and "not loaded" in bad.stderr
    gap = runner.invoke(app, ["change", "--db", str(beds_db), *BEDS, "--period", "2023-01,2023-03"])
    assert gap.exit_code == 2 and "consecutive" in gap.stderr


def test_change_falls_back_to_the_months_before_as_the_web_panel_does(beds_db: Path) -> None:
    # 2020-06…08 (a year earlier) are not loaded; 2021-05 is, so the month just before is used
    # for a one-month period, and the command says so (issue 11: it used to refuse).
    result = runner.invoke(
        app, ["change", "--db", str(beds_db), *BEDS, "--period", "2021-06", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["baseline"] == ["2021-05", "2021-05"]
    assert any("a year earlier (2020-06) are not loaded" in d for d in payload["defaults_chosen"])
    assert any("different calendar months" in c for c in payload["caveats"])
    text = runner.invoke(app, ["change", "--db", str(beds_db), *BEDS, "--period", "2021-06"])
    assert text.exit_code == 0 and "just before the period" in text.stderr


def test_change_refusal_names_only_the_forces_that_lack_the_month(full_db: Path) -> None:
    # 2018-10 is missing for Kent, Lancashire and Northumbria only, of the 41 forces.
    result = runner.invoke(
        app, ["change", "--db", str(full_db), "--period", "2018-10", "--baseline", "2018-11"]
    )
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "kent lacks 2018-10; lancashire lacks 2018-10; northumbria lacks 2018-10" in message
    assert "the other 38 force(s) have them" in message
    assert "bedfordshire" not in message and "wiltshire" not in message
