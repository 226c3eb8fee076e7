"""A link chart as plain values: what a caller may see of the entity graph, ready to draw or export.

The service builds a :class:`Chart` from the records the caller's policy lets them
see (entities, links, the reports behind each link); the web page draws it, and
:mod:`harmwatch.intelligence.exports` writes it as GraphML, GEXF, i2 CSV or
FollowTheMoney. Nothing here reads the database, so exports and drawings can only
show what the service already let through. Every handling-code C condition of a
report behind any link travels in :attr:`Chart.conditions`, so each export format
can carry all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: Entity kinds, with the shape the link chart draws each as.
ENTITY_KINDS: dict[str, str] = {
    "person": "ellipse",
    "phone": "round-rectangle",
    "handset": "rectangle",
    "address": "triangle",
    "vehicle": "diamond",
    "ocg": "hexagon",
    "county-line": "star",
}

#: Link strengths, strongest first; the chart draws them solid, dashed, dotted.
STRENGTHS: tuple[str, ...] = ("confirmed", "tentative", "unconfirmed")


@dataclass(frozen=True)
class ChartSource:
    """One intelligence report (or call-data import) a link rests on, as the caller may see it."""

    ref: str  # "intelligence-report:12"
    reference: str  # the report's own reference, e.g. "HC-2025-000123"
    grade: str  # 3x5x2 written "1A P", or a legacy 5x5x5 grade "5x5x5 B2 3"
    handling_code: str  # "P" or "C"
    conditions: str | None = None  # the C conditions, verbatim
    reported_on: date | None = None


@dataclass(frozen=True)
class ChartNode:
    id: str  # the entity's ref, e.g. "person:3"
    kind: str  # a key of ENTITY_KINDS
    label: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChartEdge:
    id: str  # the link's ref, e.g. "link:7"
    source: str  # a ChartNode id
    target: str
    kind: str  # "associate-of", "uses-phone", "lives-at", "member-of", "runs-line", ...
    strength: str  # one of STRENGTHS
    start: date | None = None
    end: date | None = None
    sources: tuple[ChartSource, ...] = ()


@dataclass(frozen=True)
class Chart:
    title: str
    nodes: tuple[ChartNode, ...]
    edges: tuple[ChartEdge, ...]
    generated_by: str = ""
    generated_at: str = ""  # ISO 8601 UTC
    # Notes a reader must see with the chart (e.g. "2 linked entities are not shown").
    notes: tuple[str, ...] = ()

    @property
    def conditions(self) -> tuple[str, ...]:
        """Every distinct handling-code C condition behind the chart's links, in first-seen order."""
        seen: dict[str, None] = {}
        for edge in self.edges:
            for source in edge.sources:
                if source.conditions:
                    seen.setdefault(f"{source.reference}: {source.conditions}", None)
        return tuple(seen)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generated_by": self.generated_by,
            "generated_at": self.generated_at,
            "notes": list(self.notes),
            "conditions": list(self.conditions),
            "nodes": [
                {"id": n.id, "kind": n.kind, "label": n.label, "attributes": dict(n.attributes)}
                for n in self.nodes
            ],
            "edges": [
                {
                    "id": e.id,
                    "source": e.source,
                    "target": e.target,
                    "kind": e.kind,
                    "strength": e.strength,
                    "start": e.start.isoformat() if e.start else None,
                    "end": e.end.isoformat() if e.end else None,
                    "sources": [
                        {
                            "ref": s.ref,
                            "reference": s.reference,
                            "grade": s.grade,
                            "handling_code": s.handling_code,
                            "conditions": s.conditions,
                            "reported_on": s.reported_on.isoformat() if s.reported_on else None,
                        }
                        for s in e.sources
                    ],
                }
                for e in self.edges
            ],
        }
