"""Call-data import: specs, typed numbers, IMEIs, the clock changes, all-or-nothing, idempotence."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from harmwatch.calls import parties
from harmwatch.calls.importer import (
    CALL_DATA,
    Authority,
    CallImportRefused,
    LegalBasis,
    import_file,
    legal_basis,
)
from harmwatch.errors import InputError
from harmwatch.intelligence import identifiers
from harmwatch.sources.importspec import SpecError, load_spec, parse_spec
from harmwatch.storage.analytics import migrations

HEADER = "Calling,Called,Start,Dur,Type,IMEI,Cell,Lat,Lon\n"
AUTH = Authority(LegalBasis.IPA_PART3, "CDA/2026/0042")


def spec(zone: str = "Europe/London", **time: str) -> object:
    return parse_spec(
        {
            "spec": {"name": "test-operator"},
            "columns": {
                "a_number": "Calling",
                "b_number": "Called",
                "start": "Start",
                "duration": "Dur",
                "event_type": "Type",
                "imei": "IMEI",
                "cell_id": "Cell",
                "cell_lat": "Lat",
                "cell_lon": "Lon",
            },
            "time": {"format": "%Y-%m-%d %H:%M:%S", "zone": zone, **time},
            "event_type": {"call": ["VOICE", "MOC"], "sms": ["SMS"]},
        },
        CALL_DATA,
        source="test.toml",
    )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    migrations.migrate(c)
    return c


def write(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(HEADER + rows)
    else:
        path.write_text(HEADER + rows, encoding="utf-8")
    return path


def load(con: duckdb.DuckDBPyConnection, path: Path, the_spec: object | None = None) -> object:
    return import_file(
        con, path, the_spec or spec(), authority=AUTH, force="hertfordshire",  # type: ignore[arg-type]
        imported_by="analyst",
    )  # fmt: skip


def test_07_447_and_plus447_are_one_number_and_other_senders_are_typed_keys() -> None:
    got = parties.party_keys(
        ["07700 900123", "447700900123", "+447700900123", "+44 (0)7700 900123",
         "0044 7700 900123", "HertsSchool", "84050", "", "Withheld", "+33 6 12 34 56 78"]
    )  # fmt: skip
    assert got == [("+447700900123", "msisdn")] * 5 + [
        ("alpha:HERTSSCHOOL", "alpha"), ("short:84050", "short"), ("withheld", "withheld"),
        ("withheld", "withheld"), ("+33612345678", "intl"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "typed", ["07700 900123", "+44 7700 900123", "447700900123", "0044 7700 900123", "01632 960001"]
)
def test_the_sql_keys_agree_with_the_intelligence_rooms_libphonenumber_keys(typed: str) -> None:
    assert parties.party_keys([typed])[0][0] == identifiers.phone_number(typed)


def test_a_14_digit_imei_matches_its_15_and_16_digit_forms_and_a_bad_check_digit_is_refused() -> (
    None
):
    keys = parties.imei_keys(
        ["49015420323751", "490154203237518", "4901542032375101", "490154203237519"]
    )
    assert [k for k, _ in keys[:3]] == ["49015420323751"] * 3
    assert keys[3] == (None, "the IMEI's check digit is wrong (Luhn)")
    assert identifiers.imei("490154203237518").match_key == keys[0][0]


def test_times_are_stored_in_utc_and_analysed_in_uk_local_time_across_the_autumn_change(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "herts.csv",
        "07700900123,07700900124,2026-10-24 23:30:00,10,VOICE,490154203237518,C1,51.9,-0.2\n"
        "07700900123,07700900124,2026-10-25 23:30:00,10,VOICE,490154203237518,C1,51.9,-0.2\n",
    )  # fmt: skip
    load(con, path)
    rows = con.execute("SELECT started_utc, started_local FROM calls ORDER BY line").fetchall()
    # 23:30 BST is 22:30 UTC; 23:30 GMT is 23:30 UTC — both analysed at local hour 23.
    assert [(str(u), str(lt)) for u, lt in rows] == [
        ("2026-10-24 22:30:00", "2026-10-24 23:30:00"),
        ("2026-10-25 23:30:00", "2026-10-25 23:30:00"),
    ]


def test_a_local_hour_that_does_not_exist_or_occurs_twice_is_refused_unless_the_spec_resolves_it(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "dst.csv",
        "07700900123,07700900124,2026-03-29 01:30:00,10,VOICE,,,,\n"
        "07700900123,07700900124,2026-10-25 01:30:00,10,VOICE,,,,\n",
    )  # fmt: skip
    with pytest.raises(CallImportRefused) as refused:
        load(con, path)
    text = str(refused.value)
    assert "dst.csv:2: start (Start): this local time does not exist in Europe/London" in text
    assert "dst.csv:3: start (Start): this local time occurs twice in Europe/London" in text
    assert con.execute("SELECT count(*) FROM calls").fetchone() == (0,)
    load(con, path, spec(ambiguous="earlier", nonexistent="shift-forward"))
    rows = con.execute("SELECT started_utc FROM calls ORDER BY line").fetchall()
    # 01:30 on 29 March read as GMT (the clocks had not gone forward); 01:30 on 25 October
    # as its first occurrence, BST.
    assert [str(r[0]) for r in rows] == ["2026-03-29 01:30:00", "2026-10-25 00:30:00"]


def test_iso_8601_with_z_imports(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path, "z.csv", "07700900123,07700900124,2026-10-25T01:30:12Z,0,SMS,,,,\n")
    iso = parse_spec(
        {"spec": {"name": "z"}, "columns": {"a_number": "Calling", "b_number": "Called", "start": "Start", "event_type": "Type"},
         "time": {"format": "iso8601"}, "event_type": {"sms": ["SMS"], "call": ["VOICE"]}},
        CALL_DATA, source="z.toml",
    )  # fmt: skip
    load(con, path, iso)
    assert con.execute(
        "SELECT started_utc::VARCHAR, started_local::VARCHAR, event FROM calls"
    ).fetchall() == [("2026-10-25 01:30:12", "2026-10-25 01:30:12", "sms")]


def test_a_bad_row_refuses_the_file_with_file_line_field_and_nothing_is_stored(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "bad.csv.gz",
        "07700900123,07700900124,2026-11-02 10:00:00,10,VOICE,490154203237518,C1,51.9,-0.2\n"
        "07700900123,07700900124,2026-11-02 10:05:00,ten,VOICE,,C1,51.9,-0.2\n"
        "07700900123,07700900124,2026-11-02 10:06:00,5,FAX,,C1,51.9,-0.2\n"
        "07700900123,07700900124,2026-11-02 10:07:00,5,VOICE,490154203237519,C1,51.9,-0.2\n"
        "07700900123,07700900124,2026-11-02 10:08:00,5,VOICE,,C1,95,-0.2\n",
    )  # fmt: skip
    with pytest.raises(CallImportRefused) as refused:
        load(con, path)
    assert refused.value.problems == [
        "bad.csv.gz:3: duration (Dur): not a number of seconds",
        "bad.csv.gz:4: event_type (Type): not a value the spec maps for type (it maps: moc, sms, voice)",
        "bad.csv.gz:5: imei (IMEI): the IMEI's check digit is wrong (Luhn)",
        "bad.csv.gz:6: cell_lat (Lat): not a latitude (-90 to 90)",
    ]
    assert con.execute("SELECT count(*) FROM calls").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM call_files").fetchone() == (0,)


def test_the_same_file_is_not_imported_twice_and_provenance_is_kept(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.csv", "07700900123,HertsSchool,2026-11-02 10:00:00,0,SMS,,,,\n")
    first = load(con, path)
    again = load(con, path)
    assert again.already_imported and again.file_id == first.file_id  # type: ignore[attr-defined]
    assert con.execute("SELECT count(*) FROM calls").fetchone() == (1,)
    assert con.execute(
        "SELECT file_name, legal_basis, authority_ref, spec_name, rows_loaded FROM call_files"
    ).fetchall() == [("a.csv", "ipa-part3", "CDA/2026/0042", "test-operator", 1)]
    assert con.execute("SELECT line, b_party, b_kind FROM calls").fetchall() == [
        (2, "alpha:HERTSSCHOOL", "alpha")
    ]


def test_a_row_with_the_wrong_number_of_fields_is_refused_with_its_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path, "short.csv", "07700900123,07700900124,2026-11-02 10:00:00\n")
    with pytest.raises(
        CallImportRefused, match=r"short.csv:2: row: 3 fields where the header has 9"
    ):
        load(con, path)


def test_a_spec_naming_missing_columns_or_fields_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"test.toml: columns.b_number: required"):
        parse_spec({"spec": {"name": "x"}, "columns": {"a_number": "A", "start": "S"},
                    "time": {"format": "%Y", "zone": "UTC"}}, CALL_DATA, source="test.toml")  # fmt: skip
    with pytest.raises(SpecError, match=r"time.zone: 'Mars/Olympus' is not a time zone name"):
        spec(zone="Mars/Olympus")
    bad = tmp_path / "spec.toml"
    bad.write_text(
        '[spec]\nname = "x"\n[columns]\na_number = "A"\nb_number = "B"\nstart = "S"\nphone = "P"\n'
    )
    with pytest.raises(
        SpecError, match=r"spec.toml: columns.phone: call data has no field 'phone'"
    ):
        load_spec(bad, CALL_DATA)
    with pytest.raises(
        InputError, match="legal basis: 'hunch' is not one of ipa-part3, warrant, pace-download"
    ):
        legal_basis("hunch")
    with pytest.raises(InputError, match="authority reference: required"):
        Authority(LegalBasis.WARRANT, " ")
