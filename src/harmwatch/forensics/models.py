"""The forensics room's records: cases, exhibits, their custody and results, incidents, retests.

A case, an exhibit and a retest are kernel records (force, unit, restriction,
handling code, retention), so the record policy, the access log, subject access and
review serve them like any other. An exhibit's **history** — every custody event and
every result version — is append-only (database triggers refuse UPDATE and DELETE, as
for the access log) and hash-chained per exhibit: each row's ``entry_hash`` covers its
fields and the previous row's hash, and the head of the chain is written into the
access-log entry of the act that appended it, so an altered row is found by
recomputing the chain and comparing it with the hashes the log holds
(:mod:`harmwatch.forensics.chain`).

Providers, laboratories and incidents describe organisations, not people, and are
plain tables read through the room's capabilities.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class ForensicProvider(Base):
    """A forensic science provider and its ISO/IEC 17025 accreditation (scope and dates)."""

    __tablename__ = "forensic_providers"
    __table_args__ = (Index("ix_forensic_providers_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    accreditation_body: Mapped[str] = mapped_column(Text, default="UKAS")
    accreditation_number: Mapped[str] = mapped_column(String(40), default="")
    accreditation_scope: Mapped[str] = mapped_column(Text, default="")  # tests and methods
    accredited_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    accredited_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)


class ForensicLaboratory(Base):
    __tablename__ = "forensic_laboratories"
    __table_args__ = (Index("ix_forensic_laboratories_name", "provider_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("forensic_providers.id"))
    name: Mapped[str] = mapped_column(String(120))
    site: Mapped[str] = mapped_column(Text, default="")


class ForensicCase(RecordMixin, Base):
    __tablename__ = "forensic_cases"
    __table_args__ = (
        Index("ix_forensic_cases_force_reference", "owning_force", "reference", unique=True),
    )
    record_kind = "forensic-case"

    reference: Mapped[str] = mapped_column(String(64))
    offence_code: Mapped[str] = mapped_column(String(16))  # e.g. "RTA5A", a HO class "92A"
    offence: Mapped[str] = mapped_column(Text)
    # under-investigation / charged / awaiting-trial / convicted / acquitted / discontinued
    cj_status: Mapped[str] = mapped_column(String(24))
    next_hearing_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # in-custody / remanded / bailed / released / not-applicable
    custody_status: Mapped[str] = mapped_column(String(16))
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # verdict / disposal
    court: Mapped[str | None] = mapped_column(String(16), nullable=True)  # magistrates / crown
    officer_in_charge: Mapped[str] = mapped_column(Text)
    subject_label: Mapped[str] = mapped_column(Text)  # the suspect or defendant, as known
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ForensicExhibit(RecordMixin, Base):
    __tablename__ = "forensic_exhibits"
    __table_args__ = (
        Index("ix_forensic_exhibits_force_reference", "owning_force", "reference", unique=True),
    )
    record_kind = "forensic-exhibit"

    case_id: Mapped[int] = mapped_column(ForeignKey("forensic_cases.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    exhibit_type: Mapped[str] = mapped_column(String(24))  # blood, urine, drug-exhibit …
    test_requested: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_providers.id"), nullable=True, index=True
    )
    laboratory_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_laboratories.id"), nullable=True
    )
    analyst: Mapped[str | None] = mapped_column(Text, nullable=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    tested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reported_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    remaining_quantity: Mapped[str | None] = mapped_column(String(40), nullable=True)  # decimal
    remaining_unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    storage_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class ExhibitResult(Base):
    """One version of one analyte's result on one exhibit: append-only, hash-chained.

    A correction is a new version with ``amendment_reason``; a retest's result is a new
    row with ``retest_id`` set. ``seq`` and the hashes belong to the exhibit's one chain,
    shared with its custody events (:mod:`harmwatch.forensics.chain`).
    """

    __tablename__ = "forensic_results"
    __table_args__ = (Index("ix_forensic_results_exhibit_seq", "exhibit_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("forensic_exhibits.id"))
    seq: Mapped[int] = mapped_column(Integer)  # position in the exhibit's chain
    analyte: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # of this analyte on this exhibit
    value: Mapped[str] = mapped_column(String(40))  # decimal as text; "<LOQ" kept as given
    unit: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(Text, default="")
    uncertainty: Mapped[str | None] = mapped_column(String(40), nullable=True)  # ± in unit
    reported_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    retest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class CustodyEvent(Base):
    """One movement or handling of an exhibit: append-only, hash-chained with its results."""

    __tablename__ = "forensic_custody_events"
    __table_args__ = (Index("ix_forensic_custody_exhibit_seq", "exhibit_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("forensic_exhibits.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it happened
    action: Mapped[str] = mapped_column(String(24))  # seized, sealed, transferred, received …
    handled_by: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    seal_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    condition: Mapped[str] = mapped_column(String(24), default="intact")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class LabIncident(Base):
    """A laboratory incident: which provider, laboratory, tests and analysts, over which dates."""

    __tablename__ = "forensic_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    provider_id: Mapped[int] = mapped_column(ForeignKey("forensic_providers.id"))
    laboratory_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_laboratories.id"), nullable=True
    )
    tests: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; empty: every test
    analysts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; empty: every analyst
    window_from: Mapped[date] = mapped_column(Date)
    window_to: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    # The Forensic Science Regulator's Code of Practice notifications: JSON list of
    # {"to", "on", "reference"} as they are made.
    regulator_notifications: Mapped[str] = mapped_column(Text, default="[]")
    declared_on: Mapped[date] = mapped_column(Date)
    declared_by: Mapped[str] = mapped_column(Text)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)


class Retest(RecordMixin, Base):
    """One retest of one exhibit for one incident: requested → sent → resulted → compared."""

    __tablename__ = "forensic_retests"
    record_kind = "forensic-retest"

    exhibit_id: Mapped[int] = mapped_column(ForeignKey("forensic_exhibits.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_incidents.id"), nullable=True, index=True
    )
    state: Mapped[str] = mapped_column(String(16))  # requested, sent, resulted, compared
    requested_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_providers.id"), nullable=True
    )
    laboratory_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_laboratories.id"), nullable=True
    )
    result_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # forensic_results.id
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # unchanged/changed/…
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    threshold: Mapped[str | None] = mapped_column(Text, nullable=True)  # the limit judged by
    # no-action / discontinue / reopen-s142 / refer-appeal / refer-ccrc
    disposition: Mapped[str | None] = mapped_column(String(16), nullable=True)
    disposition_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class CaseNotification(Base):
    """A notification to the CPS, the defence or the court about an affected case."""

    __tablename__ = "forensic_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("forensic_cases.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("forensic_incidents.id"), nullable=True
    )
    recipient: Mapped[str] = mapped_column(String(16))  # cps, defence, court
    due_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)
