"""What is loaded: rows per kind, force, month and crime type, rejects and provenance.

Provenance lists who loaded each file (``loaded_by``: ``web:<user>`` or
``cli:<os user>``); files loaded before harmwatch recorded it say so in words
(:data:`harmwatch.storage.analytics.LOADED_BY_UNKNOWN`) rather than show a blank.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harmwatch.storage.analytics import LOADED_BY_UNKNOWN, AnalyticsStore
from harmwatch.timeline.months import consecutive_runs

# The provenance fields listed per load, in this order.
LOAD_FIELDS = (
    "load_id", "run_id", "loaded_at", "source", "file_name", "size_bytes", "sha256",
    "kind", "force", "month", "months", "rows_loaded", "rows_rejected",
    "rows_without_location", "lsoa_vintage", "lenient", "loaded_by",
)  # fmt: skip


@dataclass
class StoreStatus:
    db_path: str
    rows: dict[str, int] = field(default_factory=dict)
    drugs_rows: dict[str, int] = field(default_factory=dict)
    rows_without_location: dict[str, int] = field(default_factory=dict)
    by_force_month: list[dict[str, Any]] = field(default_factory=list)
    by_crime_type: list[dict[str, Any]] = field(default_factory=list)
    month_runs: list[dict[str, Any]] = field(default_factory=list)
    rejects: int = 0
    rejects_by_reason: list[dict[str, Any]] = field(default_factory=list)
    loads: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_status(db_path: str | Path) -> StoreStatus:
    """Summarise the analytics database (read-only)."""
    with AnalyticsStore.open(db_path) as store:
        status = StoreStatus(db_path=str(db_path))
        for counts in store.kind_counts():
            status.rows[counts.kind] = counts.rows
            status.drugs_rows[counts.kind] = counts.drugs_rows
            status.rows_without_location[counts.kind] = counts.without_location
        status.by_force_month = [
            {
                "kind": d.kind,
                "force": d.force,
                "month": d.month,
                "rows": d.rows,
                "load_id": d.load_id,
            }
            for d in store.datasets()
        ]
        status.by_crime_type = [
            {"force": c.force, "crime_type": c.crime_type, "rows": c.rows}
            for c in store.street_counts_by_force_and_type()
        ]
        months: dict[tuple[str, str], list[str]] = {}
        for row in status.by_force_month:
            months.setdefault((row["kind"], row["force"]), []).append(row["month"])
        for (kind, force), ms in sorted(months.items()):
            for run in consecutive_runs(ms):
                status.month_runs.append(
                    {
                        "kind": kind,
                        "force": force,
                        "first": run[0],
                        "last": run[-1],
                        "months": len(run),
                    }
                )
        status.rejects = store.current_reject_count()
        status.rejects_by_reason = [
            {"source": r.source, "field": r.field, "reason": r.reason, "line": r.line}
            for r in store.current_rejects(limit=200)
        ]
        for load in store.current_loads():
            entry = {name: getattr(load, name) for name in LOAD_FIELDS}
            entry["loaded_at"] = load.loaded_at.isoformat()
            entry["loaded_by"] = load.loaded_by or LOADED_BY_UNKNOWN
            status.loads.append(entry)
        return status
