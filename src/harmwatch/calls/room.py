"""The calls room's declaration: call-data import, analysis and county-lines detection.

Its reads are logged by the room itself through the records kernel (``audit=None``):
each names the call-data files whose rows it read, the question asked and the
justification.
"""

from __future__ import annotations

from harmwatch.intelligence.kinds import READ_INTELLIGENCE, WRITE_INTELLIGENCE
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .importer import CallImportRefused
from .kinds import CALL_IMPORTS

_R, _W = READ_INTELLIGENCE, WRITE_INTELLIGENCE


def _rule(capability: Capability, kind: str) -> RouteRule:
    return RouteRule(capability, "page" if kind == "page" else "api", audit=None)


ROOM = Room(
    name="calls",
    title="Who: call data and county lines",
    capabilities=(),
    record_types=(CALL_IMPORTS,),
    bulk_tables={"calls": READ_INTELLIGENCE, "call_files": READ_INTELLIGENCE},
    routes={
        ("GET", "/county-lines"): _rule(_R, "page"),
        ("POST", "/county-lines/detect"): _rule(_R, "page"),
        ("POST", "/county-lines/accept"): _rule(_W, "page"),
        ("POST", "/county-lines/schedule"): _rule(_R, "page"),
        # The import form without JavaScript: the same import, answered with the page.
        ("POST", "/county-lines/import"): _rule(_W, "page"),
        ("GET", "/api/calls/files"): _rule(_R, "api"),
        ("POST", "/api/calls/import"): _rule(_W, "api"),
        ("GET", "/api/calls/import/{job_id}"): _rule(_W, "api"),
        ("POST", "/api/calls/analysis/{kind}"): _rule(_R, "api"),
        ("POST", "/api/county-lines/detect"): _rule(_R, "api"),
        ("POST", "/api/county-lines/schedule"): _rule(_R, "api"),
        ("POST", "/api/county-lines/flags"): _rule(_R, "api"),
        ("POST", "/api/county-lines/accept"): _rule(_W, "api"),
    },
    nav=(NavEntry("/county-lines", "County lines", READ_INTELLIGENCE, order=56),),
    web=("harmwatch.web.rooms.calls",),
    cli="harmwatch.cli.calls",
    errors=(CallImportRefused,),
)
