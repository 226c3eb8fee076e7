"""The records kernel's gate to bulk personal data in the analytics store.

Call-data records and a force's own crime records will be millions of rows in the
DuckDB store, not records in the records database, so the record policy's SQL
cannot scope them; instead the store reads a personal table only through
:meth:`~harmwatch.storage.analytics.AnalyticsStore.read_sensitive`, which asks a
:class:`~harmwatch.storage.analytics.SensitiveAccess` first. :class:`BulkAccess` is
that checker: the caller's role must hold the capability the owning room declared
for the table (``Room.bulk_tables``; an undeclared table is closed to everyone), a
justification is required as for any consultation of personal data, and the read
is logged with its row count — a refusal as ``denied``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import RecordType
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.rooms import installed_rooms
from harmwatch.kernel.work import Entry, Work, log_alone


def bulk_capability(table: str) -> Capability | None:
    """The capability a room declared for reading ``table``; None when no room did."""
    for room in installed_rooms():
        if table in room.bulk_tables:
            return room.bulk_tables[table]
    return None


class BulkAccess:
    """Checks and logs one principal's reads of personal tables (a ``SensitiveAccess``)."""

    def __init__(
        self,
        engine: Engine,
        principal: Principal,
        *,
        justification: str | None,
        client: str = "",
        capability_for: Callable[[str], Capability | None] = bulk_capability,
    ) -> None:
        self.engine = engine
        self.principal = principal
        self.client = client
        self.capability_for = capability_for
        self.justification = resolve(principal, justification, what="reading bulk personal data")

    def _entry(self, table: str, purpose: str, **details: object) -> Entry:
        return Entry(
            AuditAction.CONSULTATION,
            RecordRef("store", table),
            {"purpose": purpose, **details},
            self.justification,
        )

    def check(self, table: str, purpose: str) -> None:
        capability = self.capability_for(table)
        if capability is None or not capability.granted(self.principal.role):
            needs = capability.name if capability else "a capability no room declares"
            log_alone(
                self.engine,
                self.principal,
                self.client,
                self._entry(table, purpose, needs=needs),
                Outcome.DENIED,
            )
            raise PolicyDenied(f"your role ({self.principal.role}) may not read {table}")

    def log(self, table: str, rows: int, purpose: str) -> None:
        log_alone(
            self.engine,
            self.principal,
            self.client,
            self._entry(table, purpose, rows=rows),
            Outcome.OK,
        )


def purge_files_without_records(
    engine: Engine,
    store: Any,
    principal: Principal,
    *,
    model: type[Any],
    files_table: str,
    rows_table: str,
    what: str,
    client: str = "",
) -> dict[str, int]:
    """Delete the rows of every stored file whose kernel record has been erased (by review).

    An erasure runs in the records database and cannot reach DuckDB in its transaction,
    so it leaves a file's rows stored but unreachable (every read needs the record).
    This finishes it: files in ``files_table`` with no record of ``model`` lose their
    rows (``rows_table``) and their entry, in one DuckDB transaction, logged as an
    erasure with the file ids and row counts — no content. Only the data protection
    officer, who carries out reviews, may run it. ``what`` names the data in messages.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from harmwatch.kernel import policy
    from harmwatch.kernel.capabilities import SUBJECT_ACCESS
    from harmwatch.kernel.work import outside_change

    if store.read_only:
        raise ValueError("the analytics store is open read-only; open it read-write to purge")
    with outside_change(
        engine, principal, AuditAction.ERASURE, RecordRef("store", rows_table), client=client
    ) as change:
        if not SUBJECT_ACCESS.granted(principal.role):
            raise PolicyDenied(
                f"your role ({principal.role}) does not carry out reviews; the data protection "
                f"officer purges erased {what}"
            )
        with Session(engine) as db:
            kept = set(
                db.scalars(
                    policy.privileged(
                        select(model.file_id),
                        "every file with a record is kept, whoever may see it",
                    )
                )
            )
        con = store.room_connection((rows_table, files_table), scoped_by="purge: no record")
        stored = {str(f) for (f,) in con.execute(f"SELECT file_id FROM {files_table}").fetchall()}
        gone = sorted(stored - kept)
        purged: dict[str, int] = {}
        if gone:
            con.execute("BEGIN TRANSACTION")
            try:
                for file_id in gone:
                    row = con.execute(
                        f"SELECT count(*) FROM {rows_table} WHERE file_id = ?", [file_id]
                    ).fetchone()
                    purged[file_id] = int(row[0]) if row else 0
                    con.execute(f"DELETE FROM {rows_table} WHERE file_id = ?", [file_id])
                    con.execute(f"DELETE FROM {files_table} WHERE file_id = ?", [file_id])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        change.details.update(files=gone[:100], rows=sum(purged.values()))
        return purged


def import_files_each(
    engine: Engine,
    principal: Principal,
    paths: Sequence[Path],
    *,
    record_type: RecordType,
    what: str,
    details: dict[str, Any],
    import_one: Callable[[Path, Callable[[Any], None]], Any],
    record: Callable[[Work, Any, Path, str], Any],
    repair: Callable[[Work, Any, Path, str], Any],
    unit: str | None = None,
    client: str = "",
) -> list[Any]:
    """Import files of bulk personal data one by one, each with its kernel record.

    Every room whose rows live in the analytics store (call data, force records)
    imports the same way. The role must hold the record type's write capability (a
    refusal is logged). Per file, in one unit of work: the owning unit is chosen and
    the policy asked whether the caller may collect into it; ``import_one(path,
    before_commit)`` writes and checks the rows in DuckDB and calls ``before_commit``
    before DuckDB commits, where ``record(work, outcome, path, unit)`` adds the file's
    record — so a failure to record rolls the rows back. A file already stored whose
    record is missing (a failed last commit, a records database set up afresh) gets it
    back from ``repair``. The first refused file stops the run; its error says which
    files before it were stored (each is whole on its own).
    """
    from harmwatch.kernel import policy
    from harmwatch.kernel.work import unit_of_work
    from harmwatch.sources.csvfiles import ImportRefused

    if not record_type.write.granted(principal.role):
        with unit_of_work(
            engine, principal, AuditAction.COLLECTION, RecordRef(record_type.kind, "*"),
            client=client,
        ):  # fmt: skip
            raise PolicyDenied(f"your role ({principal.role}) may not import {what}")
    done: list[Any] = []
    for path in (Path(p) for p in paths):
        with unit_of_work(
            engine, principal, AuditAction.COLLECTION, RecordRef(record_type.kind, "new"),
            client=client, details={"file": path.name, **details},
        ) as work:  # fmt: skip
            owner = unit or (sorted(principal.units)[0] if principal.units else "")
            policy.require_collect(principal, record_type, principal.force, owner)

            def before_commit(
                outcome: Any, work: Work = work, path: Path = path, owner: str = owner
            ) -> None:
                work.target(record(work, outcome, path, owner).ref)

            try:
                outcome = import_one(path, before_commit)
            except ImportRefused as refused:
                if done:
                    stored = ", ".join(Path(d.path).name for d in done)
                    raise type(refused)(
                        f"{refused.summary} (files before it were imported: {stored})",
                        refused.problems,
                        refused.more,
                    ) from None
                raise
            if outcome.already_imported:
                work.details["already_imported"] = outcome.file_id
                repaired = repair(work, outcome, path, owner)
                if repaired is not None:
                    work.target(repaired.ref)
                    outcome.notes.append("its record was missing and has been restored")
            work.details.update(rows=outcome.rows, file_id=outcome.file_id, sha256=outcome.sha256)
        done.append(outcome)
    return done
