"""Call-data parties and handsets as typed keys, computed in SQL over whole batches.

The intelligence room's :mod:`~harmwatch.intelligence.identifiers` normalises what an
officer types, one value at a time, with libphonenumber. Call data brings tens of
millions of values, so the same rules for the forms operators write are expressed
here as DuckDB expressions (vectorised; a test checks they agree with the
intelligence room's keys), and what is not a phone number is kept as a typed key
rather than refused — a school's bulk texts or a withheld caller are evidence too:

==========  ==============================  =========================================
kind        key                             from (after dropping spaces, dashes,
                                            dots, brackets and slashes)
==========  ==============================  =========================================
msisdn      ``+447700900123``               ``07700900123``, ``447700900123``,
                                            ``+447700900123``, ``00447700900123``,
                                            ``+44(0)7700900123``: UK numbers (10 or 9
                                            digits after +44)
intl        ``+33612345678``                another country's E.164 (``+`` or ``00``)
short       ``short:84050``                 3–6 digits (network and bulk-SMS short
                                            codes, 999, 111)
alpha       ``alpha:HERTSSCHOOL``           any letter (an alphanumeric SMS sender,
                                            upper-cased, letters and digits only)
withheld    ``withheld``                    empty, or withheld / private / anonymous /
                                            unknown / restricted / unavailable
other       ``other:123456789``             digits of no shape above, kept as given
==========  ==============================  =========================================

IMEIs: 15 digits must pass the Luhn check (a wrong check digit is refused: a
mistyped IMEI would link two handsets that are not one); 14 digits (no check digit,
as networks often record it) and 16 (IMEISV: 14 + software version) are kept; all
share the first 14 digits as the match key, as in the intelligence room.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

import duckdb

WITHHELD_WORDS = (
    "withheld", "private", "anonymous", "unknown", "restricted", "unavailable",
    "no caller id", "number withheld",
)  # fmt: skip

_DIGITS = r"[\s\-\.\(\)/]"

# Macros, created on each connection that imports (``install``), so the SQL exists once.
_MACROS = (
    # the raw text with separators dropped
    f"CREATE OR REPLACE TEMP MACRO hw_digits(raw) AS regexp_replace(trim(raw), '{_DIGITS}', '', 'g')",
    """CREATE OR REPLACE TEMP MACRO hw_e164(d) AS CASE
        WHEN regexp_full_match(d, '\\+440[0-9]{9,10}') THEN '+44' || substr(d, 5)
        WHEN regexp_full_match(d, '\\+[1-9][0-9]{6,14}') THEN d
        WHEN regexp_full_match(d, '00[1-9][0-9]{6,14}') THEN '+' || substr(d, 3)
        WHEN regexp_full_match(d, '0[1-9][0-9]{8,9}') THEN '+44' || substr(d, 2)
        WHEN regexp_full_match(d, '44[1-9][0-9]{8,9}') THEN '+' || d
        END""",
    f"""CREATE OR REPLACE TEMP MACRO hw_party_key(raw) AS CASE
        WHEN raw IS NULL OR trim(raw) = ''
            OR lower(trim(raw)) IN ({", ".join(repr(w) for w in WITHHELD_WORDS)}) THEN 'withheld'
        WHEN regexp_matches(raw, '[A-Za-z]')
            THEN 'alpha:' || upper(regexp_replace(raw, '[^A-Za-z0-9]', '', 'g'))
        WHEN hw_e164(hw_digits(raw)) IS NOT NULL THEN hw_e164(hw_digits(raw))
        WHEN regexp_full_match(hw_digits(raw), '[0-9]{{3,6}}') THEN 'short:' || hw_digits(raw)
        ELSE 'other:' || hw_digits(raw)
        END""",
    """CREATE OR REPLACE TEMP MACRO hw_party_kind(k) AS CASE
        WHEN k LIKE '+44%' THEN 'msisdn'
        WHEN k LIKE '+%' THEN 'intl'
        WHEN k = 'withheld' THEN 'withheld'
        ELSE split_part(k, ':', 1)
        END""",
    f"CREATE OR REPLACE TEMP MACRO hw_imei_digits(raw) AS regexp_replace(trim(raw), '{_DIGITS}', '', 'g')",
    # Luhn over the first 14 digits: every second digit from the left (2nd, 4th … 14th)
    # is doubled and its digits summed; the 15th digit makes the total a multiple of 10.
    """CREATE OR REPLACE TEMP MACRO hw_luhn_ok(d) AS (
        list_sum(list_transform(range(1, 15), lambda i:
            CASE WHEN i % 2 = 0
                THEN 2 * CAST(substr(d, i, 1) AS INTEGER)
                    - CASE WHEN CAST(substr(d, i, 1) AS INTEGER) > 4 THEN 9 ELSE 0 END
                ELSE CAST(substr(d, i, 1) AS INTEGER) END))
        + CAST(substr(d, 15, 1) AS INTEGER)) % 10 = 0""",
    """CREATE OR REPLACE TEMP MACRO hw_imei_reason(raw) AS CASE
        WHEN raw IS NULL OR trim(raw) = '' THEN NULL
        WHEN NOT regexp_full_match(hw_imei_digits(raw), '[0-9]{14,16}')
            THEN 'an IMEI is 14, 15 or 16 digits'
        WHEN length(hw_imei_digits(raw)) = 15 AND NOT hw_luhn_ok(hw_imei_digits(raw))
            THEN 'the IMEI''s check digit is wrong (Luhn)'
        END""",
    """CREATE OR REPLACE TEMP MACRO hw_imei_key(raw) AS CASE
        WHEN raw IS NULL OR trim(raw) = '' THEN NULL
        ELSE substr(hw_imei_digits(raw), 1, 14) END""",
)


#: DuckDB's memory ceiling while importing or detecting: its default is 80 % of the
#: machine's memory, which a 10-million-row transaction would take; with a ceiling it
#: spills to its temporary folder instead, and runs no slower on this data (measured in
#: benchmarks/bench_cdr_scale.py).
WORK_MEMORY = "2GB"


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection, limit: str = WORK_MEMORY) -> Iterator[None]:
    """Run the body under DuckDB memory ``limit``, restoring the previous limit after."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    previous = str(row[0]) if row else None
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        if previous:
            con.execute(f"SET memory_limit = '{previous}'")


P = ParamSpec("P")
T = TypeVar("T")


def within_work_memory(
    func: Callable[Concatenate[duckdb.DuckDBPyConnection, P], T],
) -> Callable[Concatenate[duckdb.DuckDBPyConnection, P], T]:
    """Run ``func(con, …)`` under :data:`WORK_MEMORY` (see :func:`bounded_memory`)."""

    @functools.wraps(func)
    def bounded(con: duckdb.DuckDBPyConnection, *args: P.args, **kwargs: P.kwargs) -> T:
        with bounded_memory(con):
            return func(con, *args, **kwargs)

    return bounded


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create the key macros on ``con`` (temporary: they live as long as the connection)."""
    for statement in _MACROS:
        con.execute(statement)


def party_keys(values: Sequence[str | None]) -> list[tuple[str, str]]:
    """(key, kind) for each value, by the same SQL the importer runs (for tests and tools)."""
    if not values:
        return []
    con = duckdb.connect()
    try:
        install(con)
        con.execute("CREATE TEMP TABLE v (i INTEGER, raw VARCHAR)")
        con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
        rows = con.execute(
            "SELECT hw_party_key(raw), hw_party_kind(hw_party_key(raw)) FROM v ORDER BY i"
        ).fetchall()
        return [(str(k), str(kind)) for k, kind in rows]
    finally:
        con.close()


def imei_keys(values: Sequence[str | None]) -> list[tuple[str | None, str | None]]:
    """(14-digit key, refusal reason) for each raw IMEI, by the importer's SQL."""
    if not values:
        return []
    con = duckdb.connect()
    try:
        install(con)
        con.execute("CREATE TEMP TABLE v (i INTEGER, raw VARCHAR)")
        con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
        rows = con.execute(
            "SELECT CASE WHEN hw_imei_reason(raw) IS NULL THEN hw_imei_key(raw) END, "
            "hw_imei_reason(raw) FROM v ORDER BY i"
        ).fetchall()
        return [(k, r) for k, r in rows]
    finally:
        con.close()
