"""Bulk import of reports, entities and links from CSV: all or nothing, every problem named.

Three files, any of them optional (a links file alone may link existing entities on
existing reports):

- **reports** — ``reference, scheme, source_evaluation, intelligence_assessment,
  handling_code, conditions, sanitised_text, full_text, originator, reported_on,
  information_date, nim_level, restriction``. ``scheme`` is required on every row:
  ``3x5x2``, or ``5x5x5`` for a legacy grade kept as it was (the two schemes write
  the source and the information the other way round, so a grade without its scheme
  cannot be read);
- **entities** — ``id`` (the file's own id, for the links file), ``kind, label,
  value, aliases`` (``;``-separated), ``date_of_birth, address_lines, latitude,
  longitude, threat_tier``;
- **links** — ``from, to`` (an id from the entities file, or an existing
  ``intelligence-entity:N``), ``kind, strength, start, end, reports`` (``;``-separated
  report references, from the reports file or already held by the force).

As for police.uk loads, every row is checked before anything is written; any
problem refuses the whole import with ``file:line: field: reason`` for each, and the
records database is unchanged. A clean import is one unit of work: every record and
the one access-log entry naming them commit together.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.sources.policeuk.read import Problem

from .entities import EntityDraft, add_entity, add_link, check_link, normalise
from .grading import grade, nim_level
from .models import IntelligenceEntity, IntelligenceReport
from .reports import ReportDraft, add_report, check_draft

MAX_PROBLEMS_SHOWN = 20
MAX_ROWS = 200_000

REPORT_COLUMNS = (
    "reference",
    "scheme",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "sanitised_text",
    "originator",
    "reported_on",
)
ENTITY_COLUMNS = ("id", "kind")
LINK_COLUMNS = ("from", "to", "kind", "strength", "reports")


class ImportRefused(InputError):
    """The import was refused; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [f"{len(problems)} problem(s); nothing was imported:"]
        lines += [f"  {p.describe()}" for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN} more")
        super().__init__("\n".join(lines))


@dataclass
class ImportFile:
    name: str  # as the messages name it
    text: str

    @classmethod
    def read(cls, path: Path) -> ImportFile:
        try:
            return cls(path.name, path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


@dataclass
class Imported:
    reports: int = 0
    entities: int = 0
    links: int = 0
    refs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"imported {self.reports} report(s), {self.entities} entity(ies), {self.links} link(s)"
        )


def _rows(
    f: ImportFile, required: tuple[str, ...], problems: list[Problem]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(f.text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(f.name, 1, "(header)", f"missing column(s): {', '.join(missing)}"))
        return
    reader.fieldnames = header
    for n, row in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            problems.append(Problem(f.name, n, "(file)", f"more than {MAX_ROWS} rows; split it"))
            return
        if None in row:
            problems.append(Problem(f.name, n, "(row)", "more values than columns"))
            continue
        yield n, {k: (v or "").strip() for k, v in row.items() if k is not None}


def _problem(source: str, line: int, exc: InputError) -> Problem:
    """A row's problem from a checker's message, which names its field first ("field: why")."""
    text = str(exc)
    name, _, reason = text.partition(": ")
    return Problem(source, line, name if reason else "(row)", reason or text)


def _date(value: str, required: bool = False) -> date | None:
    if not value:
        if required:
            raise InputError("required (a date like 2025-03-31)")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2025-03-31") from None


def _field(
    problems: list[Problem], f: ImportFile, line: int, name: str, fn: Any, *args: Any
) -> Any:
    try:
        return fn(*args)
    except InputError as exc:
        problems.append(Problem(f.name, line, name, str(exc)))
        return None


def _restriction(value: str) -> Restriction:
    try:
        return Restriction(value or "force")
    except ValueError:
        raise InputError(f"{value!r}; force or restricted") from None


def _report_draft(
    f: ImportFile, line: int, row: dict[str, str], problems: list[Problem]
) -> ReportDraft | None:
    before = len(problems)
    g = _field(
        problems,
        f,
        line,
        "grade",
        grade,
        row["scheme"],
        row["source_evaluation"],
        row["intelligence_assessment"],
        row["handling_code"],
    )
    reported = _field(problems, f, line, "reported_on", _date, row["reported_on"], True)
    info = _field(problems, f, line, "information_date", _date, row.get("information_date", ""))
    level = _field(problems, f, line, "nim_level", nim_level, row.get("nim_level") or "1")
    restriction = _field(problems, f, line, "restriction", _restriction, row.get("restriction", ""))
    if len(problems) > before:
        return None
    draft = ReportDraft(
        reference=row["reference"],
        grade=g,
        sanitised_text=row["sanitised_text"],
        originator=row["originator"],
        reported_on=reported,
        nim_level=level,
        full_text=row.get("full_text") or None,
        information_date=info,
        conditions=row.get("conditions") or None,
        restriction=restriction,
    )
    try:
        check_draft(draft)
    except InputError as exc:
        problems.append(_problem(f.name, line, exc))
        return None
    return draft


def _float(value: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number") from None


def _entity_draft(
    f: ImportFile, line: int, row: dict[str, str], problems: list[Problem]
) -> EntityDraft | None:
    before = len(problems)
    dob = _field(problems, f, line, "date_of_birth", _date, row.get("date_of_birth", ""))
    lat = _field(problems, f, line, "latitude", _float, row.get("latitude", ""))
    lon = _field(problems, f, line, "longitude", _float, row.get("longitude", ""))
    if len(problems) > before:
        return None
    draft = EntityDraft(
        kind=row["kind"].lower(),
        label=row.get("label", ""),
        aliases=tuple(a for a in row.get("aliases", "").split(";") if a.strip()),
        date_of_birth=dob,
        value=row.get("value", ""),
        address_lines=row.get("address_lines", ""),
        latitude=lat,
        longitude=lon,
        threat_tier=row.get("threat_tier", ""),
    )
    try:
        normalise(draft)
    except InputError as exc:
        problems.append(_problem(f.name, line, exc))
        return None
    return draft


def _existing_entity(work: Work, by: Principal, value: str) -> IntelligenceEntity | None:
    kind, _, number = value.partition(":")
    if kind != "intelligence-entity" or not number.isdigit():
        return None
    stmt = select(IntelligenceEntity).where(IntelligenceEntity.id == int(number))
    return work.db.scalars(policy.scope(by, stmt, IntelligenceEntity)).first()


def _existing_report(work: Work, by: Principal, reference: str) -> IntelligenceReport | None:
    stmt = select(IntelligenceReport).where(
        IntelligenceReport.reference == reference, IntelligenceReport.current.is_(True)
    )
    return work.db.scalars(policy.scope(by, stmt, IntelligenceReport)).first()


def import_files(
    engine: Engine,
    by: Principal,
    *,
    reports: ImportFile | None = None,
    entities: ImportFile | None = None,
    links: ImportFile | None = None,
    client: str = "",
) -> Imported:
    """Check every row of every file, then store them all in one unit of work (or nothing)."""
    if reports is None and entities is None and links is None:
        raise InputError("give at least one file: reports, entities or links")
    problems: list[Problem] = []
    report_rows: list[tuple[int, ReportDraft]] = []
    seen_refs: dict[str, int] = {}
    if reports is not None:
        for line, row in _rows(reports, REPORT_COLUMNS, problems):
            draft = _report_draft(reports, line, row, problems)
            if draft is None:
                continue
            if draft.reference in seen_refs:
                problems.append(
                    Problem(
                        reports.name,
                        line,
                        "reference",
                        f"{draft.reference!r} repeats line {seen_refs[draft.reference]}",
                    )
                )
                continue
            seen_refs[draft.reference] = line
            report_rows.append((line, draft))
    entity_rows: dict[str, tuple[int, EntityDraft]] = {}
    if entities is not None:
        for line, row in _rows(entities, ENTITY_COLUMNS, problems):
            local = row["id"]
            if not local:
                problems.append(Problem(entities.name, line, "id", "required (the file's own id)"))
                continue
            if local in entity_rows:
                problems.append(
                    Problem(
                        entities.name, line, "id", f"{local!r} repeats line {entity_rows[local][0]}"
                    )
                )
                continue
            entity_draft = _entity_draft(entities, line, row, problems)
            if entity_draft is not None:
                entity_rows[local] = (line, entity_draft)
    link_rows: list[tuple[int, dict[str, str]]] = []
    if links is not None:
        for line, row in _rows(links, LINK_COLUMNS, problems):
            try:
                check_link(
                    row["kind"],
                    row["strength"],
                    _date(row.get("start", "")),
                    _date(row.get("end", "")),
                )
            except InputError as exc:
                problems.append(_problem(links.name, line, exc))
                continue
            if not [r for r in row["reports"].split(";") if r.strip()]:
                problems.append(
                    Problem(
                        links.name,
                        line,
                        "reports",
                        "a link must rest on at least one report reference",
                    )
                )
                continue
            link_rows.append((line, row))
    if problems:
        raise ImportRefused(problems)

    result = Imported()
    with unit_of_work(
        engine,
        by,
        AuditAction.COLLECTION,
        RecordRef("intelligence-import", "new"),
        client=client,
        details={"files": [f.name for f in (reports, entities, links) if f is not None]},
    ) as work:
        made_reports: dict[str, IntelligenceReport] = {}
        for line, draft in report_rows:
            existing = work.db.scalar(
                policy.privileged(
                    select(IntelligenceReport.id).where(
                        IntelligenceReport.owning_force == by.force,
                        IntelligenceReport.reference == draft.reference,
                    ),
                    "a reference must be unique in the force, even among reports the importer cannot see",
                )
            )
            if existing is not None:
                problems.append(
                    Problem(
                        reports.name if reports else "",
                        line,
                        "reference",
                        f"{draft.reference!r} is already a report of your force",
                    )
                )
                continue
            report = add_report(work, by, draft, None, 1)
            made_reports[report.reference] = report
        made_entities: dict[str, IntelligenceEntity] = {}
        for local, (line, entity_draft) in entity_rows.items():
            try:
                made_entities[local] = add_entity(work.db, by, entity_draft)
            except policy.PolicyDenied as exc:
                problems.append(Problem(entities.name if entities else "", line, "(row)", str(exc)))
        for line, row in link_rows:
            name = links.name if links else ""
            ends: list[IntelligenceEntity] = []
            for column in ("from", "to"):
                entity = made_entities.get(row[column]) or _existing_entity(work, by, row[column])
                if entity is None:
                    problems.append(
                        Problem(
                            name,
                            line,
                            column,
                            f"{row[column]!r} is not an id in the entities file nor an entity "
                            "you may see",
                        )
                    )
                else:
                    ends.append(entity)
            sources: list[IntelligenceReport] = []
            for reference in (r.strip() for r in row["reports"].split(";") if r.strip()):
                source = made_reports.get(reference) or _existing_report(work, by, reference)
                if source is None:
                    problems.append(
                        Problem(name, line, "reports", f"no report {reference!r} that you may see")
                    )
                else:
                    sources.append(source)
            if len(ends) < 2 or not sources:
                continue
            try:
                link = add_link(
                    work.db,
                    by,
                    ends[0],
                    ends[1],
                    row["kind"],
                    row["strength"],
                    sources,
                    start=_date(row.get("start", "")),
                    end=_date(row.get("end", "")),
                )
            except InputError as exc:
                problems.append(Problem(name, line, "(row)", str(exc)))
                continue
            result.links += 1
            result.refs.append(str(link.ref))
        if problems:
            raise ImportRefused(problems)  # the unit of work rolls every row back
        result.reports = len(made_reports)
        result.entities = len(made_entities)
        result.refs = [
            *(str(r.ref) for r in made_reports.values()),
            *(str(e.ref) for e in made_entities.values()),
            *result.refs,
        ]
        work.details.update(
            {
                "reports": result.reports,
                "entities": result.entities,
                "links": result.links,
                "records": result.refs[:1000],
            }
        )
    return result
