"""The demo's fictional operation, Op Lantern: SYNTHETIC results from a seeded generator.

Op Lantern is led by Hertfordshire with Bedfordshire and Cambridgeshire (the bundled
forces) against county lines from London, March to September 2025. Every person,
officer, address and number is invented (``SYNTHETIC`` in each name; numbers from
Ofcom's drama range, 07700 900000–900999), and every record is marked synthetic, so
that the pages show a summary with figures a user can drill into without a real
person in sight. The generator is seeded (:data:`SEED`): the same records every run.

Seizures are valued against the shipped ILLUSTRATIVE price table, and say so.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role

from . import service

SEED = 15
NAME = "Op Lantern"
SYNTHETIC_NOTE = (
    "Op Lantern is FICTIONAL: its people, officers, addresses and numbers are SYNTHETIC, "
    "generated with a fixed seed; drug values use an ILLUSTRATIVE price table."
)
START, END = date(2025, 3, 1), date(2025, 9, 30)
PARTNERS = ("bedfordshire", "cambridgeshire")
_TOWNS = ("Stevenage", "Hemel Hempstead", "Watford", "Luton", "Bedford", "Cambridge", "Hitchin")


def _day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randrange((END - START).days))


def _force(rng: random.Random) -> str:
    return rng.choice(("hertfordshire", "hertfordshire", "hertfordshire", *PARTNERS))


def _head(rng: random.Random, day: date | None = None) -> dict[str, Any]:
    return {
        "operation": NAME,
        "occurred_on": (day or _day(rng)).isoformat(),
        "force": _force(rng),
        "officer": f"SYNTHETIC DC {rng.randrange(1000, 9999)}",
    }


def seed(engine: Engine, force: str, unit: str, username: str = "analyst") -> dict[str, Any]:
    """Record Op Lantern and its results as the demo's analyst; counts by kind."""
    by = Principal(username, Role.ANALYST, force, frozenset({unit}), "system")
    why = "Demo set-up: Op Lantern (SYNTHETIC)"
    rng = random.Random(SEED)
    op = service.record_operation(
        engine,
        by,
        {
            "name": NAME,
            "partner_forces": "; ".join(PARTNERS),
            "partner_agencies": "Eastern Region Special Operations Unit; British Transport Police",
            "starts_on": START.isoformat(),
            "ends_on": END.isoformat(),
            "aims": "SYNTHETIC: close the county lines supplying Hertfordshire and Bedfordshire "
            "from London, safeguard the young people running them, and disrupt the group "
            "controlling them.",
        },
        why,
        synthetic=True,
    )
    counts: dict[str, int] = {}

    def add(kind: str, values: dict[str, Any]) -> None:
        service.record_result(engine, by, kind, values, why, operation_id=op.id, synthetic=True)
        counts[kind] = counts.get(kind, 0) + 1

    people = [f"SYNTHETIC Person {i:02d}" for i in range(1, 23)]
    for person in people:
        day = _day(rng)
        add("arrest", {**_head(rng, day), "person": person, "offence": "supplying Class A drugs"})
        add(
            "charge",
            {
                **_head(rng, day),
                "person": person,
                "offence_codes": rng.choice(("92A", "92A;92E", "92A;8N")),
                "offence_count": rng.randrange(2, 6),
            },
        )
    for _ in range(14):
        executed = rng.random() < 0.85
        applied = _day(rng)
        add(
            "warrant",
            {
                **_head(rng, applied + timedelta(days=2)),
                "premises": f"SYNTHETIC {rng.randrange(1, 200)} High Street, {rng.choice(_TOWNS)}",
                "power": "misuse-of-drugs-act-s23",
                "applied_on": applied.isoformat(),
                "granted_on": (applied + timedelta(days=1)).isoformat(),
                "executed_on": (applied + timedelta(days=2)).isoformat() if executed else None,
                "outcome": rng.choice(("drugs-found", "drugs-and-cash-found", "nothing-found"))
                if executed
                else "not-executed",
            },
        )
    for i in range(9):
        type_1 = i < 6
        day = _day(rng)
        add(
            "line-closure",
            {
                **_head(rng, day),
                "line_name": f"SYNTHETIC {('Deano', 'Blade', 'Kenzo', 'Tiny', 'Milo', 'Ace', 'Bravo', 'Jet', 'Rizz')[i]}",
                "number": f"07700 900{100 + i:03d}",
                "closure_type": "type-1" if type_1 else "type-2",
                "holder": people[i] if type_1 else None,
                "charged": "yes" if type_1 else "no",
                "confirmed_out_of_use": "yes" if type_1 else None,
                "deactivated_on": None if type_1 else day.isoformat(),
            },
        )
    for drug, form, quantity, unit_name in (
        ("cocaine", "powder", "0.45", "kg"),
        ("crack-cocaine", "rock", "62", "g"),
        ("heroin", "powder", "118", "g"),
        ("cannabis", "herbal", "3.2", "kg"),
        ("cocaine", "powder", "35", "g"),
        ("ketamine", "powder", "40", "g"),
    ):
        add(
            "drug-seizure",
            {
                **_head(rng),
                "drug": drug,
                "form": form,
                "quantity": quantity,
                "unit": unit_name,
                "location": f"SYNTHETIC address in {rng.choice(_TOWNS)}",
            },
        )
    for amount in ("12450.00", "3980.50", "27100.00"):
        add("cash-seizure", {**_head(rng), "amount": amount, "power": "poca-s294"})
    add(
        "ocg-disruption",
        {
            **_head(rng, END - timedelta(days=10)),
            "ocg": "SYNTHETIC Northside group",
            "level": "major",
            "evidence": "SYNTHETIC: the controller and four runners charged; lines closed",
        },
    )
    add(
        "ocg-disruption",
        {
            **_head(rng, END - timedelta(days=40)),
            "ocg": "SYNTHETIC Riverside group",
            "level": "moderate",
            "evidence": "SYNTHETIC: cash seized and a supply route closed",
        },
    )
    add(
        "cannabis-factory",
        {**_head(rng), "premises": "SYNTHETIC unit 4, Industrial Estate", "plants": 240},
    )
    add("weapon-recovery", {**_head(rng), "weapon": "knife", "count": 3})
    return {"operation": op.name, "operation_id": op.id, **counts}
