"""The information-management room's declaration."""

from __future__ import annotations

from harmwatch.kernel.capabilities import SUBJECT_ACCESS
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

ROOM = Room(
    name="information",
    title="Information management: subject access and review",
    routes={
        ("GET", "/records/subject-access"): RouteRule(SUBJECT_ACCESS, "page", audit=None),
        ("POST", "/records/subject-access"): RouteRule(
            SUBJECT_ACCESS, "page", audit=None, needs_justification=True
        ),
        ("GET", "/records/review"): RouteRule(SUBJECT_ACCESS, "page", audit=None),
        ("POST", "/records/review"): RouteRule(
            SUBJECT_ACCESS, "page", audit=None, needs_justification=True
        ),
        # Logged by the kernel: retain as an alteration, delete as an erasure.
        ("POST", "/records/review/decision"): RouteRule(SUBJECT_ACCESS, "page", audit=None),
    },
    nav=(
        NavEntry("/records/subject-access", "Subject access", SUBJECT_ACCESS, order=70),
        NavEntry("/records/review", "Review", SUBJECT_ACCESS, order=75),
    ),
    web=("harmwatch.web.rooms.information",),
    cli="harmwatch.cli.information",
)
