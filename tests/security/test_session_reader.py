"""The web app's session reader: the same answer as the ORM lookup, read afresh every time."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from harmwatch.security import accounts, sessions
from harmwatch.security.roles import Role
from harmwatch.security.sessions import (
    IDLE_TIMEOUT,
    LAST_SEEN_RESOLUTION,
    Lookup,
    SessionReader,
    Touch,
)
from harmwatch.storage.models import User
from harmwatch.storage.records import read_only, session_scope

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _signed_in(engine: Engine, name: str = "olivia") -> tuple[User, str]:
    with session_scope(engine) as db:
        accounts.create_user(db, "root", Role.ADMIN, "an admin password")
        user = accounts.create_user(db, name, Role.ANALYST, "an analyst password")
        accounts.set_units(db, name, "hertfordshire", ["unit-b", "unit-a"])
    with session_scope(engine) as db:
        user = db.get_one(User, user.id)
        token, _ = sessions.start_session(db, user, client="10.0.0.5 Firefox")
    return user, token


def _orm(engine: Engine, token: str | None) -> Lookup:
    with session_scope(read_only(engine)) as db:
        return sessions.lookup_session(db, token)


def test_the_reader_reads_a_sqlite_file_directly(records_engine: Engine) -> None:
    # The direct path is the one the tests below check against the ORM's on SQLite.
    assert SessionReader(records_engine).direct is (records_engine.dialect.name == "sqlite")


def test_the_reader_agrees_with_the_orm_lookup_as_the_clock_moves(
    records_engine: Engine, clock: Any
) -> None:
    _, token = _signed_in(records_engine)
    reader = SessionReader(records_engine)
    seen: list[Lookup] = []
    for step in (timedelta(0), LAST_SEEN_RESOLUTION, IDLE_TIMEOUT):
        clock.advance(step)
        found = reader.lookup(token)
        assert found == _orm(records_engine, token)
        seen.append(found)
    fresh, stale, expired = seen
    assert fresh.info is not None and fresh.touch is Touch.NONE
    assert fresh.info.units == frozenset({"unit-a", "unit-b"})
    assert fresh.info.force == "hertfordshire" and fresh.info.role is Role.ANALYST
    assert stale.info == fresh.info and stale.touch is Touch.LAST_SEEN
    assert expired.info is None and expired.touch is Touch.DELETE


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 10_000])
def test_unknown_tokens_read_as_no_session(records_engine: Engine, token: str | None) -> None:
    _signed_in(records_engine)
    assert SessionReader(records_engine).lookup(token) == Lookup(None)


def test_changes_committed_elsewhere_show_on_the_very_next_read(records_engine: Engine) -> None:
    user, token = _signed_in(records_engine)
    reader = SessionReader(records_engine)
    for _ in range(3):  # read before, so the reader's connection is open and has read it
        found = reader.lookup(token)
        assert found.info is not None and found.info.role is Role.ANALYST
    with session_scope(records_engine) as db:
        accounts.set_role(db, "olivia", Role.PCC_VIEWER)
    found = reader.lookup(token)
    assert found.info is not None and found.info.role is Role.PCC_VIEWER
    with session_scope(records_engine) as db:
        sessions.set_purpose(db, token, "operation Nightjar")
    found = reader.lookup(token)
    assert found.info is not None and found.info.purpose == "operation Nightjar"
    with session_scope(records_engine) as db:
        db.get_one(User, user.id).disabled = True
    assert reader.lookup(token).info is None
    with session_scope(records_engine) as db:
        db.get_one(User, user.id).disabled = False
    assert reader.lookup(token).info is not None
    with session_scope(records_engine) as db:
        sessions.end_session(db, token)
    assert reader.lookup(token) == Lookup(None)


def test_each_thread_reads_through_a_read_only_connection(records_engine: Engine) -> None:
    if records_engine.dialect.name != "sqlite":
        pytest.skip("the direct read is SQLite's")
    _, token = _signed_in(records_engine)
    reader = SessionReader(records_engine)
    assert reader.lookup(token).info is not None
    mine = reader._connection()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        mine.execute("DELETE FROM login_sessions")
    assert not mine.in_transaction  # nothing holds a snapshot between requests
    theirs: list[Any] = []
    worker = threading.Thread(
        target=lambda: theirs.append((reader._connection(), reader.lookup(token)))
    )
    worker.start()
    worker.join(10)
    ((connection, found),) = theirs
    assert connection is not mine and found == reader.lookup(token)
