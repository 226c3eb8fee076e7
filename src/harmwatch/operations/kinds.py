"""What the operations room declares to the kernel: its capabilities and record types.

Who may do what (a UK force's practice):

- ``read-operations``: the operation's records in full — people arrested and charged,
  premises, officers — for the analysts, intelligence officers and neighbourhood
  officers who run and brief operations, each read logged (and justified for results,
  which name people);
- ``write-operations``: the same roles record operations and results, import them
  from a template, correct them and export them;
- ``view-operation-summaries``: the figures only (people charged, lines closed, the
  value of drugs seized), never a name — those roles and the PCC viewer, for whom
  public statements are written;
- ``manage-price-tables``: analysts and intelligence officers load a force's own
  street-price table (a new version; past valuations keep theirs).

The administrator, the forensic reviewer and the data protection officer see no
operation records (the last reaches them through subject access and review).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import false, or_

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType, SubjectTerms
from harmwatch.security.roles import Role

from .models import Operation, OperationResult

_OPERATIONAL = {Role.ANALYST, Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER}

READ_OPERATIONS = capability(
    "read-operations",
    "read operations and their results: people arrested and charged, premises, officers",
    _OPERATIONAL,
)
WRITE_OPERATIONS = capability(
    "write-operations",
    "record, import, correct and export operations and their results",
    _OPERATIONAL,
)
VIEW_OPERATION_SUMMARIES = capability(
    "view-operation-summaries",
    "operation summaries: the figures computed from the records, never a name",
    _OPERATIONAL | {Role.PCC_VIEWER},
)
MANAGE_PRICE_TABLES = capability(
    "manage-price-tables",
    "load a force's street-price table (a new version) and revalue seizures",
    {Role.ANALYST, Role.INTELLIGENCE_OFFICER},
)


def _result_match(model: type[OperationResult], terms: SubjectTerms) -> Any:
    """A person named in a result's fields (arrested, charged, a line's holder)."""
    conditions = []
    if terms.name.strip():
        # The fields are JSON; a name is searched as it was typed inside them.
        needle = json.dumps(terms.name.strip())[1:-1]
        conditions.append(model.fields.icontains(needle, autoescape=True))
    for identifier in terms.identifiers:
        if identifier.strip():
            conditions.append(model.fields.icontains(identifier.strip(), autoescape=True))
    return or_(*conditions) if conditions else false()


def _erase_result(db: Any, record: OperationResult) -> None:
    from sqlalchemy import delete

    from .models import SeizureValuation

    db.execute(delete(SeizureValuation).where(SeizureValuation.result_id == record.id))


def _erase_operation(db: Any, record: Operation) -> None:
    from sqlalchemy import func, select

    from harmwatch.errors import UserError
    from harmwatch.kernel import policy

    results = db.scalar(
        policy.privileged(
            select(func.count())
            .select_from(OperationResult)
            .where(OperationResult.operation_id == record.id),
            "an operation cannot go while results rest on it",
        )
    )
    if results:
        raise UserError(
            f"{record.ref} has {results} result(s): review and erase them before the operation"
        )


OPERATIONS = RecordType(
    kind="operation",
    model=Operation,
    title="operations",
    read=READ_OPERATIONS,
    write=WRITE_OPERATIONS,
    # An operation's name, dates and aims are not about a person: listing them needs
    # no justification. Its results are personal (they name people).
    personal=False,
    describe=lambda r: f"operation {r.name} ({r.starts_on})",
    before_erase=_erase_operation,
)
RESULTS = RecordType(
    kind="operation-result",
    model=OperationResult,
    title="operation results",
    read=READ_OPERATIONS,
    write=WRITE_OPERATIONS,
    subject_match=_result_match,
    describe=lambda r: f"{r.result_kind} on {r.occurred_on} ({r.force})",
    before_erase=_erase_result,
)
