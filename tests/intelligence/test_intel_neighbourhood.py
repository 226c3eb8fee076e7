"""A chart read hop by hop (``load_around``) equals the same chart cut from the whole visible graph.

A seeded random graph of 60 entities and 150 links, with restricted entities, links
and reports of two units, links whose only report is restricted, and merges (one a
chain of two), is read by callers of either unit; for every entity and 0–3 hops the
two ways must give the same entities, links and reports.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import Engine

from harmwatch.errors import UserError
from harmwatch.intelligence import entities, linkcharts, reports
from harmwatch.intelligence.entities import EntityDraft
from harmwatch.intelligence.grading import grade
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.security.roles import Role
from harmwatch.storage.records import session_scope

A = Principal("a", Role.INTELLIGENCE_OFFICER, "hertfordshire", frozenset({"unit-a"}))
B = Principal("b", Role.INTELLIGENCE_OFFICER, "hertfordshire", frozenset({"unit-b"}))


def _restriction(rng: np.random.Generator) -> Restriction:
    return Restriction.RESTRICTED if rng.random() < 0.25 else Restriction.FORCE


def _world(engine: Engine, seed: int = 7) -> list[int]:
    rng = np.random.default_rng(seed)
    report_ids = []
    for i in range(12):
        author = A if i % 3 else B
        report_ids.append(
            reports.create(
                engine,
                author,
                reports.ReportDraft(
                    reference=f"R-{i}",
                    grade=grade("3x5x2", "2", "B", "P"),
                    sanitised_text=f"report {i}",
                    originator="PC Test",
                    reported_on=date(2025, 1, 1 + i),
                    restriction=_restriction(rng),
                ),
            )
        )
    people = []
    for i in range(60):
        author = A if i % 4 else B
        people.append(
            entities.create_entity(
                engine,
                author,
                EntityDraft("person", f"Person {i}", restriction=_restriction(rng)),
            )
        )
    for _ in range(150):
        a, b = (int(x) for x in rng.choice(len(people), 2, replace=False))
        author = A if rng.random() < 0.7 else B
        mine = [r for n, r in enumerate(report_ids) if (n % 3 != 0) == (author is A)]
        sources = [int(x) for x in rng.choice(mine, int(rng.integers(1, 3)), replace=False)]
        try:
            entities.create_link(
                engine,
                author,
                people[a],
                people[b],
                "associate-of",
                "tentative",
                sources,
                restriction=_restriction(rng),
            )
        except UserError:
            continue  # an end the author may not see: not a link anyone could make
    merged = 0
    for keep, merge in ((1, 2), (0, 1), (10, 11)):  # 2 into 1, then 1 into 0: a chain
        try:
            entities.decide_merge(engine, A, people[keep], people[merge], merge=True, evidence="t")
        except UserError:
            continue  # one A may not see or change
        merged += 1
    assert merged >= 2
    return people


def _view(graph: linkcharts.VisibleGraph, start: str, hops: int) -> tuple[object, ...]:
    if start not in graph.entities:
        return ("not visible",)
    nodes, edges = linkcharts.neighbourhood(graph, start, hops)
    return (
        sorted(nodes),
        sorted((e, graph.ends[e]) for e in edges),
        sorted((e, tuple(str(r.ref) for r in graph.sources[e])) for e in edges),
    )


def test_the_neighbourhood_read_hop_by_hop_equals_the_whole_graphs(records_engine: Engine) -> None:
    people = _world(records_engine)
    checked = 0
    for caller in (A, B):
        with session_scope(records_engine) as db:
            whole = linkcharts.load(db, caller)
            for entity_id in people:
                start = f"intelligence-entity:{entity_id}"
                for hops in range(4):
                    near = linkcharts.load_around(db, caller, start, hops)
                    expected = _view(whole, start, hops)
                    assert _view(near, start, hops) == expected, (caller.username, start, hops)
                    checked += expected != ("not visible",)
    assert checked > 300  # most starts are visible to someone: the comparison is not vacuous
