"""The library's expected failures, which the web app shows as a message, never as a 500."""

from __future__ import annotations

from harmwatch.security.accounts import AccountError
from harmwatch.sources.policeuk.ingest import IngestError
from harmwatch.sources.policeuk.read import SourceError
from harmwatch.spatial.boundaries import BoundaryError
from harmwatch.spatial.grid import GridTooLargeError
from harmwatch.storage.analytics import SchemaError
from harmwatch.where.selection import SelectionError

# The same list the command line turns into "error: …" and exit status 2.
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
