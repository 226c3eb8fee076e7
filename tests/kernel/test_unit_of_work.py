"""One unit of work: a change and its access-log entry commit together or not at all.

Failures are injected into each half, on SQLite and on a real PostgreSQL server:
the log write fails → the change is rolled back; the change fails → no "ok" entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from sample_records import person
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import outside_change, unit_of_work
from harmwatch.security import accounts, audit
from harmwatch.security.audit import AuditError

pytestmark = pytest.mark.usefixtures("fast_hashing")
ADMIN = person("root", role=accounts.Role.ADMIN)
PASSWORD = "a long enough password"


def _users(engine: Engine) -> list[str]:
    with Session(engine) as db:
        return [u.username for u in accounts.list_users(db)]


def _log(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as db:
        return [(e.action, e.target, e.outcome) for e in audit.iter_entries(db)]


def _create(engine: Engine, name: str) -> None:
    with unit_of_work(
        engine, ADMIN, AuditAction.COLLECTION, RecordRef("user", name), details={"role": "analyst"}
    ) as work:
        accounts.create_user(work.db, name, "analyst", PASSWORD)


def test_the_change_and_its_entry_commit_together(records_engine: Engine) -> None:
    _create(records_engine, "amy")
    assert _users(records_engine) == ["amy"]
    assert _log(records_engine) == [("collection", "user:amy", "ok")]
    with Session(records_engine) as db:
        entry = next(audit.iter_entries(db))
    assert entry.actor == "root" and entry.details == {"role": "analyst"}


def test_log_write_fails_so_the_change_is_rolled_back(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise AuditError("injected: the access log cannot be written")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(AuditError, match="injected"):
        _create(records_engine, "amy")
    monkeypatch.undo()
    assert _users(records_engine) == []  # the account was not kept without its entry
    assert _log(records_engine) == []
    with Session(records_engine) as db:
        assert audit.verify(db).ok


def test_commit_fails_so_nothing_is_kept(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = Session.commit
    calls = {"n": 0}

    def failing_commit(self: Session) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("injected: the database went away at commit")
        real_commit(self)

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(RuntimeError, match="injected"):
        _create(records_engine, "amy")
    monkeypatch.undo()
    assert _users(records_engine) == []
    # The failure itself was logged, in its own transaction, as an error (type only).
    assert _log(records_engine) == [("collection", "user:amy", "error")]


def test_change_fails_so_no_ok_entry_and_the_refusal_is_logged(records_engine: Engine) -> None:
    with (
        pytest.raises(accounts.AccountError, match="password too short"),
        unit_of_work(
            records_engine, ADMIN, AuditAction.COLLECTION, RecordRef("user", "amy")
        ) as work,
    ):
        accounts.create_user(work.db, "amy", "analyst", "short")
    assert _users(records_engine) == []
    assert _log(records_engine) == [("collection", "user:amy", "refused")]
    with Session(records_engine) as db:
        assert "password too short" in next(audit.iter_entries(db)).details["error"]


def test_a_defect_in_the_change_is_logged_as_an_error_without_its_text(
    records_engine: Engine,
) -> None:
    with (
        pytest.raises(ZeroDivisionError),
        unit_of_work(
            records_engine, ADMIN, AuditAction.ALTERATION, RecordRef("user", "amy")
        ) as work,
    ):
        accounts.create_user(work.db, "amy", "analyst", PASSWORD)
        _ = 1 / 0
    assert _users(records_engine) == []
    with Session(records_engine) as db:
        entry = next(audit.iter_entries(db))
    assert (entry.outcome, entry.details["error"]) == ("error", "ZeroDivisionError")


def test_extra_entries_share_the_transaction(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit.record
    seen: list[str] = []

    def fail_second(*args: Any, **kwargs: Any) -> Any:
        seen.append(str(kwargs["target"]))
        if len(seen) == 2:
            raise AuditError("injected: the second entry cannot be written")
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", fail_second)
    with (
        pytest.raises(AuditError),
        unit_of_work(
            records_engine, ADMIN, AuditAction.COLLECTION, RecordRef("user", "amy")
        ) as work,
    ):
        accounts.create_user(work.db, "amy", "analyst", PASSWORD)
        work.also(AuditAction.CONSULTATION, RecordRef("user", "*"))
    monkeypatch.undo()
    assert _users(records_engine) == []
    assert ("collection", "user:amy", "ok") not in _log(records_engine)


def test_a_change_outside_the_records_database_logs_intent_then_outcome(
    records_engine: Engine,
) -> None:
    with outside_change(
        records_engine, ADMIN, AuditAction.COLLECTION, RecordRef("store", "police-uk")
    ) as change:
        change.details["rows_loaded"] = 10
    with (
        pytest.raises(accounts.AccountError),
        outside_change(records_engine, ADMIN, AuditAction.ERASURE, RecordRef("boundary", "b1")),
    ):
        raise accounts.AccountError("injected refusal")
    assert _log(records_engine) == [
        ("collection", "store:police-uk", "started"),
        ("collection", "store:police-uk", "ok"),
        ("erasure", "boundary:b1", "started"),
        ("erasure", "boundary:b1", "refused"),
    ]
