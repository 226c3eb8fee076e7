"""Watches: an officer watches an entity and is told when a new report mentions it.

A new or revised report's text is searched for identifiers (phone numbers, IMEIs,
VRMs, postcodes) and watched people's names (:mod:`.mentions`); each watcher of a
matching entity gets an alert. The alert names only the report's id: a watcher who
may not see the report (another unit's restricted report) is shown nothing of it —
alerts are listed through the report policy, like every other read.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from .kinds import ENTITIES
from .models import EntityWatch, IntelligenceEntity, IntelligenceReport, WatchAlert


def _keys_in(db: Session, report: IntelligenceReport) -> list[int]:
    """Ids of watched entities of the report's force that the report's text mentions."""
    text = "\n".join(t for t in (report.sanitised_text, report.full_text) if t)
    watched = list(
        db.scalars(
            policy.privileged(
                select(IntelligenceEntity).where(
                    IntelligenceEntity.owning_force == report.owning_force,
                    IntelligenceEntity.id.in_(select(EntityWatch.entity_id)),
                ),
                "match a new report against watched entities; nothing is shown to the author",
            )
        )
    )
    if not watched:
        return []
    from . import mentions
    from .suggestions import candidate_of

    found = mentions.find_mentions(text, known=[candidate_of(e) for e in watched])
    known = {ref for m in found for ref in m.known_ids}
    return sorted(e.id for e in watched if str(e.ref) in known)


def alert_mentions(db: Session, report: IntelligenceReport) -> int:
    """Alert the watchers of every entity the report mentions; how many alerts were made."""
    ids = _keys_in(db, report)
    if not ids:
        return 0
    now = models.utcnow()
    made = 0
    for watch in db.scalars(select(EntityWatch).where(EntityWatch.entity_id.in_(ids))):
        db.add(
            WatchAlert(
                username=watch.username,
                entity_id=watch.entity_id,
                report_id=report.id,
                at=now,
                seen=False,
            )
        )
        made += 1
    db.flush()
    return made


def watch(
    engine: Engine, by: Principal, entity_id: int, *, on: bool = True, client: str = ""
) -> None:
    ref = RecordRef(ENTITIES.kind, str(entity_id))
    with unit_of_work(
        engine,
        by,
        AuditAction.ALTERATION,
        ref,
        client=client,
        details={"watch": "on" if on else "off"},
    ) as work:
        entity = work.db.scalars(
            policy.scope(
                by,
                select(IntelligenceEntity).where(IntelligenceEntity.id == entity_id),
                IntelligenceEntity,
            )
        ).first()
        if entity is None:
            from harmwatch.errors import NotFoundError

            raise NotFoundError(f"no entity {entity_id} that you may see")
        existing = work.db.get(EntityWatch, (by.username, entity_id))
        if on and existing is None:
            work.db.add(
                EntityWatch(username=by.username, entity_id=entity_id, since=models.utcnow())
            )
        elif not on and existing is not None:
            work.db.delete(existing)


def alerts(
    engine: Engine, by: Principal, *, justification: str | None, client: str = ""
) -> list[dict[str, str]]:
    """The caller's unseen alerts about reports they may see (then marked seen)."""
    from harmwatch.kernel.justification import resolve

    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef("intelligence-alerts", by.username),
        client=client,
    ) as work:
        work.justify(resolve(by, justification, what="reading your watch alerts"))
        pending = list(
            work.db.scalars(
                select(WatchAlert).where(
                    WatchAlert.username == by.username, WatchAlert.seen.is_(False)
                )
            )
        )
        if not pending:
            work.details["rows"] = 0
            return []
        reports = {
            r.id: r
            for r in work.db.scalars(
                policy.scope(
                    by,
                    select(IntelligenceReport).where(
                        IntelligenceReport.id.in_([a.report_id for a in pending])
                    ),
                    IntelligenceReport,
                )
            )
        }
        entities = {
            e.id: e
            for e in work.db.scalars(
                policy.scope(
                    by,
                    select(IntelligenceEntity).where(
                        IntelligenceEntity.id.in_([a.entity_id for a in pending])
                    ),
                    IntelligenceEntity,
                )
            )
        }
        out = []
        for alert in pending:
            report, entity = reports.get(alert.report_id), entities.get(alert.entity_id)
            if report is None or entity is None:
                continue  # not the watcher's to see; kept until it is (a share)
            alert.seen = True
            out.append(
                {
                    "entity": str(entity.ref),
                    "entity_label": entity.label,
                    "report": str(report.ref),
                    "reference": report.reference,
                    "at": alert.at.isoformat(),
                }
            )
        work.details["records"] = [a["report"] for a in out]
        work.details["rows"] = len(out)
        return out
