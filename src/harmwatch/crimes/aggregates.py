"""What a viewer of aggregates is shown of a force's records: counts through the one rule.

The store already gives them no point finer than its 250 m cell (:mod:`.source`); a
cell's count of one to four can still point at a person, so every table of cell counts
they receive — on a page, in a download, on the command line — goes through the
project's one small-number rule (:mod:`harmwatch.outputs.suppression`).
"""

from __future__ import annotations

import pandas as pd

from harmwatch.outputs.suppression import suppress_counts

from .service import active_grant


def aggregates_only() -> bool:
    """Whether the reading in progress is of force records, for a viewer of aggregates."""
    grant = active_grant()
    return grant is not None and not grant.exact


def suppressed_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells with their counts through the one rule: 1 to 4 as "fewer than 5", and the
    complements it withholds; the total (the run's summary's) is published as it is."""
    shown = cells.copy()
    if len(shown):
        table = suppress_counts(cells["n"].to_numpy(), total=True, total_fixed=True)
        shown["n"] = pd.Series(table.shown_column(), index=cells.index, dtype=object)
    return shown
