"""Accepting a detected line into the intelligence graph — by an officer, never automatically.

A detection is an inference; an intelligence officer decides whether it becomes
intelligence. Accepting one line writes, in one unit of work with its log entry:

- an intelligence report (3x5x2, graded by the officer; default source 1,
  intelligence B — call data is a reliable source, and the inference is corroborated
  by many rows but not known directly) whose text states the finding, its evidence,
  the rules used and the call-data files with their legal basis and reference;
- a ``county-line`` entity, and a ``phone`` entity for each of its numbers,
  controllers and runners (an existing visible phone entity with the same number is
  reused, not duplicated);
- links resting on that report: ``deal-line`` from the line to each of its numbers
  (dated with the number's first and last use), ``calls`` from each controller's phone
  to the line's numbers, and ``linked-to`` from each runner's phone to the line
  (co-location is not a call).

The line is detected again from the rows at the moment of acceptance, with the rules
given, so what is written is what the data shows now — not what a browser sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.intelligence import entities, reports
from harmwatch.intelligence.grading import grade
from harmwatch.intelligence.kinds import ENTITIES, WRITE_INTELLIGENCE
from harmwatch.intelligence.models import IntelligenceEntity, IntelligenceReport
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage.analytics import AnalyticsStore

from . import findings, service
from .importer import LegalBasis
from .lines import DetectedLine
from .models import CallDataImport
from .rules import DetectionRules


@dataclass
class Accepted:
    report_id: int
    line_entity_id: int
    phone_entity_ids: dict[str, int] = field(default_factory=dict)
    link_ids: list[int] = field(default_factory=list)


def phone_entity(db: Session, by: Principal, number: str, unit: str) -> IntelligenceEntity:
    """The caller's visible phone entity for ``number`` (E.164 from the import), or a new one."""
    found = db.scalars(
        policy.scope(
            by,
            select(IntelligenceEntity).where(
                IntelligenceEntity.entity_kind == "phone",
                IntelligenceEntity.match_key == number,
                IntelligenceEntity.merged_into.is_(None),
            ),
            IntelligenceEntity,
        )
    ).first()
    if found is not None:
        return found
    policy.require_collect(by, ENTITIES, by.force, unit)
    # The number is already a key the importer normalised (E.164); it is not parsed again
    # with libphonenumber, which calls the synthetic generator's 07700 9xxxxx range
    # unallocated.
    entity = IntelligenceEntity(
        entity_kind="phone",
        label=number,
        match_key=number,
        date_of_birth=None,
        attributes_json=json.dumps({"as_given": number, "from": "call data"}),
        **envelope(
            by.actor, owning_force=by.force, owning_unit=unit,
            handling=Handling(HandlingCode.P), retention="intelligence",
        ),
    )  # fmt: skip
    db.add(entity)
    db.flush()
    return entity


def report_text(
    line: DetectedLine, imports: list[CallDataImport], result: findings.Detection
) -> str:
    counts = result.counts[line.line_id]
    numbers = ", ".join(f"{n.number} ({n.first_seen} to {n.last_seen})" for n in line.numbers)
    sources = "; ".join(
        f"{i.file_name} ({LegalBasis(i.legal_basis).described} {i.authority_ref})" for i in imports
    )
    parts = [
        f"Call-data analysis indicates a deal line ({line.line_id}) using {numbers}.",
        f"Controllers: {', '.join(line.controllers) or 'none found'}. "
        f"Runners: {', '.join(line.runners) or 'none found'}. Users: {len(line.users)}.",
        f"Customer contacts: {counts.customer_days} customer-days "
        f"({counts.confirmed_customer_days} confirmed), {counts.distinct_customers} customers.",
    ]
    for c in line.continuity:
        parts.append(f"{c.kind} on {c.on}: {c.from_number} → {c.to_number} ({c.evidence}).")
    for cell in line.cuckooed:
        parts.append(
            f"Possible cuckooing: cell {cell.cell_id}, {cell.nights} nights from "
            f"{cell.first_night}, usual night cell of customer {cell.victim}."
        )
    for number, evidence in line.evidence.items():
        parts.append(f"Evidence for {number}: {'; '.join(evidence)}.")
    parts.append(f"Source call data: {sources}.")
    if result.synthetic:
        parts.insert(0, "SYNTHETIC call data (a generated scenario, not real people).")
    return " ".join(parts)


def accept_line(
    engine: Engine,
    store: AnalyticsStore,
    principal: Principal,
    line_id: str,
    *,
    justification: str | None,
    reference: str | None = None,
    source: str = "1",
    information: str = "B",
    rules: DetectionRules | None = None,
    client: str = "",
) -> Accepted:
    """Write one detected line into the intelligence graph (see the module docstring)."""
    result = service.detect(
        engine, store, principal, justification=justification, rules=rules, client=client
    )
    line = result.line(line_id)
    chosen = grade("3x5x2", source, information, "P")
    today = date.today()
    with unit_of_work(
        engine, principal, AuditAction.COLLECTION, RecordRef("county-line", "new"),
        client=client, details={"accepted": line_id, "numbers": [n.number for n in line.numbers]},
    ) as work:  # fmt: skip
        if not WRITE_INTELLIGENCE.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not write intelligence")
        imports = service.visible_imports(work.db, principal)
        unit = sorted(principal.units)[0] if principal.units else ""
        ref = (reference or f"CDR-{line_id}-{today.isoformat()}").strip()
        if reports.reference_taken(work.db, principal, ref):
            raise InputError(
                f"reference: {ref!r} is already an intelligence report of your force — this "
                "line was accepted already today, or give another reference"
            )
        draft = reports.ReportDraft(
            reference=ref,
            grade=chosen,
            sanitised_text=report_text(line, imports, result)[: reports.MAX_TEXT],
            originator=f"{principal.actor} (harmwatch county-lines detection)",
            reported_on=today,
            information_date=line.numbers[-1].last_seen if line.numbers else None,
            nim_level=2,
        )
        report: IntelligenceReport = reports.add_report(work, principal, draft, None, 1)
        label = f"{line_id} (call data {today.isoformat()})"
        county_line = entities.add_entity(
            work.db, principal, entities.EntityDraft(kind="county-line", value=label)
        )
        accepted = Accepted(report.id, county_line.id)
        line_phones: dict[str, IntelligenceEntity] = {}
        for n in line.numbers:
            phone = phone_entity(work.db, principal, n.number, unit)
            line_phones[n.number] = phone
            accepted.phone_entity_ids[n.number] = phone.id
            link = entities.add_link(
                work.db, principal, county_line, phone, "deal-line", "confirmed", [report],
                start=n.first_seen, end=n.last_seen,
            )  # fmt: skip
            accepted.link_ids.append(link.id)
        for controller in line.controllers:
            phone = phone_entity(work.db, principal, controller, unit)
            accepted.phone_entity_ids[controller] = phone.id
            for n in line.numbers:
                link = entities.add_link(
                    work.db, principal, phone, line_phones[n.number], "calls", "tentative",
                    [report],
                )  # fmt: skip
                accepted.link_ids.append(link.id)
        for runner in line.runners:
            phone = phone_entity(work.db, principal, runner, unit)
            accepted.phone_entity_ids[runner] = phone.id
            link = entities.add_link(
                work.db, principal, phone, county_line, "linked-to", "tentative", [report]
            )
            accepted.link_ids.append(link.id)
        work.target(county_line.ref)
        work.details.update(
            report=str(report.ref), entities=len(accepted.phone_entity_ids) + 1,
            links=len(accepted.link_ids), files=[str(i.ref) for i in imports][:50],
        )  # fmt: skip
        if not line.numbers:
            raise InputError(f"{line_id} has no numbers")
        return accepted
