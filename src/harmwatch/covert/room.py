"""The covert room's declaration: surveillance, CHIS, property interference and
communications-data authorisations, their reviews, renewals, cancellations and alerts.

Every route is the intelligence officer's alone (the capabilities say so) and logs
nothing itself (``audit=None``): the library scopes, justifies and logs every read and
change in its unit of work.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .authorisations import AuthorisationRefused
from .kinds import AUTHORISATIONS, READ_COVERT, WRITE_COVERT

READ_CAP, WRITE_CAP = READ_COVERT, WRITE_COVERT
_ID = "{authorisation_id}"


def _page(access: object) -> RouteRule:
    return RouteRule(access, "page", audit=None)  # type: ignore[arg-type]


def _api(access: object) -> RouteRule:
    return RouteRule(access, "api", audit=None)  # type: ignore[arg-type]


ROOM = Room(
    name="covert",
    title="Surveillance and covert authorisations",
    capabilities=(READ_COVERT, WRITE_COVERT),
    record_types=(AUTHORISATIONS,),
    routes={
        ("GET", "/covert"): _page(READ_CAP),
        ("POST", "/covert"): _page(READ_CAP),
        ("GET", "/covert/new"): _page(WRITE_CAP),
        ("POST", "/covert/new"): _page(WRITE_CAP),
        ("GET", f"/covert/{_ID}"): _page(READ_CAP),
        ("POST", f"/covert/{_ID}/review"): _page(WRITE_CAP),
        ("POST", f"/covert/{_ID}/renew"): _page(WRITE_CAP),
        ("POST", f"/covert/{_ID}/cancel"): _page(WRITE_CAP),
        ("GET", "/api/covert/authorisations"): _api(READ_CAP),
        ("POST", "/api/covert/authorisations"): _api(WRITE_CAP),
        ("GET", f"/api/covert/authorisations/{_ID}"): _api(READ_CAP),
        ("POST", f"/api/covert/authorisations/{_ID}/reviews"): _api(WRITE_CAP),
        ("POST", f"/api/covert/authorisations/{_ID}/renewals"): _api(WRITE_CAP),
        ("POST", f"/api/covert/authorisations/{_ID}/cancellation"): _api(WRITE_CAP),
        ("GET", "/api/covert/alerts"): _api(READ_CAP),
        ("POST", "/api/covert/check"): _api(WRITE_CAP),
        ("POST", "/api/covert/export"): _api(WRITE_CAP),
    },
    nav=(NavEntry("/covert", "Authorisations", READ_CAP, order=61),),
    web=("harmwatch.web.rooms.covert",),
    cli="harmwatch.cli.covert",
    errors=(AuthorisationRefused,),
)
