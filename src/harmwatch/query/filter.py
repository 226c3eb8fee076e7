"""Which crimes an analysis is about (:class:`Filter`) and the crimes chosen (:class:`Points`).

Every room (hotspots, trends, evaluation, the web app, the command line) takes a
``Filter``, so a filter means the same thing everywhere. One rule for crime types:

- the default is **Drugs**, everywhere: ``Filter()``, ``Filter(forces=…)`` and
  ``Filter.from_options(forces, None, months)`` all mean drug offences, as the
  command line's ``--crime-type`` and the web forms default to, because this tool
  is about drug harm;
- **every crime type** is asked for explicitly, with ``all_crime_types=True``
  (its ``crime_types`` are then empty);
- an empty ``crime_types`` without that flag is refused, so an empty list a caller
  built by accident never silently widens an analysis to every crime.

Empty ``forces`` means every force loaded and empty ``months`` every month
loaded; the analysis says which it took.

``source`` is where the crimes come from: ``police-uk`` (the open files, the
default) or ``force-records`` (a force's own RMS exports, :mod:`harmwatch.crimes`:
exact places and times, read only by those allowed and logged). ``flags`` keep
only records carrying one of those flags (``drug-related``, ``hate-crime`` …);
police.uk has no flags, so asking for them there is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from harmwatch.errors import InputError
from harmwatch.timeline.months import parse_month_spec

DEFAULT_CRIME_TYPES: tuple[str, ...] = ("Drugs",)
POLICE_UK = "police-uk"
FORCE_RECORDS = "force-records"
SOURCES: tuple[str, ...] = (POLICE_UK, FORCE_RECORDS)


class FilterError(InputError):
    """A filter that cannot mean anything (no crime type, or two contradicting choices)."""


@dataclass(frozen=True)
class Filter:
    forces: tuple[str, ...] = ()  # empty: every force loaded
    crime_types: tuple[str, ...] = DEFAULT_CRIME_TYPES
    months: tuple[str, ...] = ()  # empty: every month loaded
    all_crime_types: bool = False  # True: every crime type (crime_types must be left alone)
    source: str = POLICE_UK  # police-uk | force-records
    flags: tuple[str, ...] = ()  # force records only: keep records with any of these flags
    # Force records only: keep records of these Home Office offence classes (92D, 92A …).
    # police.uk publishes crime types, not classes, so possession and trafficking can be
    # told apart only in a force's own records.
    offence_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise FilterError(f"source {self.source!r}: choose {' or '.join(SOURCES)}")
        if self.flags and self.source != FORCE_RECORDS:
            raise FilterError(
                "police.uk files carry no flags: use --source force-records to filter on "
                f"{', '.join(self.flags)}"
            )
        if self.offence_classes:
            self._check_offence_classes()
        if self.all_crime_types:
            if self.crime_types and tuple(self.crime_types) != DEFAULT_CRIME_TYPES:
                raise FilterError(
                    "choose crime types or every crime type, not both "
                    f"(got {', '.join(self.crime_types)} and every crime type)"
                )
            object.__setattr__(self, "crime_types", ())
        elif not self.crime_types:
            raise FilterError(
                "no crime type chosen: name at least one, or ask for every crime type"
            )

    def _check_offence_classes(self) -> None:
        from harmwatch.crimes.offences import normalise_code, offence_classes

        if self.source != FORCE_RECORDS:
            raise FilterError(
                "police.uk files carry crime types, not Home Office offence classes: use "
                f"--source force-records to count {', '.join(self.offence_classes)}"
            )
        codes = tuple(dict.fromkeys(normalise_code(c) for c in self.offence_classes))
        unknown = [c for c in codes if c not in offence_classes()]
        if unknown:
            raise FilterError(f"unknown Home Office offence class(es): {', '.join(unknown)}")
        object.__setattr__(self, "offence_classes", codes)

    @classmethod
    def from_options(
        cls, forces: Sequence[str] | None, crime_types: Sequence[str] | None, months: str | None
    ) -> Filter:
        """A filter from what a user typed: months as ``2025-01``, ``2025-01:2025-06`` or a list.

        No crime types (None or empty) means the default, Drugs, as everywhere.
        """
        return cls(
            forces=tuple(forces or ()),
            crime_types=tuple(crime_types or DEFAULT_CRIME_TYPES),
            months=tuple(parse_month_spec(months)) if months else (),
        )


@dataclass
class Points:
    """Street crimes chosen by a :class:`Filter`, located ones and unlocated ones."""

    x: np.ndarray
    y: np.ndarray
    month: np.ndarray  # 'YYYY-MM' strings
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    force: np.ndarray
    months: list[str]  # the months the filter covers that have data, sorted
    n_without_location: int
    filter: Filter  # resolved: forces and crime types as stored, months with data
    notes: list[str] = field(default_factory=list)
    # Force records: when each crime happened (UTC; NaT end = an exact time). police.uk: None.
    start_utc: np.ndarray | None = None
    end_utc: np.ndarray | None = None
    exact: bool = False  # exact places (force records for those allowed); police.uk: snap points

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def forces(self) -> list[str]:
        return (
            sorted(set(self.filter.forces))
            if self.filter.forces
            else sorted(set(self.force.tolist()))
        )
