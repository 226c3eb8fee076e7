"""Reading a supplier's delimited file for an import: header, streamed batches, problems.

Every import of a file mapped by an import spec (:mod:`harmwatch.sources.importspec`)
— call data, a force's crime records — reads it the same way: the header checked
against the spec's columns, then Arrow record batches (``pyarrow.csv``: parsed in
parallel, memory bounded by the block size, gzip read on the fly) of only the
columns the spec names, as text, so a column the spec leaves out (a name, a date of
birth, free text) is never read into memory, let alone stored. A row's ``line`` is
its line in the file (the header is line 1); a row with the wrong number of fields
would shift every later line number, so such a file is refused naming those lines.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from harmwatch.errors import InputError
from harmwatch.sources.importspec import ImportSpec

MAX_PROBLEMS = 20
BLOCK_BYTES = 32 * 2**20


class ImportRefused(InputError):
    """A file was not imported; ``problems`` say file:line: field: reason."""

    def __init__(self, summary: str, problems: Sequence[str] = (), more: int = 0) -> None:
        listed = "".join(f"\n  {p}" for p in problems)
        extra = f"\n  … and {more:,} more" if more else ""
        super().__init__(f"{summary}{listed}{extra}")
        self.summary = summary
        self.problems = list(problems)
        self.more = more


def sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def open_text(path: Path) -> io.BufferedReader | gzip.GzipFile:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _text_encoding(spec: ImportSpec) -> str:
    return "utf-8-sig" if spec.encoding.startswith("utf-8") else spec.encoding


def read_header(
    path: Path, spec: ImportSpec, refused: type[ImportRefused] = ImportRefused
) -> list[str]:
    """The file's column names (line 1), or ``refused`` saying why they cannot be read."""
    try:
        with open_text(path) as handle:
            first = handle.readline()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise refused(f"{path.name}: cannot read the file ({exc})") from None
    if not first.strip():
        raise refused(f"{path.name}:1: the file is empty (no header row)")
    try:
        text = first.decode(_text_encoding(spec)).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise refused(
            f"{path.name}:1: not {spec.encoding} text (byte {exc.start}); set spec.encoding"
        ) from None
    return next(csv.reader([text], delimiter=spec.delimiter))


def check_columns(
    path: Path, spec: ImportSpec, header: Sequence[str], refused: type[ImportRefused]
) -> None:
    missing = spec.missing_columns(header)
    if missing:
        listed = "; ".join(f"{f} → {c!r}" for f, c in missing)
        raise refused(
            f"{path.name}:1: the spec {spec.name!r} names columns this file's header lacks: "
            f"{listed} (the header has: {', '.join(header)})"
        )


class BatchReader:
    """The spec's columns of a file as text batches, each with its rows' line numbers.

    ``parse_problems`` collects rows with the wrong number of fields (Arrow skips
    them); after the batches, :meth:`refuse_if_misread` refuses the file if any.
    """

    def __init__(
        self,
        path: Path,
        spec: ImportSpec,
        header: Sequence[str],
        refused: type[ImportRefused] = ImportRefused,
        *,
        name: str | None = None,
    ) -> None:
        self.path = path
        self.name = name or path.name  # the file a user gave (an Excel workbook's, say)
        self.spec = spec
        self.header = list(header)
        self.refused = refused
        self.parse_problems: list[str] = []
        self._reader = pacsv.open_csv(
            str(path),
            read_options=pacsv.ReadOptions(
                block_size=BLOCK_BYTES,
                encoding="utf8" if spec.encoding.startswith("utf-8") else spec.encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=spec.delimiter,
                newlines_in_values=False,
                invalid_row_handler=self._bad_row,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                include_columns=sorted(set(spec.columns.values())),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _bad_row(self, row: Any) -> str:
        if len(self.parse_problems) < MAX_PROBLEMS:
            where = f"{self.name}:{row.number}" if row.number else self.name
            self.parse_problems.append(
                f"{where}: row: {row.actual_columns} fields where the header has "
                f"{row.expected_columns}"
            )
        else:
            self.parse_problems.append("")
        return "skip"

    def tables(self, line_column: str = "hw_line") -> Iterator[pa.Table]:
        """Each batch as a table with a ``line_column`` of its rows' line numbers."""
        next_line = 2
        while True:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise self.refused(f"{self.name}: not imported: unreadable CSV ({exc})") from None
            if not batch.num_rows:
                continue
            lines = pa.array(range(next_line, next_line + batch.num_rows), pa.int64())
            next_line += batch.num_rows
            yield pa.Table.from_batches([batch]).append_column(line_column, lines)

    def refuse_if_misread(self) -> None:
        if not self.parse_problems:
            return
        shown = [p for p in self.parse_problems if p]
        if not any(re.match(rf"{re.escape(self.name)}:\d+:", p) for p in shown):
            shown = wrong_width_lines(self.path, self.spec, len(self.header)) or shown
        raise self.refused(
            f"{self.name}: not imported: {len(self.parse_problems):,} row(s) have the wrong "
            "number of fields (a quoted value with a line break, or a stray delimiter)",
            shown,
            len(self.parse_problems) - len(shown),
        )


def wrong_width_lines(path: Path, spec: ImportSpec, width: int) -> list[str]:
    """The lines whose field count is wrong, found again by reading the file (only on error).

    Arrow's CSV reader does not say which line a malformed row was on, so the refused
    file is read once more to name them.
    """
    found: list[str] = []
    with (
        open_text(path) as raw,
        io.TextIOWrapper(raw, encoding=_text_encoding(spec), newline="") as text,
    ):
        for number, line in enumerate(text, start=1):
            if number == 1:
                continue
            fields = next(csv.reader([line.rstrip("\r\n")], delimiter=spec.delimiter), [])
            if len(fields) != width:
                found.append(
                    f"{path.name}:{number}: row: {len(fields)} fields where the header has {width}"
                )
                if len(found) >= MAX_PROBLEMS:
                    break
    return found


def text_size(path: Path, size: int) -> int:
    """The file's uncompressed size: gzip's trailer holds it (modulo 4 GiB), for progress."""
    if path.suffix.lower() != ".gz" or size < 18:
        return max(size, 1)
    with path.open("rb") as handle:
        handle.seek(-4, io.SEEK_END)
        trailer = int.from_bytes(handle.read(4), "little")
    return max(trailer, size)


def first_problems(
    con: Any,
    path: Path,
    label: Callable[[str], str],
    problems: list[str],
    relation: str = "hw_stage",
) -> int:
    """Add the batch's first refused rows to ``problems``; return how many more.

    The rows of ``relation`` (a staged table, or a subquery in parentheses of which the
    database computes only the ``problem`` column) carry ``problem`` =
    ``'field<TAB>reason'`` or NULL.
    """
    bad = con.execute(
        f"SELECT line, problem FROM {relation} WHERE problem IS NOT NULL ORDER BY line LIMIT ?",
        [MAX_PROBLEMS],
    ).fetchall()
    if not bad:
        return 0
    total = con.execute(f"SELECT count(*) FROM {relation} WHERE problem IS NOT NULL").fetchone()
    count = int(total[0]) if total else len(bad)
    more = 0
    for line, problem in bad:
        fld, _, reason = str(problem).partition("\t")
        if len(problems) < MAX_PROBLEMS:
            problems.append(f"{path.name}:{line}: {label(fld)}: {reason}")
        else:
            more += 1
    return more + count - len(bad)
