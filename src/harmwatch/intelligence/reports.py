"""Intelligence reports: record, regrade (a new version), read and list — through the kernel.

Every change is one unit of work (the report and its access-log entry together);
every read is scoped by the record policy and logged with its justification, and a
read the policy refuses is logged as denied. What text a reader sees depends on who
they are: intelligence officers and analysts granted the full text see it, other
analysts the sanitised text only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.storage import models

from .grading import LEGACY_HANDLING, NIM_LEVELS, Grade, Scheme
from .kinds import FULL_TEXT, REPORTS
from .models import FullTextGrant, IntelligenceReport

MAX_TEXT = 20_000


@dataclass(frozen=True)
class ReportDraft:
    """What an officer writes: checked on creation."""

    reference: str
    grade: Grade
    sanitised_text: str
    originator: str
    reported_on: date
    nim_level: int = 1
    full_text: str | None = None
    information_date: date | None = None
    conditions: str | None = None  # required for handling code C
    restriction: Restriction = Restriction.FORCE
    retention: str = "intelligence"
    unit: str | None = None


@dataclass
class ReportView:
    """A report as one reader may see it."""

    id: int
    ref: str
    reference: str
    version: int
    current: bool
    grade: str
    grade_description: str
    legacy: bool
    text: str
    text_is_sanitised: bool
    originator: str
    unit: str
    force: str
    reported_on: date
    information_date: date | None
    nim_level: int
    nim_level_name: str
    handling_banner: str
    conditions: str | None
    restriction: str
    review_date: date
    due_for_review: bool
    change_reason: str | None = None
    lineage: int = 0
    versions: list[ReportView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "versions"}
        for key in ("reported_on", "information_date", "review_date"):
            value = out[key]
            out[key] = value.isoformat() if value else None
        out["versions"] = [v.to_json() for v in self.versions]
        return out


def grade_of(report: IntelligenceReport) -> Grade:
    handling = report.legacy_handling if report.scheme == "5x5x5" else report.handling_code
    return Grade(
        Scheme(report.scheme),
        report.source_evaluation,
        report.intelligence_assessment,
        str(handling),
    )


def may_read_full_text(db: Session, principal: Principal) -> bool:
    if FULL_TEXT.granted(principal.role):
        return True
    return db.get(FullTextGrant, principal.username) is not None


def view(report: IntelligenceReport, *, full_text: bool, today: date | None = None) -> ReportView:
    today = today or models.utcnow().date()
    grade = grade_of(report)
    show_full = full_text and bool(report.full_text)
    return ReportView(
        id=report.id,
        ref=str(report.ref),
        reference=report.reference,
        version=report.version,
        current=report.current,
        grade=str(grade),
        grade_description=grade.describe(),
        legacy=grade.legacy,
        text=str(report.full_text) if show_full else report.sanitised_text,
        text_is_sanitised=not show_full,
        originator=report.originator,
        unit=report.owning_unit,
        force=report.owning_force,
        reported_on=report.reported_on,
        information_date=report.information_date,
        nim_level=report.nim_level,
        nim_level_name=NIM_LEVELS.get(report.nim_level, "?"),
        handling_banner=report.handling.banner(),
        conditions=report.handling_conditions,
        restriction=report.restriction,
        review_date=report.review_date,
        due_for_review=report.review_date <= today,
        change_reason=report.change_reason,
        lineage=report.lineage,
    )


def check_draft(draft: ReportDraft) -> Handling:
    if not draft.reference.strip():
        raise InputError("reference: a report needs its reference (e.g. HC-2025-000123)")
    if len(draft.reference) > 64:
        raise InputError("reference: at most 64 characters")
    if not draft.sanitised_text.strip():
        raise InputError("sanitised_text: a report needs its sanitised text")
    for name, text in (("sanitised_text", draft.sanitised_text), ("full_text", draft.full_text)):
        if text and len(text) > MAX_TEXT:
            raise InputError(f"{name}: at most {MAX_TEXT} characters")
    if not draft.originator.strip():
        raise InputError("originator: say who reported it (officer or source handler)")
    if draft.information_date and draft.information_date > draft.reported_on:
        raise InputError(
            "information_date: the information cannot be dated after the report "
            f"({draft.information_date} after {draft.reported_on})"
        )
    if draft.nim_level not in NIM_LEVELS:
        raise InputError("nim_level: 1 local, 2 cross-border or 3 national")
    if draft.grade.legacy:
        # A legacy handling code is not a 3x5x2 one and is not converted: the record
        # is handled under conditions that say so, so every view and export shows it.
        code = draft.grade.handling
        text = (
            f"legacy 5x5x5 handling code {code} ({LEGACY_HANDLING[code]}); not converted "
            "to 3x5x2 — consult the originator before any sharing"
        )
        if draft.conditions:
            text = f"{text}; {draft.conditions.strip()}"
        return Handling(HandlingCode.C, text)
    return Handling(HandlingCode(draft.grade.handling), draft.conditions)


def add_report(
    work: Work, by: Principal, draft: ReportDraft, lineage: int | None, version: int
) -> IntelligenceReport:
    handling = check_draft(draft)
    unit = draft.unit or (sorted(by.units)[0] if by.units else "")
    policy.require_collect(by, REPORTS, by.force, unit)
    restriction = draft.restriction
    if draft.grade.legacy and draft.grade.handling in ("4", "5"):
        restriction = Restriction.RESTRICTED  # "originating agency only" / "no further"
    report = IntelligenceReport(
        reference=draft.reference.strip(),
        lineage=lineage or 0,
        version=version,
        current=True,
        scheme=draft.grade.scheme.value,
        source_evaluation=draft.grade.source,
        intelligence_assessment=draft.grade.information,
        legacy_handling=draft.grade.handling if draft.grade.legacy else None,
        sanitised_text=draft.sanitised_text.strip(),
        full_text=(draft.full_text or "").strip() or None,
        originator=draft.originator.strip(),
        reported_on=draft.reported_on,
        information_date=draft.information_date,
        nim_level=draft.nim_level,
        **envelope(
            by.actor,
            owning_force=by.force,
            owning_unit=unit,
            handling=handling,
            restriction=restriction,
            retention=draft.retention,
        ),
    )
    work.db.add(report)
    work.db.flush()
    if not lineage:
        report.lineage = report.id
        work.db.flush()
    return report


def reference_taken(db: Session, by: Principal, reference: str) -> bool:
    """Whether ``reference`` names a report of the caller's force, seen by them or not."""
    stmt = policy.privileged(
        select(func.count())
        .select_from(IntelligenceReport)
        .where(
            IntelligenceReport.owning_force == by.force,
            IntelligenceReport.reference == reference.strip(),
        ),
        "a reference must be unique in the force, even among reports the writer cannot see",
    )
    return bool(db.scalar(stmt))


def create(engine: Engine, by: Principal, draft: ReportDraft, *, client: str = "") -> int:
    """Record a new report; its id. Watches on entities it mentions are told (see watches)."""
    from . import watches

    with unit_of_work(
        engine, by, AuditAction.COLLECTION, RecordRef(REPORTS.kind, "new"), client=client
    ) as work:
        if reference_taken(work.db, by, draft.reference):
            raise InputError(
                f"reference: {draft.reference.strip()!r} is already a report of your force; "
                "edit it to make a new version"
            )
        report = add_report(work, by, draft, None, 1)
        work.target(report.ref)
        work.details.update({"reference": report.reference, "grade": str(grade_of(report))})
        alerted = watches.alert_mentions(work.db, report)
        if alerted:
            work.details["watch_alerts"] = alerted
        return report.id


def revise(
    engine: Engine,
    by: Principal,
    report_id: int,
    draft: ReportDraft,
    reason: str,
    *,
    client: str = "",
) -> int:
    """A new version of a report (regraded, corrected); the old one stays, not current."""
    from . import watches

    ref = RecordRef(REPORTS.kind, str(report_id))
    with unit_of_work(engine, by, AuditAction.ALTERATION, ref, client=client) as work:
        if len(" ".join(reason.split())) < 10:
            raise InputError("reason: say in at least 10 characters why the report is changed")
        old = work.db.scalars(
            policy.scope(
                by,
                select(IntelligenceReport).where(IntelligenceReport.id == report_id),
                IntelligenceReport,
            )
        ).first()
        if old is None:
            raise NotFoundError(f"no intelligence report {report_id} that you may see")
        policy.require(work.db, by, AuditAction.ALTERATION, old)
        if not old.current:
            raise InputError(
                f"report {old.reference} v{old.version} is not the current version; revise the "
                "current one"
            )
        if draft.reference.strip() != old.reference:
            raise InputError("reference: a new version keeps the report's reference")
        old.current = False
        old.updated_at = models.utcnow()
        old.updated_by = by.actor
        work.db.flush()
        new = add_report(
            work,
            by,
            ReportDraft(**{**draft.__dict__, "unit": old.owning_unit}),
            old.lineage,
            old.version + 1,
        )
        new.change_reason = " ".join(reason.split())
        work.db.flush()
        work.details.update(
            {
                "new_version": str(new.ref),
                "version": new.version,
                "grade": f"{grade_of(old)} -> {grade_of(new)}",
                "reason": new.change_reason,
            }
        )
        watches.alert_mentions(work.db, new)
        return new.id


def read(
    engine: Engine,
    by: Principal,
    report_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> ReportView:
    """One report with its earlier versions; refused reads logged as denied."""
    from harmwatch.kernel import reads

    got = reads.get(
        engine, by, IntelligenceReport, report_id, justification=justification, client=client
    )
    report = got.records[0]
    with unit_of_work(
        engine,
        by,
        AuditAction.CONSULTATION,
        RecordRef(REPORTS.kind, f"lineage-{report.lineage}"),
        client=client,
        justification=got.justification,
        details={"versions_of": str(report.ref)},
    ) as work:
        full = may_read_full_text(work.db, by)
        others = list(
            work.db.scalars(
                policy.scope(
                    by,
                    select(IntelligenceReport)
                    .where(
                        IntelligenceReport.lineage == report.lineage,
                        IntelligenceReport.id != report.id,
                    )
                    .order_by(IntelligenceReport.version.desc()),
                    IntelligenceReport,
                )
            )
        )
        work.details["records"] = [str(o.ref) for o in others]
        work.details["full_text"] = full
    out = view(report, full_text=full)
    out.versions = [view(o, full_text=full) for o in others]
    return out


def listing(
    engine: Engine,
    by: Principal,
    *,
    justification: str | None,
    search: str = "",
    due_only: bool = False,
    include_old_versions: bool = False,
    limit: int = 500,
    client: str = "",
) -> tuple[list[ReportView], int]:
    """Reports the caller may see (newest first), and how many matched in all."""
    from harmwatch.kernel import reads

    stmt = select(IntelligenceReport)
    details: dict[str, Any] = {}
    if not include_old_versions:
        stmt = stmt.where(IntelligenceReport.current.is_(True))
    if search.strip():
        needle = search.strip()
        details["search"] = needle
        stmt = stmt.where(IntelligenceReport.sanitised_text.icontains(needle, autoescape=True))
    today = models.utcnow().date()
    if due_only:
        details["due_for_review"] = True
        stmt = stmt.where(IntelligenceReport.review_date <= today)
    stmt = stmt.order_by(IntelligenceReport.reported_on.desc(), IntelligenceReport.id.desc())
    got = reads.consult(
        engine,
        by,
        IntelligenceReport,
        stmt,
        justification=justification,
        client=client,
        details=details,
    )
    from harmwatch.storage.records import session_scope

    with session_scope(engine) as db:
        full = may_read_full_text(db, by)
    views = [view(r, full_text=full, today=today) for r in got.records[:limit]]
    return views, len(got.records)


def grant_full_text(
    engine: Engine, by: Principal, username: str, reason: str, *, client: str = ""
) -> None:
    """Let an analyst read unsanitised text (an intelligence officer of their force grants it)."""
    with unit_of_work(
        engine,
        by,
        AuditAction.ALTERATION,
        RecordRef("user", username),
        client=client,
        details={"grant": "read-intelligence-full-text"},
    ) as work:
        if not FULL_TEXT.granted(by.role):
            raise policy.PolicyDenied("only an intelligence officer may grant full text")
        if len(" ".join(reason.split())) < 10:
            raise InputError("reason: say in at least 10 characters why the grant is needed")
        user = work.db.scalars(select(models.User).where(models.User.username == username)).first()
        if user is None or user.force != by.force:
            raise NotFoundError(f"no user {username!r} in your force")
        if work.db.get(FullTextGrant, username) is None:
            work.db.add(
                FullTextGrant(
                    username=username,
                    granted_by=by.actor,
                    granted_at=models.utcnow(),
                    reason=" ".join(reason.split()),
                )
            )


def justification_for(by: Principal, typed: str | None, what: str) -> str:
    """The reason that will be logged (raises the kernel's JustificationRequired if none)."""
    return resolve(by, typed, what=what).logged()
