"""The demo's covert authorisations for Op Lantern: SYNTHETIC, dated from today.

Three authorisations, recorded by the demo's intelligence officer in the demo unit,
so the dashboard shows each alert a user will meet: a directed-surveillance
authorisation whose review is overdue and which expires within the week, a CHIS
authorisation in force, and the communications-data authorisation the demo's
SYNTHETIC call data was obtained under (URN ``SYNTHETIC-DEMO``, the calls demo's
authority reference), so its page lists that import. Dates are counted back from
today, so the alerts are the same whenever the demo is run.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.security.roles import Role
from harmwatch.storage import models

from . import authorisations

SYNTHETIC_NOTE = "SYNTHETIC covert authorisations: invented subjects, officers and references."
WHY = "Demo set-up: Op Lantern authorisations (SYNTHETIC)"


def _values(urn: str, kind: str, granted: date, subject: str) -> dict[str, str]:
    return {
        "urn": urn,
        "authorisation_kind": kind,
        "subject": f"SYNTHETIC: {subject}",
        "operation": "Op Lantern",
        "applied_on": (granted - timedelta(days=2)).isoformat(),
        "applicant": "SYNTHETIC DS 4410",
        "authorised_by": "SYNTHETIC Supt Example",
        "authorising_rank": "Superintendent",
        "granted_on": granted.isoformat(),
        "granted_time": "10:00",
    }


def seed(
    engine: Engine, force: str, unit: str, username: str = "intelligence-officer"
) -> dict[str, int]:
    """Record the three authorisations; their ids by URN."""
    officer = Principal(username, Role.INTELLIGENCE_OFFICER, force, frozenset({unit}), "system")
    today = models.utcnow().date()
    made = {}
    for urn, kind, granted, subject in (
        ("SYNTHETIC-DS-0001", "directed-surveillance", today - timedelta(days=85),
         "the Op Lantern controller's movements in Stevenage"),
        ("SYNTHETIC-CHIS-0001", "chis", today - timedelta(days=200),
         "a source reporting on the Northside group"),
        ("SYNTHETIC-DEMO", "communications-data", today - timedelta(days=70),
         "the deal line's subscriber and call records"),
    ):  # fmt: skip
        view = authorisations.record(
            engine, officer, _values(urn, kind, granted, subject), WHY, client="demo set-up"
        )
        made[urn] = view.id
    return made
