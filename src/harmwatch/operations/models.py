"""The operations room's records: operations, their results, and the street-price tables.

An operation and each of its results (a warrant, an arrest, a charge, a seizure, a
line closed …) is a kernel record: its envelope says whose it is, who may see it and
how long it is kept, so the record policy, the access log, subject access and review
serve it like any other. A result's own fields differ by kind (a warrant has premises
and an outcome, a charge a person and offence codes); they are declared once per
kind as a :class:`~harmwatch.kernel.forms.Form` (:mod:`harmwatch.operations.results`)
and held as checked JSON in ``fields``, so that adding a kind is a declaration, not a
migration, and every kind is imported, exported and corrected by the same code.

Price tables are not personal data: a version is never changed once written (an edit
writes the next version), and a seizure's valuation names the version it used, so a
later price change never rewrites a past figure.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class Operation(RecordMixin, Base):
    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_force_name", "owning_force", "name", unique=True),)
    record_kind = "operation"

    name: Mapped[str] = mapped_column(String(120))
    lead_force: Mapped[str] = mapped_column(String(64))
    partner_forces: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of force slugs
    partner_agencies: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    aims: Mapped[str] = mapped_column(Text, default="")
    # Intelligence entities (OCGs, county lines) the operation targets: JSON list of ids.
    linked_entities: Mapped[str] = mapped_column(Text, default="[]")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class OperationResult(RecordMixin, Base):
    __tablename__ = "operation_results"
    __table_args__ = (Index("ix_operation_results_kind_day", "result_kind", "occurred_on"),)
    record_kind = "operation-result"

    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id"), nullable=True, index=True
    )
    result_kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    force: Mapped[str] = mapped_column(String(64))  # where it happened (a partner force's)
    officer: Mapped[str] = mapped_column(Text)  # officer in the case: name or collar number
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)  # custody, warrant no.
    fields: Mapped[str] = mapped_column(Text, default="{}")  # the kind's checked fields, JSON
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class PriceTable(Base):
    """One version of a street-price table (prices per unit by drug, form and region)."""

    __tablename__ = "price_tables"
    __table_args__ = (Index("ix_price_tables_name_version", "name", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    force: Mapped[str] = mapped_column(String(64))  # "" for a table every force may use
    source: Mapped[str] = mapped_column(Text)  # where the prices come from, as published
    valid_from: Mapped[date] = mapped_column(Date)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class PriceEntry(Base):
    __tablename__ = "price_entries"
    __table_args__ = (
        Index("ix_price_entries_lookup", "table_id", "drug", "form", "region", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("price_tables.id"))
    drug: Mapped[str] = mapped_column(String(64))
    form: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))  # "national" or a region's name
    unit: Mapped[str] = mapped_column(String(16))  # g, kg, tablet, plant, wrap, ml
    low_pence: Mapped[int] = mapped_column(BigInteger)  # per unit
    high_pence: Mapped[int] = mapped_column(BigInteger)


class SeizureValuation(Base):
    """One valuation of a drug seizure against one price-table version; never changed.

    A revaluation adds a row; the latest is the seizure's current value and the
    earlier ones stay, so a figure published last year can still be shown as it was.
    """

    __tablename__ = "seizure_valuations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("operation_results.id"), index=True)
    price_table_id: Mapped[int] = mapped_column(ForeignKey("price_tables.id"))
    price_entry_id: Mapped[int] = mapped_column(ForeignKey("price_entries.id"))
    quantity: Mapped[str] = mapped_column(String(40))  # in the entry's unit, as a decimal
    low_pence: Mapped[int] = mapped_column(BigInteger)
    high_pence: Mapped[int] = mapped_column(BigInteger)
    valued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valued_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)  # "on entry", or why it was revalued
