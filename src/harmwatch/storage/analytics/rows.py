"""The store's typed questions and answers: what a query asks for and what it returns.

Answers are plain values (named tuples, dataclasses of numpy arrays), never a
cursor, so no caller can run SQL of its own through an answer and the store's
SQL stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class StreetScope:
    """Which street crimes a query is about.

    ``None`` puts no limit on that field; an empty tuple matches nothing. (The
    analyses' :class:`harmwatch.query.filter.Filter` has its own defaults; this is
    the store's literal question.) ``months`` are ``YYYY-MM``. ``district`` is a
    district name exactly as :meth:`AnalyticsStore.district_counts` gives it: the
    LSOA name without its trailing code, so crimes without an LSOA are never in a
    district. ``lsoa_name_missing`` keeps only crimes without an LSOA name.
    """

    forces: tuple[str, ...] | None = None
    crime_types: tuple[str, ...] | None = None
    months: tuple[str, ...] | None = None
    district: str | None = None
    lsoa_name_missing: bool = False


@dataclass(frozen=True)
class StreetPoints:
    """Located street crimes, one entry per crime in every array."""

    x: np.ndarray  # BNG metres
    y: np.ndarray
    month: np.ndarray  # 'YYYY-MM'
    lsoa_code: np.ndarray  # '' where the crime has none
    lsoa_name: np.ndarray  # '' where the crime has none
    force: np.ndarray


@dataclass(frozen=True)
class LsoaFootprints:
    """Every distinct located snap point of the street crimes of each LSOA."""

    x: np.ndarray
    y: np.ndarray
    lsoa_code: np.ndarray
    force: np.ndarray


class MonthTypeCount(NamedTuple):
    month: str
    crime_type: str
    n: int


class ForceTypeCount(NamedTuple):
    force: str
    crime_type: str
    rows: int


class KindCounts(NamedTuple):
    kind: str  # 'street', 'outcomes', 'stop-and-search'
    rows: int
    drugs_rows: int  # street: crime type Drugs; searches: for controlled drugs; outcomes: 0
    without_location: int


class DatasetRow(NamedTuple):
    kind: str
    force: str
    month: str
    rows: int
    load_id: int


class RejectRow(NamedTuple):
    source: str
    field: str
    reason: str
    line: int


@dataclass(frozen=True)
class LoadRecord:
    """One loaded file's provenance (a row of ``loads``)."""

    load_id: int
    run_id: str
    loaded_at: datetime
    source: str
    file_name: str
    size_bytes: int
    sha256: str
    kind: str
    force: str
    month: str
    months: int
    rows_loaded: int
    rows_rejected: int
    rows_without_location: int
    lsoa_vintage: str
    lenient: bool
    loaded_by: str | None  # None: loaded before schema 2 recorded who
