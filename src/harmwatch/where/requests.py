"""What each "where" verb can be asked, declared once: one frozen request per verb.

``hotspots``, ``emerging_hotspots``, ``forecast_eval``, ``area_ranking`` and the
patrol plan each take one of these. A field's :class:`~harmwatch.query.params.Param`
is the only declaration of that parameter: the command line's options, the
API's query parameters and the pages' forms are built from it
(:mod:`harmwatch.cli.params`, :mod:`harmwatch.web.forms`). Constructing a request
checks every value and the relations between them, so a bad cell size or two
budgets are refused, naming the field, before any data are read; the verbs then
resolve what the data decide (cell size, bandwidth) and say so.

A request holds the values a user chose, not what the verb will choose: ``cell``
None means "about 50 cells across the study area", and the result's
``defaults_chosen`` says what that came to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from harmwatch.query.fields import (
    ALL_CRIME_TYPES,
    BBOX,
    BOUNDARY,
    BOUNDARY_LABEL,
    CRIME_TYPES,
    FLAGS,
    FORCES,
    MONTHS,
    ONLY_CLI,
    ONLY_WEB,
    SOURCE,
)
from harmwatch.query.filter import Filter, FilterError
from harmwatch.query.params import LIBRARY, Limits, Param, Problem, Request, ref
from harmwatch.query.place import PlaceRule
from harmwatch.where.forecast import DEFAULT_METHODS, DEFAULT_MIN_HISTORY, parse_method
from harmwatch.where.kernels.forecast_metrics import DEFAULT_COVERAGES

METHODS = ("count", "kde", "gistar")
P_ADJUST = ("fdr", "holm", "none")
SCORES = ("n", "kde", "gistar")
SCORE_METHOD = {"n": "count", "kde": "kde", "gistar": "gistar"}
# Which hotspot methods compute each score's column (gistar also computes the KDE).
SCORE_NEEDS = {"n": METHODS, "kde": ("kde", "gistar"), "gistar": ("gistar",)}
CELL_MIN_WEB, CELL_MAX_WEB = 50.0, 50_000.0
MAX_PERMUTATIONS = 10_000_000
MAX_PERMUTATIONS_WEB = 9_999  # about a second for 250,000 cells on one core

STUDY_AREA = PlaceRule("hotspots", ("boundary", "bbox"), noun="study area")

CELL = Param(
    help="Cell size in metres (default: ~50 cells across).",
    web_help="Cell size in metres; default: ~50 across.",
    type=float,
    gt=0,
    server=Limits(ge=CELL_MIN_WEB, le=CELL_MAX_WEB),
    label="cell size",
    metavar="METRES",
)
DISTANCE_BAND = Param(
    help="Gi* neighbour distance in metres (default: the 8 adjacent cells).",
    type=float,
    gt=0,
    fronts=ONLY_CLI,
    metavar="METRES",
)
P_ADJUST_PARAM = Param(help="fdr, holm or none.", choices=P_ADJUST, default="fdr", fronts=ONLY_CLI)
ALPHA = Param(
    help="Significance level for hot/cold classes.",
    type=float,
    default=0.05,
    gt=0,
    lt=1,
    fronts=ONLY_CLI,
)
BANDWIDTH = Param(
    help="KDE bandwidth in metres.", type=float, gt=0, fronts=ONLY_CLI, metavar="METRES"
)


@dataclass(frozen=True)
class SelectionRequest(Request):
    """The crimes and the study area: what every "where" verb starts from."""

    PLACE: ClassVar[PlaceRule | None] = STUDY_AREA

    forces: tuple[str, ...] = FORCES.field()
    crime_types: tuple[str, ...] = CRIME_TYPES.field()
    months: tuple[str, ...] = MONTHS.field()
    boundary: str | None = BOUNDARY.field()
    bbox: tuple[float, float, float, float] | None = BBOX.field()
    all_crime_types: bool = ALL_CRIME_TYPES.field()
    boundary_label: str | None = BOUNDARY_LABEL.field()
    source: str = SOURCE.field()
    flags: tuple[str, ...] = FLAGS.field()

    def filter(self) -> Filter:
        return Filter(
            self.forces, self.crime_types, self.months, self.all_crime_types,
            source=self.source, flags=self.flags,
        )  # fmt: skip

    def relations(self) -> list[Problem]:
        try:
            self.filter()
        except FilterError as exc:
            return [Problem("crime_types", str(exc))]
        return []

    @classmethod
    def from_filter(cls, flt: Filter, place: Any = None, **fields: Any) -> Self:
        """The request from a :class:`Filter`, a Place and keywords (the older call form)."""
        values: dict[str, Any] = {
            "forces": flt.forces,
            "crime_types": flt.crime_types,
            "months": flt.months,
            "all_crime_types": flt.all_crime_types,
            "source": flt.source,
            "flags": flt.flags,
        }
        if place is not None:
            values.update(
                boundary=place.boundary, bbox=place.bbox, boundary_label=place.boundary_label
            )
        values.update(fields)
        return cls(**values)


@dataclass(frozen=True)
class GridRequest(SelectionRequest):
    """A selection analysed on a square grid."""

    cell: float | None = CELL.field()


@dataclass(frozen=True)
class HotspotsRequest(GridRequest):
    """``hotspots``: counts, quartic KDE and Getis-Ord Gi* on a square grid."""

    method: str = Param(help="count, kde or gistar.", choices=METHODS, default="gistar").field()
    bandwidth: float | None = BANDWIDTH.field()
    bandwidth_adjust: float = Param(
        help="Multiply the chosen bandwidth.", type=float, default=1.0, gt=0, fronts=ONLY_CLI
    ).field()
    distance_band: float | None = DISTANCE_BAND.field()
    p_adjust: str = P_ADJUST_PARAM.field()
    alpha: float = ALPHA.field()
    permutations: int = Param(
        help="Gi* p-values by conditional permutation with this many draws, as esda's p_sim "
        "(0: the normal approximation).",
        type=int,
        default=0,
        ge=0,
        le=MAX_PERMUTATIONS,
        server=Limits(le=MAX_PERMUTATIONS_WEB),
        metavar="N",
    ).field()

    def relations(self) -> list[Problem]:
        found = super().relations() + band_problems(self.distance_band, self.cell)
        if self.permutations and self.method != "gistar":
            found.append(
                Problem(
                    "permutations",
                    f"{ref('permutations')} gives Gi* p-values; the method is {self.method!r}, "
                    "which has none",
                )
            )
        return found


def band_problems(band: float | None, cell: float | None) -> list[Problem]:
    """A Gi* band shorter than a cell leaves every cell without a neighbour: refused."""
    if band is None or cell is None or band / cell * (1 + 1e-9) >= 1:
        return []
    return [
        Problem(
            "distance_band",
            f"{ref('distance_band')} {band:g} m is smaller than one {cell:g} m cell, so no "
            "cell would have any neighbour; use a band of at least the cell size",
        )
    ]


@dataclass(frozen=True)
class EmergingHotspotsRequest(GridRequest):
    """``emerging-hotspots``: monthly Gi* and the ArcGIS Pro emerging-hot-spot categories."""

    distance_band: float | None = DISTANCE_BAND.but(help="Gi* neighbour distance (m).").field()
    p_adjust: str = P_ADJUST_PARAM.but(help="fdr, holm or none (within each month).").field()
    alpha: float = ALPHA.but(help="Significance level.").field()

    def relations(self) -> list[Problem]:
        return super().relations() + band_problems(self.distance_band, self.cell)


def _methods_check(methods: tuple[str, ...]) -> str | None:
    for name in methods:
        try:
            parse_method(name)
        except ValueError as exc:
            return f"{{name}}: {exc}"
    return None


@dataclass(frozen=True)
class ForecastEvalRequest(GridRequest):
    """``forecast-eval``: rolling next-month forecasts of each method, scored month by month."""

    methods: tuple[str, ...] = Param(
        help="blend, opencp, last-k, last-all, kde, kde-k, kde-all, prospective, prospective-k "
        "(repeatable).",
        many=True,
        default=DEFAULT_METHODS,
        flag="--method",
        check=_methods_check,
        fronts=ONLY_CLI,
    ).field()
    min_history: int = Param(
        help="Months of history before the first forecast (a longer window uses what there is).",
        type=int,
        default=DEFAULT_MIN_HISTORY,
        ge=1,
        fronts=ONLY_CLI,
    ).field()
    coverages: tuple[float, ...] = Param(
        help="Fractions of the study area to flag.",
        type=float,
        many=True,
        default=DEFAULT_COVERAGES,
        gt=0,
        lt=1,
        fronts=LIBRARY,
    ).field()
    kde_bandwidth: float | None = BANDWIDTH.but(fronts=LIBRARY).field()


@dataclass(frozen=True)
class AreaRankingRequest(SelectionRequest):
    """``areas``: LSOAs ranked by crime, with concentration figures."""

    lsoa_list: str | None = Param(
        help="The study area's LSOAs (CSV or GeoJSON with LSOA11CD/LSOA21CD/lsoa_code), "
        "so that zero-crime LSOAs count in the concentration figures.",
        fronts=ONLY_CLI,
        metavar="FILE",
    ).field()
    top: int = Param(
        help="LSOAs to show.", type=int, default=20, ge=0, server=Limits(le=100_000)
    ).field()


def _score_clean(score: str) -> str:
    return "n" if score == "count" else score  # the hotspots command calls counts "count"


def _connectivity_check(value: int) -> str | None:
    if value in (4, 8):
        return None
    return f"{{name}} must be 4 or 8 (edge, or edge and corner), got {value}"


@dataclass(frozen=True)
class PatrolPlanRequest(GridRequest):
    """A patrol plan: the highest-scoring cells of a hotspot run within a budget, as zones."""

    method: str | None = Param(
        help="The hotspot run to score: count, kde or gistar (default: the one the score needs).",
        choices=METHODS,
        fronts=ONLY_WEB,
    ).field()
    score: str = Param(
        help="Score to rank cells by: n (crimes; also 'count'), kde or gistar.",
        choices=SCORES,
        default="n",
        flag="--method",
        clean=_score_clean,
    ).field()
    bandwidth: float | None = BANDWIDTH.but(
        help="KDE bandwidth in metres (for --method kde or gistar)."
    ).field()
    top_n: int | None = Param(
        help="Budget: this many cells.", type=int, ge=1, flag="--top", fronts=ONLY_CLI
    ).field()
    area_km2: float | None = Param(
        help="Budget: as many whole cells as fit in this many km².",
        web_help="Budget in km².",
        type=float,
        gt=0,
        server=Limits(ge=0.01, le=1000),
        web_default=5.0,
        label="patrol budget",
        metavar="KM2",
    ).field()
    connectivity: int = Param(
        help="Cells join a zone when touching: 8 (edge or corner) or 4.",
        type=int,
        default=8,
        check=_connectivity_check,
        fronts=ONLY_CLI,
    ).field()
    lsoas_per_zone: int = Param(
        help="LSOAs named per zone.", type=int, default=3, ge=0, fronts=LIBRARY
    ).field()

    def relations(self) -> list[Problem]:
        found = super().relations()
        if (self.top_n is None) == (self.area_km2 is None):
            found.append(
                Problem(
                    None,
                    f"give exactly one budget: a number of cells ({ref('top_n')}) or an area in "
                    f"km² ({ref('area_km2')})",
                )
            )
        if self.method is not None and self.method not in SCORE_NEEDS[self.score]:
            found.append(
                Problem(
                    "score",
                    f"{ref('score')} {self.score!r} needs a hotspot run with method "
                    f"{SCORE_METHOD[self.score]!r}; this run used {self.method!r}",
                )
            )
        return found

    @property
    def hotspot_method(self) -> str:
        return self.method or SCORE_METHOD[self.score]

    def hotspots_request(self) -> HotspotsRequest:
        """The hotspot run the plan is drawn from."""
        return HotspotsRequest.narrowed(self, method=self.hotspot_method)
