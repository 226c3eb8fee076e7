"""A Hypernova-shaped summary reproduced exactly from its records, imported and entered.

The figures are planted by construction (31 people, two of them charged twice, for
139 offences; 30 lines closed, 18 Type 1 and 12 Type 2; three seizures valued by a
price table whose sums are worked by hand), loaded through the bulk import and the
API, and the summary must say exactly that — then change when a record is corrected,
with the correction in the access log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opsworld import ANALYST, PCC, WHY, hypernova, load_prices, who, write_csv
from sqlalchemy import Engine, func, select

from harmwatch.kernel.forms import FormRefused
from harmwatch.operations import bulk, service, summary
from harmwatch.operations.models import OperationResult
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

HEAD = ["operation", "occurred_on", "force", "officer", "reference"]


def _charges(path: Path) -> Path:
    rows = []
    # 31 people: 29 charged once with 4 offences, 2 charged twice (5 + 5 and 6 + 7): 139.
    for i in range(29):
        rows.append(
            ["Op Hypernova", "2024-07-01", "", f"PC {100 + i}", "", f"Person {i:02d}", "92A", 4]
        )
    rows.append(["Op Hypernova", "2024-07-02", "", "PC 200", "", "Twice Charged", "92A", 5])
    rows.append(["Op Hypernova", "2024-08-02", "", "PC 200", "", "  twice   CHARGED ", "92E", 5])
    rows.append(["Op Hypernova", "2024-07-03", "", "PC 201", "", "Again Charged", "92A;92E", 6])
    rows.append(
        ["Op Hypernova", "2024-08-03", "bedfordshire", "PC 201", "", "Again Charged", "92A", 7]
    )
    assert sum(r[-1] for r in rows) == 139
    return write_csv(path, [*HEAD, "person", "offence_codes", "offence_count"], rows)


def _closures(path: Path) -> Path:
    rows = []
    for i in range(18):
        rows.append(["Op Hypernova", "2024-07-10", "", "DC 1", "", f"Line{i}", f"0770090{i:04d}",
                     "type-1", f"Holder {i}", "yes", "yes", "", "", ""])  # fmt: skip
    for i in range(12):
        rows.append(["Op Hypernova", "2024-07-11", "", "DC 2", "", f"Tline{i}", f"0770091{i:04d}",
                     "type-2", "", "no", "", "2024-07-11", "2024-09-01", ""])  # fmt: skip
    header = [*HEAD, "line_name", "number", "closure_type", "holder", "charged",
              "confirmed_out_of_use", "deactivated_on", "check_back_on", "line_entity_id"]  # fmt: skip
    return write_csv(path, header, rows)


def _warrants(path: Path) -> Path:
    rows = []
    for i in range(21):
        executed = "2024-07-05" if i < 19 else ""
        outcome = "drugs-found" if i < 19 else ""
        rows.append(["Op Hypernova", "2024-07-05", "", "DS 3", f"W{i}", f"{i} High Street",
                     "misuse-of-drugs-act-s23", "2024-07-01", "2024-07-02", executed, outcome])  # fmt: skip
    header = [*HEAD, "premises", "power", "applied_on", "granted_on", "executed_on", "outcome"]
    return write_csv(path, header, rows)


@pytest.fixture
def loaded(records_engine: Engine, tmp_path: Path) -> Engine:
    e = records_engine
    load_prices(e)
    hypernova(e)
    for name, make in (("charge.csv", _charges), ("line-closure.csv", _closures),
                       ("warrant.csv", _warrants)):  # fmt: skip
        bulk.import_file(e, ANALYST, make(tmp_path / name), justification=WHY)
    op = service.operation(e, ANALYST, "Op Hypernova")
    # Seizures and cash through the API's function, as a form would post them.
    for values in (
        {"drug": "cocaine", "form": "powder", "quantity": "1.5", "unit": "kg",
         "location": "1 High Street"},  # £40–£80 per g → £60,000–£120,000
        {"drug": "cannabis", "form": "herbal", "quantity": "2500", "unit": "g",
         "location": "2 High Street"},  # £5–£10 per g → £12,500–£25,000
        {"drug": "heroin", "form": "powder", "quantity": "0.25", "unit": "kg",
         "location": "3 High Street"},  # £30–£60 per g → £7,500–£15,000
    ):  # fmt: skip
        service.record_result(
            e, ANALYST, "drug-seizure", {"occurred_on": "2024-07-05", "officer": "DC 4", **values},
            WHY, operation_id=op.id,
        )  # fmt: skip
    service.record_result(
        e, ANALYST, "cash-seizure",
        {"occurred_on": "2024-07-05", "officer": "DC 4", "amount": "£35,250.50",
         "power": "poca-s294"},
        WHY, operation_id=op.id,
    )  # fmt: skip
    for level in ("major", "moderate", "moderate"):
        service.record_result(
            e, ANALYST, "ocg-disruption",
            {"occurred_on": "2024-09-01", "officer": "DI 5", "ocg": "The Northside Crew",
             "level": level, "evidence": "Core members charged; supply lines closed"},
            WHY, operation_id=op.id,
        )  # fmt: skip
    return e


def test_the_summary_reproduces_the_planted_figures_exactly(loaded: Engine) -> None:
    got = summary.summarise(loaded, ANALYST, operations=["Op Hypernova"], justification=WHY)
    data = got.to_json()
    assert data["people_charged"] == 31
    assert data["offences_charged"] == 139
    assert (data["lines_closed"], data["lines_closed_type1"], data["lines_closed_type2"]) == (
        30,
        18,
        12,
    )
    assert (data["warrants_applied"], data["warrants_granted"], data["warrants_executed"]) == (
        21,
        21,
        19,
    )
    assert data["drugs_value_low"] == 60_000 + 12_500 + 7_500
    assert data["drugs_value_high"] == 120_000 + 25_000 + 15_000
    assert data["cash_seized"] == 35250.5
    assert data["ocg_disruptions"] == {"major": 1, "moderate": 2, "minor": 0}
    assert [t["name"] for t in data["price_tables"]] == ["Hertfordshire street prices"]
    assert data["price_tables"][0]["illustrative"] is False
    # Each figure names the records behind it: 33 charges for 31 people.
    assert len(data["records"]["people_charged"]) == 33
    assert len(data["records"]["lines_closed_type1"]) == 18
    assert data["records_counted"] == 33 + 30 + 21 + 3 + 1 + 3
    assert got.sentence().startswith(
        "31 people charged with 139 offences; 30 county lines closed (18 Type 1, 12 Type 2); "
        "£80,000–£160,000 of drugs seized; £35,250.50 cash; 19 warrants executed"
    )


def test_a_force_and_period_narrow_the_same_records(loaded: Engine) -> None:
    july = summary.summarise(
        loaded, ANALYST, since=__import__("datetime").date(2024, 7, 1),
        until=__import__("datetime").date(2024, 7, 31), justification=WHY,
    )  # fmt: skip
    assert july.value("people_charged") == 31  # every person has a July charge
    assert july.value("offences_charged") == 139 - 5 - 7  # the August charges are out
    beds = summary.summarise(loaded, ANALYST, force="bedfordshire", justification=WHY)
    assert (beds.value("people_charged"), beds.value("offences_charged")) == (1, 7)


def test_a_correction_changes_the_summary_and_is_logged(loaded: Engine) -> None:
    charges = service.results(loaded, ANALYST, kind="charge", justification=WHY)
    target = next(c for c in charges if c.fields["person"] == "Person 00")
    fixed = service.correct_result(
        loaded, ANALYST, target.id, {"offence_count": "6", "person": "Person Zero"},
        reason="custody record says six counts", justification=WHY,
    )  # fmt: skip
    assert fixed.fields["offence_count"] == 6
    after = summary.summarise(loaded, ANALYST, operations=["Op Hypernova"], justification=WHY)
    assert after.value("offences_charged") == 141
    assert after.value("people_charged") == 31
    with session_scope(loaded) as db:
        entry = next(
            e for e in audit.query(db, limit=50)
            if e.action == "alteration" and e.target == target.ref
        )  # fmt: skip
        details = json.loads(entry.details_json)
    assert entry.outcome == "ok"
    assert details["changed"]["offence_count"] == ["4", "6"]
    assert details["changed"]["person"] == "changed"  # a name is not copied into the log
    assert details["reason"] == "custody record says six counts"
    assert "Person Zero" not in entry.details_json


def test_the_pcc_viewer_sees_the_figures_and_no_name(loaded: Engine) -> None:
    got = summary.summarise(loaded, PCC, operations=["Op Hypernova"])
    data = got.to_json()
    assert (data["people_charged"], data["offences_charged"], data["lines_closed"]) == (31, 139, 30)
    assert data["exact"] is False
    text = json.dumps(data)
    for name in ("Person 00", "Twice Charged", "High Street", "PC 100", "Holder 3"):
        assert name not in text
    with pytest.raises(Exception, match="may not see"):
        service.results(loaded, PCC, kind="charge", justification=WHY)


def test_another_force_sees_nothing_of_it(loaded: Engine) -> None:
    beds = who(Role.ANALYST, unit="beds-ocu", force="bedfordshire", name="beds")
    got = summary.summarise(loaded, beds, justification=WHY)
    assert got.value("people_charged") == 0 and got.value("lines_closed") == 0
    with pytest.raises(Exception, match="no operation"):
        summary.summarise(loaded, beds, operations=["Op Hypernova"], justification=WHY)


def test_a_bad_row_refuses_the_file_with_its_line_and_field(loaded: Engine, tmp_path: Path) -> None:
    with session_scope(loaded) as db:
        before = db.scalar(
            __import__("harmwatch.kernel.policy", fromlist=["privileged"]).privileged(
                select(func.count()).select_from(OperationResult), "count rows for the test"
            )
        )
    path = write_csv(
        tmp_path / "charge-late.csv",
        [*HEAD, "person", "offence_codes", "offence_count"],
        [
            ["Op Hypernova", "2024-07-01", "", "PC 1", "", "Good Row", "92A", 1],
            ["Op Hypernova", "2024-07-01", "", "PC 1", "", "Bad Count", "92A", "three"],
            ["Op Nowhere", "2024-07-01", "", "PC 1", "", "Bad Operation", "92A", 1],
        ],
    )
    with pytest.raises(FormRefused) as refused:
        bulk.import_file(loaded, ANALYST, path, justification=WHY)
    problems = [str(p) for p in refused.value.problems]
    assert problems == [
        "charge-late.csv:3: offence_count: 'three' is not a whole number",
    ]
    # Once the types are right, the store's own check names the operation that is missing.
    path.write_text(path.read_text().replace("three", "3"))
    with pytest.raises(FormRefused) as refused:
        bulk.import_file(loaded, ANALYST, path, justification=WHY)
    assert [str(p) for p in refused.value.problems] == [
        "charge-late.csv:4: operation: no operation named 'Op Nowhere' that you may see"
    ]
    with session_scope(loaded) as db:
        after = db.scalar(
            __import__("harmwatch.kernel.policy", fromlist=["privileged"]).privileged(
                select(func.count()).select_from(OperationResult), "count rows for the test"
            )
        )
    assert after == before  # the good rows were not stored either
    with session_scope(loaded) as db:
        refusal = next(e for e in audit.query(db, limit=5) if e.target.startswith("records-import"))
    assert refusal.outcome == "refused"


def test_a_correction_that_cannot_be_valued_is_refused_and_keeps_the_old_value(
    loaded: Engine,
) -> None:
    seizures = service.results(loaded, ANALYST, kind="drug-seizure", justification=WHY)
    cocaine = next(s for s in seizures if s.fields["drug"] == "cocaine")
    with pytest.raises(FormRefused, match="unit: the corrected seizure cannot be valued"):
        service.correct_result(
            loaded, ANALYST, cocaine.id, {"unit": "tablet"}, reason="counted as tablets",
            justification=WHY,
        )  # fmt: skip
    after = summary.summarise(loaded, ANALYST, operations=["Op Hypernova"], justification=WHY)
    assert after.value("drugs_value_low") == 80_000  # as before the refused correction
    # A correction that can be valued revalues it; the summary follows the new value.
    service.correct_result(
        loaded, ANALYST, cocaine.id, {"quantity": "1"}, reason="reweighed at the lab",
        justification=WHY,
    )  # fmt: skip
    again = summary.summarise(loaded, ANALYST, operations=["Op Hypernova"], justification=WHY)
    assert again.value("drugs_value_low") == 80_000 - 60_000 + 40_000


def test_referrals_into_treatment_and_safeguarding_are_counted_for_the_operation(
    loaded: Engine,
) -> None:
    from datetime import date

    from harmwatch.programmes import service as programmes
    from harmwatch.safeguarding import referrals

    scheme = programmes.create_programme(
        loaded, ANALYST,
        {"name": "Herts arrest referral", "programme_type": "treatment-referral",
         "starts_on": "2024-01-01"},
    )  # fmt: skip
    for who_ in ("custody 1", "custody 2"):
        programmes.record_event(
            loaded, ANALYST, scheme.id, "referred",
            {"occurred_on": "2024-07-02", "participant": who_, "route": "arrest-referral",
             "substance": "crack-cocaine", "operation": "Op Hypernova"},
            WHY,
        )  # fmt: skip
    officer = who(Role.NEIGHBOURHOOD_OFFICER, name="pc")
    op = service.operation(loaded, ANALYST, "Op Hypernova")
    referrals.record_referral(
        loaded, officer,
        referrals.ReferralDraft(
            referral_kind="safeguarding", subject_label="A child met at the address",
            subject_is_child=True, concern="child-criminal-exploitation",
            referred_on=date(2024, 7, 5), agency="Hertfordshire children's services",
            source_kind="operation", source_ref=op.ref,
        ),
        WHY,
    )  # fmt: skip
    got = summary.summarise(loaded, ANALYST, operations=["Op Hypernova"], justification=WHY)
    assert got.value("treatment_referrals") == 2
    assert len(got.figures["treatment_referrals"].records) == 2
    assert got.value("safeguarding_referrals") == 1
    pcc = summary.summarise(loaded, PCC, operations=["Op Hypernova"]).to_json()
    assert pcc["treatment_referrals"] == "fewer than 5"  # small numbers, for figures only
    assert "safeguarding_referrals" not in pcc
