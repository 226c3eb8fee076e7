"""Programmes through the library: measures checked by hand, pseudonyms, refusals, corrections."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from programme_world import OFFICER, WHY, event, programme
from sqlalchemy import Engine, inspect, text

from harmwatch.kernel.forms import FormRefused
from harmwatch.programmes import outcomes, pseudonyms, service
from harmwatch.security import audit
from harmwatch.storage.records import session_scope


def _figures(engine: Engine, pid: int) -> dict[str, object]:
    (result,) = outcomes.outcomes(engine, OFFICER, pid, justification=WHY)
    return {
        m.key: (m.value if m.kind != "ratio" else (m.numerator, m.denominator, m.percent))
        for m in result.measures
    }


def test_checkpoint_measures_with_entered_reoffending_at_12_and_24_months(
    records_engine: Engine,
) -> None:
    e = records_engine
    pid = programme(e, "checkpoint", "Checkpoint Dacorum")
    # Eight people, each with a fate chosen by a seeded generator; the expected figures
    # are counted here from the same fates, independently of the code under test.
    rng = random.Random(15)
    expected: dict[str, int] = {"assessed": 0, "eligible": 0, "signed": 0, "completed": 0}
    checks: dict[str, list[int]] = {"12": [0, 0], "24": [0, 0]}  # months -> [checked, reoffended]
    for n in range(8):
        who = f"41/{n:04d}/25"
        eligible = rng.random() < 0.8
        event(e, pid, "eligibility-assessed", "2025-01-10", who, eligible=eligible)
        expected["assessed"] += 1
        if not eligible:
            continue
        expected["eligible"] += 1
        event(e, pid, "contract-signed", "2025-01-20", who, conditions="treatment;education")
        expected["signed"] += 1
        done = rng.random() < 0.7
        event(e, pid, "completed", "2025-05-20", who, completed=done)
        expected["completed"] += int(done)
        for months in ("12", "24"):
            if rng.random() < 0.9:
                again = rng.random() < 0.3
                event(
                    e,
                    pid,
                    "reoffending-check",
                    "2026-01-20",
                    who,
                    months=months,
                    reoffended="yes" if again else "no",
                )
                checks[months][0] += 1
                checks[months][1] += int(again)
    # the same person assessed twice counts once among people assessed
    event(e, pid, "eligibility-assessed", "2025-01-11", "41 / 0000 / 25", eligible=True)
    got = _figures(e, pid)
    assert (got["assessed"], got["eligible"], got["signed"], got["completed"]) == (
        expected["assessed"],
        expected["eligible"] + (0 if _first_eligible(15) else 1),
        expected["signed"],
        expected["completed"],
    )
    for months in ("12", "24"):
        checked, reoffended = checks[months]
        assert got[f"checked-{months}"] == checked
        assert got[f"reoffended-{months}"] == reoffended
        rate = outcomes.percent(reoffended, checked)
        assert got[f"reoffending-rate-{months}"] == (reoffended, checked, rate)
    assert got["completion-rate"] == (
        expected["completed"],
        expected["signed"],
        outcomes.percent(expected["completed"], expected["signed"]),
    )


def _first_eligible(seed: int) -> bool:
    return random.Random(seed).random() < 0.8


def test_counts_sums_ratios_and_drill_down_by_hand(records_engine: Engine) -> None:
    e = records_engine
    visits = programme(e, "custody-visiting", "Herts custody visiting")
    a = event(
        e,
        visits,
        "visit",
        "2025-03-01",
        suite="Hatfield",
        detainees_held=10,
        detainees_seen=6,
        issues_raised=4,
        issues_resolved=3,
    )
    b = event(
        e,
        visits,
        "visit",
        "2025-03-08",
        suite="Stevenage",
        detainees_held=6,
        detainees_seen=2,
        issues_raised=0,
    )
    event(
        e,
        visits,
        "visit",
        "2024-12-31",
        suite="Hatfield",
        detainees_held=1,
        detainees_seen=1,
        issues_raised=1,
        issues_resolved=1,
    )
    (result,) = outcomes.outcomes(
        e, OFFICER, visits, since=__import__("datetime").date(2025, 1, 1), justification=WHY
    )
    by_key = {m.key: m for m in result.measures}
    assert by_key["visits"].value == 2 and set(by_key["visits"].refs) == {a.ref, b.ref}
    assert (by_key["detainees-held"].value, by_key["detainees-seen"].value) == (16, 8)
    assert (by_key["seen-rate"].numerator, by_key["seen-rate"].denominator) == (8, 16)
    assert by_key["seen-rate"].percent == "50.0"
    # issues_resolved was not given on visit b: the sum is over the one visit that has it
    assert by_key["issues-resolved"].value == 3 and by_key["issues-resolved"].refs == (a.ref,)
    assert by_key["resolution-rate"].percent == "75.0"

    hours = programme(e, "volunteers", "Specials on drug-harm duty")
    event(e, hours, "duty", "2025-03-01", "sc 4411", hours="7.5", duty="patrol")
    event(e, hours, "duty", "2025-03-02", "SC4411", hours="4", duty="warrant-support")
    event(e, hours, "duty", "2025-03-02", "SC 1200", hours="3.25")
    got = _figures(e, hours)
    assert got == {"volunteers": 2, "duties": 3, "hours": Decimal("14.75")}

    dip = programme(e, "treatment-referral", "Herts DIP")
    for n, entered in enumerate([True, True, False, True, False]):
        event(e, dip, "referred", "2025-02-01", f"custody-{n}", route="test-on-arrest")
        if entered:
            event(e, dip, "entered-treatment", "2025-02-10", f"custody-{n}", wait_days=9)
    event(e, dip, "referred", "2025-02-20", "custody-0", route="arrest-referral")
    got = _figures(e, dip)
    assert got["referrals"] == 6 and got["people-referred"] == 5 and got["people-entered"] == 3
    assert got["entry-rate"] == (3, 5, "60.0")


def test_pseudonyms_are_stable_within_and_different_across_programmes(
    records_engine: Engine,
) -> None:
    e = records_engine
    first = programme(e, "victim-services", "Beacon-style victim care")
    second = programme(e, "victim-services", "Victim care (second)")
    one = service.add_participant(
        e, OFFICER, first, "Jo Fictional", {"crime_group": "cuckooing"}, WHY
    )
    again = service.add_participant(e, OFFICER, first, "  jo   FICTIONAL ", None, WHY)
    other = service.add_participant(e, OFFICER, second, "Jo Fictional", None, WHY)
    assert pseudonyms.PATTERN.fullmatch(one.label) and one.enrolled and not again.enrolled
    assert again.label == one.label and again.id == one.id
    assert other.label != one.label
    assert one.attributes == {"crime_group": "cuckooing"}
    # typing the pseudonym reaches the same person; an unknown pseudonym is refused
    seen = event(e, first, "referred", "2025-04-01", one.label, consent="yes")
    assert seen.participant == one.label
    with pytest.raises(FormRefused, match="participant: no participant P-0000000000"):
        event(e, first, "referred", "2025-04-01", "P-0000000000", consent="yes")


def _all_text(engine: Engine) -> str:
    """Every value of every table, as text (the audit log and the keys included)."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks).casefold()


def test_the_identifier_is_stored_nowhere(records_engine: Engine) -> None:
    e = records_engine
    pid = programme(e, "treatment-referral", "Herts arrest referral")
    identifiers = ["Zebedee Quintrell", "41/98765/25"]
    for who in identifiers:
        event(e, pid, "referred", "2025-02-01", who, route="arrest-referral", substance="opiates")
        service.add_participant(e, OFFICER, pid, who, {"age_band": "25-34"}, WHY)
    # a refused event that named someone: its logged refusal must not name them either
    with pytest.raises(FormRefused):
        event(e, pid, "referred", "2025-02-01", "Zebedee Quintrell", route="by-pigeon")
    listing = service.list_events(e, OFFICER, pid, justification=WHY)
    assert len({v.participant for v in listing.events}) == 2
    everything = _all_text(e)
    label = listing.events[0].participant
    assert label and "referred" in everything and label.casefold() in everything
    for who in identifiers:
        for form in (who, pseudonyms.normalise(who)):
            assert form.casefold() not in everything, form


def test_a_bad_event_is_refused_with_its_fields_and_logged(records_engine: Engine) -> None:
    e = records_engine
    pid = programme(e, "checkpoint", "Checkpoint Stevenage")
    with pytest.raises(FormRefused) as caught:
        event(e, pid, "reoffending-check", "2025-13-01", "41/1/25", months="18")
    fields = caught.value.by_field()
    assert set(fields) == {"occurred_on", "months", "reoffended"}, fields
    assert fields["reoffended"] == "required" and "one of 12, 24" in fields["months"]
    with pytest.raises(FormRefused, match="event_kind: 'graduated' is not an event"):
        event(e, pid, "graduated", "2025-01-01", "41/1/25")
    with pytest.raises(FormRefused, match="participant: required"):
        event(e, pid, "completed", "2025-01-01", completed="yes")
    counts_only = programme(e, "awareness-campaign", "Shelter outreach")
    with pytest.raises(FormRefused, match="participant: not a field"):
        event(
            e, counts_only, "session", "2025-01-01", "Someone", setting="hostel", people_reached=3
        )
    with session_scope(e) as db:
        entries = audit.query(db, actor="officer", limit=None)
    refused = [x for x in entries if x.outcome == "refused"]
    assert len(refused) == 4 and "months" in refused[-1].details["error"]


def test_a_correction_is_logged_with_what_changed(records_engine: Engine) -> None:
    e = records_engine
    pid = programme(e, "volunteers", "Specials corrections")
    done = event(e, pid, "duty", "2025-03-01", "SC 9", hours="7.5")
    fixed = service.correct_event(e, OFFICER, done.id, {"hours": "6", "duty": "outreach"}, WHY)
    assert fixed.fields["hours"] == "6" and fixed.fields["duty"] == "outreach"
    with pytest.raises(FormRefused, match="hours: at most 24"):
        service.correct_event(e, OFFICER, done.id, {"hours": "25"}, WHY)
    with pytest.raises(FormRefused, match="nothing to correct"):
        service.correct_event(e, OFFICER, done.id, {"hours": "6"}, WHY)
    with session_scope(e) as db:
        entries = audit.query(db, actor="officer", action="alteration", limit=None)
    ok = [x for x in entries if x.outcome == "ok"]
    assert ok[0].details["changed"] == {"hours": ["7.5", "6"], "duty": [None, "outreach"]}
    assert ok[0].justification == WHY
    stored = service.list_events(e, OFFICER, pid, justification=WHY).events[0]
    assert json.dumps(stored.fields) and stored.fields["hours"] == "6"


def test_an_erased_key_makes_pseudonyms_anonymous(records_engine: Engine) -> None:
    e = records_engine
    pid = programme(e, "checkpoint", "Checkpoint erased")
    kept = event(e, pid, "eligibility-assessed", "2025-01-01", "41/5/25", eligible=True)
    service.erase_key(e, OFFICER, pid, WHY)
    with pytest.raises(FormRefused, match="key was erased"):
        event(e, pid, "eligibility-assessed", "2025-01-02", "41/5/25", eligible=True)
    # the participant is still reachable by pseudonym, and the figures stay
    event(e, pid, "contract-signed", "2025-01-05", kept.participant, conditions="treatment")
    got = _figures(e, pid)
    assert got["assessed"] == 1 and got["signed"] == 1
