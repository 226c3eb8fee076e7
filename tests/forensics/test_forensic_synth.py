"""The SYNTHETIC three-force generator: seeded, labelled, and its truth counted independently."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from harmwatch.errors import InputError
from harmwatch.forensics import importer, synth
from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role

SMALL = synth.ForensicParams(
    years=(2013, 2017),
    cases_per_year={"bedfordshire": 4, "cambridgeshire": 5, "hertfordshire": 7},
    second_sample_share=0.4,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[synth.ExportFiles, dict]:
    files = synth.write_export(synth.generate(SMALL, 11), tmp_path_factory.mktemp("synth"))
    return files, json.loads(files.truth.read_text(encoding="utf-8"))


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    def contents(seed: int, folder: str, gz: bool = False) -> dict[str, bytes]:
        out = tmp_path / folder
        synth.write_export(synth.generate(SMALL, seed), out, gz=gz)
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    first = contents(5, "a")
    assert first == contents(5, "b")
    assert len(first) == 3 * 3 + 3 + 2  # three exports a force, three specs, truth, README
    other = contents(6, "c")
    assert other["SYNTHETIC-hertfordshire-lims.csv"] != first["SYNTHETIC-hertfordshire-lims.csv"]
    assert contents(5, "d", gz=True) == contents(5, "e", gz=True)


def test_the_truth_files_affected_counts_equal_a_count_over_the_written_rows(written) -> None:
    files, truth = written
    incident = truth["incident"]
    start, end = (
        date.fromisoformat(incident["window_from"]),
        date.fromisoformat(incident["window_to"]),
    )
    totals = {"cases": 0, "samples": 0}
    for force in synth.FORCES:
        status = {
            r["Case Ref"]: r["CJ Status"] for r in _rows(files.exports[force]["case-management"])
        }
        samples: dict[str, str] = {}  # affected exhibit -> its case
        for row in _rows(files.exports[force]["lims"]):
            tested = row["Date Tested"]
            if (
                row["Provider"] == incident["provider"]
                and row["Laboratory"] == incident["laboratory"]
                and row["Analyst"] in incident["analysts"]
                and row["Test"] in incident["tests"]
                and tested
                and start <= datetime.strptime(tested, "%d/%m/%Y").date() <= end
            ):
                samples[row["Exhibit Ref"]] = row["Case Ref"]
        cases = set(samples.values())
        expected = truth["affected"][force]
        assert (expected["cases"], expected["samples"]) == (len(cases), len(samples))
        by_status: dict[str, dict[str, int]] = {}
        for case in samples.values():
            key = status[case].lower().replace(" ", "-")
            by_status.setdefault(key, {"cases": 0, "samples": 0})["samples"] += 1
        for case in cases:
            by_status[status[case].lower().replace(" ", "-")]["cases"] += 1
        assert expected["by_cj_status"] == dict(sorted(by_status.items()))
        totals["cases"] += len(cases)
        totals["samples"] += len(samples)
    assert {k: truth["affected"]["total"][k] for k in totals} == totals
    # The scenario has what the review needs: affected cases, some with two samples.
    assert 0 < truth["affected"]["total"]["cases"] < truth["affected"]["total"]["samples"]


def test_every_name_is_fictional_or_labelled_synthetic(written) -> None:
    files, truth = written
    assert files.readme.read_text(encoding="utf-8").startswith("SYNTHETIC DATA")
    assert truth["synthetic"] is True
    for force in synth.FORCES:
        for row in _rows(files.exports[force]["case-management"]):
            assert row["Case Ref"].startswith("SYNTHETIC-")
            assert row["Defendant"].startswith("SYNTHETIC ") and row["OIC"].startswith("SYNTHETIC ")
        for row in _rows(files.exports[force]["lims"]):
            assert row["Exhibit Ref"].startswith("SYNTHETIC-")
            assert row["Provider"].endswith("(FICTIONAL)") and row["Laboratory"].endswith(
                "(FICTIONAL)"
            )
            assert row["Analyst"] == "" or row["Analyst"].startswith("SYNTHETIC ")
        for row in _rows(files.exports[force]["custody"]):
            assert row["Handled By"].startswith("SYNTHETIC ")
    assert truth["incident"]["provider"] == "Northgate Toxicology Ltd (FICTIONAL)"


def test_statuses_fit_their_dates(written) -> None:
    files, truth = written
    as_of = date.fromisoformat(truth["params"]["as_of"])
    seen = set()
    for force in synth.FORCES:
        for row in _rows(files.exports[force]["case-management"]):
            status = row["CJ Status"]
            seen.add(status)
            if status in ("Charged", "Awaiting Trial"):
                assert datetime.strptime(row["Next Hearing"], "%d/%m/%Y").date() > as_of
            if status in ("Convicted", "Acquitted", "Discontinued"):
                assert datetime.strptime(row["Decision Date"], "%d/%m/%Y").date() <= as_of
    assert {"Convicted", "Discontinued", "Under Investigation"} <= seen


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InputError, match="years"):
        synth.parse_years("2019-2012")
    assert synth.parse_years("2012-2019") == (2012, 2019)
    with pytest.raises(InputError, match="cases_per_year"):
        synth.ForensicParams(cases_per_year={"kent": 3})


def test_a_forces_generated_exports_import_whole(records_engine: Engine, tmp_path: Path) -> None:
    params = synth.ForensicParams(
        years=(2016, 2017),
        cases_per_year={"bedfordshire": 0, "cambridgeshire": 0, "hertfordshire": 4},
    )
    data = synth.generate(params, 3)
    files = synth.write_export(data, tmp_path, gz=True)
    by = Principal("reviewer", Role.FORENSIC_REVIEWER, "hertfordshire", frozenset({"fsu"}))
    done = importer.import_files(
        records_engine,
        by,
        [
            (files.exports["hertfordshire"][k], importer.load(files.specs[k], k), k)
            for k in importer.Kind
        ],
        justification="Test: importing the generated casework",
    )
    rows = data.truth["rows"]["hertfordshire"]
    assert done.total("cases") == rows["cases"]
    assert done.total("custody_events") == rows["custody"]
    lims = data.lims["hertfordshire"]
    assert done.total("exhibits") == len({r["Exhibit Ref"] for r in lims})
    assert done.total("results") == sum(1 for r in lims if r["Analyte"])
    with records_engine.connect() as con:
        synthetic = con.execute(
            text("SELECT count(*) FROM forensic_cases WHERE synthetic")
        ).scalar_one()
    assert synthetic == rows["cases"]


def test_the_demo_imports_each_force_as_its_own(tmp_path: Path) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from harmwatch.forensics import demo
    from harmwatch.forensics.models import ForensicCase, LabIncident
    from harmwatch.kernel import policy
    from harmwatch.storage.records import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'records.sqlite'}")
    upgrade(engine)
    made = demo.seed(engine, "hertfordshire", "demo-unit")
    with engine.connect() as con:
        owned: dict[str, int] = dict(
            con.execute(text("SELECT owning_force, count(*) FROM forensic_cases GROUP BY 1")).all()
        )
    assert owned == {f: made["forces"][f]["cases"] for f in synth.FORCES}
    reviewer = Principal(
        "forensic-reviewer", Role.FORENSIC_REVIEWER, "hertfordshire", frozenset({"demo-unit"})
    )
    with Session(engine) as db:
        seen = db.scalar(
            policy.scope(reviewer, select(func.count()).select_from(ForensicCase), ForensicCase)
        )
        # The other forces share theirs with the lead force for the joint review: sight only.
        assert seen == sum(owned.values())
        beds = db.scalars(
            policy.scope(
                reviewer,
                select(ForensicCase).where(ForensicCase.owning_force == "bedfordshire"),
                ForensicCase,
            )
        ).first()
        assert beds is not None
        from harmwatch.kernel.actions import AuditAction

        assert not policy.may(db, reviewer, AuditAction.ALTERATION, beds)
        incident = db.scalars(select(LabIncident)).one()
        assert incident.id == made["incident_id"] and incident.fictional
    engine.dispose()
