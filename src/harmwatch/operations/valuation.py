"""Street values of drug seizures: a range from a named price-table version, never rewritten.

A seizure is valued when it is recorded (:func:`value_seizure`, called inside the
recording's unit of work) and again only when someone revalues it
(:func:`revalue`), which adds a valuation and keeps the old one: the latest is the
current value, and a figure published last year can still be shown as it was.

How a seizure is priced:

1. **the table**: the one asked for; else the newest version of the owning force's
   own table valid on the seizure's day (``valid_from`` on or before it); else the
   newest illustrative table shipped with harmwatch (loaded on first use, and
   labelled illustrative wherever its figures appear);
2. **the entry**: the seizure's drug and form in the region it names
   (``price_region``; only that region, since the officer chose it), else in the ONS
   region of the force where it happened, else ``national``;
3. **the units**: a table priced per g values a seizure in kg (× 1000) and the other
   way round; any other unit must be the table's own (tablets are not grams);
4. **the range**: the quantity in the entry's unit times its low and high price per
   unit, in whole pence (exact decimal arithmetic, half a penny rounded up).

Purity is recorded with the seizure but not used to value it: street prices are
what a unit sells for at street-level purity, so scaling by a laboratory's purity
would value the same wrap twice over (cut, then priced as if uncut) or under.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError
from harmwatch.kernel import policy, reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from . import prices
from .kinds import MANAGE_PRICE_TABLES, READ_OPERATIONS, RESULTS
from .models import OperationResult, PriceEntry, PriceTable, SeizureValuation

SEIZURE = "drug-seizure"
_PENNY = Decimal(1)
_GRAMS_PER = {"g": Decimal(1), "kg": Decimal(1000)}
MAX_QUANTITY_DIGITS = 40  # the valuation's column
MAX_REASON = 500
_CHUNK = 500


@dataclass(frozen=True)
class Priced:
    """How a seizure would be valued: the table and entry, and the quantity in its unit."""

    table: PriceTable
    entry: PriceEntry
    quantity: Decimal
    low_pence: int
    high_pence: int


@dataclass(frozen=True)
class NotPriced:
    """Why a seizure cannot be valued (shown beside it, and in summaries)."""

    reason: str


@dataclass(frozen=True)
class ValuationView:
    """One valuation as a reader sees it: the range, and the table version behind it."""

    id: int
    result_id: int
    result_ref: str
    table_id: int
    table: str  # name v version
    table_source: str
    table_valid_from: date
    illustrative: bool
    label: str | None  # the illustrative warning, to show beside the range
    drug: str
    form: str
    region: str
    unit: str
    unit_low_pence: int
    unit_high_pence: int
    quantity: str  # in the entry's unit
    low_pence: int
    high_pence: int
    valued_at: datetime
    valued_by: str
    reason: str

    @property
    def range_text(self) -> str:
        return f"{prices.pounds(self.low_pence)}–{prices.pounds(self.high_pence)}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.__dict__)
        out["table_valid_from"] = self.table_valid_from.isoformat()
        out["valued_at"] = self.valued_at.isoformat()
        out["range"] = self.range_text
        return out


def seizure_fields(result: OperationResult) -> dict[str, Any]:
    if result.result_kind != SEIZURE:
        raise InputError(f"{result.ref} is a {result.result_kind}, not a drug seizure")
    fields = json.loads(result.fields or "{}")
    return fields if isinstance(fields, dict) else {}


def to_pence(quantity: Decimal, per_unit_pence: int) -> int:
    """Quantity × price per unit, in whole pence, half a penny rounded up."""
    return int((quantity * Decimal(per_unit_pence)).quantize(_PENNY, rounding=ROUND_HALF_UP))


def convert(quantity: Decimal, unit: str, to_unit: str) -> Decimal | None:
    """``quantity`` in ``to_unit``: g and kg convert, other units only to themselves."""
    if unit == to_unit:
        return quantity
    if unit in _GRAMS_PER and to_unit in _GRAMS_PER:
        return quantity * _GRAMS_PER[unit] / _GRAMS_PER[to_unit]
    return None


def quantity_text(quantity: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1.5E+3 -> ``1500``."""
    text = format(quantity.normalize(), "f")
    return text


def _table(
    db: Session, result: OperationResult, table_id: int | None, *, seed: bool, actor: str
) -> PriceTable | NotPriced:
    force = result.owning_force
    if table_id is not None:
        found = db.scalars(
            select(PriceTable).where(PriceTable.id == table_id, prices.usable(force))
        ).first()
        if found is None:
            raise InputError(
                f"table: no price table {table_id} that {force or 'this force'} may use"
            )
        return found
    own = (
        db.scalars(
            select(PriceTable)
            .where(PriceTable.force == force, PriceTable.valid_from <= result.occurred_on)
            .order_by(PriceTable.valid_from.desc(), PriceTable.id.desc())
            .limit(1)
        ).first()
        if force
        else None
    )
    if own is not None:
        return own
    shipped = (
        prices.ensure_illustrative_table(db, actor) if seed else prices.newest_illustrative(db)
    )
    if shipped is None:
        return NotPriced("no price table has been loaded")
    return shipped


def price(
    db: Session,
    result: OperationResult,
    *,
    table_id: int | None = None,
    seed: bool = False,
    actor: str = "system",
) -> Priced | NotPriced:
    """How ``result`` would be valued now, or why it cannot be (see the module docstring)."""
    fields = seizure_fields(result)
    drug, form, unit = (str(fields.get(k) or "") for k in ("drug", "form", "unit"))
    try:
        quantity = Decimal(str(fields.get("quantity")))
    except InvalidOperation:
        return NotPriced(f"its quantity {fields.get('quantity')!r} is not a number")
    if not quantity.is_finite() or quantity <= 0:
        return NotPriced("it has no quantity to value")
    table = _table(db, result, table_id, seed=seed, actor=actor)
    if isinstance(table, NotPriced):
        return table
    named = str(fields.get("price_region") or "").strip().lower()
    regions = (
        [named]
        if named
        else list(dict.fromkeys([prices.force_region(result.force), prices.NATIONAL]))
    )
    entries = {
        e.region: e
        for e in db.scalars(
            select(PriceEntry).where(
                PriceEntry.table_id == table.id,
                PriceEntry.drug == drug,
                PriceEntry.form == form,
                PriceEntry.region.in_(regions),
            )
        )
    }
    title = f"{table.name} v{table.version}"
    entry = next((entries[r] for r in regions if r in entries), None)
    if entry is None:
        return NotPriced(f"{title} has no price for {drug} ({form}) in {' or '.join(regions)}")
    in_unit = convert(quantity, unit, entry.unit)
    if in_unit is None:
        return NotPriced(
            f"{title} prices {drug} ({form}) per {entry.unit}, and the seizure is "
            f"counted in {unit}: they do not convert"
        )
    return Priced(
        table,
        entry,
        in_unit,
        to_pence(in_unit, entry.low_pence),
        to_pence(in_unit, entry.high_pence),
    )


def value_seizure(
    db: Session,
    actor: str,
    result: OperationResult,
    *,
    reason: str = "on entry",
    table_id: int | None = None,
) -> SeizureValuation | None:
    """Value one drug-seizure result (flushed, fields set) and add the valuation row.

    None when no entry matches (:func:`not_valued_reason` says why). Runs in the
    caller's transaction: the caller's unit of work logs it.
    """
    priced = price(db, result, table_id=table_id, seed=True, actor=actor)
    if isinstance(priced, NotPriced):
        return None
    return _add(db, actor, result, priced, reason)


def _add(
    db: Session, actor: str, result: OperationResult, priced: Priced, reason: str
) -> SeizureValuation:
    quantity = quantity_text(priced.quantity)
    if len(quantity) > MAX_QUANTITY_DIGITS:
        raise InputError(f"quantity: at most {MAX_QUANTITY_DIGITS} digits in the price's unit")
    row = SeizureValuation(
        result_id=result.id,
        price_table_id=priced.table.id,
        price_entry_id=priced.entry.id,
        quantity=quantity,
        low_pence=priced.low_pence,
        high_pence=priced.high_pence,
        valued_at=models.utcnow(),
        valued_by=actor,
        reason=reason,
    )
    db.add(row)
    db.flush()
    return row


def not_valued_reason(db: Session, result: OperationResult) -> str:
    """Why a seizure has no value (for a summary beside an unvalued seizure)."""
    priced = price(db, result)
    if isinstance(priced, NotPriced):
        return priced.reason
    return "it was recorded before a price table could value it: revalue it"


def _latest(rows: Sequence[SeizureValuation]) -> dict[int, SeizureValuation]:
    out: dict[int, SeizureValuation] = {}
    for row in sorted(rows, key=lambda r: (r.valued_at, r.id)):
        out[row.result_id] = row
    return out


def current_values(db: Session, result_ids: Sequence[int]) -> dict[int, SeizureValuation]:
    """The latest valuation of each result (by ``valued_at`` then id); unvalued ones absent."""
    ids = sorted(set(result_ids))
    rows: list[SeizureValuation] = []
    for start in range(0, len(ids), _CHUNK):
        rows += db.scalars(
            select(SeizureValuation).where(
                SeizureValuation.result_id.in_(ids[start : start + _CHUNK])
            )
        ).all()
    return _latest(rows)


@dataclass(frozen=True)
class Totals:
    """The value of a set of seizures, for a summary: figures only, never a name."""

    low_pence: int
    high_pence: int
    valued: int
    not_valued: int
    labels: tuple[str, ...]  # the illustrative warnings of the tables used


def totals(db: Session, result_ids: Sequence[int]) -> Totals:
    """The sum of the current values of ``result_ids`` (each a drug seizure)."""
    current = current_values(db, result_ids)
    tables = _tables(db, {v.price_table_id for v in current.values()})
    labels = sorted({lab for t in tables.values() if (lab := prices.label_of(t))})
    return Totals(
        low_pence=sum(v.low_pence for v in current.values()),
        high_pence=sum(v.high_pence for v in current.values()),
        valued=len(current),
        not_valued=len(set(result_ids)) - len(current),
        labels=tuple(labels),
    )


def _tables(db: Session, ids: set[int]) -> dict[int, PriceTable]:
    if not ids:
        return {}
    return {t.id: t for t in db.scalars(select(PriceTable).where(PriceTable.id.in_(ids)))}


def views(
    db: Session, result: OperationResult, valuations: Sequence[SeizureValuation]
) -> list[ValuationView]:
    tables = _tables(db, {v.price_table_id for v in valuations})
    entry_ids = {v.price_entry_id for v in valuations}
    entries = (
        {e.id: e for e in db.scalars(select(PriceEntry).where(PriceEntry.id.in_(entry_ids)))}
        if entry_ids
        else {}
    )
    out = []
    for v in valuations:
        table, entry = tables[v.price_table_id], entries[v.price_entry_id]
        out.append(
            ValuationView(
                id=v.id,
                result_id=v.result_id,
                result_ref=str(result.ref),
                table_id=table.id,
                table=f"{table.name} v{table.version}",
                table_source=table.source,
                table_valid_from=table.valid_from,
                illustrative=table.illustrative,
                label=prices.label_of(table),
                drug=entry.drug,
                form=entry.form,
                region=entry.region,
                unit=entry.unit,
                unit_low_pence=entry.low_pence,
                unit_high_pence=entry.high_pence,
                quantity=v.quantity,
                low_pence=v.low_pence,
                high_pence=v.high_pence,
                valued_at=v.valued_at,
                valued_by=v.valued_by,
                reason=v.reason,
            )
        )
    return out


def _history_rows(db: Session, result_id: int) -> list[SeizureValuation]:
    return list(
        db.scalars(
            select(SeizureValuation)
            .where(SeizureValuation.result_id == result_id)
            .order_by(SeizureValuation.valued_at, SeizureValuation.id)
        )
    )


def _result(db: Session, principal: Principal, result_id: int) -> OperationResult:
    """The result, if the principal may see it (a hidden one is denied, a missing one not found)."""
    return policy.visible_one(db, principal, OperationResult, result_id, what="operation result")


def _summary(view: ValuationView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "valuation_id": view.id,
        "low_pence": view.low_pence,
        "high_pence": view.high_pence,
        "table": view.table,
        "table_id": view.table_id,
    }


def revalue(
    engine: Engine,
    principal: Principal,
    result_id: int,
    *,
    reason: str,
    justification: str | None,
    table_id: int | None = None,
    client: str = "",
) -> ValuationView:
    """Value a seizure again (against ``table_id``, or the table it would get today).

    One unit of work, logged as an alteration of the result with the old and new
    range and the table versions; the old valuation stays (see :func:`history`).
    """
    ref = RecordRef(RESULTS.kind, str(result_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        if not MANAGE_PRICE_TABLES.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not revalue seizures")
        why = " ".join((reason or "").split())
        if not why:
            raise InputError("reason: say why the seizure is revalued (a new table, a correction)")
        if len(why) > MAX_REASON:
            raise InputError(f"reason: at most {MAX_REASON} characters")
        work.justify(resolve(principal, justification, what="revaluing a seizure"))
        result = _result(work.db, principal, result_id)
        policy.require(work.db, principal, AuditAction.ALTERATION, result)
        seizure_fields(result)
        before = _history_rows(work.db, result_id)
        old = views(work.db, result, before[-1:])
        priced = price(work.db, result, table_id=table_id, seed=True, actor=principal.actor)
        if isinstance(priced, NotPriced):
            raise InputError(f"table: not valued: {priced.reason}")
        added = _add(work.db, principal.actor, result, priced, why)
        new = views(work.db, result, [added])[0]
        work.details.update(
            {
                "revalued": True,
                "reason": why,
                "old": _summary(old[0] if old else None),
                "new": _summary(new),
            }
        )
        return new


def history(
    engine: Engine,
    principal: Principal,
    result_id: int,
    *,
    justification: str | None,
    client: str = "",
) -> list[ValuationView]:
    """Every valuation of a seizure, oldest first (the last is current); a logged read."""
    ref = RecordRef(RESULTS.kind, str(result_id))
    with unit_of_work(engine, principal, AuditAction.CONSULTATION, ref, client=client) as work:
        if not READ_OPERATIONS.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not see seizures")
        work.justify(resolve(principal, justification, what="reading a seizure's valuations"))
        result = _result(work.db, principal, result_id)
        seizure_fields(result)
        rows = _history_rows(work.db, result_id)
        work.details.update({"valuations": len(rows), "of": "valuation history"})
        return views(work.db, result, rows)


@dataclass(frozen=True)
class SeizureRow:
    """One drug seizure in a listing, with its current value (or why it has none)."""

    result_id: int
    ref: str
    occurred_on: date
    force: str
    operation_id: int | None
    drug: str
    form: str
    quantity: str
    unit: str
    tested: bool | None
    purity_percent: str | None
    location: str
    current: ValuationView | None
    not_valued: str | None
    valuations: int
    conditions: str | None  # handling code C conditions, shown beside it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.__dict__)
        out["occurred_on"] = self.occurred_on.isoformat()
        out["current"] = self.current.to_json() if self.current else None
        return out


@dataclass(frozen=True)
class SeizureListing:
    rows: list[SeizureRow]
    labels: tuple[str, ...]  # the illustrative warnings of every table the figures use
    total: Totals


def _seizures(limit: int) -> Select[Any]:
    return (
        select(OperationResult)
        .where(OperationResult.result_kind == SEIZURE)
        .order_by(OperationResult.occurred_on.desc(), OperationResult.id.desc())
        .limit(limit)
    )


def listing(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    limit: int = 1000,
    client: str = "",
) -> SeizureListing:
    """The drug seizures the principal may see, newest first, each with its current value."""
    got = reads.consult(
        engine,
        principal,
        OperationResult,
        _seizures(limit),
        justification=justification,
        client=client,
        details={"of": "drug seizures"},
    )
    results = got.records
    from harmwatch.storage.records import session_scope

    with session_scope(engine) as db:
        current = current_values(db, [r.id for r in results])
        counts = dict(
            db.execute(
                select(SeizureValuation.result_id, func.count())
                .where(SeizureValuation.result_id.in_([r.id for r in results] or [0]))
                .group_by(SeizureValuation.result_id)
            ).all()
        )
        rows = []
        for r in results:
            fields = seizure_fields(r)
            now = current.get(r.id)
            rows.append(
                SeizureRow(
                    result_id=r.id,
                    ref=str(r.ref),
                    occurred_on=r.occurred_on,
                    force=r.force,
                    operation_id=r.operation_id,
                    drug=str(fields.get("drug") or ""),
                    form=str(fields.get("form") or ""),
                    quantity=str(fields.get("quantity") or ""),
                    unit=str(fields.get("unit") or ""),
                    tested=fields.get("tested"),
                    purity_percent=(
                        None
                        if fields.get("purity_percent") is None
                        else str(fields["purity_percent"])
                    ),
                    location=str(fields.get("location") or ""),
                    current=views(db, r, [now])[0] if now else None,
                    not_valued=None if now else not_valued_reason(db, r),
                    valuations=int(counts.get(r.id, 0)),
                    conditions=got.conditions.get(str(r.ref)),
                )
            )
        total = totals(db, [r.id for r in results])
    labels = tuple(sorted({row.current.label for row in rows if row.current and row.current.label}))
    return SeizureListing(rows, labels, total)
