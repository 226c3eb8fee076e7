"""The three data.police.uk file kinds, told apart by their header row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    STREET = "street"
    OUTCOMES = "outcomes"
    STOP_SEARCH = "stop-and-search"

    @property
    def table(self) -> str:
        return {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}[
            self.value
        ]


HEADERS: dict[Kind, tuple[str, ...]] = {
    Kind.STREET: (
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
    ),
    Kind.OUTCOMES: (
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Outcome type",
    ),
    Kind.STOP_SEARCH: (
        "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
        "Longitude", "Gender", "Age range", "Self-defined ethnicity",
        "Officer-defined ethnicity", "Legislation", "Object of search", "Outcome",
        "Outcome linked to object of search", "Removal of more than just outer clothing",
    ),
}  # fmt: skip

# The archive's own naming: 2021-05/2021-05-bedfordshire-street.csv
FILE_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(?:\.gz)?$"
)


@dataclass(frozen=True)
class HeaderMismatch:
    """Why a header matched no kind: the closest kind and the first field that differs."""

    closest: Kind
    position: int  # 1-based column number
    expected: str | None
    found: str | None

    def describe(self) -> str:
        if self.found is None:
            what = f"column {self.position} ({self.expected!r}) is missing"
        elif self.expected is None:
            what = f"column {self.position} ({self.found!r}) is not expected"
        else:
            what = f"column {self.position} is {self.found!r}, expected {self.expected!r}"
        return (
            f"header matches no data.police.uk file kind; closest is {self.closest.value}: {what}"
        )


def detect_kind(header: list[str]) -> Kind | HeaderMismatch:
    """The kind whose header this is, or the reason it is none of them."""
    cleaned = tuple(h.strip().lstrip("\ufeff") for h in header)
    for kind, expected in HEADERS.items():
        if cleaned == expected:
            return kind

    def agreement(kind: Kind) -> int:
        return sum(a == b for a, b in zip(cleaned, HEADERS[kind], strict=False))

    closest = max(HEADERS, key=agreement)
    expected = HEADERS[closest]
    for i in range(max(len(cleaned), len(expected))):
        exp = expected[i] if i < len(expected) else None
        got = cleaned[i] if i < len(cleaned) else None
        if exp != got:
            return HeaderMismatch(closest, i + 1, exp, got)
    raise AssertionError("unreachable: headers differ but no differing column")
