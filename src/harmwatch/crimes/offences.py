"""Home Office offence classifications and the police.uk crime type each belongs to.

A force's records classify each crime by the Home Office Counting Rules (HOCR)
offence classification (``8N`` assault with injury, ``92A`` trafficking in
controlled drugs, ``28E`` residential burglary …); police.uk publishes the same
crimes under 14 broader crime types. Mapping every record to both lets a force's
figures be compared with police.uk's, and every analysis take either source with
the same ``--crime-type`` words.

The table (``data/ho_offence_classes.csv``) is a curated subset of the HOCR
classifications, each with the police.uk category its offences are published under
(police.uk's "crime categories" definitions). It covers the classes most forces
record most often, not all of them: a force whose export carries others — or its
own local codes — maps them to a class here in the import spec's ``[offence_codes]``
section, and an unmapped code refuses the row (``file:line: offence_code: …``)
rather than guessing. ``NN`` stands for any non-notifiable offence: such records
are not recorded crime, police.uk never publishes them, and analyses leave them
out unless asked.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

NON_NOTIFIABLE = "NN"

POLICE_UK_CRIME_TYPES: tuple[str, ...] = (
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)


@dataclass(frozen=True)
class OffenceClass:
    code: str
    description: str
    police_uk_type: str | None  # None: not published on police.uk (non-notifiable)


def normalise_code(text: str) -> str:
    """``"008n "`` → ``"8N"``: exports pad and lower-case the codes differently."""
    code = text.strip().upper()
    stripped = code.lstrip("0")
    return stripped if stripped and not stripped.startswith(".") else code


@cache
def offence_classes() -> Mapping[str, OffenceClass]:
    """The bundled classification table, by normalised code."""
    text = resources.files("harmwatch.crimes").joinpath("data/ho_offence_classes.csv")
    rows = list(csv.DictReader(text.read_text(encoding="utf-8").splitlines()))
    table = {}
    for row in rows:
        code = normalise_code(row["ho_class"])
        kind = row["police_uk_type"].strip() or None
        if kind is not None and kind not in POLICE_UK_CRIME_TYPES:
            raise ValueError(f"ho_offence_classes.csv: {code}: unknown police.uk type {kind!r}")
        table[code] = OffenceClass(code, row["description"].strip(), kind)
    return MappingProxyType(table)


def classes_for_type(police_uk_type: str) -> list[OffenceClass]:
    """The classes published under one police.uk crime type, in table order."""
    return [c for c in offence_classes().values() if c.police_uk_type == police_uk_type]
