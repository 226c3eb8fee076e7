"""Benchmark: a filled-in charge template imported, and an operation summarised, against bare SQL.

Run from the repository root (well under a minute on a 2-core machine):

    PYTHONPATH=src python benchmarks/bench_operations.py [--rows 5000] [--json FILE]

Data: a SYNTHETIC charge template of ``--rows`` rows for one operation (seeded,
``random.Random(15)``: made-up names, offence classes 92A/92E, 1–6 counts), written by
the template code itself, in a fresh SQLite records database.

1. **import** — :func:`harmwatch.operations.bulk.import_file`: every row checked with the
   charge form (types, choices, offence classes against the Home Office table, counts),
   the operation looked up per row under the record policy, each row a kernel record with
   its envelope, all in one unit of work with one access-log entry naming every record;
2. **import baseline** — :mod:`csv` + :mod:`sqlite3` ``executemany`` of the same rows into
   a bare table with the same columns: no checks, no policy, no log — the floor;
3. **summary** — :func:`harmwatch.operations.summary.summarise` of the operation (every
   figure, with the records behind each, the access-log entry);
4. **summary baseline** — one SQL query over the bare table (``count(DISTINCT lower(person))``,
   ``sum(offence_count)``): the same two charge figures, and nothing else.

Times are wall-clock seconds, each stage once, baseline and harmwatch in the same run; the
ratio is harmwatch / baseline (what the checks, the policy and the log cost).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any


def _write(path: Path, rows: int) -> None:
    from harmwatch.operations import bulk

    bulk.write_template("charge", path)
    rng = random.Random(15)
    with path.open("a", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for i in range(rows):
            writer.writerow(
                [
                    "Op Bench",
                    f"2025-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
                    "",
                    f"SYNTHETIC PC {rng.randrange(1000, 9999)}",
                    f"C/{i}",
                    f"SYNTHETIC Person {rng.randrange(rows // 2)}",
                    rng.choice(("92A", "92A;92E", "92E")),
                    rng.randrange(2, 7),
                ]
            )


def run(rows: int) -> dict[str, Any]:
    from harmwatch.kernel.principal import Principal
    from harmwatch.kernel.rooms import installed_rooms
    from harmwatch.operations import bulk, service, summary
    from harmwatch.security.roles import Role
    from harmwatch.storage.records import make_engine, upgrade

    installed_rooms()  # imported once before timing: a server has them loaded
    folder = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    path = folder / "charge.csv"
    _write(path, rows)
    engine = make_engine(f"sqlite:///{folder / 'records.sqlite'}")
    upgrade(engine)
    analyst = Principal("analyst", Role.ANALYST, "hertfordshire", frozenset({"herts-ocu"}))
    why = "Benchmark: SYNTHETIC charges for Op Bench"
    service.record_operation(engine, analyst, {"name": "Op Bench", "starts_on": "2025-01-01"})

    started = time.perf_counter()
    done = bulk.import_file(engine, analyst, path, justification=why)
    import_s = time.perf_counter() - started
    assert done.rows == {"charge": rows}

    bare = sqlite3.connect(folder / "bare.sqlite")
    bare.execute(
        "CREATE TABLE charges (operation TEXT, occurred_on TEXT, force TEXT, officer TEXT, "
        "reference TEXT, person TEXT, offence_codes TEXT, offence_count INTEGER)"
    )
    started = time.perf_counter()
    with path.open(encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        body = [r for r in reader if not r[0].startswith("#")]
    bare.executemany("INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?, ?, ?)", body)
    bare.commit()
    import_base_s = time.perf_counter() - started

    started = time.perf_counter()
    got = summary.summarise(engine, analyst, operations=["Op Bench"], justification=why)
    summary_s = time.perf_counter() - started
    started = time.perf_counter()
    people, offences = bare.execute(
        "SELECT count(DISTINCT lower(person)), sum(offence_count) FROM charges"
    ).fetchone()
    summary_base_s = time.perf_counter() - started
    assert (got.value("people_charged"), got.value("offences_charged")) == (people, offences)
    engine.dispose()
    return {
        "rows": rows,
        "import_s": round(import_s, 3),
        "import_baseline_s": round(import_base_s, 3),
        "import_ratio": round(import_s / import_base_s, 1),
        "import_rows_per_s": round(rows / import_s),
        "summary_s": round(summary_s, 3),
        "summary_baseline_s": round(summary_base_s, 4),
        "summary_ratio": round(summary_s / max(summary_base_s, 1e-6), 1),
        "people_charged": people,
        "offences_charged": offences,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.rows)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
