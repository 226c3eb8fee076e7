"""LSOA rankings and concentration: hand-worked cases, an independent Gini, real Herts data."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from harmwatch.query.filter import Filter, Points
from harmwatch.spatial.study_area import StudyArea, from_bbox
from harmwatch.where.areas import (
    SOURCE_LIST,
    SOURCE_PRESENT,
    area_ranking,
    district_of,
    gini,
    rank_lsoas,
    read_lsoa_list,
)

SHARED = Path("/work/shared/data")
HERTS_LSOAS = SHARED / "boundaries" / "lsoa-2011" / "hertfordshire-lsoa2011.geojson.gz"
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]
# Two districts side by side: Alpha west of x = 1000, Beta east of it.
AREA = StudyArea(box(0, 0, 2000, 1000), "force districts", "Alpha and Beta", ("Alpha", "Beta"))


def make_points(rows: list[tuple[str, str, float, float]], n_without_location: int = 0) -> Points:
    """Points from (lsoa_code, lsoa_name, x, y) rows, months cycled over MONTHS."""
    n = len(rows)
    return Points(
        x=np.array([r[2] for r in rows], dtype=float),
        y=np.array([r[3] for r in rows], dtype=float),
        month=np.array([MONTHS[i % len(MONTHS)] for i in range(n)], dtype=object),
        lsoa_code=np.array([r[0] for r in rows], dtype=object),
        lsoa_name=np.array([r[1] for r in rows], dtype=object),
        force=np.array(["testshire"] * n, dtype=object),
        months=list(MONTHS),
        n_without_location=n_without_location,
        filter=Filter(("testshire",), ("Drugs",), tuple(MONTHS)),
    )


def repeat(code: str, name: str, k: int, x: float = 500.0, y: float = 500.0) -> list:
    return [(code, name, x, y)] * k


# Counts 5, 3, 1, 1 in four LSOAs of the study area: the running hand example.
BASIC = (
    repeat("E01000001", "Alpha 001A", 5)
    + repeat("E01000002", "Alpha 001B", 3)
    + repeat("E01000003", "Beta 001A", 1, x=1500)
    + repeat("E01000004", "Beta 001B", 1, x=1500)
)


def test_district_of() -> None:
    assert district_of("Broxbourne 002E") == "Broxbourne"
    assert district_of("Welwyn Hatfield 010E") == "Welwyn Hatfield"
    assert district_of("Solo") == "Solo"


def test_table_ranks_rates_and_shares_by_hand() -> None:
    r = rank_lsoas(make_points(BASIC), AREA)
    t = r.table
    assert list(t.columns) == [
        "lsoa_code",
        "lsoa_name",
        "district",
        "n",
        "per_month",
        "share",
        "cumulative_share",
        "rank",
    ]
    assert t["lsoa_code"].tolist() == ["E01000001", "E01000002", "E01000003", "E01000004"]
    assert t["district"].tolist() == ["Alpha", "Alpha", "Beta", "Beta"]
    assert t["n"].tolist() == [5, 3, 1, 1]
    # Four months in the selection: 5 crimes is 1.25 a month.
    assert t["per_month"].tolist() == pytest.approx([1.25, 0.75, 0.25, 0.25])
    assert t["share"].tolist() == pytest.approx([0.5, 0.3, 0.1, 0.1])
    assert t["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 0.9, 1.0])
    # Joint fourth, not third-and-fourth: ties share the best rank.
    assert t["rank"].tolist() == [1, 2, 3, 3]
    assert r.crimes_ranked == 10
    assert r.denominator == 4
    assert r.denominator_source == SOURCE_PRESENT


def test_concentration_and_gini_without_a_list_by_hand() -> None:
    r = rank_lsoas(make_points(BASIC), AREA)
    # 4 LSOAs: 1 %, 5 % and 10 % round to at least one LSOA; 20 % of 4 is 0.8 -> 1.
    for key in ("top_1pct", "top_5pct", "top_10pct", "top_20pct"):
        assert r.concentration[key]["lsoas"] == 1
        assert r.concentration[key]["crimes"] == 5
        assert r.concentration[key]["crime_share"] == pytest.approx(0.5)
        assert r.concentration[key]["lsoa_share"] == pytest.approx(0.25)
    # Sorted 1, 1, 3, 5: sum (2i - n - 1) x = -3 - 1 + 3 + 15 = 14; 14 / (4 * 10).
    assert r.gini == pytest.approx(0.35)
    text = " ".join(r.caveats)
    assert "zero-crime LSOAs are not known" in text and "UNDERSTATE" in text
    assert any("only 4 LSOAs" in c for c in r.caveats)


def test_list_adds_zero_crime_lsoas_and_raises_concentration() -> None:
    listed = [f"E0100{i:04d}" for i in range(1, 21)]  # the 4 with crimes and 16 without
    r = rank_lsoas(make_points(BASIC), AREA, all_lsoa_codes=listed)
    assert r.denominator == 20 and r.denominator_source == SOURCE_LIST
    assert len(r.table) == 20 and (r.table["n"] == 0).sum() == 16
    assert r.table["rank"].iloc[-1] == 5  # all zeros joint fifth
    c = r.concentration
    assert (c["top_1pct"]["lsoas"], c["top_1pct"]["crime_share"]) == (1, pytest.approx(0.5))
    assert (c["top_5pct"]["lsoas"], c["top_5pct"]["crime_share"]) == (1, pytest.approx(0.5))
    assert (c["top_10pct"]["lsoas"], c["top_10pct"]["crime_share"]) == (2, pytest.approx(0.8))
    assert (c["top_20pct"]["lsoas"], c["top_20pct"]["crime_share"]) == (4, pytest.approx(1.0))
    # Sixteen zeros at i = 1..16, then 1, 1, 3, 5 at i = 17..20 with weights 2i - 21:
    # 13 + 15 + 3*17 + 5*19 = 174, over 20 * 10.
    assert r.gini == pytest.approx(0.87)
    # Adding m zeros to n values moves G to (n G + m) / (n + m): the no-list figure understates.
    assert r.gini == pytest.approx((4 * 0.35 + 16) / 20)
    assert not any("UNDERSTATE" in c for c in r.caveats)


def test_list_with_names_and_codes_missing_from_it() -> None:
    listed = {"E01000001": "Alpha 001A", "E01000002": "Alpha 001B", "E01000099": "Beta 009Z"}
    r = rank_lsoas(make_points(BASIC), AREA, all_lsoa_codes=listed)
    zero = r.table[r.table["lsoa_code"] == "E01000099"].iloc[0]
    assert (zero["lsoa_name"], zero["district"], zero["n"]) == ("Beta 009Z", "Beta", 0)
    # The two Beta LSOAs with crimes are not on the list: ranked, counted, and said.
    assert r.denominator == 5
    assert any("2 LSOA(s) with crimes are not in the LSOA list" in c for c in r.caveats)


def test_rows_without_lsoa_and_out_of_area_lsoas_are_left_out_and_counted() -> None:
    rows = (
        BASIC
        + repeat("", "", 2)  # located but no LSOA
        + repeat("E09000001", "Barnet 001A", 4, x=5000)  # a London borough, outside
        # Luton is a district today: out even with its crimes inside the border.
        + repeat("E01015000", "Luton 001A", 2, x=900)
        # Poole is a former district (now BCP): kept by location.
        + repeat("E01020000", "Poole 001A", 3, x=1200)
        # A former district whose crimes lie outside: left out.
        + repeat("E01020001", "Purbeck 001A", 1, x=5000)
    )
    r = rank_lsoas(make_points(rows, n_without_location=7), AREA)
    assert r.rows_without_lsoa == 2
    assert r.rows_outside_study_area == 4 + 2 + 1
    assert r.lsoas_outside_study_area == 3
    assert set(r.table["lsoa_code"]) == {f"E0100000{i}" for i in (1, 2, 3, 4)} | {"E01020000"}
    assert r.crimes_ranked == 13
    notes = " ".join(r.notes)
    assert "7 crime(s) in 3 LSOA(s) outside the study area are left out" in notes
    assert "Barnet 4" in notes
    assert "2 located crime(s) without an LSOA" in notes
    assert "7 crime(s) without a location" in notes
    assert "Poole" in notes and "former or Welsh districts?" in notes


def test_district_suffixes_match_lsoa_names() -> None:
    area = StudyArea(box(0, 0, 1000, 1000), "force districts", "H", ("Herefordshire, County of",))
    rows = repeat("E01013000", "Herefordshire 001A", 3, x=5000)  # outside, but named for it
    r = rank_lsoas(make_points(rows), area)
    assert r.table["lsoa_code"].tolist() == ["E01013000"]


def test_area_without_districts_uses_location() -> None:
    rows = (
        repeat("E01000001", "Alpha 001A", 3, x=100)
        + repeat("E01000002", "Alpha 001B", 2, x=100)
        + [("E01000002", "Alpha 001B", 900.0, 500.0)] * 3  # most of 001B is outside the box
    )
    r = rank_lsoas(make_points(rows), from_bbox(0, 0, 500, 1000))
    assert r.table["lsoa_code"].tolist() == ["E01000001"]
    assert r.rows_outside_study_area == 5
    # With no study area at all, everything is ranked and that is said.
    r = rank_lsoas(make_points(rows))
    assert r.table["n"].tolist() == [5, 3]
    assert any("no study area given" in n for n in r.notes)


def test_mixed_vintages_add_a_caveat() -> None:
    def mixed(v: set[str]) -> bool:
        return any(
            "mixes LSOA 2011 and 2021" in c
            for c in rank_lsoas(make_points(BASIC), AREA, vintages=v).caveats
        )

    assert mixed({"2011", "2021"}) and mixed({"mixed"}) and mixed({"2011", "2021", "either"})
    assert not mixed({"2011", "either"}) and not mixed({"2021"}) and not mixed(set())


def test_nothing_to_rank_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to rank"):
        rank_lsoas(make_points(repeat("E09000001", "Barnet 001A", 3, x=9000)), AREA)


def _gini_mad(x: np.ndarray) -> float:
    """Mean absolute difference over twice the mean, by brute force over all pairs."""
    diffs = np.abs(x[:, None] - x[None, :]).sum()
    return float(diffs / (len(x) ** 2) / (2 * x.mean()))


def test_gini_against_an_independent_formula() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.poisson(rng.uniform(0.2, 5), size=rng.integers(2, 60)).astype(float)
        if x.sum() == 0:
            continue
        assert gini(x) == pytest.approx(_gini_mad(x), abs=1e-12)
    assert gini([4, 4, 4]) == 0
    assert gini([0, 0, 0, 9]) == pytest.approx(3 / 4)  # the maximum, (n - 1) / n
    assert gini([5, 3, 1, 1]) == pytest.approx(0.35)
    with pytest.raises(ValueError):
        gini([0, 0])
    with pytest.raises(ValueError):
        gini([])
    with pytest.raises(ValueError):
        gini([1, -1])


def test_read_lsoa_list_csv_and_gzipped_geojson(tmp_path: Path) -> None:
    csv = tmp_path / "lsoas.csv"
    pd.DataFrame({"LSOA21CD": ["E01000001", "E01000002"], "LSOA21NM": ["A 1", "A 2"]}).to_csv(
        csv, index=False
    )
    assert read_lsoa_list(csv) == {"E01000001": "A 1", "E01000002": "A 2"}
    frame = gpd.GeoDataFrame({"lsoa_code": ["E01000003"]}, geometry=[Point(0, 0)], crs="EPSG:27700")
    plain = tmp_path / "lsoas.geojson"
    frame.to_file(plain, driver="GeoJSON")
    packed = tmp_path / "lsoas.geojson.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_lsoa_list(packed) == {"E01000003": ""}
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"zone": ["x"]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="no LSOA code column"):
        read_lsoa_list(bad)
    with pytest.raises(FileNotFoundError):
        read_lsoa_list(tmp_path / "missing.csv")


# --- real data -----------------------------------------------------------------------


# herts_db (tests/conftest.py): Hertfordshire street crimes 2021-01…2022-01 (13 files, LSOA 2011
# codes), loaded once for the session.


def test_herts_drugs_ranking(herts_db: Path) -> None:
    flt = Filter(("hertfordshire",), ("Drugs",))
    present = area_ranking(herts_db, flt)
    # Only Hertfordshire's ten districts are ranked; Barnet, Luton, Enfield … are left out.
    assert set(present.table["district"]) == {
        "Broxbourne",
        "Dacorum",
        "East Hertfordshire",
        "Hertsmere",
        "North Hertfordshire",
        "St Albans",
        "Stevenage",
        "Three Rivers",
        "Watford",
        "Welwyn Hatfield",
    }
    assert present.rows_outside_study_area > 0
    assert any("Barnet" in n for n in present.notes)
    assert len(present.months) == 13
    assert present.table["n"].sum() == present.crimes_ranked
    assert present.table["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert not any("mixes" in c for c in present.caveats)  # all 2011 codes

    if not HERTS_LSOAS.exists():
        pytest.skip("the Hertfordshire LSOA 2011 list is not in /work/shared/data")
    listed = area_ranking(herts_db, flt, all_lsoa_codes=read_lsoa_list(HERTS_LSOAS))
    assert listed.denominator == 690  # every Herts LSOA is on the list, none extra
    assert listed.denominator > present.denominator
    assert listed.crimes_ranked == present.crimes_ranked
    # Counting the zero-crime LSOAs can only raise the concentration figures.
    assert listed.gini > present.gini
    for key, figures in listed.concentration.items():
        assert figures["crime_share"] >= present.concentration[key]["crime_share"]
    assert gini(listed.table["n"].to_numpy()) == pytest.approx(
        _gini_mad(listed.table["n"].to_numpy().astype(float))
    )
