"""Stop and search on Bedfordshire's 36 months, against pandas over the raw files.

The expected figures are computed here from the ``.csv.gz`` files with pandas (no
harmwatch ingest, no SQL): every count of every group of every breakdown, and
every find and arrest rate with scipy's exact interval. The self-defined grouping
is written out here category by category, not by the module's prefix rule.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _oversight_police_data import MONTHS, beds_police_store, read_raw
from scipy.stats import binomtest
from statsmodels.stats import rates as statsmodels_rates

from harmwatch.oversight.police_scope import ScopeError
from harmwatch.oversight.residents import load_residents
from harmwatch.oversight.stop_search import (
    NO_POPULATION,
    StopSearchError,
    census_group,
    stop_search,
)
from harmwatch.timeline.months import month_range

NFA = "A no further action disposal"
CENSUS_2021 = {
    "White - English/Welsh/Scottish/Northern Irish/British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Any other White background": "White",
    "Asian/Asian British - Indian": "Asian",
    "Asian/Asian British - Pakistani": "Asian",
    "Asian/Asian British - Bangladeshi": "Asian",
    "Asian/Asian British - Chinese": "Asian",
    "Asian/Asian British - Any other Asian background": "Asian",
    "Black/African/Caribbean/Black British - African": "Black",
    "Black/African/Caribbean/Black British - Caribbean": "Black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": "Black",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "Mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "Mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "Mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "Mixed",
    "Other ethnic group - Arab": "Other",
    "Other ethnic group - Any other ethnic group": "Other",
    "Other ethnic group - Not stated": "not stated",
    "": "not stated",
}
COLUMNS = {
    "object_of_search": "Object of search",
    "legislation": "Legislation",
    "age_range": "Age range",
    "sex": "Gender",
    "self_defined_ethnicity": "Self-defined ethnicity",
    "officer_defined_ethnicity": "Officer-defined ethnicity",
}
# A MADE-UP test fixture, not real population figures: round numbers chosen for the test.
FIXTURE_SOURCE = "MADE-UP TEST FIXTURE: not real population figures"
FIXTURE = {"White": 480_000, "Asian": 120_000, "Black": 45_000, "Mixed": 20_000, "Other": 9_000}


@pytest.fixture(scope="module")
def db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return beds_police_store(police_uk, tmp_path_factory)


@pytest.fixture(scope="module")
def raw(police_uk: Path) -> pd.DataFrame:
    frame = read_raw(police_uk, "stop-and-search")
    link = frame["Outcome linked to object of search"]
    outcome = frame["Outcome"]
    frame["finds"] = link == "True"
    frame["link_blank"] = link == ""
    frame["other_outcome"] = (outcome != "") & (outcome != NFA)
    frame["other_outcome_finds"] = frame["other_outcome"] & frame["finds"]
    frame["arrests"] = outcome == "Arrest"
    frame["drugs"] = frame["Object of search"] == "Controlled drugs"
    frame["self_defined_group"] = frame["Self-defined ethnicity"].map(CENSUS_2021)
    assert frame["self_defined_group"].notna().all()
    return frame


@pytest.fixture(scope="module")
def residents_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("residents") / "made-up-residents.csv"
    lines = ["force,ethnic_group,residents,source,year"]
    lines += [f"bedfordshire,{g},{n},{FIXTURE_SOURCE},2021" for g, n in FIXTURE.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _expected(frame: pd.DataFrame) -> dict[str, int]:
    return {
        "searches": len(frame),
        **{c: int(frame[c].sum()) for c in ("finds", "link_blank", "arrests")},
        "other_outcome_searches": int(frame["other_outcome"].sum()),
        "other_outcome_finds": int(frame["other_outcome_finds"].sum()),
    }


def _check_rates(got: dict[str, Any], counts: dict[str, int]) -> None:
    for rate, (k, n) in {
        "find_rate": ("finds", "searches"),
        "arrest_rate": ("arrests", "searches"),
        "find_rate_other_outcomes": ("other_outcome_finds", "other_outcome_searches"),
    }.items():
        if counts[n] == 0:
            assert got[rate] is None
            continue
        ci = binomtest(counts[k], counts[n]).proportion_ci(method="exact")
        assert got[rate] == pytest.approx(counts[k] / counts[n], rel=1e-12)
        assert got[f"{rate}_low"] == pytest.approx(ci.low, abs=1e-10)
        assert got[f"{rate}_high"] == pytest.approx(ci.high, abs=1e-10)


def test_counts_and_rates_equal_pandas_over_the_raw_files(db: Path, raw: pd.DataFrame) -> None:
    result = stop_search(db, ["bedfordshire"])
    assert list(result.months) == MONTHS and result.period == "36 months: May 2021–Apr 2024"
    payload = result.to_dict()
    for slice_key, frame in (("all_searches", raw), ("drug_searches", raw[raw["drugs"]])):
        got = payload[slice_key]
        want = _expected(frame)
        assert {k: got["overall"][k] for k in want} == want
        assert all(isinstance(got["overall"][k], int) for k in want)
        _check_rates(got["overall"], want)
        for key, column in COLUMNS.items():
            if key == "self_defined_ethnicity":
                values = frame["self_defined_group"]
            else:
                values = frame[column].where(frame[column] != "", "not recorded")
            expected_groups = {name: _expected(part) for name, part in frame.groupby(values)}
            groups = {g["group"]: g for g in got["breakdowns"][key]["groups"]}
            assert set(groups) == set(expected_groups), key
            for name, want_group in expected_groups.items():
                assert {k: groups[name][k] for k in want_group} == want_group, (key, name)
                _check_rates(groups[name], want_group)
    assert payload["all_searches"]["overall"]["searches"] == 11810
    assert payload["drug_searches"]["overall"]["searches"] == int(raw["drugs"].sum())


def test_the_link_column_is_blank_only_on_no_further_action(raw: pd.DataFrame) -> None:
    # What the module's docstring says of the shared files, checked on them.
    blank = raw[raw["link_blank"]]
    assert set(blank["Outcome"]) == {NFA} and len(blank) == 8279
    nfa = raw[raw["Outcome"] == NFA]
    assert len(nfa) == 8918
    assert nfa["Outcome linked to object of search"].value_counts().to_dict() == {
        "": 8279, "False": 364, "True": 275,
    }  # fmt: skip
    assert set(raw["Outcome linked to object of search"]) == {"", "True", "False"}
    assert raw.loc[raw["Outcome"] == "", "Outcome linked to object of search"].tolist() == ["False"]


def test_census_grouping_covers_every_recorded_value_and_refuses_unknown_ones(
    raw: pd.DataFrame,
) -> None:
    for value, group in CENSUS_2021.items():
        assert census_group(value) == group
    assert census_group(None) == "not stated"
    for value in raw["Self-defined ethnicity"].unique():
        assert census_group(value) == CENSUS_2021[value]
    with pytest.raises(StopSearchError, match="'Martian - Green'"):
        census_group("Martian - Green")


def test_months_are_a_choice_and_unloaded_months_or_forces_are_refused(
    db: Path, raw: pd.DataFrame
) -> None:
    months = ["2022-01", "2022-02", "2022-06"]
    result = stop_search(db, ["Bedfordshire Police"], months)
    assert result.forces == ("bedfordshire",)
    assert result.period == "3 months in 2 runs: Jan 2022–Feb 2022 and Jun 2022"
    want = int(raw["file_month"].isin(months).sum())
    assert result.all_searches.overall.searches == want
    with pytest.raises(ScopeError, match="Bedfordshire Police lacks 2024-05…2024-06"):
        stop_search(db, ["bedfordshire"], month_range("2024-03", "2024-06"))
    with pytest.raises(ScopeError, match="no stop-and-search months are loaded for Kent Police"):
        stop_search(db, ["kent"])


def test_without_a_population_table_disproportionality_is_not_computed(db: Path) -> None:
    result = stop_search(db, ["bedfordshire"])
    for slice_ in result.slices:
        assert slice_.disproportionality.status == NO_POPULATION
        assert not slice_.disproportionality.computed
    payload = result.to_dict()
    assert payload["all_searches"]["disproportionality"]["status"] == (
        "not computed: no population table given"
    )


def test_disproportionality_against_an_independent_computation(
    db: Path, raw: pd.DataFrame, residents_file: Path
) -> None:
    table = load_residents(residents_file)
    result = stop_search(db, ["bedfordshire"], residents=table)
    payload = result.to_dict()
    for slice_key, frame in (("all_searches", raw), ("drug_searches", raw[raw["drugs"]])):
        d = payload[slice_key]["disproportionality"]
        assert d["computed"] and d["source"] == FIXTURE_SOURCE and d["year"] == 2021
        assert len(d["caveats"]) == 4
        searched = frame["self_defined_group"].value_counts().to_dict()
        (force,) = d["forces"]
        assert force["not_stated"] == searched["not stated"]
        white = searched["White"]
        rows = {g["group"]: g for g in force["groups"]}
        assert set(rows) == set(FIXTURE)
        assert rows["White"]["rate_ratio"] is None
        for group in ("Asian", "Black", "Mixed", "Other"):
            a, residents = searched[group], FIXTURE[group]
            row = rows[group]
            assert row["searches"] == a and row["residents"] == residents
            assert row["searches_per_1000"] == pytest.approx(1000 * a / residents, rel=1e-12)
            # Conditional on a + w, a is binomial with p = rR/(rR + W): scipy's exact
            # interval for p, carried onto the rate ratio r.
            ci = binomtest(a, a + white).proportion_ci(method="exact")
            scale = FIXTURE["White"] / residents
            assert row["rate_ratio"] == pytest.approx(
                (a / residents) / (white / FIXTURE["White"]), rel=1e-12
            )
            assert row["rate_ratio_low"] == pytest.approx(ci.low / (1 - ci.low) * scale, rel=1e-9)
            assert row["rate_ratio_high"] == pytest.approx(
                ci.high / (1 - ci.high) * scale, rel=1e-9
            )
            p = statsmodels_rates.test_poisson_2indep(
                a, residents, white, FIXTURE["White"], method="exact-cond", compare="ratio"
            ).pvalue
            assert row["p_value"] == pytest.approx(p, rel=1e-9)
    assert any(FIXTURE_SOURCE in note for note in payload["notes"])


def _feasible(shown: list[int | str], total: int, index: int) -> set[int]:
    """Values the hidden figure at ``index`` can take, given the list, its labels and total."""
    known = sum(v for v in shown if isinstance(v, int))
    rest = total - known
    others = [v for i, v in enumerate(shown) if i != index and not isinstance(v, int)]
    if any(o == "not shown" for o in others):
        return set(range(1, 5)) | {5, 6}  # unbounded company: nothing pins it
    low = sum(1 if o == "fewer than 5" else 5 for o in others)
    high = math.inf if "withheld" in others else sum(4 for _ in others)
    own = range(1, 5) if shown[index] == "fewer than 5" else range(5, total + 1)
    return {v for v in own if low <= rest - v <= high}


def _assert_protected(groups: list[dict[str, Any]], total: int | str, figure: str) -> None:
    if not isinstance(total, int):
        return
    shown = [g[figure] for g in groups]
    for i, value in enumerate(shown):
        if value in ("fewer than 5", "withheld"):
            assert len(_feasible(shown, total, i)) >= 2, (figure, groups[i]["group"], shown)


def test_a_group_of_three_searches_is_not_shown_nor_derivable(
    db: Path, residents_file: Path
) -> None:
    result = stop_search(db, ["bedfordshire"], residents=load_residents(residents_file))
    full, view = result.to_dict(), result.suppressed()
    assert view["suppressed"] and not full["suppressed"]
    ages = {g["group"]: g for g in full["all_searches"]["breakdowns"]["age_range"]["groups"]}
    assert ages["under 10"]["searches"] == 3
    shown = view["all_searches"]["breakdowns"]["age_range"]["groups"]
    under_10 = next(g for g in shown if g["group"] == "under 10")
    assert under_10["searches"] == "fewer than 5"
    assert under_10["find_rate"] is None and under_10["arrest_rate"] is None
    total = view["all_searches"]["overall"]["searches"]
    assert total == 11810  # the headline is published as it is
    assert 3 not in [total - sum(g["searches"] for g in shown if isinstance(g["searches"], int))]
    assert len(_feasible([g["searches"] for g in shown], total, shown.index(under_10))) >= 2
    # Every list of the view, in both slices: no hidden figure is pinned by its total.
    for slice_key in ("all_searches", "drug_searches"):
        overall = view[slice_key]["overall"]
        for breakdown in view[slice_key]["breakdowns"].values():
            for figure in ("searches", "finds", "link_blank", "arrests"):
                _assert_protected(breakdown["groups"], overall[figure], figure)


def test_the_suppressed_view_shows_no_count_from_one_to_four(db: Path) -> None:
    # One month: many small groups. No number from 1 to 4 is shown anywhere, and no rate
    # is shown whose count or total is hidden.
    result = stop_search(db, ["bedfordshire"], ["2021-05"])
    view = result.suppressed()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("searches", "finds", "link_blank", "arrests", "other_outcome_searches",
                           "other_outcome_finds", "not_stated"):  # fmt: skip
                    assert not (isinstance(value, int) and 1 <= value <= 4), (key, node)
                walk(value)
            for rate, parts in (("find_rate", ("finds", "searches")),
                                ("arrest_rate", ("arrests", "searches"))):  # fmt: skip
                if rate in node and node[rate] is not None:
                    assert all(isinstance(node[p], int) for p in parts), node
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view["all_searches"])
    walk(view["drug_searches"])
    for slice_key in ("all_searches", "drug_searches"):
        overall = view[slice_key]["overall"]
        for breakdown in view[slice_key]["breakdowns"].values():
            for figure in ("searches", "finds", "link_blank", "arrests"):
                _assert_protected(breakdown["groups"], overall[figure], figure)


def test_drug_searches_taken_from_all_searches_leave_no_small_count(db: Path) -> None:
    for months in (None, ["2021-05"], ["2023-12", "2024-01"]):
        view = stop_search(db, ["bedfordshire"], months).suppressed()
        every = view["all_searches"]["breakdowns"]
        drugs = view["drug_searches"]["breakdowns"]
        for key, breakdown in drugs.items():
            whole = {g["group"]: g for g in every[key]["groups"]}
            for g, figure in itertools.product(
                breakdown["groups"], ("searches", "finds", "link_blank", "arrests")
            ):
                a, b = whole[g["group"]][figure], g[figure]
                if isinstance(a, int) and isinstance(b, int):
                    assert not 1 <= a - b <= 4, (months, key, g["group"], figure, a, b)


@pytest.fixture(scope="module")
def two_forces(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bedfordshire's and Northumbria's stop-and-search files (Northumbria lacks 2022-01)."""
    from harmwatch.sources.policeuk.ingest import ingest

    files = sorted(police_uk.glob("*/*-bedfordshire-stop-and-search.csv.gz"))
    files += sorted(police_uk.glob("*/*-northumbria-stop-and-search.csv.gz"))
    db = tmp_path_factory.mktemp("two-forces") / "searches.duckdb"
    ingest(files, db)
    return db


def _northumbria(police_uk: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(police_uk.glob("*/*-northumbria-stop-and-search.csv.gz")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["file_month"] = path.name[:7]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_northumbria_writes_true_or_blank_never_false(police_uk: Path) -> None:
    north = _northumbria(police_uk)
    assert len(north) == 12861
    link = north["Outcome linked to object of search"]
    assert set(link) == {"True", ""}
    assert int(((link == "") & (north["Outcome"] == NFA)).sum()) == 3466
    assert int(((link == "") & (north["Outcome"] == "Arrest")).sum()) == 560


def test_two_forces_count_the_months_both_have_and_protect_force_by_group(
    two_forces: Path, raw: pd.DataFrame, police_uk: Path, tmp_path: Path
) -> None:
    north = _northumbria(police_uk)
    north["self_defined_group"] = north["Self-defined ethnicity"].map(CENSUS_2021)
    path = tmp_path / "made-up-residents.csv"
    rows = ["force,ethnic_group,residents,source,year"]
    for force, scale in (("bedfordshire", 1), ("Northumbria Police", 3)):
        rows += [f"{force},{g},{n * scale},{FIXTURE_SOURCE},2021" for g, n in FIXTURE.items()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = stop_search(two_forces, residents=load_residents(path))
    both = sorted(set(raw["file_month"]) & set(north["file_month"]))
    assert list(result.months) == both and "2022-01" not in both
    assert result.period == "21 months in 2 runs: May 2021–Dec 2021 and Feb 2022–Feb 2023"
    assert result.forces == ("bedfordshire", "northumbria")
    assert any("Bedfordshire Police's stop-and-search months" in n and "2022-01" in n
               for n in result.notes)  # fmt: skip
    beds, nor = raw[raw["file_month"].isin(both)], north[north["file_month"].isin(both)]
    payload = result.to_dict()
    assert payload["all_searches"]["overall"]["searches"] == len(beds) + len(nor)
    by_force = {g["group"]: g for g in payload["all_searches"]["breakdowns"]["force"]["groups"]}
    assert by_force["Bedfordshire Police"]["searches"] == len(beds)
    assert by_force["Northumbria Police"]["finds"] == int(
        (nor["Outcome linked to object of search"] == "True").sum()
    )
    forces = {f["force"]: f for f in payload["all_searches"]["disproportionality"]["forces"]}
    for slug, frame, scale in (("bedfordshire", beds, 1), ("northumbria", nor, 3)):
        searched = frame["self_defined_group"].value_counts().to_dict()
        black = next(g for g in forces[slug]["groups"] if g["group"] == "Black")
        want = (searched["Black"] / (FIXTURE["Black"] * scale)) / (
            searched["White"] / (FIXTURE["White"] * scale)
        )
        assert black["searches"] == searched["Black"]
        assert black["rate_ratio"] == pytest.approx(want, rel=1e-12)
    view = result.suppressed()
    for slice_key in ("all_searches", "drug_searches"):
        d = view[slice_key]["disproportionality"]
        for force in d["forces"]:
            for g in force["groups"]:
                assert not (isinstance(g["searches"], int) and 1 <= g["searches"] <= 4)
                if g["rate_ratio"] is not None:
                    assert isinstance(g["searches"], int)
        # force × group cells against each force's shown total
        totals = {
            g["group"]: g["searches"] for g in view[slice_key]["breakdowns"]["force"]["groups"]
        }
        for force in d["forces"]:
            cells = [g["searches"] for g in force["groups"]] + [force["not_stated"]]
            if all(isinstance(c, int) for c in cells):
                continue
            listed = [{"group": str(i), "searches": c} for i, c in enumerate(cells)]
            _assert_protected(listed, totals[force["force_name"]], "searches")
