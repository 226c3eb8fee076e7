"""Typed names for what an access-log entry is about: a record, a route, a file.

Before these, targets were loose strings (``"user:olivia"`` from the command line,
``"user olivia"`` from the web), so one search of the log could not find every act
on one account. Every target is now written by :class:`RecordRef` as ``kind:id``,
with the kind from a closed list that rooms extend when they declare a record type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harmwatch.errors import InputError

_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")

#: Kinds of target that are not records of a room: the route or query an access was
#: made through, a file written or read, the access log itself, a data subject.
BUILT_IN_KINDS = frozenset({"route", "file", "audit-log", "subject", "store"})


@dataclass(frozen=True, order=True)
class RecordRef:
    """``kind:id`` — the kind is a lower-case word (``user``, ``boundary``, ``route``)."""

    kind: str
    id: str

    def __post_init__(self) -> None:
        if not _KIND.fullmatch(self.kind):
            raise InputError(f"record kind {self.kind!r}: a lower-case word of letters and -")
        if not self.id or len(self.id) > 1000:
            raise InputError(f"record id for {self.kind!r} must be 1-1000 characters")

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> RecordRef:
        """``kind:id`` back into a reference (the id may itself contain ``:``)."""
        kind, sep, ident = text.strip().partition(":")
        if not sep:
            raise InputError(
                f"not a record reference {text!r}: write it as kind:id, e.g. user:olivia"
            )
        return cls(kind, ident)


def route(path: str) -> RecordRef:
    """The page or API route an access was made through (``route:/api/hotspots``)."""
    return RecordRef("route", path or "/")


def file(path: str) -> RecordRef:
    """A file written or read on this machine (exports from the command line)."""
    return RecordRef("file", path)


AUDIT_LOG = RecordRef("audit-log", "all")
