"""What the calls room declares to the kernel: its record type (one per imported file).

Call data is intelligence: the same roles read and write it as intelligence
(``read-intelligence``: intelligence officers and analysts; ``write-intelligence``:
intelligence officers), the same need-to-know applies (a restricted import is seen
by its unit and the units it is shared with), and every read is logged with its
justification. Everyone else is refused, and the refusal logged ``denied``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select

from harmwatch.intelligence.kinds import READ_INTELLIGENCE, WRITE_INTELLIGENCE
from harmwatch.kernel.records import RecordType, SubjectTerms

from .models import CallDataImport, CallDataParty


def _import_match(model: type[CallDataImport], terms: SubjectTerms) -> Any:
    """Files whose index names one of the subject's numbers, senders or IMEIs.

    Identifiers are keyed as the importer keys them (``07…`` and ``+447…`` are one
    number; an IMEI by its first 14 digits), so a request finds every file naming the
    person however the operator wrote it; a reference typed as an identifier matches
    the file's authority reference.
    """
    from .parties import imei_keys, party_keys

    identifiers = [t.strip() for t in terms.identifiers if t and t.strip()]
    if not identifiers:
        return false()
    keys = {k for k, _ in party_keys(identifiers)} - {"withheld"}
    keys |= {k for k, reason in imei_keys(identifiers) if k and reason is None}
    named = select(CallDataParty.import_id).where(CallDataParty.party.in_(sorted(keys)))
    return or_(
        model.id.in_(named),
        *(model.authority_ref == i for i in identifiers),
    )


def _erase_import(db: Any, record: CallDataImport) -> None:
    from sqlalchemy import delete

    db.execute(delete(CallDataParty).where(CallDataParty.import_id == record.id))


CALL_IMPORTS = RecordType(
    kind="call-data-import",
    model=CallDataImport,
    title="call-data imports",
    read=READ_INTELLIGENCE,
    write=WRITE_INTELLIGENCE,
    subject_match=_import_match,
    describe=lambda r: f"call data {r.file_name} ({r.rows_loaded:,} rows, {r.authority_ref})",
    before_erase=_erase_import,
)
