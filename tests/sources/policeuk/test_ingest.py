"""Ingest: exact counts on the real files, atomicity, idempotence, lenient rejects, provenance."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pytest

from harmwatch.sources.policeuk.ingest import IngestError, ingest
from harmwatch.sources.policeuk.status import store_status

# The figures the issue states for every file in ../shared/data/police-uk.
EXPECTED = {"street": 2_582_284, "outcomes": 235_516, "stop-and-search": 24_671}
EXPECTED_DRUGS = 65_730

ONE_FILE = "2021-05/2021-05-bedfordshire-street.csv.gz"


def counts(db: Path) -> dict[str, int]:
    return store_status(db).rows


def database_fingerprint(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(
            con.execute(f"SELECT count(*), sum(hash(t)) FROM {t} t").fetchall()[0]
            for t in ("street", "outcomes", "stop_search", "loads", "datasets", "rejects")
        )
    finally:
        con.close()


def lines_of(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def write_gz(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.writelines(lines)
    return path


def test_full_shared_ingest_counts_exactly(full_db: Path) -> None:
    status = store_status(full_db)
    assert status.rows == EXPECTED
    assert status.drugs_rows["street"] == EXPECTED_DRUGS
    # Every row keeps where it came from.
    con = duckdb.connect(str(full_db), read_only=True)
    try:
        orphan = con.execute(
            "SELECT count(*) FROM street s LEFT JOIN loads l USING (load_id) WHERE l.sha256 IS NULL"
        ).fetchall()[0][0]
        files = con.execute("SELECT count(*) FROM loads WHERE replaced_by_run IS NULL").fetchall()[
            0
        ][0]
    finally:
        con.close()
    assert orphan == 0
    assert files == 453


def test_reingest_same_files_changes_nothing(full_db: Path, police_uk: Path) -> None:
    before = database_fingerprint(full_db)
    result = ingest([police_uk], full_db)
    assert result.rows_loaded == 0
    assert all(f.status == "unchanged" for f in result.files)
    assert database_fingerprint(full_db) == before
    assert counts(full_db) == EXPECTED


def test_provenance_records_hash_size_and_rows(police_uk: Path, tmp_path: Path) -> None:
    src = police_uk / ONE_FILE
    db = tmp_path / "one.duckdb"
    ingest([src], db)
    (load,) = store_status(db).loads
    assert load["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert load["size_bytes"] == src.stat().st_size
    assert load["kind"] == "street"
    assert load["force"] == "bedfordshire"
    assert load["month"] == "2021-05"
    assert load["rows_loaded"] == len(lines_of(src)) - 1
    assert load["rows_rejected"] == 0
    assert load["lsoa_vintage"] == "2021"  # Bedfordshire 2021-24 files carry 2021 codes


def test_changed_file_replaces_its_force_month(police_uk: Path, tmp_path: Path) -> None:
    db = tmp_path / "replace.duckdb"
    original = police_uk / ONE_FILE
    ingest([original], db)
    n = counts(db)["street"]
    shorter = write_gz(tmp_path / "v2" / Path(ONE_FILE).name, lines_of(original)[:-100])
    result = ingest([shorter], db)
    assert result.replaced_datasets == 1
    assert counts(db)["street"] == n - 100
    status = store_status(db)
    assert len(status.loads) == 1 and status.loads[0]["source"] == str(shorter)


def corrupt_copy(police_uk: Path, tmp_path: Path, line_no: int, new_line: str) -> Path:
    lines = lines_of(police_uk / ONE_FILE)
    lines[line_no - 1] = new_line
    return write_gz(tmp_path / "bad" / Path(ONE_FILE).name, lines)


@pytest.mark.parametrize(
    ("mangle", "field", "reason"),
    [
        (lambda cells: cells.__setitem__(1, "2021-13"), "Month", "not a month"),
        (lambda cells: cells.__setitem__(5, "95.0"), "Latitude", "out of range"),
        (lambda cells: cells.__setitem__(4, "east"), "Longitude", "not a number"),
        (lambda cells: cells.pop(), "(row)", "11 fields, expected 12"),
    ],
)
def test_corrupted_row_is_refused_with_file_line_and_field(
    police_uk: Path, tmp_path: Path, mangle, field: str, reason: str
) -> None:
    db = tmp_path / "atomic.duckdb"
    ingest([police_uk / "2021-06"], db)  # something already stored that must survive
    before = database_fingerprint(db)
    good = lines_of(police_uk / ONE_FILE)[41].rstrip("\r\n").split(",")
    assert len(good) == 12
    mangle(good)
    bad = corrupt_copy(police_uk, tmp_path, 42, ",".join(good) + "\n")
    with pytest.raises(IngestError) as caught:
        ingest([bad, police_uk / "2021-07"], db)
    message = str(caught.value)
    assert f"{bad}:42: {field}:" in message
    assert reason in message
    assert "database is unchanged" in message
    assert database_fingerprint(db) == before


def test_lenient_keeps_good_rows_and_records_the_reject(police_uk: Path, tmp_path: Path) -> None:
    db = tmp_path / "lenient.duckdb"
    cells = lines_of(police_uk / ONE_FILE)[9].rstrip("\r\n").split(",")
    cells[1] = "May 2021"
    bad = corrupt_copy(police_uk, tmp_path, 10, ",".join(cells) + "\n")
    total = len(lines_of(bad)) - 1
    result = ingest([bad], db, lenient=True)
    assert result.rows_loaded == total - 1
    assert result.rows_rejected == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        rejects = con.execute("SELECT source, line, field, reason, raw FROM rejects").fetchall()
    finally:
        con.close()
    assert rejects == [
        (str(bad), 10, "Month", "not a month (YYYY-MM): 'May 2021'", ",".join(cells))
    ]
    assert store_status(db).rejects == 1


def test_wrong_header_names_the_column(police_uk: Path, tmp_path: Path) -> None:
    lines = lines_of(police_uk / ONE_FILE)
    lines[0] = lines[0].replace("Crime type", "Offence")
    bad = write_gz(tmp_path / "hdr" / Path(ONE_FILE).name, lines)
    db = tmp_path / "hdr.duckdb"
    with pytest.raises(IngestError) as caught:
        ingest([bad], db)
    assert f"{bad}:1: header column 10:" in str(caught.value)
    assert "'Offence', expected 'Crime type'" in str(caught.value)


def test_plain_csv_zip_archive_and_trees(police_uk: Path, tmp_path: Path) -> None:
    # data.police.uk's archive: a zip of month folders holding plain CSVs.
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for gz in sorted((police_uk / "2021-05").glob("*bedfordshire*")):
            zf.writestr(f"2021-05/{gz.name[:-3]}", gzip.decompress(gz.read_bytes()))
    plain = tmp_path / "plain" / "2021-06-bedfordshire-street.csv"
    plain.parent.mkdir()
    plain.write_bytes(
        gzip.decompress((police_uk / "2021-06/2021-06-bedfordshire-street.csv.gz").read_bytes())
    )
    db = tmp_path / "mixed.duckdb"
    result = ingest([archive, plain.parent], db)
    kinds = sorted(f.kind for f in result.files)
    assert kinds == ["outcomes", "stop-and-search", "street", "street"]
    status = store_status(db)
    assert status.rows["stop-and-search"] == 225  # SOURCES.md: 2021-05 Bedfordshire
    assert status.rows["outcomes"] == 2_626
    assert status.rows["street"] == 5_082 + 5_763


def test_stop_and_search_month_is_uk_local_time(police_uk: Path, tmp_path: Path) -> None:
    db = tmp_path / "ss.duckdb"
    ingest([police_uk / "2021-05/2021-05-bedfordshire-stop-and-search.csv.gz"], db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        months = con.execute("SELECT DISTINCT strftime(month, '%Y-%m') FROM stop_search").fetchall()
        earliest = con.execute("SELECT min(date_utc)::VARCHAR FROM stop_search").fetchall()[0][0]
    finally:
        con.close()
    # The file's first search is 23:41 UTC on 30 April, i.e. 00:41 BST on 1 May.
    assert earliest.startswith("2021-04-30 23:41")
    assert months == [("2021-05",)]


def test_two_files_for_one_force_month_are_refused(police_uk: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dup" / Path(ONE_FILE).name
    copy.parent.mkdir()
    lines = lines_of(police_uk / ONE_FILE)
    write_gz(copy, lines[:-1])
    with pytest.raises(IngestError, match="more than one file"):
        ingest([police_uk / ONE_FILE, copy], tmp_path / "dup.duckdb")


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        ingest([tmp_path / "nope.csv"], tmp_path / "x.duckdb")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match=r"No \.csv"):
        ingest([tmp_path / "empty"], tmp_path / "x.duckdb")


def test_coordinates_are_projected_to_bng(police_uk: Path, tmp_path: Path) -> None:
    from pyproj import Transformer

    db = tmp_path / "bng.duckdb"
    ingest([police_uk / ONE_FILE], db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        # Every located row, not a sample: a sampled check passed or failed by the draw.
        rows = con.execute(
            "SELECT longitude, latitude, x, y FROM street WHERE x IS NOT NULL ORDER BY line"
        ).fetchnumpy()
        unlocated = con.execute(
            "SELECT count(*) FROM street WHERE longitude IS NULL AND x IS NULL"
        ).fetchall()
    finally:
        con.close()
    reference = Transformer.from_crs(4326, 27700, always_xy=True)
    ex, ey = reference.transform(rows["longitude"], rows["latitude"])
    assert len(ex) > 1000
    assert np.abs(rows["x"] - ex).max() < 1e-6 and np.abs(rows["y"] - ey).max() < 1e-6
    # The file holds points over the border too (Luton, Milton Keynes …); its middle is
    # Bedfordshire's.
    assert 480_000 < np.median(rows["x"]) < 530_000 and 210_000 < np.median(rows["y"]) < 265_000
    assert unlocated[0][0] > 0  # rows without a location are kept


def test_shipped_sample_is_all_loadable(tmp_path: Path) -> None:
    from harmwatch.cli.demo import sample_dir

    result = ingest([sample_dir()], tmp_path / "sample.duckdb")
    forces = {f.force for f in result.files}
    assert forces == {"hertfordshire", "bedfordshire", "cambridgeshire"}
    months = sorted({m for f in result.files for m in f.months})
    assert months[0] == "2025-01" and months[-1] == "2025-12" and len(months) == 12
    assert result.rows_rejected == 0
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_provenance_records_who_loaded_each_file(police_uk: Path, tmp_path: Path) -> None:
    import getpass

    db = tmp_path / "who.duckdb"
    ingest([police_uk / ONE_FILE], db)  # the command line's way: no loaded_by given
    ingest([police_uk / "2021-06/2021-06-bedfordshire-street.csv.gz"], db, loaded_by="web:alice")
    loads = store_status(db).loads
    assert [load["loaded_by"] for load in loads] == [f"cli:{getpass.getuser()}", "web:alice"]


def test_a_web_upload_records_the_signed_in_user(police_uk: Path, tmp_path: Path) -> None:
    import io

    from harmwatch.web.cache import StoreGate
    from harmwatch.web.uploads import load_uploads

    db = tmp_path / "upload.duckdb"
    outcome = load_uploads(
        [(Path(ONE_FILE).name, io.BytesIO((police_uk / ONE_FILE).read_bytes()))],
        db_path=db,
        folder=tmp_path / "uploads",
        gate=StoreGate(),
        actor="alice",
    )
    assert outcome.ok, outcome.summary
    (load,) = store_status(db).loads
    assert load["loaded_by"] == "web:alice"
