"""Offers an officer decides on: merge suggestions from entity resolution, and the entities a
report's text mentions. Nothing here changes a record; each offer is a consultation, logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.reads import MAX_REFS_LOGGED
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from . import identifiers, mentions, resolution
from .entities import visible_entities
from .models import EntityMerge, IntelligenceEntity
from .reports import read as read_report


def candidate_of(e: IntelligenceEntity, *, for_resolution: bool = False) -> resolution.Candidate:
    """The entity as resolution and mention-finding read it.

    For resolution an address is keyed by postcode and first line (a postcode alone
    covers about fifteen addresses, so it never suggests a merge); mentions in text
    find an address by its postcode.
    """
    names: tuple[str, ...] = ()
    if e.entity_kind == "person":
        names = (e.label, *(str(a) for a in e.attributes.get("aliases", [])))
    return resolution.Candidate(
        id=str(e.ref),
        kind=e.entity_kind,
        names=names,
        date_of_birth=e.date_of_birth,
        key=_key(e, for_resolution),
        label=e.label,
    )


def _key(e: IntelligenceEntity, for_resolution: bool) -> str | None:
    if e.entity_kind == "person":
        return None
    if for_resolution and e.entity_kind == "address":
        lines = str(e.attributes.get("lines", "")).split(",")[0].strip()
        return identifiers.address_key(e.match_key, lines) if lines else e.match_key
    return e.match_key


def merge_suggestions(
    engine: Engine, by: Principal, *, justification: str | None, client: str = ""
) -> list[dict[str, Any]]:
    """Pairs of visible entities that may be one, best first, less those already decided."""
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-suggestions", "*"),
        client=client,
    ) as work:
        work.justify(resolve(by, justification, what="merge suggestions"))
        visible = visible_entities(work.db, by)
        ids = {e.id for e in visible}
        decided = {
            frozenset((f"intelligence-entity:{m.kept}", f"intelligence-entity:{m.merged}"))
            for m in work.db.scalars(select(EntityMerge).where(EntityMerge.undone_at.is_(None)))
            if m.kept in ids and m.merged in ids
        }
        candidates = [
            candidate_of(e, for_resolution=True)
            for e in visible
            if e.entity_kind in resolution.KINDS
        ]
        labels = {str(e.ref): e.label for e in visible}
        out = [
            {
                "a": s.a,
                "b": s.b,
                "a_label": labels[s.a],
                "b_label": labels[s.b],
                "score": round(s.score, 3),
                "evidence": list(s.evidence),
            }
            for s in resolution.suggest(candidates)
            if frozenset((s.a, s.b)) not in decided
        ]
        refs = sorted({str(x) for s in out for x in (s["a"], s["b"])})
        work.details.update({"rows": len(out), "records": refs[:MAX_REFS_LOGGED]})
        return out


def mentions_in_report(
    engine: Engine, by: Principal, report_id: int, *, justification: str | None, client: str = ""
) -> list[dict[str, Any]]:
    """What the report's text (as this reader sees it) names: offered, never added."""
    report = read_report(engine, by, report_id, justification=justification, client=client)
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-mentions", str(report_id)),
        client=client,
        justification=resolve(by, justification, what="mentions in a report"),
    ) as work:
        known = visible_entities(work.db, by)
        found = mentions.find_mentions(report.text, known=[candidate_of(e) for e in known])
        out: list[dict[str, Any]] = [
            {
                "kind": m.kind,
                "text": m.text,
                "start": m.start,
                "end": m.end,
                "key": m.key,
                "known": m.known_id,
                "known_any": list(m.known_ids),
                "similarity": m.similarity,
            }
            for m in found
        ]
        known_refs = sorted({ref for m in found for ref in m.known_ids})
        work.details.update({"rows": len(out), "records": known_refs})
        return out
