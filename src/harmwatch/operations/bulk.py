"""Bulk templates, imports and exports for every record type a room declares as a sheet.

A force's results arrive in spreadsheets: a custody suite's list of charges, a
finance unit's POCA cash ledger. Each record type a room declares as a
:class:`~harmwatch.kernel.forms.SheetKind` (operations, each result kind, covert
authorisations, programme events …) gets, from its form alone:

- **a template** (:func:`write_template`): CSV or Excel, the header is the form's
  fields and the second line a line of guidance per column (what to type, required
  or not, the choices). The guidance line starts with ``#`` and is skipped on import,
  so a filled-in template loads as it is;
- **an import** (:func:`import_file`), all or nothing, as every import here: every row
  is checked with the form, then stored inside one unit of work; one bad row — a
  wrong type, a missing required value, an operation that does not exist, a policy
  refusal — refuses the whole file with every problem as ``file:sheet:line: field:
  reason`` (``file:line`` for a CSV), and nothing is stored. An Excel workbook may
  hold several sheets, each named by its kind (``warrant``, ``charge`` …);
- **an export** (:func:`export_file`): the records the caller may see, as the same
  columns after a ``ref`` column, logged as a disclosure with its recipient (and
  refused while handling-code C conditions are unacknowledged). A row with a ``ref``
  is refused on import: it is a record already held — correct it instead.

Cells a spreadsheet would run as a formula are written with a leading apostrophe
(OWASP CSV injection), as the other exports are.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, UserError
from harmwatch.kernel import reads
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import FormRefused, Problem, SheetKind, shown
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

#: Modules whose ``SHEETS`` are offered (one per room that keeps records in sheets).
SHEET_MODULES = (
    "harmwatch.operations.sheets",
    "harmwatch.covert.sheets",
    "harmwatch.programmes.sheets",
)
GUIDANCE_MARK = "#"
SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@cache
def sheet_kinds() -> dict[str, SheetKind]:
    """Every declared sheet kind, by kind name, in room order."""
    kinds: dict[str, SheetKind] = {}
    for path in SHEET_MODULES:
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name == path:  # a room that keeps no sheets
                continue
            raise
        for sheet in getattr(module, "SHEETS", ()):
            if sheet.kind in kinds:
                raise ValueError(f"sheet kind {sheet.kind!r} is declared twice")
            kinds[sheet.kind] = sheet
    return kinds


def sheet_kind(kind: str) -> SheetKind:
    kinds = sheet_kinds()
    try:
        return kinds[kind]
    except KeyError:
        raise InputError(f"kind {kind!r}: templates exist for {', '.join(kinds)}") from None


# -- templates ------------------------------------------------------------------------


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    """The header and the guidance line of ``kind``'s template."""
    form = sheet_kind(kind).form
    header = list(form.names)
    guidance = [f.template_guidance() for f in form.fields]
    guidance[0] = f"{GUIDANCE_MARK} {guidance[0]}"
    return header, guidance


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path.name}: a .csv or .xlsx file, not {suffix or 'no suffix'}")
    return suffix


def write_template(kind: str, path: Path) -> Path:
    """An empty template for ``kind`` (CSV or Excel by the file's suffix)."""
    header, guidance = template_rows(kind)
    if _suffix(path) == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerow(guidance)
        return path
    _write_xlsx(path, {kind: [header, guidance]}, guidance_row=True)
    return path


def _write_xlsx(path: Path, sheets: dict[str, list[list[Any]]], *, guidance_row: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = title[:31]
        for row in rows:
            sheet.append([_safe(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        if guidance_row and len(rows) > 1:
            for cell in sheet[2]:
                cell.font = Font(italic=True)
        for i, name in enumerate(rows[0], start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(
                12, len(str(name)) + 4
            )
        sheet.freeze_panes = "A2"
    book.save(path)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# -- reading a file ------------------------------------------------------------------


@dataclass
class Row:
    where: str
    values: dict[str, Any]


@dataclass
class Sheet:
    kind: str
    rows: list[Row] = field(default_factory=list)


def _kind_from_name(stem: str) -> str | None:
    text = stem.strip().lower().replace("_", "-").replace(" ", "-")
    matches = [k for k in sheet_kinds() if text == k or text.startswith(k + "-")]
    return max(matches, key=len) if matches else None


def _rows_of(
    cells: Iterator[tuple[int, list[Any]]], kind: str, where: str, problems: list[Problem]
) -> Sheet:
    """A sheet's rows as dicts, checking the header against the kind's form."""
    form = sheet_kind(kind).form
    sheet = Sheet(kind)
    header: list[str] | None = None
    for line, row in cells:
        texts = ["" if v is None else str(v).strip() for v in row]
        if not any(texts):
            continue
        if texts[0].startswith(GUIDANCE_MARK):
            continue
        if header is None:
            header = [t.lower() for t in texts]
            while header and not header[-1]:
                header.pop()
            unknown = [h for h in header if h and h != "ref" and h not in form.names]
            for name in unknown:
                problems.append(
                    Problem(name, f"not a column of the {kind} template", f"{where}:{line}")
                )
            missing = [f.name for f in form.fields if f.required and f.name not in header]
            for name in missing:
                problems.append(Problem(name, "a required column is missing", f"{where}:{line}"))
            dupes = {h for h in header if h and header.count(h) > 1}
            for name in sorted(dupes):
                problems.append(Problem(name, "the column is given twice", f"{where}:{line}"))
            continue
        values = {name: row[i] if i < len(row) else None for i, name in enumerate(header) if name}
        extra = [t for t in texts[len(header) :] if t]
        if extra:
            problems.append(
                Problem("(row)", f"{len(extra)} value(s) beyond the last column", f"{where}:{line}")
            )
        sheet.rows.append(Row(f"{where}:{line}", values))
        if len(sheet.rows) > MAX_ROWS:
            raise InputError(f"{where}: more than {MAX_ROWS:,} rows; split the file")
    if header is None:
        problems.append(Problem("(header)", "no header row", where))
    return sheet


def read_file(path: Path, *, kind: str | None = None) -> list[Sheet]:
    """The sheets of a CSV or Excel file; :class:`FormRefused` for a bad header."""
    problems: list[Problem] = []
    sheets: list[Sheet] = []
    name = path.name
    if _suffix(path) == ".csv":
        chosen = kind or _kind_from_name(path.stem)
        if chosen is None:
            raise InputError(
                f"{name}: say which kind of record it holds (--kind; the templates are named "
                f"after theirs: {', '.join(sheet_kinds())})"
            )
        sheet_kind(chosen)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
            ) from None
        reader = csv.reader(io.StringIO(text, newline=""))

        def csv_cells() -> Iterator[tuple[int, list[Any]]]:
            start = 1
            for row in reader:
                yield start, list(row)
                start = reader.line_num + 1

        sheets.append(_rows_of(csv_cells(), chosen, name, problems))
    else:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
            raise InputError(f"{name}: not an Excel workbook ({type(exc).__name__})") from None
        try:
            for ws in book.worksheets:
                chosen = kind if kind and len(book.worksheets) == 1 else _kind_from_name(ws.title)
                if chosen is None:
                    problems.append(
                        Problem(
                            "(sheet)",
                            f"sheet {ws.title!r} is not named by a kind ({', '.join(sheet_kinds())})",
                            f"{name}:{ws.title}",
                        )
                    )
                    continue
                cells = (
                    (i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                )
                sheets.append(_rows_of(cells, chosen, f"{name}:{ws.title}", problems))
        finally:
            book.close()
    if problems:
        raise FormRefused(problems)
    return sheets


# -- importing ----------------------------------------------------------------------------


@dataclass
class Imported:
    file: str
    sha256: str
    rows: dict[str, int]
    records: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "rows": self.rows,
            "records": self.records,
        }


def import_file(
    engine: Engine,
    principal: Principal,
    path: Path,
    *,
    kind: str | None = None,
    justification: str | None = None,
    client: str = "",
    display_name: str | None = None,
) -> Imported:
    """Load a filled-in template, all or nothing (see the module docstring)."""
    name = display_name or path.name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with unit_of_work(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef("records-import", name[:100]),
        client=client,
        details={"file": name, "sha256": digest},
    ) as work:
        work.justify(resolve(principal, justification, what=f"importing {name}"))
        sheets = read_file(path, kind=kind)
        problems: list[Problem] = []
        checked: list[tuple[SheetKind, Row, dict[str, Any]]] = []
        for sheet in sheets:
            declared = sheet_kind(sheet.kind)
            if not declared.record_type.write.granted(principal.role):
                raise_denied(principal, declared)
            for row in sheet.rows:
                if str(row.values.get("ref") or "").strip():
                    problems.append(
                        Problem(
                            "ref",
                            f"{row.values['ref']} is a record already held (an export): correct "
                            "it instead, or clear the ref column to import the row as new",
                            row.where,
                        )
                    )
                    continue
                values = {k: v for k, v in row.values.items() if k != "ref"}
                clean, row_problems = declared.form.check(values, where=row.where)
                problems.extend(row_problems)
                if not row_problems:
                    checked.append((declared, row, clean))
        if problems:
            raise FormRefused(problems)
        created: list[str] = []
        counts: dict[str, int] = {}
        for declared, row, clean in checked:
            try:
                record = declared.store(work, clean)
            except FormRefused as exc:
                problems.extend(Problem(p.field, p.reason, row.where) for p in exc.problems)
                continue
            except PolicyDenied:
                raise  # logged as denied, not as a bad row
            except UserError as exc:
                problems.append(Problem("(row)", str(exc), row.where))
                continue
            created.append(str(record.ref))
            counts[declared.kind] = counts.get(declared.kind, 0) + 1
        if problems:
            raise FormRefused(problems)
        work.details.pop("created", None)
        work.details.update({"rows": counts, "records": created[:1000]})
        if len(created) > 1000:
            work.details["records_not_listed"] = len(created) - 1000
        return Imported(name, digest, counts, created)


def raise_denied(principal: Principal, declared: SheetKind) -> None:
    raise PolicyDenied(f"your role ({principal.role}) may not import {declared.record_type.title}")


# -- exporting ---------------------------------------------------------------------------


@dataclass
class Exported:
    kind: str
    path: Path
    rows: int


def export_rows(
    engine: Engine,
    principal: Principal,
    kind: str,
    *,
    justification: str | None,
    recipient: str,
    acknowledge_conditions: bool = False,
    client: str = "",
) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of an export of ``kind`` (a logged disclosure to ``recipient``)."""
    declared = sheet_kind(kind)
    recipient = " ".join((recipient or "").split())
    if not recipient:
        raise InputError("recipient: say who the export is for")
    if not declared.record_type.write.granted(principal.role):
        with unit_of_work(
            engine, principal, AuditAction.DISCLOSURE, RecordRef(declared.record_type.kind, "*"),
            client=client, recipient=recipient,
        ):  # fmt: skip
            raise_denied(principal, declared)
    got = reads.disclose(
        engine,
        principal,
        declared.record_type.model,
        declared.statement() if declared.statement else None,
        justification=justification,
        recipient=recipient,
        acknowledge_conditions=acknowledge_conditions,
        client=client,
        details={"kind": kind},
    )
    form = declared.form
    header = ["ref", *form.names]
    rows: list[list[Any]] = []
    with Session(engine) as db:
        db.info["principal"] = principal
        for record in got.records:
            values = declared.values(db, record)
            rows.append([str(record.ref), *(shown(f, values.get(f.name)) for f in form.fields)])
    return header, rows


def export_file(
    engine: Engine,
    principal: Principal,
    kind: str,
    path: Path,
    *,
    justification: str | None,
    recipient: str,
    acknowledge_conditions: bool = False,
    client: str = "",
) -> Exported:
    """Write the records of ``kind`` the caller may see to ``path`` (.csv or .xlsx)."""
    suffix = _suffix(path)
    header, rows = export_rows(
        engine, principal, kind, justification=justification, recipient=recipient,
        acknowledge_conditions=acknowledge_conditions, client=client,
    )  # fmt: skip
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_safe(v) for v in row])
    else:
        _write_xlsx(path, {kind: [header, *rows]}, guidance_row=False)
    return Exported(kind, path, len(rows))


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()
