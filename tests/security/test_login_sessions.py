"""Login sessions: hashed tokens, CSRF tokens, idle and absolute timeouts, sign-out."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from harmwatch.security import accounts, sessions
from harmwatch.security.roles import Role
from harmwatch.security.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SessionInfo
from harmwatch.storage.models import LoginSession, User
from harmwatch.storage.records import session_scope

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _user(engine: Engine, name: str = "olivia", role: Role = Role.NEIGHBOURHOOD_OFFICER) -> User:
    with session_scope(engine) as db:
        accounts.create_user(db, "root", Role.ADMIN, "an admin password")
        return accounts.create_user(db, name, role, "an officer password")


def _start(engine: Engine, user: User) -> tuple[str, str]:
    with session_scope(engine) as db:
        return sessions.start_session(db, user, client="10.0.0.5 Firefox")


def _resolve(engine: Engine, token: str | None) -> SessionInfo | None:
    with session_scope(engine) as db:
        return sessions.resolve_session(db, token)


def test_contract_timeouts() -> None:
    assert timedelta(minutes=30) == IDLE_TIMEOUT
    assert timedelta(hours=12) == ABSOLUTE_TIMEOUT


def test_only_a_hash_of_the_token_is_stored(records_engine: Engine) -> None:
    user = _user(records_engine)
    token, csrf = _start(records_engine, user)
    assert len(token) >= 43 and len(csrf) >= 43 and token != csrf
    with records_engine.connect() as conn:
        stored = [
            tuple(map(str, row)) for row in conn.execute(text("SELECT * FROM login_sessions"))
        ]
    assert len(stored) == 1
    assert all(token not in value for value in stored[0])
    assert hashlib.sha256(token.encode()).hexdigest() in stored[0]


def test_resolve_gives_user_role_and_csrf_token(records_engine: Engine) -> None:
    user = _user(records_engine)
    token, csrf = _start(records_engine, user)
    info = _resolve(records_engine, token)
    assert info == SessionInfo(
        user_id=user.id, username="olivia", role=Role.NEIGHBOURHOOD_OFFICER, csrf_token=csrf
    )
    token2, csrf2 = _start(records_engine, user)
    assert token2 != token and csrf2 != csrf  # each session its own CSRF token


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 10_000])
def test_unknown_tokens_resolve_to_none(records_engine: Engine, token: str | None) -> None:
    _start(records_engine, _user(records_engine))
    assert _resolve(records_engine, token) is None


def test_idle_timeout_restarts_with_each_request(records_engine: Engine, clock: Any) -> None:
    token, _ = _start(records_engine, _user(records_engine))
    for _ in range(4):
        clock.advance(timedelta(minutes=29))
        assert _resolve(records_engine, token) is not None
    clock.advance(timedelta(minutes=30))
    assert _resolve(records_engine, token) is None
    with session_scope(records_engine) as db:  # the expired session is deleted
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_absolute_timeout_ends_even_an_active_session(records_engine: Engine, clock: Any) -> None:
    token, _ = _start(records_engine, _user(records_engine))
    elapsed = timedelta()
    while elapsed + timedelta(minutes=20) < ABSOLUTE_TIMEOUT:
        clock.advance(timedelta(minutes=20))
        elapsed += timedelta(minutes=20)
        assert _resolve(records_engine, token) is not None
    clock.advance(ABSOLUTE_TIMEOUT - elapsed)
    assert _resolve(records_engine, token) is None


def test_disabled_user_loses_the_session_and_role_changes_apply_at_once(
    records_engine: Engine,
) -> None:
    user = _user(records_engine)
    token, _ = _start(records_engine, user)
    with session_scope(records_engine) as db:
        accounts.set_role(db, "olivia", Role.PCC_VIEWER)
    info = _resolve(records_engine, token)
    assert info is not None and info.role is Role.PCC_VIEWER
    with session_scope(records_engine) as db:
        db.get_one(User, user.id).disabled = True  # disabled directly: resolve still refuses
    assert _resolve(records_engine, token) is None


def test_disabled_user_cannot_start_a_session(records_engine: Engine) -> None:
    user = _user(records_engine)
    user.disabled = True
    with session_scope(records_engine) as db, pytest.raises(ValueError, match="disabled"):
        sessions.start_session(db, user)


def test_sign_out_ends_only_that_session(records_engine: Engine) -> None:
    user = _user(records_engine)
    first, _ = _start(records_engine, user)
    second, _ = _start(records_engine, user)
    with session_scope(records_engine) as db:
        sessions.end_session(db, first)
        sessions.end_session(db, "unknown token")
        sessions.end_session(db, None)
    assert _resolve(records_engine, first) is None
    assert _resolve(records_engine, second) is not None
    with session_scope(records_engine) as db:
        assert sessions.end_user_sessions(db, user.id) == 1
    assert _resolve(records_engine, second) is None


def test_purge_removes_only_expired_sessions(records_engine: Engine, clock: Any) -> None:
    user = _user(records_engine)
    _start(records_engine, user)
    clock.advance(timedelta(minutes=31))
    fresh, _ = _start(records_engine, user)
    with session_scope(records_engine) as db:
        assert sessions.purge_expired_sessions(db) == 1
    assert _resolve(records_engine, fresh) is not None
