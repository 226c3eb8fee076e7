"""An operation's summary, computed from its records: every figure traceable, none typed.

Public statements ("31 people charged for 139 drug and human trafficking offences,
the dismantling of 30 county lines and the seizure of £600,000 worth of drugs")
are counted here from the result records of one operation, several, or every result
of a force in a period, and each figure carries the refs of the records behind it so
that it can be drilled into and checked.

How each figure is counted:

- ``people_charged``: distinct people among the charges (names compared case- and
  space-insensitively: "JOHN  Smith" is "John Smith"); ``offences_charged``: the sum
  of each charge's offence count (a charge with three counts of 92A is three);
- ``lines_closed``: county lines closed, split by the Home Office's Type 1 and Type 2;
- ``warrants_executed``: warrants with an execution day (applied and granted are
  given too);
- ``drugs_value_low``/``_high``: the sum of each seizure's *current* valuation (its
  latest; a revaluation replaces the figure, the earlier stays in its history), with
  the price tables used named — an illustrative table is flagged — and the seizures
  not valued counted, never silently left out;
- ``cash_seized`` (and ``cash_forfeited``): pounds, summed in whole pence;
- ``ocg_disruptions``: by level, major, moderate and minor.

Who sees what: roles that read results get the figures over the results they may
see, with the refs behind each. The PCC viewer gets the figures for their own
force's results — counted in the store, never a name, an officer or a premises —
so a public statement can be checked without a single personal detail leaving.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from .kinds import READ_OPERATIONS, RESULTS, VIEW_OPERATION_SUMMARIES
from .models import Operation, OperationResult
from .results import DISRUPTION_LEVELS


@dataclass
class Figure:
    """One figure of a summary and the records it counts."""

    name: str
    value: Any
    records: list[str] = field(default_factory=list)


@dataclass
class Summary:
    operations: list[str]
    force: str | None
    since: date | None
    until: date | None
    figures: dict[str, Figure]
    price_tables: list[dict[str, Any]]
    notes: list[str]
    exact: bool  # False: counted for a viewer of figures only (no drill-down to content)

    def value(self, name: str) -> Any:
        return self.figures[name].value

    def sentence(self) -> str:
        v = self.value
        parts = [
            f"{v('people_charged')} {_plural(v('people_charged'), 'person', 'people')} charged "
            f"with {v('offences_charged')} {_plural(v('offences_charged'), 'offence')}",
            f"{v('lines_closed')} county {_plural(v('lines_closed'), 'line')} closed "
            f"({v('lines_closed_type1')} Type 1, {v('lines_closed_type2')} Type 2)",
            f"{_pounds(v('drugs_value_low'))}–{_pounds(v('drugs_value_high'))} of drugs seized",
            f"{_pounds(v('cash_seized'))} cash",
            f"{v('warrants_executed')} {_plural(v('warrants_executed'), 'warrant')} executed",
        ]
        sentence = "; ".join(parts) + "."
        illustrative = [t for t in self.price_tables if t.get("illustrative")]
        if illustrative:
            sentence += " Drug values use an ILLUSTRATIVE price table, not a force's own."
        return sentence[0].upper() + sentence[1:]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operations": self.operations,
            "force": self.force,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sentence": self.sentence(),
        }
        for name, fig in self.figures.items():
            out[name] = fig.value
        out["records"] = {name: fig.records for name, fig in self.figures.items() if fig.records}
        out["records_counted"] = len({r for fig in self.figures.values() for r in fig.records})
        out["price_tables"] = self.price_tables
        out["notes"] = self.notes
        out["exact"] = self.exact
        return out

    def table(self) -> list[tuple[str, str, int]]:
        """(figure, value as shown, records behind it) for a page or the console."""
        rows = []
        for name, fig in self.figures.items():
            value = fig.value
            if name.startswith(("drugs_value", "cash_")):
                shown = _pounds(value)
            elif isinstance(value, dict):
                shown = ", ".join(f"{k} {n}" for k, n in value.items())
            else:
                shown = str(value)
            rows.append((LABELS.get(name, name.replace("_", " ")), shown, len(fig.records)))
        return rows


LABELS = {
    "people_charged": "People charged",
    "offences_charged": "Offences charged",
    "lines_closed": "County lines closed",
    "lines_closed_type1": "… Type 1 (holder charged, line out of use)",
    "lines_closed_type2": "… Type 2 (number deactivated)",
    "warrants_applied": "Warrants applied for",
    "warrants_granted": "Warrants granted",
    "warrants_executed": "Warrants executed",
    "arrests": "Arrests",
    "out_of_court_disposals": "Out-of-court disposals",
    "drug_seizures": "Drug seizures",
    "drug_seizures_not_valued": "… not valued (no price for the drug and form)",
    "drugs_value_low": "Drugs seized, street value (low)",
    "drugs_value_high": "Drugs seized, street value (high)",
    "cash_seized": "Cash seized",
    "cash_forfeited": "Cash forfeited (POCA)",
    "ocg_disruptions": "OCG disruptions",
    "cannabis_factories": "Cannabis factories dismantled",
    "cannabis_plants": "Cannabis plants seized",
    "weapons_recovered": "Weapons recovered",
    "safeguarding_referrals": "Safeguarding referrals",
    "treatment_referrals": "Referrals into treatment (arrest referral, DIP)",
}


def _plural(n: Any, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")


def _pounds(value: Any) -> str:
    amount = Decimal(str(value))
    return f"£{amount:,.0f}" if amount == amount.to_integral() else f"£{amount:,.2f}"


def _money(pence: int) -> float | int:
    """Whole pence as pounds for JSON: an int when whole pounds, else two decimals."""
    return pence // 100 if pence % 100 == 0 else round(pence / 100, 2)


def person_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _figures(
    db: Session, rows: Sequence[OperationResult]
) -> tuple[dict[str, Figure], list[dict[str, Any]]]:
    from . import valuation

    f: dict[str, Figure] = {}

    def add(name: str, value: Any, records: list[str]) -> None:
        f[name] = Figure(name, value, records)

    by_kind: dict[str, list[tuple[OperationResult, dict[str, Any]]]] = {}
    for row in rows:
        by_kind.setdefault(row.result_kind, []).append((row, json.loads(row.fields or "{}")))

    def refs(items: Sequence[tuple[OperationResult, dict[str, Any]]]) -> list[str]:
        return [str(r.ref) for r, _ in items]

    charges = by_kind.get("charge", [])
    add("people_charged", len({person_key(x["person"]) for _, x in charges}), refs(charges))
    add("offences_charged", sum(int(x["offence_count"]) for _, x in charges), refs(charges))
    closures = by_kind.get("line-closure", [])
    t1 = [c for c in closures if c[1]["closure_type"] == "type-1"]
    t2 = [c for c in closures if c[1]["closure_type"] == "type-2"]
    add("lines_closed", len(closures), refs(closures))
    add("lines_closed_type1", len(t1), refs(t1))
    add("lines_closed_type2", len(t2), refs(t2))
    warrants = by_kind.get("warrant", [])
    granted = [w for w in warrants if w[1].get("granted_on")]
    executed = [w for w in warrants if w[1].get("executed_on")]
    add("warrants_applied", len(warrants), refs(warrants))
    add("warrants_granted", len(granted), refs(granted))
    add("warrants_executed", len(executed), refs(executed))
    arrests = by_kind.get("arrest", [])
    add("arrests", len(arrests), refs(arrests))
    oocd = by_kind.get("out-of-court-disposal", [])
    add("out_of_court_disposals", len(oocd), refs(oocd))

    seizures = by_kind.get("drug-seizure", [])
    current = valuation.current_values(db, [r.id for r, _ in seizures])
    valued = [s for s in seizures if s[0].id in current]
    not_valued = [s for s in seizures if s[0].id not in current]
    add("drug_seizures", len(seizures), refs(seizures))
    add("drug_seizures_not_valued", len(not_valued), refs(not_valued))
    low = sum(current[r.id].low_pence for r, _ in valued)
    high = sum(current[r.id].high_pence for r, _ in valued)
    add("drugs_value_low", _money(low), refs(valued))
    add("drugs_value_high", _money(high), refs(valued))

    cash = by_kind.get("cash-seizure", [])
    forfeited = [c for c in cash if c[1].get("forfeited_amount")]
    add("cash_seized", _money(sum(int(x["amount"]) for _, x in cash)), refs(cash))
    add(
        "cash_forfeited",
        _money(sum(int(x["forfeited_amount"]) for _, x in forfeited)),
        refs(forfeited),
    )
    disruptions = by_kind.get("ocg-disruption", [])
    add(
        "ocg_disruptions",
        {level: sum(x["level"] == level for _, x in disruptions) for level in DISRUPTION_LEVELS},
        refs(disruptions),
    )
    factories = by_kind.get("cannabis-factory", [])
    add("cannabis_factories", len(factories), refs(factories))
    add("cannabis_plants", sum(int(x.get("plants") or 0) for _, x in factories), refs(factories))
    weapons = by_kind.get("weapon-recovery", [])
    add("weapons_recovered", sum(int(x["count"]) for _, x in weapons), refs(weapons))

    return f, _tables_used(db, {current[r.id].price_table_id for r, _ in valued})


def _tables_used(db: Session, table_ids: set[int]) -> list[dict[str, Any]]:
    """The price-table versions the current values come from (an illustrative one flagged)."""
    from .models import PriceTable

    if not table_ids:
        return []
    rows = db.scalars(select(PriceTable).where(PriceTable.id.in_(sorted(table_ids))))
    return [
        {
            "id": t.id,
            "name": t.name,
            "version": t.version,
            "source": t.source,
            "valid_from": t.valid_from.isoformat(),
            "illustrative": t.illustrative,
        }
        for t in sorted(rows, key=lambda t: t.id)
    ]


def _filtered(
    stmt: Any, operation_ids: Sequence[int] | None, force: str | None, since: date | None,
    until: date | None,
) -> Any:  # fmt: skip
    if operation_ids is not None:
        stmt = stmt.where(OperationResult.operation_id.in_(list(operation_ids)))
    if force:
        stmt = stmt.where(OperationResult.force == force)
    if since:
        stmt = stmt.where(OperationResult.occurred_on >= since)
    if until:
        stmt = stmt.where(OperationResult.occurred_on <= until)
    return stmt


def _resolve_operations(
    db: Session, principal: Principal, names: Sequence[str | int], exact: bool
) -> list[Operation]:
    found: list[Operation] = []
    for name in names:
        text = str(name).strip()
        cond = (
            Operation.id == int(text)
            if text.isdigit()
            else func.lower(Operation.name) == text.lower()
        )
        stmt = select(Operation).where(cond)
        if exact:
            op = db.scalars(policy.scope(principal, stmt, Operation)).first()
        else:
            # A viewer of figures names operations of their own force that are not restricted.
            op = db.scalars(
                policy.privileged(
                    stmt.where(
                        Operation.owning_force == principal.force,
                        Operation.restriction != "restricted",
                    ),
                    "a viewer of figures sums their own force's operations; no content leaves",
                )
            ).first()
        if op is None:
            raise NotFoundError(f"no operation {text!r} that you may see")
        found.append(op)
    return found


def summarise(
    engine: Engine,
    principal: Principal,
    *,
    operations: Sequence[str | int] = (),
    force: str | None = None,
    since: date | None = None,
    until: date | None = None,
    justification: str | None = None,
    exact: bool | None = None,
    client: str = "",
) -> Summary:
    """The summary of the named operations (all results when none), by force and period.

    A logged consultation. ``exact`` True: over the results the caller may read, with
    the refs behind each figure (a justification is needed: results name people);
    False: figures only, counted over the caller's own force (what the PCC viewer
    gets); None: exact when the role reads results and a reason is given (typed or
    the session's declared purpose), else figures only — so a reader who has not said
    why still sees the figures, and nothing personal is read for them.
    """
    if since and until and until < since:
        raise InputError(f"until: {until} is before since ({since})")
    reader = READ_OPERATIONS.granted(principal.role)
    if exact is None:
        exact = reader and bool((justification and justification.strip()) or principal.purpose)
    elif exact and not reader:
        raise policy.PolicyDenied(
            f"your role ({principal.role}) may not read results; figures only"
        )
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        RecordRef(RESULTS.kind, "*"),
        client=client,
        details={
            "question": "operation summary",
            "operations": [str(o) for o in operations],
            "force": force,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
    ) as work:
        if not VIEW_OPERATION_SUMMARIES.granted(principal.role):
            raise policy.PolicyDenied(
                f"your role ({principal.role}) may not see operation summaries"
            )
        if exact:
            work.justify(resolve(principal, justification, what="an operation summary"))
        ops = _resolve_operations(work.db, principal, operations, exact)
        ids = [op.id for op in ops] if ops else None
        stmt = _filtered(select(OperationResult), ids, force, since, until)
        if exact:
            rows = list(work.db.scalars(policy.scope(principal, stmt, OperationResult)))
        else:
            rows = list(
                work.db.scalars(
                    policy.privileged(
                        stmt.where(OperationResult.owning_force == principal.force),
                        "a viewer of figures counts their own force's results; no name leaves",
                    )
                )
            )
        figures, tables = _figures(work.db, rows)
        notes = _referrals(work, principal, ops, figures)
        if not exact:
            notes.append(
                "Figures only: counted from your force's records; names, officers and premises "
                + (
                    "are not shown to your role."
                    if not reader
                    else "are not read until you give a reason (declare your case or operation)."
                )
            )
        if figures["drug_seizures_not_valued"].value:
            notes.append(
                f"{figures['drug_seizures_not_valued'].value} seizure(s) have no price for their "
                "drug and form in the table used, and are not in the value."
            )
        work.details["rows"] = len(rows)
        if exact:
            work.details["records"] = [str(r.ref) for r in rows][:1000]
        done = Summary(
            operations=[op.name for op in ops],
            force=force,
            since=since,
            until=until,
            figures=figures,
            price_tables=tables,
            notes=notes,
            exact=exact,
        )
    # After the summary's own transaction: the programmes room logs its own read.
    _treatment_referrals(engine, principal, ops, done, client)
    return done


def _treatment_referrals(
    engine: Engine, principal: Principal, ops: Sequence[Operation], done: Summary, client: str
) -> None:
    """Referrals into treatment (the programmes room's events naming each operation)."""
    from harmwatch.programmes.kinds import READ_PROGRAMMES, VIEW_PROGRAMME_OUTCOMES
    from harmwatch.programmes.outcomes import treatment_referrals_for_operation

    if not ops:
        return
    if not (
        READ_PROGRAMMES.granted(principal.role) or VIEW_PROGRAMME_OUTCOMES.granted(principal.role)
    ):
        done.notes.append("Referrals into treatment are not counted for your role.")
        return
    found = [
        (op, treatment_referrals_for_operation(engine, principal, op.id, client=client))
        for op in ops
    ]
    shown = [t.count if t.count is not None else t.shown for _, t in found]
    value: Any
    if all(isinstance(v, int) for v in shown):
        value = sum(int(v) for v in shown)
    elif len(shown) == 1:
        value = shown[0]
    else:  # a suppressed figure cannot be summed: each operation's, as shown
        value = "; ".join(f"{op.name}: {v}" for (op, _), v in zip(found, shown, strict=True))
    refs = [r for _, t in found for r in t.refs]
    done.figures["treatment_referrals"] = Figure("treatment_referrals", value, refs)


def _referrals(
    work: Any, principal: Principal, ops: Sequence[Operation], figures: dict[str, Figure]
) -> list[str]:
    """Safeguarding referrals that name an operation as what flagged them (the referral
    record of the safeguarding room, reused), for a role that may read referrals."""
    from harmwatch.safeguarding.kinds import READ_REFERRALS
    from harmwatch.safeguarding.models import Referral

    if not ops:
        return []
    if not READ_REFERRALS.granted(principal.role):
        return ["Safeguarding referrals are not counted for your role."]
    rows = work.db.scalars(
        policy.scope(
            principal,
            select(Referral).where(
                Referral.source_kind == "operation",
                Referral.source_ref.in_([str(op.ref) for op in ops]),
            ),
            Referral,
        )
    ).all()
    figures["safeguarding_referrals"] = Figure(
        "safeguarding_referrals", len(rows), [str(r.ref) for r in rows]
    )
    return []
