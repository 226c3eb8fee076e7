"""The programmes room's records: programmes, their participants and events, and their keys.

A programme (a DIP arrest-referral scheme, a Checkpoint diversion, a victim service …)
is a record that names nobody (``personal`` false: listing programmes needs no
justification). A participant is known only by a keyed pseudonym (or, for a type
that says so, a role reference such as a special constable's number), with the
non-identifying attributes its type declares; an event (a referral, a contract
signed, a custody visit) has its kind's fields as checked JSON, so adding an event
kind is configuration (:mod:`harmwatch.programmes.config`), not a migration.

Each programme's pseudonym key is kept in ``programme_keys``, a table of its own
that no listing, export or page reads (:mod:`harmwatch.programmes.pseudonyms`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class Programme(RecordMixin, Base):
    __tablename__ = "programmes"
    __table_args__ = (Index("ix_programmes_force_name", "owning_force", "name", unique=True),)
    record_kind = "programme"

    programme_type: Mapped[str] = mapped_column(String(48), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    partner: Mapped[str] = mapped_column(Text, default="")  # the provider or partner agency
    description: Mapped[str] = mapped_column(Text, default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ProgrammeParticipant(RecordMixin, Base):
    __tablename__ = "programme_participants"
    __table_args__ = (
        Index("ix_programme_participants_label", "programme_id", "label", unique=True),
    )
    record_kind = "programme-participant"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    # The pseudonym (P-3F9A1C07B2), or the role reference of a type that is not
    # pseudonymised (volunteers); never the identifier typed for a pseudonymised type.
    label: Mapped[str] = mapped_column(String(64))
    pseudonymised: Mapped[bool] = mapped_column(Boolean)
    attributes: Mapped[str] = mapped_column(Text, default="{}")  # the type's attributes, JSON
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ProgrammeEvent(RecordMixin, Base):
    __tablename__ = "programme_events"
    __table_args__ = (
        Index("ix_programme_events_kind_day", "programme_id", "event_kind", "occurred_on"),
    )
    record_kind = "programme-event"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_participants.id"), nullable=True, index=True
    )
    event_kind: Mapped[str] = mapped_column(String(48))
    occurred_on: Mapped[date] = mapped_column(Date)
    fields: Mapped[str] = mapped_column(Text, default="{}")  # the kind's checked fields, JSON
    # The operation whose arrest led to it (a referral into treatment from custody).
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id"), nullable=True, index=True
    )
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ProgrammeKey(Base):
    """A programme's pseudonym secret. Never listed, exported or shown; erased to anonymise."""

    __tablename__ = "programme_keys"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hex; None: erased
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    erased_by: Mapped[str | None] = mapped_column(Text, nullable=True)
