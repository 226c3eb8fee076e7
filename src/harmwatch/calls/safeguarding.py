"""Safeguarding flags from a detection: children on the line's shifts, cuckooing victims.

County lines exploit children and vulnerable adults (Home Office, *Criminal
exploitation of children and vulnerable adults: county lines*, 2018/2023). Two flags
are raised from a detection and the intelligence the caller may see:

- **possible child criminal exploitation** — a runner's number is linked
  (``uses-phone``) to a person whose date of birth makes them under 18 on a day the
  number was with the line handset (the shift days the detection found). The flag
  gives the person, their age on those days and the days.
- **vulnerable adult (possible cuckooing)** — the customer whose home cell became the
  line's base; the person linked to that number is named when the intelligence holds
  one, and their age on the first day of the stay decides whether they are a child.

A flag is a prompt to an officer, not a decision: from it the officer records a
safeguarding or National Referral Mechanism referral (:mod:`harmwatch.safeguarding`),
where consent and the Duty to Notify are handled. Reading the intelligence is itself
a consultation, logged in one unit of work with the detection's files named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from harmwatch.intelligence.kinds import READ_INTELLIGENCE
from harmwatch.intelligence.models import IntelligenceEntity, IntelligenceLink
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from .findings import Detection

CHILD_EXPLOITATION = "child-criminal-exploitation"
CUCKOOING = "cuckooing"


@dataclass(frozen=True)
class Flag:
    concern: str  # child-criminal-exploitation | cuckooing
    line_id: str
    number: str
    is_child: bool
    days: tuple[date, ...]
    person_entity_id: int | None = None
    person_label: str | None = None
    date_of_birth: date | None = None
    ages: tuple[int, ...] = field(default_factory=tuple)
    why: str = ""

    @property
    def source_ref(self) -> str:
        return f"{self.line_id}:{self.number}"


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _people_using(
    db: Session, principal: Principal, numbers: set[str]
) -> dict[str, list[IntelligenceEntity]]:
    """Visible persons linked by a visible ``uses-phone`` link to each number's phone entity."""
    if not numbers:
        return {}
    phones = list(
        db.scalars(
            policy.scope(
                principal,
                select(IntelligenceEntity).where(
                    IntelligenceEntity.entity_kind == "phone",
                    IntelligenceEntity.match_key.in_(sorted(numbers)),
                ),
                IntelligenceEntity,
            )
        )
    )
    by_id = {p.id: p.match_key for p in phones}
    if not by_id:
        return {}
    links = list(
        db.scalars(
            policy.scope(
                principal,
                select(IntelligenceLink).where(
                    IntelligenceLink.link_kind == "uses-phone",
                    or_(
                        IntelligenceLink.to_entity.in_(by_id),
                        IntelligenceLink.from_entity.in_(by_id),
                    ),
                ),
                IntelligenceLink,
            )
        )
    )
    person_ids = {link.from_entity for link in links} | {link.to_entity for link in links}
    people = {
        e.id: e
        for e in db.scalars(
            policy.scope(
                principal,
                select(IntelligenceEntity).where(
                    IntelligenceEntity.id.in_(person_ids - set(by_id)),
                    IntelligenceEntity.entity_kind == "person",
                ),
                IntelligenceEntity,
            )
        )
    }
    out: dict[str, list[IntelligenceEntity]] = {}
    for link in links:
        phone_id = link.to_entity if link.to_entity in by_id else link.from_entity
        person_id = link.from_entity if phone_id == link.to_entity else link.to_entity
        if person_id in people:
            out.setdefault(by_id[phone_id], []).append(people[person_id])
    return out


def flags(
    engine: Engine,
    principal: Principal,
    result: Detection,
    *,
    justification: str | None,
    client: str = "",
) -> list[Flag]:
    """The safeguarding flags of ``result`` (see the module docstring), logged as one read."""
    runners = {
        (line.line_id, n): days for line in result.lines for n, days in line.runner_days.items()
    }
    victims = {(line.line_id, c.victim): c for line in result.lines for c in line.cuckooed}
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, RecordRef("intelligence-entity", "*"),
        client=client, details={"question": "safeguarding flags from county-lines detection"},
    ) as work:  # fmt: skip
        if not READ_INTELLIGENCE.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not read intelligence")
        work.justify(resolve(principal, justification, what="safeguarding flags"))
        numbers = {n for _, n in runners} | {v for _, v in victims}
        people = _people_using(work.db, principal, numbers)
        out: list[Flag] = []
        for (line_id, number), days in sorted(runners.items()):
            for person in people.get(number, []):
                if person.date_of_birth is None or not days:
                    continue
                ages = tuple(age_on(person.date_of_birth, d) for d in days)
                child_days = tuple(d for d, a in zip(days, ages, strict=True) if a < 18)
                if child_days:
                    out.append(
                        Flag(
                            CHILD_EXPLOITATION,
                            line_id,
                            number,
                            True,
                            child_days,
                            person.id,
                            person.label,
                            person.date_of_birth,
                            tuple(sorted(set(ages))),
                            f"runner's phone with the {line_id} handset on {len(days)} day(s); "
                            f"{person.label} was under 18 on {len(child_days)} of them",
                        )
                    )
        for (line_id, victim), cell in sorted(victims.items()):
            linked = people.get(victim, [])
            resident = linked[0] if linked else None
            born = resident.date_of_birth if resident is not None else None
            age = age_on(born, cell.first_night) if born else None
            out.append(
                Flag(
                    CUCKOOING,
                    line_id,
                    victim,
                    age is not None and age < 18,
                    tuple(_days(cell.first_night, cell.last_night)),
                    resident.id if resident else None,
                    resident.label if resident else None,
                    born,
                    (age,) if age is not None else (),
                    f"the {line_id} handset based in this customer's home cell {cell.cell_id} "
                    f"for {cell.nights} days while their own buying stopped",
                )
            )
        work.details["flags"] = len(out)
        work.details["rows"] = len(out)
        return out


def _days(first: date, last: date) -> list[date]:
    from datetime import timedelta

    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
