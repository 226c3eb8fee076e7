"""Seizure valuations: the range by hand, which table and entry, units, and history kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from seizureworld import (
    ANALYST,
    ESSEX,
    OFFICER,
    PCC,
    WHY,
    log,
    price_file,
    seize,
    valuations_of,
)
from sqlalchemy import Engine, select

from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.operations import prices, valuation
from harmwatch.operations.models import OperationResult
from harmwatch.storage import models
from harmwatch.storage.records import session_scope


def _table(
    engine: Engine, folder: Path, *rows: str, name: str = "herts", valid_from: str = "2025-01-01"
) -> int:
    path = price_file(folder, f"{name}-{valid_from}.csv", *rows)
    return prices.load_table(
        engine, ANALYST, path, name=name, source="test prices", valid_from=valid_from
    ).id


def _current(engine: Engine, rid: int) -> tuple[int, int] | None:
    with session_scope(engine) as db:
        now = valuation.current_values(db, [rid]).get(rid)
        return (now.low_pence, now.high_pence) if now else None


def test_the_range_checked_by_hand(records_engine: Engine, tmp_path: Path) -> None:
    _table(records_engine, tmp_path, "cocaine,powder,national,g,40,80")
    rid = seize(records_engine, quantity="1.5", unit="kg")
    # 1.5 kg = 1500 g; 1500 × £40 = £60,000 and 1500 × £80 = £120,000
    assert _current(records_engine, rid) == (6_000_000, 12_000_000)
    [shown] = valuation.history(records_engine, ANALYST, rid, justification=WHY)
    assert (shown.quantity, shown.unit, shown.region) == ("1500", "g", "national")
    assert shown.range_text == "£60,000.00–£120,000.00"
    assert (shown.table, shown.reason, shown.label) == ("herts v1", "on entry", None)


def test_pence_are_exact_and_half_a_penny_rounds_up() -> None:
    assert valuation.to_pence(Decimal("0.5"), 1) == 1  # not banker's rounding to 0
    assert valuation.to_pence(Decimal("2.5"), 1) == 3
    assert valuation.to_pence(Decimal("0.333"), 1001) == 333  # 333.333 p
    assert valuation.to_pence(Decimal("0.1"), 3) == 0  # 0.3 p
    assert valuation.convert(Decimal("250"), "g", "kg") == Decimal("0.25")
    assert valuation.convert(Decimal("3"), "tablet", "g") is None
    assert valuation.quantity_text(Decimal("1.5") * 1000) == "1500"


def test_units_convert_only_between_grams_and_kilograms(
    records_engine: Engine, tmp_path: Path
) -> None:
    _table(
        records_engine,
        tmp_path,
        "cannabis,resin,national,kg,4000,6000",
        "mdma,tablets,national,tablet,5,10",
    )
    grams = seize(records_engine, drug="cannabis", form="resin", quantity="250", unit="g")
    assert _current(records_engine, grams) == (100_000, 150_000)  # 0.25 kg × £4,000–£6,000
    pills = seize(records_engine, drug="mdma", form="tablets", quantity="120", unit="tablet")
    assert _current(records_engine, pills) == (60_000, 120_000)
    weighed = seize(records_engine, drug="mdma", form="tablets", quantity="30", unit="g")
    assert _current(records_engine, weighed) is None
    with session_scope(records_engine) as db:
        result = db.scalars(
            policy.scope(
                ANALYST,
                select(OperationResult).where(OperationResult.id == weighed),
                OperationResult,
            )
        ).one()
        why = valuation.not_valued_reason(db, result)
    assert (
        why
        == "herts v1 prices mdma (tablets) per tablet, and the seizure is counted in g: they do not convert"
    )


def test_the_entry_is_the_named_region_else_the_forces_else_national(
    records_engine: Engine, tmp_path: Path
) -> None:
    _table(
        records_engine,
        tmp_path,
        "cocaine,powder,national,g,40,80",
        "cocaine,powder,east-of-england,g,50,90",
        "cocaine,powder,london,g,60,100",
        "heroin,powder,national,g,30,60",
    )
    herts = seize(records_engine, quantity="10", unit="g")
    assert _current(records_engine, herts) == (50_000, 90_000)  # Hertfordshire: east of England
    named = seize(records_engine, quantity="10", unit="g", price_region="London")
    assert _current(records_engine, named) == (60_000, 100_000)
    national = seize(records_engine, drug="heroin", quantity="10", unit="g")
    assert _current(records_engine, national) == (30_000, 60_000)
    # a region the officer names is used or nothing: never quietly another's prices
    missing = seize(records_engine, drug="heroin", quantity="10", unit="g", price_region="wales")
    assert _current(records_engine, missing) is None
    listing = valuation.listing(records_engine, ANALYST, justification=WHY)
    row = next(r for r in listing.rows if r.result_id == missing)
    assert row.not_valued == "herts v1 has no price for heroin (powder) in wales"


def test_the_table_valid_on_the_day_else_the_illustrative_one(
    records_engine: Engine, tmp_path: Path
) -> None:
    v1 = _table(
        records_engine, tmp_path, "cocaine,powder,national,g,40,80", valid_from="2025-01-01"
    )
    v2 = _table(
        records_engine, tmp_path, "cocaine,powder,national,g,45,85", valid_from="2025-06-01"
    )
    before = seize(records_engine, quantity="1", unit="g", occurred_on="2024-12-31")
    spring = seize(records_engine, quantity="1", unit="g", occurred_on="2025-03-01")
    summer = seize(records_engine, quantity="1", unit="g", occurred_on="2025-06-01")
    by_table = {rid: valuations_of(records_engine, rid)[0][0] for rid in (before, spring, summer)}
    assert by_table[spring] == v1 and by_table[summer] == v2
    [early] = valuation.history(records_engine, ANALYST, before, justification=WHY)
    assert early.illustrative and early.label == prices.ILLUSTRATIVE_LABEL
    # Essex has no table of its own: the shipped one, not Hertfordshire's
    essex = seize(records_engine, ESSEX, quantity="1", unit="g", force="essex")
    [theirs] = valuation.history(records_engine, ESSEX, essex, justification=WHY)
    assert theirs.illustrative and theirs.table_id == early.table_id


def test_purity_is_recorded_but_not_used(records_engine: Engine, tmp_path: Path) -> None:
    _table(records_engine, tmp_path, "cocaine,powder,national,g,40,80")
    pure = seize(records_engine, quantity="2", unit="g", tested="yes", purity_percent="90")
    cut = seize(records_engine, quantity="2", unit="g", tested="yes", purity_percent="15")
    assert _current(records_engine, pure) == _current(records_engine, cut) == (8_000, 16_000)


def test_a_new_table_version_leaves_past_valuations_and_a_revaluation_keeps_both(
    records_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [datetime(2025, 3, 2, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(models, "utcnow", lambda: clock[0])
    v1 = _table(records_engine, tmp_path, "cocaine,powder,national,g,40,80")
    rid = seize(records_engine, quantity="1.5", unit="kg")
    assert valuations_of(records_engine, rid) == [(v1, 6_000_000, 12_000_000, "on entry")]
    clock[0] += timedelta(days=30)
    v2 = _table(
        records_engine, tmp_path, "cocaine,powder,national,g,30,60", valid_from="2025-01-01"
    )
    # the new version changes nothing already valued
    assert valuations_of(records_engine, rid) == [(v1, 6_000_000, 12_000_000, "on entry")]
    assert prices.get_table(records_engine, ANALYST, v1).entries[0].low_pence == 4000
    clock[0] += timedelta(days=1)
    new = valuation.revalue(
        records_engine, ANALYST, rid, reason="the force's 2025 table corrected", justification=WHY
    )
    assert (new.table_id, new.low_pence, new.high_pence) == (v2, 4_500_000, 9_000_000)
    history = valuation.history(records_engine, ANALYST, rid, justification=WHY)
    assert [(h.table, h.low_pence, h.high_pence, h.reason) for h in history] == [
        ("herts v1", 6_000_000, 12_000_000, "on entry"),
        ("herts v2", 4_500_000, 9_000_000, "the force's 2025 table corrected"),
    ]
    assert _current(records_engine, rid) == (4_500_000, 9_000_000)
    # revaluing against the old version on purpose is a third valuation, not an undo
    back = valuation.revalue(
        records_engine, ANALYST, rid, reason="as published in March", justification=WHY, table_id=v1
    )
    assert back.low_pence == 6_000_000 and len(valuations_of(records_engine, rid)) == 3
    entry = next(
        e
        for e in reversed(log(records_engine, "ana"))
        if e.action == "alteration" and e.outcome == "ok"
    )
    assert entry.target == f"operation-result:{rid}" and entry.justification == WHY
    assert (
        entry.details["old"]["table"] == "herts v2"
        and entry.details["old"]["low_pence"] == 4_500_000
    )
    assert (
        entry.details["new"]["table"] == "herts v1"
        and entry.details["new"]["high_pence"] == 12_000_000
    )


def test_who_may_revalue_and_read_the_history(records_engine: Engine, tmp_path: Path) -> None:
    _table(records_engine, tmp_path, "cocaine,powder,national,g,40,80")
    rid = seize(records_engine, quantity="1", unit="g")
    with pytest.raises(PolicyDenied):
        valuation.revalue(records_engine, OFFICER, rid, reason="try", justification=WHY)
    assert log(records_engine, "pc")[-1].outcome == "denied"
    with pytest.raises(PolicyDenied):  # another force's seizure: denied, and logged so
        valuation.revalue(records_engine, ESSEX, rid, reason="try", justification=WHY)
    assert log(records_engine, "ess")[-1].outcome == "denied"
    with pytest.raises(InputError, match="reason"):
        valuation.revalue(records_engine, ANALYST, rid, reason=" ", justification=WHY)
    with pytest.raises(InputError, match="justification"):
        valuation.revalue(records_engine, ANALYST, rid, reason="new table", justification=None)
    with pytest.raises(PolicyDenied):
        valuation.history(records_engine, PCC, rid, justification=WHY)
    assert len(valuation.history(records_engine, OFFICER, rid, justification=WHY)) == 1
    assert len(valuations_of(records_engine, rid)) == 1


def test_a_revaluation_that_finds_no_price_changes_nothing(
    records_engine: Engine, tmp_path: Path
) -> None:
    _table(records_engine, tmp_path, "cocaine,powder,national,g,40,80")
    other = _table(
        records_engine,
        tmp_path,
        "heroin,powder,national,g,40,80",
        name="heroin only",
        valid_from="2025-06-01",  # after the seizure: not the table it was valued by
    )
    rid = seize(records_engine, quantity="1", unit="g")
    with pytest.raises(
        InputError, match="table: not valued: heroin only v1 has no price for cocaine"
    ):
        valuation.revalue(
            records_engine, ANALYST, rid, reason="wrong table", justification=WHY, table_id=other
        )
    assert len(valuations_of(records_engine, rid)) == 1


def test_the_listing_and_totals(records_engine: Engine, tmp_path: Path) -> None:
    a = seize(records_engine, quantity="10", unit="g")  # the shipped table: east of England
    b = seize(records_engine, drug="other", form="other", quantity="1", unit="g")
    listing = valuation.listing(records_engine, OFFICER, justification=WHY)
    rows = {r.result_id: r for r in listing.rows}
    current = rows[a].current
    assert current is not None and current.low_pence == 50_000
    assert rows[b].current is None and "no price for other (other)" in (rows[b].not_valued or "")
    assert listing.labels == (prices.ILLUSTRATIVE_LABEL,)
    assert (listing.total.low_pence, listing.total.valued, listing.total.not_valued) == (
        50_000,
        1,
        1,
    )
    assert listing.total.labels == (prices.ILLUSTRATIVE_LABEL,)
    entry = log(records_engine, "pc")[-1]
    assert (entry.action, entry.justification, entry.details["rows"]) == ("consultation", WHY, 2)
    assert valuation.listing(records_engine, ESSEX, justification=WHY).rows == []
