"""What the stop-and-search and crime-outcomes verbs can be asked, declared once.

As in :mod:`harmwatch.evaluation.requests`, each field's
:class:`~harmwatch.query.params.Param` is the only declaration of that parameter,
so ``harmwatch stop-search --force … --months …`` and any later page or API read,
check and explain it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from harmwatch.query.fields import FORCES, MONTHS
from harmwatch.query.params import Param, Request

from .crime_outcomes import DEFAULT_CRIME_TYPE

_FORCES = FORCES.but(help="Force slug or name (repeatable); default: every force loaded.")
_MONTHS = MONTHS.but(
    help="Months: 2021-05:2024-04, 2021-05 or a comma list; default: every month loaded for "
    "every force asked for."
)


@dataclass(frozen=True)
class StopSearchRequest(Request):
    """``stop-search``: searches, find and arrest rates and disproportionality."""

    forces: tuple[str, ...] = _FORCES.field()
    months: tuple[str, ...] = _MONTHS.field()


@dataclass(frozen=True)
class OutcomesRequest(Request):
    """``outcomes``: what happened to one crime type's crimes, by month of the crime."""

    forces: tuple[str, ...] = _FORCES.field()
    months: tuple[str, ...] = _MONTHS.field()
    crime_type: str = Param(
        help=f"The police.uk crime type (default: {DEFAULT_CRIME_TYPE}).",
        default=DEFAULT_CRIME_TYPE,
        label="crime type",
        metavar="TYPE",
        max_length=100,
    ).field()
