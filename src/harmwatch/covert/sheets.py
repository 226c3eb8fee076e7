"""Covert authorisations in the bulk template, import and export (``harmwatch ops …``).

A row is the authorisation form's fields (:data:`~harmwatch.covert.forms.AUTHORISATION_FORM`);
storing one goes through :func:`harmwatch.covert.authorisations.store`, which checks the
policy (only an intelligence officer, in one of their own units) before anything else.
An exported row gives the grant's UK day and time, and the next review due as
``first_review_on``, so that a row imported again records the same authorisation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from harmwatch.kernel.forms import SheetKind

from . import periods
from .authorisations import store
from .forms import AUTHORISATION_FORM
from .kinds import AUTHORISATIONS
from .models import CovertAuthorisation


def values(db: Session, record: CovertAuthorisation) -> dict[str, Any]:
    granted = record.granted_at.astimezone(periods.LONDON)
    return {
        "urn": record.urn,
        "authorisation_kind": record.authorisation_kind,
        "subject": record.subject,
        "operation": record.operation,
        "applied_on": record.applied_on,
        "applicant": record.applicant,
        "authorised_by": record.authorised_by,
        "authorising_rank": record.authorising_rank,
        "granted_on": granted.date(),
        "granted_time": granted.strftime("%H:%M"),
        "urgent_oral": record.urgent_oral,
        "review_interval_days": record.review_interval_days,
        "first_review_on": record.next_review_on,
        "unit": record.owning_unit,
        "handling_conditions": record.handling_conditions,
    }


SHEETS: tuple[SheetKind, ...] = (
    SheetKind(form=AUTHORISATION_FORM, record_type=AUTHORISATIONS, store=store, values=values),
)
