"""Argon2id with the parameters written in passwords.py, and re-hashing when they change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from harmwatch.security import passwords


def test_hashes_are_argon2id_with_the_explicit_parameters() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    m, t, p = passwords.MEMORY_COST_KIB, passwords.TIME_COST, passwords.PARALLELISM
    assert stored.startswith(f"$argon2id$v=19$m={m},t={t},p={p}$")
    assert m >= 19 * 1024 and t >= 2  # at least OWASP's Argon2id minimum
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")
    assert not passwords.needs_rehash(stored)


def test_same_password_gets_a_new_salt_each_time() -> None:
    assert passwords.hash_password("same password here") != passwords.hash_password(
        "same password here"
    )


def test_malformed_hash_never_verifies_and_needs_rehash() -> None:
    assert not passwords.verify_password("not-a-hash", "anything at all")
    assert passwords.needs_rehash("not-a-hash")


def test_hash_with_other_parameters_still_verifies_but_needs_rehash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash("an older password")
    assert passwords.verify_password(old, "an older password")
    assert passwords.needs_rehash(old)
    monkeypatch.setattr(
        passwords,
        "HASHER",
        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1, type=Type.ID),
    )
    assert passwords.needs_rehash(passwords.HASHER.hash("x" * 12)) is False
