"""Street-price tables: load a dated, sourced version from a file, list them, read one.

A seizure's street value is only as good as the prices behind it, so a table says
where its prices come from (``source``) and from when they hold (``valid_from``),
and is never changed once written: "editing" a table loads its next version (the
same name, version + 1), and every valuation names the version it used
(:mod:`harmwatch.operations.valuation`), so a price change never rewrites a figure
already published.

A file is loaded all or nothing: every row is checked (drug, form and unit from the
seizure form's own lists, ``low`` <= ``high``, no drug, form and region priced twice)
and one bad row refuses the whole file, each problem as ``file:line: field: reason``.
Prices are pounds per unit in the file and whole pence in the database.

No open UK street-price table exists to ship, so the one harmwatch ships is
*illustrative*: figures for the demo, labelled as such on every page and export that
uses them, and used only until a force loads its own.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from harmwatch.errors import InputError, NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import Field, Form, FormRefused, Problem
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.storage import models

from .kinds import MANAGE_PRICE_TABLES, READ_OPERATIONS
from .models import PriceEntry, PriceTable
from .results import DRUGS, FORMS, UNITS

DATA = Path(__file__).parent / "data"
ILLUSTRATIVE_CSV = DATA / "street_prices_illustrative.csv"
ILLUSTRATIVE_META = DATA / "street_prices_illustrative.json"
ILLUSTRATIVE_LABEL = (
    "ILLUSTRATIVE: No open UK street-price table exists to ship: these figures are "
    "illustrative only, for the demo; load your force's own table"
)
COLUMNS = ("drug", "form", "region", "unit", "low", "high")
NATIONAL = "national"
TARGET_KIND = "price-table"
MAX_NAME = 120
MAX_SOURCE = 1000
MAX_ROWS = 5000
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

#: Each force (police.uk slug) and the ONS region (England's nine, and Wales) it lies in,
#: the region a seizure is priced in when it names none. A force not listed: national.
FORCE_REGIONS: dict[str, str] = {
    force: region
    for region, forces in {
        "north-east": ("cleveland", "durham", "northumbria"),
        "north-west": ("cheshire", "cumbria", "greater-manchester", "lancashire", "merseyside"),
        "yorkshire-and-the-humber": (
            "humberside",
            "north-yorkshire",
            "south-yorkshire",
            "west-yorkshire",
        ),
        "east-midlands": (
            "derbyshire",
            "leicestershire",
            "lincolnshire",
            "northamptonshire",
            "nottinghamshire",
        ),
        "west-midlands": ("staffordshire", "warwickshire", "west-mercia", "west-midlands"),
        "east-of-england": (
            "bedfordshire",
            "cambridgeshire",
            "essex",
            "hertfordshire",
            "norfolk",
            "suffolk",
        ),
        "london": ("metropolitan", "city-of-london"),
        "south-east": ("hampshire", "kent", "surrey", "sussex", "thames-valley"),
        "south-west": (
            "avon-and-somerset",
            "devon-and-cornwall",
            "dorset",
            "gloucestershire",
            "wiltshire",
        ),
        "wales": ("dyfed-powys", "gwent", "north-wales", "south-wales"),
    }.items()
    for force in forces
}


def force_region(force: str) -> str:
    """The ONS region a force lies in; ``national`` for one not in the table."""
    return FORCE_REGIONS.get(force.strip().lower(), NATIONAL)


def _region_rule(values: dict[str, Any]) -> Iterable[Problem | None]:
    region = values.get("region")
    if region is not None and not _REGION.fullmatch(region.lower()):
        yield Problem(
            "region",
            f"{region[:40]!r}: national, or a region as one word of lower-case letters, "
            "digits and - (e.g. east-of-england)",
        )
    low, high = values.get("low"), values.get("high")
    if low is not None and high is not None and low > high:
        yield Problem("high", f"£{pounds_text(high)} is below low (£{pounds_text(low)})")


#: One row of a price file: what a unit sells for on the street, low to high.
ENTRY_FORM = Form(
    "price-entry",
    "price-table row",
    (
        Field("drug", "choice", "the drug", required=True, choices=DRUGS),
        Field("form", "choice", "its form", required=True, choices=FORMS),
        Field(
            "region",
            "text",
            "national, or a region (an ONS region such as east-of-england, or your own)",
            required=True,
            max_length=64,
        ),
        Field("unit", "choice", "the unit priced", required=True, choices=UNITS),
        Field(
            "low",
            "money",
            "the low street price of one unit, in pounds",
            required=True,
            minimum=Decimal("0.01"),
        ),
        Field(
            "high",
            "money",
            "the high street price of one unit, in pounds",
            required=True,
            minimum=Decimal("0.01"),
        ),
    ),
    rules=(_region_rule,),
)


@dataclass(frozen=True)
class EntryView:
    drug: str
    form: str
    region: str
    unit: str
    low_pence: int
    high_pence: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TableView:
    """One version of a price table, with its entries and the label it must be shown with."""

    id: int
    name: str
    version: int
    force: str
    source: str
    valid_from: date
    illustrative: bool
    label: str | None  # shown beside every figure valued with this table
    notes: str
    created_at: datetime
    created_by: str
    entries: tuple[EntryView, ...]

    @property
    def title(self) -> str:
        return f"{self.name} v{self.version}"

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "entries"}
        out["valid_from"] = self.valid_from.isoformat()
        out["created_at"] = self.created_at.isoformat()
        out["title"] = self.title
        out["entries"] = [e.to_json() for e in self.entries]
        return out


def pounds_text(pence: int) -> str:
    """Whole pence as pounds with thousands separators: 6000000 -> ``60,000.00``."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}{whole:,}.{part:02d}"


def pounds(pence: int) -> str:
    return f"£{pounds_text(pence)}"


def table_ref(name: str, version: int) -> RecordRef:
    return RecordRef(TARGET_KIND, f"{name} v{version}")


def label_of(table: PriceTable) -> str | None:
    """The warning every view of a figure from ``table`` carries (None: a force's real table)."""
    if not table.illustrative:
        return None
    if table.force == "":
        return ILLUSTRATIVE_LABEL
    return (
        f"ILLUSTRATIVE: {table.name} v{table.version} was loaded as illustrative figures, "
        "not prices to publish"
    )


def view(db: Session, table: PriceTable) -> TableView:
    entries = db.scalars(
        select(PriceEntry)
        .where(PriceEntry.table_id == table.id)
        .order_by(PriceEntry.drug, PriceEntry.form, PriceEntry.region)
    ).all()
    return TableView(
        id=table.id,
        name=table.name,
        version=table.version,
        force=table.force,
        source=table.source,
        valid_from=table.valid_from,
        illustrative=table.illustrative,
        label=label_of(table),
        notes=table.notes,
        created_at=table.created_at,
        created_by=table.created_by,
        entries=tuple(
            EntryView(e.drug, e.form, e.region, e.unit, e.low_pence, e.high_pence) for e in entries
        ),
    )


# -- reading a file ---------------------------------------------------------------------


def read_rows(data: bytes, file_name: str) -> list[dict[str, Any]]:
    """The rows of a CSV or XLSX file (header on line 1); :class:`InputError` naming the file.

    A row is a dict of column -> cell, in file order; blank rows are kept as empty
    dicts so that every later row keeps its line number.
    """
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx_rows(data, file_name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{file_name}: not UTF-8 text; save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text))
    return _as_dicts(list(reader), file_name)


def _xlsx_rows(data: bytes, file_name: str) -> list[dict[str, Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise InputError(f"{file_name}: not an Excel workbook (.xlsx) that can be read") from None
    try:
        sheet = book.worksheets[0]
        cells = [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return _as_dicts(cells, file_name)


def _as_dicts(cells: list[list[Any]], file_name: str) -> list[dict[str, Any]]:
    if not cells:
        raise FormRefused([Problem("drug", "the file is empty: no header row", f"{file_name}:1")])
    header = [str(h).strip().lower() for h in cells[0]]
    problems = [
        Problem(name, "column missing from the header", f"{file_name}:1")
        for name in COLUMNS
        if name not in header
    ]
    problems += [
        Problem(name or f"column {i + 1}", "not a column of a price table", f"{file_name}:1")
        for i, name in enumerate(header)
        if name not in COLUMNS and name
    ]
    if problems:
        raise FormRefused(problems)
    rows = []
    for line in cells[1:]:
        row = {header[i]: v for i, v in enumerate(line) if i < len(header) and header[i]}
        rows.append({} if all(str(v).strip() == "" for v in row.values()) else row)
    return rows


def check_rows(rows: Sequence[Mapping[str, Any]], file_name: str) -> list[dict[str, Any]]:
    """Every row checked (line 2 is the first row); :class:`FormRefused` listing every problem."""
    problems: list[Problem] = []
    clean: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    if len(rows) > MAX_ROWS:
        raise FormRefused(
            [Problem("drug", f"at most {MAX_ROWS} rows (got {len(rows)})", f"{file_name}:1")]
        )
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        where = f"{file_name}:{number}"
        values, found = ENTRY_FORM.check(row, where=where)
        problems += found
        if found:
            continue
        values["region"] = values["region"].lower()
        key = (values["drug"], values["form"], values["region"])
        if key in seen:
            problems.append(
                Problem(
                    "region",
                    f"{'/'.join(key)} is already priced on line {seen[key]}",
                    where,
                )
            )
            continue
        seen[key] = number
        clean.append(values)
    if not problems and not clean:
        problems.append(
            Problem("drug", "no price rows: the file has only its header", f"{file_name}:2")
        )
    if problems:
        raise FormRefused(problems)
    return clean


def _source_rows(
    rows_or_path: Path | str | Sequence[Mapping[str, Any]], file_name: str | None
) -> tuple[str, Sequence[Mapping[str, Any]]]:
    if isinstance(rows_or_path, (str, Path)):
        path = Path(rows_or_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        name = file_name or path.name
        return name, read_rows(data, name)
    return file_name or "rows", rows_or_path


# -- loading and reading tables -----------------------------------------------------------


def _metadata(name: str, source: str, valid_from: date | str) -> tuple[str, str, date]:
    problems = []
    clean_name = " ".join(str(name or "").split())
    if not clean_name:
        problems.append(Problem("name", "required: the table's name, e.g. herts street prices"))
    elif len(clean_name) > MAX_NAME:
        problems.append(Problem("name", f"at most {MAX_NAME} characters"))
    clean_source = " ".join(str(source or "").split())
    if not clean_source:
        problems.append(
            Problem("source", "required: say where the prices come from (who, what, when)")
        )
    elif len(clean_source) > MAX_SOURCE:
        problems.append(Problem("source", f"at most {MAX_SOURCE} characters"))
    day: date | None = None
    if isinstance(valid_from, date):
        day = valid_from
    else:
        try:
            day = date.fromisoformat(str(valid_from).strip())
        except ValueError:
            problems.append(
                Problem("valid_from", f"{str(valid_from)[:40]!r} is not a date like 2025-03-31")
            )
    if problems or day is None:
        raise FormRefused(problems)
    return clean_name, clean_source, day


def _store(
    db: Session,
    actor: str,
    *,
    name: str,
    source: str,
    valid_from: date,
    force: str,
    illustrative: bool,
    entries: Sequence[Mapping[str, Any]],
    notes: str = "",
) -> PriceTable:
    owners = set(db.scalars(select(PriceTable.force).where(PriceTable.name == name)))
    if owners and owners != {force}:
        raise FormRefused(
            [
                Problem(
                    "name",
                    f"{name!r} is another force's table (or the shipped one): choose a name "
                    "of your own",
                )
            ]
        )
    latest = db.scalar(select(func.max(PriceTable.version)).where(PriceTable.name == name))
    table = PriceTable(
        name=name,
        version=int(latest or 0) + 1,
        force=force,
        source=source,
        valid_from=valid_from,
        illustrative=illustrative,
        notes=notes,
        created_at=models.utcnow(),
        created_by=actor,
    )
    db.add(table)
    db.flush()
    db.add_all(
        PriceEntry(
            table_id=table.id,
            drug=e["drug"],
            form=e["form"],
            region=e["region"],
            unit=e["unit"],
            low_pence=int(e["low"]),
            high_pence=int(e["high"]),
        )
        for e in entries
    )
    db.flush()
    return table


def load_table(
    engine: Engine,
    principal: Principal,
    rows_or_path: Path | str | Sequence[Mapping[str, Any]],
    *,
    name: str,
    source: str,
    valid_from: date | str,
    illustrative: bool = False,
    client: str = "",
    file_name: str | None = None,
) -> TableView:
    """Load the next version of the force's table ``name`` (version 1 if new), all or nothing.

    ``rows_or_path``: a CSV or XLSX file, or rows already read (dicts with the
    columns); ``file_name`` names them in errors. :class:`FormRefused` lists every
    problem as ``file:line: field: reason`` and stores nothing.
    """
    with unit_of_work(
        engine,
        principal,
        AuditAction.COLLECTION,
        RecordRef(TARGET_KIND, "new"),
        client=client,
    ) as work:
        if not MANAGE_PRICE_TABLES.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not load price tables")
        if not principal.force:
            raise policy.PolicyDenied("you belong to no force, so you have no price table to load")
        clean_name, clean_source, day = _metadata(name, source, valid_from)
        shown_name, rows = _source_rows(rows_or_path, file_name)
        work.details["file"] = shown_name
        entries = check_rows(rows, shown_name)
        table = _store(
            work.db,
            principal.actor,
            name=clean_name,
            source=clean_source,
            valid_from=day,
            force=principal.force,
            illustrative=illustrative,
            entries=entries,
        )
        work.target(table_ref(table.name, table.version))
        work.details.update(
            {
                "table_id": table.id,
                "version": table.version,
                "valid_from": day.isoformat(),
                "entries": len(entries),
                "illustrative": illustrative,
            }
        )
        return view(work.db, table)


def _shipped_metadata() -> dict[str, str]:
    meta = json.loads(ILLUSTRATIVE_META.read_text(encoding="utf-8"))
    return {k: str(meta[k]) for k in ("name", "source", "valid_from", "notes")}


def newest_illustrative(db: Session) -> PriceTable | None:
    return db.scalars(
        select(PriceTable)
        .where(PriceTable.illustrative.is_(True), PriceTable.force == "")
        .order_by(PriceTable.valid_from.desc(), PriceTable.id.desc())
        .limit(1)
    ).first()


def ensure_illustrative_table(db: Session, actor: str) -> PriceTable:
    """The shipped illustrative table, loaded into the caller's transaction if absent.

    It is shared by every force (``force`` ""), so seizures can be valued in the demo
    before a force loads its own; every figure from it carries :data:`ILLUSTRATIVE_LABEL`.
    """
    found = newest_illustrative(db)
    if found is not None:
        return found
    meta = _shipped_metadata()
    entries = check_rows(
        read_rows(ILLUSTRATIVE_CSV.read_bytes(), ILLUSTRATIVE_CSV.name), ILLUSTRATIVE_CSV.name
    )
    return _store(
        db,
        actor,
        name=meta["name"],
        source=meta["source"],
        valid_from=date.fromisoformat(meta["valid_from"]),
        force="",
        illustrative=True,
        entries=entries,
        notes=meta["notes"],
    )


def usable(principal_force: str) -> Any:
    """Tables a force may use: its own and the shared ones (force "")."""
    return (
        PriceTable.force.in_(["", principal_force]) if principal_force else PriceTable.force == ""
    )


def _may_read(principal: Principal) -> None:
    if not (READ_OPERATIONS.granted(principal.role) or MANAGE_PRICE_TABLES.granted(principal.role)):
        raise policy.PolicyDenied(f"your role ({principal.role}) may not see price tables")


def list_tables(engine: Engine, principal: Principal, *, client: str = "") -> list[TableView]:
    """Every version the principal's force may use (its own and the shipped one), newest first.

    Seeds the shipped illustrative table if no table exists yet, so the page always
    shows what an unpriced seizure would be valued by. Logged as a consultation.
    """
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, RecordRef(TARGET_KIND, "*"), client=client
    ) as work:
        _may_read(principal)
        if newest_illustrative(work.db) is None:
            seeded = ensure_illustrative_table(work.db, principal.actor)
            work.also(
                AuditAction.COLLECTION,
                table_ref(seeded.name, seeded.version),
                details={"shipped": "illustrative table seeded on first use"},
            )
        tables = work.db.scalars(
            select(PriceTable)
            .where(usable(principal.force))
            .order_by(PriceTable.name, PriceTable.version.desc())
        ).all()
        work.details["rows"] = len(tables)
        return [view(work.db, t) for t in tables]


def get_table(
    engine: Engine, principal: Principal, table_id: int, *, client: str = ""
) -> TableView:
    """One version with its entries; another force's table is answered as not found."""
    with unit_of_work(
        engine,
        principal,
        AuditAction.CONSULTATION,
        RecordRef(TARGET_KIND, str(table_id)),
        client=client,
    ) as work:
        _may_read(principal)
        table = work.db.scalars(
            select(PriceTable).where(PriceTable.id == table_id, usable(principal.force))
        ).first()
        if table is None:
            raise NotFoundError(f"no price table {table_id} that your force may use")
        work.target(table_ref(table.name, table.version))
        return view(work.db, table)
