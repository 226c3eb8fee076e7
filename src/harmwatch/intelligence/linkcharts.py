"""The entity graph as one caller may see it: link charts, find path, key players, timelines.

Need-to-know holds on the graph, not only on records: the graph is built from the
entities, links and reports the caller's policy lets through (``scope`` on each), and
a link appears only if both its ends and at least one report it rests on are
visible. So a path can never pass through, or reveal, an entity the caller may not
see — it is computed on the visible graph alone — and a hop always shows a graded
report. Merged entities are drawn as the entity they were merged into.

A chart of one entity is read hop by hop (:func:`load_around`), so it costs its own
size; a path and the key players read the caller's whole visible graph (:func:`load`).

Every chart, path and ranking is one consultation in the access log, naming the
entities, links and reports it returned and the justification.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.reads import MAX_REFS_LOGGED, ConditionsNotAcknowledged
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from .chart import Chart, ChartEdge, ChartNode, ChartSource
from .models import IntelligenceEntity, IntelligenceLink, IntelligenceReport, LinkSource
from .reports import grade_of

MAX_HOPS = 6
MAX_PATH_LENGTH = 8


@dataclass
class VisibleGraph:
    entities: dict[str, IntelligenceEntity]  # by ref "intelligence-entity:3"
    links: dict[str, IntelligenceLink]
    sources: dict[str, list[IntelligenceReport]]  # link ref -> visible current reports
    ends: dict[str, tuple[str, str]]  # link ref -> (from ref, to ref) after merges
    notes: list[str] = field(default_factory=list)

    def node(self, ref: str) -> ChartNode:
        e = self.entities[ref]
        attrs = {k: _text(v) for k, v in e.attributes.items()}
        if e.date_of_birth:
            attrs["age"] = str(_age(e.date_of_birth, models.utcnow().date()))
        if e.handling_code == "C":
            attrs["handling"] = e.handling.banner()
        return ChartNode(ref, e.entity_kind, e.label, attrs)

    def edge(self, ref: str) -> ChartEdge:
        link = self.links[ref]
        a, b = self.ends[ref]
        return ChartEdge(
            ref,
            a,
            b,
            link.link_kind,
            link.strength,
            link.start_date,
            link.end_date,
            tuple(_source(r) for r in self.sources[ref]),
        )

    def chart(self, title: str, nodes: set[str], edges: set[str], by: Principal) -> Chart:
        return Chart(
            title=title,
            nodes=tuple(self.node(n) for n in sorted(nodes)),
            edges=tuple(self.edge(e) for e in sorted(edges)),
            generated_by=by.actor,
            generated_at=models.utcnow().isoformat(timespec="seconds"),
            notes=tuple(self.notes),
        )

    def adjacency(self) -> dict[str, list[tuple[str, str]]]:
        adj: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for ref, (a, b) in self.ends.items():
            adj[a].append((b, ref))
            adj[b].append((a, ref))
        return adj


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _source(report: IntelligenceReport) -> ChartSource:
    return ChartSource(
        ref=str(report.ref),
        reference=report.reference,
        grade=str(grade_of(report)),
        handling_code=report.handling_code,
        conditions=report.handling_conditions if report.handling_code == "C" else None,
        reported_on=report.reported_on,
    )


def _require_reader(by: Principal) -> None:
    from .kinds import READ_INTELLIGENCE

    if not READ_INTELLIGENCE.granted(by.role):
        # Refused outright, not an empty graph: a role outside intelligence learns nothing,
        # and the attempt is logged as denied.
        raise policy.PolicyDenied(f"your role ({by.role}) may not see intelligence")


def _chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """Ids in lists short enough for any database's limit on bound parameters."""
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Reader:
    """Scoped reads of entities, links and their visible sources, each record fetched once."""

    def __init__(self, db: Session, by: Principal) -> None:
        self.db, self.by = db, by
        self.entities: dict[int, IntelligenceEntity] = {}
        self.hidden: set[int] = set()
        self.complete = False  # every visible entity is already in ``entities``
        self._sources: dict[int, list[IntelligenceReport]] = {}

    def _entities(self, condition: Any) -> list[IntelligenceEntity]:
        stmt = policy.scope(
            self.by, select(IntelligenceEntity).where(condition), IntelligenceEntity
        )
        found = list(self.db.scalars(stmt))
        for e in found:
            self.entities[e.id] = e
        return found

    def fetch(self, ids: Iterable[int]) -> None:
        if self.complete:
            return
        wanted = {i for i in ids if i not in self.entities and i not in self.hidden}
        for batch in _chunks(sorted(wanted)):
            self._entities(IntelligenceEntity.id.in_(batch))
        self.hidden |= {i for i in wanted if i not in self.entities}

    def canonical(self, entity_id: int) -> int | None:
        """The visible entity this one is drawn as (following merges); None if hidden."""
        seen: set[int] = set()
        current = entity_id
        while True:
            self.fetch([current])
            entity = self.entities.get(current)
            if entity is None:
                return None
            if not entity.merged_into or current in seen:
                return current
            seen.add(current)
            current = entity.merged_into

    def members(self, canonical_ids: set[int]) -> set[int]:
        """The ids drawn as these: themselves and every visible entity merged into them."""
        found, frontier = set(canonical_ids), set(canonical_ids)
        while frontier:
            merged: set[int] = set()
            for batch in _chunks(sorted(frontier)):
                merged |= {e.id for e in self._entities(IntelligenceEntity.merged_into.in_(batch))}
            frontier = merged - found
            found |= frontier
        return found

    def links(self, condition: Any) -> list[IntelligenceLink]:
        stmt = policy.scope(self.by, select(IntelligenceLink).where(condition), IntelligenceLink)
        return list(self.db.scalars(stmt))

    def sources(self, links: Iterable[IntelligenceLink]) -> dict[int, list[IntelligenceReport]]:
        """Each link's current reports that the caller may see, oldest first."""
        links = list(links)
        todo = sorted({link.id for link in links} - set(self._sources))
        rows: list[tuple[int, int]] = []
        for batch in _chunks(todo):
            rows += [
                (int(a), int(b))
                for a, b in self.db.execute(
                    select(LinkSource.link_id, LinkSource.report_lineage).where(
                        LinkSource.link_id.in_(batch)
                    )
                ).all()
            ]
        reports: dict[int, IntelligenceReport] = {}
        for batch in _chunks(sorted({lineage for _, lineage in rows})):
            stmt = select(IntelligenceReport).where(
                IntelligenceReport.lineage.in_(batch), IntelligenceReport.current.is_(True)
            )
            for r in self.db.scalars(policy.scope(self.by, stmt, IntelligenceReport)):
                reports[r.lineage] = r
        per_link: dict[int, list[IntelligenceReport]] = {i: [] for i in todo}
        for link_id, lineage in rows:
            if lineage in reports:
                per_link[link_id].append(reports[lineage])
        for link_id, found in per_link.items():
            self._sources[link_id] = sorted(found, key=lambda r: r.reported_on)
        return {link.id: self._sources[link.id] for link in links}


def _graph(
    reader: _Reader, links: Iterable[IntelligenceLink], nodes: Iterable[int]
) -> VisibleGraph:
    """The visible graph of these links: each kept when both ends (as drawn) and a report are
    visible; the nodes are the canonical entities given plus every kept link's ends."""
    links = list(links)
    sources = reader.sources(links)
    kept: dict[str, IntelligenceLink] = {}
    ends: dict[str, tuple[str, str]] = {}
    shown: dict[str, list[IntelligenceReport]] = {}
    drawn = set(nodes)
    for link in links:
        a, b = reader.canonical(link.from_entity), reader.canonical(link.to_entity)
        if a is None or b is None or a == b or not sources.get(link.id):
            continue
        ref = str(link.ref)
        kept[ref] = link
        ends[ref] = (f"intelligence-entity:{a}", f"intelligence-entity:{b}")
        shown[ref] = sources[link.id]
        drawn |= {a, b}
    entities = {str(reader.entities[i].ref): reader.entities[i] for i in sorted(drawn)}
    return VisibleGraph(entities, kept, shown, ends)


def load(db: Session, by: Principal) -> VisibleGraph:
    """The caller's whole visible graph (every query scoped by the policy)."""
    _require_reader(by)
    reader = _Reader(db, by)
    live = [e.id for e in reader._entities(IntelligenceEntity.id.is_not(None)) if not e.merged_into]
    reader.complete = True
    return _graph(reader, reader.links(IntelligenceLink.id.is_not(None)), live)


def load_around(db: Session, by: Principal, start: str, hops: int) -> VisibleGraph:
    """Only what :func:`neighbourhood` of ``start`` can reach in ``hops`` on the whole visible
    graph, read hop by hop (so a chart costs its own size, not the force's holdings).

    Each hop reads the links touching the frontier (and entities merged into it), keeps
    those :func:`load` would keep, and steps to their other ends; the result's
    neighbourhood equals the whole graph's (a test compares them).
    """
    _require_reader(by)
    reader = _Reader(db, by)
    first = reader.canonical(int(start.split(":", 1)[1]))
    if first is None:
        return VisibleGraph({}, {}, {}, {})
    nodes, frontier = {first}, {first}
    seen: dict[int, IntelligenceLink] = {}
    for _ in range(hops):
        ids = sorted(reader.members(frontier))
        found: list[IntelligenceLink] = []
        for batch in _chunks(ids):
            found += reader.links(
                or_(IntelligenceLink.from_entity.in_(batch), IntelligenceLink.to_entity.in_(batch))
            )
        fresh = {link.id: link for link in found if link.id not in seen}
        seen.update(fresh)
        step = _graph(reader, fresh.values(), ())
        reached = {int(ref.split(":", 1)[1]) for pair in step.ends.values() for ref in pair}
        frontier = reached - nodes
        nodes |= frontier
        if not frontier:
            break
    return _graph(reader, seen.values(), nodes)


def _log_returned(work: Work, graph: VisibleGraph, nodes: set[str], edges: set[str]) -> None:
    reports = sorted({str(r.ref) for e in edges for r in graph.sources[e]})
    refs = [*sorted(nodes), *sorted(edges), *reports]
    work.details["rows"] = len(refs)
    work.details["records"] = refs[:MAX_REFS_LOGGED]
    if len(refs) > MAX_REFS_LOGGED:
        work.details["records_not_listed"] = len(refs) - MAX_REFS_LOGGED


def _entity_ref(value: str) -> str:
    text = value.strip()
    if text.isdigit():
        return f"intelligence-entity:{text}"
    if text.startswith("intelligence-entity:") and text.split(":", 1)[1].isdigit():
        return text
    raise InputError(f"entity: {value!r} is not an entity id (a number, or intelligence-entity:N)")


def _require_node(graph: VisibleGraph, ref: str, what: str) -> None:
    if ref not in graph.entities:
        # The same answer whether it does not exist or is not the caller's to see.
        raise NotFoundError(f"{what}: no entity {ref.split(':', 1)[1]} that you may see")


def neighbourhood(graph: VisibleGraph, start: str, hops: int) -> tuple[set[str], set[str]]:
    adj = graph.adjacency()
    nodes, edges = {start}, set()
    frontier = {start}
    for _ in range(hops):
        nxt = set()
        for node in frontier:
            for other, ref in adj.get(node, ()):
                edges.add(ref)
                if other not in nodes:
                    nxt.add(other)
        nodes |= nxt
        frontier = nxt
    edges = {e for e in edges if set(graph.ends[e]) <= nodes}
    return nodes, edges


def _load_for(db: Session, by: Principal, entity: str | None, hops: int) -> VisibleGraph:
    """What a chart of ``entity`` to ``hops`` needs: its neighbourhood, or everything."""
    return load_around(db, by, _entity_ref(entity), hops) if entity else load(db, by)


def _around(graph: VisibleGraph, entity: str | None, hops: int) -> tuple[str, set[str], set[str]]:
    """The chart's title, entities and links: ``entity``'s neighbourhood, or everything."""
    if not entity:
        return "all intelligence you may see", set(graph.entities), set(graph.links)
    start = _entity_ref(entity)
    _require_node(graph, start, "entity")
    nodes, edges = neighbourhood(graph, start, hops)
    return f"{graph.entities[start].label}: {hops} hop(s)", nodes, edges


def chart(
    engine: Engine,
    by: Principal,
    entity: str | None,
    hops: int = 2,
    *,
    justification: str | None,
    client: str = "",
) -> Chart:
    """An entity's neighbourhood to ``hops`` (or the whole visible graph when no entity)."""
    if not 0 <= hops <= MAX_HOPS:
        raise InputError(f"hops: 0 to {MAX_HOPS}")
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-chart", entity or "*"),
        client=client,
        details={"hops": hops},
    ) as work:
        work.justify(resolve(by, justification, what="a link chart"))
        graph = _load_for(work.db, by, entity, hops)
        title, nodes, edges = _around(graph, entity, hops)
        _log_returned(work, graph, nodes, edges)
        return graph.chart(title, nodes, edges, by)


@dataclass
class Hop:
    link: ChartEdge
    from_entity: str
    to_entity: str
    trust: float  # 0–1 from the best-graded report behind it and the link's strength

    def to_json(self) -> dict[str, Any]:
        return {
            "link": self.link.id,
            "from": self.from_entity,
            "to": self.to_entity,
            "kind": self.link.kind,
            "strength": self.link.strength,
            "trust": round(self.trust, 3),
            "reports": [
                {
                    "ref": s.ref,
                    "reference": s.reference,
                    "grade": s.grade,
                    "conditions": s.conditions,
                }
                for s in self.link.sources
            ],
        }


@dataclass
class FoundPath:
    nodes: list[str]
    hops: list[Hop]

    @property
    def weakest(self) -> Hop:
        return min(self.hops, key=lambda h: h.trust)

    def to_json(self, labels: dict[str, str]) -> dict[str, Any]:
        weakest = self.weakest
        return {
            "nodes": self.nodes,
            "labels": [labels[n] for n in self.nodes],
            "length": len(self.hops),
            "hops": [h.to_json() for h in self.hops],
            "weakest_hop": {
                **weakest.to_json(),
                "why": (
                    f"{weakest.link.strength} {weakest.link.kind} link resting on "
                    + ", ".join(f"{s.reference} ({s.grade})" for s in weakest.link.sources)
                ),
            },
        }


def _trust(edge: ChartEdge) -> float:
    from .grading import Grade, Scheme

    best = 0.0
    for s in edge.sources:
        parts = s.grade.replace("5x5x5 ", "").replace(" ", "")
        if s.grade.startswith("5x5x5"):
            g = Grade(Scheme.FIVE_FIVE_FIVE, parts[0], parts[1], parts[2])
        else:
            g = Grade(Scheme.THREE_FIVE_TWO, parts[0], parts[1], parts[2])
        best = max(best, g.weight)
    strength = {"confirmed": 1.0, "tentative": 0.7, "unconfirmed": 0.4}[edge.strength]
    return best * strength


@dataclass
class PathResult:
    start: str
    end: str
    paths: list[FoundPath]
    chart: Chart
    all_up_to: int | None

    def to_json(self) -> dict[str, Any]:
        labels = {n.id: n.label for n in self.chart.nodes}
        return {
            "from": self.start,
            "to": self.end,
            "found": bool(self.paths),
            "all_paths_up_to": self.all_up_to,
            "paths": [p.to_json(labels) for p in self.paths],
            "chart": self.chart.to_json(),
        }


def _paths(
    graph: VisibleGraph, start: str, end: str, max_length: int | None
) -> list[list[tuple[str, str]]]:
    """Shortest path (fewest hops), or every simple path up to ``max_length`` hops.

    Each path is a list of (node, link by which it was reached) pairs. Parallel links
    between the same two entities are distinct paths (each rests on its own reports).
    """
    from .graph import paths as graph_paths
    from .graph.network import Network

    names = sorted(graph.entities)
    pairs: dict[frozenset[str], list[str]] = defaultdict(list)
    for ref, (a, b) in graph.ends.items():
        pairs[frozenset((a, b))].append(ref)
    network = Network.from_edges(names, [(a, b, 1.0) for a, b in (tuple(p) for p in pairs)])
    if max_length is None:
        found = graph_paths.shortest_path(network, start, end)
        node_paths = [list(found.nodes)] if found is not None else []
    else:
        node_paths = [list(p) for p in graph_paths.all_paths(network, start, end, max_length)]
    out: list[list[tuple[str, str]]] = []
    for nodes in node_paths:
        expanded: list[list[tuple[str, str]]] = [[(nodes[0], "")]]
        for a, b in pairwise(nodes):
            expanded = [[*p, (b, link)] for p in expanded for link in pairs[frozenset((a, b))]]
        out.extend(expanded)
    return out


def find_path(
    engine: Engine,
    by: Principal,
    start: str,
    end: str,
    *,
    max_length: int | None = None,
    justification: str | None,
    client: str = "",
) -> PathResult:
    """The shortest path between two entities (or all up to ``max_length`` hops), hop by hop."""
    if max_length is not None and not 1 <= max_length <= MAX_PATH_LENGTH:
        raise InputError(f"max_length: 1 to {MAX_PATH_LENGTH} hops")
    a, b = _entity_ref(start), _entity_ref(end)
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-path", f"{a}..{b}"),
        client=client,
        details={"max_length": max_length},
    ) as work:
        work.justify(resolve(by, justification, what="finding a path"))
        graph = load(work.db, by)
        _require_node(graph, a, "from")
        _require_node(graph, b, "to")
        if a == b:
            raise InputError("to: the same entity as from")
        found = []
        for steps in _paths(graph, a, b, max_length):
            hops = []
            for (prev, _), (node, link) in pairwise(steps):
                edge = graph.edge(link)
                hops.append(Hop(edge, prev, node, _trust(edge)))
            found.append(FoundPath([n for n, _ in steps], hops))
        found.sort(key=lambda p: (len(p.hops), -p.weakest.trust))
        nodes = {n for p in found for n in p.nodes} | {a, b}
        edges = {h.link.id for p in found for h in p.hops}
        _log_returned(work, graph, nodes, edges)
        work.details["paths"] = len(found)
        result_chart = graph.chart(
            f"path from {graph.entities[a].label} to {graph.entities[b].label}", nodes, edges, by
        )
        return PathResult(a, b, found, result_chart, max_length)


IMAGE_FORMATS = ("png", "svg")


def export_chart(
    engine: Engine,
    by: Principal,
    entity: str | None,
    hops: int,
    fmt: str,
    *,
    recipient: str,
    justification: str | None,
    acknowledge_conditions: bool = False,
    client: str = "",
) -> tuple[bytes, str, str, Chart]:
    """A chart written as ``fmt``, logged as a disclosure to ``recipient``.

    Refused while any report behind it carries handling code C whose conditions the
    exporter has not acknowledged; the conditions travel inside every format. For
    ``png`` and ``svg`` the browser draws the file from the chart it already shows:
    this logs the disclosure and returns no content, and the page saves the file
    only once the disclosure is logged (refused: no file).
    """
    from .exports import FORMATS, all_conditions, export

    if fmt not in (*FORMATS, *IMAGE_FORMATS):
        raise InputError(f"format: {fmt!r}; one of {', '.join((*FORMATS, *IMAGE_FORMATS))}")
    if not recipient.strip():
        raise InputError("recipient: say who the export is for (a disclosure names its recipient)")
    with unit_of_work(
        engine,
        by,
        AuditAction.DISCLOSURE,
        RecordRef("intelligence-chart", entity or "*"),
        client=client,
        recipient=recipient.strip(),
        details={"format": fmt, "hops": hops},
    ) as work:
        from .kinds import WRITE_INTELLIGENCE

        if not WRITE_INTELLIGENCE.granted(by.role):
            raise policy.PolicyDenied(
                f"your role ({by.role}) may not export intelligence; ask an intelligence officer"
            )
        work.justify(resolve(by, justification, what="exporting a link chart"))
        graph = _load_for(work.db, by, entity, hops)
        title, nodes, edges = _around(graph, entity, hops)
        result = graph.chart(title, nodes, edges, by)
        _log_returned(work, graph, nodes, edges)
        conditions = list(all_conditions(result))
        if conditions:
            work.details["handling_conditions"] = conditions
            if not acknowledge_conditions:
                raise ConditionsNotAcknowledged(
                    f"{len(conditions)} item(s) carry handling code C; acknowledge their "
                    "conditions before exporting: " + "; ".join(conditions)
                )
            work.details["conditions_acknowledged"] = True
        if fmt in IMAGE_FORMATS:
            work.details["drawn_by"] = "the link-chart page, from the chart shown"
            return b"", "", f".{fmt}", result
        content, media_type, suffix = export(result, fmt)
        return content, media_type, suffix, result


def timeline(
    engine: Engine, by: Principal, entity: str, *, justification: str | None, client: str = ""
) -> list[dict[str, Any]]:
    """An entity's links and the reports behind them, in date order."""
    ref = _entity_ref(entity)
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-timeline", ref),
        client=client,
    ) as work:
        work.justify(resolve(by, justification, what="an entity's timeline"))
        graph = load_around(work.db, by, ref, 1)
        _require_node(graph, ref, "entity")
        events: list[dict[str, Any]] = []
        edges = {e for e, ends in graph.ends.items() if ref in ends}
        for e in edges:
            link = graph.links[e]
            a, b = graph.ends[e]
            other = graph.entities[b if a == ref else a]
            if link.start_date:
                events.append(
                    {
                        "date": link.start_date.isoformat(),
                        "event": f"{link.link_kind} {other.label} from",
                        "ref": e,
                    }
                )
            if link.end_date:
                events.append(
                    {
                        "date": link.end_date.isoformat(),
                        "event": f"{link.link_kind} {other.label} until",
                        "ref": e,
                    }
                )
            for r in graph.sources[e]:
                events.append(
                    {
                        "date": (r.information_date or r.reported_on).isoformat(),
                        "event": f"report {r.reference} ({grade_of(r)}): {link.link_kind} {other.label}",
                        "ref": str(r.ref),
                    }
                )
        events.sort(key=lambda x: (x["date"], x["event"]))
        _log_returned(work, graph, {ref}, edges)
        return events


def key_players(
    engine: Engine, by: Principal, *, top: int = 10, justification: str | None, client: str = ""
) -> dict[str, Any]:
    """Centralities, communities and the effect of removing the top players, on the visible graph."""
    from .graph import players
    from .graph.centrality import centralities
    from .graph.network import Network

    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-players", "*"),
        client=client,
        details={"top": top},
    ) as work:
        work.justify(resolve(by, justification, what="ranking key players"))
        graph = load(work.db, by)
        names = sorted(graph.entities)
        network = Network.from_edges(names, [(a, b, 1.0) for a, b in graph.ends.values()])
        scores = centralities(network)
        rows: list[dict[str, Any]] = []
        for row in scores.rows():
            ref = str(row["node"])
            rows.append(
                {**row, "label": graph.entities[ref].label, "kind": graph.entities[ref].entity_kind}
            )
        rows.sort(key=lambda r: (-float(r["betweenness"]), -float(r["degree"]), str(r["node"])))
        labels = {ref: graph.entities[ref].label for ref in names}
        found = players.communities(network)
        removal = players.removal_effect(network, top, "betweenness", scores=scores)
        _log_returned(work, graph, set(names), set(graph.links))
        return {
            "players": rows[:top],
            "communities": {
                **found.to_json(),
                "groups": [[labels[n] for n in group] for group in found.groups],
            },
            "removal": {
                **removal.to_json(),
                "removed": [labels[n] for n in removal.removed],
            },
            "notes": list(scores.notes),
        }
