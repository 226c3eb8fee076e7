"""Cases, exhibits and results: the rules, the logged status change, need-to-know."""

from __future__ import annotations

from typing import Any

import pytest
from casework_helpers import (
    REVIEWER,
    WHY,
    case_form,
    exhibit_form,
    freeze,
    setup_exhibit,
    utc,
    who,
)
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError
from harmwatch.forensics import casework, providers
from harmwatch.kernel import policy
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, utc(2025, 3, 31, 12))


def fields(exc: pytest.ExceptionInfo[FormRefused]) -> list[str]:
    return [p.field for p in exc.value.problems]


def test_a_case_follows_the_rules_of_its_status_and_offence(records_engine: Engine) -> None:
    e = records_engine
    made = casework.add_case(e, REVIEWER, case_form(), WHY)
    assert made.offence.startswith("Driving with a specified controlled drug")
    assert (made.force, made.unit, str(made.next_hearing_on)) == (
        "hertfordshire", "herts-forensics", "2025-04-07",
    )  # fmt: skip
    ho = casework.add_case(e, REVIEWER, case_form(reference="HC/2", offence_code="092a"), WHY)
    assert (ho.offence_code, ho.offence) == ("92A", "Trafficking in controlled drugs")
    cases: list[tuple[dict[str, Any], str, str]] = [
        (case_form(reference="HC/3", next_hearing_on=None), "next_hearing_on", "next hearing"),
        (case_form(reference="HC/4", cj_status="convicted"), "decided_on", "day it was decided"),
        (case_form(reference="HC/5", offence_code="RTA99"), "offence_code", "neither"),
        (case_form(reference="HC/6", custody_status="on-the-run"), "custody_status", "one of"),
        (case_form(), "reference", "already recorded"),
        (case_form(reference="HC/7", cj_status="convicted", decided_on="2025-04-02"),
         "decided_on", "in the future"),
    ]  # fmt: skip
    for values, name, why in cases:
        with pytest.raises(FormRefused) as refused:
            casework.add_case(e, REVIEWER, values, WHY)
        assert fields(refused) == [name] and why in str(refused.value), values
    # The same reference in another force is another case.
    essex = who(Role.FORENSIC_REVIEWER, force="essex", name="essex-reviewer")
    assert casework.add_case(e, essex, case_form(), WHY).force == "essex"


def test_a_status_change_is_an_alteration_logged_old_to_new(records_engine: Engine) -> None:
    e = records_engine
    case = casework.add_case(e, REVIEWER, case_form(), WHY)
    with pytest.raises(FormRefused) as refused:
        casework.change_status(e, REVIEWER, case.id, {"cj_status": "convicted"}, WHY)
    assert fields(refused) == ["decided_on"]
    done = casework.change_status(
        e, REVIEWER, case.id,
        {"cj_status": "convicted", "decided_on": "2025-03-28", "custody_status": "released"}, WHY,
    )  # fmt: skip
    assert (done.cj_status, done.next_hearing_on, done.custody_status) == (
        "convicted", None, "released",
    )  # fmt: skip
    with session_scope(e) as db:
        entry = audit.query(db, actor="reviewer", action="alteration", limit=None)[0]
    assert entry.target == f"forensic-case:{case.id}" and entry.outcome == "ok"
    assert entry.details["changed"] == {
        "cj_status": ["awaiting-trial", "convicted"],
        "next_hearing_on": ["2025-04-07", None],
        "decided_on": [None, "2025-03-28"],
        "custody_status": ["bailed", "released"],
    }
    assert entry.justification == WHY


def test_an_exhibits_dates_must_fall_in_order_naming_the_field(records_engine: Engine) -> None:
    e = records_engine
    provider, case, exhibit = setup_exhibit(e)
    shown = casework.read_exhibit(e, REVIEWER, exhibit, justification=WHY)
    assert shown.taken_local == "2025-03-01 23:40 GMT" and shown.laboratory == "Northgate Lab"
    assert (shown.remaining_quantity, shown.remaining_unit) == ("4.5", "mL")
    wrong: list[tuple[dict[str, Any], str, str]] = [
        ({"received_on": "2025-03-02"}, "received_on", "before sent on (2025-03-03)"),
        ({"sent_on": "2025-02-28", "received_on": None}, "sent_on", "before taken at (2025-03-01)"),
        ({"received_on": None, "tested_on": "2025-03-02"}, "tested_on", "before sent on"),
        ({"reported_on": "2025-04-01"}, "reported_on", "in the future"),
        ({"reference": "AB/1"}, "reference", "already recorded"),
        ({"laboratory_id": 999}, "laboratory_id", "no laboratory 999"),
        ({"taken_at": "2025-03-30 01:30"}, "taken_at", "does not exist"),  # clocks went forward
        ({"exhibit_type": "saliva"}, "exhibit_type", "one of"),
    ]
    for overrides, name, why in wrong:
        values = exhibit_form(case, **{"reference": "AB/2", "provider_id": provider, **overrides})
        with pytest.raises(FormRefused) as refused:
            casework.add_exhibit(e, REVIEWER, values, WHY)
        assert fields(refused) == [name] and why in str(refused.value), overrides
    later = casework.update_exhibit(
        e, REVIEWER, exhibit, {"tested_on": "2025-03-05", "reported_on": "2025-03-07"}, WHY
    )
    assert (str(later.tested_on), str(later.reported_on)) == (
        "2025-03-05",
        "2025-03-07",
    )
    with pytest.raises(FormRefused) as refused:
        casework.update_exhibit(e, REVIEWER, exhibit, {"received_on": "2025-03-06"}, WHY)
    assert fields(refused) == ["tested_on"]  # now before the receipt


def test_results_are_versions_and_an_amendment_says_why(records_engine: Engine) -> None:
    e = records_engine
    _, _, exhibit = setup_exhibit(e)
    thc = {"analyte": "THC", "value": "3.1", "unit": "µg/L", "method": "LC-MS/MS",
           "uncertainty": "0.4", "reported_on": "2025-03-07"}  # fmt: skip
    casework.add_result(e, REVIEWER, exhibit, thc, WHY)
    casework.add_result(
        e, REVIEWER, exhibit, {"analyte": "cocaine", "value": "<LOQ", "unit": "µg/L"}, WHY
    )
    with pytest.raises(FormRefused) as refused:
        casework.add_result(e, REVIEWER, exhibit, {**thc, "value": "2.9"}, WHY)
    assert fields(refused) == ["amendment_reason"]
    with pytest.raises(FormRefused) as refused:
        casework.amend_result(e, REVIEWER, exhibit, {**thc, "value": "2.9"}, WHY)
    assert fields(refused) == ["amendment_reason"]
    with pytest.raises(FormRefused) as refused:
        casework.add_result(e, REVIEWER, exhibit, {**thc, "analyte": "MDMA", "value": "lots"}, WHY)
    assert fields(refused) == ["value"]
    done = casework.amend_result(
        e, REVIEWER, exhibit, {**thc, "value": "2.9", "amendment_reason": "calibration re-run"}, WHY
    )
    by = {r.analyte: r for r in done.results}
    assert [(v.version, v.value) for v in by["THC"].versions] == [(1, "3.1"), (2, "2.9")]
    assert (
        by["THC"].current.version == 2
        and by["THC"].current.amendment_reason == "calibration re-run"
    )
    assert by["cocaine"].current.value == "<LOQ"  # kept as the laboratory wrote it
    shown = by["THC"].to_json()
    assert [v["current"] for v in shown["versions"]] == [False, True]


def test_providers_carry_their_accreditation(records_engine: Engine) -> None:
    made = providers.add_provider(
        records_engine, REVIEWER,
        {"name": "Fictional Labs plc", "accreditation_number": "9999",
         "accreditation_scope": "blood toxicology by LC-MS/MS", "accredited_from": "2016-01-01",
         "accredited_until": "2020-12-31", "fictional": "yes"},
        laboratories=({"name": "Eastbridge"}, {"name": "Westbridge"}),
    )  # fmt: skip
    assert (made.accreditation_body, [lab["name"] for lab in made.laboratories]) == (
        "UKAS", ["Eastbridge", "Westbridge"],
    )  # fmt: skip
    from datetime import date

    assert providers.accredited_on(made, date(2020, 12, 31))
    assert not providers.accredited_on(made, date(2021, 1, 1))
    with pytest.raises(FormRefused) as refused:
        providers.add_provider(
            records_engine, REVIEWER,
            {"name": "Other", "accredited_from": "2020-01-01", "accredited_until": "2019-01-01"},
        )  # fmt: skip
    assert fields(refused) == ["accredited_until"]
    assert [p.name for p in providers.list_providers(records_engine, REVIEWER)] == [
        "Fictional Labs plc"
    ]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PCC_VIEWER, Role.INTELLIGENCE_OFFICER])
def test_only_the_forensic_reviewer_reads_or_writes(records_engine: Engine, role: Role) -> None:
    e = records_engine
    _, case, exhibit = setup_exhibit(e)
    other = who(role, name="outsider")
    attempts = [
        lambda: casework.add_case(e, other, case_form(reference="X/1"), WHY),
        lambda: casework.list_cases(e, other, justification=WHY),
        lambda: casework.read_case(e, other, case, justification=WHY),
        lambda: casework.change_status(e, other, case, {"custody_status": "released"}, WHY),
        lambda: casework.add_exhibit(e, other, exhibit_form(case, reference="X/2"), WHY),
        lambda: casework.read_exhibit(e, other, exhibit, justification=WHY),
        lambda: casework.record_custody(
            e, other, exhibit, {"at": "2025-03-02 09:00", "action": "stored",
                                "handled_by": "x", "location": "y"}, WHY),
        lambda: casework.add_result(e, other, exhibit, {"analyte": "THC", "value": "1", "unit": "µg/L"}, WHY),
        lambda: providers.list_providers(e, other),
        lambda: providers.add_provider(e, other, {"name": "Nope"}),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(policy.PolicyDenied):
            attempt()
    with session_scope(e) as db:
        entries = audit.query(db, actor="outsider", limit=None)
    assert len(entries) == len(attempts) and {x.outcome for x in entries} == {"denied"}


def test_reads_are_justified_and_other_forces_see_nothing(records_engine: Engine) -> None:
    e = records_engine
    _, case, exhibit = setup_exhibit(e)
    with pytest.raises(JustificationRequired):
        casework.read_case(e, REVIEWER, case, justification=None)
    shown = casework.read_case(e, REVIEWER, case, justification=WHY)
    assert [x["reference"] for x in shown.exhibits] == ["AB/1"]
    with session_scope(e) as db:
        entry = audit.query(db, actor="reviewer", action="consultation", limit=1)[0]
    assert entry.justification == WHY and f"forensic-exhibit:{exhibit}" in entry.details["records"]
    essex = who(Role.FORENSIC_REVIEWER, force="essex", name="essex-reviewer")
    with pytest.raises(policy.PolicyDenied):
        casework.read_exhibit(e, essex, exhibit, justification=WHY)
    with pytest.raises(NotFoundError):
        casework.read_exhibit(e, essex, exhibit + 100, justification=WHY)
    assert casework.list_cases(e, essex, justification=WHY) == []
