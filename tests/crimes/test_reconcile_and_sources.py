"""The same analyses on either source, and the reconciliation that explains their difference:
on the SYNTHETIC export (built from the same police.uk months) it must recover exactly the
differences the generator planted, and leave nothing unexplained."""

from __future__ import annotations

import pandas as pd
import pytest
from recordsworld import ANALYST, FORCE, MONTHS, PCC, WHY, World

from harmwatch.crimes import service
from harmwatch.crimes.offences import POLICE_UK_CRIME_TYPES, offence_classes
from harmwatch.crimes.reconcile import reconcile
from harmwatch.evaluation.change import change
from harmwatch.evaluation.requests import ChangeRequest
from harmwatch.query.filter import Filter, FilterError
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.hotspots import hotspots
from harmwatch.where.patrol import plan_patrols
from harmwatch.where.requests import HotspotsRequest, PatrolPlanRequest


def bridge(world: World) -> pd.DataFrame:
    with (
        service.reading(world.engine, PCC, what="reconcile test") as grant,
        AnalyticsStore.open(world.db) as store,
    ):
        return reconcile(store, FORCE, grant=grant).table


def test_nothing_is_left_unexplained_and_each_step_is_what_was_planted(world: World) -> None:
    table = bridge(world)
    planted = world.synthetic.planted
    assert list(table.index.get_level_values("month").unique()) == list(MONTHS)
    assert (table["unexplained"] == 0).all()
    for (month, kind), row in table.iterrows():
        p = planted.counts[(kind, month)]
        assert row["police_uk"] == p.published, (month, kind)
        assert row["cancelled"] == p.cancelled, (month, kind)
        came_in = sum(
            planted.counts[(other, month)].reclassified_to.get(kind, 0)
            for other in POLICE_UK_CRIME_TYPES
        )
        # From the records to police.uk: add back what left the type, take away what came in.
        assert row["reclassified"] == p.reclassified_out - came_in, (month, kind)
    assert table["cancelled"].sum() > 0 and (table["reclassified"] != 0).any()


def test_the_timing_step_is_the_recount_of_the_exports_own_dates(world: World) -> None:
    rows = pd.read_csv(world.csv, dtype=str, keep_default_na=False)
    kinds = {c: k.police_uk_type for c, k in offence_classes().items()}
    counted = rows[(rows["Status"] == "Recorded") & rows["HO Class"].map(kinds).notna()]
    kind = counted["HO Class"].map(kinds)
    committed = pd.to_datetime(counted["Committed From"], format="%d/%m/%Y %H:%M").dt.strftime(
        "%Y-%m"
    )
    recorded = pd.to_datetime(counted["Recorded"], format="%d/%m/%Y %H:%M").dt.strftime("%Y-%m")
    table = bridge(world)
    for month in MONTHS:
        for k in POLICE_UK_CRIME_TYPES:
            moved = int(((kind == k) & (recorded == month)).sum()) - int(
                ((kind == k) & (committed == month)).sum()
            )
            assert table.loc[(month, k), "timing"] == moved, (month, k)
    assert (table["timing"] != 0).any()


def test_non_notifiable_records_are_counted_apart(world: World) -> None:
    with (
        service.reading(world.engine, ANALYST, what="t", justification=WHY) as grant,
        AnalyticsStore.open(world.db) as store,
    ):
        result = reconcile(store, FORCE, grant=grant)
    assert result.non_notifiable == dict(world.synthetic.planted.non_notifiable)
    assert "SYNTHETIC" in result.source


def test_the_same_hotspot_run_on_either_source_says_which(world: World) -> None:
    request = HotspotsRequest(forces=(FORCE,), months=MONTHS, cell=500.0)
    open_run = hotspots(world.db, request)
    with service.reading(world.engine, ANALYST, what="t", justification=WHY):
        records_run = hotspots(world.db, request.replace(source="force-records"))
    assert not any("force's own crime records" in n for n in open_run.defaults_chosen)
    assert any(
        "force's own crime records" in n and "SYNTHETIC" in n for n in records_run.defaults_chosen
    )
    # Drugs are police-found and recorded at once: the two sources nearly agree (committed
    # month differs from recording month for a few), and the hot spots are the same places.
    a, b = len(open_run.points), len(records_run.points)
    assert abs(a - b) <= 0.05 * a
    top_open = set(open_run.cells.nlargest(5, "n")["cell_id"])
    top_records = set(records_run.cells.nlargest(5, "n")["cell_id"])
    assert len(top_open & top_records) >= 3


def test_exact_points_allow_cells_finer_than_the_snap_points(world: World) -> None:
    request = HotspotsRequest(forces=(FORCE,), months=MONTHS, boundary=None)
    with service.reading(world.engine, ANALYST, what="t", justification=WHY):
        records_run = hotspots(world.db, request.replace(source="force-records"))
    assert any(
        "snap-point floor" in n and "does not apply" in n for n in records_run.defaults_chosen
    )


def test_flags_filter_and_change_on_hate_crime_gives_its_interval(world: World) -> None:
    with pytest.raises(FilterError, match=r"police\.uk files carry no flags"):
        Filter(flags=("hate-crime",))
    request = ChangeRequest(
        forces=(FORCE,), period=("2025-03", "2025-04"), baseline=("2025-01", "2025-02"),
        all_crime_types=True, crime_types=(), source="force-records", flags=("hate-crime",),
        baseline_fallback=True,
    )  # fmt: skip
    with service.reading(world.engine, ANALYST, what="t", justification=WHY):
        result = change(world.db, request)
    rows = pd.read_csv(world.csv, dtype=str, keep_default_na=False)
    hate = rows[rows["Flags"].str.contains("HC-") & (rows["Status"] == "Recorded")]
    months = pd.to_datetime(hate["Committed From"], format="%d/%m/%Y %H:%M").dt.strftime("%Y-%m")
    assert result.count_period == int(months.isin(["2025-03", "2025-04"]).sum())
    assert result.count_baseline == int(months.isin(["2025-01", "2025-02"]).sum())
    assert "95 % CI" in result.sentence


def test_a_patrol_plan_on_the_records_says_when_and_police_uk_cannot(world: World) -> None:
    request = PatrolPlanRequest(
        forces=(FORCE,), months=MONTHS, cell=250.0, top_n=5,
        crime_types=("Violence and sexual offences",),
    )  # fmt: skip
    _, open_plan = plan_patrols(world.db, request)
    assert open_plan.timing is None
    with service.reading(world.engine, ANALYST, what="t", justification=WHY):
        _, plan = plan_patrols(world.db, request.replace(source="force-records"))
    assert plan.timing is not None and len(plan.timing) == len(plan.zones)
    assert plan.profiles is not None
    # Each zone's profile holds its crimes (whole crimes, spread over hours) unless a range
    # was too long to say anything about the hour.
    for crimes, profile in zip(plan.zones["crimes"], plan.profiles, strict=True):
        assert profile.sum() == pytest.approx(crimes, abs=crimes * 0.02 + 1e-9)
    busiest = plan.timing[0]
    assert busiest.windows and "Koper" in busiest.guidance


def test_the_monthly_trends_on_the_records_count_by_committed_month(world: World) -> None:
    from harmwatch.evaluation.requests import TrendsRequest
    from harmwatch.evaluation.trends import monthly_trends

    with service.reading(world.engine, PCC, what="trends test"):
        trend = monthly_trends(world.db, TrendsRequest(forces=(FORCE,), source="force-records"))
    assert trend.months == list(MONTHS)
    assert any("force's own crime records" in n for n in trend.notes)
    rows = pd.read_csv(world.csv, dtype=str, keep_default_na=False)
    kinds = {c: k.police_uk_type for c, k in offence_classes().items()}
    counted = rows[(rows["Status"] == "Recorded") & rows["HO Class"].map(kinds).notna()]
    burglary = counted[counted["HO Class"].map(kinds) == "Burglary"]
    committed = pd.to_datetime(burglary["Committed From"], format="%d/%m/%Y %H:%M")
    expected = committed.dt.strftime("%Y-%m").value_counts()
    assert dict(trend.series("Burglary")) == {m: int(expected.get(m, 0)) for m in MONTHS}
