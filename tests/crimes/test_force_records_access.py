"""Need-to-know on a force's own records: who imports, who gets exact places, who only
aggregates (never a point finer than its 250 m cell), and that every read is logged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from recordsworld import ANALYST, FORCE, PCC, WHY, World, who

from harmwatch.crimes import service
from harmwatch.crimes.service import ForceRecordsAccessError
from harmwatch.errors import InputError
from harmwatch.kernel import policy
from harmwatch.kernel.justification import JustificationRequired
from harmwatch.security import audit
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import AnalyticsStore, copy_store
from harmwatch.storage.records import session_scope
from harmwatch.where.hotspots import hotspots
from harmwatch.where.requests import HotspotsRequest

REQUEST = HotspotsRequest(forces=(FORCE,), source="force-records", months=("2025-02",))


def exact_points(world: World) -> np.ndarray:
    with AnalyticsStore.open(world.db) as store:
        con = store.room_connection(service.TABLES, scoped_by="test: the truth to compare with")
        rows = con.execute(
            "SELECT x, y FROM force_crimes WHERE counted AND crime_type = 'Drugs' AND x IS NOT NULL "
            "AND strftime(committed_month, '%Y-%m') = '2025-02'"
        ).fetchnumpy()
    return np.column_stack([rows["x"], rows["y"]])


def test_an_analyst_gets_exact_places_and_the_pcc_only_their_250_m_cells(world: World) -> None:
    truth = exact_points(world)
    with service.reading(world.engine, ANALYST, what="test", justification=WHY) as grant:
        exact = hotspots(world.db, REQUEST.replace(cell=250.0))
    assert grant.exact and grant.crimes_read == len(exact.points)
    got = np.column_stack([exact.points.x, exact.points.y])
    assert sorted(map(tuple, got)) == sorted(map(tuple, truth))
    with service.reading(world.engine, PCC, what="test") as grant:
        coarse = hotspots(world.db, REQUEST.replace(cell=250.0))
    assert not grant.exact
    xy = np.column_stack([coarse.points.x, coarse.points.y])
    # Every point is the centre of a 250 m cell of the national grid: 125 m past a multiple.
    assert np.all(np.mod(xy - 125.0, 250.0) == 0.0)
    exact_set = {tuple(p) for p in truth}
    assert not exact_set & {tuple(p) for p in xy}
    # Aggregation loses no crime and moves none out of its cell: the cell counts agree.
    assert exact.cells["n"].sum() == coarse.cells["n"].sum()
    assert (
        exact.cells.sort_values("cell_id")["n"].to_numpy()
        == coarse.cells.sort_values("cell_id")["n"].to_numpy()
    ).all()
    assert any("aggregates only" in n for n in coarse.defaults_chosen)


def test_the_pcc_cannot_ask_for_finer_or_unaligned_cells_or_exact_data(world: World) -> None:
    with service.reading(world.engine, PCC, what="test"):
        for cell in (100.0, 300.0):
            with pytest.raises(InputError, match="cells of at least 250 m, in multiples of 250 m"):
                hotspots(world.db, REQUEST.replace(cell=cell))
    with (
        pytest.raises(policy.PolicyDenied, match="may not read exact force records"),
        service.reading(world.engine, PCC, what="test", exact=True),
    ):
        pass


def test_exact_reads_need_a_justification_and_outsiders_none(world: World) -> None:
    with pytest.raises(JustificationRequired), service.reading(world.engine, ANALYST, what="t"):
        pass
    for role in (Role.ADMIN, Role.FORENSIC_REVIEWER):
        with (
            pytest.raises(policy.PolicyDenied, match="may not read force records"),
            service.reading(world.engine, who(role), what="test", justification=WHY),
        ):
            pass
    other_force = who(Role.ANALYST, "beds-analysis", force="bedfordshire")
    with (
        pytest.raises(InputError, match="no force crime records are loaded that you may see"),
        service.reading(world.engine, other_force, what="test", justification=WHY),
    ):
        pass


def test_without_a_reading_the_records_are_refused_not_served(world: World) -> None:
    with pytest.raises(ForceRecordsAccessError, match="read only through"):
        hotspots(world.db, REQUEST)


def test_a_pcc_viewer_may_not_import(world: World) -> None:
    from harmwatch.crimes.importer import FORCE_RECORDS
    from harmwatch.sources.importspec import load_spec

    with (
        AnalyticsStore.open(world.db, read_only=False) as store,
        pytest.raises(policy.PolicyDenied),
    ):
        service.import_files(
            world.engine, store, PCC, [world.csv], load_spec(world.spec, FORCE_RECORDS),
            service.ImportTerms(),
        )  # fmt: skip


def test_every_reading_is_logged_with_its_files_and_how_many_crimes(world: World) -> None:
    with service.reading(world.engine, ANALYST, what="logged test", justification=WHY):
        result = hotspots(world.db, REQUEST)
    with session_scope(world.engine) as db:
        entries = [
            e for e in audit.query(db, limit=None) if e.details.get("question") == "logged test"
        ]
    [entry] = entries
    assert entry.action == "consultation" and entry.outcome == "ok"
    assert entry.details["crimes_read"] == len(result.points)
    assert entry.details["exact"] is True
    assert entry.details["files"] and all(
        f.startswith("force-records-import") for f in entry.details["files"]
    )
    assert WHY in (entry.justification or "")


def test_a_fresh_records_database_gets_the_stored_files_record_back_on_reimport(
    world: World, tmp_path: Path
) -> None:
    from harmwatch.crimes.importer import FORCE_RECORDS
    from harmwatch.sources.importspec import load_spec
    from harmwatch.storage.records import make_engine, upgrade

    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    upgrade(fresh)
    with (
        pytest.raises(InputError, match="no force crime records"),
        service.reading(fresh, ANALYST, what="t", justification=WHY),
    ):
        pass
    with AnalyticsStore.open(world.db, read_only=False) as store:
        [again] = service.import_files(
            fresh, store, ANALYST, [world.csv], load_spec(world.spec, FORCE_RECORDS),
            service.ImportTerms(),
        )  # fmt: skip
    assert again.already_imported and "has been restored" in again.notes[-1]
    with service.reading(fresh, ANALYST, what="t", justification=WHY) as grant:
        assert grant.file_ids == (world.file_id,)
    fresh.dispose()


def test_purge_finishes_an_erasure_and_only_the_dpo_may_run_it(
    world: World, tmp_path: Path
) -> None:
    from harmwatch.storage.records import make_engine, upgrade

    # A records database without the file's record stands for one whose review erased it.
    erased = make_engine(f"sqlite:///{tmp_path / 'erased.sqlite'}")
    upgrade(erased)
    copy = tmp_path / "copy.duckdb"

    copy_store(world.db, copy)
    with AnalyticsStore.open(copy, read_only=False) as store:
        with pytest.raises(policy.PolicyDenied, match="data protection officer"):
            service.purge_erased(erased, store, ANALYST)
        purged = service.purge_erased(erased, store, who(Role.DATA_PROTECTION_OFFICER))
        assert purged == {world.file_id: len(world.synthetic.rows)}
        con = store.room_connection(service.TABLES, scoped_by="test: after the purge")
        assert con.execute("SELECT count(*) FROM force_crimes").fetchone() == (0,)
        assert service.purge_erased(erased, store, who(Role.DATA_PROTECTION_OFFICER)) == {}
    # The world's own records database still holds the record: nothing of it is purged.
    with AnalyticsStore.open(world.db, read_only=False) as store:
        assert service.purge_erased(world.engine, store, who(Role.DATA_PROTECTION_OFFICER)) == {}
    erased.dispose()
