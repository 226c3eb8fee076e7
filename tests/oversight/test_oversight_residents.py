"""The user's population table: read all or nothing, every problem as file:line: field: reason.

Every figure in these tables is MADE UP for the tests; none is a real population.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harmwatch.oversight.residents import CENSUS_GROUPS, ResidentsError, load_residents

SOURCE = "MADE-UP TEST FIXTURE: not real population figures"
GOOD = f"""force,ethnic_group,residents,source,year
bedfordshire,White,500000,{SOURCE},2021
Bedfordshire Police,"Asian, Asian British or Asian Welsh",100000,{SOURCE},2021
bedfordshire,black,"40,000",{SOURCE},2021
bedfordshire,Mixed,20000,{SOURCE},2021
bedfordshire,Other,10000,{SOURCE},2021
hertfordshire,White,900000,{SOURCE},2021

"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "residents.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_table_is_read_with_its_source_and_year(tmp_path: Path) -> None:
    table = load_residents(_write(tmp_path, GOOD))
    assert table.source == SOURCE and table.year == 2021
    assert table.forces == ["bedfordshire", "hertfordshire"]
    beds = table.of("bedfordshire")
    assert dict(beds) == {
        "Asian": 100000, "Black": 40000, "Mixed": 20000, "Other": 10000, "White": 500000,
    }  # fmt: skip
    assert set(beds) == set(CENSUS_GROUPS)
    assert dict(table.of("cambridgeshire")) == {}
    assert SOURCE in table.described() and "2021" in table.described()


def test_every_bad_row_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "force,ethnic_group,residents,source,year\n"
        f"bedfordshire,White,500000,{SOURCE},2021\n"
        f"bedfordshire,Asian,-5,{SOURCE},2021\n"  # line 3
        f"narnia,Black,100,{SOURCE},2021\n"  # line 4
        f"bedfordshire,Purple,100,{SOURCE},2021\n"  # line 5
        f"bedfordshire,Mixed,100,another source,2021\n"  # line 6
        f"bedfordshire,Other,100,{SOURCE},2019\n"  # line 7
        f"bedfordshire,White,1,{SOURCE},2021\n",  # line 8
    )
    with pytest.raises(ResidentsError) as caught:
        load_residents(path)
    problems = caught.value.problems
    expected = [
        f"{path}:3: residents: '-5' is not a whole number above 0",
        f"{path}:4: force: 'narnia' is not a police.uk force",
        f"{path}:5: ethnic_group: 'Purple' is not one of the five broad Census 2021 groups",
        f"{path}:6: source: 'another source' differs from",
        f"{path}:7: year: 2019 differs from 2021 (line 2)",
        f"{path}:8: ethnic_group: White for Bedfordshire Police is already given on line 2",
    ]
    assert len(problems) == len(expected)
    for got, want in zip(problems, expected, strict=True):
        assert got.startswith(want), got
    assert str(path) in str(caught.value)


def test_a_missing_column_a_force_without_white_and_an_empty_table(tmp_path: Path) -> None:
    with pytest.raises(ResidentsError, match=r":1: header: missing column\(s\) source, year"):
        load_residents(_write(tmp_path, "force,ethnic_group,residents\nbedfordshire,White,5\n"))
    with pytest.raises(ResidentsError, match=r":2: ethnic_group: no White row for Bedfordshire"):
        load_residents(
            _write(
                tmp_path,
                f"force,ethnic_group,residents,source,year\nbedfordshire,Asian,5,{SOURCE},2021\n",
            )
        )
    with pytest.raises(ResidentsError, match=r":1: header: the table has no rows"):
        load_residents(_write(tmp_path, "force,ethnic_group,residents,source,year\n"))
    with pytest.raises(ResidentsError, match=r"residents: '0' is not a whole number above 0"):
        load_residents(
            _write(
                tmp_path,
                f"force,ethnic_group,residents,source,year\nbedfordshire,White,0,{SOURCE},2021\n",
            )
        )


def test_a_missing_file_is_input_not_a_defect(tmp_path: Path) -> None:
    from harmwatch.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        load_residents(tmp_path / "absent.csv")
