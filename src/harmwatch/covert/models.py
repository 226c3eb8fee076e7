"""The covert authorisation record, and its reviews and renewals.

An authorisation is a record (:class:`RecordMixin`), always restricted to its unit.
``expires_at`` is when the current period ends — the grant's, or the latest
renewal's — kept so that the dashboard's query needs no arithmetic; each renewal and
review is a row of its own, read only with the authorisation it belongs to (the
record policy decides on the authorisation, so these tables hold nothing readable
alone: no names, only dates, officers and notes).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class CovertAuthorisation(RecordMixin, Base):
    __tablename__ = "covert_authorisations"
    __table_args__ = (
        # A URN names one authorisation of a unit: call-data imports are linked by it.
        Index("ix_covert_authorisations_urn", "owning_force", "owning_unit", "urn", unique=True),
    )
    record_kind = "covert-authorisation"

    urn: Mapped[str] = mapped_column(String(64))
    authorisation_kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)  # the subject's names or description
    operation: Mapped[str | None] = mapped_column(Text, nullable=True)
    applied_on: Mapped[date] = mapped_column(Date)
    applicant: Mapped[str] = mapped_column(Text)
    authorised_by: Mapped[str] = mapped_column(Text)
    authorising_rank: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it took effect
    urgent_oral: Mapped[bool] = mapped_column(Boolean)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    period_citation: Mapped[str] = mapped_column(Text)  # the table's row it was computed from
    review_interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancellation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class CovertReview(Base):
    """One review of an authorisation by the authorising officer, and the next one set."""

    __tablename__ = "covert_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorisation_id: Mapped[int] = mapped_column(
        ForeignKey("covert_authorisations.id"), index=True
    )
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(Text)


class CovertRenewal(Base):
    """One renewal: who granted it, when, and the period it gave."""

    __tablename__ = "covert_renewals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorisation_id: Mapped[int] = mapped_column(
        ForeignKey("covert_authorisations.id"), index=True
    )
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was granted
    authorised_by: Mapped[str] = mapped_column(Text)
    authorising_rank: Mapped[str] = mapped_column(Text)
    urgent_oral: Mapped[bool] = mapped_column(Boolean)
    begins_on: Mapped[date] = mapped_column(Date)
    previous_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(Text)
