"""What the intelligence room declares to the kernel: its capabilities and record types.

Only intelligence roles read intelligence: the intelligence officer (reads and
writes) and the analyst (reads; sanitised text only unless granted the full text).
The administrator, the forensic reviewer, the neighbourhood officer and the PCC
viewer hold neither capability, so the policy gives them nothing — not a list, not a
count, not a path through an entity. The data protection officer reaches these
records only for subject access and review, through the kernel.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType, SubjectTerms
from harmwatch.security.roles import Role

from .models import IntelligenceEntity, IntelligenceLink, IntelligenceReport

READ_INTELLIGENCE = capability(
    "read-intelligence",
    "read intelligence reports, entities and links (need-to-know: the record policy decides which)",
    {Role.INTELLIGENCE_OFFICER, Role.ANALYST},
)
WRITE_INTELLIGENCE = capability(
    "write-intelligence",
    "record, grade and link intelligence; merge entities; export link charts",
    {Role.INTELLIGENCE_OFFICER},
)
#: Sees the unsanitised text of reports without a grant (analysts need one).
FULL_TEXT = capability(
    "read-intelligence-full-text",
    "read the unsanitised text of intelligence reports",
    {Role.INTELLIGENCE_OFFICER},
)


def _report_match(model: type[IntelligenceReport], terms: SubjectTerms) -> Any:
    needles = [t for t in (terms.name, *terms.identifiers) if t]
    if not needles:
        return false()
    return or_(
        *(model.sanitised_text.icontains(n, autoescape=True) for n in needles),
        *(model.full_text.icontains(n, autoescape=True) for n in needles),
    )


def _entity_match(model: type[IntelligenceEntity], terms: SubjectTerms) -> Any:
    conditions = []
    if terms.name:
        conditions.append(model.label.icontains(terms.name, autoescape=True))
        conditions.append(model.attributes_json.icontains(terms.name, autoescape=True))
    for identifier in terms.identifiers:
        conditions.append(model.match_key == _normalised(identifier))
        conditions.append(model.label.icontains(identifier, autoescape=True))
    if terms.date_of_birth:
        conditions.append(model.date_of_birth == terms.date_of_birth)
    return or_(*conditions) if conditions else false()


def _erase_report(db: Any, report: IntelligenceReport) -> None:
    from sqlalchemy import delete

    from .models import WatchAlert

    db.execute(delete(WatchAlert).where(WatchAlert.report_id == report.id))


def _erase_link(db: Any, link: IntelligenceLink) -> None:
    from sqlalchemy import delete

    from .models import LinkSource

    db.execute(delete(LinkSource).where(LinkSource.link_id == link.id))


def _erase_entity(db: Any, entity: IntelligenceEntity) -> None:
    from sqlalchemy import delete, func, or_, select

    from harmwatch.errors import InputError
    from harmwatch.kernel import policy

    from .models import EntityMerge, EntityWatch, WatchAlert

    links = db.scalar(
        policy.privileged(
            select(func.count())
            .select_from(IntelligenceLink)
            .where(
                or_(
                    IntelligenceLink.from_entity == entity.id,
                    IntelligenceLink.to_entity == entity.id,
                )
            ),
            "an entity cannot be erased while links rest on it, whoever may see them",
        )
    )
    if links:
        raise InputError(
            f"{entity.ref} has {links} link(s); review and delete those first, then the entity"
        )
    db.execute(delete(WatchAlert).where(WatchAlert.entity_id == entity.id))
    db.execute(delete(EntityWatch).where(EntityWatch.entity_id == entity.id))
    db.execute(
        delete(EntityMerge).where(
            or_(EntityMerge.kept == entity.id, EntityMerge.merged == entity.id)
        )
    )


def _normalised(identifier: str) -> str:
    from . import identifiers

    for normalise in (identifiers.phone_number, identifiers.vrm, identifiers.postcode):
        try:
            return normalise(identifier)
        except Exception:
            continue
    return identifier.strip()


REPORTS = RecordType(
    kind="intelligence-report",
    model=IntelligenceReport,
    title="intelligence reports",
    read=READ_INTELLIGENCE,
    write=WRITE_INTELLIGENCE,
    subject_match=_report_match,
    describe=lambda r: f"intelligence report {r.reference} v{r.version}, reported {r.reported_on}",
    before_erase=_erase_report,
)
ENTITIES = RecordType(
    kind="intelligence-entity",
    model=IntelligenceEntity,
    title="intelligence entities",
    read=READ_INTELLIGENCE,
    write=WRITE_INTELLIGENCE,
    subject_match=_entity_match,
    describe=lambda e: f"{e.entity_kind} {e.label}",
    before_erase=_erase_entity,
)
LINKS = RecordType(
    kind="intelligence-link",
    model=IntelligenceLink,
    title="intelligence links",
    read=READ_INTELLIGENCE,
    write=WRITE_INTELLIGENCE,
    describe=lambda link: f"{link.link_kind} link {link.from_entity}–{link.to_entity}",
    before_erase=_erase_link,
)
