"""Benchmark: the link-chart service (policy-scoped graph load, chart, path) as a unit's data grow.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_intel_chart.py [--sizes 1000,10000,50000] [--json]

Data: SYNTHETIC, generated here with a fixed seed — persons and handsets in groups of
about 25 (a dealer network each), every person using a handset, associates
within the group and a few across groups, each link resting on one of 1,000
reports. Imported in one unit of work through the room's bulk import (its time is
reported too), into a SQLite records database in a temporary folder.

Timed, median of five: a chart of one entity to 2 hops (read hop by hop,
``linkcharts.load_around``); the shortest path between two entities in different
groups (which reads the caller's whole visible graph); the same chart as an analyst
of another unit sees it (restricted records left out by the policy). The baseline,
measured in the same run, is the whole-graph load alone (``linkcharts.load``: every
scoped query), which is what every chart cost before it was read hop by hop, and
what a path still costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harmwatch.intelligence import imports, linkcharts
from harmwatch.intelligence.identifiers import luhn_check_digit
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.rooms import installed_rooms
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

SEED = 20261201
WHY = "benchmark: link chart service at scale"
OFFICER = Principal("bench", Role.INTELLIGENCE_OFFICER, "hertfordshire", frozenset({"unit-a"}))
OUTSIDER = Principal("other", Role.ANALYST, "hertfordshire", frozenset({"unit-b"}))


def generate(n_entities: int, seed: int = SEED) -> tuple[str, str, str]:
    """CSV text for reports, entities and links (SYNTHETIC: see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_reports = 1000
    reports = [
        "reference,scheme,source_evaluation,intelligence_assessment,handling_code,"
        "sanitised_text,originator,reported_on,restriction"
    ]
    for i in range(n_reports):
        restriction = "restricted" if i % 10 == 0 else "force"
        reports.append(
            f"SYN-{i:05d},3x5x2,{rng.integers(1, 4)},{'ABCDE'[rng.integers(0, 5)]},P,"
            f"SYNTHETIC report {i},PC Synthetic,2025-01-01,{restriction}"
        )
    n_persons = n_entities * 2 // 3
    n_handsets = n_entities - n_persons
    entities = ["id,kind,label,value"]
    for i in range(n_persons):
        entities.append(f"p{i},person,Synthetic Person {i},")
    for i in range(n_handsets):
        body = f"35{i:012d}"  # a made-up TAC and serial; the Luhn digit makes it well-formed
        entities.append(f"t{i},handset,,{body}{luhn_check_digit(body)}")
    links = ["from,to,kind,strength,reports"]
    strengths = ("confirmed", "tentative", "unconfirmed")
    group = 25
    for i in range(n_persons):
        report = f"SYN-{rng.integers(0, n_reports):05d}"
        links.append(
            f"p{i},t{i % n_handsets},uses-handset,{strengths[rng.integers(0, 3)]},{report}"
        )
        base = (i // group) * group
        for _ in range(2):
            j = base + int(rng.integers(0, group))
            if j != i and j < n_persons:
                links.append(f"p{i},p{j},associate-of,{strengths[rng.integers(0, 3)]},{report}")
        if rng.random() < 0.05:
            j = int(rng.integers(0, n_persons))
            if j != i:
                links.append(f"p{i},p{j},associate-of,unconfirmed,{report}")
    return "\n".join(reports) + "\n", "\n".join(entities) + "\n", "\n".join(links) + "\n"


def _median(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(n_entities: int) -> dict[str, float | int]:
    installed_rooms()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'records.sqlite'}")
        upgrade(engine)
        r, e, link_text = generate(n_entities)
        start = time.perf_counter()
        result = imports.import_files(
            engine,
            OFFICER,
            reports=imports.ImportFile("reports.csv", r),
            entities=imports.ImportFile("entities.csv", e),
            links=imports.ImportFile("links.csv", link_text),
        )
        import_s = time.perf_counter() - start
        with session_scope(engine) as db:
            load_s = _median(lambda: linkcharts.load(db, OFFICER))
        chart_s = _median(lambda: linkcharts.chart(engine, OFFICER, "1", 2, justification=WHY))
        far = str(n_entities * 2 // 3 - 1)
        path_s = _median(lambda: linkcharts.find_path(engine, OFFICER, "1", far, justification=WHY))
        outsider_s = _median(lambda: linkcharts.chart(engine, OUTSIDER, "1", 2, justification=WHY))
        engine.dispose()
    return {
        "entities": result.entities,
        "links": result.links,
        "import_s": round(import_s, 2),
        "load_s": round(load_s, 3),
        "chart_s": round(chart_s, 3),
        "path_s": round(path_s, 3),
        "outsider_chart_s": round(outsider_s, 3),
        "chart_over_load": round(chart_s / load_s, 2) if load_s else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [run(int(n)) for n in args.sizes.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"SYNTHETIC data (seed {SEED}); SQLite; median of 5")
    header = list(rows[0])
    print("  ".join(f"{h:>16}" for h in header))
    for row in rows:
        print("  ".join(f"{row[h]!s:>16}" for h in header))


if __name__ == "__main__":
    main()
