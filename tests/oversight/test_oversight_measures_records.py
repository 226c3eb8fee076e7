"""Records measures read through their rooms: what the rooms' own summaries give, the PCC's
suppressed view, and "not read" or "no records held" rather than a made-up zero.

The records are the demo's SYNTHETIC ones, made by the rooms' own seeders: Op Lantern
(operations, March to September 2025, results in three forces), one programme of each
shipped type (programmes, from January 2025), and a three-force laboratory incident
(forensics) — and, for the force-records measure, a SYNTHETIC Hertfordshire RMS export
of January to April 2025 imported through the force-records room.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from scipy.stats import beta
from sqlalchemy import Engine

from harmwatch.crimes import service as crimes_service
from harmwatch.crimes.importer import FORCE_RECORDS
from harmwatch.crimes.synth import RmsParams, generate, read_street_files, write_export
from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.forensics import demo as forensic_demo
from harmwatch.forensics.progress import progress
from harmwatch.kernel.principal import Principal
from harmwatch.operations import demo as operations_demo
from harmwatch.operations.summary import summarise
from harmwatch.outputs.suppression import FEWER_THAN_5
from harmwatch.oversight.measures import compute
from harmwatch.programmes import demo as programmes_demo
from harmwatch.programmes.outcomes import outcomes
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import AnalyticsStore, copy_store
from harmwatch.storage.records import make_engine, session_scope, upgrade

FORCE = "hertfordshire"
FORCES = ["hertfordshire", "bedfordshire", "cambridgeshire"]
OP_PERIOD = ("2025-03", "2025-09")  # Op Lantern's months
SINCE, UNTIL = date(2025, 3, 1), date(2025, 9, 30)


def who(role: Role, unit: str) -> Principal:
    return Principal(f"{role.value}-{unit}", role, FORCE, frozenset({unit}), "cli")


OFFICER = who(Role.NEIGHBOURHOOD_OFFICER, "herts-snt")
PCC = who(Role.PCC_VIEWER, "pcc-office")
REVIEWER = who(Role.FORENSIC_REVIEWER, "herts-fsu")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("oversight-records")
    engine = make_engine(f"sqlite:///{folder / 'records.sqlite'}")
    upgrade(engine)
    operations_demo.seed(engine, FORCE, "herts-ocu")
    programmes_demo.seed_demo(engine, OFFICER)
    forensic_demo.seed(engine, FORCE, "herts-fsu")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def report(world: Engine, sample_db: Path):  # type: ignore[no-untyped-def]
    return compute(sample_db, FORCES, OP_PERIOD, engine=world, principal=OFFICER, published=False)


def test_operations_measures_are_the_summary_figures(report, world: Engine) -> None:  # type: ignore[no-untyped-def]
    lines, ocg = report.result("county-lines-closed"), report.result("ocg-disruptions")
    for area in lines.areas:
        summary = summarise(world, OFFICER, force=area.force, since=SINCE, until=UNTIL, exact=False)
        assert area.value == summary.value("lines_closed")
        levels = summary.value("ocg_disruptions")
        [ocg_area] = [a for a in ocg.areas if a.force == area.force]
        assert ocg_area.value == levels["major"] + levels["moderate"]
    # the seeder planted 9 line closures over the three forces in these months
    assert lines.total is not None and lines.total.value == 9
    assert lines.total.value == sum(a.value for a in lines.areas)
    # the records began with the operation: the baseline is none, and says so
    assert lines.total.baseline == 0 and lines.total.comparison is not None
    assert "from none to 9" in lines.total.comparison.sentence
    assert any("none were recorded" in c for c in lines.caveats)


def test_programme_measures_are_the_outcomes_figures(report, world: Engine) -> None:  # type: ignore[no-untyped-def]
    mine = {
        o.programme_type: {m.key: m for m in o.measures}
        for o in outcomes(world, OFFICER, force=FORCE, since=SINCE, until=UNTIL)
    }
    herts = {r.key: next(a for a in r.areas if a.force == FORCE) for r in report.results}
    assert herts["treatment-entries"].value == mine["treatment-referral"]["people-entered"].value
    assert herts["diversion-completions"].value == mine["checkpoint"]["completed"].value
    assert herts["victim-contacts"].value == mine["victim-services"]["contacted"].value
    rate = mine["checkpoint"]["reoffending-rate-12"]
    share = herts["diversion-reoffending"]
    assert (share.value, share.denominator) == (rate.numerator, rate.denominator)
    k, n = int(rate.numerator), int(rate.denominator)  # type: ignore[arg-type]
    assert share.percent == pytest.approx(100 * k / n)
    low = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert (share.percent_low, share.percent_high) == pytest.approx((100 * low, 100 * high))
    # the other forces keep no programme: "no records held", not a zero
    beds = next(a for a in report.result("victim-contacts").areas if a.force == "bedfordshire")
    assert not beds.available and beds.value is None and "no records held" in beds.reason
    assert not report.result("victim-contacts").total.available


def test_forensic_measure_is_the_review_progress(world: Engine, sample_db: Path) -> None:
    got = compute(sample_db, FORCES, OP_PERIOD, engine=world, principal=REVIEWER,
                  published=False, measures=["forensic-review"])  # fmt: skip
    result = got.result("forensic-review")
    truth = {f.force: f for f in progress(world, REVIEWER).forces}
    for area in result.areas:
        assert (area.value, area.denominator) == (
            truth[area.force].retested,
            truth[area.force].samples,
        )
        assert area.percent_low is None  # a tally of work done, not an estimate
    assert result.total is not None
    assert result.total.denominator == sum(int(truth[f].samples) for f in FORCES)
    done = sum(int(truth[f].retested) for f in FORCES)
    assert result.total.value == done
    assert result.target_status == ("met" if done == result.total.denominator else "not met")


def test_no_sign_in_and_no_room_function_say_so(sample_db: Path, report) -> None:  # type: ignore[no-untyped-def]
    bare = compute(sample_db, [FORCE], OP_PERIOD, published=False,
                   measures=["county-lines-closed", "treatment-entries", "hate-crime"])  # fmt: skip
    for result in bare.results:
        assert not result.available and result.headline.value is None
        assert "records not read" in result.reason
        assert result.target_status in ("cannot tell", "no target")
    possession = report.result("drug-possession")  # no force records imported here
    assert not possession.available and "force crime records" in possession.reason
    searches = report.result("stop-search-find-rate")  # the sample holds no searches
    assert searches.areas and all(
        not a.available and "stop-and-search" in a.reason for a in searches.areas
    ), [a.reason for a in searches.areas]


def test_the_pcc_viewer_gets_the_suppressed_view(world: Engine, sample_db: Path) -> None:
    got = compute(sample_db, FORCES, OP_PERIOD, engine=world, principal=PCC, published=False,
                  measures=["county-lines-closed", "treatment-entries", "forensic-review"])  # fmt: skip
    assert got.published  # whatever was asked
    exact = compute(sample_db, FORCES, OP_PERIOD, engine=world, principal=OFFICER,
                    published=False, measures=["county-lines-closed"])  # fmt: skip
    counted = {a.force: a.value for a in exact.result("county-lines-closed").areas}
    shown = {a.force: a for a in got.result("county-lines-closed").areas}
    for force, value in counted.items():
        if 1 <= value < 5:
            assert shown[force].value == FEWER_THAN_5 and shown[force].comparison is None
            assert shown[force].rate is None  # a rate would give the count back
    assert any(1 <= v < 5 for v in counted.values())
    # programmes of another force are not the PCC's to see; their own come from the room
    treatment = {a.force: a for a in got.result("treatment-entries").areas}
    assert not treatment["bedfordshire"].available
    assert "own force" in treatment["bedfordshire"].reason
    mine = outcomes(world, PCC, force=FORCE, since=SINCE, until=UNTIL,
                    programme_type_key="treatment-referral")  # fmt: skip
    [entered] = [m for m in mine[0].measures if m.key == "people-entered"]
    assert treatment[FORCE].value == entered.value


@pytest.fixture(scope="module")
def force_records(sample_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("oversight-force-records")
    db = folder / "analytics.duckdb"
    copy_store(sample_db, db)
    engine = make_engine(f"sqlite:///{folder / 'records.sqlite'}")
    upgrade(engine)
    analyst = who(Role.ANALYST, "herts-analysis")
    made = generate(read_street_files(FORCE, ("2025-01", "2025-02", "2025-03", "2025-04")),
                    RmsParams(seed=1414))  # fmt: skip
    files = write_export(made, folder / "rms")
    with AnalyticsStore.open(db, read_only=False) as store:
        crimes_service.import_files(engine, store, analyst, [files.csv],
                                    load_spec(files.spec, FORCE_RECORDS), crimes_service.ImportTerms())  # fmt: skip
    yield engine, db, analyst
    engine.dispose()


def test_hate_crime_from_the_force_records_as_the_room_counts_it(force_records) -> None:  # type: ignore[no-untyped-def]
    engine, db, analyst = force_records
    period, baseline = ("2025-03", "2025-04"), ("2025-01", "2025-02")
    got = compute(db, [FORCE], period, engine=engine, principal=analyst, published=False,
                  measures=["hate-crime"])  # fmt: skip
    assert got.baseline == baseline
    [area] = got.result("hate-crime").areas
    with crimes_service.reading(engine, analyst, what="test", exact=False):
        expected = change(db, ChangeRequest(
            forces=(FORCE,), all_crime_types=True, source="force-records",
            flags=("hate-crime",), period=period, baseline=baseline,
        ))  # fmt: skip
    assert (area.value, area.baseline) == (expected.count_period, expected.count_baseline)
    assert area.value > 0 and area.comparison is not None
    assert area.comparison.rate.p_value == expected.rate.p_value
    assert any("aggregates only" in n for n in got.result("hate-crime").notes)
    with session_scope(engine) as s:  # the room logged the measure's read
        questions = [e.details.get("question") for e in audit.query(s, limit=None)]
    assert "oversight measure hate-crime" in questions


@pytest.mark.parametrize(
    ("key", "codes"), [("drug-possession", ("92D", "92E")), ("drug-trafficking", ("92A", "92C"))]
)
def test_possession_and_trafficking_counted_by_offence_class(force_records, key, codes) -> None:  # type: ignore[no-untyped-def]
    engine, db, analyst = force_records
    period, baseline = ("2025-03", "2025-04"), ("2025-01", "2025-02")
    got = compute(db, [FORCE], period, engine=engine, principal=analyst, published=False,
                  measures=[key])  # fmt: skip
    [area] = got.result(key).areas
    con = duckdb.connect(str(db), read_only=True)
    try:

        def count(months: tuple[str, str]) -> int:
            row = con.execute(
                "SELECT count(*) FROM force_crimes WHERE counted AND offence_code IN (?, ?) "
                "AND strftime(committed_month, '%Y-%m') BETWEEN ? AND ?",
                [*codes, *months],
            ).fetchone()
            return int(row[0]) if row else 0

        expected = (count(period), count(baseline))
    finally:
        con.close()
    assert (area.value, area.baseline) == expected
    assert area.value > 0
