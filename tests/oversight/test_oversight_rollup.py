"""Roll-up across forces: per force and in total, rates per 1,000 against an independent
computation, a missing population said, and the small-number rule over the whole table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import gamma
from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.operations import service as operations_service
from harmwatch.outputs.suppression import FEWER_THAN_5
from harmwatch.oversight.population import (
    PopulationError,
    load_population,
    shipped_population,
)
from harmwatch.oversight.rollup import Counted, combine, rollup
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.forces import FORCES, force_slug
from harmwatch.storage.records import make_engine, upgrade

SAMPLE_FORCES = ["bedfordshire", "cambridgeshire", "hertfordshire"]
SHARED_POPULATION = (
    Path(__file__).resolve().parents[3]
    / "shared" / "data" / "tables" / "drug-misuse-by-force" / "population_policeforces.csv"
)  # fmt: skip


def garwood(k: int, residents: int) -> tuple[float, float]:
    """Exact Poisson limits per 1,000 by the gamma route (not the chi-square one)."""
    low = 0.0 if k == 0 else gamma.ppf(0.025, k)
    return 1000 * low / residents, 1000 * gamma.ppf(0.975, k + 1) / residents


def test_the_shipped_table_is_the_ons_table_as_published() -> None:
    table = shipped_population()
    assert len(table.forces()) == 39 and set(table.forces()) <= set(FORCES)
    assert not {"dyfed-powys", "gwent", "north-wales", "south-wales"} & set(table.forces())
    if SHARED_POPULATION.exists():
        frame = pd.read_csv(SHARED_POPULATION).set_index("year")
        for name in frame.columns:
            for year, value in frame[name].items():
                found = table.lookup(force_slug(name), int(year))
                assert found is not None and found.residents == int(value)
    herts = table.lookup("hertfordshire", 2025)
    assert herts is not None and herts.year == 2019  # the latest before the period
    assert "ONS" in table.source and "MIT" in table.source


def test_per_force_totals_and_rates_per_1000(sample_db: Path) -> None:
    report = rollup(sample_db, SAMPLE_FORCES, published=False, measures=["drug-offences"])
    result = report.result("drug-offences")
    assert [a.force for a in result.areas] == SAMPLE_FORCES
    total = result.total
    assert total is not None and total.value == sum(a.value for a in result.areas)
    assert total.baseline == sum(a.baseline for a in result.areas)
    frame = pd.read_csv(shipped_population().file).set_index("year")
    names = {"bedfordshire": "Bedfordshire", "cambridgeshire": "Cambridgeshire",
             "hertfordshire": "Hertfordshire"}  # fmt: skip
    residents = {f: int(frame.loc[2019, n]) for f, n in names.items()}
    for area in result.areas:
        assert area.rate is not None and area.population is not None
        assert area.population.residents == residents[area.force]
        assert area.rate.rate == pytest.approx(1000 * area.value / residents[area.force])
        assert (area.rate.low, area.rate.high) == pytest.approx(
            garwood(area.value, residents[area.force]), rel=1e-9
        )
        assert "2019" in area.population_note  # six years before the period: said
    everyone = sum(residents.values())
    assert total.rate is not None
    assert total.rate.rate == pytest.approx(1000 * total.value / everyone)
    assert (total.rate.low, total.rate.high) == pytest.approx(garwood(total.value, everyone))
    as_json = result.to_dict()["total"]
    assert isinstance(as_json["value"], int)
    assert {"rate_per_1000", "rate_per_1000_low", "rate_per_1000_high"} <= set(as_json)


def test_a_missing_population_is_said(sample_db: Path, tmp_path: Path) -> None:
    own = tmp_path / "population.csv"
    own.write_text(
        "# source: ONS mid-2023 estimates (test copy)\nforce,population,year\n"
        "bedfordshire,700000,2023\nHertfordshire Constabulary,1200000,2023\n",
        encoding="utf-8",
    )
    table = load_population(own)
    report = rollup(sample_db, SAMPLE_FORCES, published=False, population=table,
                    measures=["drug-offences"])  # fmt: skip
    result = report.result("drug-offences")
    by = {a.force: a for a in result.areas}
    assert by["cambridgeshire"].rate is None
    assert by["cambridgeshire"].population_note == (
        "no population for Cambridgeshire Constabulary in ONS mid-2023 estimates (test copy)"
    )
    assert by["hertfordshire"].rate is not None
    assert by["hertfordshire"].rate.rate == pytest.approx(
        1000 * by["hertfordshire"].value / 1200000
    )
    assert result.total is not None and result.total.rate is None
    assert "no population for Cambridgeshire Constabulary" in result.total.population_note
    assert report.population_source == "ONS mid-2023 estimates (test copy)"
    welsh = combine([Counted("south-wales", value=40, baseline=30, period_months=3,
                             baseline_months=3)], published=False,
                    population=shipped_population(), year=2025)[0][0]  # fmt: skip
    assert welsh.rate is None and "no population for South Wales Police" in welsh.population_note
    assert "England only" in welsh.population_note


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("force,population\nbedfordshire,abc\n", ":2: population: 'abc' is not a whole number"),
        ("force,population\nnarnia,100\n", ":2: force: 'narnia' is not a police.uk force"),
        ("force,residents\n", ":1: population: no such column"),
        ("force,population\nbedfordshire,5,6\n", ":2: 3 values"),
        ("force,population\nbedfordshire,5\n# note\nbedfordshire,6\n", ":4: force: Bedfordshire Police is given twice"),
        ("force,population\nbedfordshire,0\n", ":2: population: must be more than 0"),
    ],
)  # fmt: skip
def test_a_bad_population_file_is_refused_by_line_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PopulationError) as caught:
        load_population(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def _recoverable(shown_cells: list[int | str], shown_total: int | str | None) -> bool:
    """Whether a reader could work out a hidden cell: the total shown and every other shown."""
    hidden = [i for i, v in enumerate(shown_cells) if not isinstance(v, int)]
    return isinstance(shown_total, int) and len(hidden) == 1


def test_a_force_of_3_and_the_figure_that_would_give_it_away_are_both_hidden() -> None:
    rows = [
        Counted("bedfordshire", value=3, baseline=9, period_months=3, baseline_months=3),
        Counted("hertfordshire", value=120, baseline=100, period_months=3, baseline_months=3),
    ]
    areas, total = combine(rows, published=True, population=shipped_population(), year=2025)
    beds, herts = areas
    assert beds.value == FEWER_THAN_5 and beds.suppressed
    assert beds.comparison is None and beds.rate is None  # either would give the 3 back
    assert total is not None
    # 123 = 3 + 120: with the total and Hertfordshire's shown, Bedfordshire's is 3.
    assert not _recoverable([beds.value, herts.value], total.value)  # type: ignore[list-item]
    assert not isinstance(herts.value, int) or not isinstance(total.value, int)
    if not isinstance(herts.value, int):
        assert herts.comparison is None and herts.rate is None
    if not isinstance(total.value, int):
        assert total.comparison is None and total.rate is None
    exact, exact_total = combine(rows, published=False)
    assert exact[0].value == 3 and exact_total is not None and exact_total.value == 123


@pytest.fixture
def three_and_twelve(tmp_path: Path) -> Engine:
    """Hertfordshire's records: 3 county lines closed in Bedfordshire and 12 at home, Nov 2025."""
    engine = make_engine(f"sqlite:///{tmp_path / 'records.sqlite'}")
    upgrade(engine)
    analyst = Principal("analyst", Role.ANALYST, "hertfordshire", frozenset({"herts-ocu"}), "cli")
    why = "Op Test: oversight roll-up suppression"
    operations_service.record_operation(
        engine, analyst, {"name": "Op Test", "starts_on": "2025-10-01"}, why
    )
    for n, force in enumerate(["bedfordshire"] * 3 + ["hertfordshire"] * 12):
        operations_service.record_result(
            engine, analyst, "line-closure",
            {"operation": "Op Test", "occurred_on": date(2025, 11, 1 + n).isoformat(),
             "force": force, "officer": "DC 1", "line_name": f"Line {n}",
             "number": f"07700 900{n:03d}", "closure_type": "type-2",
             "deactivated_on": date(2025, 11, 1 + n).isoformat()},
            why,
        )  # fmt: skip
    return engine


def test_in_a_roll_up_for_the_pcc_a_force_of_3_is_protected(
    three_and_twelve: Engine, sample_db: Path
) -> None:
    pcc = Principal("pcc", Role.PCC_VIEWER, "hertfordshire", frozenset(), "cli")
    report = rollup(sample_db, ["bedfordshire", "hertfordshire"], ("2025-10", "2025-12"),
                    engine=three_and_twelve, principal=pcc, measures=["county-lines-closed"])  # fmt: skip
    result = report.result("county-lines-closed")
    beds, herts = result.areas
    total = result.total
    assert total is not None and report.published
    assert beds.value == FEWER_THAN_5 and beds.rate is None and beds.comparison is None
    assert not _recoverable([beds.value, herts.value], total.value)  # type: ignore[list-item]
    # the analyst's working figures: the counts the PCC's table protects
    analyst = Principal("analyst", Role.ANALYST, "hertfordshire", frozenset({"herts-ocu"}), "cli")
    working = rollup(sample_db, ["bedfordshire", "hertfordshire"], ("2025-10", "2025-12"),
                     engine=three_and_twelve, principal=analyst, published=False,
                     measures=["county-lines-closed"]).result("county-lines-closed")  # fmt: skip
    assert [a.value for a in working.areas] == [3, 12] and working.total is not None
    assert working.total.value == 15
