"""One detection run: its findings as a document, a CSV and evidential schedules.

The document (``harmwatch county-lines detect --json``) has ``deal_lines`` (numbers),
``roles`` (number → ``controller`` | ``runner`` | ``user`` | ``line``),
``cuckooed_cells`` (cell ids), and ``lines``: for each, its numbers over time, its
handsets, roles, continuity, cuckooed cells, customer counts and the evidence of
each flag — plus the rules used, the files read and a ``synthetic`` mark when any
file is synthetic. Each finding can be turned into a schedule: the contacts behind it
with the file, line and authority reference of every row, ready for disclosure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from harmwatch.engines import EngineChoice
from harmwatch.errors import InputError, NotFoundError

from . import detection, parties
from . import lines as linking
from .lines import CustomerCounts, DetectedLine
from .rules import DetectionRules

Progress = Callable[[str, float], None]


@dataclass
class Detection:
    rules: DetectionRules
    files: list[str]
    scores: list[detection.NumberScore]
    lines: list[DetectedLine]
    counts: dict[str, CustomerCounts]
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def deal_lines(self) -> list[str]:
        return sorted({n.number for line in self.lines for n in line.numbers})

    @property
    def roles(self) -> dict[str, str]:
        out: dict[str, str] = {}
        # Weakest first, so a stronger role found on another line wins.
        for line in self.lines:
            for role, numbers in (
                ("user", line.users), ("runner", line.runners), ("controller", line.controllers)
            ):  # fmt: skip
                for n in numbers:
                    out[n] = role if _rank(role) >= _rank(out.get(n)) else out[n]
        for n in self.deal_lines:
            out[n] = "line"
        return dict(sorted(out.items()))

    @property
    def cuckooed_cells(self) -> list[str]:
        return sorted({c.cell_id for line in self.lines for c in line.cuckooed})

    def line(self, line_id: str) -> DetectedLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise NotFoundError(f"no detected line {line_id}; lines: {', '.join(self.line_ids)}")

    @property
    def line_ids(self) -> list[str]:
        return [line.line_id for line in self.lines]

    def to_document(self) -> dict[str, Any]:
        return {
            "synthetic": self.synthetic,
            "files": self.files,
            "rules": self.rules.as_dict(),
            "deal_lines": self.deal_lines,
            "roles": self.roles,
            "cuckooed_cells": self.cuckooed_cells,
            "lines": [
                {
                    **_jsonable(asdict(line)),
                    "customer_counts": _jsonable(asdict(self.counts[line.line_id])),
                }
                for line in self.lines
            ],
            "scores": [_jsonable(asdict(s)) for s in self.scores],
            "notes": self.notes,
        }


def _rank(role: str | None) -> int:
    return {None: 0, "user": 1, "runner": 2, "controller": 3, "line": 4}.get(role, 0)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def detect(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    rules: DetectionRules | None = None,
    *,
    progress: Progress | None = None,
    engine: EngineChoice | None = None,
) -> Detection:
    """Run the whole detector over the visible files (see :mod:`.detection`, :mod:`.lines`).

    ``engine`` Spark: the scoring runs there and line assembly here (:mod:`.distributed`);
    the result is the one DuckDB gives.
    """
    rules = rules or DetectionRules()

    def step(what: str, done: float) -> None:
        if progress is not None:
            progress(what, done)

    return _detect(con, files, rules, step, engine or EngineChoice())


@parties.within_work_memory
def _detect(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    rules: DetectionRules,
    step: Callable[[str, float], None],
    engine: EngineChoice,
) -> Detection:
    if engine.name == "spark":
        from . import distributed

        scores, found = distributed.detect(con, files, rules, engine, step)
    else:
        detection.scope(con, files)
        step("orders, locations and usual night cells", 0.05)
        detection.build_base(con, rules)
        step("scoring candidate numbers", 0.35)
        scores = detection.score_numbers(con, rules)
        step("continuity, roles and cuckooed cells", 0.7)
        found = linking.assemble(con, rules, scores)
    step("customer counts", 0.9)
    counts = {line.line_id: linking.customer_counts(con, rules, line.line_id) for line in found}
    synthetic = bool(
        files
        and con.execute(
            "SELECT bool_or(synthetic) FROM call_files WHERE file_id IN (SELECT file_id FROM hw_files)"
        ).fetchone()[0]  # type: ignore[index]
    )
    notes = []
    if not files:
        notes.append("no call-data files you may see: nothing to analyse")
    step("done", 1.0)
    return Detection(rules, list(files), scores, found, counts, synthetic, notes)


def lines_csv(result: Detection) -> str:
    """One row per number of interest: its role, line, and the flag's evidence."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line_id", "number", "role", "first_seen", "last_seen", "how", "evidence"])
    for line in result.lines:
        for n in line.numbers:
            writer.writerow(
                [line.line_id, n.number, "line", n.first_seen, n.last_seen, n.how,
                 "; ".join(line.evidence.get(n.number, []))]
            )  # fmt: skip
        for role, numbers in (
            ("controller", line.controllers), ("runner", line.runners), ("user", line.users)
        ):  # fmt: skip
            for number in numbers:
                writer.writerow([line.line_id, number, role, "", "", "", ""])
    if result.synthetic:
        writer.writerow(
            ["SYNTHETIC", "every row above comes from synthetic call data", "", "", "", "", ""]
        )
    return out.getvalue()


# -- schedules ------------------------------------------------------------------------

SCHEDULE_COLUMNS = (
    "file_id", "file_name", "line", "authority_ref", "legal_basis", "started_utc",
    "started_local", "a_party", "b_party", "event", "duration_s", "located", "imei",
    "cell_id",
)  # fmt: skip

FINDINGS = ("line", "role", "cuckooed", "customers", "confirmed-customers")


@dataclass(frozen=True)
class Schedule:
    title: str
    finding: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    synthetic: bool

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([f"# {self.title}"])
        if self.synthetic:
            writer.writerow(["# SYNTHETIC call data: not evidence of anything"])
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def schedule(
    con: duckdb.DuckDBPyConnection,
    result: Detection,
    finding: str,
    line_id: str,
    number: str | None = None,
) -> Schedule:
    """The rows behind one finding, each with its file, line and authority reference.

    ``line``: every event of the line's numbers. ``role``: every event between the line's
    numbers and ``number`` (a controller's contacts, a user's orders) and, for a runner,
    the runner's own located events while co-located. ``cuckooed``: the line's located
    events in the cuckooed cell on the nights reported. ``customers`` /
    ``confirmed-customers``: the contacts the customer counts kept.
    """
    if finding not in FINDINGS:
        raise InputError(f"finding: {finding!r} is not one of {', '.join(FINDINGS)}")
    line = result.line(line_id)
    line_numbers = [n.number for n in line.numbers]
    cols = ", ".join(
        f"e.{c}" if c not in ("file_name", "authority_ref", "legal_basis") else f"f.{c}"
        for c in SCHEDULE_COLUMNS
    )
    base = f"SELECT {cols} FROM hw_ev e JOIN call_files f USING (file_id)"
    order = " ORDER BY e.started_utc, e.file_id, e.line"
    params: list[Any]
    if finding == "line":
        sql = f"{base} WHERE e.a_party IN ? OR e.b_party IN ?{order}"
        params = [line_numbers, line_numbers]
        title = f"{line_id}: every event of its numbers ({', '.join(line_numbers)})"
    elif finding == "role":
        if number is None:
            raise InputError("number: required for a role schedule")
        role = result.roles.get(number)
        if role is None or role == "line":
            raise NotFoundError(f"{number} has no role on {line_id}")
        sql = (
            f"{base} WHERE (e.a_party IN ? AND e.b_party = ?) OR (e.b_party IN ? AND e.a_party = ?)"
        )
        params = [line_numbers, number, line_numbers, number]
        if role == "runner":
            sql += (
                " OR (e.located = ? AND EXISTS (SELECT 1 FROM hw_ev x WHERE x.located IN ? "
                "AND x.cell_id = e.cell_id AND abs(epoch(x.started_utc) - epoch(e.started_utc)) "
                f"<= {int(result.rules.colocation_minutes) * 60}))"
            )
            params += [number, line_numbers]
        sql += order
        title = f"{line_id}: {number} as {role}: the contacts (and co-locations) behind it"
    elif finding == "cuckooed":
        cells = (
            line.cuckooed if number is None else [c for c in line.cuckooed if c.cell_id == number]
        )
        if not cells:
            raise NotFoundError(f"no cuckooed cell {number or ''} on {line_id}".replace("  ", " "))
        clauses = " OR ".join(
            "(e.cell_id = ? AND CAST(e.started_local - INTERVAL 6 HOUR AS DATE) BETWEEN ? AND ?)"
            for _ in cells
        )
        sql = f"{base} WHERE e.located IN ? AND ({clauses}){order}"
        params = [line_numbers]
        for c in cells:
            params += [c.cell_id, c.first_night, c.last_night]
        title = f"{line_id}: the line's events in the cuckooed cell(s) {', '.join(c.cell_id for c in cells)}"
    else:
        con.execute(linking.counted_contacts_sql(result.rules, line_id), [line_id])
        confirmed = " AND k.confirmed" if finding == "confirmed-customers" else ""
        sql = (
            f"{base} JOIN hw_counted k ON k.file_id = e.file_id AND k.line = e.line "
            f"WHERE TRUE{confirmed}{order}"
        )
        params = []
        counts = result.counts[line_id]
        figure = counts.confirmed_customer_days if confirmed else counts.customer_days
        title = (
            f"{line_id}: the {figure} {finding.replace('-', ' ')}-days counted, contact by contact"
        )
    rows = con.execute(sql, params).fetchall()
    return Schedule(title, finding, SCHEDULE_COLUMNS, [tuple(r) for r in rows], result.synthetic)
