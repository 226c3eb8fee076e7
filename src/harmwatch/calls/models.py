"""The calls room's record: one imported call-data file, the unit the record policy scopes.

Call-data rows are far too many for the records database; they live in the
analytics store's ``calls`` table (declared personal, read only through the
kernel's bulk gate). What the policy needs — whose force and unit the data
belongs to, who may see it, how long it is kept, under which authority it was
obtained — is held once per file here, as a kernel record. Every query of the rows
is limited to the files whose records the caller may see, so restricting, sharing
or erasing a file's record does the same to its rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from harmwatch.kernel.records import RecordMixin
from harmwatch.storage.models import Base, UTCDateTime


class CallDataImport(RecordMixin, Base):
    __tablename__ = "call_data_imports"
    __table_args__ = (Index("ix_call_data_imports_file_id", "file_id", unique=True),)
    record_kind = "call-data-import"

    #: The key of the file's rows in the analytics store (``calls.file_id``).
    file_id: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    spec_name: Mapped[str] = mapped_column(Text)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    #: ipa-part3 | warrant | pace-download (see :mod:`harmwatch.calls.authority`).
    legal_basis: Mapped[str] = mapped_column(String(24))
    authority_ref: Mapped[str] = mapped_column(Text)
    rows_loaded: Mapped[int] = mapped_column(BigInteger)
    first_event: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_event: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The synthetic generator's files say so here, and every page showing them does.
    synthetic: Mapped[bool] = mapped_column(default=False)


class CallDataParty(Base):
    """One party (number, sender or IMEI) of one imported file, with how many rows name it.

    The file's index of who is in it, kept beside its record in the records database so
    that a subject access request or a review finds every file that names a person's
    number — the rows themselves are in DuckDB, which the kernel's subject search does
    not reach. It holds keys and counts only, and goes when the file's record goes.
    """

    __tablename__ = "call_data_parties"
    __table_args__ = (Index("ix_call_data_parties_party", "party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("call_data_imports.id"), index=True)
    party: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # msisdn, intl, short, alpha, other, imei
    rows: Mapped[int] = mapped_column(BigInteger)
