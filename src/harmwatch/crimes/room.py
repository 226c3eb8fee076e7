"""The force-records room's declaration: a force's own crime records (RMS exports).

Its reads are logged by the room itself through the records kernel (``audit=None``):
each names the files whose crimes it read, the question and the justification.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .importer import ForceRecordsRefused
from .kinds import (
    FORCE_RECORDS_IMPORTS,
    IMPORT_FORCE_RECORDS,
    READ_FORCE_RECORDS,
    VIEW_FORCE_RECORD_AGGREGATES,
)

_A, _W = VIEW_FORCE_RECORD_AGGREGATES, IMPORT_FORCE_RECORDS

ROOM = Room(
    name="crimes",
    title="Where and when: a force's own crime records",
    capabilities=(READ_FORCE_RECORDS, VIEW_FORCE_RECORD_AGGREGATES, IMPORT_FORCE_RECORDS),
    record_types=(FORCE_RECORDS_IMPORTS,),
    bulk_tables={
        "force_crimes": VIEW_FORCE_RECORD_AGGREGATES,
        "force_crime_files": VIEW_FORCE_RECORD_AGGREGATES,
    },
    routes={
        ("GET", "/force-records"): RouteRule(_A, "page", audit=None),
        ("POST", "/force-records/import"): RouteRule(_W, "page", audit=None),
        ("GET", "/api/force-records/files"): RouteRule(_A, "api", audit=None),
        ("GET", "/api/force-records/reconciliation"): RouteRule(_A, "api", audit=None),
        ("GET", "/api/force-records/timing"): RouteRule(_A, "api", audit=None),
    },
    nav=(NavEntry("/force-records", "Force records", VIEW_FORCE_RECORD_AGGREGATES, order=45),),
    web=("harmwatch.web.rooms.crimes",),
    cli="harmwatch.cli.crimes",
    errors=(ForceRecordsRefused,),
)
