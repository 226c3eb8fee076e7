"""Laboratory incidents: declare one, record the Regulator's notifications, find what it touches.

An incident (:class:`~harmwatch.forensics.models.LabIncident`) names a provider, and
optionally one of its laboratories, the tests and the analysts in question (an empty
list: every test, every analyst) and a window of dates. **An exhibit is affected**
when it went to that provider (and laboratory), for one of those tests (its
``test_requested``, case and spacing ignored), by one of those analysts, and the
laboratory worked on it within the window — the day it was tested, or when that is
not recorded the day it was received, or else the day it was reported; an exhibit
with none of those dates cannot be placed in the window and is not counted. A case is
affected when one of its exhibits is, and is counted once however many are.

**Totals are computed, never taken.** :func:`affected` counts cases and samples per
force and in total from the records themselves, and the same split by the case's
criminal-justice status, so a published figure can be checked against them.

**Who sees what.** Incidents describe organisations, not people: the forensic
reviewer declares them and anyone who may see a review's progress lists them. The
affected cases and exhibits are records, read under the policy by the forensic
reviewer (their force's, and those other forces have shared with them — a
collaborated review shares its forces' cases with the lead force) in one logged,
justified consultation naming them.

**The Regulator.** Since 2 October 2023 the Forensic Science Regulator's Code of
Practice is statutory (Forensic Science Regulator Act 2021 s.2); it requires a
provider's quality failures to be notified. :func:`notify_regulator` records each
notification made (to whom, on which day, its reference) on the incident.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from .forms import CJ_STATUSES
from .kinds import READ_FORENSICS, VIEW_FORENSIC_PROGRESS, WRITE_FORENSICS
from .limits import LONDON
from .models import ForensicCase, ForensicExhibit, ForensicLaboratory, ForensicProvider, LabIncident

INCIDENT_KIND = "forensic-incident"
#: The day the Code of Practice became statutory (Forensic Science Regulator Act 2021).
CODE_STATUTORY_FROM = date(2023, 10, 2)

INCIDENT_FORM = Form(
    kind="forensic-incident",
    title="laboratory incident",
    fields=(
        Field("name", "text", "what the review calls it", required=True, max_length=120),
        Field("provider_id", "integer", "the provider's id", required=True),
        Field("laboratory_id", "integer", "one laboratory of the provider (empty: all)"),
        Field("tests", "text", "tests in question, separated with ; (empty: all)", max_length=2000),
        Field(
            "analysts",
            "text",
            "analysts in question, separated with ; (empty: all)",
            max_length=2000,
        ),
        Field("window_from", "date", "first day of the window", required=True),
        Field("window_to", "date", "last day of the window", required=True),
        Field("description", "text", "what went wrong, as known", max_length=4000),
        Field("declared_on", "date", "the day it was declared (default today)"),
        Field("fictional", "boolean", "a demo or test incident"),
    ),
)
NOTIFICATION_FORM = Form(
    kind="forensic-regulator-notification",
    title="Regulator notification",
    fields=(
        Field("to", "text", "whom it went to (the Forensic Science Regulator…)", required=True),
        Field("on", "date", "the day it was made", required=True),
        Field("reference", "text", "its reference", required=True, max_length=120),
    ),
)


def today() -> date:
    """The UK calendar day on the records clock (the clock tests move)."""
    return models.utcnow().astimezone(LONDON).date()


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass
class IncidentView:
    id: int
    ref: str
    name: str
    provider_id: int
    provider: str
    laboratory_id: int | None
    laboratory: str | None
    tests: list[str]
    analysts: list[str]
    window_from: date
    window_to: date
    description: str
    declared_on: date
    declared_by: str
    fictional: bool
    regulator_notifications: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("window_from", "window_to", "declared_on"):
            out[key] = out[key].isoformat()
        return out


def _view(db: Session, row: LabIncident) -> IncidentView:
    provider = db.get(ForensicProvider, row.provider_id)
    lab = db.get(ForensicLaboratory, row.laboratory_id) if row.laboratory_id else None
    return IncidentView(
        id=row.id,
        ref=f"{INCIDENT_KIND}:{row.id}",
        name=row.name,
        provider_id=row.provider_id,
        provider=provider.name if provider else "",
        laboratory_id=row.laboratory_id,
        laboratory=lab.name if lab else None,
        tests=list(json.loads(row.tests or "[]")),
        analysts=list(json.loads(row.analysts or "[]")),
        window_from=row.window_from,
        window_to=row.window_to,
        description=row.description,
        declared_on=row.declared_on,
        declared_by=row.declared_by,
        fictional=row.fictional,
        regulator_notifications=list(json.loads(row.regulator_notifications or "[]")),
    )


def _require(by: Principal, *, write: bool = False) -> None:
    if write and not WRITE_FORENSICS.granted(by.role):
        raise policy.PolicyDenied(f"your role ({by.role}) may not declare laboratory incidents")
    if not (READ_FORENSICS.granted(by.role) or VIEW_FORENSIC_PROGRESS.granted(by.role)):
        raise policy.PolicyDenied(f"your role ({by.role}) may not see laboratory incidents")


def incident_row(db: Session, incident_id: int) -> LabIncident:
    row = db.get(LabIncident, incident_id) if 1 <= incident_id <= 2**63 - 1 else None
    if row is None:
        raise NotFoundError(f"no laboratory incident {incident_id}")
    return row


def declare(
    engine: Engine, by: Principal, values: Mapping[str, Any], *, client: str = ""
) -> IncidentView:
    """Declare an incident; :class:`FormRefused` naming each field that is wrong."""
    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(INCIDENT_KIND, "new"), client=client
    ) as work:
        _require(by, write=True)
        clean = INCIDENT_FORM.checked(values)
        problems: list[Problem] = []
        provider = work.db.get(ForensicProvider, clean["provider_id"])
        if provider is None:
            problems.append(Problem("provider_id", f"no provider {clean['provider_id']}"))
        if clean["laboratory_id"] is not None:
            lab = work.db.get(ForensicLaboratory, clean["laboratory_id"])
            if lab is None or lab.provider_id != clean["provider_id"]:
                problems.append(
                    Problem(
                        "laboratory_id", f"no laboratory {clean['laboratory_id']} of the provider"
                    )
                )
        if clean["window_to"] < clean["window_from"]:
            problems.append(Problem("window_to", f"before window_from ({clean['window_from']})"))
        declared_on = clean["declared_on"] or today()
        if declared_on > today():
            problems.append(Problem("declared_on", f"{declared_on} is in the future"))
        if problems:
            raise FormRefused(problems)
        row = LabIncident(
            name=clean["name"],
            provider_id=clean["provider_id"],
            laboratory_id=clean["laboratory_id"],
            tests=json.dumps(split_list(clean["tests"])),
            analysts=json.dumps(split_list(clean["analysts"])),
            window_from=clean["window_from"],
            window_to=clean["window_to"],
            description=clean["description"] or "",
            regulator_notifications="[]",
            declared_on=declared_on,
            declared_by=by.actor,
            fictional=bool(clean["fictional"]),
        )
        work.db.add(row)
        work.db.flush()
        work.target(RecordRef(INCIDENT_KIND, str(row.id)))
        work.details.update({"name": row.name, "provider_id": row.provider_id})
        return _view(work.db, row)


def incidents(engine: Engine, by: Principal) -> list[IncidentView]:
    """Every incident, latest declared first (they name organisations, not people)."""
    _require(by)
    with Session(engine) as db:
        rows = db.scalars(
            select(LabIncident).order_by(LabIncident.declared_on.desc(), LabIncident.id.desc())
        )
        return [_view(db, r) for r in rows]


def incident(engine: Engine, by: Principal, incident_id: int) -> IncidentView:
    _require(by)
    with Session(engine) as db:
        return _view(db, incident_row(db, incident_id))


def notify_regulator(
    engine: Engine, by: Principal, incident_id: int, values: Mapping[str, Any], *, client: str = ""
) -> IncidentView:
    """Record one Code of Practice notification made about the incident (to, on, reference)."""
    with unit_of_work(
        engine,
        by,
        AuditAction.ALTERATION,
        RecordRef(INCIDENT_KIND, str(incident_id)),
        client=client,
    ) as work:
        _require(by, write=True)
        row = incident_row(work.db, incident_id)
        clean = NOTIFICATION_FORM.checked(values)
        if clean["on"] > today():
            raise FormRefused([Problem("on", f"{clean['on']} is in the future")])
        if clean["on"] < row.declared_on:
            raise FormRefused(
                [Problem("on", f"before the incident was declared ({row.declared_on})")]
            )
        made = {"to": clean["to"], "on": clean["on"].isoformat(), "reference": clean["reference"]}
        if clean["on"] < CODE_STATUTORY_FROM:
            made["basis"] = (
                "the Regulator's Codes of Practice (non-statutory before 2 October 2023)"
            )
        else:
            made["basis"] = "the Forensic Science Regulator's statutory Code of Practice"
        notes = [*json.loads(row.regulator_notifications or "[]"), made]
        row.regulator_notifications = json.dumps(notes)
        work.details["regulator_notification"] = made
        return _view(work.db, row)


# -- what an incident touches ------------------------------------------------------


def worked_on() -> Any:
    """The day the laboratory worked on an exhibit, as the window is judged by."""
    return func.coalesce(
        ForensicExhibit.tested_on, ForensicExhibit.received_on, ForensicExhibit.reported_on
    )


def affected_statement(row: LabIncident) -> Any:
    """Exhibits the incident touches, with their cases (not yet scoped)."""
    stmt: Any = (
        select(ForensicExhibit, ForensicCase)
        .join(ForensicCase, ForensicCase.id == ForensicExhibit.case_id)
        .where(
            ForensicExhibit.provider_id == row.provider_id,
            worked_on() >= row.window_from,
            worked_on() <= row.window_to,
        )
        .order_by(ForensicCase.owning_force, ForensicCase.id, ForensicExhibit.id)
    )
    if row.laboratory_id is not None:
        stmt = stmt.where(ForensicExhibit.laboratory_id == row.laboratory_id)
    return stmt


def _matches(row: LabIncident, exhibit: ForensicExhibit) -> bool:
    # Tests and analysts are compared as people type them, so in Python: case and spacing
    # ignored the same way on both database backends.
    tests = {_norm(t) for t in json.loads(row.tests or "[]")}
    analysts = {_norm(a) for a in json.loads(row.analysts or "[]")}
    return (not tests or _norm(exhibit.test_requested) in tests) and (
        not analysts or _norm(exhibit.analyst) in analysts
    )


def affected_rows(
    db: Session, by: Principal, row: LabIncident, *, own_force_reason: str | None = None
) -> list[tuple[ForensicExhibit, ForensicCase]]:
    """The affected exhibits with their cases that ``by`` may see under the policy.

    ``own_force_reason``: count every record of ``by``'s own force past the policy
    instead (a viewer of aggregates, for whom no record leaves the store).
    """
    stmt = affected_statement(row)
    if own_force_reason is not None:
        own = stmt.where(
            ForensicExhibit.owning_force == (by.force or None),
            ForensicCase.owning_force == (by.force or None),
        )
        found: Sequence[Any] = db.execute(policy.privileged(own, own_force_reason)).all()
    else:
        scoped = policy.scope(by, stmt, ForensicExhibit).where(policy.visible(by, ForensicCase))
        found = db.execute(scoped).all()
    return [(e, c) for e, c in found if _matches(row, e)]


@dataclass
class Counts:
    cases: int = 0
    samples: int = 0

    def to_json(self) -> dict[str, int]:
        return {"cases": self.cases, "samples": self.samples}


@dataclass
class ForceAffected:
    force: str
    cases: int
    samples: int
    by_status: dict[str, Counts]

    def to_json(self) -> dict[str, Any]:
        return {
            "force": self.force,
            "cases": self.cases,
            "samples": self.samples,
            "by_status": {k: v.to_json() for k, v in self.by_status.items()},
        }


@dataclass
class Affected:
    incident: IncidentView
    forces: list[ForceAffected]
    total: ForceAffected
    case_refs: list[str]
    exhibit_refs: list[str]

    def to_json(self) -> dict[str, Any]:
        total = self.total.to_json()
        total.pop("force")
        return {
            "incident": self.incident.to_json(),
            "forces": {
                f.force: {k: v for k, v in f.to_json().items() if k != "force"} for f in self.forces
            },
            "total": total,
            "cases_listed": self.case_refs,
            "exhibits_listed": self.exhibit_refs,
        }


def tally(rows: list[tuple[ForensicExhibit, ForensicCase]], force: str) -> ForceAffected:
    """Cases (each once) and samples of ``rows``, and the same split by cj status."""
    cases = {c.id: c for _, c in rows}
    by_status = {s: Counts() for s in CJ_STATUSES}
    for c in cases.values():
        by_status.setdefault(c.cj_status, Counts()).cases += 1
    for _, c in rows:
        by_status[c.cj_status].samples += 1
    return ForceAffected(force, len(cases), len(rows), by_status)


def summarise(
    rows: list[tuple[ForensicExhibit, ForensicCase]],
) -> tuple[list[ForceAffected], ForceAffected]:
    forces = sorted({c.owning_force for _, c in rows})
    per = [tally([(e, c) for e, c in rows if c.owning_force == f], f) for f in forces]
    return per, tally(rows, "all forces")


def affected(
    engine: Engine,
    by: Principal,
    incident_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> Affected:
    """Every affected case and exhibit ``by`` may see, with totals per force and overall."""
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef(INCIDENT_KIND, str(incident_id)),
        client=client,
        details={"question": "cases and exhibits a laboratory incident touches"},
    ) as work:
        if not READ_FORENSICS.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see forensic cases")
        work.justify(resolve(by, justification, what="finding an incident's affected cases"))
        row = incident_row(work.db, incident_id)
        rows = affected_rows(work.db, by, row)
        forces, total = summarise(rows)
        case_refs = list(dict.fromkeys(str(c.ref) for _, c in rows))
        exhibit_refs = [str(e.ref) for e, _ in rows]
        work.details.update(
            {"rows": len(exhibit_refs), "records": (case_refs + exhibit_refs)[:1000]}
        )
        return Affected(_view(work.db, row), forces, total, case_refs, exhibit_refs)
