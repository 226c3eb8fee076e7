"""The one way to read a table of personal data: with a checker that may refuse, and logs.

Every analytics table today is police.uk open data. Later sources (call-data
records, a force's own records) put millions of rows of personal data in the
same store; the law (Data Protection Act 2018, Part 3) wants each access to them
to be justified and logged. The store cannot know who may see what — that is the
records kernel's business — so the caller brings a :class:`SensitiveAccess`:
``check`` raises to refuse (and nothing is read), ``log`` records what was read.
The store's typed queries name only tables declared open
(:mod:`harmwatch.storage.analytics.schema`); :meth:`AnalyticsStore.read_sensitive`
is the only method that reads any other table, and it needs the checker.

This guards against mistakes in harmwatch's own code, not against code that
opens the file with DuckDB itself: the database file's permissions do that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harmwatch.errors import UserError


class SensitiveAccessError(UserError):
    """A read of personal data was refused, or asked for without a checker."""

    http_status = 403


@runtime_checkable
class SensitiveAccess(Protocol):
    """The caller's gate to personal data; the records kernel will provide one."""

    def check(self, table: str, purpose: str) -> None:
        """Raise (any exception) to refuse reading ``table`` for ``purpose``."""

    def log(self, table: str, rows: int, purpose: str) -> None:
        """Record that ``rows`` rows of ``table`` were read for ``purpose``."""


@dataclass(frozen=True)
class TableQuery:
    """A read of one table without SQL: columns, equality filters, order and a limit.

    ``where`` maps a column to the values it may take (``IN``); every entry must
    hold. Column names are checked against the table, so no text given here is
    ever spliced into SQL unchecked.
    """

    columns: Sequence[str] = ()  # empty: every column, in table order
    where: Mapping[str, Sequence[object]] = field(default_factory=dict)
    order_by: Sequence[str] = ()
    limit: int | None = None


@dataclass(frozen=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.rows)
