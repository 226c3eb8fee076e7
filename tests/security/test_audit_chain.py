"""The access log: fields, append-only triggers, hash chain, tamper detection, concurrency,
queries and exports. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from harmwatch.security import audit
from harmwatch.security.audit import GENESIS_HASH, AuditError, VerifyResult
from harmwatch.security.audit_key import ChainKey, existing_key, key_file_for
from harmwatch.storage.records import session_scope


def _fill(engine: Engine, n: int = 6) -> None:
    with session_scope(engine) as db:
        for i in range(1, n + 1):
            audit.record(
                db,
                actor=f"user{i % 2}",
                action="consultation" if i % 3 == 0 else "alteration",
                target=f"lsoa:E0100{i}",
                details={"i": i, "filters": {"force": "hertfordshire"}},
                justification="Op Sceptre briefing" if i % 3 == 0 else None,
                client="127.0.0.1 pytest",
            )


def _verify(engine: Engine) -> VerifyResult:
    with session_scope(engine) as db:
        return audit.verify(db)


def _key(engine: Engine) -> ChainKey:
    with session_scope(engine) as db:
        key, _ = existing_key(db)
    assert key is not None
    return key


def _bypass_triggers(conn: Any) -> None:
    """What an attacker with database access does first: switch the protection off."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))


def test_entry_has_every_field_and_links_to_the_previous(records_engine: Engine) -> None:
    before = datetime.now(UTC)
    with session_scope(records_engine) as db:
        first = audit.record(
            db,
            actor="ian",
            action="consultation",
            target="query: nominal 'J SMITH'",
            outcome="ok",
            details={"results": 3, "when": datetime(2025, 1, 1, tzinfo=UTC)},
            justification="Intelligence request 25/1234",
            client="10.1.2.3 Firefox/128",
        )
        second = audit.record(db, actor="ian", action="alteration", target="record:42")
    after = datetime.now(UTC)
    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.entry_hash
    with session_scope(records_engine) as db:
        (got,) = audit.query(db, action="consultation")
    assert got.at.tzinfo == UTC and before <= got.at <= after
    assert (got.actor, got.action, got.target, got.outcome, got.client) == (
        "ian",
        "consultation",
        "query: nominal 'J SMITH'",
        "ok",
        "10.1.2.3 Firefox/128",
    )
    assert got.details == {"results": 3, "when": "2025-01-01 00:00:00+00:00"}
    assert got.justification == "Intelligence request 25/1234"
    key = _key(records_engine)
    assert got.entry_hash == audit.compute_entry_hash(got, key.secret) == first.entry_hash
    assert got.entry_hash != audit.compute_entry_hash(got)  # keyed, not a plain hash
    assert key.keyed_from == 1 and key.path is not None and key.path.stat().st_mode & 0o077 == 0
    result = _verify(records_engine)
    assert result == VerifyResult(True, 2, None, "", second.entry_hash, 0, str(key.path))


def test_timestamps_keep_microseconds(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmwatch.storage import models

    at = datetime(2025, 10, 26, 1, 30, 0, 654321, tzinfo=UTC)
    monkeypatch.setattr(models, "utcnow", lambda: at)
    with session_scope(records_engine) as db:
        audit.record(db, actor="a", action="consultation")
    with session_scope(records_engine) as db:
        assert audit.query(db)[0].at == at
    assert _verify(records_engine).ok


def test_entry_needs_actor_and_action(records_engine: Engine) -> None:
    with session_scope(records_engine) as db:
        with pytest.raises(AuditError, match="actor"):
            audit.record(db, actor=" ", action="consultation")
        with pytest.raises(AuditError, match="action"):
            audit.record(db, actor="a", action="")


def test_awkward_text_is_stored_so_the_hash_still_verifies(records_engine: Engine) -> None:
    with session_scope(records_engine) as db:
        audit.record(
            db,
            actor="nul\x00name",
            action="sign-in-failed",
            target="lone \ud800 surrogate, emoji 🚓, Welsh ŵ",
            details={"typed": "\x00\ud800"},
            client="ua\x00",
        )
    result = _verify(records_engine)
    assert result.ok, result.reason


def test_empty_log_verifies(records_engine: Engine) -> None:
    where = key_file_for(records_engine.url)
    assert _verify(records_engine) == VerifyResult(True, 0, None, "", GENESIS_HASH, 0, str(where))
    assert where is not None and not where.exists()  # made by the first entry, not by reading


def test_triggers_refuse_update_and_delete(records_engine: Engine) -> None:
    _fill(records_engine, 3)
    for statement in (
        "UPDATE audit_log SET details = '{}' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
        "DELETE FROM audit_chain_head",
        "UPDATE audit_chain_head SET last_id = 1",
    ):
        with (
            pytest.raises(DBAPIError, match=r"refused|may only advance"),
            records_engine.begin() as conn,
        ):
            conn.execute(text(statement))
    if records_engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="TRUNCATE refused"), records_engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert _verify(records_engine).checked == 3


def test_editing_a_row_behind_the_triggers_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(text("UPDATE audit_log SET details = :d WHERE id = 4"), {"d": '{"i":99}'})
    result = _verify(records_engine)
    assert (result.ok, result.checked, result.first_broken_id) == (False, 3, 4)
    assert "content hash mismatch at entry 4" in result.reason


def test_deleting_a_middle_row_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    result = _verify(records_engine)
    assert (result.ok, result.first_broken_id) == (False, 3)
    assert "gap in ids: entry 3 is missing (entry 2 is followed by entry 4)" in result.reason


def test_deleting_the_first_row_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id = 1"))
    result = _verify(records_engine)
    assert (result.ok, result.first_broken_id) == (False, 1)
    assert "the start of the log is followed by entry 2" in result.reason


def test_cutting_entries_off_the_end_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id >= 5"))
    result = _verify(records_engine)
    assert (result.ok, result.checked, result.first_broken_id) == (False, 4, 5)
    assert "entries 5-6 missing at the end" in result.reason


def test_emptying_the_chain_head_is_named(records_engine: Engine) -> None:
    _fill(records_engine, 2)
    with records_engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_chain_head_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_chain_head DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM audit_chain_head"))
    result = _verify(records_engine)
    assert not result.ok and "chain head row is missing" in result.reason
    with session_scope(records_engine) as db, pytest.raises(AuditError, match="chain head"):
        audit.record(db, actor="a", action="consultation")


def test_swapping_two_rows_contents_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    columns = [
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
    ]
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        rows = {
            r.id: r._mapping
            for r in conn.execute(text("SELECT * FROM audit_log WHERE id IN (2, 5)"))
        }
        # entry_hash is unique: park row 2 on a placeholder first.
        conn.execute(text("UPDATE audit_log SET entry_hash = 'x' WHERE id = 2"))
        for target, source in ((5, 2), (2, 5)):
            sets = ", ".join(f"{c} = :{c}" for c in columns)
            conn.execute(
                text(f"UPDATE audit_log SET {sets} WHERE id = :id"),
                {**{c: rows[source][c] for c in columns}, "id": target},
            )
    result = _verify(records_engine)
    assert (result.ok, result.first_broken_id) == (False, 2)
    assert "prev_hash mismatch at entry 2" in result.reason


def test_swapping_only_the_details_of_two_rows_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        d2, d5 = (
            conn.execute(text(f"SELECT details FROM audit_log WHERE id = {i}")).scalar()
            for i in (2, 5)
        )
        conn.execute(text("UPDATE audit_log SET details = :d WHERE id = 2"), {"d": d5})
        conn.execute(text("UPDATE audit_log SET details = :d WHERE id = 5"), {"d": d2})
    result = _verify(records_engine)
    assert (result.ok, result.first_broken_id) == (False, 2)
    assert "content hash mismatch at entry 2" in result.reason


def test_reordering_rows_by_swapping_ids_is_named(records_engine: Engine) -> None:
    _fill(records_engine)
    with records_engine.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(text("UPDATE audit_log SET id = 1000 WHERE id = 3"))
        conn.execute(text("UPDATE audit_log SET id = 3 WHERE id = 4"))
        conn.execute(text("UPDATE audit_log SET id = 4 WHERE id = 1000"))
    result = _verify(records_engine)
    assert (result.ok, result.first_broken_id) == (False, 3)
    assert "prev_hash mismatch at entry 3" in result.reason


def test_a_rolled_back_append_leaves_no_gap(records_engine: Engine) -> None:
    _fill(records_engine, 2)
    with pytest.raises(RuntimeError), session_scope(records_engine) as db:
        audit.record(db, actor="a", action="erasure", target="record:1")
        raise RuntimeError("the action failed")
    with session_scope(records_engine) as db:
        assert audit.record(db, actor="a", action="consultation").id == 3
    assert _verify(records_engine).ok


@pytest.mark.parametrize("threads", [8])
def test_concurrent_writers_do_not_fork_the_chain(records_engine: Engine, threads: int) -> None:
    per_thread = 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with session_scope(records_engine) as db:
                    # A read first, as a web request does, then the append.
                    db.execute(text("SELECT count(*) FROM users")).scalar()
                    audit.record(db, actor=f"w{k}", action="consultation", target=str(i))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors[0]
    result = _verify(records_engine)
    assert result.ok, result.reason
    assert result.checked == threads * per_thread
    with session_scope(records_engine) as db:
        entries = audit.query(db, limit=None)
    assert sorted(e.id for e in entries) == list(range(1, threads * per_thread + 1))
    assert len({e.prev_hash for e in entries}) == len(entries)  # no two share a parent


def test_query_filters_newest_first(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmwatch.storage import models

    start = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    ticks = iter(start + timedelta(hours=h) for h in range(100))
    monkeypatch.setattr(models, "utcnow", lambda: next(ticks))
    _fill(records_engine)
    with session_scope(records_engine) as db:
        assert [e.id for e in audit.query(db)] == [6, 5, 4, 3, 2, 1]
        assert [e.id for e in audit.query(db, limit=2)] == [6, 5]
        assert [e.id for e in audit.query(db, actor="user0")] == [6, 4, 2]
        assert [e.id for e in audit.query(db, action="consultation")] == [6, 3]
        assert [e.id for e in audit.query(db, since=start + timedelta(hours=2))] == [6, 5, 4, 3]
        assert [e.id for e in audit.query(db, until=start + timedelta(hours=2))] == [2, 1]
        naive = datetime(2025, 5, 1, 13, 0)  # naive means UTC
        assert [e.id for e in audit.query(db, since=naive, until=naive + timedelta(hours=1))] == [2]
        assert [e.id for e in audit.query(db, text="E01005")] == [5]
        assert [e.id for e in audit.query(db, text="op SCEPTRE")] == [6, 3]
        assert [e.id for e in audit.query(db, text="HERTFORDSHIRE", actor="user1")] == [5, 3, 1]
        assert audit.query(db, text="100%") == []  # % is literal, not a wildcard


def test_export_csv_and_jsonl(records_engine: Engine) -> None:
    _fill(records_engine, 3)
    with session_scope(records_engine) as db:
        audit.record(db, actor='=HYPERLINK("http://x")', action="sign-in-failed", target="@SUM(1)")
        entries = list(audit.iter_entries(db))
    assert [e.id for e in entries] == [1, 2, 3, 4]
    buf = io.StringIO()
    assert audit.export_csv(entries, buf) == 4
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == list(audit.EXPORT_FIELDS)
    assert rows[0]["justification"] == "" and rows[2]["justification"] == "Op Sceptre briefing"
    assert rows[3]["actor"].startswith("'=") and rows[3]["target"] == "'@SUM(1)"
    assert rows[0]["at"].endswith("Z") and len(rows[0]["at"]) == len("2025-01-01T00:00:00.000000Z")

    out = io.StringIO()
    assert audit.export_jsonl(entries, out) == 4
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[3]["actor"] == '=HYPERLINK("http://x")'  # exact in JSON lines
    # An exported log can be re-verified without the database, by whoever holds the key.
    secret = _key(records_engine).secret
    prev = GENESIS_HASH
    for line in lines:
        fields = {k: v for k, v in line.items() if k != "entry_hash"}
        assert fields["prev_hash"] == prev
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest() == line["entry_hash"]
        prev = line["entry_hash"]


# -- the chain key --------------------------------------------------------------------


def _switch_off_every_trigger(conn: Any) -> None:
    """An attacker rewriting the chain switches off the head's guard as well as the log's."""
    if conn.dialect.name == "sqlite":
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        for (name,) in names.fetchall():
            conn.execute(text(f'DROP TRIGGER "{name}"'))
    else:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("ALTER TABLE audit_chain_head DISABLE TRIGGER USER"))


def _rechain(engine: Engine, start: int, secret: bytes | None) -> None:
    """Recompute the hashes from entry ``start`` on, as an attacker who edited it would."""
    with session_scope(engine) as db:
        entries = list(audit.iter_entries(db))
    prev = entries[start - 2].entry_hash if start > 1 else GENESIS_HASH
    with engine.begin() as conn:
        _switch_off_every_trigger(conn)
        for entry in entries[start - 1 :]:
            entry.prev_hash = prev
            digest = audit.compute_entry_hash(entry, secret)
            conn.execute(
                text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE id = :i"),
                {"p": prev, "h": digest, "i": entry.id},
            )
            prev = digest
        conn.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})
        if conn.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_chain_head ENABLE TRIGGER USER"))


def _edit_target(engine: Engine, entry_id: int, target: str) -> None:
    with engine.begin() as conn:
        _switch_off_every_trigger(conn)
        conn.execute(
            text("UPDATE audit_log SET target = :t WHERE id = :i"), {"t": target, "i": entry_id}
        )
        if conn.dialect.name != "sqlite":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_chain_head ENABLE TRIGGER USER"))


def test_an_edit_rechained_without_the_key_is_caught(records_engine: Engine) -> None:
    _fill(records_engine, 5)
    _edit_target(records_engine, 3, "lsoa:nothing-to-see")
    _rechain(records_engine, 3, secret=None)  # every link and plain hash recomputed
    result = _verify(records_engine)
    assert not result.ok and result.first_broken_id == 3
    assert "content hash mismatch at entry 3" in result.reason
    # What the key protects: the same rewrite made *with* the key passes, so the key
    # file must be kept from whoever administers the database.
    _rechain(records_engine, 3, secret=_key(records_engine).secret)
    assert _verify(records_engine).ok


def test_entries_from_before_the_key_verify_as_unkeyed(records_engine: Engine) -> None:
    # A log written by a version that did not key the chain: plain hashes, no key file.
    _fill(records_engine, 3)
    _rechain(records_engine, 1, secret=None)
    key_path = _key(records_engine).path
    assert key_path is not None
    key_path.unlink()
    _fill(records_engine, 2)  # the upgrade's first entries make a key from entry 4 on
    key = _key(records_engine)
    assert key.keyed_from == 4
    result = _verify(records_engine)
    assert result.ok and result.checked == 5 and result.unkeyed == 3
    # Passing a keyed entry off as an unkeyed one does not work: keyed_from is in the file.
    _edit_target(records_engine, 4, "edited")
    _rechain(records_engine, 4, secret=None)
    assert _verify(records_engine).first_broken_id == 4


def test_a_missing_key_file_is_named(records_engine: Engine) -> None:
    _fill(records_engine, 2)
    key_path = _key(records_engine).path
    assert key_path is not None
    key_path.unlink()
    result = _verify(records_engine)
    assert not result.ok and result.first_broken_id == 1
    assert "key file" in result.reason and str(key_path) in result.reason
    # Nothing is logged under a new key: it would fork the chain (fail closed).
    with session_scope(records_engine) as db, pytest.raises(AuditError, match="key file"):
        audit.record(db, actor="a", action="consultation")
    assert not key_path.exists()


def test_a_key_file_of_another_log_is_refused(records_engine: Engine) -> None:
    _fill(records_engine, 1)
    key_path = _key(records_engine).path
    assert key_path is not None
    data = json.loads(key_path.read_text())
    data["keyed_from"] = 50  # as if made for a log that already had 49 entries
    key_path.write_text(json.dumps(data))
    with session_scope(records_engine) as db, pytest.raises(AuditError, match="another"):
        audit.record(db, actor="a", action="consultation")
    for junk in ("not json", "[1, 2]", '{"format": "harmwatch-audit-key/1", "secret": "ab"}'):
        key_path.write_text(junk)
        assert "cannot be used" in _verify(records_engine).reason, junk
