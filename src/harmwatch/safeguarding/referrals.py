"""Referrals: record one, record its decisions later, read, list and export — through the kernel.

A referral is one of three kinds:

- ``safeguarding``: to the local authority — children's services for a child
  (Children Act 2004 s.11 and *Working Together to Safeguard Children* 2023: the
  police refer a child at risk of harm, including child criminal exploitation), or
  adult social care for an adult with care and support needs at risk of abuse or
  exploitation, cuckooing included (Care Act 2014 s.42);
- ``nrm``: into the National Referral Mechanism, to the Single Competent Authority,
  by a first responder (the police are one) who believes the person may be a
  victim of modern slavery, county-lines criminal exploitation included (Home
  Office, *Modern Slavery: Statutory Guidance for England and Wales*, under s.49 of
  the Modern Slavery Act 2015);
- ``duty-to-notify``: the police's duty to notify the Home Office of a potential
  adult victim who does not consent to an NRM referral (Modern Slavery Act 2015
  s.52; the Modern Slavery Act 2015 (Duty to Notify) Regulations 2015).

The rules this module enforces, from that guidance:

1. **A child is referred into the NRM without consent**: consent is not needed for
   anyone under 18, and the referral also meets the duty to notify, so a
   ``duty-to-notify`` for a child is refused (record ``nrm``). Where a person's age
   is uncertain but there are reasons to believe they are a child, they are treated
   as one (Modern Slavery Act 2015 s.51): ``subject_is_child`` may be set with no
   date of birth.
2. **An adult's NRM referral needs their informed consent.** Asked to record an
   ``nrm`` referral for an adult whose consent is not recorded as given,
   :func:`record_referral` records the Duty to Notify instead — it does not refuse,
   because the duty still falls on the police and the officer must not be left with
   nothing recorded — and says so in :attr:`Recorded.notes`. A Duty to Notify
   without consent holds **no identifying detail** of the adult: the label is
   replaced, the date of birth and intelligence entity are not stored (the
   Regulations let the notification be anonymous). What flagged it (``source_kind``,
   ``source_ref``) is kept, so the finding can show it was notified.
3. **A child is never recorded as an adult, nor an adult as a child**: with a date
   of birth, the age on ``referred_on`` (in whole years) must agree with
   ``subject_is_child``; the same against the date of birth of the intelligence
   entity the referral names, if that entity has one.
4. **Reasonable grounds before conclusive grounds** (decided by the Single
   Competent Authority, on NRM referrals only): a conclusive grounds decision
   needs a positive reasonable grounds decision first (a negative one ends the
   NRM case), and cannot be dated before it; no decision is dated before the
   referral or in the future. Decisions arrive weeks or months after the referral
   and are recorded by :func:`record_decision`, each a change in one unit of work,
   logged with what changed.

Every read is scoped by the record policy and logged with its justification
(:mod:`harmwatch.kernel.reads`); every change is a unit of work; an export of a
listing is logged as a disclosure with its recipient, and is refused to roles that
do not make referrals (the refusal logged as denied).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from .kinds import REFERRALS, WRITE_REFERRALS
from .models import Referral

KINDS = ("safeguarding", "nrm", "duty-to-notify")
CONCERNS = ("child-criminal-exploitation", "cuckooing", "modern-slavery", "other")
GROUNDS = ("positive", "negative")
ADULT_AGE = 18
#: What a Duty to Notify without the adult's consent holds in place of who they are.
NOT_IDENTIFIED = "adult, not identified (no consent: Duty to Notify only)"
MAX_LABEL = 200
MAX_AGENCY = 200
MAX_REFERENCE = 100
MAX_OUTCOME = 2000
_SOURCE_KIND = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
CSV_FIELDS = (
    "ref",
    "referral_kind",
    "subject_label",
    "subject_is_child",
    "subject_date_of_birth",
    "subject_entity_id",
    "concern",
    "referred_on",
    "agency",
    "agency_reference",
    "consent",
    "reasonable_grounds",
    "reasonable_grounds_on",
    "conclusive_grounds",
    "conclusive_grounds_on",
    "outcome",
    "source_kind",
    "source_ref",
    "force",
    "unit",
    "handling",
)
# Cells a spreadsheet would run as a formula (OWASP CSV injection), as the access log's export.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: the field it belongs to, and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ReferralRefused(InputError):
    """A referral or decision that breaks a rule; every problem is listed with its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ReferralDraft:
    """What an officer records; checked by :func:`record_referral`.

    ``source_kind`` and ``source_ref`` say what flagged it (``county-lines-flag`` and
    the finding's id; an operation's reference), so another room builds one from
    its flag with the fields it knows and the officer completes the rest.
    """

    referral_kind: str
    subject_label: str
    subject_is_child: bool
    concern: str
    referred_on: date
    agency: str
    agency_reference: str | None = None
    subject_entity_id: int | None = None
    subject_date_of_birth: date | None = None
    consent: bool | None = None
    source_kind: str | None = None
    source_ref: str | None = None
    conditions: str | None = None  # handling code C with these conditions; None: P
    restriction: Restriction = Restriction.FORCE
    retention: str = "mopi-1"  # public protection matters
    unit: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_referral` recorded: the kind may differ from the one asked for."""

    id: int
    ref: str
    referral_kind: str
    asked_kind: str
    notes: tuple[str, ...] = ()

    @property
    def became_duty_to_notify(self) -> bool:
        return self.asked_kind == "nrm" and self.referral_kind == "duty-to-notify"


@dataclass(frozen=True)
class DecisionDraft:
    """Decisions and news that arrive after the referral; only the fields given change."""

    reasonable_grounds: str | None = None
    reasonable_grounds_on: date | None = None
    conclusive_grounds: str | None = None
    conclusive_grounds_on: date | None = None
    outcome: str | None = None
    agency_reference: str | None = None


@dataclass
class ReferralView:
    """A referral as a reader sees it (the handling banner beside it)."""

    id: int
    ref: str
    referral_kind: str
    subject_label: str
    subject_identified: bool
    subject_entity_id: int | None
    subject_is_child: bool
    subject_date_of_birth: date | None
    concern: str
    referred_on: date
    agency: str
    agency_reference: str | None
    consent: bool | None
    reasonable_grounds: str | None
    reasonable_grounds_on: date | None
    conclusive_grounds: str | None
    conclusive_grounds_on: date | None
    outcome: str | None
    source_kind: str | None
    source_ref: str | None
    force: str
    unit: str
    restriction: str
    handling_banner: str
    conditions: str | None
    created_by: str
    review_date: date
    awaiting: str | None = None  # the decision the referral waits for, if any
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, date):
                out[key] = value.isoformat()
        return out


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day`` (a birthday on 29 February falls on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def awaiting(referral: Referral) -> str | None:
    """The NRM decision still to come: reasonable grounds, then (if positive) conclusive."""
    if referral.referral_kind != "nrm":
        return None
    if referral.reasonable_grounds is None:
        return "reasonable grounds"
    if referral.reasonable_grounds == "positive" and referral.conclusive_grounds is None:
        return "conclusive grounds"
    return None


def view(referral: Referral) -> ReferralView:
    return ReferralView(
        id=referral.id,
        ref=str(referral.ref),
        referral_kind=referral.referral_kind,
        subject_label=referral.subject_label,
        subject_identified=referral.subject_label != NOT_IDENTIFIED,
        subject_entity_id=referral.subject_entity_id,
        subject_is_child=referral.subject_is_child,
        subject_date_of_birth=referral.subject_date_of_birth,
        concern=referral.concern,
        referred_on=referral.referred_on,
        agency=referral.agency,
        agency_reference=referral.agency_reference,
        consent=referral.consent,
        reasonable_grounds=referral.reasonable_grounds,
        reasonable_grounds_on=referral.reasonable_grounds_on,
        conclusive_grounds=referral.conclusive_grounds,
        conclusive_grounds_on=referral.conclusive_grounds_on,
        outcome=referral.outcome,
        source_kind=referral.source_kind,
        source_ref=referral.source_ref,
        force=referral.owning_force,
        unit=referral.owning_unit,
        restriction=referral.restriction,
        handling_banner=referral.handling.banner(),
        conditions=referral.handling_conditions,
        created_by=referral.created_by,
        review_date=referral.review_date,
        awaiting=awaiting(referral),
    )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _age_problems(
    is_child: bool, born: date, on: date, field_name: str, whose: str
) -> list[Problem]:
    age = age_on(born, on)
    if is_child and age >= ADULT_AGE:
        return [
            Problem(
                field_name,
                f"{whose} makes them {age} on {on}, an adult; untick 'a child' or correct it",
            )
        ]
    if not is_child and age < ADULT_AGE:
        return [
            Problem(
                "subject_is_child",
                f"{whose} makes them {age} on {on}: a child, who must be recorded as a child",
            )
        ]
    return []


def check_draft(
    draft: ReferralDraft, *, today: date, entity_born: date | None = None
) -> tuple[str, list[str]]:
    """The kind to record and notes for the officer; :class:`ReferralRefused` listing every problem.

    ``entity_born``: the date of birth of the intelligence entity the draft names.
    """
    problems: list[Problem] = []
    if draft.referral_kind not in KINDS:
        problems.append(Problem("referral_kind", f"one of {', '.join(KINDS)}"))
    if draft.concern not in CONCERNS:
        problems.append(Problem("concern", f"one of {', '.join(CONCERNS)}"))
    label = _clean(draft.subject_label)
    if len(label) > MAX_LABEL:
        problems.append(Problem("subject_label", f"at most {MAX_LABEL} characters"))
    if draft.referred_on > today:
        problems.append(Problem("referred_on", f"{draft.referred_on} is in the future"))
    born = draft.subject_date_of_birth
    if born is not None:
        if born > draft.referred_on:
            problems.append(
                Problem(
                    "subject_date_of_birth", f"{born} is after the referral ({draft.referred_on})"
                )
            )
        else:
            problems += _age_problems(
                draft.subject_is_child,
                born,
                draft.referred_on,
                "subject_date_of_birth",
                "the date of birth",
            )
    if entity_born is not None:
        if born is not None and born != entity_born:
            problems.append(
                Problem(
                    "subject_date_of_birth",
                    f"differs from the intelligence entity's date of birth ({entity_born})",
                )
            )
        elif entity_born <= draft.referred_on:
            problems += _age_problems(
                draft.subject_is_child,
                entity_born,
                draft.referred_on,
                "subject_is_child",
                "the intelligence entity's date of birth",
            )
    agency = _clean(draft.agency)
    if not agency:
        problems.append(
            Problem(
                "agency",
                "say who it went to (children's services, adult social care, the Single "
                "Competent Authority)",
            )
        )
    elif len(agency) > MAX_AGENCY:
        problems.append(Problem("agency", f"at most {MAX_AGENCY} characters"))
    if len(_clean(draft.agency_reference)) > MAX_REFERENCE:
        problems.append(Problem("agency_reference", f"at most {MAX_REFERENCE} characters"))
    source_kind, source_ref = _clean(draft.source_kind), _clean(draft.source_ref)
    if source_kind and not _SOURCE_KIND.fullmatch(source_kind):
        problems.append(
            Problem("source_kind", "1-32 lower-case letters, digits and -, e.g. county-lines-flag")
        )
    if source_ref and not source_kind:
        problems.append(Problem("source_kind", "say what kind of finding the reference is"))
    if len(source_ref) > 128:
        problems.append(Problem("source_ref", "at most 128 characters"))

    kind, notes = draft.referral_kind, []
    if kind == "nrm" and not draft.subject_is_child and draft.consent is not True:
        kind = "duty-to-notify"
        notes.append(
            "an adult is referred into the NRM only with their informed consent, which is "
            "not recorded: the Duty to Notify the Home Office (Modern Slavery Act 2015 s.52) "
            "is recorded instead"
        )
    if kind == "duty-to-notify" and draft.subject_is_child:
        problems.append(
            Problem(
                "referral_kind",
                "a child is referred into the NRM (no consent is needed), which also meets the "
                "duty to notify: record an nrm referral",
            )
        )
    anonymous = kind == "duty-to-notify" and draft.consent is not True
    if anonymous:
        notes.append(
            "without the adult's consent the Duty to Notify holds no identifying detail: "
            "their name or number, date of birth and intelligence entity are not stored"
        )
    elif not label:
        problems.append(Problem("subject_label", "say who: a name or number as known"))
    if problems:
        raise ReferralRefused(problems)
    return kind, notes


def _handling(draft: ReferralDraft) -> Handling:
    if draft.conditions and draft.conditions.strip():
        return Handling(HandlingCode.C, draft.conditions)
    return Handling(HandlingCode.P)


def _entity_born(db: Session, by: Principal, entity_id: int) -> tuple[RecordRef, date | None]:
    """The named intelligence entity, if the officer may see it: its ref and date of birth."""
    from harmwatch.intelligence.models import IntelligenceEntity

    found = db.scalars(
        policy.scope(
            by,
            select(IntelligenceEntity).where(IntelligenceEntity.id == entity_id),
            IntelligenceEntity,
        )
    ).first()
    if found is None:
        raise ReferralRefused(
            [Problem("subject_entity_id", f"no intelligence entity {entity_id} that you may see")]
        )
    if found.entity_kind != "person":
        raise ReferralRefused(
            [
                Problem(
                    "subject_entity_id",
                    f"intelligence entity {entity_id} is a {found.entity_kind}, not a person",
                )
            ]
        )
    return found.ref, found.date_of_birth


def record_referral(
    engine: Engine,
    principal: Principal,
    draft: ReferralDraft,
    justification: str | None,
    *,
    client: str = "",
) -> Recorded:
    """Record a referral (see the module docstring for the rules); what was recorded.

    ``justification``: why (typed, or the session's declared case or operation); it is
    logged with the collection, and with the consultation of the intelligence entity
    the draft names.
    """
    by = principal
    with unit_of_work(
        engine,
        by,
        AuditAction.COLLECTION,
        RecordRef(REFERRALS.kind, "new"),
        client=client,
        details={"asked_kind": draft.referral_kind},
    ) as work:
        unit = draft.unit or (sorted(by.units)[0] if by.units else "")
        policy.require_collect(by, REFERRALS, by.force, unit)
        why = work.justify(resolve(by, justification, what="recording a referral"))
        entity_born = None
        if draft.subject_entity_id is not None:
            entity_ref, entity_born = _entity_born(work.db, by, draft.subject_entity_id)
            work.also(
                AuditAction.CONSULTATION,
                entity_ref,
                details={"for": "a referral's subject"},
                justification=why,
            )
        kind, notes = check_draft(draft, today=models.utcnow().date(), entity_born=entity_born)
        anonymous = kind == "duty-to-notify" and draft.consent is not True
        referral = Referral(
            referral_kind=kind,
            subject_label=NOT_IDENTIFIED if anonymous else _clean(draft.subject_label),
            subject_entity_id=None if anonymous else draft.subject_entity_id,
            subject_is_child=draft.subject_is_child,
            subject_date_of_birth=None if anonymous else draft.subject_date_of_birth,
            concern=draft.concern,
            referred_on=draft.referred_on,
            agency=_clean(draft.agency),
            agency_reference=_clean(draft.agency_reference) or None,
            consent=draft.consent,
            source_kind=_clean(draft.source_kind) or None,
            source_ref=_clean(draft.source_ref) or None,
            **envelope(
                by.actor,
                owning_force=by.force,
                owning_unit=unit,
                handling=_handling(draft),
                restriction=draft.restriction,
                retention=draft.retention,
            ),
        )
        work.db.add(referral)
        work.db.flush()
        work.target(referral.ref)
        work.details.update(
            {
                "referral_kind": kind,
                "concern": draft.concern,
                "child": draft.subject_is_child,
                "source": f"{referral.source_kind}:{referral.source_ref}"
                if referral.source_kind
                else None,
            }
        )
        if kind != draft.referral_kind:
            work.details["recorded_instead"] = "duty-to-notify: an adult without consent"
        return Recorded(referral.id, str(referral.ref), kind, draft.referral_kind, tuple(notes))


def check_decision(referral: Referral, decision: DecisionDraft, *, today: date) -> dict[str, Any]:
    """The changes ``decision`` makes to ``referral`` (field → new value), checked.

    :class:`ReferralRefused` lists every rule broken (see the module docstring, rule 4).
    """
    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    grounds = (
        ("reasonable_grounds", decision.reasonable_grounds, decision.reasonable_grounds_on),
        ("conclusive_grounds", decision.conclusive_grounds, decision.conclusive_grounds_on),
    )
    for name, value, on in grounds:
        if value is None and on is None:
            continue
        if referral.referral_kind != "nrm":
            problems.append(
                Problem(
                    name,
                    "reasonable and conclusive grounds are decided on NRM referrals only, by "
                    f"the Single Competent Authority; this is a {referral.referral_kind} referral",
                )
            )
            continue
        if value not in GROUNDS:
            problems.append(Problem(name, "positive or negative"))
        if on is None:
            problems.append(Problem(f"{name}_on", "the date of the decision is needed"))
        elif on < referral.referred_on:
            problems.append(
                Problem(f"{name}_on", f"{on} is before the referral ({referral.referred_on})")
            )
        elif on > today:
            problems.append(Problem(f"{name}_on", f"{on} is in the future"))
        changes[name], changes[f"{name}_on"] = value, on
    outcome = _clean(decision.outcome)
    if len(outcome) > MAX_OUTCOME:
        problems.append(Problem("outcome", f"at most {MAX_OUTCOME} characters"))
    elif outcome:
        changes["outcome"] = outcome
    reference = _clean(decision.agency_reference)
    if len(reference) > MAX_REFERENCE:
        problems.append(Problem("agency_reference", f"at most {MAX_REFERENCE} characters"))
    elif reference:
        changes["agency_reference"] = reference
    if not changes and not problems:
        problems.append(
            Problem(
                "reasonable_grounds", "nothing to record: give a decision, outcome or reference"
            )
        )
    if not problems:
        after = {
            name: changes.get(name, getattr(referral, name))
            for name in (
                "reasonable_grounds",
                "reasonable_grounds_on",
                "conclusive_grounds",
                "conclusive_grounds_on",
            )
        }
        if after["conclusive_grounds"] is not None:
            if after["reasonable_grounds"] != "positive":
                problems.append(
                    Problem(
                        "conclusive_grounds",
                        "a conclusive grounds decision follows a positive reasonable grounds "
                        "decision; record that first"
                        if after["reasonable_grounds"] is None
                        else "a negative reasonable grounds decision ends the NRM case: no "
                        "conclusive grounds decision follows it",
                    )
                )
            elif after["conclusive_grounds_on"] < after["reasonable_grounds_on"]:
                problems.append(
                    Problem(
                        "conclusive_grounds_on",
                        f"{after['conclusive_grounds_on']} is before the reasonable grounds "
                        f"decision ({after['reasonable_grounds_on']})",
                    )
                )
    if problems:
        raise ReferralRefused(problems)
    return changes


def _one(db: Session, by: Principal, referral_id: int) -> Referral:
    """The referral, if the principal may see it; missing and hidden alike are "not found"."""
    return policy.visible_one(db, by, Referral, referral_id, what="safeguarding referral")


def record_decision(
    engine: Engine,
    principal: Principal,
    referral_id: int,
    decision: DecisionDraft,
    justification: str | None,
    *,
    client: str = "",
) -> ReferralView:
    """Record decisions (reasonable, conclusive grounds), an outcome or the agency's reference.

    One unit of work: the change and its entry (naming each field changed, old and new
    decision; an outcome's text is not copied into the log) commit together.
    """
    by = principal
    ref = RecordRef(REFERRALS.kind, str(referral_id))
    with unit_of_work(engine, by, AuditAction.ALTERATION, ref, client=client) as work:
        if not WRITE_REFERRALS.granted(by.role):
            raise policy.PolicyDenied(
                f"your role ({by.role}) may not change safeguarding referrals"
            )
        work.justify(resolve(by, justification, what="recording a referral's decision"))
        referral = _one(work.db, by, referral_id)
        policy.require(work.db, by, AuditAction.ALTERATION, referral)
        changes = check_decision(referral, decision, today=models.utcnow().date())
        logged: dict[str, Any] = {}
        for name, value in changes.items():
            old = getattr(referral, name)
            setattr(referral, name, value)
            if name == "outcome":
                logged[name] = "changed" if old else "recorded"
            else:
                logged[name] = [_text(old), _text(value)]
        referral.updated_at = models.utcnow()
        referral.updated_by = by.actor
        work.db.flush()
        work.details["changed"] = logged
        return view(referral)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def read(
    engine: Engine,
    principal: Principal,
    referral_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> ReferralView:
    """One referral; a read the policy refuses is logged as denied (and answered as not found)."""
    got = reads.get(
        engine, principal, Referral, referral_id, justification=justification, client=client
    )
    return view(got.records[0])


def _filtered(
    referral_kind: str,
    concern: str,
    source_kind: str,
    source_ref: str,
    subject_entity_id: int | None,
) -> tuple[Select[Any], dict[str, Any]]:
    stmt = select(Referral)
    details: dict[str, Any] = {}
    if referral_kind:
        if referral_kind not in KINDS:
            raise InputError(f"referral_kind: one of {', '.join(KINDS)}")
        stmt = stmt.where(Referral.referral_kind == referral_kind)
        details["referral_kind"] = referral_kind
    if concern:
        if concern not in CONCERNS:
            raise InputError(f"concern: one of {', '.join(CONCERNS)}")
        stmt = stmt.where(Referral.concern == concern)
        details["concern"] = concern
    if source_kind:
        stmt = stmt.where(Referral.source_kind == source_kind)
        details["source_kind"] = source_kind
    if source_ref:
        stmt = stmt.where(Referral.source_ref == source_ref)
        details["source_ref"] = source_ref
    if subject_entity_id is not None:
        stmt = stmt.where(Referral.subject_entity_id == subject_entity_id)
        details["subject_entity_id"] = subject_entity_id
    stmt = stmt.order_by(Referral.referred_on.desc(), Referral.id.desc())
    return stmt, details


def listing(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    referral_kind: str = "",
    concern: str = "",
    source_kind: str = "",
    source_ref: str = "",
    subject_entity_id: int | None = None,
    limit: int = 500,
    client: str = "",
) -> tuple[list[ReferralView], int]:
    """Referrals the principal may see, newest first (at most ``limit``), and how many in all."""
    stmt, details = _filtered(referral_kind, concern, source_kind, source_ref, subject_entity_id)
    got = reads.consult(
        engine,
        principal,
        Referral,
        stmt,
        justification=justification,
        client=client,
        details=details,
    )
    return [view(r) for r in got.records[:limit]], len(got.records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(v: ReferralView) -> list[str]:
    values = {
        **v.__dict__,
        "handling": f"C: {v.conditions}" if v.conditions else "P",
    }
    return [_cell(values[name]) for name in CSV_FIELDS]


def export_csv(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    recipient: str,
    acknowledge_conditions: bool = False,
    referral_kind: str = "",
    concern: str = "",
    source_kind: str = "",
    source_ref: str = "",
    client: str = "",
) -> str:
    """A listing as CSV (formula-safe cells), logged as a disclosure to ``recipient``.

    Refused (and logged as denied) to roles that do not make referrals; refused while
    any handling-code C referral's conditions are not acknowledged.
    """
    recipient = _clean(recipient)
    target = RecordRef(REFERRALS.kind, "*")
    if not WRITE_REFERRALS.granted(principal.role) or not recipient:
        with unit_of_work(
            engine,
            principal,
            AuditAction.DISCLOSURE,
            target,
            client=client,
            recipient=recipient or None,
        ):
            if not WRITE_REFERRALS.granted(principal.role):
                raise policy.PolicyDenied(
                    f"your role ({principal.role}) may not export safeguarding referrals"
                )
            raise InputError("recipient: say who the export is for")
    stmt, details = _filtered(referral_kind, concern, source_kind, source_ref, None)
    got = reads.disclose(
        engine,
        principal,
        Referral,
        stmt,
        justification=justification,
        recipient=recipient,
        acknowledge_conditions=acknowledge_conditions,
        client=client,
        details={**details, "format": "csv"},
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for referral in got.records:
        writer.writerow(_row(view(referral)))
    return out.getvalue()
