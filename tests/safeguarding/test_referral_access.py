"""Need-to-know on referrals: each role × same/other unit, for every read and write path.

Two referrals of the unit ``dacorum-cid``: one force-wide (handling code P), one
restricted to the unit (handling code C). Each caller tries every path — read,
list, count, export, record and decide — and the table of what each got is
compared with the table the policy promises. Then the access log is read: every
read with its justification, every refusal as denied, the export as a disclosure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError, UserError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.reads import ConditionsNotAcknowledged
from harmwatch.kernel.records import Restriction, SubjectTerms
from harmwatch.kernel.subjects import subject_access
from harmwatch.safeguarding import referrals
from harmwatch.safeguarding.models import Referral
from harmwatch.safeguarding.referrals import DecisionDraft, ReferralDraft
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

FORCE = "hertfordshire"
UNIT, OTHER = "dacorum-cid", "stevenage-cid"
WHY = "Op Safe: referral access matrix"
CONDITIONS = "Not to be shared outside the MASH without the DI's approval"
FLAG = "county-lines-flag"


def who(role: Role, unit: str = UNIT, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{unit}", role, FORCE, frozenset({unit}))


AUTHOR = who(Role.INTELLIGENCE_OFFICER, name="author")
DRAFT = ReferralDraft(
    referral_kind="nrm",
    subject_label="Kai Fictional",
    subject_is_child=True,
    concern="child-criminal-exploitation",
    referred_on=date(2025, 3, 3),
    agency="Single Competent Authority",
    source_kind=FLAG,
    source_ref="runner-1",
)


@pytest.fixture
def world(records_engine: Engine) -> dict[str, int]:
    e = records_engine
    open_id = referrals.record_referral(e, AUTHOR, DRAFT, WHY).id
    restricted = replace(
        DRAFT,
        subject_label="Kai Restricted",
        source_ref="runner-2",
        restriction=Restriction.RESTRICTED,
        conditions=CONDITIONS,
    )
    return {"open": open_id, "restricted": referrals.record_referral(e, AUTHOR, restricted, WHY).id}


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
    def export(ack: bool) -> Any:
        text = referrals.export_csv(
            engine,
            p,
            justification=WHY,
            recipient="Hertfordshire MASH",
            acknowledge_conditions=ack,
            source_kind=FLAG,
        )
        return sorted(line.split(",")[2] for line in text.splitlines()[1:])

    def record() -> str:
        draft = replace(DRAFT, source_kind="matrix-write", source_ref=p.username)
        return referrals.record_referral(engine, p, draft, WHY).referral_kind

    def decide() -> Any:
        view = referrals.record_decision(
            engine, p, ids["open"], DecisionDraft(agency_reference=f"SCA-{p.username}"), WHY
        )
        return view.agency_reference == f"SCA-{p.username}"

    def read(key: str) -> Any:
        return referrals.read(engine, p, ids[key], justification=WHY).subject_label

    return {
        "read open": _try(lambda: read("open")),
        "read restricted": _try(lambda: read("restricted")),
        "list": _try(
            lambda: sorted(
                v.subject_label
                for v in referrals.listing(engine, p, justification=WHY, source_kind=FLAG)[0]
            )
        ),
        "count": _try(
            lambda: reads.count(
                engine, p, Referral, Referral.source_kind == FLAG, justification=WHY
            )
        ),
        "export": _try(lambda: export(False)),
        "export acknowledged": _try(lambda: export(True)),
        "record": _try(record),
        "decide": _try(decide),
    }


BOTH = ["Kai Fictional", "Kai Restricted"]
REFUSED = {
    k: "denied"
    for k in (
        "read open",
        "read restricted",
        "list",
        "count",
        "export",
        "export acknowledged",
        "record",
        "decide",
    )
}
EXPECTED = {
    # officers who make referrals, in the owning unit: everything, C conditions first
    **{
        (role, UNIT): {
            "read open": "Kai Fictional",
            "read restricted": "Kai Restricted",
            "list": BOTH,
            "count": 2,
            "export": "conditions",
            "export acknowledged": BOTH,
            "record": "nrm",
            "decide": True,
        }
        for role in (Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER)
    },
    # another unit of the force: the force-wide referral only (and may change it: the force owns it)
    **{
        (role, OTHER): {
            "read open": "Kai Fictional",
            "read restricted": "denied",
            "list": ["Kai Fictional"],
            "count": 1,
            "export": ["Kai Fictional"],
            "export acknowledged": ["Kai Fictional"],
            "record": "nrm",
            "decide": True,
        }
        for role in (Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER)
    },
    # the analyst reads (to know who is already referred) but neither refers nor exports
    (Role.ANALYST, UNIT): {
        "read open": "Kai Fictional",
        "read restricted": "Kai Restricted",
        "list": BOTH,
        "count": 2,
        "export": "denied",
        "export acknowledged": "denied",
        "record": "denied",
        "decide": "denied",
    },
    (Role.ANALYST, OTHER): {
        "read open": "Kai Fictional",
        "read restricted": "denied",
        "list": ["Kai Fictional"],
        "count": 1,
        "export": "denied",
        "export acknowledged": "denied",
        "record": "denied",
        "decide": "denied",
    },
    # nobody else: not a list, not a count (the DPO reaches them by subject access only)
    **{
        (role, unit): REFUSED
        for role in (
            Role.ADMIN,
            Role.FORENSIC_REVIEWER,
            Role.PCC_VIEWER,
            Role.DATA_PROTECTION_OFFICER,
        )
        for unit in (UNIT, OTHER)
    },
}


def test_the_access_matrix(records_engine: Engine, world: dict[str, int]) -> None:
    assert {(r, u) for r in Role for u in (UNIT, OTHER)} == set(EXPECTED)
    got = {key: _sees(records_engine, world, who(*key)) for key in EXPECTED}
    for key, expected in EXPECTED.items():
        assert got[key] == expected, key


def test_another_force_sees_nothing(records_engine: Engine, world: dict[str, int]) -> None:
    beds = Principal("beds-io", Role.INTELLIGENCE_OFFICER, "bedfordshire", frozenset({UNIT}))
    assert referrals.listing(records_engine, beds, justification=WHY) == ([], 0)
    with pytest.raises(policy.PolicyDenied):
        referrals.read(records_engine, beds, world["open"], justification=WHY)
    with pytest.raises(policy.PolicyDenied):
        referrals.record_decision(
            records_engine, beds, world["open"], DecisionDraft(outcome="closed"), WHY
        )


def test_every_read_is_logged_with_its_reason_and_every_refusal_as_denied(
    records_engine: Engine, world: dict[str, int]
) -> None:
    officer = who(Role.NEIGHBOURHOOD_OFFICER)
    referrals.read(records_engine, officer, world["restricted"], justification=WHY)
    referrals.listing(records_engine, officer, justification=WHY, concern="cuckooing")
    csv_text = referrals.export_csv(
        records_engine,
        officer,
        justification=WHY,
        recipient="Hertfordshire MASH",
        acknowledge_conditions=True,
    )
    assert csv_text.splitlines()[0].startswith("ref,referral_kind,subject_label")
    with pytest.raises(UserError, match="justification"):
        referrals.listing(records_engine, officer, justification=None)
    pcc, analyst = who(Role.PCC_VIEWER), who(Role.ANALYST)
    with pytest.raises(policy.PolicyDenied):
        referrals.listing(records_engine, pcc, justification=WHY)
    with pytest.raises(policy.PolicyDenied):
        referrals.export_csv(records_engine, analyst, justification=WHY, recipient="a friend")
    with session_scope(records_engine) as db:
        entries = audit.query(db, limit=None)
    mine = [e for e in reversed(entries) if e.actor == officer.actor]
    assert [(e.action, e.outcome) for e in mine] == [
        ("consultation", "ok"),  # the restricted referral
        ("consultation", "ok"),  # the listing
        ("disclosure", "ok"),  # the export
        ("consultation", "refused"),  # no reason given
    ]
    for entry in mine[:3]:
        assert entry.justification == WHY
    read_entry, list_entry, export_entry, _ = mine
    assert read_entry.target == f"safeguarding-referral:{world['restricted']}"
    assert list_entry.details["concern"] == "cuckooing"
    assert export_entry.details["recipient"] == "Hertfordshire MASH"
    assert export_entry.details["format"] == "csv"
    assert CONDITIONS in str(export_entry.details)
    assert f"safeguarding-referral:{world['open']}" in export_entry.details["records"]
    refused = [(e.actor, e.action, e.outcome) for e in reversed(entries) if e.outcome == "denied"]
    assert refused == [
        (pcc.actor, "consultation", "denied"),
        (analyst.actor, "disclosure", "denied"),
    ]


def test_an_export_is_formula_safe(records_engine: Engine) -> None:
    officer = who(Role.INTELLIGENCE_OFFICER)
    draft = replace(DRAFT, subject_label='=HYPERLINK("http://x")', agency="+44 MASH")
    referrals.record_referral(records_engine, officer, draft, WHY)
    text = referrals.export_csv(records_engine, officer, justification=WHY, recipient="MASH")
    row = text.splitlines()[1]
    assert "'=HYPERLINK" in row and "'+44 MASH" in row


def test_the_data_protection_officer_finds_referrals_by_subject_access(
    records_engine: Engine, world: dict[str, int]
) -> None:
    dpo = who(Role.DATA_PROTECTION_OFFICER, OTHER)
    adult = replace(
        DRAFT,
        subject_label="Kai Adult",
        subject_is_child=False,
        subject_date_of_birth=date(1980, 2, 2),
        source_ref="cuckooed-1",
    )
    anonymous = referrals.record_referral(records_engine, AUTHOR, adult, WHY)
    assert anonymous.referral_kind == "duty-to-notify"
    report = subject_access(records_engine, dpo, SubjectTerms(name="kai"), justification=WHY)
    found = sorted(item.ref for item in report.held if item.kind == "safeguarding-referral")
    # both, the restricted one too (subject access sees the whole force); the anonymous
    # Duty to Notify holds nothing about the person, so nothing finds it
    assert found == sorted(f"safeguarding-referral:{i}" for i in world.values())
    assert "safeguarding: safeguarding referrals" in report.searched
    by_dob = subject_access(
        records_engine,
        dpo,
        SubjectTerms(name="nobody", date_of_birth=date(1980, 2, 2)),
        justification=WHY,
    )
    assert not [i for i in by_dob.held if i.kind == "safeguarding-referral"]
