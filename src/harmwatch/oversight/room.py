"""The oversight room: measures, claims checked, stop and search, outcomes, reports.

Every page and API is open to every role (``VIEW_AGGREGATES``): what a role sees of
the records behind a measure is decided by the records rooms themselves, which the
measures read through (they check the role and log the read). A PCC viewer always
gets the published figures. Looking at a page, the report included, is a
consultation; the report's PDF is a download, so it is logged as a disclosure.
"""

from __future__ import annotations

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import VIEW_AGGREGATES
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .claims import ClaimError
from .crime_outcomes import OutcomeCategoryError
from .framework import FrameworkError
from .police_scope import ScopeError
from .population import PopulationError
from .render import ReportFormatError
from .residents import ResidentsError
from .stop_search import StopSearchError

_A = VIEW_AGGREGATES

ROOM = Room(
    name="oversight",
    title="Oversight: PCC and partnership measures, reports and claims checked",
    routes={
        ("GET", "/oversight"): RouteRule(_A, "page"),
        ("GET", "/oversight/measure"): RouteRule(_A, "page"),
        ("GET", "/oversight/stop-search"): RouteRule(_A, "page"),
        ("GET", "/oversight/outcomes"): RouteRule(_A, "page"),
        ("GET", "/oversight/report"): RouteRule(_A, "page"),
        ("GET", "/oversight/report.pdf"): RouteRule(_A, "page", audit=AuditAction.DISCLOSURE),
        ("GET", "/check-claim"): RouteRule(_A, "page"),
        ("GET", "/api/check-claim"): RouteRule(_A, "api"),
        ("GET", "/api/oversight/measures"): RouteRule(_A, "api"),
        ("GET", "/api/oversight/stop-search"): RouteRule(_A, "api"),
        ("GET", "/api/oversight/outcomes"): RouteRule(_A, "api"),
    },
    nav=(
        NavEntry("/oversight", "Oversight", VIEW_AGGREGATES, order=47),
        NavEntry("/check-claim", "Check a claim", VIEW_AGGREGATES, order=48),
    ),
    web=("harmwatch.web.rooms.oversight",),
    cli="harmwatch.cli.oversight",
    errors=(
        ClaimError,
        ScopeError,
        StopSearchError,
        OutcomeCategoryError,
        PopulationError,
        FrameworkError,
        ReportFormatError,
        ResidentsError,
    ),
)
