"""Who may do what, and a record of what they did.

- :mod:`.roles` — roles and the capabilities each grants;
- :mod:`.passwords` — Argon2id hashing with explicit parameters;
- :mod:`.accounts` — users, sign-in and lockout;
- :mod:`.sessions` — login sessions (only token hashes are stored) and CSRF tokens;
- :mod:`.audit` — the append-only, hash-chained access log (DPA 2018 Part 3 s.62).

All of it lives in the records database (:mod:`harmwatch.storage.records`).
"""
