"""A residential population table by force and broad ethnic group, supplied by the user.

Stop-and-search disproportionality (:mod:`harmwatch.oversight.stop_search`)
divides searches by residents. No Census 2021 table of usual residents by ethnic
group and police force area is among the shared data (``../shared/data``: the
only population there is the LSOA total of the 2011→2021 lookup and mid-year
totals by force to 2019, neither by ethnic group) and none is on the package
index, so the user supplies one, typically built from ONS table TS021 (*Ethnic
group*) summed over the force's local authorities. The table says where its
figures come from, and every result that uses it repeats that.

The file is a CSV with a header and one row per force and group::

    force,ethnic_group,residents,source,year
    bedfordshire,White,513000,"ONS Census 2021 TS021, summed over the force's LAs",2021
    bedfordshire,Asian,112000,"ONS Census 2021 TS021, summed over the force's LAs",2021

- ``force``: the police.uk slug or the force's name ("Bedfordshire Police");
- ``ethnic_group``: one of the five broad Census 2021 groups, by short name
  (Asian, Black, Mixed, White, Other) or by the Census's own label ("Asian,
  Asian British or Asian Welsh" …);
- ``residents``: a whole number above 0 (thousands separators allowed);
- ``source`` and ``year``: one value each for the whole table.

Every force in the table needs a White row, the comparison group. The table is
read all or nothing: every problem is reported as ``file:line: field: reason``
and nothing is returned until there are none.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.forces import FORCES, force_name, force_slug

#: The five broad ethnic groups of the 2021 Census of England and Wales, short names.
CENSUS_GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
REFERENCE_GROUP = "White"
COLUMNS = ("force", "ethnic_group", "residents", "source", "year")

# The Census 2021 labels of the same groups, as ONS tables print them.
_CENSUS_LABELS = {
    "asian, asian british or asian welsh": "Asian",
    "black, black british, black welsh, caribbean or african": "Black",
    "mixed or multiple ethnic groups": "Mixed",
    "white": "White",
    "other ethnic group": "Other",
}
_GROUPS = {**{g.lower(): g for g in CENSUS_GROUPS}, **_CENSUS_LABELS}
_WHOLE = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)$")
MAX_PROBLEMS_SHOWN = 20


class ResidentsError(InputError):
    """The population table was refused; ``problems`` are ``file:line: field: reason``."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{path}: the population table was not read ({len(problems)} problem(s)):"]
        lines += [f"  {p}" for p in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ResidentsTable:
    """Residents by force (slug) and broad ethnic group, with where the figures come from."""

    path: str
    source: str
    year: int
    residents: Mapping[str, Mapping[str, int]]  # force slug -> group -> residents

    @property
    def forces(self) -> list[str]:
        return sorted(self.residents)

    def of(self, force: str) -> Mapping[str, int]:
        """The force's residents by group; empty when the table has no row for it."""
        return self.residents.get(force, MappingProxyType({}))

    def described(self) -> str:
        return f"residents: {self.source}, {self.year} (table supplied by the user: {self.path})"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "source": self.source,
            "year": self.year,
            "residents": {force: dict(groups) for force, groups in self.residents.items()},
        }


def ethnic_group(text: str) -> str | None:
    """The broad group a table names, by short name or Census label; None if none."""
    return _GROUPS.get(" ".join(text.split()).lower())


def load_residents(path: str | Path) -> ResidentsTable:
    """Read the population table at ``path``, all or nothing (see the module)."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file (the population table)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot be read as UTF-8 text: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ResidentsError(
            shown,
            [f"{shown}:1: header: missing column(s) {', '.join(missing)}; the header must be "
             f"{','.join(COLUMNS)}"],
        )  # fmt: skip
    reader.fieldnames = header
    problems: list[str] = []
    table: dict[str, dict[str, int]] = {}
    first_line: dict[tuple[str, str], int] = {}
    force_line: dict[str, int] = {}
    source: tuple[str, int] | None = None
    year: tuple[int, int] | None = None

    def problem(line: int, field: str, reason: str) -> None:
        problems.append(f"{shown}:{line}: {field}: {reason}")

    for row in reader:
        line = reader.line_num
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        if not any(values.values()):
            continue  # a blank line, as spreadsheets leave at the end
        force = _force(values["force"])
        if force is None:
            problem(line, "force", _force_reason(values["force"]))
        group = ethnic_group(values["ethnic_group"])
        if group is None:
            problem(
                line, "ethnic_group",
                f"{values['ethnic_group']!r} is not one of the five broad Census 2021 groups "
                f"({', '.join(CENSUS_GROUPS)})",
            )  # fmt: skip
        count = _residents(values["residents"])
        if count is None:
            problem(line, "residents", f"{values['residents']!r} is not a whole number above 0")
        if not values["source"]:
            problem(line, "source", "empty: say where the figures come from")
        elif source is None:
            source = (values["source"], line)
        elif values["source"] != source[0]:
            problem(
                line, "source",
                f"{values['source']!r} differs from {source[0]!r} (line {source[1]}): one source "
                "for the whole table",
            )  # fmt: skip
        row_year = _year(values["year"])
        if row_year is None:
            problem(line, "year", f"{values['year']!r} is not a year (e.g. 2021)")
        elif year is None:
            year = (row_year, line)
        elif row_year != year[0]:
            problem(
                line, "year",
                f"{row_year} differs from {year[0]} (line {year[1]}): one year for the whole table",
            )  # fmt: skip
        if force is None or group is None or count is None:
            continue
        force_line.setdefault(force, line)
        if (force, group) in first_line:
            problem(
                line, "ethnic_group",
                f"{group} for {force_name(force)} is already given on line "
                f"{first_line[(force, group)]}",
            )  # fmt: skip
            continue
        first_line[(force, group)] = line
        table.setdefault(force, {})[group] = count
    if not table and not problems:
        problems.append(f"{shown}:1: header: the table has no rows")
    for force, groups in table.items():
        if REFERENCE_GROUP not in groups:
            problem(
                force_line[force], "ethnic_group",
                f"no {REFERENCE_GROUP} row for {force_name(force)}: White residents are the "
                "comparison group of every rate ratio",
            )  # fmt: skip
    if problems:
        raise ResidentsError(shown, problems)
    assert source is not None and year is not None  # there is at least one good row
    return ResidentsTable(
        path=shown,
        source=source[0],
        year=year[0],
        residents=MappingProxyType(
            {f: MappingProxyType(dict(sorted(g.items()))) for f, g in sorted(table.items())}
        ),
    )


def _force(text: str) -> str | None:
    if not text:
        return None
    slug = force_slug(text)
    return slug if slug in FORCES else None


def _force_reason(text: str) -> str:
    if not text:
        return "empty, but every row must name its force"
    return (
        f"{text!r} is not a police.uk force (give its slug or name, e.g. bedfordshire or "
        "Bedfordshire Police)"
    )


def _residents(text: str) -> int | None:
    if not _WHOLE.match(text):
        return None
    value = int(text.replace(",", ""))
    return value if value > 0 else None


def _year(text: str) -> int | None:
    if not re.fullmatch(r"\d{4}", text):
        return None
    value = int(text)
    return value if 1900 <= value <= 2100 else None
