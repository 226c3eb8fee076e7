"""The priority queue: live cases first, decisive convictions next, no sample left flagged."""

from __future__ import annotations

from datetime import date

import pytest
from incidentworld import LEAD, WHY, Clock, Sample, case, labs, pcc, reviewer
from sqlalchemy import Engine

from harmwatch.forensics import incidents, priority
from harmwatch.kernel.policy import PolicyDenied

BZE = "benzoylecgonine"


def test_the_queue_orders_cases_and_says_why(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)  # Monday 2 June 2025
    lab = labs(records_engine)

    def s(value: str, u: str, left: str | None = "2.0") -> Sample:
        return Sample(lab.provider_id, results=((BZE, value, "ug/L", u),), left=left)

    f = LEAD
    case(records_engine, f, "CLOSED", [s("120", "10")], status="acquitted")
    case(records_engine, f, "FAR", [s("400", "30")], status="convicted")
    case(records_engine, f, "NEAR", [s("52", "6")], status="convicted")  # 50 within 46..58
    case(records_engine, f, "NEXTWEEK", [s("90", "8")], status="awaiting-trial",
         hearing=date(2025, 6, 9), custody="bailed")  # fmt: skip
    case(records_engine, f, "REMANDED", [s("90", "8")], status="awaiting-trial",
         hearing=date(2025, 9, 1), custody="remanded")  # fmt: skip
    case(records_engine, f, "NOHEARING", [s("90", "8")], status="charged")
    # two samples, neither with anything left: flagged, not queued
    case(records_engine, f, "GONE", [s("52", "6", left="0"), s("60", "6", left=None)], status="convicted")  # fmt: skip
    # one of two has some left: queued
    case(records_engine, f, "SOME", [s("500", "40", left="0"), s("500", "40", left="0.5")],
         status="convicted", offence_code="RTA3A")  # fmt: skip
    made = incidents.declare(
        records_engine, reviewer(),
        {"name": "Q", "provider_id": lab.provider_id, "window_from": "2016-01-01", "window_to": "2016-12-31"},
    )  # fmt: skip
    got = priority.queue(records_engine, reviewer(), made.id, justification=WHY)
    order = [e.reference for e in got.entries]
    assert order == ["REMANDED", "NEXTWEEK", "NOHEARING", "NEAR", "SOME", "FAR", "CLOSED"]
    assert [e.place for e in got.entries] == list(range(1, 8))
    # the live case with a hearing next week outranks the closed case
    assert order.index("NEXTWEEK") < order.index("CLOSED")
    # a conviction within uncertainty of the limit outranks one far above it
    assert order.index("NEAR") < order.index("FAR")
    why = {e.reference: e for e in got.entries}
    assert "next hearing 2025-06-09 (in 7 days)" in why["NEXTWEEK"].reason
    assert "remanded" in why["REMANDED"].reason
    assert why["NEAR"].tier == 2 and "within the measurement uncertainty" in why["NEAR"].reason
    assert "50 µg/L limit" in why["NEAR"].reason
    assert why["FAR"].tier == 3 and "clear of the limit" in why["FAR"].reason
    assert why["CLOSED"].tier == 4 and "acquitted" in why["CLOSED"].reason
    assert "causing death" in why["SOME"].reason  # the seriousness tie-break, in words
    assert why["SOME"].samples_left == [why["SOME"].exhibits[1]]
    assert [r.reference for r in got.legal_review] == ["GONE"]
    assert "no sample left" in got.legal_review[0].reason
    assert "GONE" not in order
    with pytest.raises(PolicyDenied):
        priority.queue(records_engine, pcc(), made.id, justification=WHY)


def test_seriousness_breaks_ties_and_an_unknown_code_ranks_last() -> None:
    assert (
        priority.seriousness("RTA1")[0]
        < priority.seriousness("92A")[0]
        < priority.seriousness("RTA5A")[0]
    )
    rank, why = priority.seriousness("ZZ9")
    assert rank == priority.UNLISTED_RANK and "not in the seriousness table" in why
