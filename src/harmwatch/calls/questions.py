"""The everyday call-data questions by name, bound to their arguments (for the CLI and the web).

Each name is one function of :mod:`.analysis`; the numbers asked about are turned into
the importer's keys first (so ``07…``, ``447…`` and ``+447…`` ask about one number), and
the count of numbers each question takes is checked here, once, for both front ends.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from harmwatch.errors import InputError

from . import analysis
from .parties import party_keys
from .tables import Table

ANALYSES = ("contacts", "common", "hours", "days", "cells", "colocation", "seen", "timeline")


Question = Callable[[duckdb.DuckDBPyConnection, list[str]], Table]


def analysis_question(
    kind: str, numbers: list[str], *, window: int = 30, limit: int = 50
) -> Question:
    """The analysis function for ``kind``, bound to its arguments."""
    if kind not in ANALYSES:
        raise InputError(f"analysis: {kind!r} is not one of {', '.join(ANALYSES)}")
    if not numbers or not all(isinstance(n, str) and n.strip() for n in numbers):
        raise InputError("numbers: give the number(s) to ask about")
    keys = [k for k, _ in party_keys(list(numbers))]
    one = keys[0]
    if kind in ("colocation",) and len(keys) != 2:
        raise InputError("colocation: give exactly two numbers")
    if kind in ("contacts", "hours", "days", "cells", "timeline") and len(keys) != 1:
        raise InputError(f"{kind}: give one number")
    if kind == "common" and len(keys) < 2:
        raise InputError("common: give two or more numbers")
    questions: dict[str, Question] = {
        "contacts": lambda con, files: analysis.top_contacts(con, files, one, limit=limit),
        "common": lambda con, files: analysis.common_contacts(con, files, keys),
        "hours": lambda con, files: analysis.hour_of_day(con, files, one),
        "days": lambda con, files: analysis.day_of_week(con, files, one),
        "cells": lambda con, files: analysis.usual_cells(con, files, one),
        "colocation": lambda con, files: analysis.co_location(
            con, files, keys[0], keys[-1], window_minutes=window
        ),
        "seen": lambda con, files: analysis.first_last_seen(con, files, keys),
        "timeline": lambda con, files: analysis.timeline(con, files, one),
    }
    return questions[kind]
