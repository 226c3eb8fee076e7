"""The programmes room's declaration: programmes, participants, events and outcome measures.

Programme types (treatment referral, Checkpoint diversion, victim services, custody
visiting, volunteers, recruitment cohorts, campaigns) are configuration
(:mod:`harmwatch.programmes.config`). Every route's reads and changes are logged by
the records kernel itself (``audit=None``): the library scopes, justifies and logs.
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .config import ProgrammeConfigError
from .kinds import (
    EVENTS,
    PARTICIPANTS,
    PROGRAMMES,
    READ_PROGRAMMES,
    VIEW_PROGRAMME_OUTCOMES,
    WRITE_PROGRAMMES,
)

_R, _W, _O = READ_PROGRAMMES, WRITE_PROGRAMMES, VIEW_PROGRAMME_OUTCOMES


def _page(access: object) -> RouteRule:
    return RouteRule(access, "page", audit=None)  # type: ignore[arg-type]


def _api(access: object) -> RouteRule:
    return RouteRule(access, "api", audit=None)  # type: ignore[arg-type]


ROOM = Room(
    name="programmes",
    title="Programmes and referrals",
    capabilities=(READ_PROGRAMMES, WRITE_PROGRAMMES, VIEW_PROGRAMME_OUTCOMES),
    record_types=(PROGRAMMES, PARTICIPANTS, EVENTS),
    routes={
        ("GET", "/programmes"): _page(_O),
        ("GET", "/programmes/new"): _page(_W),
        ("POST", "/programmes/new"): _page(_W),
        ("GET", "/programmes/{programme_id}"): _page(_R),
        ("POST", "/programmes/{programme_id}"): _page(_R),
        ("POST", "/programmes/{programme_id}/events"): _page(_W),
        ("GET", "/api/programmes"): _api(_O),
        ("POST", "/api/programmes"): _api(_W),
        ("GET", "/api/programmes/types"): _api(_O),
        ("POST", "/api/programmes/check/{kind}"): _api(_W),
        ("GET", "/api/programmes/{programme_id}"): _api(_R),
        ("GET", "/api/programmes/{programme_id}/outcomes"): _api(_O),
        ("POST", "/api/programmes/{programme_id}/participants"): _api(_W),
        ("POST", "/api/programmes/{programme_id}/events"): _api(_W),
        ("POST", "/api/programmes/events/{event_id}/corrections"): _api(_W),
    },
    nav=(NavEntry("/programmes", "Programmes", VIEW_PROGRAMME_OUTCOMES, order=62),),
    web=("harmwatch.web.rooms.programmes",),
    cli="harmwatch.cli.programmes",
    errors=(ProgrammeConfigError,),
)
