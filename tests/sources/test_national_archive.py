"""The synthetic national archive (benchmarks/national_archive.py) at a tiny scale.

Seven forces (the four the shared files lack among them) over 13 months at 1 % of the
national volume: the same seed gives byte-identical files whatever the number of
processes, another seed other files; names, headers and quoting are police.uk's; the
four synthesised forces lie inside their own force areas; outcomes join to street
crimes; everything says it is synthetic; and harmwatch's own ingest loads it all.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import shapely

from harmwatch.sources.policeuk.forces import FORCES
from harmwatch.sources.policeuk.formats import HEADERS, Kind
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.spatial import boundaries
from harmwatch.spatial.projection import to_bng

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "national_archive.py"
SHARED = ROOT.parent / "shared" / "data"

TARGETS = ("metropolitan", "greater-manchester", "west-midlands", "west-yorkshire")
FORCES_USED = ("bedfordshire", "btp", "dorset", *TARGETS)
MONTHS = "2023-01..2024-01"
SCALE = 0.01
FILE_NAME = re.compile(
    r"^(?P<folder>\d{4}-\d{2})/(?P<month>\d{4}-\d{2})-(?P<force>[a-z-]+?)-"
    r"(?P<kind>street|outcomes|stop-and-search)\.csv\.gz$"
)


def _script() -> ModuleType:
    name = "national_archive_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # Registered before it runs: dataclasses look their module up, and the worker
        # processes find the functions they run by this name.
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    if not (SHARED / "police-uk").is_dir():
        pytest.skip(
            f"real police.uk data not found at {SHARED / 'police-uk'}: the generator needs it"
        )
    return _script()


def _build(generator: ModuleType, out: Path, seed: int, processes: int, **kw: object) -> dict:
    return generator.build(
        out,
        seed=seed,
        scale=SCALE,
        months=kw.get("months", MONTHS),
        forces=kw.get("forces", FORCES_USED),
        processes=processes,
        data=SHARED,
        quiet=True,
    )


@pytest.fixture(scope="module")
def archives(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("national")
    _build(generator, root / "a", seed=7, processes=1)
    _build(generator, root / "b", seed=7, processes=2)
    _build(generator, root / "c", seed=8, processes=1)
    return {"a": root / "a", "b": root / "b", "c": root / "c"}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob("*/*.csv.gz"))
    }


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(gzip.decompress(data).decode("utf-8"), newline=""))
    header = next(reader)
    return header, list(reader)


def test_same_seed_gives_the_same_bytes_whatever_the_processes(archives: dict[str, Path]) -> None:
    a, b = _files(archives["a"]), _files(archives["b"])
    assert a and a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def test_another_seed_gives_other_files(archives: dict[str, Path]) -> None:
    a, c = _files(archives["a"]), _files(archives["c"])
    street = [name for name in a if name.endswith("-street.csv.gz")]
    # Fresh random Crime IDs alone make every street file of a force with IDs differ.
    assert all(a[n] != c.get(n) for n in street if "-btp-" not in n)
    assert sum(a[n] == c.get(n) for n in a) == 0


def test_a_force_month_does_not_depend_on_what_else_was_built(
    generator: ModuleType, archives: dict[str, Path], tmp_path: Path
) -> None:
    _build(generator, tmp_path, seed=7, processes=1, months="2024-01", forces=("metropolitan",))
    alone = _files(tmp_path)
    assert set(alone) == {
        f"2024-01/2024-01-metropolitan-{k}.csv.gz"
        for k in ("street", "outcomes", "stop-and-search")
    }
    whole = _files(archives["a"])
    assert all(whole[name] == data for name, data in alone.items())


def test_names_headers_and_months_are_police_uk_s(archives: dict[str, Path]) -> None:
    files = _files(archives["a"])
    kinds = {"street": Kind.STREET, "outcomes": Kind.OUTCOMES, "stop-and-search": Kind.STOP_SEARCH}
    seen = set()
    for name, data in files.items():
        match = FILE_NAME.match(name)
        assert match, name
        assert match["folder"] == match["month"] and match["force"] in FORCES
        assert data[:3] == b"\x1f\x8b\x08"  # gzip, deflate
        raw = gzip.decompress(data)
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
        header, rows = _rows(data)
        kind = kinds[match["kind"]]
        assert tuple(header) == HEADERS[kind], name
        assert rows and all(len(r) == len(header) for r in rows), name
        if kind is Kind.STOP_SEARCH:
            import pandas as pd

            local = pd.to_datetime([r[1] for r in rows], utc=True).tz_convert("Europe/London")
            assert set(local.strftime("%Y-%m")) == {match["month"]}, name
            assert all(
                re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", r[1]) for r in rows
            )
        else:
            assert {r[1] for r in rows} == {match["month"]}, name
        seen.add((match["force"], match["month"], match["kind"]))
    lo, hi = MONTHS.split("..")
    months = {m for _, m, _ in seen}
    assert min(months) == lo and max(months) == hi and len(months) == 13
    for force in FORCES_USED:
        assert all((force, m, "street") in seen for m in months), force
    # British Transport Police's real rows carry no Crime ID, so it has no outcomes.
    assert not any(f == "btp" and k == "outcomes" for f, _, k in seen)


def test_quoting_is_minimal_as_police_uk_s(archives: dict[str, Path]) -> None:
    """A value is quoted only when it holds a comma or a quote, as in the real files."""
    for name, data in _files(archives["a"]).items():
        text = gzip.decompress(data).decode()
        header, rows = _rows(data)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)
        assert out.getvalue() == text, name


def test_crime_ids_are_fresh_unique_and_outcomes_join_to_street_crimes(
    archives: dict[str, Path],
) -> None:
    files = _files(archives["a"])
    ids: dict[str, set[str]] = {}
    all_ids: list[str] = []
    real_ids: set[str] = set()
    for path in (SHARED / "police-uk").glob("2024-01/*-street.csv.gz"):
        real_ids.update(r[0] for r in _rows(path.read_bytes())[1] if r[0])
    for name, data in files.items():
        if name.endswith("-street.csv.gz"):
            force = FILE_NAME.match(name)["force"]  # type: ignore[index]
            got = [r[0] for r in _rows(data)[1] if r[0]]
            assert all(re.fullmatch(r"[0-9a-f]{64}", i) for i in got)
            ids.setdefault(force, set()).update(got)
            all_ids.extend(got)
    assert len(all_ids) == len(set(all_ids)) > 1000
    assert not real_ids & set(all_ids)
    # Outcomes follow crimes by at most 12 months, so the last month's all join.
    last = MONTHS.split("..")[1]
    joined = 0
    for force in FORCES_USED:
        name = f"{last}/{last}-{force}-outcomes.csv.gz"
        if force == "btp":
            continue
        outcome_ids = [r[0] for r in _rows(files[name])[1]]
        assert outcome_ids and set(outcome_ids) <= ids[force], force
        joined += len(outcome_ids)
    assert joined > 200


def test_the_four_missing_forces_are_synthesised_inside_their_own_areas(
    archives: dict[str, Path],
) -> None:
    files = _files(archives["a"])
    for target in TARGETS:
        area = boundaries.force_area_polygon(target)
        districts = set(boundaries.force_districts(target)["name"])
        assert area is not None and districts
        rows = [
            r
            for name, data in files.items()
            if f"-{target}-street" in name or f"-{target}-outcomes" in name
            for r in _rows(data)[1]
        ]
        assert len(rows) > 1000, target
        assert {r[2] for r in rows} == {r[3] for r in rows} == {FORCES[target]}
        located = [r for r in rows if r[4]]
        assert len(located) > 0.9 * len(rows)
        x, y = to_bng(
            np.array([float(r[4]) for r in located]), np.array([float(r[5]) for r in located])
        )
        assert shapely.contains_xy(area, x, y).all(), target
        assert {r[8].rsplit(" ", 1)[0] for r in located} <= districts
        assert all(re.fullmatch(r"E019\d{5}", r[7]) for r in located)
        searches = [
            r
            for name, data in files.items()
            if f"-{target}-stop-and-search" in name
            for r in _rows(data)[1]
        ]
        points = [r for r in searches if r[4]]
        assert points, target
        sx, sy = to_bng(
            np.array([float(r[5]) for r in points]), np.array([float(r[4]) for r in points])
        )
        assert shapely.contains_xy(area, sx, sy).all(), target


def test_volumes_follow_the_national_plan(generator: ModuleType, archives: dict[str, Path]) -> None:
    manifest = json.loads((archives["a"] / "manifest.json").read_text())
    rows = manifest["rows_by_kind"]
    # Crimes with an ID get about 1.02 outcome rows; searches are 2-7 % of crimes.
    assert 0.5 * rows["street"] < rows["outcomes"] < rows["street"]
    assert 0.01 * rows["street"] < rows["stop-and-search"] < 0.15 * rows["street"]
    met = [
        f["rows"]
        for f in manifest["files"]
        if f["force"] == "metropolitan" and f["kind"] == "street"
    ]
    # Synthesised from four forces, population-scaled: ~62,000 a month at scale 1.
    assert 400 < np.mean(met) < 1000


def test_everything_is_labelled_synthetic(archives: dict[str, Path]) -> None:
    folder = archives["a"]
    readme = (folder / "README-SYNTHETIC.txt").read_text()
    assert readme.startswith("SYNTHETIC DATA - NOT REAL CRIMES")
    assert "Seed: 7" in readme and "Scale: 0.01" in readme
    assert "Open Government Licence v3.0" in readme
    assert all(
        name in readme for name in ("Essex Police", "Lancashire Constabulary", "Merseyside Police")
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["seed"] == 7 and manifest["scale"] == SCALE
    files = _files(folder)
    assert manifest["files_count"] == len(files)
    assert manifest["gzip_bytes"] == sum(len(d) for d in files.values())
    counted = {k: 0 for k in manifest["rows_by_kind"]}
    for entry in manifest["files"]:
        assert len(_rows(files[entry["path"]])[1]) == entry["rows"]
        counted[entry["kind"]] += entry["rows"]
    assert counted == manifest["rows_by_kind"]


def test_harmwatch_ingest_loads_it_unchanged(archives: dict[str, Path], tmp_path: Path) -> None:
    manifest = json.loads((archives["a"] / "manifest.json").read_text())
    result = ingest([archives["a"]], tmp_path / "national.duckdb")
    assert result.rows_rejected == 0
    assert result.rows_by_kind() == manifest["rows_by_kind"]
    assert len(result.files) == manifest["files_count"]
    assert {f.force for f in result.files} == set(FORCES_USED)
