"""Need-to-know on intelligence: each role × handling code × same/other unit, for every read path.

One restricted report of each handling code (P and C) in the unit ``dacorum-cid``,
each the only source of a link between two restricted entities, and a force-wide
report linking force-wide entities. Each caller then tries every read path — read,
list, search, count, export and find-path — and the table of what each got is
compared with the table the policy promises. Then the access log is read: every
view, search and export is there with who, what and the justification.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from harmwatch.errors import NotFoundError, UserError
from harmwatch.intelligence import entities, linkcharts, reports
from harmwatch.intelligence.entities import EntityDraft
from harmwatch.intelligence.grading import grade
from harmwatch.intelligence.models import IntelligenceReport
from harmwatch.kernel import policy, reads
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.reads import ConditionsNotAcknowledged
from harmwatch.kernel.records import Restriction
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

FORCE = "hertfordshire"
UNIT, OTHER = "dacorum-cid", "stevenage-cid"
WHY = "Op Matrix: access matrix test"
CONDITIONS = "Not to be disclosed outside Herts Constabulary without DI approval"


def who(role: Role, unit: str = UNIT, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{unit}", role, FORCE, frozenset({unit}), "web")


AUTHOR = who(Role.INTELLIGENCE_OFFICER, name="author")


def _report(engine: Engine, ref: str, handling: str, restricted: bool) -> int:
    return reports.create(
        engine,
        AUTHOR,
        reports.ReportDraft(
            reference=ref,
            grade=grade("3x5x2", "2", "B", handling),
            sanitised_text=f"{ref}: target deals from the flat",
            full_text=f"{ref}: full text naming the source",
            originator="DC Test",
            reported_on=date(2025, 3, 1),
            conditions=CONDITIONS if handling == "C" else None,
            restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
        ),
    )


def _person(engine: Engine, name: str, restricted: bool) -> int:
    return entities.create_entity(
        engine,
        AUTHOR,
        EntityDraft(
            "person", name, restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE
        ),
    )


@pytest.fixture
def world(records_engine: Engine) -> dict[str, int]:
    e = records_engine
    ids = {
        "P": _report(e, "HC-P", "P", True),
        "C": _report(e, "HC-C", "C", True),
        "open": _report(e, "HC-OPEN", "P", False),
        "dealer": _person(e, "Dealer Open", False),
        "middle": _person(e, "Middle Restricted", True),
        "line": _person(e, "Line Open", False),
        "other": _person(e, "Other Open", False),
    }
    entities.create_link(
        e, AUTHOR, ids["dealer"], ids["middle"], "associate-of", "confirmed", [ids["P"]]
    )
    entities.create_link(
        e, AUTHOR, ids["middle"], ids["line"], "associate-of", "tentative", [ids["C"]]
    )
    entities.create_link(
        e, AUTHOR, ids["line"], ids["other"], "associate-of", "confirmed", [ids["open"]]
    )
    return ids


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
    def refs(views: Any) -> list[str]:
        return sorted(v.reference for v in views[0])

    def path() -> Any:
        found = linkcharts.find_path(
            engine, p, str(ids["dealer"]), str(ids["line"]), justification=WHY
        )
        return [len(x.hops) for x in found.paths]

    def export(ack: bool) -> Any:
        _, _, _, chart = linkcharts.export_chart(
            engine,
            p,
            str(ids["dealer"]),
            3,
            "csv",
            recipient="CPS Thames and Chiltern",
            justification=WHY,
            acknowledge_conditions=ack,
        )
        return sorted(n.label for n in chart.nodes)

    return {
        "read P": _try(lambda: reports.read(engine, p, ids["P"], justification=WHY).reference),
        "read C": _try(lambda: reports.read(engine, p, ids["C"], justification=WHY).reference),
        "list": _try(lambda: refs(reports.listing(engine, p, justification=WHY))),
        "search": _try(lambda: refs(reports.listing(engine, p, justification=WHY, search="flat"))),
        "count": _try(lambda: reads.count(engine, p, IntelligenceReport, justification=WHY)),
        "path": _try(path),
        "export": _try(lambda: export(False)),
        "export acknowledged": _try(lambda: export(True)),
    }


ALL = ["HC-C", "HC-OPEN", "HC-P"]
EVERYONE = ["Dealer Open", "Line Open", "Middle Restricted", "Other Open"]
REFUSED = {
    k: "denied"
    for k in (
        "read P",
        "read C",
        "list",
        "search",
        "count",
        "path",
        "export",
        "export acknowledged",
    )
}

EXPECTED = {
    # the owning unit: everything; an export waits for the C conditions to be acknowledged
    (Role.INTELLIGENCE_OFFICER, UNIT): {
        "read P": "HC-P",
        "read C": "HC-C",
        "list": ALL,
        "search": ALL,
        "count": 3,
        "path": [2],
        "export": "conditions",
        "export acknowledged": EVERYONE,
    },
    # an analyst of the unit reads but may not export
    (Role.ANALYST, UNIT): {
        "read P": "HC-P",
        "read C": "HC-C",
        "list": ALL,
        "search": ALL,
        "count": 3,
        "path": [2],
        "export": "denied",
        "export acknowledged": "denied",
    },
    # another unit: nothing restricted, and no path through the restricted middle man
    (Role.INTELLIGENCE_OFFICER, OTHER): {
        "read P": "denied",
        "read C": "denied",
        "list": ["HC-OPEN"],
        "search": ["HC-OPEN"],
        "count": 1,
        "path": [],
        "export": ["Dealer Open"],
        "export acknowledged": ["Dealer Open"],
    },
    (Role.ANALYST, OTHER): {
        "read P": "denied",
        "read C": "denied",
        "list": ["HC-OPEN"],
        "search": ["HC-OPEN"],
        "count": 1,
        "path": [],
        "export": "denied",
        "export acknowledged": "denied",
    },
    # no intelligence role: nothing at all, not even a count
    **{
        (role, unit): REFUSED
        for role in (
            Role.ADMIN,
            Role.FORENSIC_REVIEWER,
            Role.PCC_VIEWER,
            Role.NEIGHBOURHOOD_OFFICER,
            Role.DATA_PROTECTION_OFFICER,
        )
        for unit in (UNIT, OTHER)
    },
}


def test_the_access_matrix(records_engine: Engine, world: dict[str, int]) -> None:
    got = {key: _sees(records_engine, world, who(*key)) for key in EXPECTED}
    for key, expected in EXPECTED.items():
        assert got[key] == expected, key


def test_a_path_never_reveals_a_hidden_entity(
    records_engine: Engine, world: dict[str, int]
) -> None:
    outsider = who(Role.INTELLIGENCE_OFFICER, OTHER)
    result = linkcharts.find_path(
        records_engine,
        outsider,
        str(world["dealer"]),
        str(world["line"]),
        max_length=5,
        justification=WHY,
    ).to_json()
    assert result["found"] is False
    assert "Middle Restricted" not in str(result)
    # asking for the hidden entity itself is "not found", the same as a missing one
    with pytest.raises(NotFoundError):
        linkcharts.chart(records_engine, outsider, str(world["middle"]), 1, justification=WHY)


def test_every_view_search_and_export_is_logged_with_who_what_and_why(
    records_engine: Engine, world: dict[str, int]
) -> None:
    officer = who(Role.INTELLIGENCE_OFFICER)
    reports.read(records_engine, officer, world["C"], justification=WHY)
    reports.listing(records_engine, officer, justification=WHY, search="flat")
    linkcharts.export_chart(
        records_engine,
        officer,
        str(world["dealer"]),
        3,
        "graphml",
        recipient="CPS Thames and Chiltern",
        justification=WHY,
        acknowledge_conditions=True,
    )
    pcc = who(Role.PCC_VIEWER)
    with pytest.raises(policy.PolicyDenied):
        reads.count(records_engine, pcc, IntelligenceReport, justification=WHY)
    with session_scope(records_engine) as db:
        entries = [e for e in audit.query(db, limit=None) if e.actor in (officer.actor, pcc.actor)]
    mine = [e for e in entries if e.actor == officer.actor]
    assert [(e.action, e.outcome) for e in reversed(mine)] == [
        ("consultation", "ok"),  # the report
        ("consultation", "ok"),  # its other versions
        ("consultation", "ok"),  # the search
        ("disclosure", "ok"),  # the export
    ]
    for entry in mine:
        assert entry.justification == WHY
    read_entry, _, search_entry, export_entry = reversed(mine)
    assert read_entry.target == f"intelligence-report:{world['C']}"
    assert "flat" in str(search_entry.details)
    assert export_entry.details["recipient"] == "CPS Thames and Chiltern"
    assert CONDITIONS in str(export_entry.details)
    assert f"intelligence-entity:{world['middle']}" in str(export_entry.details)
    denied = [e for e in entries if e.actor == pcc.actor]
    assert [(e.action, e.outcome) for e in denied] == [("consultation", "denied")]


def test_analysts_see_sanitised_text_unless_granted(
    records_engine: Engine, world: dict[str, int]
) -> None:
    analyst = who(Role.ANALYST, name="ana")
    officer = who(Role.INTELLIGENCE_OFFICER)
    assert reports.read(records_engine, analyst, world["P"], justification=WHY).text_is_sanitised
    assert not reports.read(
        records_engine, officer, world["P"], justification=WHY
    ).text_is_sanitised
    from harmwatch.security.accounts import create_user

    with session_scope(records_engine) as db:
        create_user(db, "ana", Role.ANALYST, "a-long-password-1", force=FORCE, units=[UNIT])
    reports.grant_full_text(
        records_engine, officer, "ana", "Op Matrix: analyst needs the source text"
    )
    seen = reports.read(records_engine, analyst, world["P"], justification=WHY)
    assert not seen.text_is_sanitised and "full text" in seen.text


def test_a_share_lends_sight_to_the_other_unit_but_not_ownership(
    records_engine: Engine, world: dict[str, int]
) -> None:
    from harmwatch.intelligence import sharing

    outsider = who(Role.INTELLIGENCE_OFFICER, OTHER)
    ref = f"intelligence-report:{world['P']}"
    with pytest.raises(policy.PolicyDenied):
        reports.read(records_engine, outsider, world["P"], justification=WHY)
    sharing.share(records_engine, AUTHOR, ref, FORCE, OTHER)
    assert reports.read(records_engine, outsider, world["P"], justification=WHY).reference == "HC-P"
    with pytest.raises(policy.PolicyDenied):  # sight, not ownership: no resharing
        sharing.share(records_engine, outsider, ref, "bedfordshire")
    with session_scope(records_engine) as db:
        entries = [
            e for e in audit.query(db, limit=None) if e.target == ref and e.action == "alteration"
        ]
    assert [(e.actor, e.outcome) for e in reversed(entries)] == [
        ("author", "ok"),
        (outsider.actor, "denied"),
    ]
