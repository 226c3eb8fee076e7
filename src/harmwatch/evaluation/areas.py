"""The three areas of an evaluation: target, buffer and controls.

**Target.** A :class:`~harmwatch.query.place.Place` with exactly one of

- LSOA codes. police.uk gives each crime an LSOA code but the store holds no LSOA
  2021 polygons, so an LSOA target is defined *for counting* by the crimes' LSOA
  codes (exact), and *for drawing and for the buffer* by the union of 250 m discs
  around every distinct snap point where any street crime of those LSOAs was
  recorded (all crime types, every loaded month: the fullest picture of where the
  LSOA lies that the data give). A convex hull would be simpler but wrong for
  scattered targets: the hull of three LSOAs at the ends of a town is the town.
- a boundary file (any format :func:`harmwatch.spatial.boundaries.read_boundary`
  reads), counted by point in polygon;
- cell ids of the grid ``harmwatch hotspots`` uses for the same forces and cell
  size (the cells of the forces' districts' bounding grid), counted by cell.

**Buffer.** Every selected crime within ``buffer_m`` (default 500 m) of the target
geometry that is not a target crime: the ring where displacement or diffusion
would show first.

**Controls.** Other LSOAs of the same force (LSOAs whose crimes the force recorded
and whose name carries one of the force's districts, so that the stray LSOAs of
neighbouring forces in a police.uk file are left out), excluding any LSOA with a
street crime inside the target or buffer (their crimes could be affected by the
intervention). By default every such LSOA with at least one selected crime
before the start is a control: the rest of the force stands for what the target
would have done. Asked for ``k`` controls, the ``k`` nearest to the target on two
standardised figures are taken instead: the pre-period mean monthly count and
the pre-period OLS slope (change in the monthly count per month), the target's
per target unit (per LSOA) because controls are single LSOAs. Matching is not
the default because on real data it backfires (see :func:`match_controls`). Either
way the pre-period level and slope of the controls are reported next to the
target's so a reader can judge how alike they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from harmwatch.evaluation.requests import DEFAULT_BUFFER_M
from harmwatch.query.filter import Filter
from harmwatch.query.place import Place
from harmwatch.sources.policeuk.forces import forces_text
from harmwatch.spatial import boundaries
from harmwatch.spatial.grid import Grid
from harmwatch.spatial.study_area import for_forces
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.selection import SelectionError, crime_source, select_points

LSOA_POINT_RADIUS_M = 250.0
MIN_CONTROLS = 2
__all__ = ["DEFAULT_BUFFER_M", "EvaluationError", "Target", "resolve_target"]


class EvaluationError(SelectionError):
    """An evaluation that cannot be done as asked; the message says why."""


@dataclass
class CrimeData:
    """What an evaluation reads from the store, read once (a placebo run reuses it)."""

    forces: tuple[str, ...]
    crime_types: tuple[str, ...]
    loaded_months: list[str]  # street months loaded for these forces, sorted
    # the selected crimes with a location
    x: np.ndarray
    y: np.ndarray
    month: np.ndarray  # 'YYYY-MM'
    lsoa_code: np.ndarray
    force: np.ndarray
    # every distinct located snap point of any street crime, with its LSOA and force
    fp_x: np.ndarray
    fp_y: np.ndarray
    fp_code: np.ndarray
    fp_force: np.ndarray
    lsoa_names: dict[str, str]
    lsoa_counts: pd.DataFrame  # selected crimes per LSOA (rows) and loaded month (columns)
    n_without_location: int
    notes: list[str] = field(default_factory=list)


def load_crime_data(
    db_path: str | Path,
    crime_types: Sequence[str],
    forces: Sequence[str] = (),
    *,
    source: str = "police-uk",
    flags: Sequence[str] = (),
) -> CrimeData:
    """Read the selected crimes, every LSOA's footprint and the loaded months, once.

    ``crime_types`` must name at least one type (an empty list is refused, not
    read as every type: see :mod:`harmwatch.query.filter`).
    """
    with AnalyticsStore.open(db_path) as store:
        flt = Filter(tuple(forces), tuple(crime_types), (), source=source, flags=tuple(flags))
        points = select_points(store, flt)
        data_source = crime_source(store, flt)
        slugs = tuple(points.filter.forces) or tuple(data_source.street_forces())
        loaded = data_source.loaded_months(slugs)
        fp = data_source.lsoa_footprints(slugs)
        names = data_source.lsoa_names(slugs)
    months = sorted(set(loaded) | set(points.months))
    has_code = points.lsoa_code != ""
    counts = pd.crosstab(
        pd.Series(points.lsoa_code[has_code], name="lsoa_code"),
        pd.Series(points.month[has_code], name="month"),
    ).reindex(columns=months, fill_value=0)
    return CrimeData(
        forces=slugs,
        crime_types=tuple(points.filter.crime_types),
        loaded_months=months,
        x=points.x,
        y=points.y,
        month=points.month,
        lsoa_code=points.lsoa_code,
        force=points.force,
        fp_x=fp.x,
        fp_y=fp.y,
        fp_code=fp.lsoa_code,
        fp_force=fp.force,
        lsoa_names=names,
        lsoa_counts=counts.astype(np.int64),
        n_without_location=points.n_without_location,
        notes=list(points.notes),
    )


@dataclass
class Target:
    """A resolved target: its geometry, which selected crimes are in it, and its units."""

    kind: str  # "lsoa", "boundary", "cells"
    description: str
    geometry: BaseGeometry  # BNG metres
    in_target: np.ndarray  # boolean over CrimeData's selected crimes
    units: list[str]  # DiD units: the LSOA codes, or one unit for a drawn area
    lsoa_codes: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def isin(values: np.ndarray, wanted: Sequence[object]) -> np.ndarray:
    """``np.isin`` for string arrays by hashing: numpy sorts object arrays, 30× slower."""
    return np.asarray(pd.Index(values).isin(list(wanted)), dtype=bool)


def resolve_target(place: Place, data: CrimeData) -> Target:
    """Turn a target :class:`Place` into a geometry and a crime mask; refuse an empty target.

    The place holds exactly one of LSOA codes, a boundary file or grid cell ids
    (``EvaluateRequest`` checks that before any data are read).
    """
    if place.lsoa_codes:
        codes = tuple(dict.fromkeys(c.strip().upper() for c in place.lsoa_codes if c.strip()))
        known = set(data.fp_code.tolist())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise EvaluationError(
                f"LSOA code(s) {', '.join(unknown)} have no street crimes loaded for "
                f"{forces_text(data.forces)}; the target area is empty. Check the codes and their "
                "vintage (these files carry the LSOA geography current when they were downloaded)"
            )
        on_fp = isin(data.fp_code, codes)
        discs = shapely.buffer(
            shapely.points(data.fp_x[on_fp], data.fp_y[on_fp]), LSOA_POINT_RADIUS_M, quad_segs=8
        )
        geometry = shapely.union_all(discs)
        in_target = isin(data.lsoa_code, codes)
        names = [f"{c} ({data.lsoa_names.get(c, '')})" for c in codes]
        target = Target(
            kind="lsoa",
            description=f"LSOA(s) {', '.join(names)}",
            geometry=geometry,
            in_target=in_target,
            units=list(codes),
            lsoa_codes=codes,
            notes=[
                "target LSOAs counted by the crimes' LSOA codes; drawn (and buffered) as the union "
                f"of {LSOA_POINT_RADIUS_M:g} m discs around their crimes' snap points, because no "
                "LSOA 2021 polygons are bundled"
            ],
        )
    elif place.boundary:
        geometry = boundaries.read_boundary(place.boundary)
        in_target = _contains(geometry, data.x, data.y)
        target = Target(
            kind="boundary",
            description=place.boundary_name,
            geometry=geometry,
            in_target=in_target,
            units=["target"],
        )
    elif place.cells:
        cell = float(place.cell_size or 0)
        grid = Grid.covering(*for_forces(list(data.forces)).bounds, cell)
        ids = sorted(set(int(i) for i in place.cells))
        bad = [i for i in ids if not 0 <= i < grid.size]
        if bad:
            raise EvaluationError(
                f"cell id(s) {', '.join(map(str, bad))} are not on the {cell:g} m grid of "
                f"{forces_text(data.forces)} (ids run 0…{grid.size - 1}, as the hotspot cell "
                "tables number them for the same forces and cell size)"
            )
        rows, cols = np.divmod(np.asarray(ids), grid.ncols)
        geometry = shapely.union_all(
            [
                box(grid.x0 + c * cell, grid.y0 + r * cell, grid.x0 + (c + 1) * cell, grid.y0 + (r + 1) * cell)
                for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
            ]
        )  # fmt: skip
        in_target = np.isin(grid.locate(data.x, data.y), ids)
        target = Target(
            kind="cells",
            description=f"{len(ids)} cell(s) of {cell:g} m ({', '.join(map(str, ids[:20]))}"
            + (", …" if len(ids) > 20 else "")
            + ")",
            geometry=geometry,
            in_target=in_target,
            units=["target"],
        )
    else:
        raise EvaluationError(
            "give exactly one target: LSOA codes, a boundary file, or grid cell ids"
        )
    if not target.in_target.any():
        raise EvaluationError(
            f"the target area ({target.description}) has no {', '.join(data.crime_types)} crimes "
            "in any loaded month: there is nothing to evaluate"
        )
    return target


def _contains(geometry: BaseGeometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(x.shape, dtype=bool)
    out[ok] = shapely.contains_xy(geometry, x[ok], y[ok])
    return out


def buffer_zone(target: Target, buffer_m: float) -> BaseGeometry:
    """The target grown by ``buffer_m``: target and buffer together."""
    if buffer_m <= 0:
        raise EvaluationError(f"the buffer must be a positive distance in metres, got {buffer_m}")
    return target.geometry.buffer(buffer_m, quad_segs=8)


def buffer_catchment(target: Target, zone: BaseGeometry, buffer_m: float) -> str | None:
    """Why the buffer is no single catchment around the target, or None when it is one.

    Displacement is read from one ring around one place: crime pushed out of the
    target should show up just beyond it. When the target is several places far
    enough apart that their rings do not touch (ten busy LSOAs in different
    towns, say), the "buffer" is several separate rings, and a quotient of their
    summed counts mixes places where crime may have moved with places it could
    not have reached; no verdict on displacement can be read from it.
    """
    parts = list(getattr(zone, "geoms", [zone]))
    if len(parts) <= 1:
        return None
    return (
        f"the {buffer_m:g} m buffer is {len(parts)} separate rings around {len(parts)} parts of the "
        f"target more than {2 * buffer_m:g} m apart, not one catchment around one place, so their "
        "summed counts cannot show where crime moved; evaluate each place on its own for a "
        "displacement verdict"
    )


def buffer_mask(target: Target, zone: BaseGeometry, data: CrimeData) -> np.ndarray:
    """Selected crimes in the buffer ring: within the zone and not target crimes."""
    return _contains(zone, data.x, data.y) & ~target.in_target


def district_of(lsoa_name: str) -> str:
    """'Luton 023A' -> 'Luton'."""
    return lsoa_name.rsplit(" ", 1)[0] if " " in lsoa_name else ""


def target_force(target: Target, data: CrimeData) -> str:
    """The force that recorded most of the target's crimes: controls come from it."""
    forces, counts = np.unique(data.force[target.in_target].astype(str), return_counts=True)
    return str(forces[np.argmax(counts)])


def candidate_lsoas(
    target: Target, zone: BaseGeometry, data: CrimeData, force: str
) -> tuple[list[str], list[str], list[str]]:
    """LSOAs that could serve as controls, and those excluded by contamination.

    Returns (candidates, excluded as touching target/buffer, notes).
    """
    notes: list[str] = []
    of_force = data.fp_force == force
    codes = data.fp_code[of_force]
    touching = set(codes[_contains(zone, data.fp_x[of_force], data.fp_y[of_force])].tolist()) | set(
        target.lsoa_codes
    )
    districts = set(boundaries.force_districts(force)["name"]) if force else set()
    all_codes = sorted(set(codes.tolist()))
    if districts:
        in_force = [c for c in all_codes if district_of(data.lsoa_names.get(c, "")) in districts]
        notes.append(
            f"control pool: {len(in_force)} LSOAs of {forces_text([force])} named after its districts "
            f"({', '.join(sorted(districts))}); {len(all_codes) - len(in_force)} other LSOAs in "
            "its files left out"
        )
    else:
        in_force = all_codes
        notes.append(f"control pool: all {len(in_force)} LSOAs in {forces_text([force])}'s files")
    candidates = [c for c in in_force if c not in touching]
    excluded = sorted(c for c in in_force if c in touching and c not in target.lsoa_codes)
    return candidates, excluded, notes


def ols_slope(series: np.ndarray) -> float:
    """Least-squares slope of a monthly series against month number (per month)."""
    y = np.asarray(series, dtype=float)
    if y.size < 2:
        return 0.0
    t = np.arange(y.size, dtype=float)
    t -= t.mean()
    return float((t * (y - y.mean())).sum() / (t * t).sum())


@dataclass
class ControlChoice:
    codes: list[str]
    table: pd.DataFrame  # lsoa_code, lsoa_name, pre_mean, pre_slope, distance
    target_pre_mean: float  # per target unit
    target_pre_slope: float  # per target unit
    method: str
    notes: list[str] = field(default_factory=list)


def match_controls(
    target_pre: np.ndarray,
    n_units: int,
    candidate_pre: pd.DataFrame,
    k: int | None = None,
    names: dict[str, str] | None = None,
    candidate_post: pd.DataFrame | None = None,
) -> ControlChoice:
    """Controls from the candidates: all of them (``k=None``) or the ``k`` nearest.

    ``target_pre`` is the target's total monthly series before the start and
    ``candidate_pre`` one row per candidate LSOA with the same months as columns.
    Candidates with no crime at all in the months evaluated are left out: a unit
    whose counts are all zero carries no information in a count model. With
    ``candidate_post`` (the same rows, the months after the start) that means no
    crime before *or after*; without it, none before. Keeping only the LSOAs with
    a crime *before* the start would select the controls on their pre-period
    counts: over a short pre-period the many LSOAs that happened to have one then
    fall back afterwards, the controls as a whole seem to fall, and every target
    seems to rise against them (issue 11: the busiest LSOAs' placebo evaluations
    over 3–4 months before the start). Conditioning on the window's total, which
    the count model does anyway, selects nothing.

    Nearest means nearest on standardised pre-period mean monthly count and OLS
    slope, the target's taken per target unit. It is offered, not the default:
    on the Bedfordshire data, placebo interventions evaluated against the 10
    nearest LSOAs were called significant 28–34 % of the time, because the LSOAs
    that match a hotspot's level are mostly passing hotspots whose counts then fall
    back (regression to the mean in the controls), which makes any target look as
    if it rose. Every uncontaminated LSOA of the force has no such selection, and
    gives the random-effect DiD the many areas it needs to learn how much places'
    changes vary.
    """
    if k is not None and k < 1:
        raise EvaluationError(f"the number of controls must be at least 1, got {k}")
    names = names or {}
    per_unit = np.asarray(target_pre, dtype=float) / max(n_units, 1)
    t_mean, t_slope = float(per_unit.mean()), ols_slope(per_unit)
    values = candidate_pre.to_numpy(dtype=float)
    after = (
        candidate_post.reindex(index=candidate_pre.index, fill_value=0).to_numpy(dtype=float)
        if candidate_post is not None
        else np.zeros((len(values), 0))
    )
    keep = (values.sum(axis=1) + after.sum(axis=1)) > 0
    values = values[keep]
    codes = candidate_pre.index[keep].astype(str).tolist()
    if not codes:
        return ControlChoice([], _empty_table(), t_mean, t_slope, "none")
    means = values.mean(axis=1)
    t = np.arange(values.shape[1], dtype=float)
    t -= t.mean()
    denom = float((t * t).sum()) or 1.0
    slopes = ((values - means[:, None]) * t).sum(axis=1) / denom
    sd_m = float(means.std()) or 1.0
    sd_s = float(slopes.std()) or 1.0
    distance = np.hypot((means - t_mean) / sd_m, (slopes - t_slope) / sd_s)
    order = np.argsort(distance, kind="stable")
    if k is not None:
        order = order[:k]
        method = (
            f"the {k} nearest of {len(codes)} candidate LSOAs on standardised pre-period mean "
            "monthly count and OLS slope (beware: matching on level picks passing hotspots "
            "that regress to the mean)"
        )
    else:
        method = (
            f"all {len(codes)} LSOAs of the force with a crime in the months evaluated and none in "
            "the target or buffer (no selection on the outcome or on the pre-period, so no "
            "regression to the mean in the controls)"
        )
    table = pd.DataFrame(
        {
            "lsoa_code": [codes[i] for i in order],
            "lsoa_name": [names.get(codes[i], "") for i in order],
            "pre_mean": means[order],
            "pre_slope": slopes[order],
            "distance": distance[order],
        }
    )
    return ControlChoice(table["lsoa_code"].tolist(), table, t_mean, t_slope, method)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=["lsoa_code", "lsoa_name", "pre_mean", "pre_slope", "distance"])
