"""Price tables: a version loaded all or nothing, errors by file, line and field, never edited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from seizureworld import ANALYST, ESSEX, OFFICER, PCC, log, price_file, tables_named
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.operations import prices
from harmwatch.storage.records import session_scope


def test_a_table_loads_as_pence_and_an_edit_is_the_next_version(
    records_engine: Engine, tmp_path: Path
) -> None:
    first = price_file(
        tmp_path,
        "herts.csv",
        "cocaine,powder,national,g,40,80",
        "mdma,tablets,national,tablet,5.5,10",
    )
    v1 = prices.load_table(
        records_engine,
        ANALYST,
        first,
        name="Herts street prices",
        source="Herts drugs expert witness, 2025 survey",
        valid_from="2025-01-01",
    )
    assert (v1.title, v1.force, v1.illustrative, v1.label) == (
        "Herts street prices v1",
        "hertfordshire",
        False,
        None,
    )
    assert [(e.drug, e.unit, e.low_pence, e.high_pence) for e in v1.entries] == [
        ("cocaine", "g", 4000, 8000),
        ("mdma", "tablet", 550, 1000),
    ]
    second = price_file(tmp_path, "herts2.csv", "cocaine,powder,national,g,45,85")
    v2 = prices.load_table(
        records_engine,
        ANALYST,
        second,
        name="Herts street prices",
        source="Herts drugs expert witness, 2026 survey",
        valid_from="2026-01-01",
    )
    assert v2.version == 2 and v2.id != v1.id
    # version 1 is exactly as it was loaded
    again = prices.get_table(records_engine, ANALYST, v1.id)
    assert again.entries == v1.entries and again.source == v1.source
    assert again.valid_from == date(2025, 1, 1)
    collections = [e for e in log(records_engine, "ana") if e.action == "collection"]
    assert [(e.target, e.outcome, e.details["entries"]) for e in collections] == [
        ("price-table:Herts street prices v1", "ok", 2),
        ("price-table:Herts street prices v2", "ok", 1),
    ]


def test_a_bad_row_refuses_the_file_with_its_line_and_field(
    records_engine: Engine, tmp_path: Path
) -> None:
    bad = price_file(
        tmp_path,
        "bad.csv",
        "cocaine,powder,national,g,40,80",  # line 2: fine
        "glue,powder,national,g,1,2",  # line 3: no such drug
        "heroin,powder,national,g,80,40",  # line 4: low above high
        "cocaine,powder,national,g,41,81",  # line 5: priced twice
        "ketamine,powder,national,ounce,10,20",  # line 6: unit
        "ketamine,powder,East of England,g,ten,20",  # line 7: region and low
    )
    with pytest.raises(FormRefused) as refused:
        prices.load_table(
            records_engine, ANALYST, bad, name="bad", source="test", valid_from="2025-01-01"
        )
    said = [str(p) for p in refused.value.problems]
    assert said[0].startswith("bad.csv:3: drug: 'glue': one of cannabis")
    assert said[1:] == [
        "bad.csv:4: high: £40.00 is below low (£80.00)",
        "bad.csv:5: region: cocaine/powder/national is already priced on line 2",
        "bad.csv:6: unit: 'ounce': one of g, kg, tablet, plant, wrap, ml",
        "bad.csv:7: low: 'ten' is not an amount in pounds, like 1250.50",
    ]
    assert "bad.csv:3: drug:" in str(refused.value)  # the message names them too
    assert tables_named(records_engine, "bad") == 0  # nothing stored
    entry = log(records_engine, "ana")[-1]
    assert (entry.action, entry.outcome) == ("collection", "refused")
    assert "bad.csv:4: high" in entry.details["error"]


def test_a_region_that_is_not_one_word_is_refused(records_engine: Engine, tmp_path: Path) -> None:
    bad = price_file(tmp_path, "r.csv", "ketamine,powder,East of England,g,10,20")
    with pytest.raises(FormRefused) as refused:
        prices.load_table(
            records_engine, ANALYST, bad, name="r", source="s", valid_from="2025-01-01"
        )
    assert [(p.where, p.field) for p in refused.value.problems] == [("r.csv:2", "region")]


def test_the_header_and_the_metadata_are_checked(records_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("drug,form,region,units,low,high\ncocaine,powder,national,g,1,2\n")
    with pytest.raises(FormRefused) as refused:
        prices.load_table(
            records_engine, ANALYST, path, name="x", source="s", valid_from="2025-01-01"
        )
    assert [str(p) for p in refused.value.problems] == [
        "cols.csv:1: unit: column missing from the header",
        "cols.csv:1: units: not a column of a price table",
    ]
    only_header = price_file(tmp_path, "empty.csv")
    with pytest.raises(FormRefused, match=r"empty\.csv:2: drug: no price rows"):
        prices.load_table(
            records_engine, ANALYST, only_header, name="x", source="s", valid_from="2025-01-01"
        )
    good = price_file(tmp_path, "ok.csv", "cocaine,powder,national,g,1,2")
    with pytest.raises(FormRefused) as refused:
        prices.load_table(records_engine, ANALYST, good, name=" ", source="", valid_from="1/1/25")
    assert [p.field for p in refused.value.problems] == ["name", "source", "valid_from"]
    assert tables_named(records_engine, "x") == 0


def test_an_xlsx_file_loads_like_a_csv(records_engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["drug", "form", "region", "unit", "low", "high"],
        ["cannabis", "herbal", "east-of-england", "g", 8, 12.5],
        [None, None, None, None, None, None],  # a blank line keeps the numbering
        ["cannabis", "herbal", "east-of-england", "g", 9, 13],
    ):
        sheet.append(row)
    path = tmp_path / "prices.xlsx"
    book.save(path)
    with pytest.raises(
        FormRefused, match=r"prices\.xlsx:4: region: cannabis/herbal/east-of-england"
    ):
        prices.load_table(
            records_engine, ANALYST, path, name="x", source="s", valid_from="2025-01-01"
        )
    sheet.delete_rows(4)
    book.save(path)
    done = prices.load_table(
        records_engine, ANALYST, path, name="x", source="s", valid_from="2025-01-01"
    )
    assert [(e.region, e.low_pence, e.high_pence) for e in done.entries] == [
        ("east-of-england", 800, 1250)
    ]


def test_who_may_load_and_whose_table_a_name_is(records_engine: Engine, tmp_path: Path) -> None:
    path = price_file(tmp_path, "p.csv", "cocaine,powder,national,g,40,80")
    for who in (OFFICER, PCC):
        with pytest.raises(PolicyDenied):
            prices.load_table(
                records_engine, who, path, name="p", source="s", valid_from="2025-01-01"
            )
    assert tables_named(records_engine, "p") == 0
    assert log(records_engine, "pc")[-1].outcome == "denied"
    prices.load_table(records_engine, ANALYST, path, name="p", source="s", valid_from="2025-01-01")
    # Essex may not "edit" Hertfordshire's table by loading one of the same name
    with pytest.raises(FormRefused, match="name: 'p' is another force's table"):
        prices.load_table(
            records_engine, ESSEX, path, name="p", source="s", valid_from="2025-01-01"
        )
    shipped = prices.list_tables(records_engine, ESSEX)  # seeds the shipped table
    with pytest.raises(FormRefused, match="another force's table"):
        prices.load_table(
            records_engine, ANALYST, path, name=shipped[0].name, source="s", valid_from="2025-01-01"
        )


def test_the_shipped_table_is_illustrative_and_seeded_once(records_engine: Engine) -> None:
    with session_scope(records_engine) as db:
        first = prices.ensure_illustrative_table(db, "system")
        again = prices.ensure_illustrative_table(db, "system")
        assert first.id == again.id
        assert (first.force, first.illustrative, first.version) == ("", True, 1)
        assert prices.label_of(first) == prices.ILLUSTRATIVE_LABEL
        shipped = prices.view(db, first)
    assert "No open UK street-price table exists to ship" in prices.ILLUSTRATIVE_LABEL
    assert "load your force's own table" in (shipped.label or "")
    assert shipped.source and shipped.valid_from == date(2020, 1, 1)
    assert ("cocaine", "powder", "national") in {
        (e.drug, e.form, e.region) for e in shipped.entries
    }


def test_a_force_sees_its_own_tables_and_the_shipped_one(
    records_engine: Engine, tmp_path: Path
) -> None:
    path = price_file(tmp_path, "p.csv", "cocaine,powder,national,g,40,80")
    herts = prices.load_table(
        records_engine, ANALYST, path, name="herts", source="s", valid_from="2025-01-01"
    )
    essex = prices.load_table(
        records_engine, ESSEX, path, name="essex", source="s", valid_from="2025-01-01"
    )
    seen = {t.title: t.label is not None for t in prices.list_tables(records_engine, ANALYST)}
    assert seen == {"herts v1": False, "illustrative street prices v1": True}
    assert prices.list_tables(records_engine, OFFICER)  # readers see them too
    with pytest.raises(NotFoundError):
        prices.get_table(records_engine, ANALYST, essex.id)
    with pytest.raises(PolicyDenied):
        prices.list_tables(records_engine, PCC)
    assert prices.get_table(records_engine, ESSEX, essex.id).title == "essex v1"
    assert herts.id != essex.id


def test_a_force_lies_in_its_ons_region() -> None:
    assert prices.force_region("hertfordshire") == "east-of-england"
    assert prices.force_region("Essex ") == "east-of-england"
    assert prices.force_region("metropolitan") == "london"
    assert prices.force_region("gwent") == "wales"
    assert prices.force_region("atlantis") == "national"
    assert len(prices.FORCE_REGIONS) == 43  # the territorial forces of England and Wales


def test_pounds_are_shown_with_separators() -> None:
    assert prices.pounds(12000000) == "£120,000.00"
    assert prices.pounds(5) == "£0.05"
