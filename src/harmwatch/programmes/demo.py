"""SYNTHETIC demonstration programmes: one of each shipped type, from a seeded generator.

Every programme, participant and event made here is marked ``synthetic`` and named
"(synthetic)"; the participants' identifiers are invented ("DEMO-0001") and, as for
real ones, only their pseudonyms are kept. The same seed gives the same figures.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import Justification
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from .config import ProgrammeType, load_types
from .kinds import PROGRAMMES
from .models import Programme
from .service import create_programme, store_event

START = date(2025, 1, 6)


def _value(f: Any, rng: random.Random) -> Any:
    if f.type == "choice":
        return rng.choice(f.choices)
    if f.type == "choices":
        return ";".join(rng.sample(list(f.choices), k=min(2, len(f.choices))))
    if f.type == "boolean":
        return rng.random() < 0.7
    if f.type in ("integer", "decimal"):
        low = int(f.minimum) if f.minimum is not None else 0
        high = int(f.maximum) if f.maximum is not None else low + 12
        return rng.randint(
            max(low, 1 if f.type == "decimal" else low), max(low, min(high, low + 12))
        )
    if f.type == "text":
        return "synthetic"
    return None


def _events(
    ptype: ProgrammeType, rng: random.Random, people: int
) -> list[tuple[str, dict[str, Any]]]:
    """Each participant (or, for a counts-only type, each week) takes the kinds in order,
    dropping out at random, so later kinds are rarer, as in a real programme."""
    out = []
    for n in range(people):
        day = START + timedelta(days=rng.randint(0, 150))
        who = f"DEMO-{n:04d}"
        for kind in ptype.events:
            values: dict[str, Any] = {"occurred_on": day.isoformat()}
            if kind.participant != "none":
                values["participant"] = who
            for f in kind.fields:
                value = _value(f, rng)
                if value is not None and (f.required or rng.random() < 0.6):
                    values[f.name] = value
            out.append((kind.key, values))
            day += timedelta(days=rng.randint(3, 40))
            if ptype.participants and rng.random() < 0.25:
                break
    return out


def seed_demo(
    engine: Engine, principal: Principal, *, seed: int = 15, people: int = 24
) -> dict[str, int]:
    """One SYNTHETIC programme of each shipped type for ``principal``'s force and unit.

    Returns the programme ids by type. Checkpoint's reoffending checks use only the
    12 and 24 month periods, so the entered outcomes come out as they would in use.
    """
    rng = random.Random(seed)
    ids: dict[str, int] = {}
    for ptype in load_types().values():  # the shipped types only: a demo must not vary
        made = create_programme(
            engine,
            principal,
            {
                "name": f"{ptype.title[:90]} (synthetic)",
                "programme_type": ptype.key,
                "starts_on": START.isoformat(),
                "partner": "Synthetic partner (demonstration)",
                "description": "SYNTHETIC: made by the demonstration set-up; not real data",
            },
            synthetic=True,
        )
        ids[ptype.key] = made.id
        rows = _events(ptype, rng, people if ptype.participants else max(6, people // 2))
        with unit_of_work(
            engine,
            principal,
            AuditAction.COLLECTION,
            RecordRef(PROGRAMMES.kind, str(made.id)),
            details={"synthetic": True, "demo": "programme events", "rows": len(rows)},
        ) as work:
            work.justify(Justification.typed("demonstration set-up: SYNTHETIC programme events"))
            programme = work.db.scalars(
                policy.scope(principal, select(Programme).where(Programme.id == made.id), Programme)
            ).one()
            for kind, values in rows:
                store_event(work, programme, kind, values, synthetic=True)
    return ids
