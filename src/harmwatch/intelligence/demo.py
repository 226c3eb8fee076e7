"""The demo's intelligence: a small, clearly FICTIONAL set in Hertfordshire.

Every name, number, address and vehicle here is invented for the demonstration:
people are named "(fictional)", phone numbers come from Ofcom's drama range (07700
900000–900999, never allocated to a real line), the handset IMEI is the GSMA's
documented example (490154203237518), and the vehicle mark uses the letters XX,
which the DVLA does not issue. The story is the one the issue's users tell: a local
dealer in Hemel Hempstead (Jay) connects through a 16-year-old line holder (Kez) to
the county line "TONY", run from London by Marcus for an organised crime group;
the line's runners use a cuckooed flat. A second line, "BLUE", belongs to the same
group; Jay was entered twice, misspelt, so entity resolution has a merge to offer.
The reports carry a spread of grades (one legacy 5x5x5, one handling code C, one
restricted to the unit) so that every rule of the room is on show.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from harmwatch.kernel.principal import Principal
from harmwatch.kernel.records import Restriction
from harmwatch.security.roles import Role

from .entities import EntityDraft, create_entity, create_link
from .grading import grade
from .reports import ReportDraft, create

SYNTHETIC_NOTE = "FICTIONAL demonstration data: no real person, number, address or vehicle."

_REPORTS = [
    # reference, scheme, source, information, handling, conditions, text, reported, nim, restricted
    (
        "HC-DEMO-0001",
        "3x5x2",
        "2",
        "B",
        "P",
        None,
        "FICTIONAL. Jay (fictional) seen dealing cannabis and crack near the bus station, Hemel "
        "Hempstead; uses 07700 900101.",
        date(2025, 1, 14),
        1,
        False,
    ),
    (
        "HC-DEMO-0002",
        "3x5x2",
        "2",
        "C",
        "P",
        None,
        "FICTIONAL. Jay (fictional) associates with a youth known as Kez (fictional), aged 16, "
        "who carries a second phone.",
        date(2025, 2, 3),
        1,
        False,
    ),
    (
        "HC-DEMO-0003",
        "3x5x2",
        "1",
        "B",
        "C",
        "Not to be disclosed outside Hertfordshire Constabulary without DI approval (source protection)",
        "FICTIONAL. Kez (fictional) holds the TONY line, number 07700 900202; bulk texts sent "
        "to users across Dacorum.",
        date(2025, 2, 20),
        2,
        False,
    ),
    (
        "HC-DEMO-0004",
        "3x5x2",
        "3",
        "C",
        "P",
        None,
        "FICTIONAL. The TONY line is said to be controlled from London by Marcus (fictional), "
        "phone 07700 900303.",
        date(2025, 3, 2),
        2,
        False,
    ),
    (
        "HC-DEMO-0005",
        "5x5x5",
        "B",
        "2",
        "3",
        None,
        "FICTIONAL legacy report (5x5x5). Marcus (fictional) is a member of the Fictional "
        "Street Crew OCG.",
        date(2015, 6, 1),
        3,
        False,
    ),
    (
        "HC-DEMO-0006",
        "3x5x2",
        "1",
        "A",
        "P",
        None,
        "FICTIONAL. Runners for TONY use Flat 3, Example House, HP2 4AA, home of Sam "
        "(fictional), a vulnerable adult: possible cuckooing.",
        date(2025, 3, 18),
        1,
        True,
    ),
    (
        "HC-DEMO-0007",
        "3x5x2",
        "2",
        "B",
        "P",
        None,
        "FICTIONAL. Lee (fictional) of the Fictional Street Crew runs the BLUE line on "
        "07700 900404; vehicle XX19 DEM seen at handovers.",
        date(2025, 4, 9),
        2,
        False,
    ),
]

_ENTITIES = {
    "jay": EntityDraft(
        "person", "Jay Fictional", aliases=("J-Dog (fictional)",), date_of_birth=date(2001, 5, 9)
    ),
    # The same man entered twice by another officer, misspelt: resolution offers the merge.
    "jay-again": EntityDraft("person", "Jay Fictionel", date_of_birth=date(2001, 5, 9)),
    "kez": EntityDraft("person", "Kez Fictional", date_of_birth=date(2009, 1, 15)),
    "marcus": EntityDraft("person", "Marcus Fictional", date_of_birth=date(1994, 11, 2)),
    "lee": EntityDraft("person", "Lee Fictional", date_of_birth=date(1997, 1, 21)),
    "sam": EntityDraft("person", "Sam Fictional", date_of_birth=date(1968, 7, 4)),
    "jay-phone": EntityDraft("phone", value="07700 900101"),
    "tony-number": EntityDraft("phone", value="07700 900202"),
    "marcus-phone": EntityDraft("phone", value="+44 7700 900303"),
    "blue-number": EntityDraft("phone", value="447700900404"),
    "handset": EntityDraft("handset", value="490154203237518"),
    "flat": EntityDraft(
        "address", value="HP2 4AA", address_lines="Flat 3, Example House (fictional)"
    ),
    "vehicle": EntityDraft("vehicle", value="XX19 DEM"),
    "ocg": EntityDraft("ocg", value="Fictional Street Crew", threat_tier="2"),
    "tony": EntityDraft("county-line", value="TONY line (fictional)"),
    "blue": EntityDraft("county-line", value="BLUE line (fictional)"),
}

_LINKS = [
    # from, to, kind, strength, reports (by reference), start, end
    ("jay", "jay-phone", "uses-phone", "confirmed", ["HC-DEMO-0001"], date(2025, 1, 1), None),
    ("jay", "kez", "associate-of", "tentative", ["HC-DEMO-0002"], None, None),
    ("kez", "tony", "holds-line", "confirmed", ["HC-DEMO-0003"], date(2025, 2, 1), None),
    ("kez", "handset", "uses-handset", "tentative", ["HC-DEMO-0003"], None, None),
    ("tony", "tony-number", "deal-line", "confirmed", ["HC-DEMO-0003"], date(2025, 1, 20), None),
    ("marcus", "tony", "controls-line", "unconfirmed", ["HC-DEMO-0004"], None, None),
    ("marcus", "marcus-phone", "uses-phone", "tentative", ["HC-DEMO-0004"], None, None),
    ("marcus", "ocg", "member-of", "tentative", ["HC-DEMO-0005"], None, None),
    ("tony", "flat", "cuckooed-address", "tentative", ["HC-DEMO-0006"], date(2025, 3, 1), None),
    ("sam", "flat", "lives-at", "confirmed", ["HC-DEMO-0006"], None, None),
    ("lee", "ocg", "member-of", "confirmed", ["HC-DEMO-0007"], None, None),
    ("lee", "blue", "runs-line", "tentative", ["HC-DEMO-0007"], None, None),
    ("blue", "blue-number", "deal-line", "confirmed", ["HC-DEMO-0007"], date(2025, 4, 1), None),
    ("lee", "vehicle", "uses-vehicle", "tentative", ["HC-DEMO-0007"], None, None),
]


def seed(
    engine: Engine, force: str, unit: str, username: str = "intelligence-officer"
) -> dict[str, int]:
    """Record the demo set as the demo's intelligence officer; ids by the names above."""
    officer = Principal(username, Role.INTELLIGENCE_OFFICER, force, frozenset({unit}), "system")
    report_ids: dict[str, int] = {}
    for ref, scheme, s, i, h, conditions, text, reported, nim, restricted in _REPORTS:
        report_ids[ref] = create(
            engine,
            officer,
            ReportDraft(
                reference=ref,
                grade=grade(scheme, s, i, h),
                sanitised_text=text,
                full_text=f"{text} [FICTIONAL full text: source details withheld in sanitised copy]",
                originator="PC Example (fictional), Dacorum neighbourhood team",
                reported_on=reported,
                information_date=reported,
                nim_level=nim,
                conditions=conditions,
                restriction=Restriction.RESTRICTED if restricted else Restriction.FORCE,
            ),
            client="demo set-up",
        )
    ids = {
        name: create_entity(engine, officer, draft, client="demo set-up")
        for name, draft in _ENTITIES.items()
    }
    for a, b, kind, strength, refs, start, end in _LINKS:
        create_link(
            engine,
            officer,
            ids[a],
            ids[b],
            kind,
            strength,
            [report_ids[r] for r in refs],
            start=start,
            end=end,
            client="demo set-up",
        )
    return {**ids, **{k: v for k, v in report_ids.items()}}
