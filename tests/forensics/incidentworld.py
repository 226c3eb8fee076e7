"""Seeding for the incident-review tests: providers, cases, exhibits and results written
straight into a unit of work (the case services are another engineer's), and the people.

Three forces' cases are seeded; Bedfordshire and Cambridgeshire share theirs with
Hertfordshire's review unit, as the collaborated review of a provider incident does,
so Hertfordshire's reviewer sees all three while each PCC sees only their own force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from harmwatch.forensics import chain
from harmwatch.forensics.models import (
    ForensicCase,
    ForensicExhibit,
    ForensicLaboratory,
    ForensicProvider,
)
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.roles import Role
from harmwatch.storage import models
from harmwatch.storage.models import RecordShare

LEAD, UNIT = "hertfordshire", "forensic-review"
FORCES = ("bedfordshire", "cambridgeshire", "hertfordshire")
WHY = "Op Assay: laboratory incident review tests"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # Monday 2 June 2025, 10:00 BST


def reviewer(force: str = LEAD, name: str | None = None) -> Principal:
    return Principal(name or f"reviewer-{force}", Role.FORENSIC_REVIEWER, force, frozenset({UNIT}))


def pcc(force: str = LEAD) -> Principal:
    return Principal(f"pcc-{force}", Role.PCC_VIEWER, force, frozenset())


def seeder(force: str) -> Principal:
    return Principal(
        f"seed-{force}", Role.FORENSIC_REVIEWER, force, frozenset({UNIT}), via="system"
    )


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime = NOW) -> None:
        self.at = at
        monkeypatch.setattr(models, "utcnow", lambda: self.at)


@dataclass
class Lab:
    provider_id: int
    laboratory_id: int
    other_provider_id: int


def labs(engine: Engine) -> Lab:
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        bad = ForensicProvider(
            name="Fictional Toxicology Ltd", accreditation_number="0000", fictional=True
        )
        good = ForensicProvider(
            name="Imaginary Analytics plc", accreditation_number="0001", fictional=True
        )
        db.add_all([bad, good])
        db.flush()
        lab = ForensicLaboratory(provider_id=bad.id, name="Nowhere Park", site="Nowhere")
        db.add(lab)
        db.commit()
        return Lab(bad.id, lab.id, good.id)


@dataclass
class Sample:
    """One exhibit to seed: its provider and analyst, dates, what is left, its results."""

    provider_id: int | None
    laboratory_id: int | None = None
    test: str = "Drug driving blood toxicology"
    analyst: str = "A. Analyst"
    taken: date = date(2016, 5, 1)
    tested: date | None = date(2016, 5, 10)
    received: date | None = None
    left: str | None = "2.0"
    exhibit_type: str = "blood"
    results: tuple[tuple[str, str, str, str | None], ...] = ()  # analyte, value, unit, ±


def case(
    engine: Engine,
    force: str,
    reference: str,
    samples: list[Sample],
    *,
    status: str = "convicted",
    hearing: date | None = None,
    custody: str = "not-applicable",
    offence_code: str = "RTA5A",
    court: str | None = "magistrates",
    share_with_lead: bool = True,
) -> tuple[int, list[int]]:
    """A case and its exhibits (with chained results), written in one unit of work."""
    by = seeder(force)
    env: dict[str, Any] = {
        "owning_force": force,
        "owning_unit": UNIT,
        "handling": Handling(HandlingCode.P),
    }
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef("forensic-case", "new")
    ) as work:
        row = ForensicCase(
            **envelope(by.actor, **env),
            reference=reference,
            offence_code=offence_code,
            offence="driving with a specified drug above the limit",
            cj_status=status,
            next_hearing_on=hearing,
            custody_status=custody,
            decided_on=date(2016, 9, 1) if status in ("convicted", "acquitted") else None,
            court=court,
            officer_in_charge="PC Example",
            subject_label=f"Subject of {reference}",
            synthetic=True,
        )
        work.db.add(row)
        work.db.flush()
        ids = []
        for n, s in enumerate(samples, start=1):
            exhibit = ForensicExhibit(
                **envelope(by.actor, **env),
                case_id=row.id,
                reference=f"{reference}/S{n}",
                exhibit_type=s.exhibit_type,
                test_requested=s.test,
                provider_id=s.provider_id,
                laboratory_id=s.laboratory_id,
                analyst=s.analyst,
                taken_at=at_noon(s.taken),
                received_on=s.received,
                tested_on=s.tested,
                remaining_quantity=s.left,
                remaining_unit="mL",
                synthetic=True,
            )
            work.db.add(exhibit)
            work.db.flush()
            for analyte, value, unit, u in s.results:
                chain.append_result(
                    work, exhibit.id, analyte=analyte, value=value, unit=unit,
                    method="LC-MS/MS", uncertainty=u, reported_on=s.tested,
                )  # fmt: skip
            ids.append(exhibit.id)
        if share_with_lead and force != LEAD:
            for kind, record_id in [("forensic-case", row.id)] + [
                ("forensic-exhibit", i) for i in ids
            ]:
                work.db.add(
                    RecordShare(
                        kind=kind, record_id=record_id, force=LEAD, unit="",
                        shared_at=models.utcnow(), shared_by=by.actor,
                    )
                )  # fmt: skip
        work.target(row.ref)
        return row.id, ids
