"""The SYNTHETIC force-records export: determinism, coverage of police.uk, planted truth, files."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harmwatch.crimes.flags import FLAGS
from harmwatch.crimes.offences import NON_NOTIFIABLE, POLICE_UK_CRIME_TYPES, offence_classes
from harmwatch.crimes.synth import (
    ASB,
    COLUMNS,
    FLAG_CODES,
    HATE_CODES,
    PERSONAL_COLUMNS,
    SPEC_NAME,
    RmsParams,
    SyntheticRms,
    _shift_gaps,
    _spring_gaps,
    generate,
    read_street_files,
    write_export,
)
from harmwatch.errors import InputError
from harmwatch.spatial.projection import to_bng

# Two months holding the spring clock change (Sunday 30 March 2025).
MONTHS = ["2025-03", "2025-04"]
FMT = "%d/%m/%Y %H:%M"


@pytest.fixture(scope="module")
def street() -> pd.DataFrame:
    return read_street_files("bedfordshire", MONTHS)


@pytest.fixture(scope="module")
def result(street: pd.DataFrame) -> SyntheticRms:
    return generate(street, RmsParams(seed=3))


@pytest.fixture(scope="module")
def doubled(street: pd.DataFrame) -> SyntheticRms:
    return generate(street, RmsParams(seed=4, copies=2))


def _kind(codes: pd.Series) -> pd.Series:
    table = offence_classes()
    return codes.map(lambda c: table[c].police_uk_type or NON_NOTIFIABLE)


def _month(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format=FMT).dt.strftime("%Y-%m")


def _previous(month: str) -> str:
    return str(np.datetime64(month, "M") - 1)


def _crimes(street: pd.DataFrame) -> pd.DataFrame:
    return street[street["Crime type"] != ASB]


def test_same_seed_gives_the_same_rows_and_bytes_another_seed_differs(
    street: pd.DataFrame, result: SyntheticRms, tmp_path: Path
) -> None:
    again = generate(street, RmsParams(seed=3))
    pd.testing.assert_frame_equal(result.rows, again.rows)
    assert result.planted.to_dict() == again.planted.to_dict()
    other = generate(street, RmsParams(seed=5))
    assert not result.rows.equals(other.rows)
    assert result.planted.to_dict()["months"] != other.planted.to_dict()["months"]
    common = min(len(result.rows), len(other.rows))
    differ = result.rows["Easting"].to_numpy()[:common] != other.rows["Easting"].to_numpy()[:common]
    assert differ.mean() > 0.5

    def digests(out: Path) -> dict[str, str]:
        files = write_export(result if out.name != "c" else other, out)
        paths = [files.csv, files.spec, files.planted, files.readme]
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}

    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert first == second
    assert digests(tmp_path / "c") != first


def test_every_police_uk_crime_appears_once_per_copy(
    street: pd.DataFrame, doubled: SyntheticRms
) -> None:
    rows = doubled.rows
    crimes = _crimes(street)
    derived = rows["HO Class"] != NON_NOTIFIABLE
    assert int((~derived).sum()) == sum(doubled.planted.non_notifiable.values())
    assert len(rows) == 2 * len(crimes) + int((~derived).sum())
    # By the published type (the original class's) and the recording month.
    got = Counter(
        zip(
            _kind(rows.loc[derived, "Original HO Class"]),
            _month(rows.loc[derived, "Recorded"]),
            strict=True,
        )
    )
    want = Counter(zip(crimes["Crime type"], crimes["Month"], strict=True))
    assert got == {k: 2 * v for k, v in want.items()}
    # And row by row: each non-ASB street row twice, no ASB row, -1 only for NN records.
    sources = Counter(doubled.source_row[derived.to_numpy()].tolist())
    assert sources == dict.fromkeys(crimes.index.tolist(), 2)
    assert (doubled.source_row[~derived.to_numpy()] == -1).all()
    assert rows["Crime Reference"].is_unique


def test_original_class_is_of_the_published_type(
    street: pd.DataFrame, result: SyntheticRms
) -> None:
    derived = result.source_row >= 0
    published = street["Crime type"].to_numpy()[result.source_row[derived]]
    original = _kind(result.rows.loc[derived, "Original HO Class"]).to_numpy()
    assert (published == original).all()
    assert ASB not in set(published)


def test_planted_counts_are_what_the_rows_show(street: pd.DataFrame, doubled: SyntheticRms) -> None:
    for res in (doubled, generate(street, RmsParams(seed=9))):
        rows = res.rows
        original = _kind(rows["Original HO Class"])
        current = _kind(rows["HO Class"])
        recorded = _month(rows["Recorded"])
        committed = _month(rows["Committed From"])
        crimes = _crimes(street)
        planted = res.planted
        assert planted.months == MONTHS
        for month in MONTHS:
            in_month = recorded == month
            assert planted.non_notifiable[month] == int(
                (in_month & (rows["HO Class"] == NON_NOTIFIABLE)).sum()
            )
            for kind in POLICE_UK_CRIME_TYPES:
                cell = planted.counts[(kind, month)]
                mine = in_month & (original == kind)
                published = int(((crimes["Crime type"] == kind) & (crimes["Month"] == month)).sum())
                assert cell.published == published * res.params.copies == int(mine.sum())
                assert cell.committed_earlier == int((mine & (committed == _previous(month))).sum())
                moved = mine & (current != kind)
                assert cell.reclassified_out == int(moved.sum())
                assert dict(cell.reclassified_to) == dict(Counter(current[moved]))
                assert cell.cancelled == int((mine & (rows["Status"] == "Cancelled")).sum())
                same = mine & (current == kind)
                changed = rows["HO Class"] != rows["Original HO Class"]
                assert cell.reclassified_within == int((same & changed).sum())
        # Committed in the recording month or the one before, never otherwise.
        assert ((committed == recorded) | (committed == recorded.map(_previous))).all()
        nn = rows["HO Class"] == NON_NOTIFIABLE
        assert (committed[nn] == recorded[nn]).all()
        # Never both reclassified and cancelled.
        assert not ((current != original) & (rows["Status"] == "Cancelled")).any()
        assert set(rows["Status"]) == {"Recorded", "Cancelled"}


def test_default_rates_are_roughly_as_documented(doubled: SyntheticRms) -> None:
    cells = doubled.planted.counts.values()
    published = sum(c.published for c in cells)
    share = {
        "late": sum(c.committed_earlier for c in cells) / published,
        "reclassified": sum(c.reclassified_out for c in cells) / published,
        "cancelled": sum(c.cancelled for c in cells) / published,
        "nn": sum(doubled.planted.non_notifiable.values()) / published,
    }
    assert 0.04 <= share["late"] <= 0.08, share
    assert 0.012 <= share["reclassified"] <= 0.028, share
    assert 0.006 <= share["cancelled"] <= 0.014, share
    assert 0.006 <= share["nn"] <= 0.014, share
    drugs = [c for (k, _), c in doubled.planted.counts.items() if k == "Drugs"]
    burglary = [c for (k, _), c in doubled.planted.counts.items() if k == "Burglary"]
    late = [
        sum(c.committed_earlier for c in x) / sum(c.published for c in x) for x in (drugs, burglary)
    ]
    assert late[0] < late[1]


def test_times_exist_and_are_in_order(street: pd.DataFrame, result: SyntheticRms) -> None:
    rows = result.rows
    frm = pd.to_datetime(rows["Committed From"], format=FMT)
    rec = pd.to_datetime(rows["Recorded"], format=FMT)
    has_to = rows["Committed To"] != ""
    to = pd.to_datetime(rows.loc[has_to, "Committed To"], format=FMT)
    assert 0.05 < has_to.mean() < 0.4
    for times in (frm, rec, to):
        # Raises on a wall time the clocks skip; the repeated autumn hour is not in these months.
        pd.DatetimeIndex(times).tz_localize("Europe/London", nonexistent="raise", ambiguous="raise")
        spring = (times.dt.strftime("%d/%m/%Y %H") == "30/03/2025 01").sum()
        assert spring == 0
    assert (to > frm[has_to]).all()
    assert (rec >= frm).all()
    assert (rec[has_to] >= to).all()
    # Recorded in police.uk's month.
    derived = result.source_row >= 0
    month = street["Month"].to_numpy()[result.source_row[derived]]
    assert (rec[derived].dt.strftime("%Y-%m").to_numpy() == month).all()
    # Ranges where the time is often unknown, exact where it is almost always known.
    kind = _kind(rows["HO Class"])
    assert has_to[kind == "Vehicle crime"].mean() > 0.6
    assert has_to[kind == "Burglary"].mean() > 0.45
    assert has_to[kind == "Drugs"].mean() < 0.02
    assert has_to[kind == "Shoplifting"].mean() < 0.06


def test_spring_gap_is_shifted_forward() -> None:
    gaps = _spring_gaps(range(2025, 2026))
    start = int(np.datetime64("2025-03-30T01:00", "m").astype(np.int64))
    assert gaps == [(start, start + 60)]
    times = np.array([start - 1, start, start + 30, start + 60], dtype=np.int64)
    _shift_gaps(times, gaps)
    assert times.tolist() == [start - 1, start + 60, start + 90, start + 60]


def test_time_profiles_look_like_the_docstring(street: pd.DataFrame) -> None:
    rows = generate(read_street_files("hertfordshire", MONTHS), RmsParams(seed=1)).rows
    exact = rows["Committed To"] == ""
    frm = pd.to_datetime(rows["Committed From"], format=FMT)
    kind = _kind(rows["HO Class"])
    hour, day = frm.dt.hour, frm.dt.day_of_week
    shop = exact & (kind == "Shoplifting")
    assert (shop & (hour < 7)).sum() < 0.01 * shop.sum()
    violence = exact & (kind == "Violence and sexual offences")
    late_night = violence & (hour >= 22)
    weekend = late_night & day.isin([4, 5])
    # Friday and Saturday are 2 of 7 nights but hold far more than 2/7 of 22:00–24:00.
    assert weekend.sum() > 0.45 * late_night.sum()
    drugs = exact & (kind == "Drugs")
    assert (drugs & hour.between(14, 21)).sum() > 3 * (drugs & hour.between(2, 9)).sum()


def test_points_scatter_around_the_snap_point_and_are_blank_without_one(
    street: pd.DataFrame, result: SyntheticRms
) -> None:
    rows = result.rows
    src = street.iloc[result.location_row]
    lon = pd.to_numeric(src["Longitude"].replace("", np.nan)).to_numpy(float)
    lat = pd.to_numeric(src["Latitude"].replace("", np.nan)).to_numpy(float)
    x0, y0 = to_bng(lon, lat)  # inf (not NaN) where there is no location
    blank = rows["Easting"] == ""
    assert ((rows["Northing"] == "") == blank).all()
    assert (blank.to_numpy() == ~np.isfinite(x0)).all()
    assert blank.any() and not blank.all()
    assert (rows.loc[blank, "LSOA Code"] == "").all()
    e = rows.loc[~blank, "Easting"].astype(int).to_numpy()
    n = rows.loc[~blank, "Northing"].astype(int).to_numpy()
    assert all(re.fullmatch(r"\d{6}", v) for v in rows.loc[~blank, "Easting"].head(100))
    dx, dy = e - x0[~blank.to_numpy()], n - y0[~blank.to_numpy()]
    distance = np.hypot(dx, dy)
    assert distance.max() <= 150.0
    assert 50 < dx.std() < 65 and abs(dx.mean()) < 3
    assert (distance > 1).mean() > 0.95  # moved, not left on the snap point
    assert (rows["Location"].to_numpy() == src["Location"].to_numpy()).all()


def test_flags(result: SyntheticRms, doubled: SyntheticRms) -> None:
    for res in (result, doubled):
        rows = res.rows
        flags = rows["Flags"].map(lambda t: set(t.split(";")) - {""})
        current, original = _kind(rows["HO Class"]), _kind(rows["Original HO Class"])
        known = set(FLAG_CODES.values())
        assert set().union(*flags) <= known
        # Written in one order, no repeats.
        order = list(FLAG_CODES.values())
        for text in rows["Flags"].drop_duplicates():
            codes = text.split(";") if text else []
            assert codes == sorted(codes, key=order.index) and len(set(codes)) == len(codes)
        drugs = (current == "Drugs") | (original == "Drugs")
        assert flags[drugs].map(lambda f: "DRUG" in f).all()
        hate = flags.map(lambda f: bool(f & set(HATE_CODES)))
        assert hate.any()
        assert current[hate].isin(["Violence and sexual offences", "Public order"]).all()
        assert (flags[hate].map(lambda f: len(f & set(HATE_CODES))) == 1).all()
        aggravated = rows["HO Class"].isin(["8P", "105B", "9B"])
        assert flags[aggravated].map(lambda f: bool(f & {"HC-RACE", "HC-REL"})).all()
        cl = flags.map(lambda f: "CL" in f)
        assert flags[cl].map(lambda f: "DRUG" in f).all()
        assert cl.any()
        assert flags[rows["HO Class"] == "8S"].map(lambda f: "DA" in f).all()
        assert flags[rows["HO Class"] == "10D"].map(lambda f: "KNIFE" in f).all()
        violence = current == "Violence and sexual offences"
        da = flags[violence].map(lambda f: "DA" in f).mean()
        assert 0.25 < da < 0.42
    counts = Counter(c for f in doubled.rows["Flags"] for c in f.split(";") if c)
    strands = [counts[c] for c in ("HC-RACE", "HC-SO", "HC-TG")]
    assert strands == sorted(strands, reverse=True)
    assert set(FLAG_CODES) == set(FLAGS)


def test_references_and_personal_columns(result: SyntheticRms) -> None:
    rows = result.rows
    assert list(rows.columns) == list(COLUMNS)
    refs = rows["Crime Reference"]
    assert refs.str.fullmatch(r"71/\d{5}/25").all()
    assert refs.is_monotonic_increasing  # numbered in order of recording
    assert rows["Recorded"].map(lambda t: pd.to_datetime(t, format=FMT)).is_monotonic_increasing
    victim = rows["Victim Name"]
    assert (victim.str.fullmatch(r"SYNTHETIC PERSON \d{6}") | (victim == "")).all()
    assert (victim[_kind(rows["HO Class"]) == "Drugs"] == "").all()
    assert (victim != "").mean() > 0.8
    assert rows["MO Notes"].str.fullmatch(r"SYNTHETIC FREE TEXT \d{6}").all()
    dob = rows["Suspect DOB"]
    assert (dob[dob != ""].map(lambda t: pd.to_datetime(t, format="%d/%m/%Y").year) < 2010).all()
    assert (dob[rows["Outcome"] == "Investigation complete; no suspect identified"] == "").all()
    nn = rows[rows["HO Class"] == NON_NOTIFIABLE]
    assert len(nn) and nn["Offence"].str.endswith("(non-notifiable)").all()
    assert (nn["Original HO Class"] == NON_NOTIFIABLE).all()
    table = offence_classes()
    derived = rows[rows["HO Class"] != NON_NOTIFIABLE]
    assert (derived["Offence"] == derived["HO Class"].map(lambda c: table[c].description)).all()


def test_class_mix_within_drugs(doubled: SyntheticRms) -> None:
    rows = doubled.rows
    drugs = rows.loc[_kind(rows["Original HO Class"]) == "Drugs", "Original HO Class"]
    share = drugs.value_counts(normalize=True)
    assert share["92D"] > share["92E"] > share["92A"] > share.get("92C", 0)


def test_files(result: SyntheticRms, tmp_path: Path) -> None:
    files = write_export(result, tmp_path / "out", xlsx=True)
    assert "SYNTHETIC" in files.csv.name and files.csv.name.endswith(".csv")
    header = files.csv.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == ",".join(COLUMNS)
    back = pd.read_csv(files.csv, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, result.rows, check_dtype=False)

    spec = tomllib.loads(files.spec.read_text(encoding="utf-8"))
    assert spec["spec"]["name"] == SPEC_NAME
    assert spec["spec"]["description"] == (
        "SYNTHETIC force crime records from harmwatch synth force-records (seed 3)"
    )
    columns = spec["columns"]
    assert set(columns) == {
        "reference", "offence_code", "offence_description", "original_offence_code",
        "committed_from", "committed_to", "recorded", "easting", "northing", "address",
        "lsoa_code", "flags", "status", "outcome",
    }  # fmt: skip
    assert columns["address"] == "Location"
    assert set(columns.values()) <= set(COLUMNS)
    assert not set(columns.values()) & set(PERSONAL_COLUMNS)
    assert spec["time"] == {
        "format": "%d/%m/%Y %H:%M",
        "zone": "Europe/London",
        "ambiguous": "earlier",
        "nonexistent": "shift-forward",
    }
    assert spec["flags"]["drug-related"] == ["DRUG"]
    assert spec["flags"]["hate-sexual-orientation"] == ["HC-SO"]
    assert set(spec["flags"]) == set(FLAGS)
    assert spec["status"] == {"recorded": ["Recorded"], "cancelled": ["Cancelled"]}
    assert spec["options"] == {"synthetic": True, "flags_separator": ";", "crs": "EPSG:27700"}

    planted = json.loads(files.planted.read_text(encoding="utf-8"))
    assert planted == json.loads(json.dumps(result.planted.to_dict()))
    assert planted["synthetic"] is True and planted["seed"] == 3
    assert planted["months"]["2025-03"]["types"]["Drugs"]["published"] > 0

    readme = files.readme.read_text(encoding="utf-8")
    assert readme.startswith("SYNTHETIC DATA")
    for words in ("committed earlier", "reclassified", "cancelled", "non-notifiable", "seed: 3"):
        assert words in readme
    assert "2025-03/2025-03-bedfordshire-street.csv.gz" in readme

    from openpyxl import load_workbook

    assert files.xlsx is not None
    sheet = load_workbook(files.xlsx, read_only=True).active
    assert sheet is not None
    first = next(sheet.iter_rows(max_row=1, values_only=True))
    assert list(first) == list(COLUMNS)


def test_a_name_that_says_synthetic_is_kept(result: SyntheticRms, tmp_path: Path) -> None:
    files = write_export(result, tmp_path, name="synthetic-herts")
    assert files.csv.name == "synthetic-herts.csv"
    assert files.spec.name == "synthetic-herts.spec.toml"


def test_read_street_files(street: pd.DataFrame) -> None:
    assert street.attrs["source_files"] == [f"{m}/{m}-bedfordshire-street.csv.gz" for m in MONTHS]
    assert set(street["Month"]) == set(MONTHS)
    every = read_street_files("Bedfordshire")
    assert sorted(set(every["Month"])) == [f"2025-{m:02d}" for m in range(1, 13)]
    with pytest.raises(InputError, match=r"no police\.uk street files for force 'narnia'"):
        read_street_files("narnia")
    with pytest.raises(InputError, match="in '2019-01'"):
        read_street_files("bedfordshire", ["2019-01"])


def test_generate_takes_parsed_frames_too(street: pd.DataFrame, result: SyntheticRms) -> None:
    parsed = street.copy()
    for col in ("Longitude", "Latitude"):
        parsed[col] = pd.to_numeric(parsed[col].replace("", np.nan))
    for col in ("LSOA code", "Last outcome category"):
        parsed[col] = parsed[col].replace("", np.nan)
    again = generate(parsed, RmsParams(seed=3))
    pd.testing.assert_frame_equal(again.rows, result.rows)


def test_refusals(street: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="cancelled_share: must be between 0 and 1"):
        RmsParams(cancelled_share=1.5)
    with pytest.raises(InputError, match="copies: must be at least 1"):
        RmsParams(copies=0)
    with pytest.raises(InputError, match="not an HO class of that type"):
        RmsParams(class_mix={**RmsParams().class_mix, "Drugs": {"46": 1.0}})
    with pytest.raises(InputError, match="the current of another type"):
        RmsParams(reclassified_pairs={"Drugs": {"92D>92A": 1.0}})
    with pytest.raises(InputError, match="unknown crime type"):
        generate(street.assign(**{"Crime type": "Fraud"}), RmsParams())
    with pytest.raises(InputError, match="missing column"):
        generate(street.drop(columns=["Month"]), RmsParams())
    assert hash(RmsParams()) == hash(RmsParams(class_mix=dict(RmsParams().class_mix)))


def test_a_full_year_of_a_large_force_has_one_reference_per_crime() -> None:
    # Speed is measured in benchmarks/bench_force_records.py, not here.
    street = read_street_files("hertfordshire")
    res = generate(street, RmsParams(seed=11))
    assert len(res.rows) > 85_000
    assert res.rows["Crime Reference"].is_unique
    assert res.rows["Crime Reference"].str.fullmatch(r"73/\d{5}/25").all()
