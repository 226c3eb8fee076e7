"""The published version and the PCC viewer's report: no count from 1 to 4 in the text of the
HTML or the PDF, no crime's location, no hidden figure recoverable from a total, and the
records' sections read through their rooms (or saying why there is nothing).

The records are the demo's SYNTHETIC ones, made by the rooms' own seeders (Op Lantern,
March to September 2025; one programme of each shipped type; a three-force laboratory
incident), plus a few county-line closures in November 2025 placed so that a small count
sits beside a published total: two in Hertfordshire and six in Bedfordshire, eight in all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from _oversight_report_world import (
    ANALYST,
    LEAD,
    PCC,
    SAMPLE_FORCES,
    Page,
    months_of,
    need_poppler,
    pdf_text,
    raw_locations,
    seeded_records,
    small_counts,
    squash,
)
from sqlalchemy import Engine

from harmwatch.operations import service
from harmwatch.outputs.suppression import FEWER_THAN_5, WITHHELD
from harmwatch.oversight.render import render_html, write_report
from harmwatch.oversight.report import PUBLISHED, Report, build_report
from harmwatch.oversight.report_tables import Figure, Table
from harmwatch.sources.policeuk.forces import force_name
from harmwatch.storage.analytics import AnalyticsStore, StreetScope

OP_PERIOD = ("2025-07", "2025-09")  # Op Lantern's results fall in it
CRAFTED_PERIOD = ("2025-10", "2025-12")
CLOSURES = {"hertfordshire": 2, "bedfordshire": 6}
WHY = "Board report tests: a small count beside a total"


@dataclass
class Built:
    report: Report
    html: str
    pdf: Path


def _closures(engine: Engine) -> None:
    op = service.record_operation(
        engine, ANALYST, {"name": "Op Tally", "starts_on": "2025-11-01"}, WHY, synthetic=True
    )
    n = 0
    for force, count in CLOSURES.items():
        for _ in range(count):
            n += 1
            service.record_result(
                engine, ANALYST, "line-closure",
                {
                    "operation": "Op Tally", "occurred_on": "2025-11-10", "force": force,
                    "officer": "SYNTHETIC DC 1", "line_name": f"SYNTHETIC Tally {n}",
                    "number": f"07700 900{800 + n:03d}", "closure_type": "type-2",
                    "charged": "no", "deactivated_on": "2025-11-10",
                },
                WHY, operation_id=op.id, synthetic=True,
            )  # fmt: skip


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = seeded_records(tmp_path_factory.mktemp("report-records"))
    _closures(engine)
    return engine


def _build(folder: Path, report: Report) -> Built:
    pdf = write_report(report, folder / "report.pdf")
    return Built(report, render_html(report), pdf)


@pytest.fixture(scope="module")
def pcc(sample_db: Path, records: Engine, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The PCC viewer's three-force report (published whatever is asked)."""
    report = build_report(
        sample_db, SAMPLE_FORCES, OP_PERIOD, engine=records, principal=PCC, published=False
    )
    return _build(tmp_path_factory.mktemp("report-pcc"), report)


@pytest.fixture(scope="module")
def crafted(sample_db: Path, records: Engine, tmp_path_factory: pytest.TempPathFactory) -> Built:
    report = build_report(
        sample_db, SAMPLE_FORCES, CRAFTED_PERIOD, engine=records, principal=ANALYST,
        published=True,
    )  # fmt: skip
    return _build(tmp_path_factory.mktemp("report-crafted"), report)


@pytest.fixture(scope="module")
def beds_store(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bedfordshire's street, outcomes and stop-and-search files for two quarters a year apart."""
    from harmwatch.sources.policeuk.ingest import ingest

    files = [
        p for month in (*months_of("2023-02", "2023-04"), *months_of("2024-02", "2024-04"))
        for p in sorted((police_uk / month).glob(f"{month}-bedfordshire-*.csv.gz"))
    ]  # fmt: skip
    assert len(files) == 18
    db = tmp_path_factory.mktemp("report-beds") / "beds.duckdb"
    ingest(files, db)
    return db


@pytest.fixture(scope="module")
def beds(beds_store: Path, records: Engine, tmp_path_factory: pytest.TempPathFactory) -> Built:
    report = build_report(
        beds_store, ["bedfordshire"], ("2024-02", "2024-04"), engine=records, principal=ANALYST,
        published=True,
    )  # fmt: skip
    return _build(tmp_path_factory.mktemp("report-beds-out"), report)


def _tables(report: Report) -> list[Table]:
    found = [t for m in report.measures for t in (m.figures, m.chart_table) if t is not None]
    found += [m.table for m in report.maps if m.table is not None]
    found += [t for s in report.sections for t in s.tables]
    return found


@pytest.mark.parametrize("name", ["pcc", "crafted", "beds"])
def test_no_count_from_1_to_4_in_the_text(name: str, request: pytest.FixtureRequest) -> None:
    need_poppler()
    built: Built = request.getfixturevalue(name)
    assert built.report.published and built.report.marking == PUBLISHED
    page = Page(built.html)
    assert page.counts and not [n for n in page.counts if 1 <= n <= 4]
    assert small_counts(page.text) == []
    assert small_counts(pdf_text(built.pdf)) == []
    assert FEWER_THAN_5 in page.text  # the rule did hide something: the check is not empty
    for table in _tables(built.report):
        for row in table.rows:
            for cell in row:
                if isinstance(cell, Figure) and cell.count is not None:
                    assert not 1 <= cell.count <= 4, (table.caption, row)


def test_the_pcc_viewer_always_gets_the_published_version(pcc: Built) -> None:
    assert pcc.report.published  # asked for published=False
    first = squash(pdf_text(pcc.pdf, 1, 1)) if pcc.pdf.exists() else ""
    assert "PUBLISHED VERSION" in first


def test_no_crime_location_anywhere(pcc: Built, police_uk: Path, sample_db: Path) -> None:
    """The maps draw areas: no longitude, latitude or grid reference of a crime is printed."""
    months = months_of(*OP_PERIOD)
    text = Page(pcc.html).text + " " + pdf_text(pcc.pdf)
    tokens = set(text.replace("(", " ").replace(")", " ").replace(",", " ").split())
    located = raw_locations(police_uk, SAMPLE_FORCES, months)
    assert located and not (located & tokens)
    with AnalyticsStore.open(sample_db) as store:
        points = store.street_points(StreetScope(forces=tuple(SAMPLE_FORCES), months=tuple(months)))
    grid = {f"{v:.0f}" for v in (*points.x, *points.y)} | {
        f"{v:,.0f}" for v in (*points.x, *points.y)
    }
    assert not (grid & tokens)
    as_json = json.dumps(pcc.report.to_dict())
    for key in ('"x"', '"y"', '"longitude"', '"latitude"'):
        assert key not in as_json
    hotspots = next(m for m in pcc.report.maps if m.key == "hotspots")
    assert hotspots.available and "500 m" in hotspots.title + " ".join(hotspots.notes)


def _row(table: Table, label: str) -> list[object]:
    return next(r for r in table.rows if str(r[0]).startswith(label))


def test_a_small_count_beside_a_total_is_hidden_with_its_complement(crafted: Built) -> None:
    report = crafted.report
    lines = next(m for m in report.measures if m.key == "county-lines-closed")
    assert lines.figures is not None
    rows = {str(r[0]): r for r in lines.figures.rows}
    herts, beds = rows[force_name("hertfordshire")], rows[force_name("bedfordshire")]
    total = rows["All forces"]
    assert str(herts[1]) == FEWER_THAN_5
    # 8 in all, 0 in Cambridgeshire: Bedfordshire's 6 would give Hertfordshire's 2 away
    assert str(beds[1]) == WITHHELD and total[1].count == sum(CLOSURES.values())  # type: ignore[attr-defined]
    operations = next(s for s in report.sections if s.key == "operations")
    assert operations.available
    shown = _row(operations.tables[0], "County lines closed")
    assert [str(c) for c in shown[1:]] == [FEWER_THAN_5, WITHHELD, "none recorded", "8"]
    # its parts (Type 1 / Type 2) would give the hidden counts back: not shown
    assert str(_row(operations.tables[0], "… Type 2")[1]) == "not shown"


def _hidden_bounds(cell: object) -> tuple[int, float] | None:
    text = str(cell)
    if text == FEWER_THAN_5:
        return 1, 4
    if text == WITHHELD:
        return 5, float("inf")
    return None


@pytest.mark.parametrize("name", ["pcc", "crafted"])
def test_no_row_gives_a_hidden_count_back_through_its_total(
    name: str, request: pytest.FixtureRequest
) -> None:
    """In every table with an all-forces column, each hidden figure of a row keeps at least
    two possible values given the shown ones and the shown total."""
    built: Built = request.getfixturevalue(name)
    checked = 0
    for table in _tables(built.report):
        if table.columns[-1] != "All forces":
            continue
        for row in table.rows:
            total = row[-1]
            if not (isinstance(total, Figure) and total.count is not None):
                continue
            cells = row[1:-1]
            hidden = [b for b in map(_hidden_bounds, cells) if b is not None]
            if not hidden:
                continue
            checked += 1
            rest = total.count - sum(c.count for c in cells if isinstance(c, Figure) and c.count)
            for i, (low, high) in enumerate(hidden):
                others = hidden[:i] + hidden[i + 1 :]
                least = max(low, rest - sum(h for _, h in others))
                most = min(high, rest - sum(lo for lo, _ in others))
                assert most - least >= 1, (table.caption, [str(c) for c in row])
    assert checked  # some rows had hidden figures beside a total


def test_records_sections_read_through_the_rooms(pcc: Built, crafted: Built, beds: Built) -> None:
    by_key = {s.key: s for s in pcc.report.sections}
    assert by_key["operations"].available and by_key["forensic-review"].available
    programmes = by_key["programmes"]
    assert programmes.available
    # a PCC viewer counts their own force's programmes only: the others say why
    assert any("Bedfordshire Police: not shown" in n for n in programmes.notes)
    assert all(t.caption.startswith(force_name(LEAD)) for t in programmes.tables)
    # the figures the measures publish are not repeated: they were protected there
    cells = {str(c) for t in programmes.tables for r in t.rows for c in r}
    assert "reported above" in cells
    # Op Lantern's records hold nothing in 2024
    ops = next(s for s in beds.report.sections if s.key == "operations")
    assert not ops.available and ops.reason.startswith(
        "no operations recorded for Bedfordshire Police"
    )
    # the crafted closures are counted exactly in the version not for publication
    assert {s.key for s in crafted.report.sections} >= {
        "operations",
        "programmes",
        "forensic-review",
    }


def test_the_rooms_logged_the_pcc_viewers_reads(pcc: Built, records: Engine) -> None:
    """Each room's own function was asked, and each wrote its consultation to the access log."""
    from harmwatch.security import audit
    from harmwatch.storage.records import session_scope

    with session_scope(records) as db:
        questions = {
            e.details.get("question") for e in audit.query(db, actor=PCC.username, limit=None)
        }
    assert {
        "operation summary",
        "programme outcome measures",
        "a laboratory-incident review's progress",
    } <= questions


def test_stop_search_and_outcomes_in_the_published_version(beds: Built) -> None:
    by_key = {s.key: s for s in beds.report.sections}
    search, outcomes = by_key["stop-search"], by_key["outcomes"]
    assert search.available and outcomes.available
    overall = search.tables[0]
    drug_row = next(r for r in overall.rows if str(r[0]).startswith("drug searches"))
    assert isinstance(drug_row[1], Figure) and drug_row[1].count is not None
    assert any(str(c) in (FEWER_THAN_5, WITHHELD) for t in search.tables for r in t.rows for c in r)
    assert "by outcome" in outcomes.tables[0].caption


def test_unpublished_shows_the_counts_as_counted(sample_db: Path, records: Engine) -> None:
    report = build_report(
        sample_db, ["hertfordshire", "bedfordshire"], CRAFTED_PERIOD, engine=records,
        principal=ANALYST, published=False,
    )  # fmt: skip
    lines = next(m for m in report.measures if m.key == "county-lines-closed")
    assert lines.figures is not None
    rows = {str(r[0]): r for r in lines.figures.rows}
    assert [rows[force_name(f)][1].count for f in CLOSURES] == list(CLOSURES.values())  # type: ignore[union-attr]
    assert not report.published and "OFFICIAL" in report.marking
