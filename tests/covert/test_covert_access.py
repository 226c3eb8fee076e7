"""Need-to-know on covert authorisations: each role × same/other unit, for every path.

Three authorisations of the unit ``dacorum-cid`` (always restricted): one handling code
P, one handling code C, and one shared with ``stevenage-cid``. Each caller tries every path — read, list, count,
alerts, export, record, review, renew, cancel — and what each got is compared with the
table the policy promises. Then the access log: reads with their reason, refusals denied.
"""

from __future__ import annotations

from typing import Any

import pytest
from covert_helpers import OFFICER, OTHER, UNIT, WHY, Clock, form, utc, who
from sqlalchemy import Engine

from harmwatch.covert import authorisations as covert
from harmwatch.errors import NotFoundError, UserError
from harmwatch.kernel import policy
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.reads import ConditionsNotAcknowledged
from harmwatch.kernel.records import SubjectTerms
from harmwatch.kernel.subjects import subject_access
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

CONDITIONS = "Not to be shared outside the Covert Authorities Bureau"


@pytest.fixture
def world(records_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    Clock(monkeypatch, utc(2025, 1, 30, 9, 0))  # reviews (28 days on) due today
    e = records_engine
    plain = covert.record(e, OFFICER, form(urn="DS/1", subject="Dee Plain"), WHY).id
    conditioned = covert.record(
        e,
        OFFICER,
        form(urn="DS/2", subject="Dee Conditioned", handling_conditions=CONDITIONS),
        WHY,
    ).id
    shared = covert.record(e, OFFICER, form(urn="DS/3", subject="Dee Shared"), WHY).id
    covert.share(e, OFFICER, shared, OTHER, WHY)
    return {"plain": plain, "conditioned": conditioned, "shared": shared}


def _try(fn: Any) -> Any:
    try:
        return fn()
    except ConditionsNotAcknowledged:
        return "conditions"
    except policy.PolicyDenied:
        return "denied"
    except NotFoundError:
        return "not found"
    except UserError as exc:  # pragma: no cover - shown in the failure
        return f"error: {exc}"


def _sees(engine: Engine, ids: dict[str, int], p: Principal) -> dict[str, Any]:
    def subjects(views: Any) -> list[str]:
        return sorted(v.subject for v in views)

    def export(ack: bool) -> Any:
        text = covert.export_csv(
            engine, p, justification=WHY, recipient="IPCO inspection", acknowledge_conditions=ack
        )
        return sorted(line.split(",")[3] for line in text.splitlines()[1:])

    def change(path: str, key: str) -> Any:
        if path == "review":
            got = covert.review(engine, p, ids[key], {"reviewed_by": "Supt A"}, WHY)
            return len(got.reviews)
        if path == "renew":
            renewal = {"authorised_by": "Supt A", "authorising_rank": "Superintendent"}
            return covert.renew(engine, p, ids[key], renewal, WHY).expires_local
        got = covert.cancel(engine, p, ids[key], {"cancelled_by": "Supt A", "reason": "done"}, WHY)
        return got.status

    return {
        "read": _try(lambda: covert.read(engine, p, ids["plain"], justification=WHY).subject),
        "read shared": _try(
            lambda: covert.read(engine, p, ids["shared"], justification=WHY).subject
        ),
        "list": _try(lambda: subjects(covert.listing(engine, p, justification=WHY)[0])),
        "count": _try(lambda: covert.count(engine, p, justification=WHY)),
        "alerts": _try(
            lambda: subjects(f.authorisation for f in covert.alerts(engine, p, justification=WHY))
        ),
        "export": _try(lambda: export(False)),
        "export acknowledged": _try(lambda: export(True)),
        "record": _try(
            lambda: covert.record(engine, p, form(urn=f"NEW/{p.username}"), WHY).restriction
        ),
        "review": _try(lambda: change("review", "plain")),
        "review shared": _try(lambda: change("review", "shared")),
        "renew": _try(lambda: change("renew", "plain")),
        "cancel": _try(lambda: change("cancel", "plain")),
    }


ALL = ["Dee Conditioned", "Dee Plain", "Dee Shared"]
PATHS = (
    "read",
    "read shared",
    "list",
    "count",
    "alerts",
    "export",
    "export acknowledged",
    "record",
    "review",
    "review shared",
    "renew",
    "cancel",
)
REFUSED = dict.fromkeys(PATHS, "denied")
EXPECTED: dict[tuple[Role, str], dict[str, Any]] = {
    # the intelligence officer of the owning unit: everything, C conditions acknowledged first
    (Role.INTELLIGENCE_OFFICER, UNIT): {
        "read": "Dee Plain",
        "read shared": "Dee Shared",
        "list": ALL,
        "count": 3,
        "alerts": ALL,
        "export": "conditions",
        "export acknowledged": ALL,
        "record": "restricted",
        "review": 1,
        "review shared": 1,
        "renew": "2025-06-30 23:59:59 BST",  # renewed with 31 March, the day it would cease
        "cancel": "cancelled",
    },
    # another unit: only what was shared with it, to see and never to change
    (Role.INTELLIGENCE_OFFICER, OTHER): {
        "read": "denied",
        "read shared": "Dee Shared",
        "list": ["Dee Shared"],
        "count": 1,
        "alerts": ["Dee Shared"],
        "export": ["Dee Shared"],
        "export acknowledged": ["Dee Shared"],
        "record": "restricted",
        "review": "denied",
        "review shared": "denied",
        "renew": "denied",
        "cancel": "denied",
    },
    # nobody else: not a page, a list, a count or an alert — the PCC viewer least of all
    **{
        (role, unit): REFUSED
        for role in Role
        if role is not Role.INTELLIGENCE_OFFICER
        for unit in (UNIT, OTHER)
    },
}


def test_the_access_matrix(records_engine: Engine, world: dict[str, int]) -> None:
    assert {(r, u) for r in Role for u in (UNIT, OTHER)} == set(EXPECTED)
    # the owning unit's officer last: their cancellation would end the others' alerts
    order = sorted(EXPECTED, key=lambda k: k == (Role.INTELLIGENCE_OFFICER, UNIT))
    got = {key: _sees(records_engine, world, who(*key)) for key in order}
    for key, expected in EXPECTED.items():
        assert got[key] == expected, key


def test_another_force_sees_nothing(records_engine: Engine, world: dict[str, int]) -> None:
    beds = Principal("beds-io", Role.INTELLIGENCE_OFFICER, "bedfordshire", frozenset({UNIT}))
    assert covert.listing(records_engine, beds, justification=WHY) == ([], 0)
    with pytest.raises(policy.PolicyDenied):
        covert.read(records_engine, beds, world["plain"], justification=WHY)


def test_every_read_is_logged_with_its_reason_and_every_refusal_as_denied(
    records_engine: Engine, world: dict[str, int]
) -> None:
    officer = who(Role.INTELLIGENCE_OFFICER, name="io-reader")
    covert.read(records_engine, officer, world["plain"], justification=WHY)
    covert.alerts(records_engine, officer, justification=WHY)
    with pytest.raises(UserError, match="justification"):
        covert.listing(records_engine, officer, justification=None)
    pcc, analyst = who(Role.PCC_VIEWER), who(Role.ANALYST)
    with pytest.raises(policy.PolicyDenied):
        covert.alerts(records_engine, pcc, justification=WHY)
    with pytest.raises(policy.PolicyDenied):
        covert.read(records_engine, analyst, world["plain"], justification=WHY)
    with pytest.raises(policy.PolicyDenied):
        covert.export_csv(records_engine, analyst, justification=WHY, recipient="a friend")
    with session_scope(records_engine) as db:
        entries = audit.query(db, limit=None)
    mine = [e for e in reversed(entries) if e.actor == officer.actor]
    assert [(e.action, e.outcome, e.justification) for e in mine] == [
        ("consultation", "ok", WHY),  # the authorisation
        ("consultation", "ok", WHY),  # the alerts
        ("consultation", "refused", None),  # no reason given
    ]
    assert mine[0].target == f"covert-authorisation:{world['plain']}"
    assert sorted(mine[1].details["records"]) == sorted(
        f"covert-authorisation:{i}" for i in world.values()
    )
    refused = [(e.actor, e.action, e.outcome) for e in reversed(entries) if e.outcome == "denied"]
    assert refused == [
        (pcc.actor, "consultation", "denied"),
        (analyst.actor, "consultation", "denied"),
        (analyst.actor, "disclosure", "denied"),
    ]


def test_the_data_protection_officer_finds_them_by_subject_access_only(
    records_engine: Engine, world: dict[str, int]
) -> None:
    dpo = who(Role.DATA_PROTECTION_OFFICER, OTHER)
    report = subject_access(records_engine, dpo, SubjectTerms(name="dee"), justification=WHY)
    found = sorted(str(i.ref) for i in report.held if i.kind == "covert-authorisation")
    assert found == sorted(f"covert-authorisation:{i}" for i in world.values())
    by_urn = subject_access(
        records_engine, dpo, SubjectTerms(name="nobody", identifiers=("DS/2",)), justification=WHY
    )
    assert [i.ref for i in by_urn.held if i.kind == "covert-authorisation"] == [
        f"covert-authorisation:{world['conditioned']}"
    ]
