"""The authorisation service's rules: expiry, reviews, renewal, cancellation, alerts on the
UK day (a moving clock across a month end and both clock changes), and call data by URN."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from covert_helpers import OFFICER, WHY, Clock, form, utc
from sqlalchemy import Engine

from harmwatch.calls.models import CallDataImport
from harmwatch.covert import authorisations as covert
from harmwatch.covert import periods
from harmwatch.errors import NotFoundError
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.security import audit
from harmwatch.storage.records import session_scope


def _kinds(flagged: list[covert.Flagged]) -> dict[str, list[tuple[str, int]]]:
    return {f.authorisation.urn: [(a.kind, a.days) for a in f.alerts] for f in flagged}


def test_a_grant_expires_by_its_period_and_alerts_fire_on_the_uk_day(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, utc(2025, 1, 2, 9, 0))
    done = covert.record(records_engine, OFFICER, form(review_interval_days="90"), WHY)
    # granted 1 January: ceases 31 March 23:59:59 BST (22:59:59 UTC)
    assert done.expires_at == utc(2025, 3, 31, 22, 59, 59)
    assert done.expires_local == "2025-03-31 23:59:59 BST"
    assert done.restriction == Restriction.RESTRICTED.value and done.status == "in force"
    assert done.next_review_on == date(2025, 4, 1)  # past expiry: no review alert first
    at = lambda *p: covert.alerts(records_engine, OFFICER, now=utc(*p), justification=WHY)  # noqa: E731
    assert at(2025, 3, 23, 12, 0) == []  # eight days before
    assert _kinds(at(2025, 3, 24, 12, 0)) == {"DS/2025/001": [("expires-within-7-days", 7)]}
    assert _kinds(at(2025, 3, 31, 22, 30)) == {"DS/2025/001": [("expires-today", 0)]}
    # 23:30 UTC is 00:30 BST on 1 April: it has ceased, and nobody has cancelled it
    assert _kinds(at(2025, 3, 31, 23, 30)) == {"DS/2025/001": [("expired-not-cancelled", 1)]}
    assert _kinds(at(2025, 4, 3, 9, 0)) == {"DS/2025/001": [("expired-not-cancelled", 3)]}
    # the default clock is the records clock
    clock.set(utc(2025, 3, 31, 22, 30))
    assert _kinds(covert.alerts(records_engine, OFFICER, justification=WHY)) == {
        "DS/2025/001": [("expires-today", 0)]
    }
    clock.set(utc(2025, 4, 3, 9, 0))
    cancelled = covert.cancel(
        records_engine,
        OFFICER,
        done.id,
        {"cancelled_by": "Supt Authority", "reason": "Operation concluded; no longer necessary"},
        WHY,
    )
    assert cancelled.status == "cancelled" and cancelled.alerts == []
    assert covert.alerts(records_engine, OFFICER, justification=WHY) == []


@pytest.mark.parametrize(
    ("review_on", "before", "on_the_day", "after"),
    [
        # the clocks go forward at 01:00 UTC on 30 March 2025
        (
            date(2025, 3, 30),
            utc(2025, 3, 29, 23, 30),
            utc(2025, 3, 30, 0, 30),
            utc(2025, 3, 30, 23, 30),
        ),
        # the clocks go back at 01:00 UTC on 26 October 2025: 23:30 UTC on the 25th is
        # already 00:30 BST on the 26th (the review day), though the UTC date is the 25th
        (
            date(2025, 10, 26),
            utc(2025, 10, 24, 23, 30),
            utc(2025, 10, 25, 23, 30),
            utc(2025, 10, 27, 0, 30),
        ),
    ],
)
def test_a_review_is_due_on_its_uk_day_across_a_clock_change(
    records_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    review_on: date,
    before: object,
    on_the_day: object,
    after: object,
) -> None:
    granted = review_on - timedelta(days=28)
    Clock(monkeypatch, utc(granted.year, granted.month, granted.day, 12, 0))
    done = covert.record(
        records_engine,
        OFFICER,
        form(
            urn="CHIS/1",
            authorisation_kind="chis",
            applied_on=granted.isoformat(),
            granted_on=granted.isoformat(),
        ),
        WHY,
    )
    assert done.next_review_on == review_on  # 28 days: force practice
    at = lambda t: _kinds(covert.alerts(records_engine, OFFICER, now=t, justification=WHY))  # noqa: E731
    assert at(before) == {}
    assert at(on_the_day) == {"CHIS/1": [("review-due-today", 0)]}
    assert at(after) == {"CHIS/1": [("review-overdue", 1)]}


def test_recording_a_review_sets_the_next_one(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, utc(2025, 1, 29, 12, 0))
    done = covert.record(records_engine, OFFICER, form(review_interval_days="14"), WHY)
    assert done.next_review_on == date(2025, 1, 15)
    flagged = covert.alerts(records_engine, OFFICER, justification=WHY)
    assert _kinds(flagged) == {"DS/2025/001": [("review-overdue", 14)]}
    reviewed = covert.review(
        records_engine,
        OFFICER,
        done.id,
        {"reviewed_by": "Supt Authority", "notes": "continue"},
        WHY,
    )
    assert reviewed.next_review_on == date(2025, 2, 12)  # today + 14 days
    assert [r["reviewed_on"] for r in reviewed.reviews] == [date(2025, 1, 29)]
    set_date = covert.review(
        records_engine,
        OFFICER,
        done.id,
        {"reviewed_by": "Supt Authority", "next_review_on": "2025-02-05"},
        WHY,
    )
    assert set_date.next_review_on == date(2025, 2, 5)
    clock.set(utc(2025, 2, 5, 8, 0))
    assert _kinds(covert.alerts(records_engine, OFFICER, justification=WHY)) == {
        "DS/2025/001": [("review-due-today", 0)]
    }
    with pytest.raises(FormRefused, match="next_review_on: 2025-02-05 is not after"):
        covert.review(
            records_engine,
            OFFICER,
            done.id,
            {"reviewed_by": "Supt", "next_review_on": "2025-02-05"},
            WHY,
        )
    with pytest.raises(FormRefused, match="reviewed_on: 2025-02-06 is in the future"):
        covert.review(
            records_engine, OFFICER, done.id, {"reviewed_by": "S", "reviewed_on": "2025-02-06"}, WHY
        )


def test_a_renewal_is_granted_while_in_force_and_begins_with_the_ceasing_day(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, utc(2025, 6, 20, 9, 0))
    done = covert.record(
        records_engine, OFFICER, form(applied_on="2025-03-31", granted_on="2025-04-01"), WHY
    )
    assert done.expires_local == "2025-06-30 23:59:59 BST"
    renewal = {"authorised_by": "Supt Authority", "authorising_rank": "Superintendent"}
    renewed = covert.renew(records_engine, OFFICER, done.id, renewal, WHY)
    assert renewed.expires_local == "2025-09-29 23:59:59 BST"
    assert renewed.renewals[0]["begins_on"] == date(2025, 6, 30)
    # a second renewal follows on from the first
    again = covert.renew(records_engine, OFFICER, done.id, renewal, WHY)
    assert again.expires_local == "2025-12-28 23:59:59 GMT"
    # after it has ceased, no renewal: a new authorisation is granted
    clock.set(utc(2025, 12, 29, 9, 0))
    with pytest.raises(FormRefused, match="renewed_on: it ceased 2025-12-28 23:59:59 GMT"):
        covert.renew(records_engine, OFFICER, done.id, renewal, WHY)
    with pytest.raises(FormRefused, match=r"renewed_on: .* is in the future"):
        covert.renew(records_engine, OFFICER, done.id, {**renewal, "renewed_on": "2025-12-30"}, WHY)
    covert.cancel(records_engine, OFFICER, done.id, {"cancelled_by": "S", "reason": "ended"}, WHY)
    with pytest.raises(FormRefused, match="cancelled_on: it was cancelled"):
        covert.cancel(records_engine, OFFICER, done.id, {"cancelled_by": "S", "reason": "x"}, WHY)


def test_an_urgent_oral_authorisation_is_an_instant_72_hours_on(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, utc(2025, 3, 30, 12, 0))
    done = covert.record(
        records_engine,
        OFFICER,
        form(
            urgent_oral="yes",
            applied_on="2025-03-29",
            granted_on="2025-03-29",
            granted_time="14:15",
        ),
        WHY,
    )
    # 14:15 GMT on 29 March, 72 hours on: 14:15 UTC = 15:15 BST on 1 April
    assert done.expires_at == utc(2025, 3, 29, 14, 15) + timedelta(hours=72)
    assert done.expires_local == "2025-04-01 15:15:00 BST"
    at = lambda *p: _kinds(covert.alerts(records_engine, OFFICER, now=utc(*p), justification=WHY))  # noqa: E731
    assert at(2025, 4, 1, 14, 14) == {"DS/2025/001": [("expires-today", 0)]}
    assert at(2025, 4, 1, 14, 16) == {"DS/2025/001": [("expired-not-cancelled", 0)]}


def test_the_form_and_the_clock_refuse_what_cannot_be(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, utc(2025, 1, 2, 9, 0))
    with pytest.raises(FormRefused) as refused:
        covert.record(
            records_engine,
            OFFICER,
            form(granted_on="2024-12-01", granted_time="25:00", urn=None, colour="red"),
            WHY,
        )
    assert {p.field for p in refused.value.problems} == {"colour", "urn"}
    with pytest.raises(FormRefused) as refused:
        covert.record(
            records_engine, OFFICER, form(granted_on="2024-12-01", granted_time="9am"), WHY
        )
    assert [str(p) for p in refused.value.problems] == [
        "granted_time: '9am' is not a time like 14:30 (24-hour, UK time)",
        "granted_on: 2024-12-01 is before the application (2024-12-30)",
    ]
    with pytest.raises(FormRefused, match="granted_on: 2025-01-03 10:00:00 GMT is in the future"):
        covert.record(records_engine, OFFICER, form(granted_on="2025-01-03"), WHY)
    with pytest.raises(FormRefused, match="urgent_oral: a communications data authorisation"):
        covert.record(
            records_engine,
            OFFICER,
            form(authorisation_kind="communications-data", urgent_oral="yes"),
            WHY,
        )
    covert.record(records_engine, OFFICER, form(), WHY)
    with pytest.raises(FormRefused, match="urn: DS/2025/001 is already recorded in dacorum-cid"):
        covert.record(records_engine, OFFICER, form(), WHY)


def _import(engine: Engine, ref: str, basis: str, name: str) -> int:
    from harmwatch.storage import models

    with session_scope(engine) as db:
        row = CallDataImport(
            file_id=name,
            file_name=f"{name}.csv",
            sha256="0" * 64,
            size_bytes=10,
            spec_name="spec",
            spec_sha256="",
            legal_basis=basis,
            authority_ref=ref,
            rows_loaded=5,
            first_event=None,
            last_event=None,
            synthetic=True,
            **envelope(
                OFFICER.actor,
                owning_force=OFFICER.force,
                owning_unit=sorted(OFFICER.units)[0],
                handling=Handling(HandlingCode.P),
                restriction=Restriction.RESTRICTED,
            ),
        )
        db.add(row)
        db.flush()
        assert models.utcnow()
        return row.id


def test_a_communications_data_authorisation_lists_the_call_data_resting_on_it(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, utc(2025, 2, 10, 9, 0))
    comms = covert.record(
        records_engine,
        OFFICER,
        form(
            urn="CD/77",
            authorisation_kind="communications-data",
            granted_on="2025-01-31",
            applied_on="2025-01-30",
        ),
        WHY,
    )
    assert comms.expires_local == "2025-02-28 23:59:59 GMT"
    directed = covert.record(records_engine, OFFICER, form(urn="DS/9"), WHY)
    resting = _import(records_engine, "CD/77", "ipa-part3", "a")
    _import(records_engine, "CD/77", "warrant", "b")  # another legal basis: not resting on it
    _import(records_engine, "CD/78", "ipa-part3", "c")
    _import(records_engine, "DS/9", "ipa-part3", "d")
    seen = covert.read(records_engine, OFFICER, comms.id, justification=WHY)
    assert [i["id"] for i in seen.call_data_imports] == [resting]
    assert (
        covert.read(records_engine, OFFICER, directed.id, justification=WHY).call_data_imports == []
    )
    with session_scope(records_engine) as db:
        entries = audit.query(db, actor=OFFICER.actor, limit=None)
    linked = [e for e in entries if e.details.get("call_data_resting_on")]
    assert [(e.action, e.outcome, e.target, e.justification) for e in linked] == [
        ("consultation", "ok", f"covert-authorisation:{comms.id}", WHY)
    ]
    assert linked[0].details["records"] == [f"call-data-import:{resting}"]
    # the import's authority: a comms-data authorisation in force, nothing else
    assert (
        covert.call_data_authority(
            records_engine, OFFICER, "CD/77", justification=WHY, at=utc(2025, 2, 1, 12, 0)
        ).id
        == comms.id
    )
    with pytest.raises(FormRefused, match="authority_ref: DS/9 is a directed surveillance"):
        covert.call_data_authority(records_engine, OFFICER, "DS/9", justification=WHY)
    with pytest.raises(FormRefused, match="authority_ref: CD/77 was not in force"):
        covert.call_data_authority(
            records_engine, OFFICER, "CD/77", justification=WHY, at=utc(2025, 3, 1, 12, 0)
        )
    with pytest.raises(NotFoundError, match="authority_ref"):
        covert.call_data_authority(records_engine, OFFICER, "CD/0", justification=WHY)


def test_the_export_is_formula_safe_and_names_each_grant_in_uk_time(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, utc(2025, 1, 2, 9, 0))
    covert.record(records_engine, OFFICER, form(subject='=HYPERLINK("x")'), WHY)
    text = covert.export_csv(
        records_engine, OFFICER, justification=WHY, recipient="IPCO inspection"
    )
    header, row = text.splitlines()
    assert header.startswith("ref,urn,authorisation_kind,subject")
    assert "'=HYPERLINK" in row and "2025-01-01 10:00:00 GMT" in row
    assert periods.local_date(utc(2025, 1, 1, 10, 0)) == date(2025, 1, 1)
