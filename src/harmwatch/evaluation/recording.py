"""How crimes come to be recorded: the police-generated crime types, defined once.

Most street crimes enter the data because a victim or a witness reports them, so
a fall in their count is, as far as the count goes, a fall in the harm. A few
crime types enter almost only because police officers find them: a drug or a
weapon is found in a stop and search, a warrant or a patrol, and nobody reports
it. For those a fall may mean less searching as easily as less crime, and a rise
may mean more searching. Every front must therefore show their direction
neutrally, never as good news (green) or bad news (red), and say why; pages do
it with :func:`police_generated`, which every front asks rather than keeping a
list of its own.

"Public order" and "Other crime" are left out: most of their records start with a
report by the public, and police-found offences are a minority of them, so their
direction still reads mainly as the harm's.
"""

from __future__ import annotations

from collections.abc import Iterable

# crime type (as police.uk names it) -> how its records arise
POLICE_GENERATED: dict[str, str] = {
    "Drugs": "drug offences are found by police activity (stop and search, warrants, "
    "patrols), not reported by victims",
    "Possession of weapons": "possession of a weapon is found by police activity (stop and "
    "search, warrants, patrols), not reported by victims",
}

_LOWER = {k.lower(): k for k in POLICE_GENERATED}

NEUTRAL_DIRECTION_NOTE = (
    "A rise or fall in a police-generated crime type ({types}) is shown without colour: "
    "these offences are found by police activity, not reported by victims, so a fall may mean "
    "less searching rather than less crime, and a rise more searching"
)


def police_generated(crime_type: str) -> bool:
    """True for a crime type recorded mainly when police find it (see the module docstring)."""
    return crime_type.strip().lower() in _LOWER


def neutral_direction_note(crime_types: Iterable[str]) -> str | None:
    """The sentence a page shows beside changes it colours neutrally, or None when none is."""
    found = [_LOWER[t.strip().lower()] for t in crime_types if police_generated(t)]
    if not found:
        return None
    return NEUTRAL_DIRECTION_NOTE.format(types=", ".join(dict.fromkeys(found)))
