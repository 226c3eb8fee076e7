"""The "did it work" room: intervention evaluation and period change."""

from __future__ import annotations

from harmwatch.evaluation.areas import EvaluationError
from harmwatch.evaluation.evaluate import MonthsNotLoadedError
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.capabilities import VIEW_AGGREGATES
from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

_A = VIEW_AGGREGATES

ROOM = Room(
    name="evaluation",
    title="Did it work: evaluations and period change",
    routes={
        ("GET", "/evaluate"): RouteRule(_A, "page"),
        ("GET", "/api/evaluate"): RouteRule(_A, "api"),
        ("GET", "/api/change"): RouteRule(_A, "api"),
    },
    nav=(NavEntry("/evaluate", "Did it work?", VIEW_AGGREGATES, order=40),),
    web=("harmwatch.web.rooms.evaluation",),
    cli="harmwatch.cli.evaluation",
    errors=(EvaluationError, MonthsNotLoadedError),
)
_ = AuditAction  # every route here is a consultation (the default)
