"""What the access log says was done: the s.62 categories, and the words logged before them.

Data Protection Act 2018 Part 3 s.62(1) requires logs of six kinds of processing
operation in an automated system: **collection, alteration, consultation,
disclosure (including transfers), combination and erasure**; s.62(2) says the logs
of consultation and disclosure must make it possible to establish the
justification, the date and time, as far as possible who did it, and the identity of
any recipients. :class:`AuditAction` names those six plus the sign-in events a
secure system logs besides, so an auditor can ask "every disclosure last month" and
get exactly that.

Entries written before this vocabulary (``view``, ``search``, ``export``,
``create``, ``change``, ``delete``) stay as written — the log is append-only and
hash-chained — and :data:`LEGACY_ACTIONS` says which category each one was, so a
filter by category finds old and new entries alike.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class AuditAction(StrEnum):
    """One kind of logged act. The first six are s.62's categories, in its order."""

    COLLECTION = "collection"  # a record created, a file loaded, a boundary uploaded
    ALTERATION = "alteration"  # a record or account changed
    CONSULTATION = "consultation"  # a record, list, search, map or page looked at
    DISCLOSURE = "disclosure"  # data taken away: a download, an export, a transfer (recipient)
    COMBINATION = "combination"  # records joined into new information (linking, matching)
    ERASURE = "erasure"  # a record deleted, or a review deciding to delete it
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    SIGN_OUT = "sign-out"
    VERIFY = "verify"  # the access log's own chain checked

    @property
    def s62(self) -> bool:
        """Whether this is one of the six operations s.62 requires logs of."""
        return self in S62_CATEGORIES

    @property
    def needs_justification(self) -> bool:
        """s.62(2): consultation and disclosure of personal records carry a justification."""
        return self in (AuditAction.CONSULTATION, AuditAction.DISCLOSURE)


S62_CATEGORIES = frozenset(
    {
        AuditAction.COLLECTION,
        AuditAction.ALTERATION,
        AuditAction.CONSULTATION,
        AuditAction.DISCLOSURE,
        AuditAction.COMBINATION,
        AuditAction.ERASURE,
    }
)

#: The actions written before :class:`AuditAction`, and the category each one was.
#: ``denied`` was an action then; now a refusal is logged as the act attempted with
#: the outcome ``denied``, so it has no category of its own.
LEGACY_ACTIONS: MappingProxyType[str, AuditAction | None] = MappingProxyType(
    {
        "view": AuditAction.CONSULTATION,
        "search": AuditAction.CONSULTATION,
        "export": AuditAction.DISCLOSURE,
        "download": AuditAction.DISCLOSURE,
        "create": AuditAction.COLLECTION,
        "change": AuditAction.ALTERATION,
        "edit": AuditAction.ALTERATION,
        "delete": AuditAction.ERASURE,
        "denied": None,
    }
)


class Outcome(StrEnum):
    """How a logged act ended. A refusal is never "ok" (the log must tell the truth)."""

    OK = "ok"
    STARTED = "started"  # logged before a change to another store (analytics file, disk)
    DENIED = "denied"  # the policy refused it: no session, wrong role, not the record's unit
    REFUSED = "refused"  # the input could not be used (a UserError)
    FAILED = "failed"  # a check ran and found a problem (the chain broken)
    ERROR = "error"  # a defect stopped it (an internal error, with its reference)


def category_of(action: str) -> AuditAction | None:
    """The s.62 category (or sign-in event) of an action as stored, old words included."""
    try:
        return AuditAction(action)
    except ValueError:
        return LEGACY_ACTIONS.get(action)


def stored_actions(category: AuditAction) -> list[str]:
    """Every stored action word that means ``category``: for filtering old and new entries."""
    return [category.value, *(old for old, cat in LEGACY_ACTIONS.items() if cat == category)]
