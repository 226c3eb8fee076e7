"""`harmwatch measures`: one force or a roll-up, JSON with whole-number counts and rates with
their bounds, a force's framework and population files, and a PCC signed in with a key."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from harmwatch.cli import oversight
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
oversight.register(app)
runner = CliRunner()
FORCES = ["--force", "bedfordshire", "--force", "hertfordshire"]


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_roll_up_in_json(sample_db: Path, police_uk: Path) -> None:
    got = _json(["measures", "--db", str(sample_db), *FORCES, "--period", "2025-10:2025-12",
                 "--measure", "drug-offences"])  # fmt: skip
    assert got["period"] == ["2025-10", "2025-12"] and got["baseline"] == ["2025-07", "2025-09"]
    assert got["published"] is True and got["notes"]  # through the small-number rule
    [drugs] = got["measures"]
    for row in drugs["forces"]:
        frame = pd.concat(
            pd.read_csv(police_uk / m / f"{m}-{row['force']}-street.csv.gz")
            for m in ("2025-10", "2025-11", "2025-12")
        )
        assert row["value"] == int((frame["Crime type"] == "Drugs").sum())
        assert isinstance(row["value"], int) and isinstance(row["baseline"], int)
        assert row["rate_per_1000_low"] < row["rate_per_1000"] < row["rate_per_1000_high"]
        assert row["comparison"]["ci_low"] < row["comparison"]["ci_high"]
    total = drugs["total"]
    assert total["value"] == sum(r["value"] for r in drugs["forces"])
    assert drugs["value"] == total["value"]  # the roll-up's headline is the region's
    text = runner.invoke(app, ["measures", "--db", str(sample_db), *FORCES, "--measure",
                               "neighbourhood-crime"])  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "All forces" in text.output and "approximation" in text.output


def test_a_force_framework_and_population(sample_db: Path, tmp_path: Path) -> None:
    framework = tmp_path / "herts.toml"
    framework.write_text(
        '[[measures]]\nkey = "burglary"\ntitle = "Burglary"\npriority = "plan"\n'
        'kind = "police-uk-crimes"\ncrime_types = ["Burglary"]\ndirection = "decrease"\n'
        'source = "police.uk"\n[measures.target]\nwording = "Fewer burglaries"\n',
        encoding="utf-8",
    )
    population = tmp_path / "population.csv"
    population.write_text("force,population\nhertfordshire,1200000\n", encoding="utf-8")
    got = _json(["measures", "--db", str(sample_db), "--force", "hertfordshire", "--framework",
                 str(framework), "--population", str(population)])  # fmt: skip
    [burglary] = got["measures"]
    assert burglary["key"] == "burglary" and got["framework_file"] == str(framework)
    [row] = burglary["forces"]
    assert row["population"] == 1200000
    assert row["rate_per_1000"] == 1000 * row["value"] / 1200000
    assert burglary["target_status"] in ("met", "not met", "cannot tell")
    bad = runner.invoke(app, ["measures", "--db", str(sample_db), "--force", "hertfordshire",
                              "--population", str(tmp_path / "none.csv")])  # fmt: skip
    assert bad.exit_code == 2 and "none.csv: cannot read it" in bad.output
    framework.write_text(framework.read_text().replace('"decrease"', '"down"'), encoding="utf-8")
    bad = runner.invoke(app, ["measures", "--db", str(sample_db), "--force", "hertfordshire",
                              "--framework", str(framework)])  # fmt: skip
    assert bad.exit_code == 2 and f"{framework}: measure 'burglary': direction" in bad.output


def test_a_pcc_signed_in_with_a_key(sample_db: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        user = create_user(db, "pcc", Role.PCC_VIEWER, "a long enough password",
                           force="hertfordshire")  # fmt: skip
        key = write_key_file(tmp_path / "pcc.key", issue_key(db, user, created_by="test"))
    engine.dispose()
    got = _json(["measures", "--db", str(sample_db), "--force", "hertfordshire", "--period",
                 "2025-10:2025-12", "--measure", "county-lines-closed", "--measure",
                 "treatment-entries", "--working-figures", "--as", "pcc", "--key-file", str(key),
                 "--database-url", url])  # fmt: skip
    assert got["published"] is True  # a PCC viewer's figures are always suppressed
    lines, treatment = got["measures"]
    # the records hold no line closure: their count is 0, and the caveat says what that means
    assert lines["available"] and lines["value"] == 0
    assert any("none were recorded" in c for c in lines["caveats"])
    assert not treatment["available"] and "no records held" in treatment["reason"]
