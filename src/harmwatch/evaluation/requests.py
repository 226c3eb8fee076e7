"""What each "did it work" verb can be asked, declared once: evaluate, change and trends.

As in :mod:`harmwatch.where.requests`, each field's
:class:`~harmwatch.query.params.Param` is the only declaration of that
parameter: ``harmwatch evaluate``'s options, ``/api/evaluate``'s query
parameters and the ``/evaluate`` form all come from :class:`EvaluateRequest`.
The place is a :class:`~harmwatch.query.place.Place`: ``evaluate`` takes exactly
one target (LSOA codes, a boundary or grid cell ids), ``change`` at most one area
(a district, LSOA codes, a boundary or a box), ``trends`` a district or the
forces' whole ground.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from harmwatch.query.fields import (
    ALL_CRIME_TYPES,
    BBOX,
    BOUNDARY,
    BOUNDARY_LABEL,
    CELLS_TEXT_PATTERN,
    CRIME_TYPES,
    DISTRICT,
    FLAGS,
    FORCES,
    LSOA_CODES,
    MONTH_PATTERN,
    OFFENCE_CLASSES,
    ONLY_CLI,
    ONLY_WEB,
    PERIOD_TEXT_PATTERN,
    SOURCE,
    clean_ids,
    ids_value,
    numbers_text,
    period_check,
    period_text,
    period_value,
)
from harmwatch.query.filter import Filter, FilterError
from harmwatch.query.params import LIBRARY, Limits, Param, Problem, Request, ref
from harmwatch.query.place import PlaceRule
from harmwatch.timeline.months import month_range, span_text

DEFAULT_BUFFER_M = 500.0
MAX_TARGET_LSOAS = 300  # the web's limits: a shared server bounds the work of one request
MAX_TARGET_CELLS = 1000
MAX_BUFFER_WEB_M = 5000.0
MAX_CONTROLS_WEB = 2000

TARGET = PlaceRule("evaluate", ("lsoa", "boundary", "cells"), required=True, noun="target")
CHANGE_AREA = PlaceRule("change", ("district", "lsoa", "boundary", "bbox"), noun="area")
TRENDS_AREA = PlaceRule("trends", ("district",), noun="area")


def _month(help: str, label: str, **more: Any) -> Param:
    return Param(
        help=help,
        pattern=MONTH_PATTERN,
        looks_like="2025-09",
        label=label,
        metavar="YYYY-MM",
        **more,
    )


def _crime_filter_problems(request: Any) -> list[Problem]:
    try:
        Filter(
            request.forces, request.crime_types, (), getattr(request, "all_crime_types", False),
            source=getattr(request, "source", "police-uk"), flags=getattr(request, "flags", ()),
            offence_classes=getattr(request, "offence_classes", ()),
        )  # fmt: skip
    except FilterError as exc:
        return [Problem("crime_types", str(exc))]
    return []


@dataclass(frozen=True)
class EvaluateRequest(Request):
    """``evaluate``: an intervention in one target area that started in month ``start``."""

    PLACE: ClassVar[PlaceRule | None] = TARGET

    start: str = _month(
        "First month of the intervention (YYYY-MM).", "start month", required=True
    ).field()
    end: str | None = _month(
        "Last month to evaluate (default: end of the loaded run).", "end month"
    ).field()
    pre_start: str | None = _month(
        "First pre-period month (default: up to 24 loaded months).", "pre-period start month"
    ).field()
    forces: tuple[str, ...] = FORCES.field()
    crime_types: tuple[str, ...] = CRIME_TYPES.field()
    lsoa: tuple[str, ...] = LSOA_CODES.but(
        help="Target LSOA codes, comma-separated (e.g. E01033803,E01033804).",
        label="target LSOA codes",
        server=Limits(max_items=MAX_TARGET_LSOAS),
    ).field()
    boundary: str | None = BOUNDARY.but(
        help="Target area from a GeoJSON/GeoPackage/shapefile.",
        web_help="An uploaded boundary's id as the target area.",
    ).field()
    cells: tuple[int, ...] = Param(
        help="Target grid cell ids (as `harmwatch hotspots` numbers them).",
        type=int,
        default=(),
        ge=0,
        parse=ids_value,
        text=numbers_text,
        clean=clean_ids,
        text_pattern=CELLS_TEXT_PATTERN,
        label="cell ids",
        metavar="IDS",
        server=Limits(max_items=MAX_TARGET_CELLS),
        place="cells",
    ).field()
    cell: float | None = Param(
        help="Cell size in metres for --cells.",
        web_help="Cell size the ids were numbered with.",
        type=float,
        gt=0,
        server=Limits(ge=50, le=50_000),
        label="cell size",
        metavar="METRES",
        place="cell_size",
    ).field()
    buffer_m: float = Param(
        help="Buffer ring around the target, metres.",
        type=float,
        default=DEFAULT_BUFFER_M,
        gt=0,
        server=Limits(le=MAX_BUFFER_WEB_M),
        url="buffer",
        label="buffer",
        metavar="METRES",
    ).field()
    controls: tuple[str, ...] = LSOA_CODES.but(
        help="Control LSOA codes, comma-separated (default: chosen).",
        url="controls",
        label="control LSOA codes",
        server=Limits(max_items=MAX_CONTROLS_WEB),
        place=None,
    ).field()
    n_controls: int | None = Param(
        help="Use the k nearest-matched LSOAs as controls (default: every uncontaminated LSOA).",
        type=int,
        ge=2,
        server=Limits(le=MAX_CONTROLS_WEB),
        label="number of controls",
        metavar="K",
    ).field()
    boundary_label: str | None = BOUNDARY_LABEL.field()
    source: str = SOURCE.field()
    flags: tuple[str, ...] = FLAGS.field()

    def relations(self) -> list[Problem]:
        found = _crime_filter_problems(self)
        if self.controls and self.n_controls is not None:
            found.append(Problem(None, "name control LSOAs or ask for a number of them, not both"))
        return found


@dataclass(frozen=True)
class ChangeRequest(Request):
    """``change``: crimes in a period against a baseline, in one place."""

    PLACE: ClassVar[PlaceRule | None] = CHANGE_AREA

    period: tuple[str, str] | None = Param(
        help="Months to assess: 2024-01 or 2024-01:2024-03 (default: the latest 3 loaded).",
        web_help="2025-12 or 2025-10:2025-12; default: the latest 3 months loaded.",
        parse=period_value,
        text=period_text,
        check=period_check,
        pattern=MONTH_PATTERN,
        looks_like="2025-10:2025-12",
        text_pattern=PERIOD_TEXT_PATTERN,
        metavar="MONTHS",
    ).field()
    baseline: tuple[str, str] | None = Param(
        help="Months to compare with (default: the same months a year earlier).",
        web_help="Months to compare with; default: the same months a year earlier, "
        "or the months just before the period where those are not loaded.",
        parse=period_value,
        text=period_text,
        check=period_check,
        pattern=MONTH_PATTERN,
        looks_like="2025-07:2025-09",
        text_pattern=PERIOD_TEXT_PATTERN,
        metavar="MONTHS",
    ).field()
    crime_types: tuple[str, ...] = CRIME_TYPES.but(
        help="Crime type (repeatable, counted together); default: Drugs."
    ).field()
    forces: tuple[str, ...] = FORCES.field()
    lsoa: tuple[str, ...] = LSOA_CODES.but(
        help="Only these LSOA codes, comma-separated.", fronts=ONLY_CLI
    ).field()
    boundary: str | None = BOUNDARY.but(
        help="Only crimes inside this boundary.", fronts=ONLY_CLI
    ).field()
    bbox: tuple[float, float, float, float] | None = BBOX.field()
    district: str | None = DISTRICT.but(web_help="Crimes whose LSOA name starts with it.").field()
    baseline_fallback: bool = Param(
        help="Where the same months a year earlier are not loaded, compare with as many "
        "months just before the period instead of refusing.",
        type=bool,
        default=False,
        fronts=LIBRARY,
    ).field()
    all_crime_types: bool = ALL_CRIME_TYPES.field()
    boundary_label: str | None = BOUNDARY_LABEL.field()
    source: str = SOURCE.field()
    flags: tuple[str, ...] = FLAGS.field()
    offence_classes: tuple[str, ...] = OFFENCE_CLASSES.field()

    def relations(self) -> list[Problem]:
        found = _crime_filter_problems(self)
        if self.period is not None and self.baseline is not None:
            overlap = set(month_range(*self.period)) & set(month_range(*self.baseline))
            if overlap:
                found.append(
                    Problem(
                        "baseline",
                        f"the {ref('baseline')} {span_text(*self.baseline)} overlaps the "
                        f"{ref('period')} {span_text(*self.period)}",
                    )
                )
        return found

    def filter(self) -> Filter:
        """Forces and crime types (the months are the period's and the baseline's)."""
        return Filter(
            self.forces, self.crime_types, (), self.all_crime_types,
            source=self.source, flags=self.flags, offence_classes=self.offence_classes,
        )  # fmt: skip


@dataclass(frozen=True)
class TrendsRequest(Request):
    """``trends``: street crimes per month and crime type, for forces or a district."""

    PLACE: ClassVar[PlaceRule | None] = TRENDS_AREA

    forces: tuple[str, ...] = FORCES.but(
        help="Force slug (repeatable); default: all loaded."
    ).field()
    district: str | None = DISTRICT.but(
        help="Only crimes whose LSOA name starts with this district.", fronts=ONLY_WEB
    ).field()
    crime_types: tuple[str, ...] = CRIME_TYPES.but(
        help="Series to draw (svg/png) or export (csv); default: Drugs. The counts cover "
        "every type.",
        fronts=ONLY_WEB,
    ).field()
    source: str = SOURCE.field()
    flags: tuple[str, ...] = FLAGS.field()
