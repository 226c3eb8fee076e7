"""The operations room's declaration: operations, results, seizures, price tables, summaries.

Every route's reads and changes are logged by the records kernel itself
(``audit=None``): the library scopes, justifies and logs in one unit of work.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .kinds import (
    MANAGE_PRICE_TABLES,
    OPERATIONS,
    READ_OPERATIONS,
    RESULTS,
    VIEW_OPERATION_SUMMARIES,
    WRITE_OPERATIONS,
)

_R, _W, _S, _P = READ_OPERATIONS, WRITE_OPERATIONS, VIEW_OPERATION_SUMMARIES, MANAGE_PRICE_TABLES


def _page(access: object) -> RouteRule:
    return RouteRule(access, "page", audit=None)  # type: ignore[arg-type]


def _api(access: object) -> RouteRule:
    return RouteRule(access, "api", audit=None)  # type: ignore[arg-type]


ROOM = Room(
    name="operations",
    title="What we did: operations, results, seizures and summaries",
    capabilities=(READ_OPERATIONS, WRITE_OPERATIONS, VIEW_OPERATION_SUMMARIES, MANAGE_PRICE_TABLES),
    record_types=(OPERATIONS, RESULTS),
    routes={
        # operations and results (harmwatch.web.rooms.operations)
        ("GET", "/operations"): _page(_S),
        ("GET", "/operations/new"): _page(_W),
        ("POST", "/operations/new"): _page(_W),
        ("GET", "/operations/summary"): _page(_S),
        ("GET", "/operations/import"): _page(_W),
        ("POST", "/operations/import"): _page(_W),
        ("GET", "/operations/templates/{kind}"): _page(_W),
        ("POST", "/operations/export"): _page(_W),
        ("GET", "/operations/{operation_id}"): _page(_R),
        ("GET", "/operations/{operation_id}/results/new"): _page(_W),
        ("POST", "/operations/{operation_id}/results/new"): _page(_W),
        ("GET", "/operations/results/{result_id}"): _page(_R),
        ("POST", "/operations/results/{result_id}"): _page(_W),
        ("GET", "/api/operations"): _api(_S),
        ("POST", "/api/operations"): _api(_W),
        ("GET", "/api/operations/summary"): _api(_S),
        ("GET", "/api/operations/checkbacks"): _api(_R),
        ("POST", "/api/operations/check/{kind}"): _api(_W),
        ("POST", "/api/operations/import"): _api(_W),
        ("GET", "/api/operations/{operation_id}"): _api(_R),
        ("POST", "/api/operations/{operation_id}/results"): _api(_W),
        ("GET", "/api/operations/results/{result_id}"): _api(_R),
        ("POST", "/api/operations/results/{result_id}/corrections"): _api(_W),
        # seizures, street values and price tables (harmwatch.web.rooms.seizures)
        ("GET", "/seizures"): _page(_R),
        ("GET", "/seizures/prices"): _page(_R),
        ("POST", "/seizures/prices"): _page(_P),
        ("POST", "/seizures/{result_id}/revalue"): _page(_P),
        ("GET", "/api/seizures"): _api(_R),
        ("GET", "/api/seizures/prices"): _api(_R),
        ("GET", "/api/seizures/prices/{table_id}"): _api(_R),
        ("POST", "/api/seizures/prices"): _api(_P),
        ("GET", "/api/seizures/{result_id}/valuations"): _api(_R),
        ("POST", "/api/seizures/{result_id}/revalue"): _api(_P),
    },
    nav=(
        NavEntry("/operations", "Operations", VIEW_OPERATION_SUMMARIES, order=58),
        NavEntry("/seizures", "Seizures", READ_OPERATIONS, order=59),
    ),
    web=("harmwatch.web.rooms.operations", "harmwatch.web.rooms.seizures"),
    cli="harmwatch.cli.operations",
)
