"""What the programmes room declares to the kernel: its capabilities and its record types.

Who may do what:

- ``read-programmes``: programmes, their events and their pseudonymous participants —
  the analyst (who evaluates what works), the neighbourhood officer and the
  intelligence officer (who make the referrals and record the diversions);
- ``write-programmes``: the same roles set programmes up and record their events;
- ``view-programme-outcomes``: the outcome measures only (counts, sums and rates),
  never a participant or an event — those roles and the PCC viewer, who commissions
  many of these services and must see whether they work. A PCC's figures are their
  own force's, with small numbers suppressed (:mod:`harmwatch.programmes.outcomes`).

The administrator, the forensic reviewer and the data protection officer see none of
it (the last reaches participants and events through subject access and review).
"""

from __future__ import annotations

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType
from harmwatch.security.roles import Role

from .models import Programme, ProgrammeEvent, ProgrammeParticipant

_PEOPLE = {Role.ANALYST, Role.NEIGHBOURHOOD_OFFICER, Role.INTELLIGENCE_OFFICER}

READ_PROGRAMMES = capability(
    "read-programmes",
    "read programmes, their events and their pseudonymous participants",
    _PEOPLE,
)
WRITE_PROGRAMMES = capability(
    "write-programmes",
    "set up programmes and record, correct and import their participants and events",
    _PEOPLE,
)
VIEW_PROGRAMME_OUTCOMES = capability(
    "view-programme-outcomes",
    "programme outcome measures: counts, sums and rates, never a participant",
    _PEOPLE | {Role.PCC_VIEWER},
)

PROGRAMMES = RecordType(
    kind="programme",
    model=Programme,
    title="programmes",
    read=READ_PROGRAMMES,
    write=WRITE_PROGRAMMES,
    personal=False,  # a programme's name, type, dates and partner name nobody
    describe=lambda r: f"programme {r.name} ({r.programme_type}, from {r.starts_on})",
)
PARTICIPANTS = RecordType(
    kind="programme-participant",
    model=ProgrammeParticipant,
    title="programme participants",
    read=READ_PROGRAMMES,
    write=WRITE_PROGRAMMES,
    describe=lambda r: f"participant {r.label} of programme {r.programme_id}",
)
EVENTS = RecordType(
    kind="programme-event",
    model=ProgrammeEvent,
    title="programme events",
    read=READ_PROGRAMMES,
    write=WRITE_PROGRAMMES,
    describe=lambda r: f"{r.event_kind} on {r.occurred_on} (programme {r.programme_id})",
)
