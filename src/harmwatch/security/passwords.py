"""Password hashing: Argon2id with parameters written down here, not left to defaults.

The parameters are part of each stored hash, so changing them here does not lock
anyone out: a hash made with other parameters still verifies, and
:func:`harmwatch.security.accounts.authenticate` re-hashes it with these at the next
successful sign-in (:func:`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# 64 MiB, 2 passes, 1 lane: memory-hard well beyond OWASP's Argon2id minimum (19 MiB,
# t=2, p=1) and about 0.17 s per sign-in on a 2-core server. One lane because a web
# server hashes for many users at once; lanes would only compete for the same cores.
TIME_COST = 2
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16

HASHER = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=HASH_LEN,
    salt_len=SALT_LEN,
    type=Type.ID,
)

_dummy_hashes: dict[int, str] = {}


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` in PHC string form (parameters and salt included)."""
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False too for a malformed hash."""
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with parameters other than the current ones."""
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def burn_verification(password: str) -> None:
    """Spend as long as a real verification does, for a name that has no account.

    Answering "no such user" faster than "wrong password" would tell an attacker
    which names exist.
    """
    key = id(HASHER)
    if key not in _dummy_hashes:
        _dummy_hashes.clear()
        _dummy_hashes[key] = HASHER.hash("harmwatch-no-such-user")
    verify_password(_dummy_hashes[key], password)
