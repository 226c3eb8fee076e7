"""What the calls room declares to the kernel: its record type (one per imported file).

Call data is intelligence: the same roles read and write it as intelligence
(``read-intelligence``: intelligence officers and analysts; ``write-intelligence``:
intelligence officers), the same need-to-know applies (a restricted import is seen
by its unit and the units it is shared with), and every read is logged with its
justification. Everyone else is refused, and the refusal logged ``denied``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from harmwatch.intelligence.kinds import READ_INTELLIGENCE, WRITE_INTELLIGENCE
from harmwatch.kernel.records import RecordType, SubjectTerms

from .models import CallDataImport


def _import_match(model: type[CallDataImport], terms: SubjectTerms) -> Any:
    # A subject's number appears in the rows, not the file record; the record is matched
    # by its reference and name only (the rows are searched through the calls room).
    needles = [t for t in (terms.name, *terms.identifiers) if t]
    if not needles:
        return false()
    return or_(*(model.authority_ref.icontains(n, autoescape=True) for n in needles))


CALL_IMPORTS = RecordType(
    kind="call-data-import",
    model=CallDataImport,
    title="call-data imports",
    read=READ_INTELLIGENCE,
    write=WRITE_INTELLIGENCE,
    subject_match=_import_match,
    describe=lambda r: f"call data {r.file_name} ({r.rows_loaded:,} rows, {r.authority_ref})",
)
