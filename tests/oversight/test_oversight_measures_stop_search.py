"""The stop-and-search find-rate measure: Bedfordshire's drug searches, against the raw files."""

from __future__ import annotations

from pathlib import Path

import pytest
from _oversight_police_data import beds_police_store, read_raw
from scipy.stats import binomtest

from harmwatch.oversight.measures import compute

PERIOD = ("2024-02", "2024-04")


@pytest.fixture(scope="module")
def store(police_uk: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return beds_police_store(police_uk, tmp_path_factory)


def test_find_rate_is_the_share_of_drug_searches_linked_to_their_object(
    store: Path, police_uk: Path
) -> None:
    got = compute(store, ["bedfordshire"], PERIOD, published=False,
                  measures=["stop-search-find-rate"])  # fmt: skip
    result = got.result("stop-search-find-rate")
    [area] = result.areas
    raw = read_raw(police_uk, "stop-and-search")
    raw = raw[raw.file_month.between(*PERIOD) & (raw["Object of search"] == "Controlled drugs")]
    finds = int((raw["Outcome linked to object of search"].str.lower() == "true").sum())
    assert (area.value, area.denominator) == (finds, len(raw))
    assert 0 < finds < len(raw)
    low, high = binomtest(finds, len(raw)).proportion_ci(method="exact")
    assert area.percent == pytest.approx(100 * finds / len(raw))
    assert (area.percent_low, area.percent_high) == pytest.approx((100 * low, 100 * high))


def test_find_rate_without_searches_loaded_says_so(sample_db: Path) -> None:
    got = compute(sample_db, ["hertfordshire"], ("2025-10", "2025-12"), published=False,
                  measures=["stop-search-find-rate"])  # fmt: skip
    [area] = got.result("stop-search-find-rate").areas
    assert not area.available and area.value is None
    assert "stop-and-search" in area.reason or "stop and search" in area.reason
