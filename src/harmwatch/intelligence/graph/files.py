"""Reading a network file: a square adjacency matrix, or an edge list, told apart by the header.

**Adjacency matrix** (UCINET's covert-network matrices, as in ``shared/data/networks``
and its ``caviar-phases``): the first row holds the node labels after one empty (or
title) cell, and each further row starts with the same labels, in the same order; cell
(row *i*, column *j*) is the strength of the tie from *i* to *j*, 0 for none. A
matrix may be binary or weighted (calls intercepted, co-offences), symmetric or not.

**Edge list**: a header ``source,target`` with an optional ``weight`` column (other
columns are ignored, and a note says so); one tie a row; nodes in order of first
appearance (a node without ties cannot be listed this way).

Either may be comma-, semicolon- or tab-separated, UTF-8 with or without a byte-order
mark. What the file cannot mean is an :class:`~harmwatch.errors.InputError` naming
``file:line: field: reason``; what was decided on the reader's behalf (direction
dropped, strengths ignored, self-ties dropped) comes back as notes. How ties are
collapsed and weighted is :mod:`.network`'s.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from harmwatch.errors import InputError

from .network import Network, TieCounts, build_from_arrays, plural

_DELIMITERS = (",", ";", "\t")


def read_network(
    path: str | Path, *, directed: bool = False, weighted: bool = False
) -> tuple[Network, list[str]]:
    """The network in ``path`` and notes on how it was read."""
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise InputError(f"{path}:1: file: empty; expected an adjacency matrix or an edge list")
    header = [cell.strip() for cell in rows[0][1]]
    if [c.lower() for c in header[:2]] == ["source", "target"]:
        return _edge_list(path, rows, directed=directed, weighted=weighted)
    row_labels = [cells[0].strip() if cells else "" for _, cells in rows[1:]]
    if header and (header[0] == "" or row_labels == header[1:]):
        return _matrix(path, rows, directed=directed, weighted=weighted)
    raise InputError(
        f"{path}:{rows[0][0]}: header: not a network file: expected an adjacency matrix "
        "(an empty first cell, then the node labels) or an edge list (source,target[,weight])"
    )


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file: not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: file: a folder, not a file") from None
    except UnicodeDecodeError as exc:
        line = _text_line(path, exc.start)
        raise InputError(f"{path}:{line}: file: not UTF-8 text; save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: file: {exc}") from None
    return rows


def _text_line(path: Path, offset: int) -> int:
    """The line holding byte ``offset`` of ``path``."""
    with path.open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def _number(path: Path, line: int, where: str, cell: str) -> float:
    text = cell.strip()
    if not text:
        raise InputError(f"{path}:{line}: {where}: empty; write 0 for no tie")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}:{line}: {where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{path}:{line}: {where}: {text!r} is not a finite number")
    if value < 0:
        raise InputError(
            f"{path}:{line}: {where}: {text} is negative; a tie's strength is 0 (no tie) or more"
        )
    return value


def _matrix(
    path: Path, rows: list[tuple[int, list[str]]], *, directed: bool, weighted: bool
) -> tuple[Network, list[str]]:
    header_line, header = rows[0]
    labels = [cell.strip() for cell in header[1:]]
    if not labels:
        raise InputError(f"{path}:{header_line}: header: no node labels after the first cell")
    seen: dict[str, int] = {}
    for column, label in enumerate(labels, start=2):
        if not label:
            raise InputError(f"{path}:{header_line}: column {column}: empty node label")
        if label in seen:
            raise InputError(
                f"{path}:{header_line}: column {column}: label {label!r} is also column "
                f"{seen[label]}'s; each node is listed once"
            )
        seen[label] = column
    size = len(labels)
    body = rows[1:]
    if len(body) != size:
        line = body[size][0] if len(body) > size else (body[-1][0] if body else header_line)
        raise InputError(
            f"{path}:{line}: matrix: {len(body)} rows for {size} column labels; "
            "an adjacency matrix is square (one row per node)"
        )
    matrix = np.zeros((size, size))
    for i, (line, cells) in enumerate(body):
        label = cells[0].strip()
        if label != labels[i]:
            raise InputError(
                f"{path}:{line}: row label: {label!r} does not match column {i + 2}'s label "
                f"{labels[i]!r}; a matrix lists the same nodes in the same order across and down"
            )
        if len(cells) != size + 1:
            raise InputError(
                f"{path}:{line}: row {label!r}: {len(cells) - 1} cells after the label, "
                f"expected {size}"
            )
        for j, cell in enumerate(cells[1:]):
            matrix[i, j] = _number(path, line, f"{label}→{labels[j]} (column {j + 2})", cell)
    src, dst = np.nonzero(matrix)
    network, counts = build_from_arrays(
        labels, src, dst, matrix[src, dst], directed=directed, weighted=weighted
    )
    notes = [
        f"read {path.name} as an adjacency matrix: {plural(size, 'node')}, "
        f"{plural(counts.ties, 'tie')} ({_reading(directed, weighted)})"
    ]
    if directed:
        notes.append("a cell is the tie from its row's node to its column's node")
    elif counts.asymmetric_pairs:
        how = (
            "at the stronger direction's strength" if weighted else "present if either direction is"
        )
        notes.append(
            "ties treated as undirected: the matrix is asymmetric in "
            f"{plural(counts.asymmetric_pairs, 'pair')} (one tie a pair, {how}); "
            "use --directed to keep direction"
        )
    if counts.self_ties:
        notes.append(f"{plural(counts.self_ties, 'self-tie')} (the diagonal) dropped")
    notes.extend(_strength_notes(matrix[src, dst], weighted, "the matrix is binary"))
    return network, notes


def _edge_list(
    path: Path, rows: list[tuple[int, list[str]]], *, directed: bool, weighted: bool
) -> tuple[Network, list[str]]:
    header_line, header_cells = rows[0]
    header = [cell.strip().lower() for cell in header_cells]
    for column, name in enumerate(header, start=1):
        if name and name in header[: column - 1]:
            raise InputError(f"{path}:{header_line}: column {column}: {name!r} appears twice")
    weight_at = header.index("weight") if "weight" in header else None
    ignored = [c for i, c in enumerate(header_cells) if i >= 2 and i != weight_at]
    index: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    strength: list[float] = []
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise InputError(
                f"{path}:{line}: row: {len(cells)} cells, expected {len(header)} "
                f"({', '.join(header)})"
            )
        ends = []
        for column in (0, 1):
            name = cells[column].strip()
            if not name:
                raise InputError(f"{path}:{line}: {header[column]}: empty node name")
            ends.append(index.setdefault(name, len(index)))
        src.append(ends[0])
        dst.append(ends[1])
        strength.append(
            1.0 if weight_at is None else _number(path, line, "weight", cells[weight_at])
        )
    if not src:
        raise InputError(f"{path}:{header_line}: file: a header but no ties")
    values = np.asarray(strength)
    network, counts = build_from_arrays(
        list(index),
        np.asarray(src),
        np.asarray(dst),
        values,
        directed=directed,
        weighted=weighted,
    )
    notes = [
        f"read {path.name} as an edge list: {plural(len(index), 'node')} (in order of first "
        f"appearance), {plural(counts.ties, 'tie')} ({_reading(directed, weighted)})"
    ]
    if not directed:
        count = "counts as one tie" if counts.two_way == 1 else "count as one tie each"
        both = (
            f"; {plural(counts.two_way, 'pair')} listed in both directions {count}"
            if counts.two_way
            else ""
        )
        notes.append(
            f"ties treated as undirected (source and target are not told apart){both}; "
            "use --directed to keep direction"
        )
    notes.extend(_merge_notes(counts, weighted))
    if ignored:
        notes.append(f"columns ignored: {', '.join(c.strip() for c in ignored)}")
    if weight_at is None:
        if weighted:
            notes.append("--weighted: the file has no weight column, so every tie has strength 1")
    else:
        notes.extend(_strength_notes(values[values > 0], weighted, "every weight is 0 or 1"))
    return network, notes


def _reading(directed: bool, weighted: bool) -> str:
    return (
        f"{'directed' if directed else 'undirected'}, "
        f"{'weighted: distance = 1/strength' if weighted else 'unweighted'}"
    )


def _merge_notes(counts: TieCounts, weighted: bool) -> list[str]:
    notes = []
    if counts.self_ties:
        notes.append(f"{plural(counts.self_ties, 'self-tie')} dropped")
    if counts.zero:
        notes.append(f"{plural(counts.zero, 'row')} with weight 0 read as no tie")
    if counts.repeated:
        strongest = " (strength: the largest)" if weighted else ""
        notes.append(f"{plural(counts.repeated, 'tie')} listed more than once merged{strongest}")
    return notes


def _strength_notes(values: np.ndarray, weighted: bool, binary: str) -> list[str]:
    if values.size == 0:
        return ["the network has no ties"]
    lo, hi = float(values.min()), float(values.max())
    if lo == hi == 1.0:
        return [f"--weighted: {binary}, so every tie has strength 1"] if weighted else []
    if weighted:
        return []
    return [
        f"tie strengths ({lo:g} to {hi:g}) ignored: every tie counts 1; use --weighted to "
        "read them as closeness (distance 1/strength)"
    ]
