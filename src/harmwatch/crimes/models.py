"""The force-records room's record: one imported RMS export, the unit the policy scopes.

The crimes themselves live in the analytics store's ``force_crimes`` table (declared
personal: exact places and times of crimes are personal data of victims and
suspects); what the record policy needs — the owning force and unit, who may see the
rows, how long they are kept — is held once per file here, as a kernel record. Every
read of the rows is limited to the files whose records the caller may see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class ForceRecordsImport(RecordMixin, Base):
    __tablename__ = "force_records_imports"
    __table_args__ = (Index("ix_force_records_imports_file_id", "file_id", unique=True),)
    record_kind = "force-records-import"

    #: The key of the file's rows in the analytics store (``force_crimes.file_id``).
    file_id: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    spec_name: Mapped[str] = mapped_column(Text)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    rows_loaded: Mapped[int] = mapped_column(BigInteger)
    rows_counted: Mapped[int] = mapped_column(BigInteger)
    first_committed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_committed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The synthetic generator's exports say so here, and every output from them does.
    synthetic: Mapped[bool] = mapped_column(default=False)
