"""Templates, imports and exports: the template loads as written, one bad row stores nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from opsworld import ANALYST, WHY, hypernova, load_prices, who, write_csv
from sqlalchemy import Engine

from harmwatch.errors import InputError
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.operations import bulk, service, summary
from harmwatch.operations.results import RESULT_FORMS
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope


def test_every_result_kind_and_the_operation_have_a_template() -> None:
    kinds = bulk.sheet_kinds()
    assert {"operation", *RESULT_FORMS} <= set(kinds)


@pytest.mark.parametrize("kind", ["operation", "charge", "line-closure", "drug-seizure"])
def test_a_template_has_a_guidance_line_per_column(tmp_path: Path, kind: str) -> None:
    path = bulk.write_template(kind, tmp_path / f"{kind}.csv")
    header, guidance = list(csv.reader(path.open(encoding="utf-8")))
    assert header == list(bulk.sheet_kind(kind).form.names)
    assert len(guidance) == len(header) and guidance[0].startswith("# ")
    form = bulk.sheet_kind(kind).form
    for f, line in zip(form.fields, guidance, strict=True):
        assert ("required" if f.required else "optional") in line
    xlsx = bulk.write_template(kind, tmp_path / f"{kind}.xlsx")
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet.title == kind
    assert [c.value for c in sheet[1]] == header


def test_an_unknown_kind_names_the_kinds_there_are(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="templates exist for operation, warrant"):
        bulk.write_template("raid", tmp_path / "raid.csv")
    with pytest.raises(InputError, match=r"\.csv or \.xlsx"):
        bulk.write_template("warrant", tmp_path / "warrant.txt")


def test_a_filled_in_template_loads_with_its_guidance_line(
    records_engine: Engine, tmp_path: Path
) -> None:
    hypernova(records_engine)
    path = bulk.write_template("arrest", tmp_path / "arrest.csv")
    with path.open("a", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(
            ["Op Hypernova", "2024-07-01", "", "PC 1", "C/1", "A Person", "supply"]
        )
    done = bulk.import_file(records_engine, ANALYST, path, justification=WHY)
    assert done.rows == {"arrest": 1}
    (view,) = service.results(records_engine, ANALYST, kind="arrest", justification=WHY)
    assert (view.fields["person"], view.reference, view.operation) == (
        "A Person",
        "C/1",
        "Op Hypernova",
    )


def test_a_workbook_loads_every_sheet_or_none(records_engine: Engine, tmp_path: Path) -> None:
    hypernova(records_engine)
    book = Workbook()
    arrests = book.active
    assert arrests is not None
    arrests.title = "arrest"
    arrests.append(["operation", "occurred_on", "officer", "person", "offence"])
    arrests.append(["Op Hypernova", "2024-07-01", "PC 1", "One", "supply"])
    cash = book.create_sheet("cash-seizure")
    cash.append(["operation", "occurred_on", "officer", "amount", "power"])
    cash.append(["Op Hypernova", "2024-07-01", "PC 1", 1250.5, "poca-s294"])
    cash.append(["Op Hypernova", "2024-07-01", "PC 1", "a lot", "poca-s294"])
    path = tmp_path / "results.xlsx"
    book.save(path)
    with pytest.raises(FormRefused) as refused:
        bulk.import_file(records_engine, ANALYST, path, justification=WHY)
    assert [str(p) for p in refused.value.problems] == [
        "results.xlsx:cash-seizure:3: amount: 'a lot' is not an amount in pounds, like 1250.50"
    ]
    assert service.results(records_engine, ANALYST, justification=WHY) == []
    cash.delete_rows(3)
    book.save(path)
    done = bulk.import_file(records_engine, ANALYST, path, justification=WHY)
    assert done.rows == {"arrest": 1, "cash-seizure": 1}
    got = summary.summarise(records_engine, ANALYST, justification=WHY)
    assert got.value("cash_seized") == 1250.5 and got.value("arrests") == 1


def test_a_bad_header_is_refused_before_any_row(records_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "warrant.csv",
        ["operation", "occurred_on", "officer", "premisses", "power", "applied_on"],
        [["", "2024-07-01", "PC 1", "1 High St", "pace-s8", "2024-06-30"]],
    )
    with pytest.raises(FormRefused) as refused:
        bulk.import_file(records_engine, ANALYST, path, justification=WHY)
    assert [str(p) for p in refused.value.problems] == [
        "warrant.csv:1: premisses: not a column of the warrant template",
        "warrant.csv:1: premises: a required column is missing",
    ]


def test_rules_across_fields_are_checked_on_import(records_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "line-closure.csv",
        ["occurred_on", "officer", "line_name", "number", "closure_type", "holder", "charged"],
        [["2024-07-01", "DC 1", "Deano", "07700900123", "type-1", "", "no"]],
    )
    with pytest.raises(FormRefused) as refused:
        bulk.import_file(records_engine, ANALYST, path, justification=WHY)
    assert [p.field for p in refused.value.problems] == [
        "holder",
        "charged",
        "confirmed_out_of_use",
    ]
    assert all(p.where == "line-closure.csv:2" for p in refused.value.problems)


def test_an_export_is_a_logged_disclosure_and_does_not_reimport(
    records_engine: Engine, tmp_path: Path
) -> None:
    load_prices(records_engine)
    op = hypernova(records_engine)
    service.record_result(
        records_engine, ANALYST, "charge",
        {"occurred_on": "2024-07-01", "officer": "PC 1", "person": "=HYPERLINK(1)",
         "offence_codes": "92A", "offence_count": 2},
        WHY, operation_id=op.id,
    )  # fmt: skip
    out = bulk.export_file(
        records_engine, ANALYST, "charge", tmp_path / "charge.csv", justification=WHY,
        recipient="CPS Thames and Chiltern",
    )  # fmt: skip
    assert out.rows == 1
    header, row = list(csv.reader((tmp_path / "charge.csv").open(encoding="utf-8")))
    assert header[0] == "ref" and header[1:] == list(RESULT_FORMS["charge"].names)
    assert row[header.index("person")] == "'=HYPERLINK(1)"  # never run as a formula
    assert row[header.index("operation")] == "Op Hypernova"
    with session_scope(records_engine) as db:
        entry = audit.query(db, action="disclosure", limit=1)[0]
    assert entry.details["recipient"] == "CPS Thames and Chiltern"
    assert entry.details["kind"] == "charge" and entry.outcome == "ok"
    with pytest.raises(FormRefused, match="a record already held"):
        bulk.import_file(records_engine, ANALYST, tmp_path / "charge.csv", justification=WHY)


def test_roles_that_may_not_write_may_not_import_or_export(
    records_engine: Engine, tmp_path: Path
) -> None:
    path = bulk.write_template("arrest", tmp_path / "arrest.csv")
    for role in (Role.PCC_VIEWER, Role.FORENSIC_REVIEWER, Role.ADMIN):
        with pytest.raises(PolicyDenied):
            bulk.import_file(records_engine, who(role), path, justification=WHY)
        with pytest.raises(PolicyDenied):
            bulk.export_file(records_engine, who(role), "arrest", tmp_path / "x.csv",
                             justification=WHY, recipient="someone")  # fmt: skip
    with session_scope(records_engine) as db:
        denied = [e for e in audit.query(db, limit=None) if e.actor.startswith("pcc-viewer")]
    assert denied and all(e.outcome == "denied" for e in denied)
