"""What is loaded: rows per kind, force, month and crime type, rejects and provenance."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harmwatch.storage import analytics
from harmwatch.timeline.months import consecutive_runs


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
    con = analytics.connect(db_path, read_only=True)
    try:
        status = StoreStatus(db_path=str(db_path))
        for table, kind in (
            ("street", "street"),
            ("outcomes", "outcomes"),
            ("stop_search", "stop-and-search"),
        ):
            drugs = (
                "crime_type = 'Drugs'"
                if table == "street"
                else "object_of_search = 'Controlled drugs'"
                if table == "stop_search"
                else "false"
            )
            n, n_drugs, n_noloc = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {drugs}), "
                f"count(*) FILTER (WHERE x IS NULL) FROM {table}"
            ).fetchall()[0]
            status.rows[kind] = int(n)
            status.drugs_rows[kind] = int(n_drugs)
            status.rows_without_location[kind] = int(n_noloc)

        status.by_force_month = [
            {"kind": k, "force": f, "month": m, "rows": int(r), "load_id": int(lid)}
            for k, f, m, r, lid in con.execute(
                "SELECT kind, force, strftime(month, '%Y-%m'), rows, load_id FROM datasets "
                "ORDER BY kind, force, month"
            ).fetchall()
        ]
        status.by_crime_type = [
            {"force": f, "crime_type": c, "rows": int(r)}
            for f, c, r in con.execute(
                "SELECT force, crime_type, count(*) FROM street GROUP BY ALL ORDER BY force, crime_type"
            ).fetchall()
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
        status.rejects = int(
            con.execute(
                "SELECT count(DISTINCT (r.load_id, r.line)) FROM rejects r "
                "JOIN loads l USING (load_id) WHERE l.replaced_by_run IS NULL"
            ).fetchall()[0][0]
        )
        status.rejects_by_reason = [
            {"source": s, "field": f, "reason": r, "line": int(line)}
            for s, f, r, line in con.execute(
                "SELECT r.source, r.field, r.reason, r.line FROM rejects r JOIN loads l USING (load_id) "
                "WHERE l.replaced_by_run IS NULL ORDER BY r.source, r.line LIMIT 200"
            ).fetchall()
        ]
        columns = [
            "load_id", "run_id", "loaded_at", "source", "file_name", "size_bytes", "sha256",
            "kind", "force", "month", "months", "rows_loaded", "rows_rejected",
            "rows_without_location", "lsoa_vintage", "lenient",
        ]  # fmt: skip
        status.loads = [
            {
                c: (v.isoformat() if hasattr(v, "isoformat") else v)
                for c, v in zip(columns, row, strict=True)
            }
            for row in con.execute(
                f"SELECT {', '.join(columns)} FROM loads WHERE replaced_by_run IS NULL ORDER BY load_id"
            ).fetchall()
        ]
        return status
    finally:
        con.close()
