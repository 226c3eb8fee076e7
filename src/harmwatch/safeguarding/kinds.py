"""What the safeguarding room declares to the kernel: its capabilities and its record type.

Who may do what (a UK force's practice, after the College of Policing's APP on
vulnerability and the Home Office's Modern Slavery statutory guidance, which make
every officer who identifies a possible victim responsible for the referral):

- ``write-referrals``: the intelligence officer (who finds exploitation in call
  data and intelligence) and the neighbourhood officer (who meets the child at the
  address, the cuckooed tenant at the door) record referrals and their decisions;
- ``read-referrals``: those two, and the analyst, who must see that a flagged
  runner has already been referred before flagging them again, and counts
  referrals in problem profiles; an analyst does not make referrals or export them;
- nobody else: the administrator, the forensic reviewer and the PCC viewer see no
  referral, not a list, not a count. The data protection officer reaches referrals
  only through subject access and review, through the kernel, like every record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType, SubjectTerms
from harmwatch.security.roles import Role

from .models import Referral

READ_REFERRALS = capability(
    "read-referrals",
    "read safeguarding, NRM and Duty to Notify referrals (the record policy decides which)",
    {Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER, Role.ANALYST},
)
WRITE_REFERRALS = capability(
    "write-referrals",
    "record safeguarding, NRM and Duty to Notify referrals and their decisions; export them",
    {Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER},
)


def _phone(identifier: str) -> str | None:
    from harmwatch.errors import InputError
    from harmwatch.intelligence.identifiers import phone_number

    try:
        return phone_number(identifier, allow_synthetic=True)
    except InputError:
        return None


def _referral_match(model: type[Referral], terms: SubjectTerms) -> Any:
    """The subject by name or number in ``subject_label``, or by date of birth.

    A Duty to Notify recorded without the adult's consent holds no identifying
    detail, so no search finds it: there is nothing about the person to disclose.
    """
    conditions = []
    if terms.name.strip():
        conditions.append(model.subject_label.icontains(terms.name.strip(), autoescape=True))
    for identifier in terms.identifiers:
        if not identifier.strip():
            continue
        conditions.append(model.subject_label.icontains(identifier.strip(), autoescape=True))
        e164 = _phone(identifier)
        if e164:
            conditions.append(model.subject_label.icontains(e164, autoescape=True))
    if terms.date_of_birth:
        conditions.append(model.subject_date_of_birth == terms.date_of_birth)
    return or_(*conditions) if conditions else false()


def describe(referral: Referral) -> str:
    return (
        f"{referral.referral_kind} referral ({referral.concern}) of {referral.subject_label} "
        f"to {referral.agency}, {referral.referred_on}"
    )


REFERRALS = RecordType(
    kind="safeguarding-referral",
    model=Referral,
    title="safeguarding referrals",
    read=READ_REFERRALS,
    write=WRITE_REFERRALS,
    subject_match=_referral_match,
    describe=describe,
)
