"""The forensics room's declaration: cases, exhibits, custody, incidents, retests, progress.

Every route's reads and changes are logged by the records kernel itself (``audit=None``).
The PCC viewer reaches the progress figures only.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .kinds import CASES, EXHIBITS, READ_FORENSICS, RETESTS, VIEW_FORENSIC_PROGRESS, WRITE_FORENSICS

_R, _W, _P = READ_FORENSICS, WRITE_FORENSICS, VIEW_FORENSIC_PROGRESS


def _page(access: object) -> RouteRule:
    return RouteRule(access, "page", audit=None)  # type: ignore[arg-type]


def _api(access: object) -> RouteRule:
    return RouteRule(access, "api", audit=None)  # type: ignore[arg-type]


ROOM = Room(
    name="forensics",
    title="Can we trust the evidence: forensic cases, custody and lab-incident review",
    capabilities=(READ_FORENSICS, WRITE_FORENSICS, VIEW_FORENSIC_PROGRESS),
    record_types=(CASES, EXHIBITS, RETESTS),
    routes={
        ("GET", "/forensics"): _page(_P),
        ("GET", "/forensics/incidents/{incident_id}"): _page(_R),
        ("POST", "/forensics/incidents/{incident_id}/retests"): _page(_W),
        ("POST", "/forensics/retests/{retest_id}/{step}"): _page(_W),
        ("GET", "/forensics/exhibits/{exhibit_id}"): _page(_R),
        ("GET", "/forensics/new/{kind}"): _page(_W),
        ("POST", "/forensics/new/{kind}"): _page(_W),
        ("POST", "/forensics/exhibits/{exhibit_id}/{kind}"): _page(_W),
        ("POST", "/api/forensics/check/{kind}"): _api(_W),
        ("GET", "/api/forensics/progress"): _api(_P),
        ("GET", "/api/forensics/incidents"): _api(_R),
        ("GET", "/api/forensics/incidents/{incident_id}/affected"): _api(_R),
        ("GET", "/api/forensics/incidents/{incident_id}/queue"): _api(_R),
        ("GET", "/api/forensics/exhibits/{exhibit_id}"): _api(_R),
        ("POST", "/api/forensics/cases"): _api(_W),
        ("POST", "/api/forensics/cases/{case_id}/status"): _api(_W),
        ("POST", "/api/forensics/cases/{case_id}/notifications"): _api(_W),
        ("POST", "/api/forensics/notifications/{notification_id}/sent"): _api(_W),
        ("POST", "/api/forensics/exhibits"): _api(_W),
        ("POST", "/api/forensics/exhibits/{exhibit_id}/custody"): _api(_W),
        ("POST", "/api/forensics/exhibits/{exhibit_id}/results"): _api(_W),
        ("POST", "/api/forensics/exhibits/{exhibit_id}/retests"): _api(_W),
        ("POST", "/api/forensics/incidents"): _api(_W),
        ("POST", "/api/forensics/incidents/{incident_id}/regulator-notifications"): _api(_W),
        ("POST", "/api/forensics/retests/{retest_id}/{step}"): _api(_W),
        ("POST", "/api/forensics/verify"): _api(_R),
    },
    nav=(NavEntry("/forensics", "Forensic review", VIEW_FORENSIC_PROGRESS, order=63),),
    web=("harmwatch.web.rooms.forensics",),
    cli="harmwatch.cli.forensic",
)
