"""Ranking LSOAs by crime, and how concentrated crime is across them.

A PCC's question is usually "how few neighbourhoods hold how much of the
problem?". The answer depends on what the neighbourhoods are counted against:
police.uk only names LSOAs that had at least one crime, so an LSOA with none is
invisible in the data. Leaving those out shrinks the denominator and makes crime
look *less* concentrated than it is (the top 5 % of a smaller list is fewer
LSOAs, and a Gini coefficient without its zeros is lower). This module takes the
LSOA list of the study area when the caller has one and says plainly when it
does not.

The crimes ranked are the located crimes carrying an LSOA of the study area,
wherever their map point lies: an LSOA belongs to the area as a whole, and its
crimes' snapped points can fall a few metres across a generalised boundary. That
count differs a little from the crimes inside the study area's outline that the
hotspot panels count; :attr:`AreaRanking.count_note` says by how much and why,
so two panels of one page never disagree without saying so.

Texts here are read on the command line and on the web, so they name no option
of either; a front adds its own hint (the command line's LSOA-list option).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harmwatch.errors import InputError, NotFoundError
from harmwatch.query.filter import Filter, Points
from harmwatch.spatial import boundaries
from harmwatch.spatial.study_area import StudyArea
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.requests import AreaRankingRequest
from harmwatch.where.selection import select_points
from harmwatch.where.workspace import resolve_study_area

CONCENTRATION_LEVELS = (0.01, 0.05, 0.10, 0.20)
SOURCE_LIST = "LSOA list"
SOURCE_PRESENT = "LSOAs with at least one crime in the selection"


class LsoaListMissingError(NotFoundError, FileNotFoundError):
    """No LSOA list at the path given (also a FileNotFoundError, as it used to be)."""


# LAD names carry a ", City of" / ", County of" suffix that LSOA names drop
# ("Herefordshire, County of" vs "Herefordshire 001A").
_LAD_SUFFIX = re.compile(r",\s*(City|County) of$", re.IGNORECASE)


@dataclass
class AreaRanking:
    """LSOAs ranked by crime count, with concentration figures and their caveats."""

    # lsoa_code, lsoa_name, district, n, per_month, share, cumulative_share, rank
    table: pd.DataFrame
    concentration: dict[str, dict[str, float | int]]  # "top_5pct" -> lsoas, crimes, shares
    gini: float
    denominator: int  # LSOAs the percentages are of
    denominator_source: str  # SOURCE_LIST or SOURCE_PRESENT
    crimes_ranked: int
    rows_without_lsoa: int
    rows_outside_study_area: int
    lsoas_outside_study_area: int
    months: list[str]
    study_area: str
    crime_types: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Against the study area's outline (None without a study area): ranked crimes whose
    # point lies outside it, and crimes inside it that are not ranked (no LSOA, or an
    # LSOA of elsewhere).
    ranked_outside_outline: int | None = None
    inside_outline_not_ranked: int | None = None

    @property
    def crimes_inside_outline(self) -> int | None:
        """The located crimes inside the study area's outline, as the hotspot panels count them."""
        if self.ranked_outside_outline is None or self.inside_outline_not_ranked is None:
            return None
        return self.crimes_ranked - self.ranked_outside_outline + self.inside_outline_not_ranked

    @property
    def count_note(self) -> str:
        """What the crimes ranked are, and how they relate to the crimes inside the outline."""
        text = (
            f"{self.crimes_ranked:,} crimes ranked: the located crimes carrying an LSOA of the "
            "study area, wherever their map point lies"
        )
        inside = self.crimes_inside_outline
        if inside is None or (inside == self.crimes_ranked and not self.ranked_outside_outline):
            return text
        out, extra = self.ranked_outside_outline or 0, self.inside_outline_not_ranked or 0
        if inside == self.crimes_ranked:
            relation = f"the same number as the {inside:,} inside the study area's outline"
        else:
            relation = (
                f"{abs(self.crimes_ranked - inside):,} "
                f"{'more' if self.crimes_ranked > inside else 'fewer'} than the {inside:,} "
                "inside the study area's outline"
            )
        lie = "lies" if out == 1 else "lie"
        carry = "crime inside it carries" if extra == 1 else "crimes inside it carry"
        return (
            f"{text}; {relation}, because {out:,} of them {lie} just outside the generalised "
            f"outline and {extra:,} {carry} no LSOA or an LSOA of elsewhere"
        )

    def summary(self, top: int = 20) -> dict[str, object]:
        """A JSON-ready digest: the figures, the caveats and the ``top`` LSOAs."""
        head = self.table.head(max(top, 0))
        return {
            "study_area": self.study_area,
            "crime_types": self.crime_types,
            "months": self.months,
            "lsoas_ranked": len(self.table),
            "lsoas_with_crime": int((self.table["n"] > 0).sum()),
            "denominator_lsoas": self.denominator,
            "denominator_source": self.denominator_source,
            "crimes_ranked": self.crimes_ranked,
            "rows_without_lsoa": self.rows_without_lsoa,
            "rows_outside_study_area": self.rows_outside_study_area,
            "lsoas_outside_study_area": self.lsoas_outside_study_area,
            "ranked_outside_outline": self.ranked_outside_outline,
            "inside_outline_not_ranked": self.inside_outline_not_ranked,
            "count_note": self.count_note,
            "concentration": self.concentration,
            "gini": round(self.gini, 4),
            "caveats": self.caveats,
            "notes": self.notes,
            "top": head.to_dict(orient="records"),
        }


def district_of(lsoa_name: str) -> str:
    """The district part of an LSOA name: everything before its last token ("Broxbourne 002E")."""
    return lsoa_name.rsplit(" ", 1)[0] if " " in lsoa_name else lsoa_name


def _norm_district(name: str) -> str:
    return _LAD_SUFFIX.sub("", name).strip().casefold()


def gini(values: Iterable[float] | np.ndarray) -> float:
    """Gini coefficient of non-negative values, zeros included (population form).

    ``G = sum_i (2i - n - 1) x_(i) / (n * sum x)`` over the values sorted
    ascending; it equals the mean absolute difference over twice the mean, runs
    from 0 (all equal) to ``(n - 1) / n`` (everything in one place), and is not
    corrected for small ``n``.
    """
    x = np.sort(np.asarray(values if isinstance(values, np.ndarray) else list(values), float))
    if x.size == 0:
        raise ValueError("the Gini coefficient needs at least one value")
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError("the Gini coefficient needs finite, non-negative values")
    total = x.sum()
    if total == 0:
        raise ValueError("the Gini coefficient is undefined when every value is zero")
    n = x.size
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * total))


def _universe(
    all_lsoa_codes: Iterable[str] | Mapping[str, str] | None,
) -> dict[str, str] | None:
    if all_lsoa_codes is None:
        return None
    if isinstance(all_lsoa_codes, Mapping):
        out = {str(k).strip(): str(v or "").strip() for k, v in all_lsoa_codes.items()}
    else:
        out = {str(k).strip(): "" for k in all_lsoa_codes}
    out.pop("", None)
    if not out:
        raise InputError("the LSOA list is empty")
    return out


def _levels_label(level: float) -> str:
    return f"top_{level * 100:g}pct"


def rank_lsoas(
    points: Points,
    study_area: StudyArea | None = None,
    *,
    all_lsoa_codes: Iterable[str] | Mapping[str, str] | None = None,
    vintages: Iterable[str] | None = None,
    levels: Iterable[float] = CONCENTRATION_LEVELS,
) -> AreaRanking:
    """Rank the LSOAs of the study area by the crimes in ``points``.

    ``per_month`` is the count divided by the number of months in the selection
    that have data (``points.months``), not by the calendar span, so a gap in
    the data does not dilute the rate.

    LSOAs are ranked by code as published; ties in count share a rank ("min"
    ranking, as "joint 3rd") and are listed by code. Rows without an LSOA are
    left out and counted.

    Which LSOAs are in the study area: when it lists districts, those whose name
    prefix is one of them. An LSOA whose prefix is no current English district
    is still kept when most of its located crimes lie inside the study area,
    because 2011 LSOA names carry district names that later reorganisations
    abolished ("Poole 001A" inside today's "Bournemouth, Christchurch and
    Poole") and Welsh districts are not in the bundled list; a prefix that is a
    current district elsewhere ("Luton") stays out however close. When the study
    area lists no districts (a boundary file, a box) only the location rule
    applies; with no study area every LSOA is ranked.

    ``all_lsoa_codes`` is the list of the study area's LSOAs (codes, or a
    mapping code -> name); it supplies the zero-crime LSOAs for the denominator
    of the concentration figures and the Gini coefficient. Without it the
    denominator is the LSOAs that had a crime, and a caveat says which way that
    biases the figures. ``vintages`` are the LSOA code vintages of the files
    behind the selection (``loads.lsoa_vintage``); a mix of 2011 and 2021 adds a
    caveat.
    """
    caveats: list[str] = []
    notes: list[str] = []
    codes = np.asarray(points.lsoa_code, dtype=object).astype(str)
    names = np.asarray(points.lsoa_name, dtype=object).astype(str)
    has_lsoa = codes != ""
    rows_without = int((~has_lsoa).sum())
    if study_area is not None:
        inside = study_area.contains(points.x, points.y)
    else:
        inside = np.ones(len(points), dtype=bool)

    rows = pd.DataFrame(
        {"lsoa_code": codes[has_lsoa], "lsoa_name": names[has_lsoa], "inside": inside[has_lsoa]}
    )
    # One name per code: the most frequent spelling (they agree within a vintage).
    pairs = rows.groupby(["lsoa_code", "lsoa_name"], sort=False).size().reset_index(name="k")
    pairs = pairs.sort_values(["lsoa_code", "k", "lsoa_name"], ascending=[True, False, True])
    code_names = pairs.drop_duplicates("lsoa_code").set_index("lsoa_code")["lsoa_name"]
    per_code = rows.groupby("lsoa_code").agg(n=("inside", "size"), inside=("inside", "mean"))
    per_code["lsoa_name"] = code_names.reindex(per_code.index)
    per_code["district"] = per_code["lsoa_name"].map(district_of)

    if study_area is None:
        in_scope = pd.Series(True, index=per_code.index)
        notes.append("no study area given: every LSOA in the selection is ranked")
        area_text = "none (every LSOA in the selection)"
    else:
        area_text = study_area.description
        by_location = per_code["inside"] > 0.5
        if study_area.districts:
            wanted = {_norm_district(d) for d in study_area.districts}
            district_key = per_code["district"].map(_norm_district)
            by_name = district_key.isin(wanted)
            # A name that is a current district elsewhere (Luton, Barnet) is out of
            # the area even when a few of its crimes sit just inside the border.
            current = {_norm_district(d) for d in boundaries.districts()["name"]}
            rescued_mask = ~by_name & ~district_key.isin(current) & by_location
            in_scope = by_name | rescued_mask
            rescued = per_code[rescued_mask]
            if len(rescued):
                listed = ", ".join(sorted(set(rescued["district"])))
                notes.append(
                    f"{len(rescued)} LSOA(s) named after districts not in the bundled English "
                    f"list ({listed}: former or Welsh districts?) are kept because most of their "
                    "crimes lie inside the study area"
                )
            notes.append(
                "LSOAs in the study area: those whose name starts with one of its "
                f"{len(study_area.districts)} districts (or with a former district's name and "
                "most of their crimes inside it)"
            )
        else:
            in_scope = by_location
            notes.append(
                f"LSOAs in the study area ({study_area.kind}): those with most of their "
                "located crimes inside it"
            )
    left_out = per_code[~in_scope]
    rows_outside = int(left_out["n"].sum())
    if len(left_out):
        top = left_out.groupby("district")["n"].sum().sort_values(ascending=False).head(5)
        where = ", ".join(f"{d} {v}" for d, v in top.items())
        notes.append(
            f"{rows_outside:,} crime(s) in {len(left_out)} LSOA(s) outside the study area are "
            f"left out (mostly {where})"
        )
    if rows_without:
        notes.append(f"{rows_without:,} located crime(s) without an LSOA are left out")
    if points.n_without_location:
        notes.append(
            f"{points.n_without_location:,} crime(s) without a location (and so without an "
            "LSOA) are not in the selection's points"
        )

    ranked = per_code[in_scope][["lsoa_name", "district", "n"]].copy()
    ranked_outside: int | None = None
    inside_not_ranked: int | None = None
    if study_area is not None:
        point_ranked = has_lsoa & np.isin(codes, ranked.index.to_numpy(dtype=str))
        ranked_outside = int((point_ranked & ~inside).sum())
        inside_not_ranked = int((inside & ~point_ranked).sum())
    universe = _universe(all_lsoa_codes)
    if universe is None:
        source = SOURCE_PRESENT
        caveats.append(
            "zero-crime LSOAs are not known: police.uk lists only LSOAs with at least one "
            f"crime, so percentages of LSOAs are of the {len(ranked):,} LSOAs with a crime. "
            "The study area has more LSOAs than that, so the top-x % figures and the Gini "
            "coefficient UNDERSTATE how concentrated crime is; a list of the study area's "
            "LSOAs would count the zero-crime ones"
        )
    else:
        source = SOURCE_LIST
        missing = [c for c in universe if c not in ranked.index]
        extra = [c for c in ranked.index if c not in universe]
        if extra:
            caveats.append(
                f"{len(extra):,} LSOA(s) with crimes are not in the LSOA list (a different code "
                "vintage, or a list that does not cover the study area); they are ranked and "
                "counted in the denominator"
            )
        zeros = pd.DataFrame(
            {
                "lsoa_name": [universe[c] for c in missing],
                "district": [district_of(universe[c]) if universe[c] else "" for c in missing],
                "n": 0,
            },
            index=pd.Index(missing, name="lsoa_code"),
        )
        ranked = pd.concat([ranked, zeros]) if len(zeros) else ranked
        notes.append(
            f"denominator: the LSOA list ({len(universe):,} LSOAs, {len(missing):,} with no crime "
            "in the selection)"
        )
    ranked.index.name = "lsoa_code"

    total = int(ranked["n"].sum())
    if total == 0:
        raise InputError("no crimes with an LSOA lie in the study area; nothing to rank")
    n_months = len(points.months)
    if n_months == 0:
        raise InputError("the selection covers no months; cannot give a monthly rate")

    table = ranked.reset_index().sort_values(
        ["n", "lsoa_code"], ascending=[False, True], kind="mergesort"
    )
    table = table.reset_index(drop=True)
    table["n"] = table["n"].astype(np.int64)
    table["per_month"] = table["n"] / n_months
    table["share"] = table["n"] / total
    table["cumulative_share"] = table["n"].cumsum() / total
    table["rank"] = table["n"].rank(method="min", ascending=False).astype(np.int64)
    table = table[
        [
            "lsoa_code",
            "lsoa_name",
            "district",
            "n",
            "per_month",
            "share",
            "cumulative_share",
            "rank",
        ]
    ]
    notes.append(
        f"per_month: crimes divided by the {n_months} month(s) in the selection that have data"
    )

    denominator = len(table)
    counts = table["n"].to_numpy()  # already sorted, largest first
    concentration: dict[str, dict[str, float | int]] = {}
    for level in levels:
        if not 0 < level <= 1:
            raise InputError(f"concentration levels are fractions in (0, 1], got {level}")
        # Round half up, at least one LSOA: the actual share of LSOAs is reported
        # beside the nominal one because small areas round coarsely.
        k = min(denominator, max(1, math.floor(level * denominator + 0.5)))
        crimes = int(counts[:k].sum())
        concentration[_levels_label(level)] = {
            "pct_of_lsoas": level * 100,
            "lsoas": k,
            "lsoa_share": k / denominator,
            "crimes": crimes,
            "crime_share": crimes / total,
        }
    if denominator < 100:
        caveats.append(
            f"only {denominator} LSOAs: 'top 1 %' and similar round to whole LSOAs, so each "
            "figure says how many LSOAs it really covers"
        )

    vintage_set = {str(v) for v in vintages} if vintages is not None else set()
    if "mixed" in vintage_set or {"2011", "2021"} <= vintage_set:
        caveats.append(
            "the selection mixes LSOA 2011 and 2021 codes: LSOAs that were split, merged or "
            "recoded in 2021 appear under both codes and their crimes are divided between them, "
            "so their ranks and the concentration figures are unreliable; select months from "
            "one vintage"
        )

    return AreaRanking(
        table=table,
        concentration=concentration,
        gini=gini(counts),
        denominator=denominator,
        denominator_source=source,
        crimes_ranked=total,
        rows_without_lsoa=rows_without,
        rows_outside_study_area=rows_outside,
        lsoas_outside_study_area=len(left_out),
        months=list(points.months),
        study_area=area_text,
        crime_types=list(points.filter.crime_types),
        caveats=caveats,
        notes=notes,
        ranked_outside_outline=ranked_outside,
        inside_outline_not_ranked=inside_not_ranked,
    )


def selection_vintages(store: AnalyticsStore, flt: Filter) -> set[str]:
    """LSOA code vintages of the street files behind a resolved filter (``Points.filter``).

    A force's own records carry the codes its system assigns, of no stated vintage.
    """
    if flt.source != "police-uk":
        return set()
    return store.lsoa_vintages(flt.forces or None, flt.months or None)


def area_ranking(
    db_path: str | Path,
    request: AreaRankingRequest | Filter,
    *,
    all_lsoa_codes: Iterable[str] | Mapping[str, str] | None = None,
    **older: Any,
) -> AreaRanking:
    """Select the crimes, resolve the study area as ``hotspots`` does, and rank its LSOAs.

    The study area's LSOA list is read from ``request.lsoa_list`` (a file), or
    given as ``all_lsoa_codes`` by a caller that has it. The older call form, a
    :class:`Filter` and ``area=`` a Place, builds the same request.
    """
    if isinstance(request, Filter):
        request = AreaRankingRequest.from_filter(request, older.pop("area", None), **older)
    elif older:
        raise TypeError(f"area_ranking() takes a request, not {sorted(older)}")
    if all_lsoa_codes is None and request.lsoa_list:
        all_lsoa_codes = read_lsoa_list(request.lsoa_list)
    with AnalyticsStore.open(db_path) as store:
        points = select_points(store, request.filter())
        vintages = selection_vintages(store, points.filter)
    place = request.place
    study = resolve_study_area(place, points)
    ranking = rank_lsoas(points, study, all_lsoa_codes=all_lsoa_codes, vintages=vintages)
    ranking.notes[:0] = list(points.notes)
    if place.kind == "forces":
        ranking.notes.insert(0, f"study area: {study.description}")
    return ranking


_CODE_COLUMN = re.compile(r"^(lsoa\d*cd|lsoa_?code|lsoa code|code)$", re.IGNORECASE)
_NAME_COLUMN = re.compile(r"^(lsoa\d*nm|lsoa_?name|lsoa name|name)$", re.IGNORECASE)


def read_lsoa_list(path: str | Path) -> dict[str, str]:
    """LSOA codes (and names, where given) from a CSV or a vector file such as GeoJSON.

    The code column is found by name (``LSOA11CD``, ``LSOA21CD``, ``lsoa_code``,
    ``code``); a name column (``LSOA11NM``, ``lsoa_name``, ``name``) is optional.
    Gzipped files (``.csv.gz``, ``.geojson.gz``) are read directly.
    """
    path = Path(path)
    if not path.exists():
        raise LsoaListMissingError(f"{path}: no such LSOA list")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if ".csv" in suffixes:
            frame = pd.read_csv(path, dtype=str)
        else:
            import geopandas as gpd

            target = f"/vsigzip/{path}" if suffixes[-1:] == [".gz"] else str(path)
            frame = pd.DataFrame(gpd.read_file(target, ignore_geometry=True))
    except Exception as exc:  # pandas and GDAL raise many types for unreadable files
        raise InputError(f"{path}: cannot be read as an LSOA list ({exc})") from exc
    code_col = next((c for c in frame.columns if _CODE_COLUMN.match(str(c))), None)
    if code_col is None:
        raise InputError(
            f"{path}: no LSOA code column (looked for LSOA11CD, LSOA21CD, lsoa_code, code); "
            f"columns: {', '.join(map(str, frame.columns))}"
        )
    name_col = next((c for c in frame.columns if _NAME_COLUMN.match(str(c))), None)
    codes = frame[code_col].fillna("").astype(str).str.strip()
    names = (
        frame[name_col].fillna("").astype(str).str.strip()
        if name_col is not None
        else pd.Series("", index=frame.index)
    )
    out = {c: n for c, n in zip(codes, names, strict=True) if c}
    if not out:
        raise InputError(f"{path}: the LSOA list holds no codes")
    return out
