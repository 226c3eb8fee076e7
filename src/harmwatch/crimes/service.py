"""The force-records room's verbs through the records kernel: import and read, scoped and logged.

**Import** is a collection, one unit of work per file: the rows (DuckDB) and the
file's kernel record are written so that neither stands without the other (the
record is added before DuckDB commits; see :func:`import_files`).

**Reading** goes through :func:`reading`, which every analysis on ``--source
force-records`` runs inside (hotspots, emerging hotspots, forecasts, patrol plans,
change, evaluation, reconciliation). It checks the caller's role, resolves the
justification for exact data, chooses the files the record policy lets the caller
see, and hands the store a :class:`Grant` — the files, and whether the caller may
have exact points or only aggregates. The grant is held in a context variable for
the length of the analysis, so the library's analyses (which take a database path
and a request, as they do for open data) need no new argument, and a read of
force records outside :func:`reading` is refused, not served. One access-log entry
names the files, the question and how many crimes were read.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

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

from . import importer
from .importer import FileImport
from .kinds import (
    AGGREGATE_CELL_M,
    FORCE_RECORDS_IMPORTS,
    READ_FORCE_RECORDS,
    VIEW_FORCE_RECORD_AGGREGATES,
)
from .models import ForceRecordsImport

TABLES = ("force_crimes", "force_crime_files")
SCOPE = "rows of the force-records files whose import records the caller may see (crimes.service)"
ALL_FILES = RecordRef(FORCE_RECORDS_IMPORTS.kind, "*")
SYNTHETIC_LABEL = "SYNTHETIC force records (harmwatch synth force-records), not real crimes"


class NoForceRecords(InputError):
    """No file of force records is one the caller may see (none imported, or none theirs)."""


class ForceRecordsAccessError(policy.PolicyDenied):
    """Force records were asked for outside :func:`reading`, or beyond the grant."""


@dataclass
class Grant:
    """What one reading may have: which files, exact or aggregate, and what it read."""

    file_ids: tuple[str, ...]
    exact: bool
    synthetic: bool
    files: tuple[str, ...] = ()  # the files' names, for the source line of every output
    crimes_read: int = 0
    questions: list[str] = field(default_factory=list)

    @property
    def min_cell(self) -> float:
        """The finest cell an analysis may use: none for exact data (0)."""
        return 0.0 if self.exact else AGGREGATE_CELL_M

    def source_text(self) -> str:
        """The one line every output on force records carries."""
        listed = ", ".join(self.files[:3]) + (
            f" and {len(self.files) - 3} more" if len(self.files) > 3 else ""
        )
        # A viewer of aggregates may not read the files' records, so not their names either.
        named = f": {listed}" if self.exact else ""
        text = f"source: the force's own crime records ({len(self.file_ids)} file(s){named})"
        if not self.exact:
            text += (
                f"; aggregates only — each crime is counted in its {AGGREGATE_CELL_M:g} m cell, "
                "no exact place or reference is given"
            )
        if self.synthetic:
            text += f". {SYNTHETIC_LABEL}"
        return text


_GRANT: contextvars.ContextVar[Grant | None] = contextvars.ContextVar(
    "force_records_grant", default=None
)


def active_grant() -> Grant | None:
    """The grant of the reading in progress, if any."""
    return _GRANT.get()


def current_grant() -> Grant:
    """The grant of the reading in progress; refused when there is none."""
    grant = _GRANT.get()
    if grant is None:
        raise ForceRecordsAccessError(
            "a force's own crime records are read only through harmwatch.crimes.service.reading, "
            "which checks who is asking and logs the read; sign in (--as) to use "
            "--source force-records"
        )
    return grant


@dataclass(frozen=True)
class ImportTerms:
    """How the imported files are held: owner unit, need-to-know, handling, retention."""

    unit: str | None = None
    restriction: Restriction = Restriction.FORCE
    handling: Handling = field(default_factory=lambda: Handling(HandlingCode.P))
    retention: str = "mopi-3"
    synthetic: bool = False


def visible_imports(db: Session, principal: Principal) -> list[ForceRecordsImport]:
    """The files whose records the policy lets ``principal`` see (exact readers)."""
    return list(
        db.scalars(
            policy.scope(
                principal,
                select(ForceRecordsImport).order_by(ForceRecordsImport.id),
                ForceRecordsImport,
            )
        )
    )


def aggregate_imports(db: Session, principal: Principal) -> list[ForceRecordsImport]:
    """The files a viewer of aggregates counts: every file of the viewer's own force.

    A PCC oversees the whole force, so the counts are the force's whatever unit holds
    the file; what is withheld is the detail (points, references), not the files.
    """
    return list(
        db.scalars(
            policy.privileged(
                select(ForceRecordsImport)
                .where(ForceRecordsImport.owning_force == principal.force)
                .order_by(ForceRecordsImport.id),
                "a viewer of aggregates counts every file of their force; no row leaves the store",
            )
        )
    )


def file_json(row: ForceRecordsImport) -> dict[str, Any]:
    """One imported file as the API and the command line show it: provenance, no rows."""
    return {
        "ref": str(row.ref),
        "file_id": row.file_id,
        "file_name": row.file_name,
        "rows": row.rows_loaded,
        "rows_counted": row.rows_counted,
        "first_committed_utc": row.first_committed.isoformat() if row.first_committed else None,
        "last_committed_utc": row.last_committed.isoformat() if row.last_committed else None,
        "spec_name": row.spec_name,
        "sha256": row.sha256,
        "imported_by": row.created_by,
        "imported_at": row.created_at.isoformat(),
        "force": row.owning_force,
        "unit": row.owning_unit,
        "restriction": row.restriction,
        "synthetic": row.synthetic,
    }


@contextmanager
def reading(
    engine: Engine,
    principal: Principal,
    *,
    what: str,
    justification: str | None = None,
    client: str = "",
    exact: bool | None = None,
) -> Iterator[Grant]:
    """A scoped, logged reading of force records for the analyses run inside it.

    ``exact`` None: exact when the role may have it, else aggregates. Asking for
    exact data without the capability is refused (and logged ``denied``).
    """
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, ALL_FILES, client=client,
        details={"question": what},
    ) as work:  # fmt: skip
        may_exact = READ_FORCE_RECORDS.granted(principal.role)
        if exact is None:
            exact = may_exact
        if exact and not may_exact:
            raise policy.PolicyDenied(
                f"your role ({principal.role}) may not read exact force records; aggregates only"
            )
        if not VIEW_FORCE_RECORD_AGGREGATES.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not read force records")
        if exact:
            work.justify(resolve(principal, justification, what=f"reading force records ({what})"))
            imports = visible_imports(work.db, principal)
        else:
            imports = aggregate_imports(work.db, principal)
        if not imports:
            raise NoForceRecords(
                "no force crime records are loaded that you may see; import an RMS export "
                "first (harmwatch crimes import FILE --spec SPEC)"
            )
        grant = Grant(
            file_ids=tuple(i.file_id for i in imports),
            exact=bool(exact),
            synthetic=any(i.synthetic for i in imports),
            files=tuple(i.file_name for i in imports),
        )
        work.details["files"] = [str(i.ref) for i in imports][:50]
        work.details["exact"] = grant.exact
        token = _GRANT.set(grant)
        try:
            yield grant
        finally:
            _GRANT.reset(token)
            work.details["crimes_read"] = grant.crimes_read
            if grant.questions:
                work.details["reads"] = grant.questions[:20]


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
    says which file was refused and that the ones before it were stored.
    """
    if store.read_only:
        raise ValueError("the analytics store is open read-only; open it read-write to import")
    con = store.room_connection(TABLES, scoped_by=SCOPE)
    synthetic = terms.synthetic or bool(spec.options.get("synthetic", False))
    return import_files_each(
        engine, principal, paths, record_type=FORCE_RECORDS_IMPORTS,
        what="force crime records", client=client, unit=terms.unit,
        details={"spec": spec.name},
        import_one=lambda path, before_commit: importer.import_file(
            con, path, spec, force=principal.force, imported_by=principal.actor,
            synthetic=synthetic, progress=progress, before_commit=before_commit,
        ),
        record=lambda work, outcome, path, unit: _record(
            work, principal, outcome, path, spec, terms, unit, synthetic
        ),
        repair=lambda work, outcome, path, unit: _repair(
            work, principal, con, outcome, path, spec, terms, unit, synthetic
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
    synthetic: bool,
) -> ForceRecordsImport:
    row = ForceRecordsImport(
        file_id=outcome.file_id,
        file_name=path.name,
        sha256=outcome.sha256,
        size_bytes=outcome.size_bytes,
        spec_name=spec.name,
        spec_sha256=spec.sha256 or "",
        rows_loaded=outcome.rows,
        rows_counted=outcome.counted,
        first_committed=_aware(outcome.first_committed),
        last_committed=_aware(outcome.last_committed),
        synthetic=synthetic,
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
    return row


def _repair(
    work: Work,
    principal: Principal,
    con: Any,
    outcome: FileImport,
    path: Path,
    spec: ImportSpec,
    terms: ImportTerms,
    unit: str,
    synthetic: bool,
) -> ForceRecordsImport | None:
    """The record of stored rows whose record is missing (a records database set up
    afresh, or a commit of the records database that failed after DuckDB's): without it
    the rows are invisible to everyone, so importing the same file again restores it."""
    exists = work.db.scalar(
        policy.privileged(
            select(ForceRecordsImport.id).where(ForceRecordsImport.file_id == outcome.file_id),
            "an import of stored rows must not make a second record of them",
        )
    )
    if exists is not None:
        return None
    row = con.execute(
        "SELECT rows_loaded, first_committed, last_committed, "
        "(SELECT count(*) FROM force_crimes WHERE file_id = $1 AND counted) "
        "FROM force_crime_files WHERE file_id = $1",
        [outcome.file_id],
    ).fetchone()
    if row is None:
        raise InputError(f"{path.name}: stored rows lost their file entry; ask an administrator")
    outcome.rows, outcome.first_committed, outcome.last_committed = int(row[0]), row[1], row[2]
    outcome.counted = int(row[3])
    return _record(work, principal, outcome, path, spec, terms, unit, synthetic)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def purge_erased(
    engine: Engine, store: AnalyticsStore, principal: Principal, *, client: str = ""
) -> dict[str, int]:
    """Delete the rows of force-records files whose records a review erased (the data
    protection officer); see :func:`harmwatch.kernel.bulk.purge_files_without_records`."""
    from harmwatch.kernel.bulk import purge_files_without_records

    return purge_files_without_records(
        engine, store, principal, model=ForceRecordsImport, files_table="force_crime_files",
        rows_table="force_crimes", what="force crime records", client=client,
    )  # fmt: skip
