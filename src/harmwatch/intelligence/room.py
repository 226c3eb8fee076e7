"""The intelligence room's declaration: graded reports, entities, links and link analysis.

Every route's reads are logged by the records kernel itself (``audit=None``): each
names the records it returned and the justification — typed for the act, or the
case or operation declared for the session.
"""

from __future__ import annotations

from harmwatch.kernel.reads import ConditionsNotAcknowledged
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .kinds import ENTITIES, FULL_TEXT, LINKS, READ_INTELLIGENCE, REPORTS, WRITE_INTELLIGENCE

_R, _W = READ_INTELLIGENCE, WRITE_INTELLIGENCE


def _read(kind: str) -> RouteRule:
    return RouteRule(_R, "page" if kind == "page" else "api", audit=None)


def _write(kind: str) -> RouteRule:
    return RouteRule(_W, "page" if kind == "page" else "api", audit=None)


ROOM = Room(
    name="intelligence",
    title="Who: graded intelligence, entities and link analysis",
    capabilities=(READ_INTELLIGENCE, WRITE_INTELLIGENCE, FULL_TEXT),
    record_types=(REPORTS, ENTITIES, LINKS),
    routes={
        ("GET", "/intelligence"): _read("page"),
        ("POST", "/intelligence/search"): _read("page"),
        ("GET", "/intelligence/reports/{report_id}"): _read("page"),
        ("GET", "/intelligence/entities/{entity_id}"): _read("page"),
        ("POST", "/intelligence/entities/{entity_id}/watch"): _read("page"),
        ("POST", "/intelligence/merges"): _write("page"),
        ("GET", "/intelligence/chart"): _read("page"),
        ("GET", "/api/intelligence/reports"): _read("api"),
        ("POST", "/api/intelligence/reports"): _write("api"),
        ("GET", "/api/intelligence/reports/{report_id}"): _read("api"),
        ("POST", "/api/intelligence/reports/{report_id}/versions"): _write("api"),
        ("GET", "/api/intelligence/entities"): _read("api"),
        ("POST", "/api/intelligence/entities"): _write("api"),
        ("POST", "/api/intelligence/links"): _write("api"),
        ("GET", "/api/intelligence/chart"): _read("api"),
        ("GET", "/api/intelligence/path"): _read("api"),
        ("GET", "/api/intelligence/players"): _read("api"),
        ("GET", "/api/intelligence/timeline/{entity_id}"): _read("api"),
        ("GET", "/api/intelligence/mentions/{report_id}"): _read("api"),
        ("GET", "/api/intelligence/suggestions"): _read("api"),
        ("POST", "/api/intelligence/merges"): _write("api"),
        ("POST", "/api/intelligence/merges/{merge_id}/undo"): _write("api"),
        ("POST", "/api/intelligence/watches"): _read("api"),
        ("GET", "/api/intelligence/alerts"): _read("api"),
        ("POST", "/api/intelligence/export"): _write("api"),
        ("POST", "/api/intelligence/shares"): _write("api"),
        ("POST", "/api/intelligence/import"): _write("api"),
    },
    nav=(NavEntry("/intelligence", "Intelligence", READ_INTELLIGENCE, order=55),),
    web=("harmwatch.web.rooms.intelligence",),
    cli="harmwatch.cli.intelligence",
    errors=(ConditionsNotAcknowledged,),
)
