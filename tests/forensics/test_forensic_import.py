"""Importing case-management, LIMS and custody exports: all or nothing, row errors by file:line."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from harmwatch.forensics import chain, importer
from harmwatch.forensics.models import CustodyEvent, ExhibitResult, ForensicProvider
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role

WHY = "Op Glass: importing the force's forensic casework"
REVIEWER = Principal("reviewer", Role.FORENSIC_REVIEWER, "hertfordshire", frozenset({"fsu"}))

CASE_SPEC = """
[spec]
name = "cms-test"
[columns]
reference = "Case"
offence_code = "Code"
offence = "Offence"
cj_status = "Status"
next_hearing_on = "Next hearing"
decided_on = "Decided"
officer_in_charge = "OIC"
subject_label = "Defendant"
[cj_status]
convicted = ["Convicted"]
awaiting-trial = ["Awaiting Trial"]
[options]
date_format = "%d/%m/%Y"
"""
LIMS_SPEC = """
[spec]
name = "lims-test"
[columns]
exhibit_reference = "Exhibit"
case_reference = "Case"
exhibit_type = "Type"
test_requested = "Test"
provider = "Provider"
laboratory = "Lab"
analyst = "Analyst"
taken_at = "Taken"
tested_on = "Tested"
remaining_quantity = "Left"
remaining_unit = "Unit left"
analyte = "Analyte"
value = "Value"
unit = "Unit"
uncertainty = "U"
amendment_reason = "Amendment"
[time]
format = "%d/%m/%Y %H:%M"
zone = "Europe/London"
[exhibit_type]
blood = ["Blood"]
urine = ["Urine"]
[options]
date_format = "%d/%m/%Y"
fictional = true
[options.providers."Testlab Ltd (FICTIONAL)"]
accreditation_number = "0000"
accreditation_scope = "blood toxicology"
accredited_from = 2010-01-01
"""
CUSTODY_SPEC = """
[spec]
name = "custody-test"
[columns]
exhibit_reference = "Exhibit"
at = "When"
action = "Action"
handled_by = "By"
location = "Where"
seal_number = "Seal"
[time]
format = "%d/%m/%Y %H:%M"
zone = "Europe/London"
[action]
seized = ["Seized"]
sealed = ["Sealed"]
received = ["Received"]
"""
CASES = """Case,Code,Offence,Status,Next hearing,Decided,OIC,Defendant
C-1,RTA5A,Drug driving,Convicted,,10/06/2016,PC 1,Fictional Person One
C-2,RTA5A,Drug driving,Awaiting Trial,01/02/2030,,PC 2,Fictional Person Two
"""
LIMS_HEADER = "Exhibit,Case,Type,Test,Provider,Lab,Analyst,Taken,Tested,Left,Unit left,Analyte,Value,Unit,U,Amendment\n"
LIMS_ROWS = (
    "E-1,C-1,Blood,blood-toxicology,Testlab Ltd (FICTIONAL),North (FICTIONAL),A1,"
    "01/03/2016 22:10,20/03/2016,2.5,mL,THC,3.1,µg/L,0.6,\n"
    "E-1,C-1,Blood,blood-toxicology,Testlab Ltd (FICTIONAL),North (FICTIONAL),A1,"
    "01/03/2016 22:10,20/03/2016,2.5,mL,cocaine,24,µg/L,4.8,\n"
    "E-2,C-2,Blood,blood-toxicology,Testlab Ltd (FICTIONAL),North (FICTIONAL),A2,"
    "05/05/2016 01:30,,,,,,,,\n"
)
CUSTODY_ROWS = """Exhibit,When,Action,By,Where,Seal
E-1,01/03/2016 22:20,Sealed,PC 1,Custody suite,S1
E-1,01/03/2016 22:15,Seized,PC 1,Custody suite,
E-1,04/03/2016 14:00,Received,Reception,North lab,S1
"""


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(body.encode("utf-8")))
    else:
        path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def specs(tmp_path: Path) -> dict[importer.Kind, Any]:
    out: dict[importer.Kind, Any] = {}
    for kind, body in (
        (importer.Kind.CASE_MANAGEMENT, CASE_SPEC),
        (importer.Kind.LIMS, LIMS_SPEC),
        (importer.Kind.CUSTODY, CUSTODY_SPEC),
    ):
        out[kind] = importer.load(_write(tmp_path, f"{kind.value}.toml", body), kind)
    return out


def _counts(engine: Engine) -> dict[str, int]:
    tables = (
        "forensic_cases", "forensic_exhibits", "forensic_results", "forensic_custody_events",
        "forensic_providers", "forensic_laboratories",
    )  # fmt: skip
    with engine.connect() as con:
        return {t: int(con.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}


def _import(
    engine: Engine, files: list[tuple[Path, object, importer.Kind]], by: Principal = REVIEWER
):
    return importer.import_files(engine, by, files, justification=WHY)  # type: ignore[arg-type]


def test_a_case_file_a_gzipped_lims_file_and_a_custody_log_import_together(
    records_engine: Engine, tmp_path: Path, specs: dict
) -> None:
    K = importer.Kind
    done = _import(
        records_engine,
        [
            (_write(tmp_path, "cases.csv", CASES), specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT),
            (_write(tmp_path, "lims.csv.gz", LIMS_HEADER + LIMS_ROWS), specs[K.LIMS], K.LIMS),
            (_write(tmp_path, "custody.csv", CUSTODY_ROWS), specs[K.CUSTODY], K.CUSTODY),
        ],
    )
    assert (done.total("cases"), done.total("exhibits"), done.total("results")) == (2, 2, 2)
    assert done.total("custody_events") == 3
    assert done.providers_created == ["Testlab Ltd (FICTIONAL)"]
    assert _counts(records_engine)["forensic_laboratories"] == 1
    with Session(records_engine) as db:
        provider = db.scalars(select(ForensicProvider)).one()
        assert provider.fictional and provider.accreditation_number == "0000"
        assert str(provider.accredited_from) == "2010-01-01"
        history = chain.history(db, 1)
        # Results, then the custody log in the order things happened (not the file's).
        assert [r.action if isinstance(r, CustodyEvent) else r.analyte for r in history] == [
            "THC", "cocaine", "seized", "sealed", "received",
        ]  # fmt: skip
        assert chain.verify(db, 1) is None
        seized = history[2]
        assert isinstance(seized, CustodyEvent)
        assert seized.at.isoformat() == "2016-03-01T22:15:00+00:00"  # GMT in March


def test_one_bad_row_refuses_every_file_and_stores_nothing(
    records_engine: Engine, tmp_path: Path, specs: dict
) -> None:
    K = importer.Kind
    before = _counts(records_engine)
    bad = LIMS_ROWS.replace(",3.1,", ",three,").replace(
        "Blood,blood-toxicology,Testlab Ltd (FICTIONAL),North (FICTIONAL),A2",
        "Saliva,blood-toxicology,Testlab Ltd (FICTIONAL),North (FICTIONAL),A2",
    )
    with pytest.raises(importer.ForensicImportRefused) as refused:
        _import(
            records_engine,
            [
                (_write(tmp_path, "cases.csv", CASES), specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT),
                (_write(tmp_path, "lims.csv", LIMS_HEADER + bad), specs[K.LIMS], K.LIMS),
            ],
        )
    problems = refused.value.problems
    assert (
        "lims.csv:2: value (Value): 'three' is not a result: a number, <LOQ, <LOD or ND" in problems
    )
    assert any(p.startswith("lims.csv:4: exhibit_type (Type): 'Saliva'") for p in problems)
    assert _counts(records_engine) == before  # the good case file was not stored either


def test_an_exhibit_of_a_case_neither_imported_nor_held_is_a_row_error(
    records_engine: Engine, tmp_path: Path, specs: dict
) -> None:
    K = importer.Kind
    with pytest.raises(importer.ForensicImportRefused) as refused:
        _import(
            records_engine,
            [(_write(tmp_path, "lims.csv", LIMS_HEADER + LIMS_ROWS), specs[K.LIMS], K.LIMS)],
        )
    assert refused.value.problems[0].startswith(
        "lims.csv:2: case_reference (Case): no case 'C-1' in the files imported nor held by "
        "hertfordshire"
    )
    # Held by another force is not held: a case is looked up in the importer's force only.
    other = Principal("other", Role.FORENSIC_REVIEWER, "bedfordshire", frozenset({"fsu"}))
    _import(
        records_engine,
        [(_write(tmp_path, "cases.csv", CASES), specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT)],
        other,
    )
    with pytest.raises(importer.ForensicImportRefused):
        _import(records_engine, [(tmp_path / "lims.csv", specs[K.LIMS], K.LIMS)])
    # Once the force holds the cases, the same LIMS file imports on its own.
    _import(records_engine, [(tmp_path / "cases.csv", specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT)])
    assert (
        _import(records_engine, [(tmp_path / "lims.csv", specs[K.LIMS], K.LIMS)]).total("results")
        == 2
    )
    # And the case file again is refused: its cases are held.
    with pytest.raises(importer.ForensicImportRefused, match="'C-1' is already held"):
        _import(
            records_engine, [(tmp_path / "cases.csv", specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT)]
        )


def test_a_repeated_result_is_a_version_only_with_an_amendment_reason(
    records_engine: Engine, tmp_path: Path, specs: dict
) -> None:
    K = importer.Kind
    cases = (_write(tmp_path, "cases.csv", CASES), specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT)
    again = LIMS_ROWS.splitlines(keepends=True)[0]
    unexplained = _write(
        tmp_path, "lims.csv", LIMS_HEADER + LIMS_ROWS + again.replace(",3.1,", ",3.3,")
    )
    with pytest.raises(importer.ForensicImportRefused) as refused:
        _import(records_engine, [cases, (unexplained, specs[K.LIMS], K.LIMS)])
    assert refused.value.problems == [
        "lims.csv:5: amendment_reason (Amendment): THC already has a result at lims.csv:2: a "
        "repeated result is an amendment and must say why (map and fill an amendment_reason "
        "column)"
    ]
    explained = again.replace(",3.1,", ",3.3,").rstrip("\n") + "transcription error\n"
    _import(
        records_engine,
        [
            cases,
            (
                _write(tmp_path, "lims2.csv", LIMS_HEADER + LIMS_ROWS + explained),
                specs[K.LIMS],
                K.LIMS,
            ),
        ],
    )
    # A later file amends a held exhibit's result the same way (and only with a reason).
    later = explained.replace(",3.3,", ",3.2,").replace("transcription error", "reissued report")
    with pytest.raises(
        importer.ForensicImportRefused, match="THC already has a result on the held exhibit"
    ):
        _import(
            records_engine,
            [
                (
                    _write(
                        tmp_path, "lims3.csv", LIMS_HEADER + later.replace("reissued report", "")
                    ),
                    specs[K.LIMS],
                    K.LIMS,
                )
            ],
        )
    _import(
        records_engine,
        [(_write(tmp_path, "lims4.csv", LIMS_HEADER + later), specs[K.LIMS], K.LIMS)],
    )
    with Session(records_engine) as db:
        thc = db.scalars(
            select(ExhibitResult)
            .where(ExhibitResult.analyte == "THC")
            .order_by(ExhibitResult.version)
        ).all()
        assert [(r.version, r.value, r.amendment_reason) for r in thc] == [
            (1, "3.1", None), (2, "3.3", "transcription error"), (3, "3.2", "reissued report"),
        ]  # fmt: skip
        assert chain.verify(db, thc[0].exhibit_id) is None


def test_a_role_without_write_forensics_is_denied(
    records_engine: Engine, tmp_path: Path, specs: dict
) -> None:
    K = importer.Kind
    analyst = Principal("analyst", Role.ANALYST, "hertfordshire", frozenset({"fsu"}))
    with pytest.raises(PolicyDenied):
        _import(
            records_engine,
            [(_write(tmp_path, "cases.csv", CASES), specs[K.CASE_MANAGEMENT], K.CASE_MANAGEMENT)],
            analyst,
        )
    assert _counts(records_engine)["forensic_cases"] == 0


def test_a_spec_is_checked_before_any_row_is_read(tmp_path: Path) -> None:
    from harmwatch.sources.importspec import SpecError

    bad = CASE_SPEC.replace('date_format = "%d/%m/%Y"', 'date_format = "dd/mm/yyyy"')
    with pytest.raises(SpecError, match=r"options\.date_format"):
        importer.load(_write(tmp_path, "cms.toml", bad), "case-management")
    with pytest.raises(SpecError, match=r"columns\.subject_label"):
        importer.load(
            _write(tmp_path, "cms2.toml", CASE_SPEC.replace('subject_label = "Defendant"', "")),
            "case-management",
        )
