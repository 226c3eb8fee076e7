"""Chain-of-custody flags: gaps, seal mismatches, broken seals — each naming its events."""

from __future__ import annotations

from typing import Any

import pytest
from casework_helpers import CLEAN, REVIEWER, WHY, event, freeze, setup_exhibit, utc
from sqlalchemy import Engine

from harmwatch.forensics import casework
from harmwatch.forensics.custody import flags
from harmwatch.forensics.forms import parse_instant
from harmwatch.forensics.models import CustodyEvent
from harmwatch.kernel.forms import FormRefused


def chain_of(values: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[CustodyEvent]:
    """Events as recorded (ids = seq = position), without a database."""
    out = []
    for n, v in enumerate(values, start=1):
        out.append(
            CustodyEvent(
                id=n,
                seq=n,
                at=parse_instant(v["at"]),
                action=v["action"],
                handled_by=v["handled_by"],
                location=v["location"],
                seal_number=v.get("seal_number"),
                condition=v.get("condition", "intact"),
            )
        )
    return out


def kinds(found: list[Any]) -> list[tuple[str, tuple[int, ...]]]:
    return [(f.kind, f.events) for f in found]


def test_a_continuous_sealed_chain_has_no_flags() -> None:
    assert flags(chain_of(CLEAN)) == []


def test_a_transfer_with_no_receipt_is_a_gap_naming_both_events() -> None:
    events = list(CLEAN)
    del events[3]  # the receipt
    found = flags(chain_of(events))
    assert ("gap", (3, 4)) in kinds(found)
    gap = next(f for f in found if f.events == (3, 4))
    assert "has no receipt" in gap.reason and "#4 opened" in gap.reason


def test_a_move_without_a_transfer_is_a_gap() -> None:
    stored = event(at="2025-03-02 09:00", action="stored", location="Property store")
    events = [*CLEAN[:2], stored]
    found = flags(chain_of(events))
    assert kinds(found) == [("gap", (2, 3))]
    assert "Property store" in found[0].reason and "no transfer" in found[0].reason


def test_a_receipt_elsewhere_than_sent_and_a_transfer_by_a_non_holder_are_gaps() -> None:
    events = list(CLEAN[:4])
    events[2] = event(
        at="2025-03-03 09:00", action="transferred", handled_by="PC 999 Other",
        location="Northgate Lab", seal_number="S100",
    )  # fmt: skip
    events[3] = {**events[3], "location": "Southgate Lab"}
    found = flags(chain_of(events))
    reasons = [f.reason for f in found]
    assert kinds(found) == [("gap", (2, 3)), ("gap", (3, 4))]
    assert "held by PC 123 Example" in reasons[0]
    assert "sent to Northgate Lab" in reasons[1] and "received at Southgate Lab" in reasons[1]


@pytest.mark.parametrize(("received", "days", "flagged"), [
    ("2025-03-10 09:00", 7, False),  # exactly 7 days: allowed
    ("2025-03-10 09:01", 7, True),
    ("2025-03-06 09:00", 2, True),  # a stricter limit, stated by the caller
])  # fmt: skip
def test_more_than_n_days_from_transfer_to_receipt_is_a_gap(
    received: str, days: int, flagged: bool
) -> None:
    events = list(CLEAN[:4])
    events[3] = {**events[3], "at": received}
    found = flags(chain_of(events), max_transfer_days=days)
    assert (("gap", (3, 4)) in kinds(found)) is flagged
    if flagged:
        assert f"(more than {days})" in found[0].reason


def test_an_event_dated_before_the_previous_is_a_gap() -> None:
    events = list(CLEAN[:2])
    events[1] = {**events[1], "at": "2025-03-01 23:00"}
    found = flags(chain_of(events))
    assert kinds(found) == [("gap", (1, 2))]
    assert "dated before" in found[0].reason


def test_a_seal_that_changes_without_opening_is_a_mismatch() -> None:
    events = list(CLEAN[:3])
    events[2] = {**events[2], "seal_number": "S999"}
    found = flags(chain_of(events))
    assert kinds(found) == [("seal-mismatch", (2, 3))]
    assert "S999" in found[0].reason and "S100" in found[0].reason


def test_a_receipt_under_another_seal_than_sent_is_a_mismatch() -> None:
    events = list(CLEAN[:4])
    events[3] = {**events[3], "seal_number": "S101"}
    found = flags(chain_of(events))
    assert kinds(found) == [("seal-mismatch", (3, 4))]
    assert (
        "received under seal S101" in found[0].reason and "sent under seal S100" in found[0].reason
    )


def test_a_new_seal_after_opening_is_not_a_mismatch_but_a_broken_seal_is_flagged() -> None:
    events = list(CLEAN)
    events[3] = {**events[3], "condition": "seal-broken"}
    found = flags(chain_of(events))
    assert kinds(found) == [("seal-broken", (4,))]


def test_recorded_events_are_flagged_when_the_exhibit_is_read(
    records_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, utc(2025, 3, 20, 12))
    _, _, exhibit = setup_exhibit(records_engine)
    for values in CLEAN[:3]:
        casework.record_custody(records_engine, REVIEWER, exhibit, values, WHY)
    late = {**CLEAN[3], "at": "2025-03-12 10:00", "seal_number": "S555"}
    after = casework.record_custody(records_engine, REVIEWER, exhibit, late, WHY)
    ids = [e.id for e in after.custody]
    assert [e.action for e in after.custody] == ["seized", "sealed", "transferred", "received"]
    assert kinds(after.flags) == [("gap", (ids[2], ids[3])), ("seal-mismatch", (ids[2], ids[3]))]
    shown = casework.read_exhibit(records_engine, REVIEWER, exhibit, justification=WHY)
    assert [f.to_json() for f in shown.flags] == [f.to_json() for f in after.flags]
    # A custody event in the future, or before the exhibit was taken, is refused by field.
    for at, why in (
        ("2025-03-21 09:00", "in the future"),
        ("2025-03-01 12:00", "before the exhibit"),
    ):
        with pytest.raises(FormRefused) as refused:
            casework.record_custody(
                records_engine, REVIEWER, exhibit, event(at=at, action="stored"), WHY
            )
        assert refused.value.problems[0].field == "at" and why in str(refused.value)
    with pytest.raises(FormRefused, match="action: 'lost'"):
        casework.record_custody(
            records_engine, REVIEWER, exhibit, event(at="2025-03-13 09:00", action="lost"), WHY
        )
