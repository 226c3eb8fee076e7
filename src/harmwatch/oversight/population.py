"""Residents per force area, for rates per 1,000, and the rate with its exact interval.

Which table ships, and why
--------------------------
Two open tables were at hand, and one ships:

- **shipped**: ``data/population_policeforces.csv`` — ONS mid-year population
  estimates per force area, 2009–2019, England only (39 forces), compiled from
  local-authority estimates by a third party (``LeonardoCastro/BritishDrugDynamics``,
  MIT licence; the ONS data themselves OGL v3.0). Both licences allow shipping it
  with its attribution, which travels beside it
  (``data/population_policeforces.SOURCE.md``). It is old: for a period in 2025
  the latest year, 2019, is used and every rate says so.
- **not shipped**: the Census 2021 usual residents per LSOA in
  ``boundaries/lookups/LSOA11_LSOA21PopLookups.csv.gz`` are more recent, but the
  copy at hand comes from a GPL-3.0 repository, which an MIT package cannot take
  in, and a force total from it would need an LSOA-to-force lookup not shipped
  either.

So the shipped table is a fallback labelled with its source and year; a force or
partnership gives its own (``--population FILE``: current ONS mid-year estimates
for its areas). A force not in the table — the four Welsh forces, British
Transport Police, any force a user's file leaves out — has no rate, and the result
says "no population for …": nothing is guessed.

A user's file is CSV: a ``force`` column (a police.uk slug or the force's name), a
``population`` column (residents, a whole number) and optionally ``year``; lines
starting with ``#`` are comments, and a first ``# source: …`` line labels every
rate drawn from the file. A bad line is refused as ``file:line: field: reason``.

The rate
--------
A count ``k`` of crimes (or lines closed …) among ``N`` residents over the period
is ``1000·k/N`` per 1,000 residents, with the exact Poisson interval for ``k``
(Garwood, F., 1936, "Fiducial limits for the Poisson distribution", *Biometrika*
28: 437–442): ``[χ²(α/2; 2k)/2, χ²(1 − α/2; 2k + 2)/2]``, the lower limit 0 when
``k = 0``, scaled by ``1000/N``. The population is taken as known exactly; its
own error (small for a force area) is not in the interval.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.stats import chi2

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.forces import FORCES, force_name, force_slug

SHIPPED = Path(__file__).parent / "data" / "population_policeforces.csv"
SHIPPED_LABEL = (
    "ONS mid-year population estimates by police force area (England), compiled by "
    "LeonardoCastro/BritishDrugDynamics (MIT); ONS data under the Open Government Licence v3.0"
)
PER = 1000


class PopulationError(InputError):
    """A population table that cannot be used: ``file:line: field: reason``."""


@dataclass(frozen=True)
class Population:
    force: str
    residents: int
    year: int | None
    source: str

    def label(self) -> str:
        year = f" {self.year}" if self.year is not None else ""
        return f"{self.residents:,} residents{year} ({self.source})"


@dataclass(frozen=True)
class PopulationTable:
    """Residents by force (and year, where the table has years), with the table's label."""

    source: str
    file: str
    residents: Mapping[str, Mapping[int | None, int]]

    def forces(self) -> list[str]:
        return sorted(self.residents)

    def lookup(self, force: str, year: int | None = None) -> Population | None:
        """The force's residents in ``year``: that year, else the latest before it, else the
        earliest after it; a table without years has one figure. None when the force is absent."""
        by_year = self.residents.get(force_slug(force))
        if not by_year:
            return None
        years = sorted(y for y in by_year if y is not None)
        if not years:
            return Population(force_slug(force), by_year[None], None, self.source)
        if year is None:
            chosen = years[-1]
        else:
            before = [y for y in years if y <= year]
            chosen = before[-1] if before else years[0]
        return Population(force_slug(force), by_year[chosen], chosen, self.source)

    def missing_text(self, force: str) -> str:
        slug = force_slug(force)
        why = " (the table covers England only)" if slug in WELSH else ""
        if slug == "btp":
            why = " (British Transport Police has no resident population)"
        return f"no population for {force_name(slug)} in {self.source}{why}"


WELSH = frozenset({"dyfed-powys", "gwent", "north-wales", "south-wales"})


def _slug(text: str, where: str) -> str:
    slug = force_slug(text)
    if slug not in FORCES:
        raise PopulationError(f"{where}: {text!r} is not a police.uk force")
    return slug


def shipped_population() -> PopulationTable:
    """The shipped table (see the module docstring): one row a year, one column a force."""
    text = SHIPPED.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    slugs = [_slug(name, f"{SHIPPED}:1: {name}") for name in header[1:]]
    residents: dict[str, dict[int | None, int]] = {s: {} for s in slugs}
    for row in rows[1:]:
        year = int(row[0])
        for slug, value in zip(slugs, row[1:], strict=True):
            residents[slug][year] = int(value)
    return PopulationTable(SHIPPED_LABEL, str(SHIPPED), residents)


def _whole(value: str, where: str, name: str) -> int:
    text = value.strip().replace(",", "")
    if not text.isdigit():
        raise PopulationError(f"{where}: {name}: {value!r} is not a whole number")
    return int(text)


def load_population(path: str | Path) -> PopulationTable:
    """A user's population table (the format in the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PopulationError(f"{p}: cannot read it ({exc.strerror})") from None
    source = ""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            if not source and body.lower().startswith("source:"):
                source = body[len("source:") :].strip()
            continue
        if stripped:
            lines.append((number, line))
    if not lines:
        raise PopulationError(f"{p}: no header line (force,population[,year])")
    head_line, head = lines[0]
    columns = [c.strip().lower() for c in next(csv.reader([head]))]
    for needed in ("force", "population"):
        if needed not in columns:
            raise PopulationError(
                f"{p}:{head_line}: {needed}: no such column (columns: force, population, year)"
            )
    residents: dict[str, dict[int | None, int]] = {}
    for number, line in lines[1:]:
        values = next(csv.reader([line]))
        where = f"{p}:{number}"
        if len(values) != len(columns):
            raise PopulationError(
                f"{where}: {len(values)} values, but the header has {len(columns)} columns"
            )
        row: dict[str, Any] = dict(zip(columns, values, strict=True))
        if not row["force"].strip():
            raise PopulationError(f"{where}: force: is empty")
        slug = _slug(row["force"], f"{where}: force")
        count = _whole(row["population"], where, "population")
        if count == 0:
            raise PopulationError(f"{where}: population: must be more than 0")
        year: int | None = None
        if "year" in row and row["year"].strip():
            year = _whole(row["year"], where, "year")
            if not 1900 <= year <= 2100:
                raise PopulationError(f"{where}: year: {year} is not a year")
        if year in residents.get(slug, {}):
            raise PopulationError(
                f"{where}: force: {force_name(slug)} is given twice"
                + (f" for {year}" if year is not None else "")
            )
        residents.setdefault(slug, {})[year] = count
    if not residents:
        raise PopulationError(f"{p}: no rows under the header")
    return PopulationTable(source or p.name, str(p), residents)


@dataclass(frozen=True)
class Rate:
    """Events per 1,000 residents over the period, with the exact Poisson interval."""

    count: int
    residents: int
    rate: float
    low: float
    high: float
    conf_level: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate_per_1000": self.rate,
            "rate_per_1000_low": self.low,
            "rate_per_1000_high": self.high,
            "residents": self.residents,
            "conf_level": self.conf_level,
        }


def poisson_interval(count: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Garwood's exact interval for a Poisson count ``k`` (see the module docstring)."""
    if int(count) != count or count < 0:
        raise ValueError(f"count must be a whole number ≥ 0, got {count!r}")
    alpha = 1 - conf_level
    k = int(count)
    low = 0.0 if k == 0 else float(chi2.ppf(alpha / 2, 2 * k)) / 2
    return low, float(chi2.ppf(1 - alpha / 2, 2 * k + 2)) / 2


def rate_per_1000(count: int, residents: int, conf_level: float = 0.95) -> Rate:
    """``1000·count/residents`` with Garwood's exact interval (see the module docstring)."""
    if int(residents) != residents or residents <= 0:
        raise ValueError(f"residents must be a whole number > 0, got {residents!r}")
    low, high = poisson_interval(count, conf_level)
    scale = PER / residents
    return Rate(
        int(count), int(residents), int(count) * scale, low * scale, high * scale, conf_level
    )
