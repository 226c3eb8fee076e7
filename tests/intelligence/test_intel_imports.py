"""Bulk CSV import: every problem named as file:line: field: reason, and nothing stored unless all is well."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from harmwatch.intelligence import entities, imports, linkcharts, reports
from harmwatch.intelligence.imports import ImportFile, ImportRefused
from harmwatch.kernel.principal import Principal
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

WHY = "Op Import: import tests"
OFFICER = Principal("io", Role.INTELLIGENCE_OFFICER, "hertfordshire", frozenset({"dacorum-cid"}))

REPORTS = """reference,scheme,source_evaluation,intelligence_assessment,handling_code,conditions,sanitised_text,originator,reported_on,nim_level
HC-10,3x5x2,2,B,P,,Ann uses 07700 900123,PC One,2025-01-10,1
HC-11,5x5x5,B,2,3,,legacy: Ann is with Bob,PC Two,2014-05-02,2
HC-12,3x5x2,1,A,C,Not outside Herts without DI approval,Bob runs the line,PC Three,2025-02-01,2
"""
ENTITIES = """id,kind,label,value,aliases,date_of_birth
ann,person,Ann Example,,Annie;A-Girl,2000-02-03
bob,person,Bob Example,,,
phone,phone,,07700 900123,,
line,county-line,,ACE line,,
"""
LINKS = """from,to,kind,strength,start,end,reports
ann,phone,uses-phone,confirmed,2025-01-01,,HC-10
ann,bob,associate-of,tentative,,,HC-11
bob,line,runs-line,unconfirmed,,,HC-12;HC-11
"""


def _counts(engine: Engine) -> tuple[int, int]:
    return (
        reports.listing(engine, OFFICER, justification=WHY)[1],
        len(entities.listing(engine, OFFICER, justification=WHY)),
    )


def test_a_clean_import_is_stored_and_logged_as_one_unit(records_engine: Engine) -> None:
    result = imports.import_files(
        records_engine,
        OFFICER,
        reports=ImportFile("reports.csv", REPORTS),
        entities=ImportFile("entities.csv", ENTITIES),
        links=ImportFile("links.csv", LINKS),
    )
    assert (result.reports, result.entities, result.links) == (3, 4, 3)
    listed, _ = reports.listing(records_engine, OFFICER, justification=WHY)
    assert {r.reference: r.grade for r in listed} == {
        "HC-10": "2B P",
        "HC-11": "5x5x5 B23",
        "HC-12": "1A C",
    }
    ann = next(
        e
        for e in entities.listing(records_engine, OFFICER, justification=WHY)
        if e.label == "Ann Example"
    )
    path = linkcharts.find_path(
        records_engine, OFFICER, str(ann.id), str(ann.id + 3), justification=WHY
    ).to_json()
    assert path["paths"][0]["labels"] == ["Ann Example", "Bob Example", "ACE line"]
    with session_scope(records_engine) as db:
        entry = next(e for e in audit.query(db, limit=20) if e.target == "intelligence-import:new")
    assert entry.outcome == "ok" and entry.details["links"] == 3


def test_any_bad_row_refuses_the_whole_import_naming_file_line_and_field(
    records_engine: Engine,
) -> None:
    bad_reports = REPORTS.replace("HC-11,5x5x5,B,2,3", "HC-11,,B,2,3").replace(
        "2025-02-01", "2025-02-31"
    )
    bad_entities = ENTITIES.replace("07700 900123", "0770")
    bad_links = LINKS.replace(
        "ann,bob,associate-of,tentative,,,HC-11", "ann,bob,associate-of,maybe,,,"
    )
    with pytest.raises(ImportRefused) as refused:
        imports.import_files(
            records_engine,
            OFFICER,
            reports=ImportFile("reports.csv", bad_reports),
            entities=ImportFile("entities.csv", bad_entities),
            links=ImportFile("links.csv", bad_links),
        )
    described = [p.describe() for p in refused.value.problems]
    assert described[0].startswith("reports.csv:3: grade: scheme: '' is not a grading scheme")
    assert any(d.startswith("reports.csv:4: reported_on:") for d in described)
    assert any(d.startswith("entities.csv:4: value:") for d in described)
    assert any(d.startswith("links.csv:3: strength:") for d in described)
    assert _counts(records_engine) == (0, 0)


def test_a_link_to_an_unknown_report_rolls_back_every_row(records_engine: Engine) -> None:
    with pytest.raises(ImportRefused, match=r"links\.csv:2: reports: no report 'HC-99'"):
        imports.import_files(
            records_engine,
            OFFICER,
            reports=ImportFile("reports.csv", REPORTS),
            entities=ImportFile("entities.csv", ENTITIES),
            links=ImportFile(
                "links.csv",
                LINKS.replace("confirmed,2025-01-01,,HC-10", "confirmed,2025-01-01,,HC-99"),
            ),
        )
    with session_scope(records_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert (entry.target, entry.outcome) == ("intelligence-import:new", "refused")
    assert _counts(records_engine) == (0, 0)
