"""The Gi* cell table (issue 18): computed for the study cells alone, it must be the table
the full grids give, cell for cell, whichever correction and band are asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harmwatch.where.hotspots import hotspots
from harmwatch.where.kernels.gistar import gistar
from harmwatch.where.kernels.multiple_testing import adjust_pvalues
from harmwatch.where.requests import HotspotsRequest


@pytest.mark.parametrize(
    ("p_adjust", "band"), [("fdr", None), ("holm", None), ("none", 600.0), ("fdr", 750.0)]
)
def test_table_is_the_full_grids_at_the_study_cells(
    sample_db: Path, p_adjust: str, band: float | None
) -> None:
    request = HotspotsRequest(
        forces=("bedfordshire",), cell=250.0, p_adjust=p_adjust, distance_band=band
    )
    result = hotspots(sample_db, request)
    cells, grid, mask = result.cells, result.grid, result.mask
    assert list(cells.columns) == [
        "cell_id", "x", "y", "n", "kde", "gistar", "pvalue", "pvalue_adj", "class",
    ]  # fmt: skip
    assert [str(t) for t in cells.dtypes] == [
        "int64", "float64", "float64", "int64", "float64", "float64", "float64", "float64", "str",
    ]  # fmt: skip

    flat = mask.ravel()
    cx, cy = grid.centres()
    np.testing.assert_array_equal(cells["cell_id"], np.flatnonzero(flat))
    np.testing.assert_array_equal(cells["x"], cx[flat])
    np.testing.assert_array_equal(cells["y"], cy[flat])
    inside = result.inside
    assert inside is not None
    counts = grid.counts(result.points.x[inside], result.points.y[inside])
    np.testing.assert_array_equal(cells["n"], counts.ravel()[flat])

    z, p = gistar(counts.astype(float), mask, grid.cell, band or grid.cell * np.sqrt(2))
    p_adj = adjust_pvalues(p, p_adjust)  # over the whole grid, NaN outside the study area
    np.testing.assert_array_equal(cells["gistar"], z.ravel()[flat])
    np.testing.assert_array_equal(cells["pvalue"], p.ravel()[flat])
    np.testing.assert_array_equal(cells["pvalue_adj"], p_adj.ravel()[flat])
    significant = p_adj.ravel()[flat] < request.alpha
    zf = z.ravel()[flat]
    expected = np.where(
        significant & (zf > 0),
        "hot spot",
        np.where(significant & (zf < 0), "cold spot", "not significant"),
    )
    pd.testing.assert_series_equal(cells["class"], pd.Series(expected, name="class"))
    assert (cells["class"] == "hot spot").sum() > 0  # the sample has hotspots to classify
