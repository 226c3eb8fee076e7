"""The calls room's verbs through the records kernel: import, analyse, detect — scoped and logged.

Every verb is one unit of work: the caller's role is checked, the justification
resolved (typed for the act, or the case or operation declared for the session), the
call-data files the record policy lets the caller see are chosen, the rows of those
files only are read, and one access-log entry names the files, the question and how
many rows were returned — committed with the answer, or logged ``denied``/``refused``
when it is refused. An import is a collection: the rows (DuckDB) and the file's
record (the records database) are written so that neither stands without the other
(see :func:`import_files`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from harmwatch.engines import EngineChoice
from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.bulk import import_files_each
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.sources.importspec import ImportSpec
from harmwatch.storage.analytics import AnalyticsStore

from . import findings, importer
from .importer import Authority, FileImport
from .kinds import CALL_IMPORTS
from .models import CallDataImport, CallDataParty
from .rules import DetectionRules

T = TypeVar("T")
TABLES = ("calls", "call_files")
SCOPE = "rows of the call-data files whose import records the caller may see (calls.service)"
ALL_FILES = RecordRef(CALL_IMPORTS.kind, "*")


@dataclass(frozen=True)
class ImportTerms:
    """How the imported files are held: owner unit, need-to-know, handling, retention."""

    authority: Authority
    unit: str | None = None
    restriction: Restriction = Restriction.FORCE
    handling: Handling = field(default_factory=lambda: Handling(HandlingCode.P))
    retention: str = "intelligence"
    synthetic: bool = False


def visible_imports(db: Session, principal: Principal) -> list[CallDataImport]:
    return list(
        db.scalars(
            policy.scope(
                principal,
                select(CallDataImport).order_by(CallDataImport.id),
                CallDataImport,
            )
        )
    )


def file_json(row: CallDataImport) -> dict[str, Any]:
    """One imported file's record as the API and the command line show it: provenance,
    authority and handling, no rows."""
    basis = importer.LegalBasis(row.legal_basis)
    return {
        "ref": str(row.ref),
        "file_id": row.file_id,
        "file_name": row.file_name,
        "rows": row.rows_loaded,
        "first_event_utc": row.first_event.isoformat() if row.first_event else None,
        "last_event_utc": row.last_event.isoformat() if row.last_event else None,
        "legal_basis": basis.value,
        "legal_basis_title": basis.described,
        "authority_ref": row.authority_ref,
        "spec_name": row.spec_name,
        "sha256": row.sha256,
        "imported_by": row.created_by,
        "imported_at": row.created_at.isoformat(),
        "unit": row.owning_unit,
        "restriction": row.restriction,
        "synthetic": row.synthetic,
    }


def _begin_read(
    work: Work, principal: Principal, justification: str | None, what: str
) -> list[CallDataImport]:
    if not CALL_IMPORTS.read.granted(principal.role):
        raise policy.PolicyDenied(f"your role ({principal.role}) may not read call data")
    work.justify(resolve(principal, justification, what=what))
    imports = visible_imports(work.db, principal)
    work.details["files"] = [str(i.ref) for i in imports][:50]
    if len(imports) > 50:
        work.details["files_not_listed"] = len(imports) - 50
    return imports


def read_calls(
    engine: Engine,
    store: AnalyticsStore,
    principal: Principal,
    question: Callable[[duckdb.DuckDBPyConnection, list[str]], T],
    *,
    what: str,
    justification: str | None,
    details: dict[str, Any] | None = None,
    rows_of: Callable[[T], int] = lambda result: len(getattr(result, "rows", []) or []),
    export_to: str | None = None,
    client: str = "",
) -> T:
    """Answer ``question`` over the caller's visible call-data files, logged as one act.

    ``export_to`` set: a download (logged as a disclosure with that recipient), else a
    consultation.
    """
    action = AuditAction.DISCLOSURE if export_to else AuditAction.CONSULTATION
    with unit_of_work(
        engine, principal, action, ALL_FILES, client=client,
        details={"question": what, **(details or {})}, recipient=export_to,
    ) as work:  # fmt: skip
        imports = _begin_read(work, principal, justification, f"reading call data ({what})")
        con = store.room_connection(TABLES, scoped_by=SCOPE)
        result = question(con, [i.file_id for i in imports])
        work.details["rows"] = rows_of(result)
        return result


def detect(
    engine: Engine,
    store: AnalyticsStore,
    principal: Principal,
    *,
    justification: str | None,
    rules: DetectionRules | None = None,
    progress: findings.Progress | None = None,
    client: str = "",
    run_on: EngineChoice | None = None,
) -> findings.Detection:
    """Run deal-line detection over the caller's visible call data (one logged act).

    ``run_on`` Spark: the visible rows (and only those) are scored there; the log
    entry says which engine read them.
    """
    choice = run_on or EngineChoice()

    def question(con: duckdb.DuckDBPyConnection, files: list[str]) -> findings.Detection:
        return findings.detect(con, files, rules, progress=progress, engine=choice)

    details: dict[str, Any] = {}
    if choice.name != "duckdb":
        details["engine"] = {"name": choice.name, "master": choice.master}
        if choice.calls_parquet is not None:
            details["engine"]["calls_parquet"] = choice.calls_parquet
    return read_calls(
        engine, store, principal, question, what="county-lines detection",
        justification=justification, client=client, details=details,
        rows_of=lambda d: len(d.deal_lines) + len(d.roles),
    )  # fmt: skip


def import_files(
    engine: Engine,
    store: AnalyticsStore,
    principal: Principal,
    paths: Sequence[Path],
    spec: ImportSpec,
    terms: ImportTerms,
    *,
    progress: importer.Progress | None = None,
    client: str = "",
) -> list[FileImport]:
    """Import each file in its own transaction; stop at the first refused file.

    Files before a refused one stay imported (each is whole on its own); the error
    says which file was refused and that the ones before it were stored. Per file,
    the rows are written and checked in DuckDB, then the file's record is added to the
    records database in the same unit of work as its log entry, then DuckDB commits,
    then the records database: if the last commit failed the rows would be stored
    with no record — invisible to everyone, since every read is limited to files
    with records — and importing the file again repairs it (see :func:`_repair`).
    """
    if store.read_only:
        raise ValueError("the analytics store is open read-only; open it read-write to import")
    con = store.room_connection(TABLES, scoped_by=SCOPE)
    return import_files_each(
        engine, principal, paths, record_type=CALL_IMPORTS, what="call data", client=client,
        unit=terms.unit,
        details={"spec": spec.name, "legal_basis": terms.authority.basis.value,
                 "authority_ref": terms.authority.reference},
        import_one=lambda path, before_commit: importer.import_file(
            con, path, spec, authority=terms.authority, force=principal.force,
            imported_by=principal.actor, synthetic=terms.synthetic, progress=progress,
            before_commit=before_commit,
        ),
        record=lambda work, outcome, path, unit: _record(
            work, principal, outcome, path, spec, terms, unit
        ),
        repair=lambda work, outcome, path, unit: _repair(
            work, principal, con, outcome, path, spec, terms, unit
        ),
    )  # fmt: skip


def _record(
    work: Work,
    principal: Principal,
    outcome: FileImport,
    path: Path,
    spec: ImportSpec,
    terms: ImportTerms,
    unit: str,
) -> CallDataImport:
    row = CallDataImport(
        file_id=outcome.file_id,
        file_name=path.name,
        sha256=outcome.sha256,
        size_bytes=outcome.size_bytes,
        spec_name=spec.name,
        spec_sha256=spec.sha256 or "",
        legal_basis=terms.authority.basis.value,
        authority_ref=terms.authority.reference.strip(),
        rows_loaded=outcome.rows,
        first_event=_aware(outcome.first_event),
        last_event=_aware(outcome.last_event),
        synthetic=terms.synthetic,
        **envelope(
            principal.actor,
            owning_force=principal.force,
            owning_unit=unit,
            handling=terms.handling,
            restriction=terms.restriction,
            retention=terms.retention,
        ),
    )
    work.db.add(row)
    work.db.flush()
    if outcome.parties:
        work.db.execute(
            insert(CallDataParty),
            [
                {"import_id": row.id, "party": party[:80], "kind": kind, "rows": n}
                for party, kind, n in outcome.parties
            ],
        )
    return row


def _aware(moment: datetime | None) -> datetime | None:
    """DuckDB's UTC timestamps are naive; the records database keeps aware ones."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def _repair(
    work: Work,
    principal: Principal,
    con: duckdb.DuckDBPyConnection,
    outcome: FileImport,
    path: Path,
    spec: ImportSpec,
    terms: ImportTerms,
    unit: str,
) -> CallDataImport | None:
    exists = work.db.scalar(
        policy.privileged(
            select(CallDataImport.id).where(CallDataImport.file_id == outcome.file_id),
            "an import of stored rows must not make a second record of them",
        )
    )
    if exists is not None:
        return None
    row = con.execute(
        "SELECT rows_loaded, first_event, last_event FROM call_files WHERE file_id = ?",
        [outcome.file_id],
    ).fetchone()
    if row is None:
        raise InputError(f"{path.name}: stored rows lost their file entry; ask an administrator")
    outcome.rows, outcome.first_event, outcome.last_event = int(row[0]), row[1], row[2]
    outcome.parties = importer.party_index(con, outcome.file_id)
    return _record(work, principal, outcome, path, spec, terms, unit)


def purge_erased(
    engine: Engine, store: AnalyticsStore, principal: Principal, *, client: str = ""
) -> dict[str, int]:
    """Delete the rows of call-data files whose records a review erased (the data
    protection officer); see :func:`harmwatch.kernel.bulk.purge_files_without_records`."""
    from harmwatch.kernel.bulk import purge_files_without_records

    return purge_files_without_records(
        engine, store, principal, model=CallDataImport, files_table="call_files",
        rows_table="calls", what="call data", client=client,
    )  # fmt: skip
