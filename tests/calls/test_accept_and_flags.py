"""From a detection to intelligence and safeguarding: flags, accepting a line, the demo set."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from harmwatch.calls import accept, demo, safeguarding, service
from harmwatch.errors import InputError
from harmwatch.intelligence.models import IntelligenceEntity, IntelligenceLink, LinkSource
from harmwatch.kernel import policy
from harmwatch.kernel.principal import Principal
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.records import session_scope

FORCE, UNIT = "hertfordshire", "demo-unit"
WHY = "Op Hypernova: acceptance test"
OFFICER = Principal(
    "intelligence-officer", Role.INTELLIGENCE_OFFICER, FORCE, frozenset({UNIT}), "web"
)
ANALYST = Principal("analyst", Role.ANALYST, FORCE, frozenset({UNIT}), "web")


@pytest.fixture
def demo_world(records_engine: Engine, tmp_path: Path) -> Path:
    db = tmp_path / "analytics.duckdb"
    seeded = demo.seed(records_engine, db, tmp_path / "calls", FORCE, UNIT)
    assert seeded["rows"] and seeded["people"]
    return db


def test_a_child_on_a_runners_phone_is_flagged_with_age_and_days(
    records_engine: Engine, demo_world: Path
) -> None:
    with AnalyticsStore.open(demo_world) as store:
        result = service.detect(records_engine, store, OFFICER, justification=WHY)
    assert result.lines and result.synthetic
    flags = safeguarding.flags(records_engine, OFFICER, result, justification=WHY)
    children = [f for f in flags if f.concern == safeguarding.CHILD_EXPLOITATION]
    assert children
    runners = {n for line in result.lines for n in line.runners}
    for flag in children:
        assert flag.is_child and flag.number in runners and flag.days
        assert flag.date_of_birth is not None
        assert all(safeguarding.age_on(flag.date_of_birth, d) < 18 for d in flag.days)
        assert "(synthetic)" in (flag.person_label or "")


def test_accepting_a_line_writes_a_sourced_county_line_once(
    records_engine: Engine, demo_world: Path
) -> None:
    with AnalyticsStore.open(demo_world) as store:
        result = service.detect(records_engine, store, OFFICER, justification=WHY)
        line = result.lines[0]
        with pytest.raises(policy.PolicyDenied):
            accept.accept_line(records_engine, store, ANALYST, line.line_id, justification=WHY)
        done = accept.accept_line(records_engine, store, OFFICER, line.line_id, justification=WHY)
        with pytest.raises(InputError, match="already an intelligence report"):
            accept.accept_line(records_engine, store, OFFICER, line.line_id, justification=WHY)
    with session_scope(records_engine) as db:
        county_line = db.scalars(
            policy.scope(
                OFFICER,
                select(IntelligenceEntity).where(IntelligenceEntity.id == done.line_entity_id),
                IntelligenceEntity,
            )
        ).one()
        assert county_line.entity_kind == "county-line"
        links = list(
            db.scalars(
                policy.scope(
                    OFFICER,
                    select(IntelligenceLink).where(IntelligenceLink.from_entity == county_line.id),
                    IntelligenceLink,
                )
            )
        )
        deal = sorted(link.to_entity for link in links if link.link_kind == "deal-line")
        assert deal == sorted(done.phone_entity_ids[n.number] for n in line.numbers)
        sources = db.scalars(
            policy.privileged(
                select(LinkSource.report_lineage).where(LinkSource.link_id.in_(done.link_ids)),
                "the test reads the sources of the links it made",
            )
        ).all()
        assert set(sources) == {done.report_id}
        entries = audit.query(db, limit=None)
    collections = [
        (e.actor, e.outcome)
        for e in entries
        if e.action == "collection" and e.target.startswith(("county-line", "intelligence-entity:"))
    ]
    assert (ANALYST.actor, "denied") in collections
    assert (OFFICER.actor, "ok") in collections and (OFFICER.actor, "refused") in collections
