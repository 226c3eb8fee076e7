"""Shared set-up of the operations tests: who acts, an operation, a price table, CSV writing."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.operations import prices, service
from harmwatch.security.roles import Role

FORCE, OTHER_FORCE = "hertfordshire", "bedfordshire"
UNIT, OTHER_UNIT = "herts-ocu", "herts-snt"
WHY = "Op Hypernova: results and summary tests"


def who(role: Role, unit: str = UNIT, force: str = FORCE, name: str | None = None) -> Principal:
    return Principal(name or f"{role.value}-{force}-{unit}", role, force, frozenset({unit}))


ANALYST = who(Role.ANALYST, name="analyst")
OFFICER = who(Role.INTELLIGENCE_OFFICER, name="io")
PCC = who(Role.PCC_VIEWER, name="pcc")

#: A force's own price table, per gram (or per tablet / plant): low and high in pounds.
PRICES = [
    {
        "drug": "cocaine",
        "form": "powder",
        "region": "national",
        "unit": "g",
        "low": "40",
        "high": "80",
    },
    {
        "drug": "cannabis",
        "form": "herbal",
        "region": "national",
        "unit": "g",
        "low": "5",
        "high": "10",
    },
    {
        "drug": "heroin",
        "form": "powder",
        "region": "national",
        "unit": "g",
        "low": "30",
        "high": "60",
    },
]


def load_prices(engine: Engine, by: Principal = ANALYST, rows: Sequence[dict[str, Any]] = PRICES,
                *, valid_from: date = date(2024, 1, 1)) -> prices.TableView:  # fmt: skip
    return prices.load_table(
        engine,
        by,
        list(rows),
        name="Hertfordshire street prices",
        source="Hertfordshire drugs expert witness survey (test figures)",
        valid_from=valid_from,
    )


def hypernova(engine: Engine, by: Principal = ANALYST) -> service.OperationView:
    return service.record_operation(
        engine,
        by,
        {
            "name": "Op Hypernova",
            "partner_forces": "bedfordshire; cambridgeshire",
            "partner_agencies": "NCA; British Transport Police",
            "starts_on": "2024-06-01",
            "aims": "Close the county lines supplying Hertfordshire from London.",
        },
    )


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path
