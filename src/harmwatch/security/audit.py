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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, cast

from sqlalchemy import Engine, Select, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction, Outcome, stored_actions
from harmwatch.kernel.refs import RecordRef
from harmwatch.security.audit_key import (
    KEY_FILE_ENV,
    AuditKeyError,
    existing_key,
    key_for_append,
)
from harmwatch.storage import models
from harmwatch.storage.models import GENESIS_HASH, AuditChainHead, AuditCheckpoint, AuditEntry

__all__ = [
    "EXPORT_FIELDS",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditError",
    "Checkpoint",
    "PendingEntry",
    "VerifyResult",
    "append_pending",
    "compute_entry_hash",
    "count",
    "csv_row",
    "entry_dict",
    "export_csv",
    "export_jsonl",
    "head_id",
    "iter_entries",
    "prepare",
    "query",
    "read_checkpoint",
    "record",
    "stream_entries",
    "verify",
    "verify_and_checkpoint",
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


class AuditError(UserError, ValueError):
    """The access log cannot be written (its key file is missing, an entry is malformed).

    Nothing may happen unlogged, so whatever asked for the entry is refused: the web
    answers 503 (the service cannot log, so it cannot serve) with the reason.
    """

    http_status = 503


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
    return _hash_fields(fields, secret)


def _hash_fields(fields: dict[str, Any], secret: bytes | None) -> str:
    """The hash of an entry given as :func:`entry_dict`'s values less ``entry_hash``."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    if secret is None:
        return hashlib.sha256(payload.encode("ascii")).hexdigest()
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PendingEntry:
    """An entry checked by :func:`prepare` and ready to be chained onto the log.

    Checking is apart from chaining so that a server can check each request's entry
    where the request runs, then chain many in one transaction (:func:`append_pending`):
    a malformed entry fails on its own, before it reaches anyone else's transaction.
    """

    actor: str
    action: str
    target: str
    outcome: str
    details: dict[str, Any]
    justification: str | None
    client: str


def prepare(
    *,
    actor: str,
    action: AuditAction | str,
    target: RecordRef | str = "",
    outcome: Outcome | str = Outcome.OK,
    details: dict[str, Any] | None = None,
    justification: str | None = None,
    client: str = "",
    recipient: str | None = None,
) -> PendingEntry:
    """Check an entry as :func:`record` does, without writing it (the arguments are the same)."""
    actor = _clean(actor.strip())
    if not actor:
        raise AuditError("an access-log entry needs an actor (who did it)")
    try:
        action = AuditAction(str(action).strip())
    except ValueError:
        raise AuditError(
            f"unknown access-log action {action!r}; actions are: "
            f"{', '.join(a.value for a in AuditAction)}"
        ) from None
    try:
        outcome = Outcome(str(outcome).strip())
    except ValueError:
        raise AuditError(
            f"unknown access-log outcome {outcome!r}; outcomes are: "
            f"{', '.join(o.value for o in Outcome)}"
        ) from None
    details = dict(details or {})
    if action is AuditAction.DISCLOSURE:
        details["recipient"] = recipient or actor
    elif recipient:
        details["recipient"] = recipient
    return PendingEntry(
        actor=actor,
        action=action.value,
        target=str(target),
        outcome=outcome.value,
        details=details,
        justification=justification,
        client=client,
    )


def record(
    db: Session,
    *,
    actor: str,
    action: AuditAction | str,
    target: RecordRef | str = "",
    outcome: Outcome | str = Outcome.OK,
    details: dict[str, Any] | None = None,
    justification: str | None = None,
    client: str = "",
    recipient: str | None = None,
) -> AuditEntry:
    """Append one entry to the access log in the caller's transaction and return it.

    ``actor`` is a username or ``cli:<os user>``; ``action`` one of :class:`AuditAction`
    (the s.62 categories and the sign-in events; the words used before it are refused
    for new entries, so the vocabulary cannot drift again); ``target`` the record or
    route acted on, as a :class:`RecordRef`; ``justification`` the reason given for a
    consultation or disclosure; ``client`` the IP address and user agent, or ``cli``;
    ``recipient`` who received a disclosure (s.62(2)(c); for a download, the person
    who downloaded it, which is the default). Prefer the unit of work
    (:mod:`harmwatch.kernel.work`), which calls this in the transaction of the change.
    The chain head stays locked until the caller commits, so keep the transaction short.
    """
    pending = prepare(
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        details=details,
        justification=justification,
        client=client,
        recipient=recipient,
    )
    (row,) = _chain(db, [pending])
    # The returned entry is not in the session: it is what was written, for the caller
    # to read (its id and hashes), not an object to change.
    return _entry_of(row)


# Built once: compiled and cached by SQLAlchemy, executed with plain parameters.
_HEAD_FOR_UPDATE = (
    select(AuditChainHead.last_id, AuditChainHead.last_hash)
    .where(AuditChainHead.id == 1)
    .with_for_update()
)
_INSERT_ENTRY = insert(cast(Table, AuditEntry.__table__))
_MOVE_HEAD = (
    update(cast(Table, AuditChainHead.__table__))
    .where(AuditChainHead.id == 1)
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)


def append_entry(
    db: Session,
    *,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    details: dict[str, Any],
    justification: str | None,
    client: str,
) -> AuditEntry:
    """Chain one entry onto the log as given, unchecked. Use :func:`record`; this is the
    mechanism under it (and how tests write entries as an earlier release did)."""
    pending = PendingEntry(actor, action, target, outcome, details, justification, client)
    (row,) = _chain(db, [pending])
    return _entry_of(row)


def append_pending(db: Session, entries: Sequence[PendingEntry]) -> list[int]:
    """Chain entries checked by :func:`prepare` onto the log, in order; returns their ids.

    One read of the chain head, then the inserts and the head's moves each sent as
    one batch of statements, in the caller's transaction: how the web app's writer
    logs a batch of requests.
    """
    return [int(row["id"]) for row in _chain(db, entries)] if entries else []


def _entry_of(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(**{("details_json" if k == "details" else k): v for k, v in row.items()})


def _chain(db: Session, entries: Sequence[PendingEntry]) -> list[dict[str, Any]]:
    """Chain ``entries`` after the head, write them and move the head; returns the rows."""
    # Core statements, not the ORM's unit of work: every request appends an entry, and
    # the ORM's flush machinery cost more than the rest of the append together.
    conn = db.connection()
    head = conn.execute(_HEAD_FOR_UPDATE).one_or_none()
    if head is None:
        raise AuditError(
            "the access log's chain head is missing: the records database was not migrated "
            "(records.upgrade) or has been tampered with"
        )
    last_id, last_hash = int(head.last_id), str(head.last_hash)
    try:
        found, where = existing_key(db)
        if found is None and last_id > 0:
            last = db.get(AuditEntry, last_id)
            if last is not None and compute_entry_hash(last) != last.entry_hash:
                # The log is keyed already, with a key this process cannot find (deleted,
                # or another app server's): a new key would fork the chain.
                raise AuditKeyError(
                    f"the access log is keyed but its key file ({where or 'in memory'}) is "
                    f"missing here; nothing can be logged until it is restored (on several app "
                    f"servers, point {KEY_FILE_ENV} at the same key file on each)"
                )
        key = key_for_append(db, last_id + 1)
    except AuditKeyError as exc:
        raise AuditError(str(exc)) from exc
    rows: list[dict[str, Any]] = []
    for pending in entries:
        at = models.utcnow()
        # entry_dict's values less the hash (which covers them), built directly.
        fields: dict[str, Any] = {
            "id": last_id + 1,
            "at": _format_at(at),
            "actor": pending.actor,
            "action": pending.action,
            "target": _clean(pending.target),
            "outcome": pending.outcome,
            "details": canonical_details(pending.details),
            "justification": None
            if pending.justification is None
            else _clean(pending.justification),
            "client": _clean(pending.client),
            "prev_hash": last_hash,
        }
        last_hash = fields["entry_hash"] = _hash_fields(fields, key.secret)
        last_id += 1
        fields["at"] = at  # the column takes the datetime, not its text
        rows.append(fields)
    # The head moves one entry at a time (its trigger refuses a longer step, so no
    # writer can skip ids): one UPDATE an entry, sent together as the INSERTs are.
    moves = [{"new_id": row["id"], "new_hash": row["entry_hash"]} for row in rows]
    conn.execute(_INSERT_ENTRY, rows if len(rows) > 1 else rows[0])
    conn.execute(_MOVE_HEAD, moves if len(moves) > 1 else moves[0])
    return rows


def verify(db: Session, *, start: Checkpoint | None = None) -> VerifyResult:
    """Check the chain: ids, links and content hashes, from the first entry or ``start``.

    Stops at the first problem and names it: a gap in ids (a deleted row; the missing
    id is reported), a ``prev_hash`` that is not the previous entry's hash (rows
    reordered or replaced), a content hash mismatch (a row edited), or entries cut off
    the end (the chain head records more than the table holds). Given a checkpoint
    (:func:`read_checkpoint`), only the entries after it are checked, chained on from
    the hash it vouches for: what the access-log page does on every view, cheaply.
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
    expected_id = 1 if start is None else start.verified_to + 1
    prev_hash = GENESIS_HASH if start is None else start.entry_hash
    hash_at_head: str | None = prev_hash if head_id == expected_id - 1 else None
    if head_id < expected_id - 1:
        return VerifyResult(
            False,
            0,
            head_id + 1,
            f"the chain head records {head_id} entries but a checkpoint vouched for "
            f"{expected_id - 1}: entries were cut off the end",
            prev_hash,
            0,
            where,
        )
    rows = db.execute(
        select(AuditEntry)
        .where(AuditEntry.id >= expected_id)
        .order_by(AuditEntry.id)
        .execution_options(yield_per=_VERIFY_BATCH)
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


@dataclass(frozen=True)
class Checkpoint:
    """The last entry a verification vouched for, keyed so it cannot be forged.

    ``mac`` is an HMAC under the chain key over the entry's id and hash and the time,
    so someone who can write to the database but not read the key cannot move it
    forward past entries they edited. Moving it back (or deleting it) only makes the
    next check longer.
    """

    verified_to: int
    entry_hash: str
    verified_at: datetime
    full: bool  # the check it records started from the first entry


def _checkpoint_mac(secret: bytes, verified_to: int, entry_hash: str, at: datetime) -> str:
    payload = f"checkpoint:{verified_to}:{entry_hash}:{_format_at(at)}".encode("ascii")
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def read_checkpoint(db: Session) -> Checkpoint | None:
    """The stored checkpoint if its MAC is right under the chain key; None otherwise."""
    row = db.get(AuditCheckpoint, 1)
    if row is None:
        return None
    try:
        key, _ = existing_key(db)
    except AuditKeyError:
        return None
    if key is None:
        return None
    expected = _checkpoint_mac(key.secret, row.verified_to, row.entry_hash, row.verified_at)
    if not hmac.compare_digest(expected, row.mac):
        return None  # forged or from another key: start again from the first entry
    return Checkpoint(row.verified_to, row.entry_hash, row.verified_at, row.full)


def verify_and_checkpoint(
    db: Session, *, full: bool = False
) -> tuple[VerifyResult, Checkpoint | None]:
    """Verify from the checkpoint (or, ``full``, from the first entry) and move it on.

    Returns the result and the checkpoint now standing. A broken chain leaves the
    checkpoint where it was. Keyless logs (no key file yet) get no checkpoint.
    """
    start = None if full else read_checkpoint(db)
    result = verify(db, start=start)
    previous = read_checkpoint(db)
    if not result.ok:
        return result, previous
    try:
        key, _ = existing_key(db)
    except AuditKeyError:
        return result, previous
    last_id = start.verified_to + result.checked if start else result.checked
    if key is None or last_id == 0:
        return result, previous
    now = models.utcnow()
    was_full = full or bool(start and start.full)
    row = db.get(AuditCheckpoint, 1)
    if row is None:
        row = AuditCheckpoint(id=1)
        db.add(row)
    row.verified_to = last_id
    row.entry_hash = result.last_hash
    row.verified_at = now
    row.full = was_full
    row.mac = _checkpoint_mac(key.secret, last_id, result.last_hash, now)
    db.flush()
    return result, Checkpoint(last_id, result.last_hash, now, was_full)


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
    action: AuditAction | str | None,
    since: datetime | None,
    until: datetime | None,
    text: str | None,
) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if isinstance(action, AuditAction):
        # A category finds the words logged for it before the vocabulary, too.
        stmt = stmt.where(AuditEntry.action.in_(stored_actions(action)))
    elif action:
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


def count(
    db: Session,
    *,
    actor: str | None = None,
    action: AuditAction | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    up_to: int | None = None,
) -> int:
    """How many entries match (the same filters as :func:`query`), up to entry ``up_to``."""
    stmt = _filtered(actor=actor, action=action, since=since, until=until, text=text)
    if up_to is not None:
        stmt = stmt.where(AuditEntry.id <= up_to)
    return int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def head_id(db: Session) -> int:
    """The id of the newest entry committed (0 for an empty log)."""
    head = db.get(AuditChainHead, 1, populate_existing=True)
    return int(head.last_id) if head is not None else 0


def stream_entries(
    engine: Engine,
    *,
    up_to: int,
    batch: int = _VERIFY_BATCH,
    **filters: Any,
) -> Iterator[AuditEntry]:
    """Matching entries up to ``up_to``, oldest first, read in short transactions.

    For a download of the whole log: each batch is its own transaction, because on
    SQLite every transaction takes the write lock, and holding one open while a
    client reads a large file would stall every other request's log entry.
    """
    after = 0
    while True:
        with Session(engine, expire_on_commit=False) as db:
            stmt = (
                _filtered(**filters)
                .where(AuditEntry.id > after, AuditEntry.id <= up_to)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
            rows = list(db.scalars(stmt))
            db.commit()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def _aware(value: datetime) -> datetime:
    """Naive datetimes from forms and the command line are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def query(
    db: Session,
    *,
    actor: str | None = None,
    action: AuditAction | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    limit: int | None = 500,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first, at most ``limit`` (None: all).

    ``actor`` matches exactly; ``action`` exactly as stored, or, given as an
    :class:`AuditAction`, every word stored for that category (old ones included); ``since`` is inclusive and ``until``
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
    action: AuditAction | str | None = None,
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


def csv_row(entry: AuditEntry) -> list[str]:
    """One entry as a CSV row of :data:`EXPORT_FIELDS`, formula-safe (see :func:`export_csv`)."""
    row = entry_dict(entry)
    return [_csv_cell(row[field]) for field in EXPORT_FIELDS]


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
        writer.writerow(csv_row(entry))
        n += 1
    return n


def export_jsonl(entries: Iterable[AuditEntry], fh: IO[str]) -> int:
    """Write entries as JSON lines, exactly as stored (hashes recomputable); returns the count."""
    n = 0
    for entry in entries:
        fh.write(json.dumps(entry_dict(entry), ensure_ascii=False) + "\n")
        n += 1
    return n
