"""The intelligence room's tables: graded reports (with versions), entities, links and their sources.

Every table that says something about a person is a record (:class:`RecordMixin`):
it carries the envelope — owning force and unit, restriction, handling code, review
date — so the kernel's policy, access log and review serve it like any other. The
two side tables (a link's sources, an entity's merge history, watches, grants of
full text) hold only ids and are read through the records they point at.

Reports keep every version: an edit writes a new row with the same ``lineage`` and
marks the old one not current; links cite a report by its lineage, so a regraded
report regrades the links resting on it, and the old grade stays readable.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class IntelligenceReport(RecordMixin, Base):
    __tablename__ = "intel_reports"
    __table_args__ = (
        UniqueConstraint("owning_force", "reference", "version", name="uq_intel_reports_version"),
        Index("ix_intel_reports_lineage", "lineage"),
    )
    record_kind = "intelligence-report"

    reference: Mapped[str] = mapped_column(String(64))
    lineage: Mapped[int] = mapped_column(Integer)  # the id of the first version
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    change_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "3x5x2", or "5x5x5" for a legacy grade imported as it was (never converted).
    scheme: Mapped[str] = mapped_column(String(8))
    source_evaluation: Mapped[str] = mapped_column(String(2))
    intelligence_assessment: Mapped[str] = mapped_column(String(2))
    legacy_handling: Mapped[str | None] = mapped_column(String(2), nullable=True)
    sanitised_text: Mapped[str] = mapped_column(Text)
    # The unsanitised text: shown only to intelligence officers and analysts granted it.
    full_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    originator: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    information_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    nim_level: Mapped[int] = mapped_column(Integer)


class IntelligenceEntity(RecordMixin, Base):
    __tablename__ = "intel_entities"
    __table_args__ = (Index("ix_intel_entities_kind_key", "entity_kind", "match_key"),)
    record_kind = "intelligence-entity"

    entity_kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text)
    # The normalised key entity resolution matches on: E.164, the IMEI's first 14
    # digits, a VRM without spaces, a postcode, a person's sorted name tokens.
    match_key: Mapped[str] = mapped_column(String(128))
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    attributes_json: Mapped[str] = mapped_column("attributes", Text, default="{}")
    # Set when merged into another entity: hidden from the graph, kept for undo.
    merged_into: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def attributes(self) -> dict[str, Any]:
        value = json.loads(self.attributes_json or "{}")
        return value if isinstance(value, dict) else {}


class IntelligenceLink(RecordMixin, Base):
    __tablename__ = "intel_links"
    record_kind = "intelligence-link"

    from_entity: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"), index=True)
    to_entity: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"), index=True)
    link_kind: Mapped[str] = mapped_column(String(32))
    strength: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class LinkSource(Base):
    """A report (by lineage) a link rests on. Read only through the link and the report."""

    __tablename__ = "intel_link_sources"

    link_id: Mapped[int] = mapped_column(ForeignKey("intel_links.id"), primary_key=True)
    report_lineage: Mapped[int] = mapped_column(Integer, primary_key=True)


class EntityMerge(Base):
    """A merge an officer made (or undid), with the evidence they saw: kept for undo and review."""

    __tablename__ = "intel_entity_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"))
    merged: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"))
    decision: Mapped[str] = mapped_column(String(16))  # merged / rejected
    evidence: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_by: Mapped[str | None] = mapped_column(Text, nullable=True)


class EntityWatch(Base):
    """An officer watching an entity, told when a new report or import mentions it."""

    __tablename__ = "intel_watches"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class WatchAlert(Base):
    __tablename__ = "intel_watch_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("intel_entities.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("intel_reports.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen: Mapped[bool] = mapped_column(Boolean, default=False)


class FullTextGrant(Base):
    """An analyst granted the unsanitised text of reports (analysts see sanitised text only)."""

    __tablename__ = "intel_full_text_grants"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted_by: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
