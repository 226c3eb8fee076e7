"""Wrong passwords at once, from many threads: the lock comes at exactly the limit.

Each attempt is its own transaction, as each sign-in of an app server is; on PostgreSQL
nothing but the accounts library's own serialisation stops two attempts from each
counting without the other's failure. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select

from harmwatch.security import accounts
from harmwatch.security.accounts import MAX_FAILURES, BadCredentials, LockedOut
from harmwatch.security.roles import Role
from harmwatch.storage.models import LoginFailure, LoginLock
from harmwatch.storage.records import session_scope

PASSWORD = "correct horse battery staple"
ATTEMPTS = 12

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _attempt(engine: Engine, password: str) -> str:
    try:
        with session_scope(engine) as db:
            accounts.authenticate(db, "alice", password, client="pytest", client_ip="10.0.0.9")
    except BadCredentials:
        return "bad"
    except LockedOut:
        return "locked"
    return "signed in"


def test_concurrent_wrong_passwords_lock_at_exactly_the_limit(records_engine: Engine) -> None:
    with session_scope(records_engine) as db:
        accounts.create_user(db, "alice", Role.ANALYST, PASSWORD)
    start = threading.Barrier(ATTEMPTS)
    answers: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(30)
            answers.append(_attempt(records_engine, "wrong password, guessed"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert Counter(answers) == {"bad": MAX_FAILURES - 1, "locked": ATTEMPTS - MAX_FAILURES + 1}
    # The right password now: refused while the lock lasts.
    assert _attempt(records_engine, PASSWORD) == "locked"
    with session_scope(records_engine) as db:
        locks = db.execute(select(LoginLock.username, LoginLock.client_ip)).all()
        assert [tuple(lock) for lock in locks] == [("alice", "10.0.0.9")]
        # The failures that made the lock were cleared with it; refusals while locked
        # are not counted.
        assert db.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_a_right_password_racing_a_lock_is_refused_once_the_lock_is_made(
    records_engine: Engine,
) -> None:
    with session_scope(records_engine) as db:
        accounts.create_user(db, "alice", Role.ANALYST, PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        assert _attempt(records_engine, "wrong password, guessed") == "bad"
    # The fifth failure and the right password at once: whichever counts second sees the
    # other's outcome, so either the lock refuses the right password or the right
    # password clears the failures before the fifth is counted.
    start = threading.Barrier(2)
    got: dict[str, str] = {}

    def run(key: str, password: str) -> None:
        start.wait(30)
        got[key] = _attempt(records_engine, password)

    threads = [
        threading.Thread(target=run, args=("wrong", "wrong password, guessed")),
        threading.Thread(target=run, args=("right", PASSWORD)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert got in ({"wrong": "locked", "right": "locked"}, {"wrong": "bad", "right": "signed in"})
