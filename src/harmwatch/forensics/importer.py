"""Import forensic casework from force exports: case management, LIMS and custody logs.

A force holds its forensic casework in two systems that do not know each other: the
case-management system (the case, its offence, where it stands in the criminal
justice system, the officer in charge, the defendant) and the forensic provider's
laboratory information management system, LIMS (each exhibit, its test, laboratory,
analyst, dates and results). A third export, the property store's custody log, holds
every movement of every exhibit. Each is a CSV (or CSV.GZ) file whose columns an
import spec maps (:mod:`harmwatch.sources.importspec`) to a :class:`TargetSchema`:

- :data:`CASE_MANAGEMENT`: one row per case;
- :data:`LIMS`: one row per result, so several rows per exhibit (the exhibit's columns
  repeated, and they must agree); an exhibit with no result yet is one row with the
  result columns blank. A repeated result for an analyte of an exhibit is a new
  **version** only when the row says why in the ``amendment_reason`` column; without
  it, the row is refused (a correction that gives no reason is not evidence);
- :data:`CUSTODY`: one row per custody event.

**All or nothing.** The files given together are read and every row checked before
anything is stored, then stored in **one unit of work** (:mod:`harmwatch.kernel.work`):
if any row of any file is bad, the whole import is refused with every problem as
``file:line: field (column): reason`` and nothing is stored. An exhibit whose case is
neither in the files imported with it nor already held by the importer's force is a
row error, as is a custody event for an exhibit not held; a case reference already
held is refused (correct the record instead of importing it again).

Results and custody events are appended to each exhibit's hash chain
(:mod:`.chain`), whose heads the import's access-log entry anchors. Providers and
laboratories are created the first time a file names them (``fictional`` from the
spec's ``[options]``; accreditation from ``[options.providers."NAME"]``).

Spec options (``[options]``): ``date_format`` (strptime codes of the date columns;
default ``%Y-%m-%d``), ``synthetic`` (the records are generated), ``fictional`` (new
providers are fictional), ``providers`` (accreditation of providers first named).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Handling, HandlingCode, Restriction, envelope
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Work, unit_of_work
from harmwatch.sources.csvfiles import (
    MAX_PROBLEMS,
    ImportRefused,
    check_columns,
    open_text,
    read_header,
)
from harmwatch.sources.importspec import (
    ISO8601,
    ImportSpec,
    SpecError,
    TargetField,
    TargetSchema,
    TimeSpec,
    load_spec,
)
from harmwatch.storage import models

from . import chain

# One vocabulary for every way in (form, API, import): the forms module's.
from .forms import (
    CJ_STATUSES,
    CONDITIONS,
    COURTS,
    CUSTODY_ACTIONS,
    CUSTODY_STATUSES,
    EXHIBIT_TYPES,
    LIVE_STATUSES,
)
from .kinds import CASES, EXHIBITS
from .models import (
    ExhibitResult,
    ForensicCase,
    ForensicExhibit,
    ForensicLaboratory,
    ForensicProvider,
)

DEFAULT_DATE_FORMAT = "%Y-%m-%d"


class Kind(StrEnum):
    """Which export a file is."""

    CASE_MANAGEMENT = "case-management"
    LIMS = "lims"
    CUSTODY = "custody"


CASE_MANAGEMENT = TargetSchema(
    name="forensic case management",
    fields=(
        TargetField("reference", required=True, help="the force's case reference"),
        TargetField("offence_code", required=True, help="the offence's code (e.g. RTA5A, 92A)"),
        TargetField("offence", help="the offence in words (absent: the code)"),
        TargetField(
            "cj_status", "choice", required=True, help="where the case stands in the CJ system"
        ),
        TargetField("next_hearing_on", help="the next hearing's date (awaiting trial: required)"),
        TargetField("custody_status", "choice", help="absent: not-applicable"),
        TargetField("decided_on", help="the verdict's or disposal's date"),
        TargetField("court", "choice", help="magistrates or crown"),
        TargetField("officer_in_charge", required=True, help="the officer in the case"),
        TargetField("subject_label", required=True, help="the suspect or defendant"),
    ),
    choices={"cj_status": CJ_STATUSES, "custody_status": CUSTODY_STATUSES, "court": COURTS},
)

LIMS = TargetSchema(
    name="forensic LIMS",
    fields=(
        TargetField("exhibit_reference", required=True, help="the exhibit's unique reference"),
        TargetField("case_reference", required=True, help="the case the exhibit belongs to"),
        TargetField("exhibit_type", "choice", required=True, help="blood, urine, drug exhibit …"),
        TargetField("test_requested", required=True, help="the test asked of the laboratory"),
        TargetField("provider", help="the forensic science provider"),
        TargetField("laboratory", help="the provider's laboratory"),
        TargetField("analyst"),
        TargetField("taken_at", "timestamp", required=True, help="when the sample was taken"),
        TargetField("sent_on"),
        TargetField("received_on"),
        TargetField("tested_on"),
        TargetField("reported_on"),
        TargetField("remaining_quantity", "number"),
        TargetField("remaining_unit"),
        TargetField("storage_location"),
        TargetField("analyte", help="blank: no result yet"),
        TargetField("value", help="a number, or <LOQ / <LOD / ND as reported"),
        TargetField("unit"),
        TargetField("method"),
        TargetField("uncertainty", "number", help="± in the result's unit"),
        TargetField("amendment_reason", help="why a repeated result replaces the earlier one"),
    ),
    choices={"exhibit_type": EXHIBIT_TYPES},
)

CUSTODY = TargetSchema(
    name="forensic custody log",
    fields=(
        TargetField("exhibit_reference", required=True, help="the exhibit handled"),
        TargetField("at", "timestamp", required=True, help="when it happened"),
        TargetField("action", "choice", required=True, help="seized, sealed, transferred …"),
        TargetField("handled_by", required=True, help="who handled it"),
        TargetField("location", required=True, help="where"),
        TargetField("seal_number"),
        TargetField("condition", "choice", help="absent: intact"),
        TargetField("notes"),
    ),
    choices={"action": CUSTODY_ACTIONS, "condition": CONDITIONS},
)

SCHEMAS: Mapping[Kind, TargetSchema] = {
    Kind.CASE_MANAGEMENT: CASE_MANAGEMENT,
    Kind.LIMS: LIMS,
    Kind.CUSTODY: CUSTODY,
}


class ForensicImportRefused(ImportRefused):
    """Forensic files were not imported; ``problems`` say file:line: field: reason."""


def kind_of(text: str | Kind) -> Kind:
    try:
        return Kind(str(text).strip().lower())
    except ValueError:
        raise InputError(
            f"kind: {text!r} is not one of {', '.join(k.value for k in Kind)}"
        ) from None


def check_spec(spec: ImportSpec) -> None:
    """What the schema cannot say: the date format and the providers' accreditation."""
    fmt = spec.options.get("date_format", DEFAULT_DATE_FORMAT)
    if not isinstance(fmt, str) or "%" not in fmt:
        raise SpecError(f"{spec.source}: options.date_format: strptime codes, e.g. %d/%m/%Y")
    for flag in ("synthetic", "fictional"):
        if not isinstance(spec.options.get(flag, False), bool):
            raise SpecError(f"{spec.source}: options.{flag}: true or false")
    providers = spec.options.get("providers", {})
    if not isinstance(providers, Mapping):
        raise SpecError(f"{spec.source}: options.providers: a table per provider name")
    allowed = {"accreditation_body", "accreditation_number", "accreditation_scope"}
    dated = {"accredited_from", "accredited_until"}
    for name, terms in providers.items():
        where = f"{spec.source}: options.providers.{name}"
        if not isinstance(terms, Mapping):
            raise SpecError(f"{where}: a table of accreditation keys")
        for key, value in terms.items():
            if key in dated:
                if not isinstance(value, date) and not _iso_date(value):
                    raise SpecError(f"{where}.{key}: a date (YYYY-MM-DD)")
            elif key not in allowed or not isinstance(value, str):
                raise SpecError(
                    f"{where}.{key}: keys are {', '.join(sorted(allowed | dated))} (text or dates)"
                )


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def load(path: str | Path, kind: str | Kind) -> ImportSpec:
    """Read and check the import spec at ``path`` for files of ``kind``."""
    spec = load_spec(path, SCHEMAS[kind_of(kind)])
    check_spec(spec)
    return spec


@dataclass(frozen=True)
class ImportTerms:
    """How the imported records are held: owning unit (default the importer's first),
    restriction, handling code, retention group; ``synthetic`` marks them generated
    (a spec's ``options.synthetic`` does too)."""

    unit: str | None = None
    restriction: Restriction = Restriction.FORCE
    handling: Handling = field(default_factory=lambda: Handling(HandlingCode.P))
    retention: str = "mopi-3"
    synthetic: bool = False


@dataclass
class FileOutcome:
    file: str
    kind: str
    sha256: str
    spec: str
    spec_sha256: str
    rows: int
    cases: int = 0
    exhibits: int = 0
    results: int = 0
    amendments: int = 0
    custody_events: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportOutcome:
    """What one import stored (every file in one unit of work)."""

    files: list[FileOutcome]
    providers_created: list[str] = field(default_factory=list)
    laboratories_created: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [f.to_json() for f in self.files],
            "cases": self.total("cases"),
            "exhibits": self.total("exhibits"),
            "results": self.total("results"),
            "amendments": self.total("amendments"),
            "custody_events": self.total("custody_events"),
            "providers_created": self.providers_created,
            "laboratories_created": self.laboratories_created,
        }


# -- reading ------------------------------------------------------------------------


class _Problems:
    """Every problem of the import, as ``file:line: field (column): reason``."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(text)


@dataclass
class _Row:
    """One row of a file: its mapped values (text, trimmed) and where it is."""

    name: str
    line: int
    values: dict[str, str]
    spec: ImportSpec
    problems: _Problems
    bad: bool = False

    def where(self) -> str:
        return f"{self.name}:{self.line}"

    def refuse(self, field_name: str, reason: str) -> None:
        column = self.spec.column(field_name)
        label = f"{field_name} ({column})" if column else field_name
        self.problems.add(f"{self.where()}: {label}: {reason}")
        self.bad = True

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name, "")
        if not value:
            if required:
                self.refuse(name, "empty: a value is required")
            return None
        return value

    def choice(
        self, name: str, *, required: bool = False, default: str | None = None
    ) -> str | None:
        raw = self.text(name, required=required)
        if raw is None:
            return default
        mapping = self.spec.choices.get(name, {})
        found = mapping.get(raw.casefold())
        if found is None:
            listed = ", ".join(sorted(mapping)) or "nothing"
            self.refuse(name, f"{raw!r} is not a value the spec maps (it maps: {listed})")
        return found

    def day(self, name: str, *, future: bool = False) -> date | None:
        raw = self.text(name)
        if raw is None:
            return None
        fmt = str(self.spec.options.get("date_format", DEFAULT_DATE_FORMAT))
        try:
            value = datetime.strptime(raw, fmt).date()
        except ValueError:
            self.refuse(name, f"{raw!r} is not a date in the format {fmt}")
            return None
        if not future and value > models.utcnow().date():
            self.refuse(name, f"{value.isoformat()} is in the future")
        return value

    def instant(self, name: str) -> datetime | None:
        raw = self.text(name, required=True)
        if raw is None:
            return None
        assert self.spec.time is not None  # every schema's timestamp field is required
        try:
            value = to_utc(raw, self.spec.time)
        except ValueError as exc:
            self.refuse(name, str(exc))
            return None
        if value > models.utcnow():
            self.refuse(name, f"{raw} is in the future")
        return value

    def decimal(self, name: str, *, negative: bool = False) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            self.refuse(name, f"{raw!r} is not a number")
            return None
        if not number.is_finite() or (number < 0 and not negative):
            self.refuse(name, f"{raw!r} is not a number of 0 or more")
            return None
        return raw


def to_utc(raw: str, spec: TimeSpec) -> datetime:
    """``raw`` read by the spec's time format and zone, as an aware UTC instant.

    A wall time the zone skips or repeats is refused unless the spec says how to read
    it (``time.nonexistent`` / ``time.ambiguous``), as every import here does.
    """
    try:
        if spec.format == ISO8601:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        else:
            parsed = datetime.strptime(raw, spec.format)
    except ValueError:
        raise ValueError(f"{raw!r} is not a time in the spec's format ({spec.format})") from None
    if spec.carries_offset:
        if parsed.tzinfo is None:
            raise ValueError(f"{raw!r} has no offset (Z or +hh:mm)")
        return parsed.astimezone(UTC)
    zone = ZoneInfo(spec.zone)
    first = parsed.replace(tzinfo=zone, fold=0)
    second = parsed.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    # PEP 495: in a gap, fold=0 takes the offset from before the change (shift-forward).
    skipped = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed
    if skipped:
        if spec.nonexistent == "refuse":
            raise ValueError(
                f"{raw} does not exist in {spec.zone} (the clocks went forward); set "
                "time.nonexistent in the spec to resolve it"
            )
        return first.astimezone(UTC)
    if spec.ambiguous == "refuse":
        raise ValueError(
            f"{raw} occurs twice in {spec.zone} (the clocks went back); set time.ambiguous "
            '= "earlier" or "later" in the spec'
        )
    return (first if spec.ambiguous == "earlier" else second).astimezone(UTC)


def _encoding(spec: ImportSpec) -> str:
    return "utf-8-sig" if spec.encoding.startswith("utf-8") else spec.encoding


def _read(path: Path, spec: ImportSpec, problems: _Problems) -> tuple[str, list[_Row]]:
    """The file's SHA-256 and rows (only the mapped columns are kept)."""
    header = read_header(path, spec, ForensicImportRefused)
    check_columns(path, spec, header, ForensicImportRefused)
    digest = hashlib.sha256()
    rows: list[_Row] = []
    index = {name: header.index(column) for name, column in spec.columns.items()}
    try:
        with open_text(path) as raw:
            data = raw.read()
    except (OSError, EOFError) as exc:
        raise ForensicImportRefused(f"{path.name}: cannot read the file ({exc})") from None
    with path.open("rb") as handle:
        digest.update(handle.read())
    try:
        text = data.decode(_encoding(spec))
    except UnicodeDecodeError as exc:
        raise ForensicImportRefused(
            f"{path.name}: not {spec.encoding} text (byte {exc.start}); set spec.encoding"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    next(reader, None)
    line = 2
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(cells) != len(header):
                problems.add(
                    f"{path.name}:{line}: row: {len(cells)} fields where the header has "
                    f"{len(header)}"
                )
            else:
                values = {name: cells[i].strip() for name, i in index.items()}
                rows.append(_Row(path.name, line, values, spec, problems))
        line = reader.line_num + 1
    if not rows and not problems.count:
        problems.add(f"{path.name}:2: the file has a header but no rows")
    return digest.hexdigest(), rows


# -- checking ------------------------------------------------------------------------


@dataclass
class _Case:
    row: _Row
    values: dict[str, Any]


@dataclass
class _Result:
    row: _Row
    values: dict[str, Any]


@dataclass
class _Exhibit:
    row: _Row
    case_reference: str
    values: dict[str, Any]  # the exhibit's own columns (None for one already held)
    provider: str | None
    laboratory: str | None
    results: list[_Result] = field(default_factory=list)


@dataclass
class _Custody:
    row: _Row
    exhibit_reference: str
    values: dict[str, Any]


_EXHIBIT_FIELDS = (
    "case_reference", "exhibit_type", "test_requested", "provider", "laboratory", "analyst",
    "taken_at", "sent_on", "received_on", "tested_on", "reported_on", "remaining_quantity",
    "remaining_unit", "storage_location",
)  # fmt: skip


def _check_case(row: _Row) -> dict[str, Any] | None:
    values: dict[str, Any] = {
        "reference": row.text("reference", required=True),
        "offence_code": row.text("offence_code", required=True),
        "cj_status": row.choice("cj_status", required=True),
        "next_hearing_on": row.day("next_hearing_on", future=True),
        "custody_status": row.choice("custody_status", default="not-applicable"),
        "decided_on": row.day("decided_on"),
        "court": row.choice("court"),
        "officer_in_charge": row.text("officer_in_charge", required=True),
        "subject_label": row.text("subject_label", required=True),
    }
    values["offence"] = row.text("offence") or values["offence_code"]
    status = values["cj_status"]
    if status == "awaiting-trial" and values["next_hearing_on"] is None:
        row.refuse("next_hearing_on", "a case awaiting trial needs its next hearing's date")
    if status in ("convicted", "acquitted") and values["decided_on"] is None:
        row.refuse("decided_on", f"a case {status} needs the verdict's date")
    if status in LIVE_STATUSES and values["decided_on"] is not None:
        row.refuse("decided_on", f"a case {status} has no decision yet")
    hearing, decided = values["next_hearing_on"], values["decided_on"]
    if status not in LIVE_STATUSES and hearing and decided and hearing <= decided:
        # A decided case's next hearing (sentence, appeal) follows its decision.
        row.refuse("next_hearing_on", f"not after the decision of a case {status}")
    return None if row.bad else values


def _check_exhibit_row(row: _Row) -> tuple[dict[str, Any], _Result | None]:
    values: dict[str, Any] = {
        "case_reference": row.text("case_reference", required=True),
        "exhibit_type": row.choice("exhibit_type", required=True),
        "test_requested": row.text("test_requested", required=True),
        "provider": row.text("provider"),
        "laboratory": row.text("laboratory"),
        "analyst": row.text("analyst"),
        "taken_at": row.instant("taken_at"),
        "sent_on": row.day("sent_on"),
        "received_on": row.day("received_on"),
        "tested_on": row.day("tested_on"),
        "reported_on": row.day("reported_on"),
        "remaining_quantity": row.decimal("remaining_quantity"),
        "remaining_unit": row.text("remaining_unit"),
        "storage_location": row.text("storage_location"),
    }
    if values["laboratory"] and not values["provider"]:
        row.refuse("provider", "a laboratory is named: say whose (the provider)")
    if values["remaining_quantity"] is not None and not values["remaining_unit"]:
        row.refuse("remaining_unit", "a remaining quantity needs its unit")
    previous: tuple[str, date | None] | None = None
    taken = values["taken_at"]
    if taken is not None:
        previous = ("taken_at", taken.astimezone(ZoneInfo("Europe/London")).date())
    for name in ("sent_on", "received_on", "tested_on", "reported_on"):
        day = values[name]
        if day is None:
            continue
        if previous is not None and previous[1] is not None and day < previous[1]:
            row.refuse(name, f"{day.isoformat()} is before {previous[0]} ({previous[1]})")
        previous = (name, day)
    result = None
    analyte = row.text("analyte")
    if analyte:
        result_values = {
            "analyte": analyte,
            "value": _result_value(row),
            "unit": row.text("unit", required=True),
            "method": row.text("method") or "",
            "uncertainty": row.decimal("uncertainty"),
            "reported_on": values["reported_on"],
            "amendment_reason": row.text("amendment_reason"),
        }
        result = _Result(row, result_values)
    else:
        for name in ("value", "unit", "uncertainty", "amendment_reason"):
            if row.text(name):
                row.refuse(name, "given without an analyte: say what was measured")
    return values, result


def _result_value(row: _Row) -> str | None:
    """A number as reported, or a censored result (<LOQ, <LOD, <0.5, ND) kept as given."""
    raw = row.text("value", required=True)
    if raw is None:
        return None
    folded = raw.replace(" ", "").upper()
    if folded in ("ND", "NOTDETECTED", "<LOQ", "<LOD"):
        return raw
    number = folded[1:] if folded.startswith(("<", ">")) else folded
    try:
        ok = Decimal(number).is_finite() and Decimal(number) >= 0
    except InvalidOperation:
        ok = False
    if not ok:
        row.refuse("value", f"{raw!r} is not a result: a number, <LOQ, <LOD or ND")
        return None
    return raw


def _check_custody(row: _Row) -> dict[str, Any]:
    return {
        "at": row.instant("at"),
        "action": row.choice("action", required=True),
        "handled_by": row.text("handled_by", required=True),
        "location": row.text("location", required=True),
        "seal_number": row.text("seal_number"),
        "condition": row.choice("condition", default="intact"),
        "notes": row.text("notes") or "",
    }


def _held(work: Work, model: Any, references: set[str]) -> dict[str, Any]:
    """The importer's force's records of ``model`` (a case or exhibit) with these
    references, by reference (a scoped read)."""
    found: dict[str, Any] = {}
    wanted = sorted(references)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        statement = select(model).where(
            model.reference.in_(chunk), model.owning_force == work.principal.force
        )
        for record in work.db.scalars(policy.scope(work.principal, statement, model)):
            found[record.reference] = record
    return found


class _Batch:
    """The checked contents of every file of one import, before anything is stored."""

    def __init__(self) -> None:
        self.problems = _Problems()
        self.cases: dict[str, _Case] = {}
        self.exhibits: dict[str, _Exhibit] = {}
        self.custody: list[_Custody] = []
        self.files: list[FileOutcome] = []
        self.rows_file: dict[str, FileOutcome] = {}


def _gather(work: Work, files: Sequence[tuple[Path, ImportSpec, Kind]], batch: _Batch) -> None:
    held_cases: dict[str, ForensicCase] = {}
    held_exhibits: dict[str, ForensicExhibit] = {}
    for path, spec, kind in files:
        digest, rows = _read(path, spec, batch.problems)
        outcome = FileOutcome(path.name, kind.value, digest, spec.name, spec.sha256, len(rows))
        batch.files.append(outcome)
        batch.rows_file[path.name] = outcome
        if kind is Kind.CASE_MANAGEMENT:
            _gather_cases(work, rows, batch, held_cases)
        elif kind is Kind.LIMS:
            _gather_exhibits(work, rows, batch, held_cases, held_exhibits)
        else:
            _gather_custody(work, rows, batch, held_exhibits)


def _gather_cases(
    work: Work, rows: list[_Row], batch: _Batch, held: dict[str, ForensicCase]
) -> None:
    checked = [(row, _check_case(row)) for row in rows]
    references = {str(v["reference"]) for _, v in checked if v}
    held.update(_held(work, ForensicCase, references - set(held)))
    for row, values in checked:
        if values is None:
            continue
        ref = str(values["reference"])
        if ref in batch.cases:
            first = batch.cases[ref].row
            row.refuse("reference", f"{ref!r} again (first at {first.where()}): one row per case")
        elif ref in held:
            row.refuse(
                "reference",
                f"{ref!r} is already held (forensic case {held[ref].id}): correct that record "
                "instead of importing it again",
            )
        else:
            batch.cases[ref] = _Case(row, values)


def _gather_exhibits(
    work: Work,
    rows: list[_Row],
    batch: _Batch,
    held_cases: dict[str, ForensicCase],
    held_exhibits: dict[str, ForensicExhibit],
) -> None:
    checked = []
    for row in rows:
        reference = row.text("exhibit_reference", required=True)
        values, result = _check_exhibit_row(row)
        checked.append((row, reference, values, result))
    wanted_exhibits = {ref for _, ref, _, _ in checked if ref} - set(held_exhibits)
    held_exhibits.update(_held(work, ForensicExhibit, wanted_exhibits))
    wanted_cases = {str(v["case_reference"]) for _, _, v, _ in checked if v["case_reference"]}
    held_cases.update(_held(work, ForensicCase, wanted_cases - set(held_cases) - set(batch.cases)))
    case_refs = {c.id: ref for ref, c in held_cases.items()}
    missing_ids = {e.case_id for e in held_exhibits.values()} - set(case_refs)
    if missing_ids:
        statement = select(ForensicCase).where(ForensicCase.id.in_(sorted(missing_ids)))
        for case in work.db.scalars(policy.scope(work.principal, statement, ForensicCase)):
            case_refs[case.id] = case.reference
    versions = _held_analytes(work, [e.id for e in held_exhibits.values()])
    seen_results: dict[tuple[str, str], _Row] = {}
    for row, reference, values, result in checked:
        if reference is None or row.bad:
            continue
        case_ref = str(values["case_reference"])
        held = held_exhibits.get(reference)
        if held is not None:
            if case_refs.get(held.case_id) != case_ref:
                row.refuse(
                    "case_reference",
                    f"exhibit {reference!r} is held on case {case_refs.get(held.case_id)!r}, "
                    f"not {case_ref!r}",
                )
                continue
        elif case_ref not in batch.cases and case_ref not in held_cases:
            row.refuse(
                "case_reference",
                f"no case {case_ref!r} in the files imported nor held by {work.principal.force}: "
                "import the case-management export first (or with this file)",
            )
            continue
        exhibit = batch.exhibits.get(reference)
        if exhibit is None:
            exhibit = _Exhibit(row, case_ref, values, values["provider"], values["laboratory"])
            batch.exhibits[reference] = exhibit
        else:
            for name in _EXHIBIT_FIELDS:
                if exhibit.values[name] != values[name]:
                    row.refuse(
                        name,
                        f"differs from the exhibit's row at {exhibit.row.where()} "
                        f"({_shown(values[name])} there {_shown(exhibit.values[name])}): an "
                        "exhibit's columns are the same on each of its result rows",
                    )
                    break
            if row.bad:
                continue
        if result is None:
            continue
        analyte = str(result.values["analyte"])
        earlier = seen_results.get((reference, analyte))
        already = held is not None and (held.id, analyte) in versions
        reason = result.values["amendment_reason"]
        if (earlier is not None or already) and not reason:
            where = f"at {earlier.where()}" if earlier else "on the held exhibit"
            row.refuse(
                "amendment_reason",
                f"{analyte} already has a result {where}: a repeated result is an amendment "
                "and must say why (map and fill an amendment_reason column)",
            )
            continue
        if earlier is None and not already and reason:
            row.refuse("amendment_reason", f"amends no earlier {analyte} result of {reference}")
            continue
        seen_results[(reference, analyte)] = row
        exhibit.results.append(result)


def _shown(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def _held_analytes(work: Work, exhibit_ids: list[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for start in range(0, len(exhibit_ids), 500):
        chunk = exhibit_ids[start : start + 500]
        rows = work.db.execute(
            select(ExhibitResult.exhibit_id, ExhibitResult.analyte).where(
                ExhibitResult.exhibit_id.in_(chunk)
            )
        )
        found.update((int(e), str(a)) for e, a in rows)
    return found


def _gather_custody(
    work: Work, rows: list[_Row], batch: _Batch, held_exhibits: dict[str, ForensicExhibit]
) -> None:
    checked = [
        (row, row.text("exhibit_reference", required=True), _check_custody(row)) for row in rows
    ]
    wanted = {ref for _, ref, _ in checked if ref} - set(held_exhibits) - set(batch.exhibits)
    held_exhibits.update(_held(work, ForensicExhibit, wanted))
    for row, reference, values in checked:
        if reference is None or row.bad:
            continue
        if reference not in batch.exhibits and reference not in held_exhibits:
            row.refuse(
                "exhibit_reference",
                f"no exhibit {reference!r} in the files imported nor held by "
                f"{work.principal.force}: import the LIMS export first (or with this file)",
            )
            continue
        batch.custody.append(_Custody(row, reference, values))


# -- storing -------------------------------------------------------------------------


class _Organisations:
    """Providers and laboratories by name, created on first sight."""

    def __init__(self, work: Work, outcome: ImportOutcome) -> None:
        self.work = work
        self.outcome = outcome
        self.providers: dict[str, ForensicProvider] = {}
        self.labs: dict[tuple[int, str], ForensicLaboratory] = {}

    def provider(self, name: str, spec: ImportSpec) -> ForensicProvider:
        if name in self.providers:
            return self.providers[name]
        db = self.work.db
        found = db.scalars(select(ForensicProvider).where(ForensicProvider.name == name)).first()
        if found is None:
            terms = dict(spec.options.get("providers", {}).get(name, {}))
            found = ForensicProvider(
                name=name,
                accreditation_body=str(terms.get("accreditation_body", "UKAS")),
                accreditation_number=str(terms.get("accreditation_number", "")),
                accreditation_scope=str(terms.get("accreditation_scope", "")),
                accredited_from=_iso_date(terms.get("accredited_from")),
                accredited_until=_iso_date(terms.get("accredited_until")),
                fictional=bool(spec.options.get("fictional", False)),
            )
            db.add(found)
            db.flush()
            self.outcome.providers_created.append(name)
        self.providers[name] = found
        return found

    def laboratory(self, provider: ForensicProvider, name: str) -> ForensicLaboratory:
        key = (provider.id, name)
        if key in self.labs:
            return self.labs[key]
        db = self.work.db
        found = db.scalars(
            select(ForensicLaboratory).where(
                ForensicLaboratory.provider_id == provider.id, ForensicLaboratory.name == name
            )
        ).first()
        if found is None:
            found = ForensicLaboratory(provider_id=provider.id, name=name, site="")
            db.add(found)
            db.flush()
            self.outcome.laboratories_created.append(f"{provider.name}: {name}")
        self.labs[key] = found
        return found


def _store(work: Work, batch: _Batch, unit: str, terms: ImportTerms) -> ImportOutcome:
    by = work.principal
    outcome = ImportOutcome(batch.files)
    orgs = _Organisations(work, outcome)

    def held_as(row: _Row) -> dict[str, Any]:
        synthetic = terms.synthetic or bool(row.spec.options.get("synthetic", False))
        return {
            **envelope(
                by.actor,
                owning_force=by.force,
                owning_unit=unit,
                handling=terms.handling,
                restriction=terms.restriction,
                retention=terms.retention,
            ),
            "synthetic": synthetic,
        }

    cases: dict[str, ForensicCase] = {}
    for ref, case in batch.cases.items():
        record = ForensicCase(**held_as(case.row), **case.values)
        work.db.add(record)
        cases[ref] = record
        batch.rows_file[case.row.name].cases += 1
    work.db.flush()
    wanted_cases = {e.case_reference for e in batch.exhibits.values()} - set(cases)
    cases.update(_held(work, ForensicCase, wanted_cases))
    wanted = {c.exhibit_reference for c in batch.custody} - set(batch.exhibits)
    exhibits: dict[str, ForensicExhibit] = _held(
        work, ForensicExhibit, wanted | set(batch.exhibits)
    )
    for ref, exhibit in batch.exhibits.items():
        if ref in exhibits:
            continue  # held already: only its new results are added
        values = {
            k: v
            for k, v in exhibit.values.items()
            if k not in ("case_reference", "provider", "laboratory")
        }
        provider = orgs.provider(exhibit.provider, exhibit.row.spec) if exhibit.provider else None
        lab = (
            orgs.laboratory(provider, exhibit.laboratory)
            if provider and exhibit.laboratory
            else None
        )
        new = ForensicExhibit(
            **held_as(exhibit.row),
            **values,
            reference=ref,
            case_id=cases[exhibit.case_reference].id,
            provider_id=provider.id if provider else None,
            laboratory_id=lab.id if lab else None,
        )
        work.db.add(new)
        exhibits[ref] = new
        batch.rows_file[exhibit.row.name].exhibits += 1
    work.db.flush()
    for ref, exhibit in batch.exhibits.items():
        for result in exhibit.results:
            chain.append_result(work, exhibits[ref].id, **result.values)
            counted = batch.rows_file[result.row.name]
            counted.results += 1
            counted.amendments += 1 if result.values["amendment_reason"] else 0
    # A custody log is appended in the order things happened, whatever the file's order.
    for event in sorted(batch.custody, key=lambda c: (c.values["at"], c.row.name, c.row.line)):
        chain.append_custody(work, exhibits[event.exhibit_reference].id, **event.values)
        batch.rows_file[event.row.name].custody_events += 1
    return outcome


def import_files(
    engine: Engine,
    principal: Principal,
    files: Sequence[tuple[Path, ImportSpec, Kind | str]],
    *,
    justification: str | None,
    terms: ImportTerms | None = None,
    client: str = "",
) -> ImportOutcome:
    """Import ``files`` (path, checked spec, kind), in order, all or nothing, in one unit of
    work (see the module docstring). A later file may name cases or exhibits of an
    earlier one (a LIMS export after its case-management export).
    """
    terms = terms or ImportTerms()
    given = [(Path(p), spec, kind_of(k)) for p, spec, k in files]
    if not given:
        raise InputError("files: name at least one file to import")
    names = [p.name for p, _, _ in given]
    if len(set(names)) != len(names):
        raise InputError("files: two files of one import have the same name; rename one")
    label = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    with unit_of_work(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef("forensic-import", label[:100]),
        client=client,
        details={"files": names},
    ) as work:
        unit = terms.unit or (sorted(principal.units)[0] if principal.units else "")
        policy.require_collect(principal, CASES, principal.force, unit)
        if any(k is not Kind.CASE_MANAGEMENT for _, _, k in given):
            policy.require_collect(principal, EXHIBITS, principal.force, unit)
        work.justify(resolve(principal, justification, what="importing forensic casework"))
        for _, spec, _ in given:
            check_spec(spec)
        batch = _Batch()
        _gather(work, given, batch)
        if batch.problems.count:
            raise ForensicImportRefused(
                f"not imported: {batch.problems.count:,} problem(s); nothing from "
                f"{', '.join(names)} was stored",
                batch.problems.listed,
                batch.problems.count - len(batch.problems.listed),
            )
        outcome = _store(work, batch, unit, terms)
        work.details.update(
            {
                "files": [f.to_json() for f in outcome.files],
                "unit": unit,
                "providers_created": outcome.providers_created,
                "laboratories_created": outcome.laboratories_created,
            }
        )
        return outcome
