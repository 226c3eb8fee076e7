"""The data room: loading data.police.uk files, and what is loaded, from where."""

from __future__ import annotations

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.ingest import IngestError
from harmwatch.sources.policeuk.read import SourceError
from harmwatch.storage.analytics import SchemaError

MANAGE_DATA = capability(
    "manage-data",
    "upload police.uk files; see provenance and rejected rows",
    {Role.ADMIN, Role.ANALYST},
)

ROOM = Room(
    name="data",
    title="Data: police.uk files, provenance and rejects",
    capabilities=(MANAGE_DATA,),
    routes={
        ("GET", "/data"): RouteRule(MANAGE_DATA, "page"),
        ("POST", "/data/upload"): RouteRule(MANAGE_DATA, "page", audit=AuditAction.COLLECTION),
        ("GET", "/api/status"): RouteRule(MANAGE_DATA, "api"),
        ("POST", "/api/uploads"): RouteRule(MANAGE_DATA, "api", audit=AuditAction.COLLECTION),
    },
    nav=(NavEntry("/data", "Data", MANAGE_DATA, order=50),),
    web=("harmwatch.web.rooms.data",),
    cli="harmwatch.cli.data",
    errors=(IngestError, SourceError, SchemaError),
)
