"""The "where" room: hotspots, trends, forecasts and patrol zones over open police.uk data."""

from __future__ import annotations

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import VIEW_AGGREGATES, capability
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule
from harmwatch.security.roles import Role
from harmwatch.sources.room import MANAGE_DATA
from harmwatch.spatial.boundaries import BoundaryError
from harmwatch.spatial.grid import GridTooLargeError
from harmwatch.where.selection import SelectionError

VIEW_HOTSPOTS = capability(
    "view-hotspots",
    "hotspot map, LSOA ranking and patrol zones (street-level locations of open data)",
    {Role.ADMIN, Role.ANALYST, Role.NEIGHBOURHOOD_OFFICER, Role.INTELLIGENCE_OFFICER},
)

_A, _H = VIEW_AGGREGATES, VIEW_HOTSPOTS
_SEARCH = AuditAction.CONSULTATION

ROOM = Room(
    name="where",
    title="Where: hotspots, trends, forecasts and patrols",
    capabilities=(VIEW_HOTSPOTS,),
    routes={
        ("GET", "/"): RouteRule(_A, "page"),
        ("GET", "/forecast"): RouteRule(_A, "page"),
        ("GET", "/hotspots"): RouteRule(_H, "page"),
        ("GET", "/api/meta"): RouteRule(_A, "api"),
        ("GET", "/api/trends"): RouteRule(_A, "api", audit=_SEARCH),
        ("GET", "/api/forecast-eval"): RouteRule(_A, "api", audit=_SEARCH),
        ("GET", "/api/hotspots"): RouteRule(_H, "api", audit=_SEARCH),
        ("GET", "/api/areas"): RouteRule(_H, "api", audit=_SEARCH),
        ("GET", "/api/patrol"): RouteRule(_H, "api", audit=_SEARCH),
        ("GET", "/api/study-area"): RouteRule(_H, "api", audit=_SEARCH),
        # The hotspot map's place-name labels (GeoNames); the evaluation map carries its own.
        ("GET", "/api/places"): RouteRule(_H, "api"),
        ("GET", "/api/boundaries"): RouteRule(_H, "api"),
        ("POST", "/api/boundaries"): RouteRule(_H, "api", audit=AuditAction.COLLECTION),
        ("GET", "/api/boundaries/{boundary_id}"): RouteRule(_H, "api"),
        ("DELETE", "/api/boundaries/{boundary_id}"): RouteRule(
            MANAGE_DATA, "api", audit=AuditAction.ERASURE
        ),
    },
    nav=(
        NavEntry("/", "Overview", VIEW_AGGREGATES, order=10),
        NavEntry("/hotspots", "Hotspot map", VIEW_HOTSPOTS, order=20),
        NavEntry("/forecast", "Forecast check", VIEW_AGGREGATES, order=30),
    ),
    web=("harmwatch.web.rooms.where",),
    cli="harmwatch.cli.where",
    errors=(SelectionError, BoundaryError, GridTooLargeError),
)
