"""The library's expected failures: bad input, data that cannot answer, a refused account.

The command line prints one of these as ``error: …`` with exit status 2, and the
web app shows it beside the form (or as a 422 from the API): never a traceback,
never a 500. One list, so that the two front ends cannot drift apart.
"""

from __future__ import annotations

from harmwatch.security.accounts import AccountError
from harmwatch.sources.policeuk.ingest import IngestError
from harmwatch.sources.policeuk.read import SourceError
from harmwatch.spatial.boundaries import BoundaryError
from harmwatch.spatial.grid import GridTooLargeError
from harmwatch.storage.analytics import SchemaError
from harmwatch.where.selection import SelectionError

USER_ERRORS: tuple[type[Exception], ...] = (
    IngestError,
    SourceError,
    SelectionError,
    BoundaryError,
    GridTooLargeError,
    SchemaError,
    AccountError,
    FileNotFoundError,
    ValueError,
)
