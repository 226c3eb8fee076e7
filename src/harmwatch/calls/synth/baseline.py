"""The naive deal-line "detector" the issue's benchmark compares against: bulk texts alone.

Rule: an originator is a deal line when, in some window of ``window_minutes`` starting at
one of its texts, it texts at least ``recipients`` distinct numbers. Every number a flagged
originator ever texts is called its user. No roles beyond ``line`` and ``user``, no
cuckooed cells. It exists to be beaten: the scenario generator's drip and word-of-mouth
lines send no bulk texts, and its takeaways, schools, surgeries, courier and number
changers do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def naive_bulk_sms(
    events: pd.DataFrame, recipients: int = 15, window_minutes: int = 10
) -> dict[str, Any]:
    """The prediction document (``deal_lines``, ``roles``, ``cuckooed_cells``) of the rule above.

    ``events`` needs columns ``a_party``, ``b_party``, ``started_utc`` and ``event``
    (``sms`` rows are used), as :func:`.generator.generate` gives them.
    """
    sms = events.loc[events["event"] == "sms", ["a_party", "b_party", "started_utc"]]
    a_codes, a_names = pd.factorize(sms["a_party"], sort=True)
    b_codes, b_names = pd.factorize(sms["b_party"], sort=True)
    t = sms["started_utc"].to_numpy().astype("datetime64[s]").astype(np.int64)
    order = np.lexsort((t, a_codes))
    a, b, t = a_codes[order], b_codes[order], t[order]
    window = window_minutes * 60
    # End (exclusive) of each text's window within its sender's run of rows.
    run_key = a.astype(np.int64) * (1 << 40) + (t - t.min() if len(t) else t)
    end = np.searchsorted(run_key, run_key + window, side="left")
    # The next text from the same sender to the same recipient; a text counts as distinct
    # in a window when that next one falls outside it.
    pair = a.astype(np.int64) * (len(b_names) + 1) + b
    pos = np.arange(len(pair))
    by_pair = np.lexsort((pos, pair))
    nxt = np.full(len(pair), len(pair), dtype=np.int64)
    same = pair[by_pair][1:] == pair[by_pair][:-1]
    nxt[by_pair[:-1][same]] = by_pair[1:][same]
    flagged: set[int] = set()
    for i in np.flatnonzero(end - pos >= recipients):
        sender = int(a[i])
        if sender in flagged:
            continue
        j = int(end[i])
        if int(np.count_nonzero(nxt[i:j] >= j)) >= recipients:
            flagged.add(sender)
    lines = sorted(str(a_names[s]) for s in flagged)
    roles: dict[str, str] = {}
    hit = np.isin(a, np.fromiter(flagged, dtype=np.int64, count=len(flagged)))
    for r in np.unique(b[hit]):
        roles[str(b_names[r])] = "user"
    for line in lines:
        roles[line] = "line"
    return {"deal_lines": lines, "roles": dict(sorted(roles.items())), "cuckooed_cells": []}
