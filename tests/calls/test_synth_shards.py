"""SYNTHETIC data in shards: seeded, disjoint, the size asked for, one shard in memory at a time."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import duckdb
import numpy as np
import phonenumbers
import pytest

from harmwatch.calls.importer import CALL_DATA, Authority, LegalBasis, import_file
from harmwatch.calls.synth import Scenario, ScenarioParams, generate, shards
from harmwatch.calls.synth.shards import (
    MAX_SHARDS,
    ShardPlan,
    generate_shard,
    iter_shards,
    plan_for_rows,
    write_shards,
)
from harmwatch.errors import InputError
from harmwatch.intelligence.identifiers import luhn_check_digit
from harmwatch.sources.importspec import load_spec
from harmwatch.storage.analytics import migrations

SMALL = ScenarioParams(population=400, days=21, lines=3, number_changers=2)
PLAN = ShardPlan(SMALL, shards=3, seed=5)


@pytest.fixture(scope="module")
def made() -> list[Scenario]:
    return [s for _, s in iter_shards(PLAN)]


def _parties(s: Scenario) -> set[str]:
    return set(s.events["a_party"].astype(str)) | set(s.events["b_party"].astype(str))


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_plan_gives_the_same_bytes_and_each_shard_its_own_seed(tmp_path: Path) -> None:
    first = [k for k, _ in write_shards(PLAN, tmp_path / "a")]
    again = [k for k, _ in write_shards(PLAN, tmp_path / "b")]
    assert first == again == [0, 1, 2]
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    calls = {k: v for k, v in _digests(tmp_path / "a").items() if k.endswith("calls.csv.gz")}
    assert len(set(calls.values())) == 3
    assert [PLAN.shard_seed(k) for k in range(3)] == [5000, 5001, 5002]
    readme = (tmp_path / "a" / "shard-001" / "README.txt").read_text()
    assert "SYNTHETIC" in readme and "seed: 5001" in readme


def test_a_shard_is_its_seeds_scenario_with_its_own_identifiers(
    made: list[Scenario],
) -> None:
    plain = generate(SMALL, PLAN.shard_seed(1)).events
    shard = made[1].events
    assert generate_shard(PLAN, 1).events.equals(shard)
    for column in ("started_utc", "duration_s", "event", "cell_lat", "cell_lon"):
        assert shard[column].equals(plain[column])
    # The renumbering is one-to-one: the same events between the same parties.
    for column in ("a_party", "b_party", "imei", "cell_id"):
        assert np.array_equal(shard[column].cat.codes, plain[column].cat.codes)
        assert shard[column].cat.categories.is_unique
    truth = made[1].truth
    assert truth["synthetic"] is True and truth["seed"] == 5001
    assert truth["shard"] == {
        "index": 1, "shards": 3, "plan_seed": 5, "seed": 5001,
        "seed_rule": "plan seed * 1000 + index",
    }  # fmt: skip
    assert all(line["line_id"].startswith("S001-L") for line in truth["lines"])
    seen = _parties(made[1])
    assert set(truth["deal_lines"]) <= seen and set(truth["roles"]) <= seen
    assert set(truth["lookalikes"]) <= seen
    assert truth["deal_lines"] == sorted(truth["deal_lines"])
    cells = set(shard["cell_id"].dropna().astype(str))
    assert set(truth["cuckooed_cells"]) <= cells
    imeis = set(shard["imei"].dropna().astype(str))
    assert {h["imei14"] for ln in truth["lines"] for h in ln["handsets"]} <= imeis
    assert {p["number"] for p in made[1].people} <= seen


def test_shards_share_no_number_handset_or_cell(made: list[Scenario]) -> None:
    for i, a in enumerate(made):
        for b in made[i + 1 :]:
            assert not _parties(a) & _parties(b)
            for column in ("imei", "cell_id"):
                assert not set(a.events[column].cat.categories) & set(
                    b.events[column].cat.categories
                )
    deal = [set(s.truth["deal_lines"]) for s in made]
    assert all(deal) and not set.intersection(*deal)


def test_identifiers_are_synthetic_and_well_formed(made: list[Scenario]) -> None:
    for k, s in enumerate(made):
        for key in _parties(s):
            if key.startswith("+447700"):
                assert key[7] in "24569"
                # Unallocated (or Ofcom's drama range): no real subscriber's number.
                assert not phonenumbers.is_valid_number(phonenumbers.parse(key))
            elif key.startswith("+441632"):
                assert 960000 <= int(key[7:]) <= 960999
            else:
                assert key.startswith(("alpha:", "short:")) and key.endswith(f"{k:03d}")
        for full, body, sv in s.handset_written:
            assert body.startswith(f"35{k:03d}") and len(body) == 14
            assert full == body + luhn_check_digit(body) and sv[:14] == body and len(sv) == 16
        areas = {c.split("-")[2] for c in s.events["cell_id"].cat.categories}
        assert areas == {str(20000 + k), str(40000 + k)}


def test_a_shard_imports_through_the_real_importer(tmp_path: Path) -> None:
    plan = ShardPlan(SMALL, shards=2, seed=9)
    con = duckdb.connect(str(tmp_path / "calls.duckdb"))
    migrations.migrate(con)
    counts = {}
    for k, paths in write_shards(plan, tmp_path / "shards"):
        done = import_file(
            con, paths["calls"], load_spec(paths["spec"], CALL_DATA),
            authority=Authority(LegalBasis.IPA_PART3, "SYNTHETIC"), force="synthetic",
            imported_by="test", synthetic=True,
        )  # fmt: skip
        counts[done.file_id] = done.rows
        paths["calls"].unlink()
        expect = _parties(generate_shard(plan, k))
        stored = con.execute(
            "SELECT a_party FROM calls WHERE file_id = ? UNION SELECT b_party FROM calls "
            "WHERE file_id = ?",
            [done.file_id, done.file_id],
        ).fetchall()
        assert {r[0] for r in stored} == expect
    assert len(counts) == 2
    one, two = counts
    shared = con.execute(
        "SELECT count(*) FROM (SELECT a_party FROM calls WHERE file_id = ? "
        "INTERSECT SELECT a_party FROM calls WHERE file_id = ?)",
        [one, two],
    ).fetchone()
    assert shared == (0,)


def test_plan_for_rows_comes_near_the_target() -> None:
    plan = plan_for_rows(150_000, 21, seed=3, shard_rows=50_000, base=SMALL)
    assert plan.shards == 3 and plan.params.days == 21 and plan.params.lines == 3
    rows = [len(s.events) for _, s in iter_shards(plan)]
    assert abs(sum(rows) - 150_000) / 150_000 < 0.06
    assert all(abs(r - 50_000) / 50_000 < 0.1 for r in rows)


def test_shards_are_made_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = shards.generate

    def counting(params: ScenarioParams, seed: int) -> Scenario:
        made.append(seed)
        return real(params, seed)

    monkeypatch.setattr(shards, "generate", counting)
    walk = iter_shards(PLAN)
    assert made == []
    next(walk)
    assert made == [5000]
    next(walk)
    assert made == [5000, 5001]


def test_memory_is_bounded_by_one_shard() -> None:
    plan = ShardPlan(SMALL, shards=4, seed=2)
    tracemalloc.start()
    try:
        generate_shard(plan, 0)
        _, one = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        held = []
        for _k, scenario in iter_shards(plan):
            held.append(tracemalloc.get_traced_memory()[0] - base)
            del scenario
        _, four = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # While the caller holds shard k, nothing of the earlier shards is left: what is
    # held stays one shard's size, not k + 1 times it.
    assert held[0] > 0 and max(held) < 1.5 * held[0]
    assert four < 1.3 * one


def test_plans_refuse_what_the_number_space_cannot_hold() -> None:
    with pytest.raises(InputError, match="shards: must be between 1 and 500"):
        ShardPlan(SMALL, shards=MAX_SHARDS + 1, seed=1)
    with pytest.raises(InputError, match="shard 3: the plan has shards 0 to 2"):
        PLAN.shard_seed(3)
    crowded = ShardPlan(ScenarioParams(population=1200, days=21), shards=500, seed=1)
    with pytest.raises(InputError, match="each of 500 shards has 1,000"):
        generate_shard(crowded, 0)
