"""What the analytics tables are: their kinds of data and how sensitive each is.

The registry is declared here, in code, rather than read from the database, so
that a table's sensitivity is reviewed with the change that adds the table. A
table the registry does not name is treated as personal data: a migration that
adds a table and forgets to declare it fails closed (nothing reads it without an
access checker) rather than open.

The police.uk tables hold open data (Open Government Licence) or the store's own
bookkeeping. Call-data records (``calls``, ``call_files``) and a force's crime records
(``force_crimes``, ``force_crime_files``) are declared
:attr:`Sensitivity.PERSONAL`, as every later table of bulk personal data will be; note that ``rejects`` keeps the raw text of
refused rows, so a loader of personal data must not set its refused rows aside
there.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Sensitivity(StrEnum):
    OPEN = "open"  # published open data, or the store's bookkeeping
    PERSONAL = "personal"  # bulk personal data: read only through ``read_sensitive``


TABLES: Mapping[str, Sensitivity] = MappingProxyType(
    {
        "meta": Sensitivity.OPEN,
        "schema_migrations": Sensitivity.OPEN,
        "loads": Sensitivity.OPEN,
        "datasets": Sensitivity.OPEN,
        "rejects": Sensitivity.OPEN,
        "parts": Sensitivity.OPEN,
        # Views over the rows loaded before schema 5 (the *_rows tables) and the
        # Parquet part files loaded since.
        "street": Sensitivity.OPEN,
        "outcomes": Sensitivity.OPEN,
        "stop_search": Sensitivity.OPEN,
        "street_rows": Sensitivity.OPEN,
        "outcomes_rows": Sensitivity.OPEN,
        "stop_search_rows": Sensitivity.OPEN,
        # Call data: who called whom, when and from where (harmwatch.calls).
        "call_files": Sensitivity.PERSONAL,
        "calls": Sensitivity.PERSONAL,
        # A force's own crime records: exact places and times (harmwatch.crimes).
        "force_crime_files": Sensitivity.PERSONAL,
        "force_crimes": Sensitivity.PERSONAL,
    }
)

ROW_TABLES = ("street", "outcomes", "stop_search")

# ``datasets.kind`` (and ``loads.kind``) -> the table holding that kind's rows.
KIND_TABLES: Mapping[str, str] = MappingProxyType(
    {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}
)

# ``loads.loaded_by`` is NULL for files loaded before schema 2 recorded it.
LOADED_BY_UNKNOWN = "unknown (loaded before harmwatch recorded it)"


def sensitivity_of(table: str) -> Sensitivity:
    """The declared sensitivity of ``table``; an undeclared table counts as personal."""
    return TABLES.get(table.lower(), Sensitivity.PERSONAL)
