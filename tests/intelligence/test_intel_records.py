"""Reports, entities and links: grading, versions, legacy grades, links that must rest on a report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from harmwatch.errors import InputError, NotFoundError
from harmwatch.intelligence import entities, reports
from harmwatch.intelligence.entities import EntityDraft
from harmwatch.intelligence.grading import grade
from harmwatch.kernel.principal import Principal
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage import models
from harmwatch.storage.records import session_scope

WHY = "Op Records: record tests"
OFFICER = Principal("io", Role.INTELLIGENCE_OFFICER, "hertfordshire", frozenset({"dacorum-cid"}))


def draft(**changes: object) -> reports.ReportDraft:
    values: dict[str, object] = {
        "reference": "HC-1",
        "grade": grade("3x5x2", "2", "B", "P"),
        "sanitised_text": "subject deals from the flat",
        "originator": "PC Test",
        "reported_on": date(2025, 3, 1),
    }
    values.update(changes)
    return reports.ReportDraft(**values)  # type: ignore[arg-type]


def test_a_grade_must_name_its_scheme_and_use_its_values() -> None:
    assert str(grade("3x5x2", "1", "a", "p")) == "1A P"
    with pytest.raises(InputError, match="source_evaluation: 'B' is not a 3x5x2 value"):
        grade("3x5x2", "B", "2", "P")
    with pytest.raises(InputError, match="scheme: '' is not a grading scheme"):
        grade("", "1", "A", "P")
    legacy = grade("5x5x5", "B", "2", "3")
    assert str(legacy) == "5x5x5 B23" and "not converted" in legacy.describe()


def test_an_edit_is_a_new_version_and_the_old_one_stays_readable(records_engine: Engine) -> None:
    first = reports.create(records_engine, OFFICER, draft())
    second = reports.revise(
        records_engine,
        OFFICER,
        first,
        draft(grade=grade("3x5x2", "1", "B", "P")),
        "corroborated by a second source",
    )
    current = reports.read(records_engine, OFFICER, second, justification=WHY)
    assert (current.version, current.grade, current.current) == (2, "1B P", True)
    assert [(v.version, v.grade, v.current) for v in current.versions] == [(1, "2B P", False)]
    old = reports.read(records_engine, OFFICER, first, justification=WHY)
    assert not old.current and old.grade == "2B P"
    listed, total = reports.listing(records_engine, OFFICER, justification=WHY)
    assert total == 1 and listed[0].version == 2
    with pytest.raises(InputError, match="not the current version"):
        reports.revise(records_engine, OFFICER, first, draft(), "a second change of the old one")
    with pytest.raises(InputError, match="reason"):
        reports.revise(records_engine, OFFICER, second, draft(), "short")


def test_a_legacy_grade_is_kept_and_handled_under_conditions_that_say_so(
    records_engine: Engine,
) -> None:
    report_id = reports.create(
        records_engine, OFFICER, draft(reference="OLD-1", grade=grade("5x5x5", "B", "2", "4"))
    )
    seen = reports.read(records_engine, OFFICER, report_id, justification=WHY)
    assert seen.legacy and seen.grade == "5x5x5 B24"
    assert seen.conditions is not None and "legacy 5x5x5 handling code 4" in seen.conditions
    assert seen.restriction == "restricted"  # "within the originating agency only"


def test_a_report_is_refused_with_the_field_named(records_engine: Engine) -> None:
    with pytest.raises(InputError, match="handling code C needs its conditions"):
        reports.create(records_engine, OFFICER, draft(grade=grade("3x5x2", "2", "B", "C")))
    with pytest.raises(InputError, match="information_date"):
        reports.create(records_engine, OFFICER, draft(information_date=date(2025, 4, 1)))
    reports.create(records_engine, OFFICER, draft())
    with pytest.raises(InputError, match="already a report of your force"):
        reports.create(records_engine, OFFICER, draft())


def test_due_for_review_lists_what_its_retention_rule_has_reached(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports.create(records_engine, OFFICER, draft())
    assert reports.listing(records_engine, OFFICER, justification=WHY, due_only=True)[1] == 0
    later = models.utcnow() + timedelta(days=366)  # "intelligence": yearly review
    monkeypatch.setattr(models, "utcnow", lambda: later)
    due, total = reports.listing(records_engine, OFFICER, justification=WHY, due_only=True)
    assert total == 1 and due[0].due_for_review


def test_identifiers_are_normalised_so_one_phone_is_one_key(records_engine: Engine) -> None:
    ids = [
        entities.create_entity(records_engine, OFFICER, EntityDraft("phone", value=v))
        for v in ("07700 900123", "+447700900123", "447700900123")
    ]
    found = entities.listing(records_engine, OFFICER, justification=WHY, kind="phone")
    assert {e.id for e in found} == set(ids)
    assert {e.match_key for e in found} == {"+447700900123"}
    with pytest.raises(InputError, match="value"):
        entities.create_entity(records_engine, OFFICER, EntityDraft("phone", value="12345"))
    with pytest.raises(InputError, match="value"):
        entities.create_entity(
            records_engine, OFFICER, EntityDraft("handset", value="490154203237517")
        )


def test_a_link_must_rest_on_a_report_the_author_may_see(records_engine: Engine) -> None:
    a = entities.create_entity(records_engine, OFFICER, EntityDraft("person", "Ann Example"))
    b = entities.create_entity(records_engine, OFFICER, EntityDraft("phone", value="07700900123"))
    report = reports.create(records_engine, OFFICER, draft())
    with pytest.raises(InputError, match="must rest on at least one intelligence report"):
        entities.create_link(records_engine, OFFICER, a, b, "uses-phone", "confirmed", [])
    with pytest.raises(NotFoundError, match="no intelligence report 999"):
        entities.create_link(records_engine, OFFICER, a, b, "uses-phone", "confirmed", [999])
    with pytest.raises(InputError, match="joins person to phone"):
        entities.create_link(records_engine, OFFICER, b, a, "uses-phone", "confirmed", [report])
    link = entities.create_link(records_engine, OFFICER, a, b, "uses-phone", "confirmed", [report])
    with session_scope(records_engine) as db:
        entry = audit.query(db, limit=1)[0]
    assert (entry.action, entry.target) == ("collection", f"intelligence-link:{link}")
    assert f"intelligence-report:{report}" in str(entry.details)


def test_a_merge_hides_the_duplicate_and_can_be_undone(records_engine: Engine) -> None:
    from harmwatch.intelligence import linkcharts

    a = entities.create_entity(records_engine, OFFICER, EntityDraft("person", "John Smith"))
    b = entities.create_entity(records_engine, OFFICER, EntityDraft("person", "Jon Smith"))
    phone = entities.create_entity(
        records_engine, OFFICER, EntityDraft("phone", value="07700900123")
    )
    report = reports.create(records_engine, OFFICER, draft())
    entities.create_link(records_engine, OFFICER, b, phone, "uses-phone", "confirmed", [report])
    decision = entities.decide_merge(
        records_engine, OFFICER, a, b, merge=True, evidence="names 'Jon Smith'/'John Smith' 0.95"
    )
    chart = linkcharts.chart(records_engine, OFFICER, None, justification=WHY)
    assert {n.label for n in chart.nodes} == {"John Smith", "+447700900123"}
    assert [(e.source, e.target) for e in chart.edges] == [
        (f"intelligence-entity:{a}", f"intelligence-entity:{phone}")
    ]
    entities.undo_merge(records_engine, OFFICER, decision)
    chart = linkcharts.chart(records_engine, OFFICER, None, justification=WHY)
    assert {n.label for n in chart.nodes} == {"John Smith", "Jon Smith", "+447700900123"}
    with session_scope(records_engine) as db:
        actions = [(e.action, e.target) for e in audit.query(db, limit=4)]
    assert ("combination", f"intelligence-entity:{b}") in actions
    assert ("alteration", f"intelligence-merge:{decision}") in actions


def test_a_watcher_is_told_when_a_new_report_mentions_the_entity(records_engine: Engine) -> None:
    from harmwatch.intelligence import watches

    phone = entities.create_entity(
        records_engine, OFFICER, EntityDraft("phone", value="07700900123")
    )
    person = entities.create_entity(
        records_engine,
        OFFICER,
        EntityDraft("person", "Dean Example", date_of_birth=date(1999, 1, 2)),
    )
    watches.watch(records_engine, OFFICER, phone)
    watches.watch(records_engine, OFFICER, person)
    reports.create(
        records_engine, OFFICER, draft(reference="HC-2", sanitised_text="nothing of note")
    )
    assert watches.alerts(records_engine, OFFICER, justification=WHY) == []
    reports.create(
        records_engine,
        OFFICER,
        draft(reference="HC-3", sanitised_text="Dean Example now uses +44 7700 900123 to deal"),
    )
    told = watches.alerts(records_engine, OFFICER, justification=WHY)
    assert sorted((a["entity_label"], a["reference"]) for a in told) == [
        ("+447700900123", "HC-3"),
        ("Dean Example", "HC-3"),
    ]
    assert watches.alerts(records_engine, OFFICER, justification=WHY) == []  # seen


def test_merge_suggestions_show_their_evidence_and_a_rejected_one_is_not_offered_again(
    records_engine: Engine,
) -> None:
    from harmwatch.intelligence import suggestions

    born = date(1998, 4, 7)
    a = entities.create_entity(
        records_engine, OFFICER, EntityDraft("person", "John Smith", date_of_birth=born)
    )
    b = entities.create_entity(
        records_engine, OFFICER, EntityDraft("person", "SMITH Jon", date_of_birth=born)
    )
    entities.create_entity(
        records_engine, OFFICER, EntityDraft("person", "Mary Jones", date_of_birth=born)
    )
    offered = suggestions.merge_suggestions(records_engine, OFFICER, justification=WHY)
    assert [(s["a_label"], s["b_label"]) for s in offered] == [("John Smith", "SMITH Jon")]
    assert any("1998-04-07" in e for e in offered[0]["evidence"])
    entities.decide_merge(records_engine, OFFICER, a, b, merge=False, evidence="different people")
    assert suggestions.merge_suggestions(records_engine, OFFICER, justification=WHY) == []


def test_a_reports_mentions_are_offered_not_added(records_engine: Engine) -> None:
    from harmwatch.intelligence import suggestions

    known = entities.create_entity(
        records_engine, OFFICER, EntityDraft("vehicle", value="XX19 DEM")
    )
    report = reports.create(
        records_engine,
        OFFICER,
        draft(sanitised_text="Seen in XX19DEM at HP2 4AA calling 07700 900404"),
    )
    before = len(entities.listing(records_engine, OFFICER, justification=WHY))
    found = suggestions.mentions_in_report(records_engine, OFFICER, report, justification=WHY)
    assert [(m["kind"], m["key"], m["known"]) for m in found] == [
        ("vehicle", "XX19DEM", f"intelligence-entity:{known}"),
        ("postcode", "HP2 4AA", None),
        ("phone", "+447700900404", None),
    ]
    assert len(entities.listing(records_engine, OFFICER, justification=WHY)) == before


def test_review_erases_a_link_then_its_entity_and_refuses_the_entity_first(
    records_engine: Engine,
) -> None:
    from harmwatch.kernel.refs import RecordRef
    from harmwatch.kernel.subjects import ReviewDecision, review

    dpo = Principal("dpo", Role.DATA_PROTECTION_OFFICER, "hertfordshire", frozenset({"info"}))
    a = entities.create_entity(records_engine, OFFICER, EntityDraft("person", "Ann Example"))
    b = entities.create_entity(records_engine, OFFICER, EntityDraft("phone", value="07700900123"))
    report = reports.create(records_engine, OFFICER, draft())
    link = entities.create_link(records_engine, OFFICER, a, b, "uses-phone", "confirmed", [report])
    with pytest.raises(InputError, match="has 1 link"):
        review(
            records_engine,
            dpo,
            RecordRef("intelligence-entity", str(a)),
            ReviewDecision.DELETE,
            "MoPI review: no longer necessary",
        )
    review(
        records_engine,
        dpo,
        RecordRef("intelligence-link", str(link)),
        ReviewDecision.DELETE,
        "MoPI review: no longer necessary",
    )
    review(
        records_engine,
        dpo,
        RecordRef("intelligence-entity", str(a)),
        ReviewDecision.DELETE,
        "MoPI review: no longer necessary",
    )
    review(
        records_engine,
        dpo,
        RecordRef("intelligence-report", str(report)),
        ReviewDecision.DELETE,
        "MoPI review: no longer necessary",
    )
    left = entities.listing(records_engine, OFFICER, justification=WHY)
    assert [e.id for e in left] == [b]
    with session_scope(records_engine) as db:
        erased = [
            e.target for e in audit.query(db, action="erasure", limit=None) if e.outcome == "ok"
        ]
    assert erased == [
        f"intelligence-report:{report}",
        f"intelligence-entity:{a}",
        f"intelligence-link:{link}",
    ]


def test_subject_access_finds_the_persons_entities_and_the_reports_naming_their_phone(
    records_engine: Engine,
) -> None:
    from harmwatch.kernel.records import SubjectTerms
    from harmwatch.kernel.subjects import subject_access

    dpo = Principal("dpo", Role.DATA_PROTECTION_OFFICER, "hertfordshire", frozenset({"info"}))
    entities.create_entity(records_engine, OFFICER, EntityDraft("person", "Ann Example"))
    entities.create_entity(records_engine, OFFICER, EntityDraft("phone", value="07700900123"))
    reports.create(
        records_engine, OFFICER, draft(sanitised_text="Ann Example calls from 07700 900123")
    )
    reports.create(records_engine, OFFICER, draft(reference="HC-9", sanitised_text="unrelated"))
    found = subject_access(
        records_engine,
        dpo,
        SubjectTerms(name="Ann Example", identifiers=("+44 7700 900123",)),
        justification="SAR 2026-001 from the data subject",
    )
    kinds = sorted(item.kind for item in found.held if item.room == "intelligence")
    assert kinds == ["intelligence-entity", "intelligence-entity", "intelligence-report"]
