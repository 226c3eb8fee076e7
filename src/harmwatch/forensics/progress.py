"""A laboratory-incident review's progress in figures, by force and across forces.

For each force (and, for the forensic reviewer, across the forces they may see):

- **cases** and **samples** affected (:mod:`harmwatch.forensics.incidents`: a case
  counts once however many of its samples are affected);
- each affected sample by where its latest retest stands — ``not-requested``,
  ``requested``, ``sent``, ``awaiting-comparison``, ``unchanged``, ``changed``,
  ``inconclusive`` (these add up to the samples) — and **retested**, the samples with a
  retest result (the last four);
- **notifications** to the CPS, defence and court: ``sent``, ``due`` (not sent, due
  date not passed) and ``overdue`` (not sent by the due date, on the UK day);
- **dispositions** of compared retests, by kind.

Who sees what:

- the forensic reviewer (``read-forensics``): exact figures over the records the policy
  lets them see (their force's, and what other forces shared with them);
- the PCC viewer (``view-forensic-progress`` only): their own force's figures alone —
  every record the force owns, counted past the policy because a PCC oversees the
  whole force and no record leaves the store (:data:`PRIVILEGED_REASON`, in the log) —
  with small numbers suppressed by the one rule
  (:mod:`harmwatch.outputs.suppression`): the samples' breakdown is one list whose total
  is the samples affected, the notifications one whose total is all notifications, the
  dispositions one with their total, and the cases a figure of its own; **retested** is
  shown only when every figure it adds up is shown (then it reveals nothing more), else
  withheld.

Each call is one consultation in the access log, of aggregates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from harmwatch.errors import NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import Justification
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.outputs.suppression import NOTE, WITHHELD, suppress_counts

from .incidents import INCIDENT_KIND, affected_rows, today
from .kinds import READ_FORENSICS, VIEW_FORENSIC_PROGRESS
from .models import CaseNotification, ForensicCase, ForensicExhibit, LabIncident, Retest
from .retests import DISPOSITIONS

SAMPLE_STATES = (
    "not-requested",
    "requested",
    "sent",
    "awaiting-comparison",
    "unchanged",
    "changed",
    "inconclusive",
)
RETESTED = ("awaiting-comparison", "unchanged", "changed", "inconclusive")
NOTIFICATION_STATES = ("sent", "due", "overdue")
PRIVILEGED_REASON = (
    "a viewer of a review's progress counts every record of their own force; no record "
    "leaves the store"
)

Figure = int | str  # a count, or what is shown in its place


@dataclass
class ForceProgress:
    force: str
    cases: Figure
    samples: Figure
    retested: Figure
    samples_by_state: dict[str, Figure]
    notifications: Figure
    notifications_by_state: dict[str, Figure]
    disposed: Figure
    dispositions: dict[str, Figure]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Progress:
    incident_ids: list[int]
    forces: list[ForceProgress]
    total: ForceProgress | None  # across forces (the reviewer); None for a PCC
    suppressed: bool
    note: str = ""
    as_of: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "incident_ids": self.incident_ids,
            "as_of": self.as_of,
            "forces": {
                f.force: {k: v for k, v in f.to_json().items() if k != "force"} for f in self.forces
            },
            "total": (
                {k: v for k, v in self.total.to_json().items() if k != "force"}
                if self.total
                else None
            ),
            "suppressed": self.suppressed,
            "note": self.note,
        }


def _sample_state(retest: Retest | None) -> str:
    if retest is None:
        return "not-requested"
    if retest.state == "compared":
        return retest.outcome or "inconclusive"
    return {"resulted": "awaiting-comparison"}.get(retest.state, retest.state)


def _exact(
    force: str,
    rows: Sequence[tuple[ForensicExhibit, ForensicCase]],
    retests: Sequence[Retest],
    notices: Sequence[CaseNotification],
) -> ForceProgress:
    on = today()
    exhibits = {e.id for e, _ in rows}
    cases = {c.id for _, c in rows}
    latest: dict[int, Retest] = {}
    for r in sorted(retests, key=lambda r: r.id):
        if r.exhibit_id in exhibits:
            latest[r.exhibit_id] = r
    states = dict.fromkeys(SAMPLE_STATES, 0)
    for e_id in exhibits:
        states[_sample_state(latest.get(e_id))] += 1
    notes = dict.fromkeys(NOTIFICATION_STATES, 0)
    for n in notices:
        if n.case_id in cases:
            key = "sent" if n.sent_on else ("overdue" if n.due_on < on else "due")
            notes[key] += 1
    kinds = dict.fromkeys(DISPOSITIONS, 0)
    for r in retests:
        if r.exhibit_id in exhibits and r.disposition:
            kinds[r.disposition] = kinds.get(r.disposition, 0) + 1
    return ForceProgress(
        force=force,
        cases=len(cases),
        samples=len(exhibits),
        retested=sum(states[s] for s in RETESTED),
        samples_by_state=dict(states),
        notifications=sum(notes.values()),
        notifications_by_state=dict(notes),
        disposed=sum(kinds.values()),
        dispositions=dict(kinds),
    )


def _listed(counts: dict[str, Figure]) -> tuple[dict[str, Figure], Figure, bool]:
    """A breakdown and its total through the one rule; whether every cell is shown."""
    keys = list(counts)
    table = suppress_counts([int(counts[k]) for k in keys], total=True)
    cells = {k: table.shown(i) for i, k in enumerate(keys)}
    total = table.shown_grand_total()
    if total is None:
        column = table.shown_column_totals() or [WITHHELD]
        total = column[0]
    return cells, total, all(table.is_shown(i) for i in range(len(keys)))


def suppressed(exact: ForceProgress) -> ForceProgress:
    """What a PCC viewer sees of one force's exact figures (the rule in the module docstring)."""
    states, samples, _ = _listed(exact.samples_by_state)
    retested_shown = all(isinstance(states[s], int) for s in RETESTED)
    notes, n_total, _ = _listed(exact.notifications_by_state)
    kinds, disposed, _ = _listed(exact.dispositions)
    return ForceProgress(
        force=exact.force,
        cases=suppress_counts([int(exact.cases)], total=False).shown(0),
        samples=samples,
        retested=exact.retested if retested_shown else WITHHELD,
        samples_by_state=states,
        notifications=n_total,
        notifications_by_state=notes,
        disposed=disposed,
        dispositions=kinds,
    )


def progress(
    engine: Engine,
    by: Principal,
    *,
    incident_id: int | None = None,
    justification: str | None = None,
    client: str = "",
) -> Progress:
    """The review's progress for one incident (or every incident), as ``by`` may see it."""
    target = RecordRef(INCIDENT_KIND, str(incident_id) if incident_id is not None else "*")
    with unit_of_work(
        engine, by, AuditAction.CONSULTATION, target, client=client,
        details={"aggregates": True, "question": "a laboratory-incident review's progress"},
    ) as work:  # fmt: skip
        reader = READ_FORENSICS.granted(by.role)
        if not reader and not VIEW_FORENSIC_PROGRESS.granted(by.role):
            raise policy.PolicyDenied(f"your role ({by.role}) may not see a review's progress")
        if justification and justification.strip():
            work.justify(Justification.typed(justification))
        stmt = select(LabIncident).order_by(LabIncident.id)
        if incident_id is not None:
            stmt = stmt.where(LabIncident.id == incident_id)
        incidents = list(work.db.scalars(stmt))
        if incident_id is not None and not incidents:
            raise NotFoundError(f"no laboratory incident {incident_id}")
        reason = None if reader else PRIVILEGED_REASON
        seen: dict[int, tuple[ForensicExhibit, ForensicCase]] = {}
        for row in incidents:
            for e, c in affected_rows(work.db, by, row, own_force_reason=reason):
                seen.setdefault(e.id, (e, c))
        rows = list(seen.values())
        ids = [i.id for i in incidents]
        exhibit_ids = sorted(seen)
        case_ids = sorted({c.id for _, c in rows})
        retest_stmt = select(Retest).where(
            Retest.exhibit_id.in_(exhibit_ids),
            Retest.incident_id.in_(ids) | Retest.incident_id.is_(None),
        )
        notice_stmt = select(CaseNotification).where(
            CaseNotification.case_id.in_(case_ids),
            CaseNotification.incident_id.in_(ids) | CaseNotification.incident_id.is_(None),
        )
        if reader:
            retests = list(work.db.scalars(policy.scope(by, retest_stmt, Retest)))
        else:
            own = retest_stmt.where(Retest.owning_force == (by.force or None))
            retests = list(work.db.scalars(policy.privileged(own, reason or "")))
            work.details["privileged"] = PRIVILEGED_REASON
        notices = list(work.db.scalars(notice_stmt))  # of cases already in scope
        forces = sorted({c.owning_force for _, c in rows} | ({by.force} if not reader else set()))
        per = []
        for force in forces:
            mine = [(e, c) for e, c in rows if c.owning_force == force]
            exact = _exact(force, mine, retests, notices)
            per.append(exact if reader else suppressed(exact))
        total = _exact("all forces", rows, retests, notices) if reader else None
        work.details.update(
            {
                "incidents": [f"{INCIDENT_KIND}:{i}" for i in ids],
                "forces": forces,
                "samples_counted": len(rows),
                "suppressed": not reader,
            }
        )
        return Progress(
            incident_ids=ids,
            forces=per,
            total=total,
            suppressed=not reader,
            note="" if reader else NOTE,
            as_of=today().isoformat(),
        )
