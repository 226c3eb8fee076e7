"""Build a SYNTHETIC national data.police.uk archive from the real shared files.

What it makes: ``OUT/YYYY-MM/YYYY-MM-<force>-{street,outcomes,stop-and-search}.csv.gz``
for every force that publishes on data.police.uk (45, as ``harmwatch`` knows them)
and every month from 2010-12 (police.uk's first) to 2025-12: about 100 million
street rows at ``--scale 1``, with outcomes and stop-and-search in the proportions
the real files show. The files are named, headed, quoted and gzipped as police.uk's,
so ``harmwatch ingest OUT`` loads them unchanged. ``OUT/README-SYNTHETIC.txt`` says
how they were made (and the attribution of the real data); ``OUT/manifest.json``
lists every file with its rows, size and SHA-256. Nothing is fetched from the
internet. The data are NOT real crimes: they are real police.uk rows re-dated,
re-sampled and (for four forces) moved. Use them to measure harmwatch at national
scale, never to say anything about crime.

Run (from the repository root)::

    python benchmarks/national_archive.py --out /tmp/national            # ~100M street rows
    python benchmarks/national_archive.py --out /tmp/tiny --scale 0.001 \\
        --months 2024-01..2024-03 --forces bedfordshire,metropolitan

Options: ``--scale F`` (multiplies every volume), ``--seed N``, ``--months A..B``,
``--forces a,b,c`` (slugs), ``--processes N`` (default 2), ``--data DIR`` (the
shared data folder, default ``../shared/data``). Progress goes to stderr.

Method
------
Sources (``DATA/police-uk``, Open Government Licence v3.0): the street files of 41
forces for 2018-10…2019-02 (38 in 2018-10), plus longer runs for Bedfordshire
(2021-05…2024-04), Hertfordshire (2021-01…2022-01) and seven forces in 2025;
outcomes for Bedfordshire and Hertfordshire; stop-and-search for Bedfordshire and
Northumbria.

1. **Source pool of each force.** A force's street months are split by the LSOA
   geography they were published in (2011 codes: every 2018-10…2019-02 file,
   Hertfordshire 2021-22, Northumbria; 2021 codes: Bedfordshire 2021-05…2024-04
   and every 2025 file, as ``DATA/SOURCES.md`` says); the force draws only from
   the vintage it has more months of, so its LSOA codes do not change from month
   to month (police.uk too publishes its whole archive in one geography).

2. **Volume.** ``base_f`` is the force's mean street rows per pool month (from
   ``DATA/MANIFEST.csv``). The expected rows of force *f* in month *m* are
   ``scale * M * base_f * season(m) * trend_f(m) * jitter_fm`` where
   ``season(m) = 1 + 0.06 cos(2 pi (month - 7) / 12)`` (a July peak),
   ``trend_f(m) = exp(slope_f * (years since 2018-12))`` with a seeded
   ``slope_f ~ Normal(0.02, 0.015)`` per year, ``jitter_fm = exp(0.05 Z - 0.05^2/2)``
   with a seeded standard normal *Z* (mean 1), and ``M`` the one constant that
   makes the expectation over all 45 forces and 181 months exactly 100 million.
   The row count is a seeded Poisson draw around that.

3. **Street rows.** Each output force-month takes ONE of its pool months, chosen
   by a seeded uniform draw, and samples that many of its rows uniformly WITH
   replacement (kept in the source's order, which is police.uk's: by LSOA name).
   The Month column is rewritten; every row that had a Crime ID gets a fresh
   seeded 64-hex one (32 random bytes: no two rows share one, with probability
   1 - 1e-60); rows without one (anti-social behaviour, all of British Transport
   Police) keep it empty. Every other field is the real row's.

4. **The four forces missing from the shared files** are synthesised from forces
   of similar size, volume scaled by Census-based population (latest year of
   ``DATA/tables/drug-misuse-by-force/population_policeforces.csv``):
   Metropolitan Police Service from Essex, Thames Valley, Kent and Hampshire (the
   four largest shire forces; no single force is near the Met's size); Greater
   Manchester from Lancashire and Merseyside; West Midlands from Avon and Somerset
   and Nottinghamshire; West Yorkshire from South Yorkshire and Northumbria
   (donor pairs of about the target's population, each with a large city). Each
   donor's points are moved by ``p' = c_target + s (p - c_donor)`` in British
   National Grid metres, where ``c_donor`` is the mean of the donor's located
   points inside its own force area, ``c_target`` the target force area's
   centroid and ``s = sqrt(area_target / area_donor)`` (force areas: ONS PFA
   December 2020, as bundled with harmwatch; the same outlines ``harmwatch
   hotspots`` uses). Rows whose moved point falls outside the target's force area
   or outside all of its districts (ONS LAD May 2024) are dropped from the pool;
   rows without a location are kept. Moved rows get the target's name in
   "Reported by"/"Falls within", the moved coordinates (6 decimals), and an LSOA
   named after the target district the point falls in (``"Camden 003B"``, one per
   donor LSOA and district) with a made-up code ``E019xxxxx`` outside the range of
   real codes; "Location" keeps the donor's street name. A target's pool months
   are the months all its donors have (2018-11…2019-02 or 2018-10…2019-02); a
   pool month holds all its donors' moved rows of that month.

5. **Outcomes.** Every crime with a Crime ID gets a first outcome with
   probability 0.97 and, if so, a second one with probability 0.05 (Bedfordshire
   2021-24 has 1.02 outcome rows per crime). The first is published ``L1`` months
   after the crime month, the second ``L1 + 1 + L2``, with ``L1, L2`` drawn from
   the lag distribution of Bedfordshire's real outcomes 2022-06…2024-04 joined to
   its street files (lags 0…12 months: 60 %, 23 %, 6 %, 3 % …; the 1.6 %
   beyond 12 are cut). The outcome type is drawn from the real distribution of
   outcome types for the crime's crime type (Bedfordshire and Hertfordshire
   outcomes joined to their street rows; the overall distribution for crime types
   with fewer than 50 joined rows). An outcome row repeats the crime's Crime ID,
   place and LSOA; its Month is the outcome's month. Outcomes that would be
   published after 2025-12 are not written (late-2025 crimes have fewer, as in the
   real archive), and the first year's outcome files are thinner (their older
   crimes would predate 2010-12). All draws for a crime are made from the stream of the crime's own
   force-month, so the outcome file of month *m* (which needs the crimes of
   *m-12…m*) regenerates them exactly, whichever process writes it.

6. **Stop-and-search**, for every force but the Police Service of Northern Ireland
   (which does not publish searches on police.uk): a seeded Poisson count with
   mean ``expected street rows * r_f``, ``r_f = 0.045 exp(0.35 Z_f - 0.35^2/2)``
   (0.045 lies between the real ratios of Northumbria, 2.3 %, and Bedfordshire,
   6.5 %). Each output month samples with replacement one of the 69 real months
   of Bedfordshire and Northumbria searches; every field is kept except Date (the
   real search's day of month, clipped to the month's length, and local time of
   day, put in the output month in Europe/London time and written in UTC as
   police.uk does, so the row's month in UK time is the file's month) and the
   location (a located search takes the point of a randomly chosen located street
   crime of the same force-month; an unlocated one stays unlocated). Rows are
   sorted by Date, as police.uk's are.

7. **Reproducibility.** Every random draw comes from a generator seeded by
   ``(seed, sha256(force slug), month, purpose)``: a force-month's files depend only
   on the seed, the scale and the real files, never on ``--months``, ``--forces``,
   ``--processes`` or the order of work; gzip members are written with mtime 0. The
   same command gives byte-identical files.

Known simplifications: crime types, outcome categories and LSOA codes are those of
2018-2025 in every year (police.uk's categories changed in 2013); no force-month is
missing (the real archive has gaps, e.g. Greater Manchester 2019-20); "Last outcome
category" is the source row's, not derived from the generated outcomes; a moved
force's "Location" names streets of its donor. Lines end in LF, as most of the
shared files do (Bedfordshire's end in CRLF; harmwatch reads both).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import multiprocessing
import os
import shlex
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import igzip

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

FIRST_MONTH = "2010-12"  # data.police.uk's first month
LAST_MONTH = "2025-12"
STREET_ROWS_AT_SCALE_1 = 100_000_000
ANCHOR_MONTH = "2018-12"  # the trend is 1 here, in the middle of the richest source months

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
OUTCOMES_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Outcome type"
)
SEARCH_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    "Outcome,Outcome linked to object of search,Removal of more than just outer clothing"
)

# Target -> donors of similar size (see the docstring, step 4).
SYNTHESISED: dict[str, tuple[str, ...]] = {
    "metropolitan": ("essex", "thames-valley", "kent", "hampshire"),
    "greater-manchester": ("lancashire", "merseyside"),
    "west-midlands": ("avon-and-somerset", "nottinghamshire"),
    "west-yorkshire": ("south-yorkshire", "northumbria"),
}
# Column names of the population table for the forces that need one.
POPULATION_COLUMN = {
    "metropolitan": "Metropolitan Police",
    "greater-manchester": "Greater Manchester",
    "west-midlands": "West Midlands",
    "west-yorkshire": "West Yorkshire",
    "essex": "Essex",
    "thames-valley": "Thames Valley",
    "kent": "Kent",
    "hampshire": "Hampshire",
    "lancashire": "Lancashire",
    "merseyside": "Merseyside",
    "avon-and-somerset": "Avon and Somerset",
    "nottinghamshire": "Nottinghamshire",
    "south-yorkshire": "South Yorkshire",
    "northumbria": "Northumbria",
}
SYNTHETIC_CODE_BASE = 900_000  # real LSOA codes end near E01035xxx
SYNTHETIC_CODE_BLOCK = 25_000
SEARCH_DONORS = ("bedfordshire", "northumbria")
NO_SEARCHES = frozenset({"northern-ireland"})

SEASON_AMPLITUDE = 0.06
TREND_MEAN, TREND_SD = 0.02, 0.015
JITTER_SD = 0.05
SEARCH_RATIO, SEARCH_RATIO_SD = 0.045, 0.35
P_FIRST_OUTCOME, P_SECOND_OUTCOME = 0.97, 0.05
# Bedfordshire outcomes 2022-06…2024-04 by months after the crime (joined on Crime ID).
OUTCOME_LAG_COUNTS = (58815, 22451, 6134, 3170, 1744, 1248, 1187, 729, 507, 395, 371, 318, 294)
MAX_LAG = len(OUTCOME_LAG_COUNTS) - 1
MIN_JOINED_FOR_OWN_DISTRIBUTION = 50

# Purposes of the seeded streams of one force-month.
STREET, IDS, OUTCOME_DRAWS, SEARCHES = 0, 1, 2, 3
FORCE_STREAM_MONTH = -1  # a force's own draws (trend, search ratio), not a month's

LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(data.police.uk; https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)."
)


class ArchiveError(RuntimeError):
    """The archive cannot be made from these files (an Exception, not SystemExit: a
    worker process that raised SystemExit would leave its pool waiting for ever)."""


# --- months -------------------------------------------------------------------------


def month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_months(text: str) -> tuple[int, int]:
    """``A..B`` (or ``A:B``, or one month) to inclusive month indexes inside the archive."""
    for sep in ("..", ":"):
        if sep in text:
            first, last = (p.strip() for p in text.split(sep, 1))
            break
    else:
        first = last = text.strip()
    try:
        a, b = month_index(first), month_index(last)
    except ValueError:
        raise ArchiveError(f"months {text!r}: not YYYY-MM..YYYY-MM") from None
    lo, hi = month_index(FIRST_MONTH), month_index(LAST_MONTH)
    if not lo <= a <= b <= hi:
        raise ArchiveError(f"months {text!r} must lie inside {FIRST_MONTH}..{LAST_MONTH}, in order")
    return a, b


def season(index: int) -> float:
    return 1.0 + SEASON_AMPLITUDE * math.cos(2 * math.pi * ((index % 12) + 1 - 7) / 12)


# --- seeded streams -----------------------------------------------------------------


def force_key(slug: str) -> int:
    return int.from_bytes(hashlib.sha256(slug.encode()).digest()[:4], "big")


def stream(seed: int, slug: str, month: int, purpose: int) -> np.random.Generator:
    # A month index is non-negative; the force's own stream uses a fixed word instead.
    word = month if month >= 0 else 2**31
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, force_key(slug), word, purpose]))
    )


# --- the plan (made once, in the parent) ---------------------------------------------


@dataclass(frozen=True)
class ForcePlan:
    slug: str
    name: str
    base: float  # street rows per pool month
    slope: float  # trend per year
    search_ratio: float
    # (source month, street files: one per donor, data rows of the file or -1 for a
    # synthesised force, whose rows are known only once moved)
    pool: tuple[tuple[str, tuple[str, ...], int], ...]
    donors: tuple[str, ...] = ()  # empty for a force with its own files

    def expected(self, index: int, scale: float, multiplier: float) -> float:
        years = (index - month_index(ANCHOR_MONTH)) / 12
        return scale * multiplier * self.base * season(index) * math.exp(self.slope * years)


@dataclass(frozen=True)
class Plan:
    data: str
    out: str
    seed: int
    scale: float
    multiplier: float
    forces: dict[str, ForcePlan]
    crime_types: tuple[str, ...]
    outcome_types: tuple[str, ...]
    outcome_cum: tuple[tuple[float, ...], ...]  # per crime type (last row: all), cumulative
    lag_p: tuple[float, ...]
    search_files: tuple[tuple[str, int], ...]  # (file, data rows)


def _vintage(slug: str, month: str) -> int:
    """The LSOA geography of a shared street file, by the rule DATA/SOURCES.md gives."""
    if month >= "2025-01" or (slug == "bedfordshire" and "2021-05" <= month <= "2024-04"):
        return 2021
    return 2011


def _street_files(police_uk: Path) -> dict[str, dict[str, Path]]:
    out: dict[str, dict[str, Path]] = {}
    for path in sorted(police_uk.glob("*/*-street.csv.gz")):
        month = path.name[:7]
        slug = path.name[8 : -len("-street.csv.gz")]
        out.setdefault(slug, {})[month] = path
    return out


def _manifest_rows(data: Path) -> dict[str, int]:
    """Rows of each shared police.uk file, from MANIFEST.csv (counted where it is absent)."""
    manifest = data / "MANIFEST.csv"
    rows: dict[str, int] = {}
    if manifest.exists():
        with manifest.open(newline="") as handle:
            for record in csv.DictReader(handle):
                if record["path"].startswith("police-uk/") and record["rows"]:
                    rows[record["path"]] = int(record["rows"])
    return rows


def _count_rows(path: Path) -> int:
    return igzip.decompress(path.read_bytes()).rstrip(b"\r\n").count(b"\n")


def _population(data: Path) -> dict[str, int]:
    table = data / "tables" / "drug-misuse-by-force" / "population_policeforces.csv"
    with table.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    latest = max(records, key=lambda r: int(r["year"]))
    return {slug: int(latest[col]) for slug, col in POPULATION_COLUMN.items()}


@lru_cache(maxsize=4)
def _outcome_distribution(
    police_uk: Path,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[float, ...], ...]]:
    """P(outcome type | crime type) from the real outcomes joined to their street rows."""
    import duckdb

    outcomes = sorted(str(p) for p in police_uk.glob("*/*-outcomes.csv.gz"))
    forces = sorted({Path(p).name[8 : -len("-outcomes.csv.gz")] for p in outcomes})
    streets = sorted(str(p) for f in forces for p in police_uk.glob(f"*/*-{f}-street.csv.gz"))
    con = duckdb.connect()
    # The headers are known: sniffing each of ~130 files would cost more than reading them.
    options = "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"'"
    try:
        rows = con.execute(
            f"""
            WITH st AS (
                SELECT DISTINCT "Crime ID" AS id, "Crime type" AS ct
                FROM read_csv($streets, columns = $street_columns, {options})
                WHERE "Crime ID" IS NOT NULL),
            ot AS (
                SELECT "Crime ID" AS id, rtrim("Outcome type", chr(13)) AS o
                FROM read_csv($outcomes, columns = $outcome_columns, {options})
                WHERE "Outcome type" IS NOT NULL)
            SELECT coalesce(st.ct, ''), ot.o, count(*) FROM ot LEFT JOIN st USING (id)
            GROUP BY ALL ORDER BY ALL
            """,
            {
                "streets": streets,
                "outcomes": outcomes,
                "street_columns": dict.fromkeys(STREET_HEADER.split(","), "VARCHAR"),
                "outcome_columns": dict.fromkeys(OUTCOMES_HEADER.split(","), "VARCHAR"),
            },
        ).fetchall()
    finally:
        con.close()
    outcome_types = tuple(sorted({o for _, o, _ in rows}))
    position = {o: i for i, o in enumerate(outcome_types)}
    counts: dict[str, np.ndarray] = {}
    overall = np.zeros(len(outcome_types))
    for ct, o, n in rows:
        overall[position[o]] += n
        if ct:
            counts.setdefault(ct, np.zeros(len(outcome_types)))[position[o]] += n
    crime_types = tuple(
        sorted(ct for ct, c in counts.items() if c.sum() >= MIN_JOINED_FOR_OWN_DISTRIBUTION)
    )
    cum = [tuple(np.cumsum(counts[ct] / counts[ct].sum()).tolist()) for ct in crime_types]
    cum.append(tuple(np.cumsum(overall / overall.sum()).tolist()))
    return crime_types, outcome_types, tuple(cum)


def make_plan(data: Path, out: Path, seed: int, scale: float) -> Plan:
    from harmwatch.sources.policeuk.forces import FORCES

    police_uk = data / "police-uk"
    if not police_uk.is_dir():
        raise ArchiveError(f"no real police.uk files at {police_uk}")
    files = _street_files(police_uk)
    listed = _manifest_rows(data)

    def rows_of(path: Path) -> int:
        key = path.relative_to(data).as_posix()
        return listed[key] if key in listed else _count_rows(path)

    def own_pool(slug: str) -> list[tuple[str, Path]]:
        by_vintage: dict[int, list[tuple[str, Path]]] = {}
        for month, path in sorted(files[slug].items()):
            by_vintage.setdefault(_vintage(slug, month), []).append((month, path))
        # More months wins; a tie goes to the newer geography.
        best = max(by_vintage, key=lambda v: (len(by_vintage[v]), v))
        return by_vintage[best]

    population = _population(data)
    forces: dict[str, ForcePlan] = {}
    for slug in sorted(FORCES):
        draws = stream(seed, slug, FORCE_STREAM_MONTH, 0)
        slope = float(draws.normal(TREND_MEAN, TREND_SD))
        ratio = (
            0.0
            if slug in NO_SEARCHES
            else SEARCH_RATIO
            * math.exp(SEARCH_RATIO_SD * float(draws.standard_normal()) - SEARCH_RATIO_SD**2 / 2)
        )
        if slug in SYNTHESISED:
            donors = SYNTHESISED[slug]
            pools = {d: dict(own_pool(d)) for d in donors}
            months = sorted(set.intersection(*(set(p) for p in pools.values())))
            pool = tuple((m, tuple(str(pools[d][m]) for d in donors), -1) for m in months)
            donor_base = sum(np.mean([rows_of(p) for p in pools[d].values()]) for d in donors)
            base = float(donor_base) * population[slug] / sum(population[d] for d in donors)
        elif slug in files:
            own = own_pool(slug)
            pool = tuple((m, (str(p),), rows_of(p)) for m, p in own)
            base = float(np.mean([rows_of(p) for _, p in own]))
            donors = ()
        else:
            raise ArchiveError(f"no street files for {slug} in {police_uk} and no donors for it")
        forces[slug] = ForcePlan(slug, FORCES[slug], base, slope, ratio, pool, donors)

    # The one constant that makes the national expectation 100 million at scale 1.
    lo, hi = month_index(FIRST_MONTH), month_index(LAST_MONTH)
    unscaled = sum(fp.expected(i, 1.0, 1.0) for fp in forces.values() for i in range(lo, hi + 1))
    multiplier = STREET_ROWS_AT_SCALE_1 / unscaled

    crime_types, outcome_types, cum = _outcome_distribution(police_uk)
    lag = np.asarray(OUTCOME_LAG_COUNTS, dtype=float)
    search_files = tuple(
        (str(p), rows_of(p))
        for d in SEARCH_DONORS
        for p in sorted(police_uk.glob(f"*/*-{d}-stop-and-search.csv.gz"))
    )
    return Plan(
        data=str(data),
        out=str(out),
        seed=seed,
        scale=scale,
        multiplier=multiplier,
        forces=forces,
        crime_types=crime_types,
        outcome_types=outcome_types,
        outcome_cum=cum,
        lag_p=tuple((lag / lag.sum()).tolist()),
        search_files=search_files,
    )


# --- reading and rendering the real rows (in the workers) ----------------------------


def _quote(value: str) -> str:
    # Minimal quoting, as police.uk's files (and Python's csv module) do.
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _table(path: str, header: str) -> pa.Table:
    """A police.uk file as all-text columns, empty values as empty strings."""
    data = igzip.decompress(Path(path).read_bytes())
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first = data[: data.find(b"\n")].rstrip(b"\r").decode()
    if first != header:
        raise ArchiveError(f"{path}: not the police.uk header {header!r} (found {first!r})")
    names = header.split(",")
    return pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _quoted(values: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(values, r'[,"\r\n]')
    wrapped = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, wrapped, values)


def _rendered(table: pa.Table, names: Sequence[str], end: str = "") -> list[bytes]:
    """The CSV text of these columns of every row, minimally quoted, plus ``end``."""
    joined = pc.binary_join_element_wise(*[_quoted(_column(table, n)) for n in names], ",")
    if end:
        joined = pc.binary_join_element_wise(joined, "", end)
    return joined.cast(pa.binary()).to_pylist()


def _numbers(values: pa.Array) -> np.ndarray:
    """Text to float64, NaN where empty or not a number (police.uk's are always numbers)."""
    empty = pc.equal(values, "")
    text = pc.if_else(empty, pa.scalar(None, pa.string()), values)
    try:
        numbers = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        numbers = pa.array([_float_or_none(v) for v in text.to_pylist()], type=pa.float64())
    return np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)  # a writable copy


def _float_or_none(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


STREET_COLUMNS = STREET_HEADER.split(",")
PLACE_COLUMNS = STREET_COLUMNS[2:9]  # "Reported by" … "LSOA name"
TAIL_COLUMNS = STREET_COLUMNS[9:]  # crime type, last outcome category, context
SEARCH_COLUMNS = SEARCH_HEADER.split(",")


@dataclass
class StreetSource:
    """One pool month of a force, every row split into the parts an output row reuses."""

    has_id: np.ndarray  # bool
    crime_type: np.ndarray  # int16 index into Plan.crime_types; len(crime_types) = other
    place: list[bytes]  # "Reported by" … "LSOA name", rendered
    rest: list[bytes]  # place + "," + crime type, last outcome, context + "\n"
    lat: list[bytes]
    lon: list[bytes]
    located: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.place)


def _source(table: pa.Table, crime_types: Sequence[str]) -> StreetSource:
    place = _rendered(table, PLACE_COLUMNS)
    tail = _rendered(table, TAIL_COLUMNS, "\n")
    lon, lat = _column(table, "Longitude"), _column(table, "Latitude")
    kind = pc.index_in(
        _column(table, "Crime type"), value_set=pa.array(list(crime_types), pa.string())
    )
    return StreetSource(
        has_id=pc.not_equal(_column(table, "Crime ID"), "").to_numpy(zero_copy_only=False),
        crime_type=np.asarray(pc.fill_null(kind, len(crime_types)).to_numpy(), dtype=np.int16),
        place=place,
        rest=[p + b"," + t for p, t in zip(place, tail, strict=True)],
        lat=lat.cast(pa.binary()).to_pylist(),
        lon=lon.cast(pa.binary()).to_pylist(),
        located=pc.and_(pc.not_equal(lon, ""), pc.not_equal(lat, "")).to_numpy(
            zero_copy_only=False
        ),
    )


def _moved_pool(plan: Plan, fp: ForcePlan) -> list[StreetSource]:
    """A synthesised force's pool months: its donors' rows moved into its area (step 4)."""
    import shapely

    from harmwatch.spatial import boundaries
    from harmwatch.spatial.projection import to_bng, to_wgs84

    target_area = boundaries.force_area_polygon(fp.slug)
    lads = boundaries.force_districts(fp.slug)
    if target_area is None or lads.empty:
        raise ArchiveError(f"no bundled boundary for {fp.slug}")
    lad_names = np.asarray(list(lads["name"]), dtype=object)
    lad_geoms = list(lads.geometry.values)
    centre = target_area.centroid
    tables = [
        [_table(p, STREET_HEADER) for p in files] for _, files, _ in fp.pool
    ]  # [month][donor]

    def bng(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = _numbers(_column(table, "Longitude")), _numbers(_column(table, "Latitude"))
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        lon[bad] = lat[bad] = np.nan
        return to_bng(lon, lat)

    movers: list[tuple[float, float, float]] = []  # donor centre x, y and the scale
    for d, donor in enumerate(fp.donors):
        area = boundaries.force_area_polygon(donor)
        if area is None:
            raise ArchiveError(f"no bundled boundary for donor {donor}")
        xy = [bng(month[d]) for month in tables]
        x = np.concatenate([a for a, _ in xy])
        y = np.concatenate([b for _, b in xy])
        ok = np.isfinite(x)
        inside = np.zeros(len(x), dtype=bool)
        inside[ok] = shapely.contains_xy(area, x[ok], y[ok])
        movers.append(
            (
                float(x[inside].mean()),
                float(y[inside].mean()),
                math.sqrt(target_area.area / area.area),
            )
        )

    # Move every row; keep those landing in the target; one LSOA per (district, donor LSOA).
    kept: list[list[tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = []
    keys: set[tuple[str, str, str]] = set()
    for month in tables:
        month_kept = []
        for d, table in enumerate(month):
            x, y = bng(table)
            cx, cy, scale = movers[d]
            nx, ny = centre.x + scale * (x - cx), centre.y + scale * (y - cy)
            located = np.isfinite(nx)
            lad = np.full(len(nx), -1, dtype=np.int64)
            for k, geom in enumerate(lad_geoms):
                todo = np.flatnonzero(located & (lad < 0))
                if len(todo) == 0:
                    break
                lad[todo[shapely.contains_xy(geom, nx[todo], ny[todo])]] = k
            in_area = np.zeros(len(nx), dtype=bool)
            in_area[located] = shapely.contains_xy(target_area, nx[located], ny[located])
            keep = np.flatnonzero(~located | (in_area & (lad >= 0)))
            lon, lat = to_wgs84(np.where(located, nx, 0.0)[keep], np.where(located, ny, 0.0)[keep])
            sub = table.take(pa.array(keep))
            codes = np.asarray(_column(sub, "LSOA code").to_pylist(), dtype=object)
            lad_kept = lad[keep]
            here = lad_kept >= 0
            keys.update(
                zip(
                    lad_names[lad_kept[here]],
                    [fp.donors[d]] * int(here.sum()),
                    codes[here],
                    strict=True,
                )
            )
            month_kept.append((sub, lad_kept, lon, lat, codes))
        kept.append(month_kept)

    block = list(SYNTHESISED).index(fp.slug)
    if len(keys) > SYNTHETIC_CODE_BLOCK:
        raise ArchiveError(f"{fp.slug}: more than {SYNTHETIC_CODE_BLOCK} synthetic LSOAs")
    per_lad: dict[str, int] = {}
    lsoa: dict[tuple[str, str, str], tuple[str, str]] = {}
    for n, key in enumerate(sorted(keys)):
        k = per_lad.get(key[0], 0)
        per_lad[key[0]] = k + 1
        code = f"E01{SYNTHETIC_CODE_BASE + block * SYNTHETIC_CODE_BLOCK + n:06d}"
        lsoa[key] = (code, f"{key[0]} {k // 4 + 1:03d}{'ABCD'[k % 4]}")

    crime_types = plan.crime_types
    pool: list[StreetSource] = []
    for month_kept in kept:
        parts = []
        for d, (sub, lad_kept, lon, lat, codes) in enumerate(month_kept):
            here = (lad_kept >= 0).tolist()
            names = [
                lsoa[(lad_names[k], fp.donors[d], c)] if h else None
                for k, c, h in zip(lad_kept, codes, here, strict=True)
            ]
            old_code = _column(sub, "LSOA code").to_pylist()
            old_name = _column(sub, "LSOA name").to_pylist()
            columns = {
                "Reported by": pa.array([fp.name] * len(sub), pa.string()),
                "Falls within": pa.array([fp.name] * len(sub), pa.string()),
                "Longitude": pa.array(
                    [f"{v:.6f}" if h else "" for v, h in zip(lon.tolist(), here, strict=True)]
                ),
                "Latitude": pa.array(
                    [f"{v:.6f}" if h else "" for v, h in zip(lat.tolist(), here, strict=True)]
                ),
                "LSOA code": pa.array(
                    [n[0] if n else c for n, c in zip(names, old_code, strict=True)], pa.string()
                ),
                "LSOA name": pa.array(
                    [n[1] if n else c for n, c in zip(names, old_name, strict=True)], pa.string()
                ),
            }
            for name, values in columns.items():
                sub = sub.set_column(sub.schema.get_field_index(name), name, values)
            parts.append(sub)
        pool.append(_source(pa.concat_tables(parts), crime_types))
    return pool


@dataclass
class SearchSource:
    head: list[bytes]  # Type
    middle: list[bytes]  # Part of a policing operation, Policing operation
    tail: list[bytes]  # Gender … Removal of more than just outer clothing + "\n"
    located: np.ndarray
    day: np.ndarray  # day of month, UK local time
    second: np.ndarray  # second of the day, UK local time

    def __len__(self) -> int:
        return len(self.head)


def _read_searches(path: str) -> SearchSource:
    import pandas as pd

    table = _table(path, SEARCH_HEADER)
    local = pd.to_datetime(_column(table, "Date").to_pylist(), utc=True).tz_convert("Europe/London")
    lat, lon = _column(table, "Latitude"), _column(table, "Longitude")
    return SearchSource(
        head=_rendered(table, SEARCH_COLUMNS[:1]),
        middle=_rendered(table, SEARCH_COLUMNS[2:4]),
        tail=_rendered(table, SEARCH_COLUMNS[6:], "\n"),
        located=pc.and_(pc.not_equal(lon, ""), pc.not_equal(lat, "")).to_numpy(
            zero_copy_only=False
        ),
        day=np.asarray(local.day, dtype=np.int64),
        second=np.asarray(local.hour * 3600 + local.minute * 60 + local.second, dtype=np.int64),
    )


@dataclass
class MonthDraws:
    """Everything seeded about one force-month's crimes (cached: outcomes reuse it)."""

    source: int
    rows: np.ndarray  # sampled row numbers of the source, sorted
    expected: float
    ids: bytes  # 32 random bytes per row
    first: np.ndarray  # bool: has a first outcome
    lag1: np.ndarray
    second: np.ndarray  # bool: has a second outcome
    lag2: np.ndarray  # months after the first
    type1: np.ndarray  # uniform draws for the outcome types
    type2: np.ndarray


# Loaded sources, kept for the life of the process: a worker moves on from force to
# force, and a test builds several small archives in one process.
_STREET_CACHE: OrderedDict[str, StreetSource] = OrderedDict()
_MOVED_CACHE: OrderedDict[tuple[str, str], list[StreetSource]] = OrderedDict()
_SEARCH_CACHE: dict[str, SearchSource] = {}
STREET_CACHE_FILES = 64
MOVED_CACHE_FORCES = len(SYNTHESISED)


def _cached(cache: OrderedDict[Any, Any], key: Any, make: Any, most: int) -> Any:
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    while len(cache) > most:
        cache.popitem(last=False)
    return value


class Worker:
    """The state one process keeps: the plan and the recent force-months' draws."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.draws: OrderedDict[tuple[str, int], MonthDraws] = OrderedDict()
        self.out = Path(plan.out)

    def moved(self, slug: str) -> list[StreetSource]:
        fp = self.plan.forces[slug]
        return _cached(
            _MOVED_CACHE,
            (self.plan.data, slug),
            lambda: _moved_pool(self.plan, fp),
            MOVED_CACHE_FORCES,
        )

    def source(self, slug: str, k: int) -> StreetSource:
        fp = self.plan.forces[slug]
        if fp.donors:
            return self.moved(slug)[k]
        _, files, rows = fp.pool[k]

        def load() -> StreetSource:
            src = _source(_table(files[0], STREET_HEADER), self.plan.crime_types)
            if len(src) != rows:
                raise ArchiveError(f"{files[0]}: {len(src)} rows, but MANIFEST.csv says {rows}")
            return src

        return _cached(_STREET_CACHE, files[0], load, STREET_CACHE_FILES)

    def source_rows(self, slug: str, k: int) -> int:
        fp = self.plan.forces[slug]
        return len(self.moved(slug)[k]) if fp.donors else fp.pool[k][2]

    def search_source(self, k: int) -> SearchSource:
        path, rows = self.plan.search_files[k]
        if path not in _SEARCH_CACHE:
            src = _read_searches(path)
            if len(src) != rows:
                raise ArchiveError(f"{path}: {len(src)} rows, but MANIFEST.csv says {rows}")
            _SEARCH_CACHE[path] = src
        return _SEARCH_CACHE[path]

    def month_draws(self, slug: str, index: int) -> MonthDraws:
        key = (slug, index)
        if key in self.draws:
            return self.draws[key]
        plan, fp = self.plan, self.plan.forces[slug]
        rng = stream(plan.seed, slug, index, STREET)
        jitter = math.exp(JITTER_SD * float(rng.standard_normal()) - JITTER_SD**2 / 2)
        expected = fp.expected(index, plan.scale, plan.multiplier) * jitter
        n = int(rng.poisson(expected))
        source = int(rng.integers(len(fp.pool)))
        size = self.source_rows(slug, source)
        if size == 0:
            n = 0
        rows = np.sort(rng.integers(0, max(size, 1), n))
        ids = stream(plan.seed, slug, index, IDS).bytes(32 * n)
        od = stream(plan.seed, slug, index, OUTCOME_DRAWS)
        lag_p = np.asarray(plan.lag_p)
        draws = MonthDraws(
            source=source,
            rows=rows,
            expected=expected,
            ids=ids,
            first=od.random(n) < P_FIRST_OUTCOME,
            lag1=od.choice(len(lag_p), size=n, p=lag_p),
            second=od.random(n) < P_SECOND_OUTCOME,
            lag2=1 + od.choice(len(lag_p), size=n, p=lag_p),
            type1=od.random(n),
            type2=od.random(n),
        )
        self.draws[key] = draws
        while len(self.draws) > MAX_LAG + 3:
            self.draws.popitem(last=False)
        return draws

    def run(self, slug: str, index: int) -> list[dict[str, Any]]:
        month = month_text(index)
        folder = self.out / month
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        draws = self.month_draws(slug, index)
        src = self.source(slug, draws.source)
        street = self.street_rows(draws, src, month)
        written.append(
            self.write(folder, month, slug, "street", STREET_HEADER, street, len(draws.rows))
        )
        lines = self.outcome_rows(slug, index, month)
        written.append(
            self.write(folder, month, slug, "outcomes", OUTCOMES_HEADER, lines, len(lines))
        )
        if slug not in NO_SEARCHES:
            lines = self.search_rows(slug, index, draws, src)
            written.append(
                self.write(folder, month, slug, "stop-and-search", SEARCH_HEADER, lines, len(lines))
            )
        return [w for w in written if w]

    def street_rows(self, draws: MonthDraws, src: StreetSource, month: str) -> list[bytes]:
        hexed = draws.ids.hex().encode()
        sep = b"," + month.encode() + b","
        has_id = src.has_id[draws.rows].tolist()
        rest = src.rest
        return [
            (hexed[64 * i : 64 * i + 64] + sep if has else sep) + rest[j]
            for i, (j, has) in enumerate(zip(draws.rows.tolist(), has_id, strict=True))
        ]

    def outcome_rows(self, slug: str, index: int, month: str) -> list[bytes]:
        plan = self.plan
        cum = np.asarray(plan.outcome_cum)
        names = [b"," + _quote(o).encode() + b"\n" for o in plan.outcome_types]
        sep = b"," + month.encode() + b","
        lines: list[bytes] = []
        first_month = month_index(FIRST_MONTH)
        for lag in range(MAX_LAG, -1, -1):
            crime_month = index - lag
            if crime_month < first_month:
                continue
            d = self.month_draws(slug, crime_month)
            if len(d.rows) == 0:
                continue
            src = self.source(slug, d.source)
            has_id = src.has_id[d.rows]
            one = has_id & d.first & (d.lag1 == lag)
            two = has_id & d.first & d.second & (d.lag1 + d.lag2 == lag)
            picked = np.flatnonzero(one | two)
            if len(picked) == 0:
                continue
            u = np.where(one[picked], d.type1[picked], d.type2[picked])
            ct = src.crime_type[d.rows[picked]]
            table = cum[np.minimum(ct, len(cum) - 1)]
            outcome = np.minimum((u[:, None] >= table).sum(axis=1), len(names) - 1)
            ids = (
                np.frombuffer(d.ids, dtype=np.uint8)
                .reshape(-1, 32)[picked]
                .tobytes()
                .hex()
                .encode()
            )
            place = src.place
            lines.extend(
                ids[64 * k : 64 * k + 64] + sep + place[j] + names[o]
                for k, (j, o) in enumerate(
                    zip(d.rows[picked].tolist(), outcome.tolist(), strict=True)
                )
            )
        return lines

    def search_rows(
        self, slug: str, index: int, draws: MonthDraws, src: StreetSource
    ) -> list[bytes]:
        import pandas as pd

        plan, fp = self.plan, self.plan.forces[slug]
        rng = stream(plan.seed, slug, index, SEARCHES)
        n = int(rng.poisson(draws.expected * fp.search_ratio))
        which = int(rng.integers(len(plan.search_files)))
        rows = rng.integers(0, plan.search_files[which][1], n)
        points = draws.rows[src.located[draws.rows]]
        pick = rng.integers(0, max(len(points), 1), n)
        if n == 0:
            return []
        donor = self.search_source(which)
        year, mon = index // 12, index % 12 + 1
        days = (
            np.datetime64(f"{month_text(index + 1)}-01") - np.datetime64(f"{month_text(index)}-01")
        ).astype(int)
        day = np.minimum(donor.day[rows], days)
        local = np.datetime64(f"{year:04d}-{mon:02d}-01T00:00:00", "s") + (
            (day - 1) * 86400 + donor.second[rows]
        ).astype("timedelta64[s]")
        utc = (
            pd.DatetimeIndex(local)
            .tz_localize(
                "Europe/London", ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward"
            )
            .tz_convert("UTC")
        )
        order = np.argsort(utc.asi8, kind="stable")
        dates = list(utc.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
        lines = []
        for k in order.tolist():
            r = int(rows[k])
            if donor.located[r] and len(points):
                j = int(points[pick[k]])
                where = src.lat[j] + b"," + src.lon[j]
            else:
                where = b","
            lines.append(
                donor.head[r] + b"," + dates[k].encode() + b"," + donor.middle[r] + b","
                + where + b"," + donor.tail[r]
            )  # fmt: skip
        return lines

    def write(
        self,
        folder: Path,
        month: str,
        slug: str,
        kind: str,
        header: str,
        lines: list[bytes],
        rows: int,
    ) -> dict[str, Any] | None:
        if not lines:
            return None
        data = header.encode() + b"\n" + b"".join(lines)
        packed = igzip.compress(data, 1, mtime=0)
        name = f"{month}-{slug}-{kind}.csv.gz"
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(packed)
        os.replace(tmp, folder / name)
        return {
            "path": f"{month}/{name}",
            "kind": kind,
            "force": slug,
            "month": month,
            "rows": rows,
            "bytes": len(packed),
            "sha256": hashlib.sha256(packed).hexdigest(),
        }


_WORKER: Worker | None = None


def _init(plan: Plan) -> None:
    global _WORKER
    _WORKER = Worker(plan)


def _run_chunk(units: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    assert _WORKER is not None
    out: list[dict[str, Any]] = []
    for slug, index in units:
        out.extend(_WORKER.run(slug, index))
    return out


# --- the command ---------------------------------------------------------------------


def _chunks(forces: Sequence[str], lo: int, hi: int, size: int = 24) -> list[list[tuple[str, int]]]:
    # Consecutive months of one force per chunk, so a worker reuses the force's pool
    # and the previous months' draws its outcomes need.
    chunks: list[list[tuple[str, int]]] = []
    for slug in forces:
        months = list(range(lo, hi + 1))
        chunks.extend(
            [(slug, i) for i in months[k : k + size]] for k in range(0, len(months), size)
        )
    return chunks


def build(
    out: Path,
    *,
    seed: int = 20_101_201,
    scale: float = 1.0,
    months: str = f"{FIRST_MONTH}..{LAST_MONTH}",
    forces: Sequence[str] | None = None,
    processes: int = 2,
    data: Path = DEFAULT_DATA,
    command: str | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Write the archive to ``out`` and return its manifest (also written as manifest.json)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    plan = make_plan(data, out, seed, scale)
    wanted = list(forces) if forces else sorted(plan.forces)
    unknown = [f for f in wanted if f not in plan.forces]
    if unknown:
        raise ArchiveError(f"unknown force slug(s): {', '.join(unknown)}")
    lo, hi = parse_months(months)
    chunks = _chunks(wanted, lo, hi)
    total_units = sum(len(c) for c in chunks)
    files: list[dict[str, Any]] = []
    done = 0
    last_report = 0.0

    def report(batch: list[dict[str, Any]], units: int) -> None:
        nonlocal done, last_report
        files.extend(batch)
        done += units
        now = time.perf_counter()
        if quiet or (now - last_report < 2.0 and done < total_units):
            return
        last_report = now
        rows = sum(f["rows"] for f in files)
        elapsed = now - started
        eta = elapsed / done * (total_units - done)
        print(
            f"[{done}/{total_units} force-months] {rows:,} rows, {elapsed:.0f} s, "
            f"{rows / max(elapsed, 1e-9):,.0f} rows/s, about {eta:.0f} s to go",
            file=sys.stderr,
            flush=True,
        )

    if processes <= 1:
        _init(plan)
        for chunk in chunks:
            report(_run_chunk(chunk), len(chunk))
    else:
        # fork: the workers inherit the loaded modules (this script is not a package
        # module, so a spawned worker could not import it by name).
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes, initializer=_init, initargs=(plan,)) as pool:
            for chunk, batch in zip(chunks, pool.imap(_run_chunk, chunks), strict=True):
                report(batch, len(chunk))

    files.sort(key=lambda f: f["path"])
    rows_by_kind = {
        k: sum(f["rows"] for f in files if f["kind"] == k)
        for k in ("street", "outcomes", "stop-and-search")
    }
    manifest = {
        "synthetic": True,
        "generator": "benchmarks/national_archive.py",
        "command": command,
        "seed": seed,
        "scale": scale,
        "months": [month_text(lo), month_text(hi)],
        "forces": wanted,
        "processes": processes,
        "rows_by_kind": rows_by_kind,
        "rows": sum(rows_by_kind.values()),
        "files_count": len(files),
        "gzip_bytes": sum(f["bytes"] for f in files),
        "wall_s": round(time.perf_counter() - started, 2),
        "synthesised_forces": {t: list(d) for t, d in SYNTHESISED.items()},
        "source": str(Path(plan.data) / "police-uk"),
        "licence": LICENCE,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "README-SYNTHETIC.txt").write_text(_readme(manifest, plan))
    return manifest


def _readme(manifest: dict[str, Any], plan: Plan) -> str:
    doc = __doc__ or ""
    method = doc[doc.index("Method\n") :] if "Method\n" in doc else doc
    donors = "\n".join(
        f"  {plan.forces[t].name} ({t}): from {', '.join(plan.forces[d].name for d in ds)}"
        for t, ds in SYNTHESISED.items()
    )
    rows = manifest["rows_by_kind"]
    return (
        "SYNTHETIC DATA - NOT REAL CRIMES\n"
        "================================\n\n"
        "Every file in this folder was made by benchmarks/national_archive.py (harmwatch) from real\n"
        "data.police.uk files: real rows re-dated, re-sampled with replacement, given new Crime IDs\n"
        "and, for four forces, moved into another force's area. The files are for measuring software\n"
        "at national scale. They say nothing about crime anywhere; do not publish or quote figures\n"
        "from them.\n\n"
        f"Command: {manifest['command'] or '(called from Python)'}\n"
        f"Seed: {manifest['seed']}   Scale: {manifest['scale']}   "
        f"Months: {manifest['months'][0]}..{manifest['months'][1]}   Forces: {len(manifest['forces'])}\n"
        f"Rows: street {rows['street']:,}, outcomes {rows['outcomes']:,}, "
        f"stop-and-search {rows['stop-and-search']:,}; {manifest['files_count']:,} files, "
        f"{manifest['gzip_bytes']:,} gzip bytes (manifest.json lists each with its SHA-256).\n\n"
        f"Forces synthesised from others (absent from the source files):\n{donors}\n\n"
        f"Source: {manifest['source']} (see SOURCES.md and MANIFEST.csv beside it).\n"
        f"Attribution: {LICENCE}\n\n"
        f"{method}"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="volume multiplier (1: ~100M street rows)"
    )
    parser.add_argument("--seed", type=int, default=20_101_201)
    parser.add_argument(
        "--months", default=f"{FIRST_MONTH}..{LAST_MONTH}", help="A..B, inside 2010-12..2025-12"
    )
    parser.add_argument(
        "--forces", default="", help="comma-separated force slugs (default: all 45)"
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.seed < 0:
        parser.error("--scale must be positive and --seed non-negative")
    forces = [f.strip() for f in args.forces.split(",") if f.strip()] or None
    argv_list = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["python", "benchmarks/national_archive.py", *argv_list])
    try:
        manifest = build(
            args.out,
            seed=args.seed,
            scale=args.scale,
            months=args.months,
            forces=forces,
            processes=args.processes,
            data=args.data,
            command=command,
        )
    except ArchiveError as exc:
        parser.exit(1, f"error: {exc}\n")
    rows = manifest["rows_by_kind"]
    print(
        f"{manifest['files_count']:,} files, street {rows['street']:,}, outcomes {rows['outcomes']:,}, "
        f"stop-and-search {rows['stop-and-search']:,} rows, {manifest['gzip_bytes'] / 1e6:,.1f} MB gzip, "
        f"{manifest['wall_s']} s -> {args.out}",
        file=sys.stderr,
    )
    return manifest


if __name__ == "__main__":
    main()
