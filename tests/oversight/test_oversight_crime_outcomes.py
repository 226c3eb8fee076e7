"""What happened to Bedfordshire's drug crimes, against pandas over the raw files.

The expected figures come from the ``.csv.gz`` files with pandas alone: the
outcomes files' latest row per Crime ID (latest month, then the last row of that
month's file), joined to the street crimes, the street file's last outcome where
none joins; shares with scipy's exact interval; times to outcome with pandas'
quantiles over one value per crime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _oversight_police_data import MONTHS, beds_police_store, read_raw
from scipy.stats import binomtest

from harmwatch.errors import InputError
from harmwatch.oversight.crime_outcomes import (
    GROUPS,
    NOT_KNOWN,
    OUTCOME_GROUPS,
    OutcomeCategoryError,
    crime_outcomes,
    outcome_group,
    weighted_quantile,
)


@pytest.fixture(scope="module")
def db(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return beds_police_store(police_uk, tmp_path_factory)


def _month_number(text: pd.Series) -> pd.Series:
    return text.str[:4].astype(int) * 12 + text.str[5:7].astype(int)


def _expected(police_uk: Path, crime_type: str) -> tuple[pd.DataFrame, int]:
    street = read_raw(police_uk, "street")
    street = street[street["Crime type"] == crime_type]
    without_id = int((street["Crime ID"] == "").sum())
    crimes = street[street["Crime ID"] != ""].copy()
    outcomes = read_raw(police_uk, "outcomes")
    latest = (
        outcomes.sort_values(["Month", "row"], kind="stable")
        .groupby("Crime ID", sort=False)
        .tail(1)[["Crime ID", "Outcome type", "Month"]]
        .rename(columns={"Month": "outcome_month"})
    )
    joined = crimes.merge(latest, on="Crime ID", how="left", validate="many_to_one")
    joined["from_outcomes"] = joined["Outcome type"].notna()
    joined["category"] = joined["Outcome type"].where(
        joined["from_outcomes"], joined["Last outcome category"]
    )
    joined["group"] = [NOT_KNOWN if c == "" else OUTCOME_GROUPS[c] for c in joined["category"]]
    lag = _month_number(joined["outcome_month"].fillna("0000-00")) - _month_number(joined["Month"])
    joined["lag"] = lag.where(joined["from_outcomes"])
    assert len(joined) == len(crimes)
    return joined, without_id


def _check_share(got: dict[str, Any], k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(method="exact")
    assert got["share"] == pytest.approx(k / n, rel=1e-12)
    assert got["share_low"] == pytest.approx(ci.low, abs=1e-10)
    assert got["share_high"] == pytest.approx(ci.high, abs=1e-10)


def _check_time(got: dict[str, Any], lags: pd.Series) -> None:
    lags = lags.dropna()
    lags = lags[lags >= 0]
    assert got["crimes_with_time"] == len(lags)
    if len(lags) == 0:
        assert got["median_months"] is None
        return
    for key, q in (("q1_months", 0.25), ("median_months", 0.5), ("q3_months", 0.75)):
        assert got[key] == pytest.approx(float(lags.quantile(q)), abs=1e-12), key


@pytest.mark.parametrize("crime_type", ["Drugs", "Burglary"])
def test_shares_and_times_equal_pandas_over_the_raw_files(
    db: Path, police_uk: Path, crime_type: str
) -> None:
    joined, without_id = _expected(police_uk, crime_type)
    result = crime_outcomes(db, ["bedfordshire"], crime_type=crime_type)
    payload = result.to_dict()
    assert payload["months"] == MONTHS and payload["crime_type"] == crime_type
    n = len(joined)
    assert payload["crimes"] == n and isinstance(payload["crimes"], int)
    assert payload["without_crime_id"] == without_id
    assert payload["from_outcomes"] == int(joined["from_outcomes"].sum())
    assert payload["from_street"] == int((~joined["from_outcomes"]).sum())
    assert payload["outcome_before_crime"] == int((joined["lag"] < 0).sum())
    assert payload["categories_found"] == {
        ("(blank)" if c == "" else c): int(v) for c, v in joined["category"].value_counts().items()
    }
    groups = {g["group"]: g for g in payload["groups"]}
    assert list(groups) == list(GROUPS)
    for name in GROUPS:
        part = joined[joined["group"] == name]
        assert groups[name]["crimes"] == len(part), name
        _check_share(groups[name], len(part), n)
        _check_time(groups[name]["time_to_outcome"], part["lag"])
    _check_time(payload["time_to_outcome"], joined["lag"])
    months = {m["month"]: m for m in payload["by_month"]}
    assert list(months) == MONTHS
    for month, crimes_in_month in joined.groupby("Month"):
        got = months[str(month)]
        assert got["crimes"] == len(crimes_in_month)
        cells = {g["group"]: g for g in got["groups"]}
        for name in GROUPS:
            k = int((crimes_in_month["group"] == name).sum())
            assert cells[name]["crimes"] == k
            _check_share(cells[name], k, len(crimes_in_month))


def test_drug_crimes_all_have_a_crime_id_and_most_outcomes_come_from_the_outcomes_files(
    db: Path,
) -> None:
    result = crime_outcomes(db, ["bedfordshire"])
    assert result.crime_type == "Drugs" and result.without_crime_id == 0
    assert result.crimes == 5195
    assert result.from_outcomes + result.from_street == result.crimes
    assert result.from_outcomes > result.from_street > 0
    assert any("Drugs crimes" not in n and "latest the loaded outcomes" in n for n in result.notes)
    assert any("proactive" in c for c in result.caveats)


def test_anti_social_behaviour_has_no_crime_ids_and_says_so(db: Path, police_uk: Path) -> None:
    result = crime_outcomes(db, ["bedfordshire"], ["2022-03"], "Anti-social behaviour")
    street = read_raw(police_uk, "street")
    asb = street[(street["Crime type"] == "Anti-social behaviour") & (street["Month"] == "2022-03")]
    assert result.without_crime_id == len(asb) > 0 and result.crimes == 0
    assert all(g.share.value is None for g in result.groups)
    assert any("have no Crime ID" in n for n in result.notes)


def test_every_category_in_the_shared_files_is_mapped(police_uk: Path) -> None:
    found: set[str] = set()
    for path in sorted(police_uk.glob("*/*-street.csv.gz")):
        found |= set(pd.read_csv(path, usecols=["Last outcome category"], dtype=str,
                                 keep_default_na=False)["Last outcome category"])  # fmt: skip
    for path in sorted(police_uk.glob("*/*-outcomes.csv.gz")):
        found |= set(pd.read_csv(path, usecols=["Outcome type"], dtype=str,
                                 keep_default_na=False)["Outcome type"])  # fmt: skip
    found.discard("")
    assert len(found) >= 28
    unmapped = sorted(found - set(OUTCOME_GROUPS))
    assert not unmapped
    for category in found:
        assert outcome_group(category) in GROUPS
    assert set(OUTCOME_GROUPS.values()) == set(GROUPS)


def test_an_unknown_category_is_refused_naming_it() -> None:
    with pytest.raises(OutcomeCategoryError, match="'Offender abducted by aliens'"):
        outcome_group("Offender abducted by aliens", "street: last_outcome_category")
    assert outcome_group(None) == NOT_KNOWN and outcome_group("  ") == NOT_KNOWN
    assert outcome_group("Local resolution") == "community resolution"


def test_an_unknown_crime_type_is_refused(db: Path) -> None:
    with pytest.raises(InputError, match="'Drugz' is not among Bedfordshire Police's street"):
        crime_outcomes(db, ["bedfordshire"], crime_type="Drugz")


def test_weighted_quantile_is_pandas_quantile() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(50):
        values = rng.integers(-2, 30, size=int(rng.integers(1, 60)))
        pairs = list(pd.Series(values).value_counts().items())
        for q in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0):
            got = weighted_quantile([(int(v), int(n)) for v, n in pairs], q)
            assert got == pytest.approx(float(pd.Series(values).quantile(q)), abs=1e-12)
    assert weighted_quantile([], 0.5) is None


def _pinned(cells: list[int | str], total: int | str) -> list[int]:
    """Indices of hidden cells whose value the shown cells and the total fix to one number."""
    if not isinstance(total, int):
        return []
    hidden = [i for i, c in enumerate(cells) if not isinstance(c, int)]
    rest = total - sum(c for c in cells if isinstance(c, int))
    out = []
    for i in hidden:
        others = [cells[j] for j in hidden if j != i]
        low = sum(1 if o == "fewer than 5" else 5 for o in others)
        high = float("inf") if "withheld" in others else 4 * len(others)
        own = range(1, 5) if cells[i] == "fewer than 5" else range(5, total + 1)
        if len([v for v in own if low <= rest - v <= high]) < 2:
            out.append(i)
    return out


def test_the_suppressed_view_hides_small_counts_and_what_gives_them_away(db: Path) -> None:
    result = crime_outcomes(db, ["bedfordshire"])
    full, view = result.to_dict(), result.suppressed()
    small = [g for g in full["groups"] if 1 <= g["crimes"] <= 4]
    assert small  # other out-of-court disposals: 2
    shown = {g["group"]: g for g in view["groups"]}
    for g in small:
        assert shown[g["group"]]["crimes"] == "fewer than 5"
        assert shown[g["group"]]["share"] is None
        assert shown[g["group"]]["time_to_outcome"]["median_months"] is None
    assert _pinned([g["crimes"] for g in view["groups"]], view["crimes"]) == []
    pooled = view["by_month"][0]["pooled"]["groups"]
    assert "other out-of-court disposal" in pooled and "charged" not in pooled
    for month in view["by_month"]:
        cells = [g["crimes"] for g in month["groups"] if g["group"] not in pooled]
        cells.append(month["pooled"]["crimes"])
        assert not any(isinstance(c, int) and 1 <= c <= 4 for c in cells)
        assert all(g["crimes"] == "not shown" for g in month["groups"] if g["group"] in pooled)
        assert _pinned(cells, month["crimes"]) == []
        for g in [*month["groups"], month["pooled"]]:
            if g["share"] is not None:
                assert isinstance(g["crimes"], int) and isinstance(month["crimes"], int)
    for name in GROUPS:
        if name in pooled:
            continue
        row = [
            next(x["crimes"] for x in m["groups"] if x["group"] == name) for m in view["by_month"]
        ]
        assert _pinned(row, shown[name]["crimes"]) == [], name
    assert not any(1 <= g["crimes"] <= 4 for g in view["groups"] if isinstance(g["crimes"], int))
    assert view["categories_found"] is None  # a category's count is a small count too
