"""Entities (people, phones, handsets, addresses, vehicles, OCGs, county lines) and links.

Every identifier is normalised on the way in (:mod:`.identifiers`), so ``07700
900123``, ``+447700900123`` and ``447700900123`` are one phone, and entity resolution
can match on keys. A link must rest on at least one report the author may see: a
link with no source is refused, because a chart line nobody can trace to graded
intelligence would be repeated in court as if it were known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from . import identifiers
from .chart import ENTITY_KINDS, STRENGTHS
from .kinds import ENTITIES, LINKS
from .models import (
    EntityMerge,
    IntelligenceEntity,
    IntelligenceLink,
    IntelligenceReport,
    LinkSource,
)

#: Link kinds an officer may record, and the entity kinds each joins (None: any).
LINK_KINDS: dict[str, tuple[set[str] | None, set[str] | None]] = {
    "associate-of": ({"person"}, {"person"}),
    "family-of": ({"person"}, {"person"}),
    "uses-phone": ({"person"}, {"phone"}),
    "uses-handset": ({"person", "phone"}, {"handset"}),
    "lives-at": ({"person"}, {"address"}),
    "frequents": ({"person", "county-line", "ocg"}, {"address"}),
    "cuckooed-address": ({"county-line", "ocg"}, {"address"}),
    "uses-vehicle": ({"person"}, {"vehicle"}),
    "member-of": ({"person"}, {"ocg"}),
    "runs-line": ({"person", "ocg"}, {"county-line"}),
    "controls-line": ({"person", "ocg"}, {"county-line"}),
    "holds-line": ({"person"}, {"county-line"}),
    "deal-line": ({"county-line"}, {"phone"}),
    "calls": ({"phone"}, {"phone"}),
    "linked-to": (None, None),
}


@dataclass(frozen=True)
class EntityDraft:
    kind: str
    label: str = ""
    # person
    aliases: tuple[str, ...] = ()
    date_of_birth: date | None = None
    # phone / handset / vehicle / address / ocg / county line
    value: str = ""  # the number, IMEI, VRM, postcode, OCG name or line brand
    address_lines: str = ""
    latitude: float | None = None
    longitude: float | None = None
    threat_tier: str = ""
    unit: str | None = None
    restriction: Restriction = Restriction.FORCE
    handling: Handling = field(default_factory=lambda: Handling(HandlingCode.P))


def normalise(draft: EntityDraft, *, field_prefix: str = "") -> tuple[str, str, dict[str, Any]]:
    """(label, match key, attributes) for a draft; :class:`InputError` naming what is wrong."""
    kind = draft.kind.strip().lower()
    if kind not in ENTITY_KINDS:
        raise InputError(
            f"{field_prefix}kind: {draft.kind!r}; entity kinds are {', '.join(ENTITY_KINDS)}"
        )
    attrs: dict[str, Any] = {}
    value = draft.value.strip()

    def fail(name: str, exc: Exception) -> InputError:
        return InputError(f"{field_prefix}{name}: {exc}")

    if kind == "person":
        label = " ".join(draft.label.split())
        if not label:
            raise InputError(f"{field_prefix}label: a person needs a name")
        key = identifiers.name_key(label)
        attrs["aliases"] = [a.strip() for a in draft.aliases if a.strip()]
        if draft.date_of_birth:
            if draft.date_of_birth > models.utcnow().date():
                raise InputError(f"{field_prefix}date_of_birth: in the future")
            attrs["date_of_birth"] = draft.date_of_birth.isoformat()
        return label, key, attrs
    if not value:
        raise InputError(f"{field_prefix}value: a {kind} needs its value")
    try:
        if kind == "phone":
            key = identifiers.phone_number(value)
            label = key
            attrs["as_given"] = value
        elif kind == "handset":
            imei = identifiers.imei(value)
            key = imei.match_key
            label = f"IMEI {imei.digits}"
            attrs.update({"imei": imei.digits, "form": imei.form})
        elif kind == "vehicle":
            key = identifiers.vrm(value)
            label = key
        elif kind == "address":
            key = identifiers.postcode(value)
            lines = " ".join(draft.address_lines.split())
            label = f"{lines}, {key}" if lines else key
            attrs["postcode"] = key
            if lines:
                attrs["lines"] = lines
            if (draft.latitude is None) != (draft.longitude is None):
                raise InputError("give both latitude and longitude, or neither")
            if draft.latitude is not None and draft.longitude is not None:
                if not (49.8 <= draft.latitude <= 60.9 and -8.7 <= draft.longitude <= 1.8):
                    raise InputError("latitude/longitude: outside the United Kingdom")
                attrs["latitude"], attrs["longitude"] = draft.latitude, draft.longitude
        else:  # ocg, county-line
            label = " ".join(value.split())
            key = label.casefold()
            if kind == "ocg" and draft.threat_tier:
                attrs["threat_tier"] = draft.threat_tier.strip()
    except InputError as exc:
        raise fail("value", exc) from None
    return label, key, attrs


def add_entity(db: Session, by: Principal, draft: EntityDraft) -> IntelligenceEntity:
    """A new entity in the caller's transaction (checked, owned by their force and unit)."""
    label, key, attrs = normalise(draft)
    unit = draft.unit or (sorted(by.units)[0] if by.units else "")
    policy.require_collect(by, ENTITIES, by.force, unit)
    entity = IntelligenceEntity(
        entity_kind=draft.kind.strip().lower(),
        label=label,
        match_key=key,
        date_of_birth=draft.date_of_birth if draft.kind == "person" else None,
        attributes_json=json.dumps(attrs, sort_keys=True),
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=unit,
            handling=draft.handling,
            restriction=draft.restriction,
            retention="intelligence",
        ),
    )
    db.add(entity)
    db.flush()
    return entity


def create_entity(engine: Engine, by: Principal, draft: EntityDraft, *, client: str = "") -> int:
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(ENTITIES.kind, "new"), client=client
    ) as work:
        entity = add_entity(work.db, by, draft)
        work.target(entity.ref)
        work.details["kind"] = entity.entity_kind
        return entity.id


def _visible_entity(db: Session, by: Principal, entity_id: int, what: str) -> IntelligenceEntity:
    found = db.scalars(
        policy.scope(
            by,
            select(IntelligenceEntity).where(IntelligenceEntity.id == entity_id),
            IntelligenceEntity,
        )
    ).first()
    if found is None:
        raise NotFoundError(f"{what}: no entity {entity_id} that you may see")
    if found.merged_into:
        raise InputError(f"{what}: entity {entity_id} was merged into {found.merged_into}")
    return found


def visible_entities(db: Session, by: Principal) -> list[IntelligenceEntity]:
    """Every entity the caller may see that has not been merged into another."""
    stmt = select(IntelligenceEntity).where(IntelligenceEntity.merged_into.is_(None))
    return list(db.scalars(policy.scope(by, stmt, IntelligenceEntity)))


def check_link(kind: str, strength: str, start: date | None, end: date | None) -> tuple[str, str]:
    kind = kind.strip().lower()
    if kind not in LINK_KINDS:
        raise InputError(f"kind: {kind!r}; link kinds are {', '.join(LINK_KINDS)}")
    strength = strength.strip().lower()
    if strength not in STRENGTHS:
        raise InputError(f"strength: {strength!r}; one of {', '.join(STRENGTHS)}")
    if start and end and end < start:
        raise InputError(f"end: {end} is before the start {start}")
    return kind, strength


def add_link(
    db: Session,
    by: Principal,
    a: IntelligenceEntity,
    b: IntelligenceEntity,
    kind: str,
    strength: str,
    reports: list[IntelligenceReport],
    *,
    start: date | None = None,
    end: date | None = None,
    unit: str | None = None,
    restriction: Restriction = Restriction.FORCE,
) -> IntelligenceLink:
    """A new link in the caller's transaction: both ends and every source already read
    under the caller's policy; refused with no source."""
    kind, strength = check_link(kind, strength, start, end)
    if not reports:
        raise InputError(
            "sources: a link must rest on at least one intelligence report; none was given"
        )
    if a.id == b.id:
        raise InputError("to: an entity cannot be linked to itself")
    allowed_from, allowed_to = LINK_KINDS[kind]
    if (
        allowed_from is not None
        and allowed_to is not None
        and (a.entity_kind not in allowed_from or b.entity_kind not in allowed_to)
    ):
        raise InputError(
            f"kind: a {kind} link joins {'/'.join(sorted(allowed_from))} to "
            f"{'/'.join(sorted(allowed_to))}, not {a.entity_kind} to {b.entity_kind}"
        )
    owning_unit = unit or (sorted(by.units)[0] if by.units else "")
    policy.require_collect(by, LINKS, by.force, owning_unit)
    link = IntelligenceLink(
        from_entity=a.id,
        to_entity=b.id,
        link_kind=kind,
        strength=strength,
        start_date=start,
        end_date=end,
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=owning_unit,
            handling=Handling(HandlingCode.P),
            restriction=restriction,
            retention="intelligence",
        ),
    )
    db.add(link)
    db.flush()
    for lineage in sorted({r.lineage for r in reports}):
        db.add(LinkSource(link_id=link.id, report_lineage=lineage))
    db.flush()
    return link


def create_link(
    engine: Engine,
    by: Principal,
    from_id: int,
    to_id: int,
    kind: str,
    strength: str,
    report_ids: list[int],
    *,
    start: date | None = None,
    end: date | None = None,
    unit: str | None = None,
    restriction: Restriction = Restriction.FORCE,
    client: str = "",
) -> int:
    """Link two entities on the reports named; refused without a source the author may see."""
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(LINKS.kind, "new"), client=client
    ) as work:
        check_link(kind, strength, start, end)
        if not report_ids:
            raise InputError(
                "sources: a link must rest on at least one intelligence report; none was given"
            )
        a = _visible_entity(work.db, by, from_id, "from")
        b = _visible_entity(work.db, by, to_id, "to")
        reports = list(
            work.db.scalars(
                policy.scope(
                    by,
                    select(IntelligenceReport).where(IntelligenceReport.id.in_(report_ids)),
                    IntelligenceReport,
                )
            )
        )
        missing = sorted(set(report_ids) - {r.id for r in reports})
        if missing:
            raise NotFoundError(
                f"sources: no intelligence report {', '.join(map(str, missing))} that you may see"
            )
        link = add_link(
            work.db,
            by,
            a,
            b,
            kind,
            strength,
            reports,
            start=start,
            end=end,
            unit=unit,
            restriction=restriction,
        )
        work.target(link.ref)
        work.details.update(
            {
                "from": str(a.ref),
                "to": str(b.ref),
                "kind": link.link_kind,
                "sources": [str(r.ref) for r in reports],
            }
        )
        return link.id


# -- merges: suggested by resolution, decided by an officer, undoable ---------------


def decide_merge(
    engine: Engine,
    by: Principal,
    keep_id: int,
    merge_id: int,
    *,
    merge: bool,
    evidence: str,
    client: str = "",
) -> int:
    """Merge ``merge_id`` into ``keep_id`` (or reject the suggestion); the decision's id."""
    action = AuditAction.COMBINATION if merge else AuditAction.ALTERATION
    with unit_of_work(
        engine,
        by,
        action,
        RecordRef(ENTITIES.kind, str(merge_id)),
        client=client,
        details={"into": f"{ENTITIES.kind}:{keep_id}", "decision": "merge" if merge else "reject"},
    ) as work:
        keep = _visible_entity(work.db, by, keep_id, "keep")
        other = _visible_entity(work.db, by, merge_id, "merge")
        if keep.entity_kind != other.entity_kind:
            raise InputError(f"cannot merge a {other.entity_kind} into a {keep.entity_kind}")
        for record in (keep, other):
            policy.require(work.db, by, AuditAction.ALTERATION, record)
        if merge:
            other.merged_into = keep.id
            other.updated_at = models.utcnow()
            other.updated_by = by.actor
        decision = EntityMerge(
            kept=keep.id,
            merged=other.id,
            decision="merged" if merge else "rejected",
            evidence=evidence[:2000],
            decided_by=by.actor,
            decided_at=models.utcnow(),
        )
        work.db.add(decision)
        work.db.flush()
        work.details["evidence"] = evidence[:500]
        return decision.id


def undo_merge(engine: Engine, by: Principal, decision_id: int, *, client: str = "") -> None:
    with unit_of_work(
        engine,
        by,
        AuditAction.ALTERATION,
        RecordRef("intelligence-merge", str(decision_id)),
        client=client,
        details={"undo": True},
    ) as work:
        decision = work.db.get(EntityMerge, decision_id)
        if decision is None or decision.undone_at is not None or decision.decision != "merged":
            raise NotFoundError(f"no merge {decision_id} to undo")
        merged = work.db.scalars(
            policy.scope(
                by,
                select(IntelligenceEntity).where(IntelligenceEntity.id == decision.merged),
                IntelligenceEntity,
            )
        ).first()
        if merged is None:
            raise NotFoundError(f"no merge {decision_id} that you may undo")
        policy.require(work.db, by, AuditAction.ALTERATION, merged)
        merged.merged_into = None
        decision.undone_at = models.utcnow()
        decision.undone_by = by.actor
        work.details["restored"] = str(merged.ref)


def listing(
    engine: Engine,
    by: Principal,
    *,
    justification: str | None,
    kind: str = "",
    search: str = "",
    client: str = "",
) -> list[IntelligenceEntity]:
    """Entities the caller may see (merged ones left out), by kind and label."""
    from harmwatch.kernel import reads

    stmt = select(IntelligenceEntity).where(IntelligenceEntity.merged_into.is_(None))
    details: dict[str, Any] = {}
    if kind:
        if kind not in ENTITY_KINDS:
            raise InputError(f"kind: {kind!r}; entity kinds are {', '.join(ENTITY_KINDS)}")
        stmt = stmt.where(IntelligenceEntity.entity_kind == kind)
        details["kind"] = kind
    if search.strip():
        details["search"] = search.strip()
        stmt = stmt.where(IntelligenceEntity.label.icontains(search.strip(), autoescape=True))
    stmt = stmt.order_by(IntelligenceEntity.entity_kind, IntelligenceEntity.label)
    return reads.consult(
        engine,
        by,
        IntelligenceEntity,
        stmt,
        justification=justification,
        client=client,
        details=details,
    ).records


def entity_json(entity: IntelligenceEntity, on: date | None = None) -> dict[str, Any]:
    """An entity for the API and pages; a person's age is given on ``on`` (default today)."""
    out: dict[str, Any] = {
        "id": entity.id,
        "ref": str(entity.ref),
        "kind": entity.entity_kind,
        "label": entity.label,
        "key": entity.match_key,
        "attributes": entity.attributes,
        "unit": entity.owning_unit,
        "handling": entity.handling.banner(),
    }
    if entity.date_of_birth:
        day = on or models.utcnow().date()
        out["date_of_birth"] = entity.date_of_birth.isoformat()
        out["age"] = identifiers.age_on(entity.date_of_birth, day)
        out["age_on"] = day.isoformat()
    return out
