"""Force-records import: the spec, exact times across the clock changes, ranges, places,
flags, minimisation (unnamed columns never stored), all-or-nothing, idempotence, Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from harmwatch.crimes.importer import FORCE_RECORDS, ForceRecordsRefused, import_file
from harmwatch.sources.importspec import SpecError, parse_spec
from harmwatch.spatial.projection import to_bng
from harmwatch.storage.analytics import migrations

HEADER = "Ref,HO,Orig,From,To,Rec,E,N,Flags,Status,Victim Name,MO\n"


def spec(**options: Any) -> Any:
    data: dict[str, Any] = {
        "spec": {"name": "test-rms"},
        "columns": {
            "reference": "Ref", "offence_code": "HO", "original_offence_code": "Orig",
            "committed_from": "From", "committed_to": "To", "recorded": "Rec",
            "easting": "E", "northing": "N", "flags": "Flags", "status": "Status",
        },
        "time": {"format": "%d/%m/%Y %H:%M", "zone": "Europe/London", "ambiguous": "earlier",
                 "nonexistent": "shift-forward"},
        "flags": {"drug-related": ["DRUG"], "hate-race": ["HC-RACE"], "domestic-abuse": "DA"},
        "status": {"recorded": ["Recorded"], "cancelled": ["Cancelled"]},
    }  # fmt: skip
    if options:
        data["options"] = options
    return parse_spec(data, FORCE_RECORDS, source="test.toml")


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    migrations.migrate(c)
    return c


def write(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    frame = con.execute("SELECT * FROM force_crimes ORDER BY line").df()
    return frame.to_dict(orient="records")


GOOD = (
    # A burglary known only between 18:00 and 07:30, in January (GMT = UTC).
    "41/1/25,028e,,13/01/2025 18:00,14/01/2025 07:30,14/01/2025 09:10,515000,207000,,Recorded,"
    "Jane Victim,forced rear door\n"
    # 01:30 on 26 Oct 2025 happens twice; the spec says the earlier (BST): 00:30 UTC.
    "41/2/25,8N,105A,26/10/2025 01:30,,26/10/2025 03:00,515100,207100,HC-RACE;DA;ZZ,Recorded,"
    "John Victim,\n"
    # 01:30 on 30 Mar 2025 does not exist; shift-forward reads it as 01:30 GMT = 01:30 UTC.
    "41/3/25,92D,,30/03/2025 01:30,,,,,DRUG,Cancelled,,\n"
)


def test_a_good_file_keeps_exact_times_ranges_places_and_flags(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    out = import_file(con, write(tmp_path, "rms.csv", GOOD), spec(), force="hertfordshire",
                      imported_by="analyst")  # fmt: skip
    assert (out.rows, out.counted) == (3, 2)
    first, second, third = rows(con)
    assert first["offence_code"] == "28E" and first["crime_type"] == "Burglary"
    assert str(first["committed_from"]) == "2025-01-13 18:00:00"
    assert str(first["committed_to"]) == "2025-01-14 07:30:00"
    assert first["district"] == "St Albans"  # 515000, 207000 lies in St Albans
    assert str(second["committed_from"]) == "2025-10-26 00:30:00"
    assert str(second["recorded"]) == "2025-10-26 03:00:00"  # after the change: GMT
    assert second["original_crime_type"] == "Violence and sexual offences"
    assert sorted(second["flags"]) == ["domestic-abuse", "hate-race"]
    assert str(third["committed_from"]) == "2025-03-30 01:30:00"
    assert third["status"] == "cancelled" and not third["counted"]
    assert third["x"] != third["x"]  # NaN: no place given
    assert any("ZZ" in n.upper() for n in out.notes), out.notes  # unmapped flag said, not kept


def test_columns_the_spec_does_not_name_are_never_stored(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    import_file(con, write(tmp_path, "rms.csv", GOOD), spec(), force="hertfordshire",
                imported_by="analyst")  # fmt: skip
    text_columns = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND NOT internal AND data_type LIKE 'VARCHAR%'"
    ).fetchall()
    for table, column in text_columns:
        found = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) ILIKE ? '
            f'OR CAST("{column}" AS VARCHAR) ILIKE ?',
            ["%victim%", "%rear door%"],
        ).fetchone()
        assert found is not None and found[0] == 0, (table, column)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "41/9/25,8N,,32/01/2025 10:00,,,515000,207000,,Recorded,,\n",
            "rms.csv:2: committed_from (From): not a time",
        ),
        (
            "41/9/25,XYZ,,01/01/2025 10:00,,,515000,207000,,Recorded,,\n",
            "rms.csv:2: offence_code (HO): not a Home Office class",
        ),
        (
            "41/9/25,8N,,02/01/2025 10:00,01/01/2025 10:00,,515000,207000,,Recorded,,\n",
            "rms.csv:2: committed_to (To): before committed_from",
        ),
        (
            "41/9/25,8N,,01/01/2025 10:00,,,515000,,,Recorded,,\n",
            "rms.csv:2: easting (E): one of easting and northing is blank",
        ),
        (
            "41/9/25,8N,,01/01/2025 10:00,,,900000,207000,,Recorded,,\n",
            "rms.csv:2: easting (E): not a British National Grid easting",
        ),
        (
            "41/9/25,8N,,01/01/2025 10:00,,,515000,207000,,Open,,\n",
            "rms.csv:2: status (Status): not a value the spec maps",
        ),
        (
            ",8N,,01/01/2025 10:00,,,515000,207000,,Recorded,,\n",
            "rms.csv:2: reference (Ref): empty",
        ),
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_file_line_and_field(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, row: str, expected: str
) -> None:
    path = write(tmp_path, "rms.csv", row + GOOD)
    with pytest.raises(ForceRecordsRefused) as refused:
        import_file(con, path, spec(), force="hertfordshire", imported_by="analyst")
    assert expected in str(refused.value), str(refused.value)
    assert con.execute("SELECT count(*) FROM force_crimes").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM force_crime_files").fetchone() == (0,)


def test_the_same_file_twice_is_imported_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "rms.csv", GOOD)
    import_file(con, path, spec(), force="hertfordshire", imported_by="analyst")
    again = import_file(con, path, spec(), force="hertfordshire", imported_by="analyst")
    assert again.already_imported and "not imported again" in again.notes[0]
    assert con.execute("SELECT count(*) FROM force_crimes").fetchone() == (3,)


def test_a_reference_twice_in_a_file_or_across_files_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    twice = GOOD + GOOD.splitlines(keepends=True)[0]
    with pytest.raises(
        ForceRecordsRefused, match=r"rms.csv:5: reference: '41/1/25' again \(first on line 2\)"
    ):
        import_file(con, write(tmp_path, "rms.csv", twice), spec(), force="hertfordshire",
                    imported_by="analyst")  # fmt: skip
    import_file(con, write(tmp_path, "first.csv", GOOD), spec(), force="hertfordshire",
                imported_by="analyst")  # fmt: skip
    overlap = (
        GOOD.splitlines(keepends=True)[1]
        + "41/7/25,8N,,01/02/2025 10:00,,,515000,207000,,Recorded,,\n"
    )
    with pytest.raises(
        ForceRecordsRefused,
        match=r"later.csv:2: reference: '41/2/25' is already stored from first.csv",
    ):
        import_file(con, write(tmp_path, "later.csv", overlap), spec(), force="hertfordshire",
                    imported_by="analyst")  # fmt: skip
    assert con.execute("SELECT count(*) FROM force_crimes").fetchone() == (3,)


def test_local_codes_map_through_the_spec_and_are_checked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "rms.csv", "41/1/25,LOC77,,01/02/2025 10:00,,,515000,207000,,Recorded,,\n"
    )
    import_file(con, path, spec(offence_codes={"LOC77": "92A"}), force="hertfordshire",
                imported_by="analyst")  # fmt: skip
    assert rows(con)[0]["offence_code"] == "92A" and rows(con)[0]["crime_type"] == "Drugs"
    with pytest.raises(
        SpecError, match=r"options\.offence_codes\.LOC78: 'Z9' is not a Home Office class"
    ):
        import_file(con, path, spec(offence_codes={"LOC78": "Z9"}), force="hertfordshire",
                    imported_by="analyst")  # fmt: skip


def test_latitude_and_longitude_become_the_national_grid(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lonlat = parse_spec(
        {
            "spec": {"name": "ll"},
            "columns": {"reference": "Ref", "offence_code": "HO", "committed_from": "From",
                        "latitude": "Lat", "longitude": "Lon"},
            "time": {"format": "iso8601"},
        },
        FORCE_RECORDS, source="ll.toml",
    )  # fmt: skip
    path = tmp_path / "ll.csv"
    path.write_text("Ref,HO,From,Lat,Lon\nA1,46,2025-05-01T12:00:00+01:00,51.752,-0.336\n")
    import_file(con, path, lonlat, force="hertfordshire", imported_by="analyst")
    [row] = rows(con)
    x, y = to_bng([-0.336], [51.752])
    assert row["x"] == pytest.approx(float(x[0]), abs=0.01)
    assert row["y"] == pytest.approx(float(y[0]), abs=0.01)
    assert str(row["committed_from"]) == "2025-05-01 11:00:00"


def test_an_excel_export_imports_as_its_csv_does_with_the_sheets_row_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in (HEADER + GOOD).splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "rms.xlsx"
    book.save(path)
    import_file(con, path, spec(), force="hertfordshire", imported_by="analyst")
    from_excel = [(r["reference"], str(r["committed_from"]), r["line"]) for r in rows(con)]
    other = duckdb.connect()
    migrations.migrate(other)
    import_file(other, write(tmp_path, "rms.csv", GOOD), spec(), force="hertfordshire",
                imported_by="analyst")  # fmt: skip
    assert from_excel == [
        (r["reference"], str(r["committed_from"]), r["line"]) for r in rows(other)
    ]
    sheet.append(["41/8/25", "8N", "", "not a date", "", "", "515000", "207000", "", "Recorded"])
    book.save(path)
    fresh = duckdb.connect()
    migrations.migrate(fresh)
    with pytest.raises(ForceRecordsRefused, match=r"rms\.xlsx:5: committed_from"):
        import_file(fresh, path, spec(), force="hertfordshire", imported_by="analyst")


def test_a_spec_must_give_a_place_as_a_pair(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    half = parse_spec(
        {
            "spec": {"name": "half"},
            "columns": {"reference": "Ref", "offence_code": "HO", "committed_from": "From",
                        "easting": "E"},
            "time": {"format": "iso8601"},
        },
        FORCE_RECORDS, source="half.toml",
    )  # fmt: skip
    with pytest.raises(SpecError, match="easting and northing go together"):
        import_file(con, write(tmp_path, "rms.csv", GOOD), half, force="hertfordshire",
                    imported_by="analyst")  # fmt: skip


def test_districts_by_kilometre_squares_are_those_of_each_point() -> None:
    import numpy as np
    import shapely

    from harmwatch.crimes.importer import _district_index, _district_names

    rng = np.random.default_rng(20261201)
    # Hertfordshire and its borders: many points near district boundaries.
    x = rng.uniform(480_000, 545_000, 20_000)
    y = rng.uniform(185_000, 245_000, 20_000)
    tree, names = _district_index()
    point, lad = tree.query(shapely.points(x, y), predicate="intersects")
    expected = np.full(len(x), None, dtype=object)
    for p, lad_i in sorted(zip(point.tolist(), lad.tolist(), strict=True), reverse=True):
        expected[p] = names[lad_i]  # the lowest index wins, as the importer keeps it
    got = _district_names(x, y)
    assert (got == expected).all()
    assert len({n for n in got if n}) >= 10


def test_without_police_uk_the_lsoa_footprints_come_from_the_records(tmp_path: Path) -> None:
    from harmwatch.crimes.service import Grant
    from harmwatch.crimes.source import ForceRecordsSource
    from harmwatch.storage.analytics import AnalyticsStore

    rows = (
        "A1,46,,01/02/2025 10:00,,,515010,207020,,Recorded,,\n"
        "A2,46,,01/02/2025 11:00,,,515110,207120,,Recorded,,\n"
    )
    path = tmp_path / "rms.csv"
    path.write_text("Ref,HO,Orig,From,To,Rec,E,N,Flags,Status,Victim Name,MO\n" + rows)
    lsoa = parse_spec(
        {
            "spec": {"name": "lsoa"},
            "columns": {"reference": "Ref", "offence_code": "HO", "committed_from": "From",
                        "easting": "E", "northing": "N", "lsoa_code": "Victim Name"},
            "time": {"format": "%d/%m/%Y %H:%M", "zone": "Europe/London"},
        },
        FORCE_RECORDS, source="lsoa.toml",
    )  # fmt: skip
    path.write_text(
        "Ref,HO,Orig,From,To,Rec,E,N,Flags,Status,Victim Name,MO\n"
        + rows.replace(",,\n", ",E01023720,\n")
    )
    with AnalyticsStore.open(tmp_path / "a.duckdb", read_only=False) as store:
        con = store.room_connection(("force_crimes", "force_crime_files"), scoped_by="test")
        done = import_file(con, path, lsoa, force="hertfordshire", imported_by="t")
        for exact, expected in ((True, {515010.0, 515110.0}), (False, {515125.0})):
            grant = Grant(file_ids=(done.file_id,), exact=exact, synthetic=False)
            fp = ForceRecordsSource(store, grant=grant).lsoa_footprints(["hertfordshire"])
            assert set(fp.x.tolist()) == expected
            assert set(fp.lsoa_code.tolist()) == {"E01023720"}
