"""What the covert room declares to the kernel: its capabilities and its record type.

Surveillance and covert authorisations are the most sensitive records harmwatch
keeps: they reveal who is watched, and a CHIS authorisation can reveal a source.
So, closed to all but need-to-know:

- ``read-covert-authorisations`` and ``write-covert-authorisations``: the intelligence
  officer only (who applies for, records and manages authorisations with the
  authorising officer). No other role sees a list, a count, a navigation link or a
  page — not the analyst, not the administrator, never the PCC viewer;
- every authorisation is ``restricted``: only its owning unit and the units it is
  shared with see it; it is personal (every read justified and logged);
- the data protection officer reaches them only through subject access and review,
  through the kernel, like every record (by the subject's names or description).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, false, or_

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType, SubjectTerms
from harmwatch.security.roles import Role

from .models import CovertAuthorisation, CovertRenewal, CovertReview

READ_COVERT = capability(
    "read-covert-authorisations",
    "read surveillance, CHIS, property interference and communications-data authorisations "
    "(of your unit, or shared with it)",
    {Role.INTELLIGENCE_OFFICER},
)
WRITE_COVERT = capability(
    "write-covert-authorisations",
    "record covert authorisations, their reviews, renewals and cancellations; export them",
    {Role.INTELLIGENCE_OFFICER},
)


def _subject_match(model: type[CovertAuthorisation], terms: SubjectTerms) -> Any:
    """A name or identifier typed in the subject's names or description (or the URN)."""
    conditions = []
    if terms.name.strip():
        conditions.append(model.subject.icontains(terms.name.strip(), autoescape=True))
    for identifier in terms.identifiers:
        if identifier.strip():
            conditions.append(model.subject.icontains(identifier.strip(), autoescape=True))
            conditions.append(model.urn == identifier.strip())
    return or_(*conditions) if conditions else false()


def _erase(db: Any, record: CovertAuthorisation) -> None:
    db.execute(delete(CovertReview).where(CovertReview.authorisation_id == record.id))
    db.execute(delete(CovertRenewal).where(CovertRenewal.authorisation_id == record.id))


def describe(record: CovertAuthorisation) -> str:
    return f"{record.authorisation_kind} authorisation {record.urn} ({record.subject})"


AUTHORISATIONS = RecordType(
    kind="covert-authorisation",
    model=CovertAuthorisation,
    title="covert authorisations",
    read=READ_COVERT,
    write=WRITE_COVERT,
    personal=True,
    subject_match=_subject_match,
    describe=describe,
    before_erase=_erase,
)
