"""The same analyses on police.uk and on a SYNTHETIC force RMS export of the same months.

Not a speed benchmark: the figures the issue asks to see side by side, from a command
anyone can rerun (a minute or two):

    PYTHONPATH=src python benchmarks/compare_sources.py [--force hertfordshire] [--seed 20261201]

It loads the bundled police.uk sample into a temporary store, generates the force's
SYNTHETIC export from the same months (:mod:`harmwatch.crimes.synth`), imports it as an
analyst, and runs hotspots (drugs, 500 m cells), change (drugs, the last quarter against
the one before) and evaluate (violence in the busiest LSOA, from the fourth month) on
each source, then the reconciliation, whose steps say why the counts differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", default="hertfordshire")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()

    from harmwatch.crimes import service
    from harmwatch.crimes.importer import FORCE_RECORDS
    from harmwatch.crimes.reconcile import reconcile
    from harmwatch.crimes.synth import RmsParams, generate, read_street_files, write_export
    from harmwatch.evaluation.change import change
    from harmwatch.evaluation.evaluate import evaluate
    from harmwatch.evaluation.requests import ChangeRequest, EvaluateRequest
    from harmwatch.kernel.principal import Principal
    from harmwatch.security.roles import Role
    from harmwatch.sources.importspec import load_spec
    from harmwatch.sources.policeuk.ingest import ingest
    from harmwatch.storage.analytics import AnalyticsStore
    from harmwatch.storage.records import make_engine, upgrade
    from harmwatch.where.hotspots import hotspots
    from harmwatch.where.requests import HotspotsRequest

    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        db = tmp / "analytics.duckdb"
        sample = ROOT / "src" / "harmwatch" / "sample_data" / "police-uk"
        ingest([sample], db)
        engine = make_engine(f"sqlite:///{tmp / 'records.sqlite'}")
        upgrade(engine)
        analyst = Principal("analyst", Role.ANALYST, args.force, frozenset({"analysis"}), "system")
        street = read_street_files(args.force)
        files = write_export(generate(street, RmsParams(seed=args.seed)), tmp / "rms")
        with AnalyticsStore.open(db, read_only=False) as store:
            service.import_files(
                engine, store, analyst, [files.csv], load_spec(files.spec, FORCE_RECORDS),
                service.ImportTerms(synthetic=True),
            )  # fmt: skip
        months = sorted(street["Month"].unique())
        why = "benchmarks/compare_sources.py: both sources compared"
        print(f"SYNTHETIC force records of {args.force} (seed {args.seed}) beside police.uk, "
              f"{months[0]}–{months[-1]}")  # fmt: skip
        hot = HotspotsRequest(forces=(args.force,), cell=500.0)
        quarter = ChangeRequest(
            forces=(args.force,), period=(months[-3], months[-1]), baseline=(months[-6], months[-4])
        )
        results = {}
        for source in ("police-uk", "force-records"):
            with service.reading(engine, analyst, what="compare sources", justification=why):
                run = hotspots(db, hot.replace(source=source))
                moved = change(db, quarter.replace(source=source))
                if source == "police-uk":
                    busiest = run.points.lsoa_code[run.points.lsoa_code != ""]
                target = max(set(busiest.tolist()), key=busiest.tolist().count)
                evaluation = evaluate(
                    db,
                    EvaluateRequest(
                        start=months[3], forces=(args.force,), lsoa=(target,),
                        crime_types=("Violence and sexual offences",), source=source,
                    ),
                )  # fmt: skip
            top = set(run.cells.nlargest(10, "n")["cell_id"])
            results[source] = (run, moved, evaluation, top)
            print(
                f"\n{source}: hotspots (Drugs, 500 m): {run.area_counts().in_area:,} crimes in the "
                f"study area, {int((run.cells['class'] == 'hot spot').sum())} hot cells"
            )
            print(f"  change: {moved.sentence}")
            print(f"  evaluate ({target}): {evaluation.summary.splitlines()[0][:400]}")
        overlap = results["police-uk"][3] & results["force-records"][3]
        print(f"\nthe 10 busiest cells: {len(overlap)} of 10 the same on both sources")
        with (
            service.reading(engine, analyst, what="compare sources", justification=why) as grant,
            AnalyticsStore.open(db) as store,
        ):
            bridge = reconcile(store, args.force, grant=grant)
        print("\nreconciliation, all types and months:", bridge.totals())
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
