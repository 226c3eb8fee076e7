"""Intelligence grading: the UK 3x5x2 scheme, and legacy 5x5x5 grades kept as they were.

3x5x2 (College of Policing APP, Intelligence management, 2016 on; the scheme that
replaced 5x5x5 in England and Wales):

- **source evaluation** (3): ``1`` reliable, ``2`` untested, ``3`` not reliable;
- **intelligence assessment** (5): ``A`` known directly to the source, ``B`` known
  indirectly to the source but corroborated, ``C`` known indirectly to the source,
  ``D`` not known, ``E`` suspected to be false or malicious;
- **handling code** (2): ``P`` lawful sharing permitted, ``C`` lawful sharing permitted
  with conditions (the originator writes the conditions).

Written together, source then information then handling: ``1A P``, ``2C C``.

5x5x5 (NIM, to about 2016) grades the **source in letters** (A always reliable … E
untested) and the **information in numbers** (1 known to be true without
reservation … 5 suspected to be false) — the reverse of 3x5x2, where the source is a
number and the information a letter. So ``B2`` in 5x5x5 and ``2B`` in 3x5x2 mean
different things, and a grade cannot be read without its scheme: an import row must
name it. Legacy grades are kept and shown as they were, read-only, never converted —
there is no faithful mapping (5x5x5 has five source grades, 3x5x2 three), and a
silent conversion would restate what an officer once assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from harmwatch.errors import InputError

SOURCE_EVALUATION = {"1": "reliable", "2": "untested", "3": "not reliable"}
INTELLIGENCE_ASSESSMENT = {
    "A": "known directly to the source",
    "B": "known indirectly to the source but corroborated",
    "C": "known indirectly to the source",
    "D": "not known",
    "E": "suspected to be false",
}
LEGACY_SOURCE = {
    "A": "always reliable",
    "B": "mostly reliable",
    "C": "sometimes reliable",
    "D": "unreliable",
    "E": "untested source",
}
LEGACY_INFORMATION = {
    "1": "known to be true without reservation",
    "2": "known personally to the source but not to the officer",
    "3": "not personally known to the source but corroborated",
    "4": "cannot be judged",
    "5": "suspected to be false",
}
LEGACY_HANDLING = {
    "1": "may be disseminated to other law enforcement and prosecuting agencies",
    "2": "may be disseminated to UK non-prosecuting parties",
    "3": "may be disseminated to non-EU law enforcement agencies",
    "4": "may be disseminated within the originating agency only",
    "5": "no further dissemination: refer to the originator",
}
NIM_LEVELS = {1: "local", 2: "cross-border", 3: "national"}


class Scheme(StrEnum):
    THREE_FIVE_TWO = "3x5x2"
    FIVE_FIVE_FIVE = "5x5x5"


@dataclass(frozen=True)
class Grade:
    scheme: Scheme
    source: str
    information: str
    handling: str  # 3x5x2: P or C; 5x5x5: 1-5

    @property
    def legacy(self) -> bool:
        return self.scheme is Scheme.FIVE_FIVE_FIVE

    def __str__(self) -> str:
        if self.legacy:
            return f"5x5x5 {self.source}{self.information}{self.handling}"
        return f"{self.source}{self.information} {self.handling}"

    def describe(self) -> str:
        if self.legacy:
            return (
                f"legacy 5x5x5 grade {self.source}{self.information}{self.handling} "
                f"(source {self.source}: {LEGACY_SOURCE[self.source]}; information "
                f"{self.information}: {LEGACY_INFORMATION[self.information]}; handling "
                f"{self.handling}: {LEGACY_HANDLING[self.handling]}) — kept as graded, "
                "not converted to 3x5x2"
            )
        handling = "lawful sharing permitted" + (" with conditions" if self.handling == "C" else "")
        return (
            f"source {self.source}: {SOURCE_EVALUATION[self.source]}; information "
            f"{self.information}: {INTELLIGENCE_ASSESSMENT[self.information]}; "
            f"handling {self.handling}: {handling}"
        )

    @property
    def weight(self) -> float:
        """How far a hop resting on this grade can be trusted, 0–1, for naming a path's weakest hop.

        Only an ordering: 1A is strongest, 3E weakest. Legacy grades are ordered on
        their own letters and numbers the same way (A1 strongest).
        """
        if self.legacy:
            s = "ABCDE".index(self.source)
            i = "12345".index(self.information)
            return 1 - (s / 4 * 0.5 + i / 4 * 0.5)
        s = "123".index(self.source)
        i = "ABCDE".index(self.information)
        return 1 - (s / 2 * 0.5 + i / 4 * 0.5)


def grade(
    scheme: str, source: str, information: str, handling: str, *, field_prefix: str = ""
) -> Grade:
    """A checked grade; :class:`InputError` naming the field and the values allowed."""
    try:
        chosen = Scheme(scheme.strip().lower())
    except ValueError:
        raise InputError(
            f"{field_prefix}scheme: {scheme!r} is not a grading scheme; say 3x5x2, or 5x5x5 "
            "for a legacy grade (the two read the other way round, so it must be named)"
        ) from None
    s, i, h = source.strip().upper(), information.strip().upper(), handling.strip().upper()
    if chosen is Scheme.THREE_FIVE_TWO:
        tables = (
            ("source_evaluation", s, SOURCE_EVALUATION),
            ("intelligence_assessment", i, INTELLIGENCE_ASSESSMENT),
            ("handling_code", h, {"P": "", "C": ""}),
        )
    else:
        tables = (
            ("source_evaluation", s, LEGACY_SOURCE),
            ("intelligence_assessment", i, LEGACY_INFORMATION),
            ("handling_code", h, LEGACY_HANDLING),
        )
    for name, value, allowed in tables:
        if value not in allowed:
            hint = ""
            if chosen is Scheme.THREE_FIVE_TWO and name != "handling_code":
                swapped = value in (
                    LEGACY_SOURCE if name == "source_evaluation" else LEGACY_INFORMATION
                )
                if swapped:
                    hint = " (that is a 5x5x5 value: is this a legacy grade?)"
            raise InputError(
                f"{field_prefix}{name}: {value!r} is not a {chosen} value; "
                f"allowed: {', '.join(allowed)}{hint}"
            )
    return Grade(chosen, s, i, h)


def nim_level(value: int | str, *, field_prefix: str = "") -> int:
    try:
        level = int(str(value).strip())
    except ValueError:
        level = 0
    if level not in NIM_LEVELS:
        raise InputError(
            f"{field_prefix}nim_level: {value!r}; allowed: 1 local, 2 cross-border, 3 national"
        )
    return level
