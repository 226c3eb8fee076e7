"""The retest workflow end to end: each step logged, the result chained, compared, disposed;
notifications and the overdue list; steps out of order and other forces refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from incidentworld import LEAD, WHY, Clock, Sample, case, labs, pcc, reviewer
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError
from harmwatch.forensics import chain, incidents, retests
from harmwatch.kernel.forms import FormRefused
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.security import audit
from harmwatch.storage.records import session_scope

ME = reviewer()


def _run(
    engine: Engine, ids: tuple[int, int, int], value: str, u: str, analyte: str = "cocaine"
) -> retests.RetestView:
    """Request, send, result and compare a retest of ``ids`` (exhibit, incident, provider)."""
    exhibit_id, incident_id, provider_id = ids
    r = retests.request(
        engine, ME, exhibit_id, {"incident_id": incident_id, "requested_on": "2025-05-01"}
    )
    retests.mark_sent(engine, ME, r.id, {"sent_on": "2025-05-02", "provider_id": provider_id})
    retests.record_result(
        engine, ME, r.id,
        {"analyte": analyte, "value": value, "unit": "ug/L", "uncertainty": u, "reported_on": "2025-05-20"},
    )  # fmt: skip
    return retests.compare(engine, ME, r.id)


def test_a_retest_goes_from_request_to_disposition(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    lab = labs(records_engine)
    cocaine = lambda v, u: Sample(lab.provider_id, results=(("cocaine", v, "ug/L", u),))  # noqa: E731
    case_id, (ex,) = case(records_engine, LEAD, "MAGS", [cocaine("40", "4")], status="convicted")
    _, (ex2,) = case(records_engine, LEAD, "LIVE", [cocaine("40", "4")], status="charged")
    _, (ex3,) = case(
        records_engine, LEAD, "NEAR", [cocaine("11", "2")], status="convicted", court="crown"
    )
    old = Sample(lab.provider_id, taken=date(2014, 11, 20), tested=date(2014, 12, 1),
                 results=(("cocaine", "30", "ug/L", "3"),))  # fmt: skip
    _, (ex4,) = case(records_engine, LEAD, "OLD", [old], status="convicted")
    incident = incidents.declare(
        records_engine, ME,
        {"name": "R", "provider_id": lab.provider_id, "window_from": "2014-01-01", "window_to": "2016-12-31"},
    )  # fmt: skip
    r = retests.request(
        records_engine, ME, ex, {"incident_id": incident.id, "requested_on": "2025-05-01"}
    )
    assert r.state == "requested" and r.force == LEAD
    with pytest.raises(FormRefused, match="value: the retest is requested"):
        retests.record_result(
            records_engine, ME, r.id,
            {"analyte": "cocaine", "value": "8", "unit": "ug/L", "reported_on": "2025-05-20"},
        )  # fmt: skip
    with pytest.raises(FormRefused, match="sent_on: 2025-04-30 is before the request"):
        retests.mark_sent(records_engine, ME, r.id, {"sent_on": "2025-04-30"})
    retests.mark_sent(
        records_engine, ME, r.id, {"sent_on": "2025-05-02", "provider_id": lab.other_provider_id}
    )
    done = retests.record_result(
        records_engine, ME, r.id,
        {"analyte": "cocaine", "value": "8", "unit": "ug/L", "uncertainty": "1", "reported_on": "2025-05-20"},
    )  # fmt: skip
    assert done.state == "resulted" and done.result_id is not None
    # the retest's result is on the exhibit's chain, with its retest id, beside the original
    with session_scope(records_engine) as db:
        rows = chain.history(db, ex)
        assert [getattr(row, "retest_id", None) for row in rows] == [None, r.id]
        assert chain.verify(db, ex) is None
    compared = retests.compare(records_engine, ME, r.id)
    assert compared.outcome == "changed" and "side of the limit changed" in (
        compared.outcome_reason or ""
    )
    assert "10 µg/L" in (compared.threshold or "")
    with pytest.raises(FormRefused, match="only a live case"):
        retests.dispose(records_engine, ME, r.id, {"disposition": "discontinue", "reason": "x"})
    disposed = retests.dispose(
        records_engine, ME, r.id,
        {"disposition": "reopen-s142", "reason": "the retest is below the limit"},
    )  # fmt: skip
    assert disposed.disposition == "reopen-s142" and disposed.disposition_on == date(2025, 6, 2)
    with pytest.raises(FormRefused, match="already disposed"):
        retests.dispose(records_engine, ME, r.id, {"disposition": "no-action", "reason": "x"})
    # every step is logged as an alteration of the retest (the request a collection)
    with session_scope(records_engine) as db:
        entries = [
            e
            for e in audit.query(db, actor=ME.username, limit=None)
            if e.target == f"forensic-retest:{r.id}"
        ]
    steps = [(e.action, e.outcome, e.details.get("step")) for e in reversed(entries)]
    assert [s for s in steps if s[1] == "ok"] == [
        ("collection", "ok", "requested"), ("alteration", "ok", "sent"),
        ("alteration", "ok", "resulted"), ("alteration", "ok", "compared"),
        ("alteration", "ok", "disposed"),
    ]  # fmt: skip
    # a live case may be discontinued; a crown court conviction is not reopened under s.142
    live = _run(records_engine, (ex2, incident.id, lab.other_provider_id), "38", "4")
    assert live.outcome == "unchanged", live.outcome_reason
    assert retests.dispose(records_engine, ME, live.id, {"disposition": "discontinue", "reason": "CPS review"}).disposition == "discontinue"  # fmt: skip
    near = _run(records_engine, (ex3, incident.id, lab.other_provider_id), "12", "1")
    assert near.outcome == "inconclusive"
    with pytest.raises(FormRefused, match=r"s\.142"):
        retests.dispose(records_engine, ME, near.id, {"disposition": "reopen-s142", "reason": "x"})
    assert retests.dispose(records_engine, ME, near.id, {"disposition": "refer-ccrc", "reason": "uncertain"}).disposition == "refer-ccrc"  # fmt: skip
    # a 2014 sample: no s5A threshold; judged on the values, under the law of its date
    old_view = _run(records_engine, (ex4, incident.id, lab.other_provider_id), "29", "3")
    assert old_view.outcome == "unchanged" and "s.4" in (old_view.threshold or "")
    # an analyte the original never had
    missing = _run(
        records_engine, (ex4, incident.id, lab.other_provider_id), "5", "1", analyte="ketamine"
    )
    assert missing.outcome == "inconclusive" and "no original result" in (
        missing.outcome_reason or ""
    )
    assert len(retests.retests(records_engine, ME, incident_id=incident.id, justification=WHY)) == 5
    # need-to-know: a PCC cannot record, another force cannot see
    with pytest.raises(PolicyDenied):
        retests.compare(records_engine, pcc(), r.id)
    with pytest.raises(PolicyDenied):
        retests.mark_sent(records_engine, reviewer("bedfordshire"), r.id, {"sent_on": "2025-05-02"})
    with pytest.raises(NotFoundError):
        retests.compare(records_engine, ME, 9999)
    assert case_id


def test_notifications_are_due_then_overdue_then_sent(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    lab = labs(records_engine)
    case_id, _ = case(records_engine, LEAD, "N1", [Sample(lab.provider_id)])
    other_case, _ = case(
        records_engine, "bedfordshire", "N2", [Sample(lab.provider_id)], share_with_lead=False
    )
    cps = retests.add_notification(
        records_engine, ME, case_id, {"recipient": "cps", "due_on": "2025-06-05"}
    )
    court = retests.add_notification(
        records_engine, ME, case_id, {"recipient": "court", "due_on": "2025-06-03"}
    )
    with pytest.raises(FormRefused, match="recipient"):
        retests.add_notification(
            records_engine, ME, case_id, {"recipient": "press", "due_on": "2025-06-05"}
        )
    with pytest.raises(PolicyDenied):  # another force's case, not shared
        retests.add_notification(
            records_engine, ME, other_case, {"recipient": "cps", "due_on": "2025-06-05"}
        )
    assert retests.overdue(records_engine, ME, justification=WHY) == []
    clock.at = datetime(2025, 6, 4, 9, tzinfo=UTC)
    late = retests.overdue(records_engine, ME, justification=WHY)
    assert [(v.id, v.recipient, v.overdue_days) for v in late] == [(court.id, "court", 1)]
    retests.notification_sent(
        records_engine, ME, court.id, {"sent_on": "2025-06-04", "reference": "LTR/1"}
    )
    clock.at = datetime(2025, 6, 10, 9, tzinfo=UTC)
    late = retests.overdue(records_engine, ME, justification=WHY)
    assert [(v.id, v.overdue_days) for v in late] == [(cps.id, 5)]
    assert retests.overdue(records_engine, reviewer("bedfordshire"), justification=WHY) == []
    with pytest.raises(PolicyDenied):
        retests.overdue(records_engine, pcc(), justification=WHY)
