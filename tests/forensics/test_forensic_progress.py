"""Progress by force and across forces: exact for the reviewer, own force and suppressed for a PCC."""

from __future__ import annotations

import pytest
from incidentworld import LEAD, WHY, Clock, Sample, case, labs, pcc, reviewer
from sqlalchemy import Engine

from harmwatch.forensics import incidents, progress, retests
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.outputs.suppression import FEWER_THAN_5
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

ME = reviewer()


def test_progress_for_the_reviewer_and_the_pcc(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    lab = labs(records_engine)
    coke = Sample(lab.provider_id, results=(("cocaine", "40", "ug/L", "4"),))
    herts = [
        case(records_engine, LEAD, f"H{n}", [coke, coke] if n < 2 else [coke]) for n in range(7)
    ]
    case(records_engine, "bedfordshire", "B1", [coke, coke])
    case(records_engine, "cambridgeshire", "C1", [coke])
    made = incidents.declare(
        records_engine, ME,
        {"name": "P", "provider_id": lab.provider_id, "window_from": "2016-01-01", "window_to": "2016-12-31"},
    )  # fmt: skip
    # two retests of Hertfordshire exhibits: one unchanged and disposed, one only requested
    (_, first), (_, second) = herts[0], herts[1]
    r = retests.request(
        records_engine, ME, first[0], {"incident_id": made.id, "requested_on": "2025-05-01"}
    )
    retests.mark_sent(
        records_engine, ME, r.id, {"sent_on": "2025-05-02", "provider_id": lab.other_provider_id}
    )
    retests.record_result(
        records_engine, ME, r.id,
        {"analyte": "cocaine", "value": "41", "unit": "ug/L", "uncertainty": "4", "reported_on": "2025-05-20"},
    )  # fmt: skip
    retests.compare(records_engine, ME, r.id)
    retests.dispose(records_engine, ME, r.id, {"disposition": "no-action", "reason": "unchanged"})
    retests.request(records_engine, ME, second[0], {"incident_id": made.id})
    retests.add_notification(records_engine, ME, herts[0][0], {"recipient": "cps", "due_on": "2025-05-30", "incident_id": made.id})  # fmt: skip
    got = progress.progress(records_engine, ME, incident_id=made.id)
    by = {f.force: f for f in got.forces}
    assert set(by) == {"bedfordshire", "cambridgeshire", LEAD}
    h = by[LEAD]
    assert (h.cases, h.samples, h.retested) == (7, 9, 1)
    assert h.samples_by_state == {
        "not-requested": 7, "requested": 1, "sent": 0, "awaiting-comparison": 0,
        "unchanged": 1, "changed": 0, "inconclusive": 0,
    }  # fmt: skip
    assert h.notifications_by_state == {"sent": 0, "due": 0, "overdue": 1}
    assert h.dispositions["no-action"] == 1 and h.disposed == 1
    assert got.total is not None and (got.total.cases, got.total.samples) == (9, 12)
    assert not got.suppressed
    # the PCC: own force only, small numbers suppressed, no refs anywhere
    seen = progress.progress(records_engine, pcc(), incident_id=made.id)
    assert [f.force for f in seen.forces] == [LEAD] and seen.total is None and seen.suppressed
    p = seen.forces[0]
    assert p.cases == 7 and p.samples == 9
    # 9 shown with two "fewer than 5" would pin both at 1: the 7 is withheld as their complement
    assert p.samples_by_state["not-requested"] == "withheld"
    assert p.samples_by_state["requested"] == FEWER_THAN_5
    assert p.samples_by_state["unchanged"] == FEWER_THAN_5
    assert p.retested == "withheld"
    assert p.notifications_by_state["overdue"] == FEWER_THAN_5 and p.notifications == FEWER_THAN_5
    assert "forensic-" not in str(seen.to_json()["forces"])
    # a Cambridgeshire PCC sees their one case as "fewer than 5"
    cambs = progress.progress(records_engine, pcc("cambridgeshire"), incident_id=made.id)
    assert cambs.forces[0].cases == FEWER_THAN_5 and cambs.forces[0].samples == FEWER_THAN_5
    with session_scope(records_engine) as db:
        entry = audit.query(db, actor="pcc-hertfordshire", limit=1)[0]
    assert entry.details["privileged"] == progress.PRIVILEGED_REASON and entry.details["suppressed"]
    # nobody else
    analyst = Principal("analyst", Role.ANALYST, LEAD, frozenset({"forensic-review"}))
    with pytest.raises(PolicyDenied):
        progress.progress(records_engine, analyst, incident_id=made.id, justification=WHY)
