"""The referral rules: consent, the Duty to Notify, a child's age, and the order of NRM decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from harmwatch.intelligence import entities
from harmwatch.intelligence.entities import EntityDraft
from harmwatch.kernel.principal import Principal
from harmwatch.safeguarding import referrals
from harmwatch.safeguarding.referrals import DecisionDraft, ReferralDraft, ReferralRefused
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

FORCE, UNIT = "hertfordshire", "dacorum-cid"
WHY = "Op Safe: referral rules test"
OFFICER = Principal("io", Role.INTELLIGENCE_OFFICER, FORCE, frozenset({UNIT}))

CHILD_NRM = ReferralDraft(
    referral_kind="nrm",
    subject_label="Kai Fictional",
    subject_is_child=True,
    subject_date_of_birth=date(2009, 6, 1),
    concern="child-criminal-exploitation",
    referred_on=date(2025, 3, 3),
    agency="Single Competent Authority",
    source_kind="county-lines-flag",
    source_ref="finding-17",
)
ADULT_NRM = replace(
    CHILD_NRM,
    subject_label="+447700900123",
    subject_is_child=False,
    subject_date_of_birth=date(1970, 1, 5),
    concern="cuckooing",
    source_ref="cell-42",
)


def _problems(exc: pytest.ExceptionInfo[ReferralRefused]) -> dict[str, str]:
    return {p.field: p.reason for p in exc.value.problems}


def test_a_child_is_referred_into_the_nrm_without_consent(records_engine: Engine) -> None:
    done = referrals.record_referral(records_engine, OFFICER, CHILD_NRM, WHY)
    assert (done.referral_kind, done.became_duty_to_notify, done.notes) == ("nrm", False, ())
    seen = referrals.read(records_engine, OFFICER, done.id, justification=WHY)
    assert (seen.subject_label, seen.consent, seen.awaiting) == (
        "Kai Fictional",
        None,
        "reasonable grounds",
    )
    assert seen.subject_date_of_birth == date(2009, 6, 1)
    no = referrals.record_referral(
        records_engine, OFFICER, replace(CHILD_NRM, consent=False, source_ref="finding-18"), WHY
    )
    assert no.referral_kind == "nrm"  # a child's refusal does not stop the referral


def test_an_adult_nrm_without_consent_is_recorded_as_the_duty_to_notify_anonymously(
    records_engine: Engine,
) -> None:
    for consent in (None, False):
        done = referrals.record_referral(
            records_engine, OFFICER, replace(ADULT_NRM, consent=consent), WHY
        )
        assert (done.asked_kind, done.referral_kind, done.became_duty_to_notify) == (
            "nrm",
            "duty-to-notify",
            True,
        )
        assert any("s.52" in n for n in done.notes)
        assert any("no identifying detail" in n for n in done.notes)
        seen = referrals.read(records_engine, OFFICER, done.id, justification=WHY)
        assert seen.referral_kind == "duty-to-notify"
        assert not seen.subject_identified and "+447700900123" not in str(seen.to_json())
        assert seen.subject_date_of_birth is None and seen.subject_entity_id is None
        assert (seen.source_kind, seen.source_ref) == ("county-lines-flag", "cell-42")
        assert seen.awaiting is None  # no NRM decisions follow a Duty to Notify
    with session_scope(records_engine) as db:
        entry = next(e for e in audit.query(db, actor="io", limit=None) if e.action == "collection")
    assert entry.details["recorded_instead"].startswith("duty-to-notify")
    assert "+447700900123" not in str(entry.details)


def test_an_adult_who_consents_is_referred_into_the_nrm(records_engine: Engine) -> None:
    done = referrals.record_referral(records_engine, OFFICER, replace(ADULT_NRM, consent=True), WHY)
    assert (done.referral_kind, done.notes) == ("nrm", ())
    seen = referrals.read(records_engine, OFFICER, done.id, justification=WHY)
    assert seen.subject_label == "+447700900123" and seen.consent is True


def test_a_duty_to_notify_is_refused_for_a_child(records_engine: Engine) -> None:
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(
            records_engine, OFFICER, replace(CHILD_NRM, referral_kind="duty-to-notify"), WHY
        )
    assert "record an nrm referral" in _problems(exc)["referral_kind"]


def test_a_child_is_never_recorded_as_an_adult_nor_an_adult_as_a_child(
    records_engine: Engine,
) -> None:
    # 17 on the day of referral, one day before the 18th birthday: still a child
    seventeen = replace(CHILD_NRM, subject_date_of_birth=date(2007, 3, 4))
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(
            records_engine, OFFICER, replace(seventeen, subject_is_child=False), WHY
        )
    assert "17 on 2025-03-03: a child" in _problems(exc)["subject_is_child"]
    assert referrals.record_referral(records_engine, OFFICER, seventeen, WHY).referral_kind == "nrm"
    eighteen = replace(CHILD_NRM, subject_date_of_birth=date(2007, 3, 3), source_ref="f-2")
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(records_engine, OFFICER, eighteen, WHY)
    assert "18 on 2025-03-03, an adult" in _problems(exc)["subject_date_of_birth"]
    # the age on the day of referral counts, not today's: now an adult, then a child
    assert referrals.age_on(date(2007, 3, 4), date(2025, 3, 3)) == 17
    # age uncertain, believed a child (MSA 2015 s.51): no date of birth is fine
    unknown = replace(CHILD_NRM, subject_date_of_birth=None, source_ref="f-3")
    assert referrals.record_referral(records_engine, OFFICER, unknown, WHY).referral_kind == "nrm"


def test_the_intelligence_entitys_date_of_birth_is_checked_too(records_engine: Engine) -> None:
    kid = entities.create_entity(
        records_engine,
        OFFICER,
        EntityDraft("person", "Kai Fictional", date_of_birth=date(2009, 6, 1)),
    )
    as_adult = replace(
        CHILD_NRM,
        subject_is_child=False,
        subject_date_of_birth=None,
        subject_entity_id=kid,
        referral_kind="safeguarding",
        agency="Hertfordshire adult social care",
    )
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(records_engine, OFFICER, as_adult, WHY)
    assert "intelligence entity's date of birth" in _problems(exc)["subject_is_child"]
    wrong_dob = replace(CHILD_NRM, subject_entity_id=kid, subject_date_of_birth=date(2010, 1, 1))
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(records_engine, OFFICER, wrong_dob, WHY)
    assert "2009-06-01" in _problems(exc)["subject_date_of_birth"]
    done = referrals.record_referral(
        records_engine, OFFICER, replace(CHILD_NRM, subject_entity_id=kid), WHY
    )
    assert (
        referrals.read(records_engine, OFFICER, done.id, justification=WHY).subject_entity_id == kid
    )
    # naming the entity is a consultation of it, logged with the same reason
    with session_scope(records_engine) as db:
        entries = [
            e
            for e in audit.query(db, actor="io", limit=None)
            if e.target == f"intelligence-entity:{kid}"
        ]
    # (the refused attempts read it too, but a refusal logs only itself)
    assert [(e.action, e.outcome, e.justification) for e in entries] == [
        ("consultation", "ok", WHY),
        ("collection", "ok", None),
    ]
    phone = entities.create_entity(
        records_engine, OFFICER, EntityDraft("phone", value="07700900555")
    )
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(
            records_engine, OFFICER, replace(CHILD_NRM, subject_entity_id=phone), WHY
        )
    assert "not a person" in _problems(exc)["subject_entity_id"]


def test_every_problem_of_a_draft_is_listed_with_its_field(records_engine: Engine) -> None:
    bad = replace(
        CHILD_NRM,
        referral_kind="referral",
        concern="drugs",
        referred_on=date(2030, 1, 1),
        subject_date_of_birth=None,
        agency=" ",
        source_kind="County Lines!",
    )
    with pytest.raises(ReferralRefused) as exc:
        referrals.record_referral(records_engine, OFFICER, bad, WHY)
    assert set(_problems(exc)) == {
        "referral_kind",
        "concern",
        "referred_on",
        "agency",
        "source_kind",
    }
    assert str(exc.value).startswith("referral_kind: one of safeguarding, nrm, duty-to-notify")


def _nrm(engine: Engine, ref: str) -> int:
    return referrals.record_referral(engine, OFFICER, replace(CHILD_NRM, source_ref=ref), WHY).id


def _decide(engine: Engine, referral_id: int, **fields: object) -> referrals.ReferralView:
    return referrals.record_decision(engine, OFFICER, referral_id, DecisionDraft(**fields), WHY)  # type: ignore[arg-type]


def test_reasonable_grounds_come_before_conclusive_grounds(records_engine: Engine) -> None:
    e = records_engine
    rid = _nrm(e, "order-1")
    with pytest.raises(ReferralRefused) as exc:
        _decide(e, rid, conclusive_grounds="positive", conclusive_grounds_on=date(2025, 6, 1))
    assert "record that first" in _problems(exc)["conclusive_grounds"]
    with pytest.raises(ReferralRefused) as exc:
        _decide(e, rid, reasonable_grounds="positive", reasonable_grounds_on=date(2025, 3, 1))
    assert "before the referral" in _problems(exc)["reasonable_grounds_on"]
    with pytest.raises(ReferralRefused) as exc:
        _decide(e, rid, reasonable_grounds="positive")
    assert "date of the decision" in _problems(exc)["reasonable_grounds_on"]
    seen = _decide(e, rid, reasonable_grounds="positive", reasonable_grounds_on=date(2025, 3, 8))
    assert seen.awaiting == "conclusive grounds"
    with pytest.raises(ReferralRefused) as exc:
        _decide(e, rid, conclusive_grounds="positive", conclusive_grounds_on=date(2025, 3, 7))
    assert "before the reasonable grounds decision" in _problems(exc)["conclusive_grounds_on"]
    with pytest.raises(ReferralRefused) as exc:
        _decide(e, rid, conclusive_grounds="maybe", conclusive_grounds_on=date(2025, 9, 1))
    assert _problems(exc)["conclusive_grounds"] == "positive or negative"
    seen = _decide(
        e,
        rid,
        conclusive_grounds="positive",
        conclusive_grounds_on=date(2025, 9, 1),
        outcome="Support through the Modern Slavery Victim Care Contract",
    )
    assert (seen.conclusive_grounds, seen.awaiting) == ("positive", None)
    # a reasonable grounds decision cannot now move after the conclusive one
    with pytest.raises(ReferralRefused):
        _decide(e, rid, reasonable_grounds="positive", reasonable_grounds_on=date(2025, 9, 2))
    with session_scope(e) as db:
        changes = [
            entry
            for entry in audit.query(db, actor="io", limit=None)
            if entry.target == f"safeguarding-referral:{rid}" and entry.action == "alteration"
        ]
    outcomes = [c.outcome for c in reversed(changes)]
    assert outcomes == ["refused"] * 3 + ["ok"] + ["refused"] * 2 + ["ok", "refused"]
    last_ok = next(c for c in changes if c.outcome == "ok")
    assert last_ok.details["changed"]["conclusive_grounds"] == [None, "positive"]
    assert last_ok.details["changed"]["outcome"] == "recorded"  # the text stays out of the log
    assert "Victim Care" not in str(last_ok.details) and last_ok.justification == WHY


def test_a_negative_reasonable_grounds_decision_ends_the_nrm_case(records_engine: Engine) -> None:
    rid = _nrm(records_engine, "order-2")
    seen = _decide(
        records_engine, rid, reasonable_grounds="negative", reasonable_grounds_on=date(2025, 3, 10)
    )
    assert seen.awaiting is None
    with pytest.raises(ReferralRefused) as exc:
        _decide(
            records_engine,
            rid,
            conclusive_grounds="positive",
            conclusive_grounds_on=date(2025, 5, 1),
        )
    assert "ends the NRM case" in _problems(exc)["conclusive_grounds"]


def test_grounds_are_decided_on_nrm_referrals_only(records_engine: Engine) -> None:
    done = referrals.record_referral(
        records_engine,
        OFFICER,
        replace(CHILD_NRM, referral_kind="safeguarding", agency="Herts children's services"),
        WHY,
    )
    with pytest.raises(ReferralRefused) as exc:
        _decide(
            records_engine,
            done.id,
            reasonable_grounds="positive",
            reasonable_grounds_on=date(2025, 3, 9),
        )
    assert "NRM referrals only" in _problems(exc)["reasonable_grounds"]
    seen = _decide(records_engine, done.id, agency_reference="MASH-2025-0091")
    assert seen.agency_reference == "MASH-2025-0091"
    with pytest.raises(ReferralRefused) as exc:
        _decide(records_engine, done.id)
    assert "nothing to record" in _problems(exc)["reasonable_grounds"]
