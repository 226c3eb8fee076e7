"""Accounts: creation rules, sign-in, lockout after repeated failures, disabling, roles.

Every test runs on SQLite and on PostgreSQL (the ``records_engine`` fixture).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine, func, select

from harmwatch.security import accounts, passwords, sessions
from harmwatch.security.accounts import (
    AccountDisabled,
    AccountError,
    AuthError,
    BadCredentials,
    LockedOut,
)
from harmwatch.security.roles import Role
from harmwatch.storage.models import LoginFailure, LoginSession, User
from harmwatch.storage.records import session_scope

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _create(engine: Engine, name: str = "alice", role: Role = Role.ANALYST) -> None:
    with session_scope(engine) as db:
        accounts.create_user(db, name, role, PASSWORD)


def _sign_in(engine: Engine, name: str, password: str) -> User:
    with session_scope(engine) as db:
        return accounts.authenticate(db, name, password, client="127.0.0.1 pytest")


def test_create_and_sign_in_with_case_insensitive_username(records_engine: Engine) -> None:
    with session_scope(records_engine) as db:
        user = accounts.create_user(db, "  Alice.Smith@Herts ", "intelligence-officer", PASSWORD)
        assert (user.username, user.role, user.disabled) == (
            "alice.smith@herts",
            "intelligence-officer",
            False,
        )
        assert user.created_at.tzinfo is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    signed_in = _sign_in(records_engine, "ALICE.SMITH@herts", PASSWORD)
    assert signed_in.username == "alice.smith@herts"
    assert signed_in.last_login_at is not None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("            ", "only spaces"),
        ("x" * 1025, "too long"),
        ("bob.the.admin", "must not be the username"),
    ],
)
def test_password_policy(records_engine: Engine, password: str, message: str) -> None:
    with session_scope(records_engine) as db, pytest.raises(AccountError, match=message):
        accounts.create_user(db, "bob.the.admin", Role.ADMIN, password)


@pytest.mark.parametrize("name", ["", "-lead", "a b", "x" * 65, "cli:root", "émile"])
def test_invalid_usernames_are_refused(records_engine: Engine, name: str) -> None:
    with session_scope(records_engine) as db, pytest.raises(AccountError, match="invalid username"):
        accounts.create_user(db, name, Role.ANALYST, PASSWORD)


def test_duplicate_username_and_unknown_role_are_refused(records_engine: Engine) -> None:
    _create(records_engine)
    with session_scope(records_engine) as db, pytest.raises(AccountError, match="already exists"):
        accounts.create_user(db, "ALICE", Role.ADMIN, PASSWORD)
    with session_scope(records_engine) as db, pytest.raises(AccountError, match="unknown role"):
        accounts.create_user(db, "carol", "chief", PASSWORD)


def test_unknown_user_and_wrong_password_look_the_same(records_engine: Engine) -> None:
    _create(records_engine)
    with pytest.raises(BadCredentials) as wrong:
        _sign_in(records_engine, "alice", "not the password")
    with pytest.raises(BadCredentials) as unknown:
        _sign_in(records_engine, "mallory", "not the password")
    with pytest.raises(BadCredentials) as malformed:
        _sign_in(records_engine, "not a valid name!", "not the password")
    assert str(wrong.value) == str(unknown.value) == str(malformed.value)
    assert "unknown username or wrong password" in str(wrong.value)
    assert issubclass(BadCredentials, AuthError)


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes(
    records_engine: Engine, clock: Any
) -> None:
    _create(records_engine)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "alice", "wrong password!")
        clock.advance(timedelta(minutes=3))
    # The fifth failure in the window (at +12 min) locks the name.
    with pytest.raises(LockedOut) as locked:
        _sign_in(records_engine, "alice", "wrong password!")
    until = locked.value.until
    assert until == clock.now + timedelta(minutes=15)
    assert "try again after" in str(locked.value)
    # The right password does not help while locked.
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(LockedOut):
        _sign_in(records_engine, "alice", PASSWORD)
    clock.advance(timedelta(seconds=1))
    assert _sign_in(records_engine, "alice", PASSWORD).username == "alice"


def test_a_name_locks_again_after_its_lock_expires(records_engine: Engine, clock: Any) -> None:
    _create(records_engine)
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(BadCredentials):
                _sign_in(records_engine, "alice", "wrong password!")
        with pytest.raises(LockedOut):
            _sign_in(records_engine, "alice", "wrong password!")
        clock.advance(timedelta(minutes=15))
    assert _sign_in(records_engine, "alice", PASSWORD).username == "alice"


def test_failures_count_even_when_the_caller_rolls_back(records_engine: Engine, clock: Any) -> None:
    """The web app lets AuthError escape its session_scope; the failure must still count."""
    _create(records_engine)
    for _ in range(5):
        with pytest.raises(AuthError), session_scope(records_engine) as db:
            accounts.authenticate(db, "alice", "wrong password!")
    with pytest.raises(LockedOut):
        _sign_in(records_engine, "alice", PASSWORD)


def test_failures_outside_the_window_do_not_count(records_engine: Engine, clock: Any) -> None:
    _create(records_engine)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "alice", "wrong password!")
    clock.advance(timedelta(minutes=15, seconds=1))
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "alice", "wrong password!")
    assert _sign_in(records_engine, "alice", PASSWORD).username == "alice"


def test_success_clears_the_failure_count(records_engine: Engine, clock: Any) -> None:
    _create(records_engine)
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "alice", "wrong password!")
    _sign_in(records_engine, "alice", PASSWORD)
    with session_scope(records_engine) as db:
        assert db.scalar(select(func.count()).select_from(LoginFailure)) == 0
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "alice", "wrong password!")
    assert _sign_in(records_engine, "alice", PASSWORD).username == "alice"


def test_unknown_names_lock_too_so_lockout_reveals_nothing(
    records_engine: Engine, clock: Any
) -> None:
    for _ in range(4):
        with pytest.raises(BadCredentials):
            _sign_in(records_engine, "nobody", "wrong password!")
    with pytest.raises(LockedOut):
        _sign_in(records_engine, "nobody", "wrong password!")


def test_lockout_is_per_username(records_engine: Engine, clock: Any) -> None:
    _create(records_engine, "alice")
    _create(records_engine, "bob")
    for _ in range(5):
        with pytest.raises(AuthError):
            _sign_in(records_engine, "alice", "wrong password!")
    assert _sign_in(records_engine, "bob", PASSWORD).username == "bob"


def test_disabled_account_is_refused_only_with_the_right_password(
    records_engine: Engine,
) -> None:
    _create(records_engine, "admin", Role.ADMIN)
    _create(records_engine, "alice")
    with session_scope(records_engine) as db:
        user = accounts.get_user(db, "alice")
        assert user is not None
        sessions.start_session(db, user)
        accounts.disable_user(db, "alice")
        # Disabling ends the user's sessions.
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0
    with pytest.raises(AccountDisabled, match="disabled"):
        _sign_in(records_engine, "alice", PASSWORD)
    with pytest.raises(BadCredentials):
        _sign_in(records_engine, "alice", "wrong password!")
    with session_scope(records_engine) as db:  # disabling twice is harmless
        assert accounts.disable_user(db, "alice").disabled


def test_set_role_and_list_users(records_engine: Engine) -> None:
    _create(records_engine, "zed", Role.PCC_VIEWER)
    _create(records_engine, "amy", Role.ANALYST)
    with session_scope(records_engine) as db:
        assert accounts.set_role(db, "zed", "analyst").role == "analyst"
        assert [(u.username, u.role) for u in accounts.list_users(db)] == [
            ("amy", "analyst"),
            ("zed", "analyst"),
        ]
    with session_scope(records_engine) as db, pytest.raises(AccountError, match="no user named"):
        accounts.set_role(db, "nobody", Role.ADMIN)
    with session_scope(records_engine) as db, pytest.raises(AccountError, match="no user named"):
        accounts.disable_user(db, "nobody")


def test_the_last_active_admin_cannot_be_disabled_or_demoted(records_engine: Engine) -> None:
    _create(records_engine, "root", Role.ADMIN)
    with (
        session_scope(records_engine) as db,
        pytest.raises(AccountError, match="last active admin"),
    ):
        accounts.disable_user(db, "root")
    with (
        session_scope(records_engine) as db,
        pytest.raises(AccountError, match="last active admin"),
    ):
        accounts.set_role(db, "root", Role.ANALYST)
    _create(records_engine, "second", Role.ADMIN)
    with session_scope(records_engine) as db:
        accounts.set_role(db, "root", Role.ANALYST)
        with pytest.raises(AccountError, match="last active admin"):
            accounts.disable_user(db, "second")


def test_sign_in_rehashes_when_the_argon2_parameters_changed(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(records_engine)  # hashed with the fast test parameters
    with session_scope(records_engine) as db:
        old = db.scalars(select(User.password_hash)).one()
    assert ",t=1," in old
    monkeypatch.setattr(
        passwords,
        "HASHER",
        PasswordHasher(time_cost=2, memory_cost=512, parallelism=1, type=Type.ID),
    )
    _sign_in(records_engine, "alice", PASSWORD)
    with session_scope(records_engine) as db:
        new = db.scalars(select(User.password_hash)).one()
    assert new != old and new.startswith("$argon2id$v=19$m=512,t=2,p=1$")
    _sign_in(records_engine, "alice", PASSWORD)  # the new hash verifies
    with session_scope(records_engine) as db:
        assert db.scalars(select(User.password_hash)).one() == new  # no needless rehash


def test_two_admins_demoting_each_other_at_once_leave_one(records_engine: Engine) -> None:
    """Each counts the other as the remaining admin; the lock makes the second recount."""
    import threading

    _create(records_engine, "root", Role.ADMIN)
    _create(records_engine, "second", Role.ADMIN)
    first_done = threading.Event()
    outcomes: dict[str, str] = {}

    def demote(name: str, hold: bool) -> None:
        try:
            with session_scope(records_engine) as db:
                if not hold:
                    first_done.wait(5)
                accounts.set_role(db, name, Role.ANALYST)
                if hold:
                    first_done.set()
                    threading.Event().wait(0.5)  # commit late: the other is now waiting
            outcomes[name] = "demoted"
        except AccountError as exc:
            outcomes[name] = str(exc)

    threads = [
        threading.Thread(target=demote, args=("root", True)),
        threading.Thread(target=demote, args=("second", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes["root"] == "demoted"
    assert "last active admin" in outcomes["second"]
    with session_scope(records_engine) as db:
        assert accounts.any_active_admin(db)


def test_locks_are_per_name_and_client(records_engine: Engine, clock: Any) -> None:
    _create(records_engine)

    def attempt(password: str, ip: str) -> Any:
        with session_scope(records_engine) as db:
            return accounts.authenticate(db, "alice", password, client_ip=ip)

    for _ in range(4):
        with pytest.raises(BadCredentials):
            attempt("wrong password!", "203.0.113.9")
    with pytest.raises(LockedOut):
        attempt("wrong password!", "203.0.113.9")
    with pytest.raises(LockedOut):
        attempt(PASSWORD, "203.0.113.9")
    assert attempt(PASSWORD, "198.51.100.7").username == "alice"


def test_a_name_guessed_at_from_many_clients_locks_for_all(
    records_engine: Engine, clock: Any
) -> None:
    _create(records_engine)
    for i in range(accounts.MAX_NAME_FAILURES):
        with pytest.raises(AuthError), session_scope(records_engine) as db:
            accounts.authenticate(db, "alice", "wrong password!", client_ip=f"192.0.2.{i % 25}")
    with pytest.raises(LockedOut), session_scope(records_engine) as db:
        accounts.authenticate(db, "alice", PASSWORD, client_ip="198.51.100.7")
