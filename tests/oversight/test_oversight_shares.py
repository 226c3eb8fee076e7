"""The exact (Clopper–Pearson) share against scipy's binomial test, computed apart."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from harmwatch.oversight.shares import share


def _scipy(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


@pytest.mark.parametrize(
    ("k", "n"),
    [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (2566, 11810), (1, 3), (0, 2000), (2000, 2000)],
)
def test_interval_is_scipys_exact_interval(k: int, n: int) -> None:
    got = share(k, n)
    low, high = _scipy(k, n)
    assert got.value == pytest.approx(k / n)
    assert got.low == pytest.approx(low, abs=1e-12)
    assert got.high == pytest.approx(high, abs=1e-12)


def test_random_counts_and_levels_agree_with_scipy() -> None:
    rng = np.random.default_rng(20261202)
    for _ in range(200):
        n = int(rng.integers(1, 5000))
        k = int(rng.integers(0, n + 1))
        level = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
        got = share(k, n, level)
        low, high = _scipy(k, n, level)
        assert (got.low, got.high) == (
            pytest.approx(low, abs=1e-10),
            pytest.approx(high, abs=1e-10),
        )


def test_no_total_gives_no_share_and_bad_counts_are_refused() -> None:
    empty = share(0, 0)
    assert (empty.value, empty.low, empty.high) == (None, None, None)
    assert empty.text() == "—"
    for k, n in ((5, 4), (-1, 3), (1.5, 3)):
        with pytest.raises(ValueError):
            share(k, n)  # type: ignore[arg-type]


def test_fields_and_text_name_the_figure() -> None:
    s = share(1, 4)
    assert s.fields("find_rate") == {
        "find_rate": 0.25, "find_rate_low": s.low, "find_rate_high": s.high,
    }  # fmt: skip
    assert s.text().startswith("25.0 % (")
