"""Check-back on county lines closed: has the line, or a line serving its customers, come back?

A closure is only a closure if the line stays shut. Lines are re-branded: the
controller starts a new number and texts the old customers (the county-lines room
detects this in call data as a *re-brand*). So each closure carries a check-back day
(28 days on unless the officer sets one) and is checked against what the caller
may see, after the closure day:

- **call data**: the closed number itself in any call or message after the day
  (``reappeared``), or a *successor* — another number in contact, after the day, with
  at least :data:`SUCCESSOR_MIN_CUSTOMERS` and :data:`SUCCESSOR_MIN_SHARE` of the
  closed line's customers (the parties in contact with it in the
  :data:`CUSTOMER_WINDOW_DAYS` days up to the closure). The rule follows the
  county-lines room's re-brand rule (a new line taking over a closed line's customer
  base), with the thresholds stated here;
- **intelligence**: a current intelligence report dated after the day that mentions
  the number (found by the intelligence room's own mention finder).

Status: ``resurfaced`` (with the evidence), else ``due`` (the check-back day has come
and nothing was found: confirm and record it), else ``pending``. Each source is
read through its own room's gate — logged, with the justification — and a source
the caller may not read is named as not checked, never silently passed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from harmwatch.errors import InputError
from harmwatch.kernel import reads
from harmwatch.kernel.principal import Principal
from harmwatch.storage import models

from .models import OperationResult

CUSTOMER_WINDOW_DAYS = 28
SUCCESSOR_MIN_CUSTOMERS = 3
SUCCESSOR_MIN_SHARE = 0.3


@dataclass
class Closure:
    ref: str
    line_name: str
    number: str
    closure_type: str
    closed_on: date
    check_back_on: date
    status: str = "pending"
    evidence: list[str] = field(default_factory=list)
    successor: str | None = None
    not_checked: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["closed_on"] = self.closed_on.isoformat()
        out["check_back_on"] = self.check_back_on.isoformat()
        return out


def _e164(number: str) -> str | None:
    from harmwatch.intelligence.identifiers import phone_number

    try:
        return phone_number(number, allow_synthetic=True)
    except InputError:
        return None


def closures(
    engine: Engine, principal: Principal, *, justification: str | None, client: str = ""
) -> list[Closure]:
    """The line closures the caller may see (a logged read of results)."""
    got = reads.consult(
        engine,
        principal,
        OperationResult,
        select(OperationResult)
        .where(OperationResult.result_kind == "line-closure")
        .order_by(OperationResult.occurred_on),
        justification=justification,
        client=client,
        details={"question": "line closures for check-back"},
    )
    out = []
    for r in got.records:
        f = json.loads(r.fields or "{}")
        closed = (
            date.fromisoformat(f["deactivated_on"]) if f.get("deactivated_on") else r.occurred_on
        )
        out.append(
            Closure(
                ref=str(r.ref),
                line_name=f["line_name"],
                number=_e164(f["number"]) or f["number"],
                closure_type=f["closure_type"],
                closed_on=max(closed, r.occurred_on),
                check_back_on=date.fromisoformat(f["check_back_on"]),
            )
        )
    return out


def _call_data_question(items: Sequence[Closure]) -> Any:
    def question(con: Any, files: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        if not files:
            return found
        marks = ",".join("?" * len(files))
        for c in items:
            after = c.closed_on + timedelta(days=1)
            again = con.execute(
                f"""SELECT count(*), min(started_local) FROM calls
                WHERE file_id IN ({marks}) AND (a_party = ? OR b_party = ?)
                AND started_local >= ?""",
                [*files, c.number, c.number, after],
            ).fetchone()
            customers = {
                row[0]
                for row in con.execute(
                    f"""SELECT DISTINCT CASE WHEN a_party = ? THEN b_party ELSE a_party END
                    FROM calls WHERE file_id IN ({marks}) AND (a_party = ? OR b_party = ?)
                    AND started_local >= ? AND started_local < ?
                    AND a_kind = 'msisdn' AND b_kind = 'msisdn'""",
                    [
                        c.number,
                        *files,
                        c.number,
                        c.number,
                        c.closed_on - timedelta(days=CUSTOMER_WINDOW_DAYS - 1),
                        after,
                    ],
                ).fetchall()
            }
            successor = None
            if customers:
                cmarks = ",".join("?" * len(customers))
                clist = sorted(customers)
                row = con.execute(
                    f"""WITH contacts AS (
                        SELECT CASE WHEN a_party IN ({cmarks}) THEN b_party ELSE a_party END
                               AS other,
                               CASE WHEN a_party IN ({cmarks}) THEN a_party ELSE b_party END
                               AS customer
                        FROM calls WHERE file_id IN ({marks}) AND started_local >= ?
                        AND (a_party IN ({cmarks}) OR b_party IN ({cmarks}))
                        AND a_kind = 'msisdn' AND b_kind = 'msisdn')
                    SELECT other, count(DISTINCT customer) AS shared FROM contacts
                    WHERE other <> ? AND other NOT IN ({cmarks})
                    GROUP BY other ORDER BY shared DESC, other LIMIT 1""",
                    [*clist, *clist, *files, after, *clist, *clist, c.number, *clist],
                ).fetchone()
                if row and row[1] >= max(
                    SUCCESSOR_MIN_CUSTOMERS, SUCCESSOR_MIN_SHARE * len(customers)
                ):
                    successor = (row[0], int(row[1]), len(customers))
            found[c.ref] = {
                "again": int(again[0]) if again else 0,
                "first": again[1] if again else None,
                "successor": successor,
            }
        return found

    return question


def check(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    store_path: Any = None,
    on: date | None = None,
    client: str = "",
) -> list[Closure]:
    """Every visible closure with its status on ``on`` (default today), checked against
    the caller's call data (the analytics store at ``store_path``) and intelligence."""
    from harmwatch.calls.kinds import CALL_IMPORTS
    from harmwatch.intelligence.kinds import REPORTS

    today = on or models.utcnow().date()
    items = closures(engine, principal, justification=justification, client=client)
    if not items:
        return items
    if CALL_IMPORTS.read.granted(principal.role) and store_path is not None:
        from harmwatch.calls.service import read_calls
        from harmwatch.storage.analytics.store import AnalyticsStore

        store = AnalyticsStore.open(store_path, read_only=True)
        try:
            found = read_calls(
                engine, store, principal, _call_data_question(items),
                what="line closure check-back", justification=justification,
                rows_of=len, client=client,
            )  # fmt: skip
        finally:
            store.close()
        for c in items:
            hit = found.get(c.ref) or {}
            if hit.get("again"):
                c.evidence.append(
                    f"call data: {c.number} in {hit['again']} call(s) or message(s) after the "
                    f"closure, first {hit['first']}"
                )
            if hit.get("successor"):
                number, shared, of = hit["successor"]
                c.successor = number
                c.evidence.append(
                    f"call data: {number} is in contact with {shared} of the line's {of} "
                    "customers after the closure (a possible re-brand)"
                )
    else:
        for c in items:
            c.not_checked.append("call data (your role does not read it, or no store)")
    if REPORTS.read.granted(principal.role):
        _check_intelligence(engine, principal, items, justification, client)
    else:
        for c in items:
            c.not_checked.append("intelligence (your role does not read it)")
    for c in items:
        if c.evidence:
            c.status = "resurfaced"
        elif today >= c.check_back_on:
            c.status = "due"
    return items


def _check_intelligence(
    engine: Engine,
    principal: Principal,
    items: list[Closure],
    justification: str | None,
    client: str,
) -> None:
    from harmwatch.intelligence.mentions import find_mentions
    from harmwatch.intelligence.models import IntelligenceReport

    earliest = min(c.closed_on for c in items)
    got = reads.consult(
        engine,
        principal,
        IntelligenceReport,
        select(IntelligenceReport).where(
            IntelligenceReport.current.is_(True), IntelligenceReport.reported_on > earliest
        ),
        justification=justification,
        client=client,
        details={"question": "line closure check-back"},
    )
    for report in got.records:
        phones = {
            m.key
            for m in find_mentions(report.sanitised_text, allow_synthetic=True)
            if m.kind == "phone"
        }
        for c in items:
            if report.reported_on > c.closed_on and c.number in phones:
                c.evidence.append(
                    f"intelligence: report {report.reference} of {report.reported_on} mentions "
                    f"{c.number}"
                )
