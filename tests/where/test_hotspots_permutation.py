"""``hotspots --permutations``: Gi* p-values by conditional permutation, and the FDR floor said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harmwatch.query.params import ParamError
from harmwatch.where.hotspots import PERMUTATION_SEED, hotspots, permutation_notes
from harmwatch.where.kernels.gistar_permutation import gistar_permutation
from harmwatch.where.requests import HotspotsRequest


def test_permutation_p_values_replace_the_normal_ones(herts_db: Path) -> None:
    request = HotspotsRequest(forces=("hertfordshire",), cell=1000.0, permutations=999)
    result = hotspots(herts_db, request)
    normal = hotspots(herts_db, request.replace(permutations=0))
    assert (result.cells["gistar"] == normal.cells["gistar"]).all()  # the z is the same
    counts = result.grid.counts(
        result.points.x[result.inside], result.points.y[result.inside]
    ).astype(float)
    perm = gistar_permutation(counts, result.mask, 1000.0, permutations=999, seed=PERMUTATION_SEED)
    np.testing.assert_array_equal(result.cells["pvalue"].to_numpy(), perm.p_two_sided)
    assert result.cells["pvalue"].min() >= 2 / 1000
    assert any("conditional permutation: 999 draws" in d for d in result.defaults_chosen)
    # ~1,700 cells of 1 km: FDR can call cells only if ≥ 2m/(α·1000) ≈ 68 reach the floor.
    assert any("no p-value can be below 0.002" in w for w in result.warnings)
    assert result.summary()["hot_cells"] <= normal.summary()["hot_cells"]


def test_the_floor_is_said_plainly() -> None:
    p = np.r_[np.full(10, 2 / 1000), np.full(990, 0.5)]
    (fdr,) = permutation_notes(p, 999, "fdr", 0.05)
    # BH over 1,000 cells at 0.05 needs 2·1000/(0.05·1000) = 40 cells at the floor; 10 are.
    assert "at least 40 cells reach that floor; 10 do" in fdr and "no cell can be" in fdr
    assert "39,999 permutations" in fdr
    (holm,) = permutation_notes(p, 999, "holm", 0.05)
    assert "Holm" in holm and "whatever the data" in holm
    assert permutation_notes(p, 39_999, "fdr", 0.05) == []
    assert permutation_notes(p, 999, "none", 0.05) == []
    many = np.r_[np.full(50, 2 / 1000), np.full(950, 0.5)]
    (enough,) = permutation_notes(many, 999, "fdr", 0.05)
    assert "only because 50 of them reach that floor" in enough


def test_permutations_only_for_gistar() -> None:
    with pytest.raises(ParamError, match="permutations gives Gi\\* p-values"):
        HotspotsRequest(method="kde", permutations=99)
    with pytest.raises(ParamError, match="permutations must lie between 0 and"):
        HotspotsRequest(permutations=-1)
