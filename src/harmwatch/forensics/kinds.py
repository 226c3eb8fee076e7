"""What the forensics room declares to the kernel: its capabilities and record types.

Who may do what:

- ``read-forensics`` and ``write-forensics``: the forensic reviewer — the role that
  finds every case and sample a laboratory incident touches, orders retests and
  records what follows — and no one else: a case file names suspects and defendants,
  and an exhibit's history is evidence;
- ``view-forensic-progress``: the review's progress in figures (cases and samples
  affected, retested, unchanged or changed, notifications due) — the forensic
  reviewer and the PCC viewer, to whom forces account for such reviews, with small
  numbers suppressed for the latter.

The data protection officer reaches these records through subject access and review.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType, SubjectTerms
from harmwatch.security.roles import Role

from .models import ForensicCase, ForensicExhibit, Retest

READ_FORENSICS = capability(
    "read-forensics",
    "read forensic cases, exhibits, their chain of custody, results and retests",
    {Role.FORENSIC_REVIEWER},
)
WRITE_FORENSICS = capability(
    "write-forensics",
    "record forensic cases and exhibits, custody events, results, incidents and retests",
    {Role.FORENSIC_REVIEWER},
)
VIEW_FORENSIC_PROGRESS = capability(
    "view-forensic-progress",
    "a lab-incident review's progress in figures (small numbers suppressed for the PCC)",
    {Role.FORENSIC_REVIEWER, Role.PCC_VIEWER},
)


def _case_match(model: type[ForensicCase], terms: SubjectTerms) -> Any:
    name = terms.name.strip()
    conditions = [model.subject_label.icontains(name, autoescape=True)] if name else []
    conditions += [
        model.reference == identifier.strip() for identifier in terms.identifiers if identifier
    ]
    return or_(*conditions) if conditions else false()


def _erase_exhibit(db: Any, record: ForensicExhibit) -> None:
    from sqlalchemy import delete

    from .models import CustodyEvent, ExhibitResult

    db.execute(delete(CustodyEvent).where(CustodyEvent.exhibit_id == record.id))
    db.execute(delete(ExhibitResult).where(ExhibitResult.exhibit_id == record.id))


CASES = RecordType(
    kind="forensic-case",
    model=ForensicCase,
    title="forensic cases",
    read=READ_FORENSICS,
    write=WRITE_FORENSICS,
    subject_match=_case_match,
    describe=lambda r: f"forensic case {r.reference} ({r.offence}, {r.cj_status})",
)
EXHIBITS = RecordType(
    kind="forensic-exhibit",
    model=ForensicExhibit,
    title="forensic exhibits",
    read=READ_FORENSICS,
    write=WRITE_FORENSICS,
    describe=lambda r: f"exhibit {r.reference} ({r.exhibit_type})",
    before_erase=_erase_exhibit,
)
RETESTS = RecordType(
    kind="forensic-retest",
    model=Retest,
    title="forensic retests",
    read=READ_FORENSICS,
    write=WRITE_FORENSICS,
    describe=lambda r: f"retest of exhibit {r.exhibit_id} ({r.state})",
)
