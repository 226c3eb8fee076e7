"""Benchmark: entity resolution's precision, recall and cost on SYNTHETIC planted duplicates.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_entity_resolution.py [--json] [--large N]

Data: :func:`harmwatch.intelligence.synthetic_people.generate` — made-up persons
(names from short lists of common UK names), phones from Ofcom's drama block,
random IMEIs and VRMs — at 5,000 persons on each of seeds 2–6, 10% of each kind
planted as second records (typo, swapped order, nickname, alias, missing date of
birth, day/month swap; phone formats, IMEI forms, VRM spacing), plus 2,500
phones, 1,250 handsets and 1,250 vehicles a seed. Seed 1 chose the threshold and
factors (:mod:`harmwatch.intelligence.resolution`) and is not used here. Then one
larger set (``--large``, 100,000 persons by default) for time and pairs only.

What is measured: precision and recall of :func:`~harmwatch.intelligence.resolution.suggest`
at its default threshold against the planted pairs; recall by duplicate kind; the
person pairs blocking lets through against all n(n-1)/2, and how many planted
person pairs blocking alone already loses. False positives are split into those
between a person without a date of birth and a same-named stranger (which nothing
in the records can tell from a duplicate: the generator drew two people with one
name) and the rest. Times are wall-clock seconds on this machine, one run each;
nothing is asserted about them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import rapidfuzz

from harmwatch.intelligence import identifiers, resolution, synthetic_people
from harmwatch.intelligence.synthetic_people import pair

SEEDS = (2, 3, 4, 5, 6)
N_PERSONS = 5_000


def run(n_persons: int, seed: int) -> dict[str, object]:
    t = time.perf_counter()
    data = synthetic_people.generate(n_persons, seed=seed)
    t_generate = time.perf_counter() - t
    t = time.perf_counter()
    suggestions = resolution.suggest(data.candidates)
    t_suggest = time.perf_counter() - t
    t = time.perf_counter()
    blocked = resolution.person_pairs(data.candidates)
    t_block = time.perf_counter() - t

    by_id = {c.id: c for c in data.candidates}
    index = {c.id: i for i, c in enumerate(data.candidates)}
    got = {pair(s.a, s.b) for s in suggestions}
    truth = data.duplicates
    found = Counter(data.kind_of[p] for p in got & truth)
    planted = Counter(data.kind_of.values())
    person_truth = {p for p in truth if p[0].startswith("person:")}
    lost_to_blocking = sum(
        (min(index[a], index[b]), max(index[a], index[b])) not in blocked for a, b in person_truth
    )
    false = got - truth
    indistinct = sum(
        1
        for a, b in false
        if by_id[a].kind == "person"
        and (by_id[a].date_of_birth is None or by_id[b].date_of_birth is None)
        and {identifiers.name_key(n) for n in by_id[a].names}
        & {identifiers.name_key(n) for n in by_id[b].names}
    )
    persons = sum(c.kind == "person" for c in data.candidates)
    person_got = {p for p in got if p[0].startswith("person:")}
    return {
        "seed": seed,
        "persons": persons,
        "records": len(data.candidates),
        "planted": planted,
        "found": found,
        "suggestions": len(got),
        "true_positives": len(got & truth),
        "precision": len(got & truth) / max(len(got), 1),
        "recall": len(got & truth) / len(truth),
        "person_precision": len(person_got & person_truth) / max(len(person_got), 1),
        "person_recall": len(person_got & person_truth) / len(person_truth),
        "false_positives": len(false),
        "false_indistinct": indistinct,
        "pairs_compared": len(blocked),
        "all_pairs": persons * (persons - 1) // 2,
        "lost_to_blocking": lost_to_blocking,
        "generate_s": t_generate,
        "suggest_s": t_suggest,
        "block_s": t_block,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="also print one JSON line of results")
    parser.add_argument("--large", type=int, default=100_000, help="persons in the timing set")
    args = parser.parse_args()

    print(
        f"synthetic sets: {N_PERSONS:,} persons (10% planted duplicates) + phones, handsets, "
        f"vehicles; seeds {', '.join(map(str, SEEDS))} (seed 1 tuned the threshold)"
    )
    print(
        f"threshold {resolution.DEFAULT_THRESHOLD}; DOB factors same {resolution.DOB_SAME}, "
        f"swapped {resolution.DOB_SWAPPED}, missing {resolution.DOB_MISSING}; "
        f"rapidfuzz {rapidfuzz.__version__}"
    )
    results = [run(N_PERSONS, seed) for seed in SEEDS]
    print()
    print(
        f"{'seed':>4} {'records':>8} {'suggested':>9} {'precision':>9} {'recall':>7} "
        f"{'persons P':>9} {'persons R':>9} {'false +':>7} {'of which':>8} "
        f"{'pairs compared':>15} {'of all pairs':>12} {'suggest s':>9}"
    )
    for r in results:
        print(
            f"{r['seed']:>4} {r['records']:>8,} {r['suggestions']:>9,} {r['precision']:>9.3f} "
            f"{r['recall']:>7.3f} {r['person_precision']:>9.3f} {r['person_recall']:>9.3f} "
            f"{r['false_positives']:>7} {r['false_indistinct']:>8} {r['pairs_compared']:>15,} "
            f"{r['pairs_compared'] / r['all_pairs']:>12.4%} {r['suggest_s']:>9.2f}"
        )
    print("('of which': false positives between an undated person and a same-named stranger)")

    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for r in results:
        planted.update(r["planted"])  # type: ignore[arg-type]
        found.update(r["found"])  # type: ignore[arg-type]
    print()
    print(f"recall by planted kind, seeds {SEEDS[0]}-{SEEDS[-1]} together")
    print(f"{'kind':<16} {'planted':>8} {'found':>7} {'recall':>7} {'min over seeds':>15}")
    for kind in (*synthetic_people.PERSON_KINDS, *synthetic_people.OTHER_KINDS.values()):
        per_seed = [
            r["found"][kind] / r["planted"][kind]  # type: ignore[index]
            for r in results
            if r["planted"][kind]  # type: ignore[index]
        ]
        print(
            f"{kind:<16} {planted[kind]:>8} {found[kind]:>7} "
            f"{found[kind] / max(planted[kind], 1):>7.3f} {min(per_seed):>15.3f}"
        )
    lost = sum(r["lost_to_blocking"] for r in results)  # type: ignore[misc]
    person_planted = sum(planted[k] for k in synthetic_people.PERSON_KINDS)
    print(f"planted person pairs blocking never compares: {lost} of {person_planted}")

    large = run(args.large, 2)
    print()
    print(f"larger set: {args.large:,} persons, seed 2, {large['records']:,} records")
    print(
        f"  generate {large['generate_s']:.1f} s; suggest {large['suggest_s']:.1f} s "
        f"({large['suggestions']:,} suggestions); blocking alone {large['block_s']:.1f} s"
    )
    print(
        f"  person pairs compared {large['pairs_compared']:,} of {large['all_pairs']:,} "
        f"({large['pairs_compared'] / large['all_pairs']:.4%})"  # type: ignore[operator]
    )
    print(
        f"  precision {large['precision']:.3f}, recall {large['recall']:.3f}; persons "
        f"{large['person_precision']:.3f} / {large['person_recall']:.3f}; false positives "
        f"{large['false_positives']:,}, of which undated same-name {large['false_indistinct']:,}"
    )

    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "entity_resolution",
                    "seeds": results,
                    "large": large,
                    "python": platform.python_version(),
                    "rapidfuzz": rapidfuzz.__version__,
                },
                default=dict,
            )
        )


if __name__ == "__main__":
    main()
