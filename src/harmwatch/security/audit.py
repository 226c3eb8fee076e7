"""The access log: who did what, to which record or query, when, from where, and why.

Data Protection Act 2018 Part 3 s.62 requires logs of collection, alteration,
consultation, disclosure, combination and erasure in automated processing systems,
showing the justification, date and time and, as far as possible, who did it. The
log must be trustworthy, so it is

- **append-only**: database triggers (created by the migration) refuse UPDATE and
  DELETE on ``audit_log`` on SQLite and PostgreSQL (and TRUNCATE on PostgreSQL);
- **hash-chained**: each entry stores ``prev_hash`` (the previous entry's hash, or
  :data:`~harmwatch.storage.models.GENESIS_HASH` for the first) and ``entry_hash``, the
  SHA-256 of a canonical JSON of its fields and ``prev_hash``. Someone with direct
  database access who drops the triggers and edits, deletes or reorders rows breaks
  the chain, and :func:`verify` names the first broken entry;
- **keyed**: the hash is an HMAC-SHA256 under a secret kept in a key file outside
  the database (:mod:`harmwatch.security.audit_key`), so someone who can write to
  the database but not read that file cannot recompute a chain they edited;
- **serialised**: appends lock the one-row chain head (``SELECT … FOR UPDATE`` on
  PostgreSQL; every SQLite transaction starts ``BEGIN IMMEDIATE``), and entry ids come
  from the head, not a sequence, so two writers cannot both extend the same entry and a
  rolled-back append leaves no gap.

An entry is written in the caller's transaction, so an action and its log entry
commit (or roll back) together.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from harmwatch.security.audit_key import (
    KEY_FILE_ENV,
    AuditKeyError,
    existing_key,
    key_for_append,
)
from harmwatch.storage import models
from harmwatch.storage.models import GENESIS_HASH, AuditChainHead, AuditEntry

__all__ = [
    "EXPORT_FIELDS",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditError",
    "VerifyResult",
    "compute_entry_hash",
    "entry_dict",
    "export_csv",
    "export_jsonl",
    "iter_entries",
    "query",
    "record",
    "verify",
]

EXPORT_FIELDS = (
    "id",
    "at",
    "actor",
    "action",
    "target",
    "outcome",
    "details",
    "justification",
    "client",
    "prev_hash",
    "entry_hash",
)

# Cells a spreadsheet would run as a formula. Usernames typed at sign-in and search
# text reach the log from outside, and the CSV export is opened in Excel.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_VERIFY_BATCH = 1000


class AuditError(ValueError):
    """An entry cannot be recorded as given (missing actor or action)."""


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found. ``first_broken_id`` and ``reason`` are set when not ``ok``.

    ``last_hash`` is the hash of the last entry checked: write it down somewhere the
    database's administrators cannot edit, and a later rewrite of the whole chain
    (which a hash chain alone cannot reveal) shows as a different value.
    """

    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str
    last_hash: str = GENESIS_HASH
    # Entries checked with a plain hash only: written before the chain was keyed, or
    # all of them when the key file is missing. Someone with database access could
    # have rewritten those without it showing.
    unkeyed: int = 0
    key_file: str | None = None


def _clean(value: str) -> str:
    """Text both databases store exactly: no NUL (PostgreSQL refuses it), valid UTF-8."""
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: dict[str, Any] | None) -> str:
    """The stored (and hashed) form of ``details``: sorted keys, no spaces, ASCII only."""
    return json.dumps(
        details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )


def compute_entry_hash(entry: AuditEntry, secret: bytes | None = None) -> str:
    """HMAC-SHA256 under ``secret`` (hex) of the entry's canonical JSON: every field, its id
    and ``prev_hash``. Without a secret, plain SHA-256: how entries were chained before
    the key existed."""
    fields = entry_dict(entry)
    del fields["entry_hash"]  # the hash covers everything but itself
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    if secret is None:
        return hashlib.sha256(payload.encode("ascii")).hexdigest()
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).hexdigest()


def record(
    db: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    justification: str | None = None,
    client: str = "",
) -> AuditEntry:
    """Append one entry to the access log in the caller's transaction and return it.

    ``actor`` is a username or ``cli:<os user>``; ``target`` the record or query acted on;
    ``justification`` the reason the user gave (required by the caller for searches of
    sensitive data); ``client`` the IP address and user agent, or ``cli``. The chain head
    stays locked until the caller commits, so keep the transaction short after this.
    """
    actor = _clean(actor.strip())
    action = _clean(action.strip())
    outcome = _clean(outcome.strip())
    if not actor:
        raise AuditError("an access-log entry needs an actor (who did it)")
    if not action or len(action) > 64:
        raise AuditError(f"an access-log entry needs an action of 1-64 characters, not {action!r}")
    if not outcome or len(outcome) > 32:
        raise AuditError(f"an access-log outcome must be 1-32 characters, not {outcome!r}")
    head = db.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        raise AuditError(
            "the access log's chain head is missing: the records database was not migrated "
            "(records.upgrade) or has been tampered with"
        )
    try:
        found, where = existing_key(db)
        if found is None and head.last_id > 0:
            last = db.get(AuditEntry, head.last_id)
            if last is not None and compute_entry_hash(last) != last.entry_hash:
                # The log is keyed already, with a key this process cannot find (deleted,
                # or another app server's): a new key would fork the chain.
                raise AuditKeyError(
                    f"the access log is keyed but its key file ({where or 'in memory'}) is "
                    f"missing here; nothing can be logged until it is restored (on several app "
                    f"servers, point {KEY_FILE_ENV} at the same key file on each)"
                )
        key = key_for_append(db, head.last_id + 1)
    except AuditKeyError as exc:
        raise AuditError(str(exc)) from exc
    entry = AuditEntry(
        id=head.last_id + 1,
        at=models.utcnow(),
        actor=actor,
        action=action,
        target=_clean(target),
        outcome=outcome,
        details_json=canonical_details(details),
        justification=None if justification is None else _clean(justification),
        client=_clean(client),
        prev_hash=head.last_hash,
    )
    entry.entry_hash = compute_entry_hash(entry, key.secret)
    db.add(entry)
    head.last_id = entry.id
    head.last_hash = entry.entry_hash
    db.flush()
    return entry


def verify(db: Session) -> VerifyResult:
    """Check the whole chain from the first entry: ids, links and content hashes.

    Stops at the first problem and names it: a gap in ids (a deleted row; the missing
    id is reported), a ``prev_hash`` that is not the previous entry's hash (rows
    reordered or replaced), a content hash mismatch (a row edited), or entries cut off
    the end (the chain head records more than the table holds).
    """
    # Read the head first: every entry up to it is committed, so entries appended
    # while this runs cannot be mistaken for a cut-off end.
    head = db.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        return VerifyResult(
            False, 0, None, "the chain head row is missing (audit_chain_head was emptied)"
        )
    head_id, head_hash = head.last_id, head.last_hash
    try:
        key, key_path = existing_key(db)
    except AuditKeyError as exc:
        return VerifyResult(False, 0, None, str(exc))
    where = str(key_path) if key_path else None
    unkeyed = 0
    checked = 0
    expected_id = 1
    prev_hash = GENESIS_HASH
    hash_at_head: str | None = GENESIS_HASH if head_id == 0 else None
    rows = db.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=_VERIFY_BATCH)
    ).scalars()
    try:
        for entry in rows:
            secret = key.secret if key is not None and entry.id >= key.keyed_from else None
            problem = _check_entry(entry, expected_id, prev_hash, secret)
            if problem is not None:
                broken_id, reason = problem
                if key is None and compute_entry_hash(entry) != entry.entry_hash:
                    reason += (
                        f"; or the entry is keyed and its key file ({where or 'in memory'}) "
                        "is missing"
                    )
                return VerifyResult(False, checked, broken_id, reason, prev_hash, unkeyed, where)
            checked += 1
            unkeyed += secret is None
            prev_hash = entry.entry_hash
            expected_id = entry.id + 1
            if entry.id == head_id:
                hash_at_head = entry.entry_hash
    finally:
        rows.close()
    if expected_id - 1 < head_id:
        first_missing = expected_id
        return VerifyResult(
            False,
            checked,
            first_missing,
            f"entries {first_missing}-{head_id} missing at the end of the log "
            f"(the chain head records {head_id} entries; the log ends at {expected_id - 1})",
            prev_hash,
            unkeyed,
            where,
        )
    if hash_at_head != head_hash:
        return VerifyResult(
            False,
            checked,
            head_id,
            f"entry {head_id}'s hash differs from the hash the chain head recorded for it",
            prev_hash,
            unkeyed,
            where,
        )
    return VerifyResult(True, checked, None, "", prev_hash, unkeyed, where)


def _check_entry(
    entry: AuditEntry, expected_id: int, prev_hash: str, secret: bytes | None
) -> tuple[int, str] | None:
    if entry.id != expected_id:
        if entry.id > expected_id:
            missing = (
                f"entry {expected_id} is missing"
                if entry.id == expected_id + 1
                else f"entries {expected_id}-{entry.id - 1} are missing"
            )
            after = f"entry {expected_id - 1}" if expected_id > 1 else "the start of the log"
            return expected_id, f"gap in ids: {missing} ({after} is followed by entry {entry.id})"
        return entry.id, f"gap in ids: entry {entry.id} is out of order (expected {expected_id})"
    if entry.prev_hash != prev_hash:
        before = f"entry {entry.id - 1}'s hash" if entry.id > 1 else "the genesis value"
        return entry.id, (
            f"prev_hash mismatch at entry {entry.id}: it does not link to {before} "
            "(rows reordered, replaced or edited)"
        )
    if not hmac.compare_digest(compute_entry_hash(entry, secret), entry.entry_hash):
        return entry.id, (
            f"content hash mismatch at entry {entry.id}: its fields were changed after it was written"
        )
    return None


def _filtered(
    *,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    text: str | None,
) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= _aware(since))
    if until is not None:
        stmt = stmt.where(AuditEntry.at < _aware(until))
    if text:
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (
                        AuditEntry.actor,
                        AuditEntry.target,
                        AuditEntry.details_json,
                        AuditEntry.justification,
                        AuditEntry.client,
                        AuditEntry.outcome,
                    )
                )
            )
        )
    return stmt


def _aware(value: datetime) -> datetime:
    """Naive datetimes from forms and the command line are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def query(
    db: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    limit: int | None = 500,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first, at most ``limit`` (None: all).

    ``actor`` and ``action`` match exactly; ``since`` is inclusive and ``until``
    exclusive (naive values are UTC); ``text`` is a case-insensitive substring of the
    actor, target, details, justification, client or outcome.
    """
    stmt = _filtered(actor=actor, action=action, since=since, until=until, text=text)
    stmt = stmt.order_by(AuditEntry.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.scalars(stmt))


def iter_entries(
    db: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
) -> Iterator[AuditEntry]:
    """Like :func:`query` but oldest first, unlimited and streamed (for exports)."""
    stmt = _filtered(actor=actor, action=action, since=since, until=until, text=text)
    result = db.execute(
        stmt.order_by(AuditEntry.id).execution_options(yield_per=_VERIFY_BATCH)
    ).scalars()
    try:
        yield from result
    finally:
        result.close()


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain values (``at`` as ISO 8601 UTC, ``details`` as stored JSON text)."""
    return {
        "id": entry.id,
        "at": _format_at(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "details": entry.details_json,
        "justification": entry.justification,
        "client": entry.client,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(entries: Iterable[AuditEntry], fh: IO[str]) -> int:
    """Write entries as CSV with a header row; returns how many were written.

    Cells that a spreadsheet would run as a formula (starting ``= + - @``, tab or CR)
    get a leading ``'``, so values are shown as text, not executed. Use
    :func:`export_jsonl` for an exact copy that can be re-verified.
    """
    writer = csv.writer(fh)
    writer.writerow(EXPORT_FIELDS)
    n = 0
    for entry in entries:
        row = entry_dict(entry)
        writer.writerow([_csv_cell(row[field]) for field in EXPORT_FIELDS])
        n += 1
    return n


def export_jsonl(entries: Iterable[AuditEntry], fh: IO[str]) -> int:
    """Write entries as JSON lines, exactly as stored (hashes recomputable); returns the count."""
    n = 0
    for entry in entries:
        fh.write(json.dumps(entry_dict(entry), ensure_ascii=False) + "\n")
        n += 1
    return n
