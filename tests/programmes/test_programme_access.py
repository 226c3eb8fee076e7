"""Need-to-know on programmes: each role, same and other force, on every read and write path.

A Hertfordshire treatment-referral programme with seven people referred (five of
whom entered treatment) and three custody visits. Readers see events, participants
and the figures with the refs behind them; the PCC viewer sees their own force's
figures only, small numbers suppressed, never a participant or a ref; roles without
the capabilities and other forces see nothing. Every attempt is in the access log.
"""

from __future__ import annotations

from typing import Any

import pytest
from programme_world import FORCE, OFFICER, OTHER_FORCE, WHY, event, programme, who
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError, UserError
from harmwatch.kernel import policy
from harmwatch.programmes import outcomes, service
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

READERS = (Role.ANALYST, Role.NEIGHBOURHOOD_OFFICER, Role.INTELLIGENCE_OFFICER)
NOBODY = (Role.ADMIN, Role.FORENSIC_REVIEWER, Role.DATA_PROTECTION_OFFICER)


@pytest.fixture
def world(records_engine: Engine) -> dict[str, int]:
    e = records_engine
    dip = programme(e, "treatment-referral", "Herts DIP access")
    for n in range(7):
        event(e, dip, "referred", "2025-02-01", f"custody-{n}", route="arrest-referral")
        if n < 5:
            event(e, dip, "entered-treatment", "2025-02-09", f"custody-{n}")
    visits = programme(e, "custody-visiting", "Herts ICV access")
    for _ in range(3):
        event(
            e,
            visits,
            "visit",
            "2025-03-01",
            suite="Hatfield",
            detainees_held=8,
            detainees_seen=5,
            issues_raised=2,
            issues_resolved=2,
        )
    return {"dip": dip, "visits": visits}


def _try(fn: Any) -> Any:
    try:
        return fn()
    except policy.PolicyDenied:
        return "denied"
    except NotFoundError:
        return "not found"
    except UserError as exc:  # pragma: no cover - shown in the failure
        return f"error: {exc}"


def _paths(e: Engine, by: Any, ids: dict[str, int]) -> dict[str, Any]:
    dip = ids["dip"]
    return {
        "list programmes": _try(lambda: len(service.list_programmes(e, by))),
        "events": _try(lambda: service.list_events(e, by, dip, justification=WHY).total),
        "outcomes": _try(lambda: len(outcomes.outcomes(e, by))),
        "record": _try(
            lambda: (
                service.record_event(
                    e,
                    by,
                    dip,
                    "referred",
                    {"occurred_on": "2025-04-01", "participant": "x-1", "route": "voluntary"},
                    WHY,
                ).event_kind
            )
        ),
        "enrol": _try(lambda: service.add_participant(e, by, dip, "x-2", None, WHY).enrolled),
    }


def test_the_need_to_know_matrix(records_engine: Engine, world: dict[str, int]) -> None:
    e = records_engine
    got = {role.value: _paths(e, who(role), world) for role in Role}
    got["reader, other force"] = _paths(e, who(Role.ANALYST, force=OTHER_FORCE), world)
    got["pcc, other force"] = _paths(e, who(Role.PCC_VIEWER, force=OTHER_FORCE), world)
    reader: dict[str, object] = {
        "list programmes": 2,
        "events": 12,
        "outcomes": 2,
        "record": "referred",
        "enrol": True,
    }
    closed = {k: "denied" for k in reader}
    expected = {
        Role.ANALYST.value: reader,
        # the analyst enrolled x-2 and recorded one referral before the officers' turn
        # and x-2 is found again, not enrolled, by the second and third reader
        Role.NEIGHBOURHOOD_OFFICER.value: {**reader, "events": 13, "enrol": False},
        Role.INTELLIGENCE_OFFICER.value: {**reader, "events": 14, "enrol": False},
        Role.PCC_VIEWER.value: {**closed, "outcomes": 2},
        **{role.value: closed for role in NOBODY},
        # another force's records are answered as not found, and logged as denied
        "reader, other force": {**closed, "list programmes": 0, "outcomes": 0},
        "pcc, other force": {**closed, "outcomes": 0},
    }
    assert got == expected


def test_the_pcc_sees_figures_suppressed_and_nothing_personal(
    records_engine: Engine, world: dict[str, int]
) -> None:
    e = records_engine
    pcc = who(Role.PCC_VIEWER, unit="pcc-office")  # another unit: a PCC oversees the force
    shown = {o.programme_type: o for o in outcomes.outcomes(e, pcc)}
    dip = {m.key: m for m in shown["treatment-referral"].measures}
    assert dip["referrals"].value == 7 and dip["people-referred"].value == 7
    # 5 of 7 entered: the 2 who did not are "fewer than 5", so the 5 is withheld with them
    assert dip["people-entered"].value == "withheld" and dip["people-entered"].suppressed
    assert dip["entry-rate"].percent is None and dip["entry-rate"].numerator == "withheld"
    assert dip["completed"].value == 0  # a zero is shown
    visits = {m.key: m for m in shown["custody-visiting"].measures}
    assert visits["visits"].value == "fewer than 5"
    assert visits["detainees-seen"].value == 15 and visits["issues-raised"].value == 6
    assert visits["resolution-rate"].percent == "100.0"
    for o in shown.values():
        assert o.suppressed and o.note and o.events_counted == 0
        assert all(m.refs == () for m in o.measures)
    # a reader gets the same figures as counted, with the refs behind them
    (reader_dip,) = outcomes.outcomes(e, OFFICER, world["dip"])
    entered = {m.key: m for m in reader_dip.measures}["people-entered"]
    assert entered.value == 5 and len(entered.refs) == 5
    with pytest.raises(policy.PolicyDenied):
        outcomes.outcomes(e, pcc, force=OTHER_FORCE)
    with session_scope(e) as db:
        entries = audit.query(db, actor=pcc.actor, limit=None)
    assert [(x.action, x.outcome) for x in entries] == [
        ("consultation", "denied"),
        ("consultation", "ok"),
    ]
    ok = entries[1]
    assert ok.details["aggregates"] and ok.details["suppressed"]
    assert "own force" in ok.details["privileged"] and ok.details["events_counted"] == 15


def test_reads_are_logged_with_their_justification(
    records_engine: Engine, world: dict[str, int]
) -> None:
    e = records_engine
    analyst = who(Role.ANALYST)
    with pytest.raises(UserError, match="justification"):
        service.list_events(e, analyst, world["dip"], justification=None)
    service.list_events(e, analyst, world["dip"], justification=WHY)
    admin = who(Role.ADMIN)
    _try(lambda: service.list_events(e, admin, world["dip"], justification=WHY))
    with session_scope(e) as db:
        mine = audit.query(db, actor=analyst.actor, limit=None)
        theirs = audit.query(db, actor=admin.actor, limit=None)
    assert [x.outcome for x in mine] == ["ok", "refused"]
    assert mine[0].justification == WHY and mine[0].details["rows"] == 12
    assert len(mine[0].details["records"]) == 12
    assert [(x.action, x.outcome) for x in theirs] == [("consultation", "denied")]


def test_treatment_referrals_for_an_operation(records_engine: Engine) -> None:
    from datetime import date

    from harmwatch.kernel.records import Handling, HandlingCode, envelope
    from harmwatch.operations.models import Operation

    e = records_engine
    with session_scope(e) as db:
        op = Operation(
            name="Op Harbour",
            lead_force=FORCE,
            starts_on=date(2025, 1, 1),
            aims="",
            partner_forces="[]",
            partner_agencies="[]",
            linked_entities="[]",
            synthetic=True,
            **envelope(
                "test",
                owning_force=FORCE,
                owning_unit="dacorum-snt",
                handling=Handling(HandlingCode.P),
            ),
        )
        db.add(op)
        db.flush()
        op_id = op.id
    dip = programme(e, "treatment-referral", "Herts DIP op")
    refs = [
        event(
            e,
            dip,
            "referred",
            "2025-02-01",
            f"c-{n}",
            route="arrest-referral",
            operation="Op Harbour",
        ).ref
        for n in range(2)
    ]
    event(e, dip, "referred", "2025-02-01", "c-9", route="voluntary")  # no operation
    event(e, dip, "entered-treatment", "2025-02-02", "c-0", operation=str(op_id))  # not a referral
    got = outcomes.treatment_referrals_for_operation(e, OFFICER, op_id)
    assert (got.count, got.shown, sorted(got.refs)) == (2, 2, sorted(refs))
    pcc = outcomes.treatment_referrals_for_operation(e, who(Role.PCC_VIEWER), op_id)
    assert (pcc.count, pcc.shown, pcc.refs) == (None, "fewer than 5", ())
    with pytest.raises(policy.PolicyDenied):
        outcomes.treatment_referrals_for_operation(e, who(Role.ADMIN), op_id)
