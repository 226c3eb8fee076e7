"""The referral record: one safeguarding, NRM or Duty to Notify referral about one person.

A record (:class:`RecordMixin`): it carries the kernel's envelope, so the record
policy, the access log, subject access and review serve it like any other. What
flagged it is kept generically (``source_kind`` and ``source_ref``: a county-lines
flag and its finding, later an operation or a programme), so every room that finds a
possible victim records the referral here rather than in a table of its own.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base


class Referral(RecordMixin, Base):
    __tablename__ = "safeguarding_referrals"
    __table_args__ = (Index("ix_safeguarding_referrals_source", "source_kind", "source_ref"),)
    record_kind = "safeguarding-referral"

    referral_kind: Mapped[str] = mapped_column(String(16))  # safeguarding / nrm / duty-to-notify
    # Who, as known: a name or a number. A Duty to Notify without consent holds none.
    subject_label: Mapped[str] = mapped_column(Text)
    subject_entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    subject_is_child: Mapped[bool] = mapped_column(Boolean)
    subject_date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    concern: Mapped[str] = mapped_column(String(32))
    referred_on: Mapped[date] = mapped_column(Date)
    agency: Mapped[str] = mapped_column(Text)
    agency_reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An adult's informed consent to an NRM referral; None when not asked (a child).
    consent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reasonable_grounds: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reasonable_grounds_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    conclusive_grounds: Mapped[str | None] = mapped_column(String(8), nullable=True)
    conclusive_grounds_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
