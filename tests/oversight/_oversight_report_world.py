"""Shared set-up of the board-report tests: records seeded by the rooms' own demo seeders,
police.uk counts read from the raw files apart from harmwatch, and readers of the HTML
page and of the PDF (poppler's ``pdftotext``, ``pdfinfo`` and ``pdftoppm``)."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Engine

from harmwatch.forensics import demo as forensic_demo
from harmwatch.kernel.principal import Principal
from harmwatch.operations import demo as operations_demo
from harmwatch.programmes import demo as programmes_demo
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, upgrade

SAMPLE_FORCES = ["hertfordshire", "bedfordshire", "cambridgeshire"]
LEAD = "hertfordshire"
UNIT = "demo-unit"
ANALYST = Principal("analyst", Role.ANALYST, LEAD, frozenset({UNIT}), "cli")
PCC = Principal("pcc", Role.PCC_VIEWER, LEAD, frozenset(), "cli")

# A bare whole number from 1 to 4 (not part of 1,000, 2.5, 3 %, 2025 or 2025-03) …
SMALL = re.compile(r"(?<![\w.,£−-])[1-4](?![\w.,%])")
# … once the numbers that are not counts of people or events are taken out: lengths of
# time, the Home Office's Type 1 and Type 2 closures, page numbers, Acts' sections and
# the rule's own wording ("counts from 1 to 4").
NOT_COUNTS = re.compile(
    r"\b[1-4]\s+(?:months?|years?|runs?)\b|\bType\s+[12]\b|\bpage\s+\d+\s+of\s+\d+\b"
    r"|\bsection\s+\d+\b|\b1\s+to\s+4\b",
    re.I,
)


def small_counts(text: str) -> list[str]:
    """Each bare 1–4 in ``text`` with a little context, for a failure message."""
    cleaned = NOT_COUNTS.sub(" ", text)
    return [cleaned[max(0, m.start() - 60) : m.end() + 30] for m in SMALL.finditer(cleaned)]


def seeded_records(folder: Path) -> Engine:
    """A records database holding the demo's SYNTHETIC operation, programmes and forensic review."""
    engine = make_engine(f"sqlite:///{folder / 'records.sqlite'}")
    upgrade(engine)
    operations_demo.seed(engine, LEAD, UNIT)
    programmes_demo.seed_demo(
        engine, Principal("analyst", Role.ANALYST, LEAD, frozenset({UNIT}), "system")
    )
    forensic_demo.seed(engine, LEAD, UNIT)
    return engine


def raw_count(police_uk: Path, force: str, months: Iterable[str], crime_type: str) -> int:
    """Street crimes of one type in police.uk's own files, read with the csv module."""
    n = 0
    for month in months:
        path = police_uk / month / f"{month}-{force}-street.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            n += sum(row["Crime type"] == crime_type for row in csv.DictReader(f))
    return n


def raw_locations(police_uk: Path, forces: Iterable[str], months: Iterable[str]) -> set[str]:
    """Every longitude and latitude as police.uk prints it, for the crimes of those months."""
    found: set[str] = set()
    for force in forces:
        for month in months:
            path = police_uk / month / f"{month}-{force}-street.csv.gz"
            with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    found.update(v for v in (row["Longitude"], row["Latitude"]) if v)
    return found


class Page(HTMLParser):
    """What the checks need of a report page: its text, tags, headings and count cells."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text_parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[int] = []
        self.counts: list[int] = []
        self.order: list[str] = []  # figure / table, in document order
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag in ("style", "script"):
            self._skip += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "td" and "count" in values.get("class", "").split():
            self.counts.append(int(values["data-count"]))
        if tag in ("figure", "table"):
            self.order.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def need_poppler() -> None:
    for tool in ("pdftotext", "pdfinfo", "pdftoppm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (poppler-utils) is not installed: scripts/system-deps.sh")


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first is not None:
        args += ["-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    out = subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))  # type: ignore[union-attr]


def rendered_pages(path: Path, folder: Path) -> list[Path]:
    """Every page drawn as a PNG by pdftoppm (at a low resolution: only that it draws)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def squash(text: str) -> str:
    """Whitespace folded, so a phrase broken over lines by the layout still matches."""
    return " ".join(text.split())


def months_of(first: str, last: str) -> Sequence[str]:
    from harmwatch.timeline.months import month_range

    return month_range(first, last)
