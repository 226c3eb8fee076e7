"""The board report for one force and for a three-force roll-up: its figures against police.uk's
own files, the PDF drawn page by page and read back, and the HTML page self-contained."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from _oversight_report_world import (
    SAMPLE_FORCES,
    Page,
    months_of,
    need_poppler,
    pdf_pages,
    pdf_text,
    raw_count,
    rendered_pages,
    squash,
)

from harmwatch.oversight.render import render_html, write_report
from harmwatch.oversight.report import Report, build_report
from harmwatch.sources.policeuk.forces import force_name

PERIOD = ("2025-10", "2025-12")
# The sample holds 2025 only: the baseline falls back to the three months before.
BASELINE = ("2025-07", "2025-09")


@dataclass
class Built:
    report: Report
    html: str
    pdf: Path


def _build(sample_db: Path, folder: Path, forces: list[str]) -> Built:
    report = build_report(sample_db, forces, PERIOD)
    pdf = write_report(report, folder / "report.pdf")
    return Built(report, render_html(report), pdf)


@pytest.fixture(scope="module")
def one(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(sample_db, tmp_path_factory.mktemp("report-one"), ["hertfordshire"])


@pytest.fixture(scope="module")
def three(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(sample_db, tmp_path_factory.mktemp("report-three"), SAMPLE_FORCES)


def _line(report: Report, key: str) -> object:
    return next(s for s in report.summary if s.key == key)


def test_one_force_figures_are_police_uks_own(one: Built, police_uk: Path) -> None:
    report = one.report
    assert (report.period, report.baseline) == (PERIOD, BASELINE)
    drugs = _line(report, "drug-offences")
    expected = raw_count(police_uk, "hertfordshire", months_of(*PERIOD), "Drugs")
    assert drugs.value.count == expected  # type: ignore[attr-defined]
    section = next(m for m in report.measures if m.key == "drug-offences")
    assert section.figures is not None
    row = section.figures.rows[0]
    before = raw_count(police_uk, "hertfordshire", months_of(*BASELINE), "Drugs")
    assert (row[1].count, row[2].count) == (expected, before)  # type: ignore[union-attr]
    # the monthly table beside the chart adds up to the same counts, month by month
    assert section.chart is not None and section.chart_table is not None
    by_month = {r[0]: r[2].count for r in section.chart_table.rows}  # type: ignore[union-attr]
    for month in [*months_of(*BASELINE), *months_of(*PERIOD)]:
        assert by_month[month] == raw_count(police_uk, "hertfordshire", [month], "Drugs")


def test_one_force_pdf_renders_with_its_summary(one: Built) -> None:
    need_poppler()
    pages = pdf_pages(one.pdf)
    drawn = rendered_pages(one.pdf, one.pdf.parent / "pages")
    assert len(drawn) == pages and pages >= 10  # summary, 15 measures, maps, sections, annex
    assert all(p.stat().st_size > 0 for p in drawn)
    first = squash(pdf_text(one.pdf, 1, 1))
    assert "Summary" in first and "OFFICIAL" in first
    for line in one.report.summary:
        assert squash(line.title) in first, line.title
        if line.value.count is not None:
            assert line.value.text in first, line.title
    # the summary is one page: the first measure's own section starts on the next
    assert "The measures" not in first
    whole = squash(pdf_text(one.pdf))
    for title in ("Annex: methods and caveats", "Operations: results recorded in the period"):
        assert title in whole


def test_three_force_rollup_totals_and_pdf(three: Built, police_uk: Path) -> None:
    need_poppler()
    report = three.report
    counts = {f: raw_count(police_uk, f, months_of(*PERIOD), "Drugs") for f in SAMPLE_FORCES}
    section = next(m for m in report.measures if m.key == "drug-offences")
    assert section.figures is not None
    rows = {str(r[0]): r for r in section.figures.rows}
    for force in SAMPLE_FORCES:
        assert rows[force_name(force)][1].count == counts[force]  # type: ignore[union-attr]
    assert rows["All forces"][1].count == sum(counts.values())  # type: ignore[union-attr]
    # every force's rate per 1,000 names the population table's year
    assert all("residents 2019" in str(rows[force_name(f)][4]) for f in SAMPLE_FORCES)
    drugs = _line(report, "drug-offences")
    assert drugs.value.count == sum(counts.values())  # type: ignore[attr-defined]
    pages = pdf_pages(three.pdf)
    assert len(rendered_pages(three.pdf, three.pdf.parent / "pages")) == pages
    first = squash(pdf_text(three.pdf, 1, 1))
    assert f"{sum(counts.values()):,}" in first
    for force in SAMPLE_FORCES:
        assert force_name(force) in first
    for line in report.summary:  # the whole summary on the first page
        assert squash(line.title) in first, line.title
    assert "The measures" not in first
    # the chart has one panel per force; its table a column per force
    assert section.chart_table is not None
    assert section.chart_table.columns[2:] == [force_name(f) for f in SAMPLE_FORCES]


def test_html_fetches_nothing_and_every_image_has_alt(one: Built) -> None:
    page = Page(one.html)
    ids = {attrs["id"] for _, attrs in page.tags if "id" in attrs}
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) >= 5  # charts of the police.uk measures and both maps
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for name, value in attrs.items():
            assert not re.search(r"(?i)\b(?:https?|ftp)://|^//", value), (tag, name, value[:80])
            if name == "src":
                assert value.startswith("data:image/png;base64,"), (tag, value[:40])
            if name == "href":
                assert value.startswith("#") and value[1:] in ids, value
    for attrs in images:
        assert len(attrs.get("alt", "").strip()) > 20, attrs.get("alt")
    style = one.html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style


def test_html_headings_in_order_and_a_table_after_every_chart(one: Built) -> None:
    page = Page(one.html)
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, (before, after)
    for n, tag in enumerate(page.order):
        if tag == "figure":
            assert page.order[n + 1] == "table", "a chart without a table beside it"


def test_annex_and_credits(one: Built) -> None:
    annex = {item.title: " ".join(item.paragraphs) for item in one.report.annex}
    for title in (
        "Police-generated offences",
        "Recording changes",
        "Regression to the mean",
        "Neighbourhood crime, approximated",
        "Where crimes are placed (police.uk's anonymisation)",
        "LSOA vintages",
        "Months come in runs",
        "Small numbers",
        "Residents (rates per 1,000)",
    ):
        assert title in annex, title
    assert "2021 codes" in annex["LSOA vintages"]  # the 2025 files use 2021 LSOAs
    assert (
        "2019" in annex["Residents (rates per 1,000)"]
        and "ONS" in annex["Residents (rates per 1,000)"]
    )
    text = Page(one.html).text
    assert (
        "Contains public sector information licensed under the Open Government Licence v3.0" in text
    )
    assert "GeoNames" in text
    assert "OFFICIAL" in text and "PUBLISHED VERSION" not in text


def test_sections_without_records_say_so(one: Built) -> None:
    by_key = {s.key: s for s in one.report.sections}
    for key in ("operations", "programmes", "forensic-review"):
        assert not by_key[key].available
        assert "records not read" in by_key[key].reason
    # the sample has no stop-and-search files: the section says so, it shows no zero
    assert not by_key["stop-search"].available
    assert "no stop-and-search" in by_key["stop-search"].reason
    assert not by_key["stop-search"].tables
