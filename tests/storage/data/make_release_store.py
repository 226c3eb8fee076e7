"""Make ``release-1/``: a store written by the first release (schema 1), and its inputs.

Run from a checkout of that release, so that its own ``ingest`` writes the file
(see README.md next to this script for the exact commands)::

    python make_release_store.py SAMPLE_DIR SHARED_POLICE_UK OUT_DIR

It cuts real police.uk files down to a few hundred rows (kept beside the store,
so a test can load the same files afresh with today's code), then loads them as
a user of that release would: street, outcomes and stop-and-search for
Bedfordshire, then a changed street file with one bad row, ``--lenient``, which
replaces the first street load and sets the bad row aside. So the store holds a
replaced load, a reject and every kind of row.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import duckdb

import harmwatch
from harmwatch.sources.policeuk.ingest import ingest

STREET = "2025-01/2025-01-bedfordshire-street.csv.gz"  # in the bundled sample
OUTCOMES = "2021-05/2021-05-bedfordshire-outcomes.csv.gz"  # in ../shared/data/police-uk
SEARCHES = "2021-05/2021-05-bedfordshire-stop-and-search.csv.gz"
STREET_ROWS, CHANGED_ROWS, OUTCOME_ROWS = 300, 250, 200
BAD_LINE = 10  # in the changed street file: its latitude is made 999


def lines_of(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same rows give the same bytes, so the file's SHA-256 is stable.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write("".join(lines).encode("utf-8"))


def main() -> None:
    sample, shared, out = (Path(a).resolve() for a in sys.argv[1:4])
    inputs = out / "inputs"
    street = lines_of(sample / STREET)
    write(inputs / "first" / Path(STREET).name, street[: STREET_ROWS + 1])
    write(inputs / "first" / Path(OUTCOMES).name, lines_of(shared / OUTCOMES)[: OUTCOME_ROWS + 1])
    write(inputs / "first" / Path(SEARCHES).name, lines_of(shared / SEARCHES))
    changed = street[: CHANGED_ROWS + 1]
    cells = changed[BAD_LINE - 1].split(",")
    cells[5] = "999"  # Latitude
    changed[BAD_LINE - 1] = ",".join(cells)
    write(inputs / "second" / Path(STREET).name, changed)

    db = out / "store.duckdb"
    os.chdir(inputs)  # so that loads.source holds paths relative to inputs/
    print(f"loading with harmwatch {harmwatch.__version__} from {harmwatch.__file__}")
    ingest([Path("first")], db)
    ingest([Path("second")], db, lenient=True)
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    with open(db, "rb") as src, gzip.GzipFile(f"{db}.gz", "wb", 9, mtime=0) as dst:
        dst.write(src.read())
    db.unlink()


if __name__ == "__main__":
    main()
