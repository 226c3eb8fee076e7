"""The record base every personal record type is built on, and a record type's declaration.

Every record a room keeps about people (an intelligence report, a call record
import, a warrant, a forensic sample) carries the same envelope, so that one
policy, one access log and one review process serve them all:

- **who and when**: created and last changed, by whom;
- **ownership**: the owning force and unit, and (in ``record_shares``) the forces and
  units it is shared with;
- **restriction**: ``force`` — anyone in the owning force (and forces it is shared
  with) whose role reads the kind; ``restricted`` — only the owning unit and the units
  it is shared with;
- **handling code** (the 3x5x2 scheme): ``P`` — lawful sharing permitted; ``C`` —
  lawful sharing permitted subject to the conditions the originator writes. ``C`` is
  not an access rule: its conditions are shown on every view and checked at every
  disclosure (an export is refused until they are acknowledged);
- **retention**: a retention group and the date the record must next be reviewed
  (MoPI: retain, or delete and log the erasure).

A room declares each record type with a :class:`RecordType`: its model (a class using
:class:`RecordMixin`), the capabilities that read and write it, whether it is
personal (consultations need a justification), and which of its columns identify a
person for subject-access searches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from harmwatch.errors import InputError
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.refs import RecordRef
from harmwatch.storage.models import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement


class Restriction(StrEnum):
    FORCE = "force"  # the owning force and the forces (or units) it is shared with
    RESTRICTED = "restricted"  # only the owning unit and the units it is shared with


class HandlingCode(StrEnum):
    """3x5x2 handling code: may the record be shared, and on what terms."""

    P = "P"  # lawful sharing permitted
    C = "C"  # lawful sharing permitted with conditions (written by the originator)


@dataclass(frozen=True)
class Handling:
    """A handling code with its conditions (required for C, absent for P)."""

    code: HandlingCode
    conditions: str | None = None

    def __post_init__(self) -> None:
        code = HandlingCode(self.code)
        object.__setattr__(self, "code", code)
        conditions = (self.conditions or "").strip() or None
        object.__setattr__(self, "conditions", conditions)
        if code is HandlingCode.C and not conditions:
            raise InputError(
                "handling code C needs its conditions written: say on what terms it may be shared"
            )
        if code is HandlingCode.P and conditions:
            raise InputError("handling code P carries no conditions; use C to attach conditions")

    def banner(self) -> str:
        """What every view shows beside the record."""
        if self.code is HandlingCode.C:
            return f"Handling code C: share only on these conditions: {self.conditions}"
        return "Handling code P: lawful sharing permitted"


@dataclass(frozen=True)
class RetentionGroup:
    """How long a record is kept before it must be reviewed (retain, or delete)."""

    name: str
    description: str
    review_after: timedelta

    def first_review(self, created: date) -> date:
        return created + self.review_after


# Review periods after the College of Policing's APP on information management
# (retention, review and disposal, MoPI): group 1 (certain public protection
# matters) and group 2 (other sexual, violent or serious offences) are reviewed every
# ten years, group 3 (all other offences) after six; intelligence that is not linked
# to an offence is reviewed yearly here, so that stale intelligence is weeded. A force
# sets its own by changing this table.
RETENTION_GROUPS: dict[str, RetentionGroup] = {
    group.name: group
    for group in (
        RetentionGroup(
            "mopi-1", "MoPI group 1: certain public protection matters", timedelta(days=3652)
        ),
        RetentionGroup(
            "mopi-2",
            "MoPI group 2: other sexual, violent or serious offences",
            timedelta(days=3652),
        ),
        RetentionGroup("mopi-3", "MoPI group 3: all other offences", timedelta(days=2191)),
        RetentionGroup(
            "intelligence", "intelligence not linked to an offence", timedelta(days=365)
        ),
    )
}


def retention_group(name: str) -> RetentionGroup:
    try:
        return RETENTION_GROUPS[name]
    except KeyError:
        raise InputError(
            f"unknown retention group {name!r}; groups are: {', '.join(RETENTION_GROUPS)}"
        ) from None


class RecordMixin:
    """The columns every personal record has. Use with the records database's ``Base``.

    A subclass sets ``record_kind`` (the kind in its :class:`RecordRef`, e.g.
    ``intelligence-report``) and ``__tablename__``.
    """

    record_kind: ClassVar[str]

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(Text)
    restriction: Mapped[str] = mapped_column(String(16))
    handling_code: Mapped[str] = mapped_column(String(1))
    handling_conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    retention_group: Mapped[str] = mapped_column(String(32))
    review_date: Mapped[date] = mapped_column(Date)

    # Indexed: every scoped query filters on them.
    @declared_attr
    def owning_force(cls) -> Mapped[str]:
        return mapped_column(String(64), index=True)

    @declared_attr
    def owning_unit(cls) -> Mapped[str]:
        return mapped_column(String(64), index=True)

    @property
    def ref(self) -> RecordRef:
        return RecordRef(self.record_kind, str(self.id))

    @property
    def handling(self) -> Handling:
        return Handling(HandlingCode(self.handling_code), self.handling_conditions)


def envelope(
    created_by: str,
    *,
    owning_force: str,
    owning_unit: str,
    handling: Handling,
    restriction: Restriction = Restriction.FORCE,
    retention: str = "mopi-3",
    review_date: date | None = None,
) -> dict[str, Any]:
    """The envelope columns of a new record, checked: pass them to the model with its fields.

    The review date defaults to the retention group's first review from today.
    """
    from harmwatch.storage import models  # the clock the tests move

    now = models.utcnow()
    group = retention_group(retention)
    return {
        "created_at": now,
        "created_by": created_by,
        "updated_at": now,
        "updated_by": created_by,
        "owning_force": owning_force,
        "owning_unit": owning_unit,
        "restriction": Restriction(restriction).value,
        "handling_code": handling.code.value,
        "handling_conditions": handling.conditions,
        "retention_group": group.name,
        "review_date": review_date or group.first_review(now.date()),
    }


SubjectMatch = Callable[[Any, "SubjectTerms"], "ColumnElement[bool]"]


@dataclass(frozen=True)
class SubjectTerms:
    """What a subject-access search looks for (see :mod:`harmwatch.kernel.subjects`)."""

    name: str = ""
    identifiers: tuple[str, ...] = ()
    date_of_birth: date | None = None


@dataclass(frozen=True)
class RecordType:
    """A room's declaration of one kind of personal record."""

    kind: str
    model: type[RecordMixin]
    title: str
    read: Capability  # may see records of the kind at all (which ones: the policy)
    write: Capability  # may create, change and delete them
    personal: bool = True  # consultations and disclosures need a justification
    # A condition on the model matching a data subject, for subject access and review.
    subject_match: SubjectMatch | None = None
    # One line describing a record for listings (subject access, review).
    describe: Callable[[Any], str] = lambda record: f"{record.ref}"
    # Called in the erasure's transaction before a record is deleted (review), to remove
    # the room's rows that only point at it (a link's sources, watches); it raises a
    # UserError when the record cannot go yet (other records rest on it).
    before_erase: Callable[[Any, Any], None] | None = None

    def __post_init__(self) -> None:
        if getattr(self.model, "record_kind", None) != self.kind:
            raise TypeError(f"{self.model.__name__}.record_kind must be {self.kind!r}")
