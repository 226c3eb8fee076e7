"""Identifiers and names in a report's free text, offered to the officer as possible entities.

:func:`find_mentions` reads text and returns :class:`Mention` values; it changes
nothing and links nothing. Each mention carries its normalised key
(:mod:`.identifiers`) and the ids of the known entities of that kind with the same
key (or, for a person, a name close enough): all of them in ``known_ids``, and the
one in ``known_id`` only when there is exactly one, since an officer shown one of
three John Smiths as *the* match would be misled.

What it finds, and its limits
    *Phones*: libphonenumber's ``PhoneNumberMatcher`` for the region at ``POSSIBLE``
    leniency (its ``VALID`` leniency drops Ofcom's drama numbers), then kept only if
    :func:`.identifiers.phone_number` accepts the match and it is written as
    numbers are (beginning ``+``, ``0`` or the country code, e.g. ``447…``), so
    references such as ``2024-000123`` are not read as numbers. Two numbers
    separated by nothing but a space are read by the matcher as fragments and
    missed; a comma or a word between them is enough.

    *IMEIs*: 15 digits, unbroken or grouped as ``AA-BBBBBB-CCCCCC-D`` or
    ``AABBBBBB CCCCCCD``, with a correct Luhn check digit, anywhere; 14 digits
    (no check digit) and 16 (IMEISV) only right after the word IMEI or IMEISV
    (``IMEI: …``, ``IMEISV no. …``), since bare 14 and 16-digit runs are as often
    account or card numbers. A 15-digit run failing the Luhn check is not offered.

    *Vehicles*: current-format marks only (``AB12 CDE`` or ``AB12CDE``, capitals,
    whole words), checked by :func:`.identifiers.vrm`. Older formats are not
    searched for: ``A1``, ``M25`` and ``B1234`` are as often roads.

    *Postcodes*: upper-case UK postcodes as whole words, checked by
    :func:`.identifiers.postcode`. Known to an address only when the address's key
    is that postcode exactly.

    *Names*: runs of capitalised words (``John Smith``, ``John SMITH``). A run, or
    part of one, of up to four words whose :func:`.identifiers.name_key` is a known
    person's name or alias is offered with that person's id; two to four words
    within :data:`NAME_SIMILARITY` (rapidfuzz ``token_sort_ratio``) of a known
    name likewise, with the similarity. Otherwise a run is offered as an unknown
    person only if, once titles and common capitalised words (:data:`NOT_NAMES`:
    days, months, ranks, sentence openers, street words) are trimmed from its
    ends, two or three words remain and they are not a GB place name in GeoNames
    (via :mod:`harmwatch.spatial.places`). So it misses names in lower case, a
    lone surname, and a single-word nickname nobody has recorded; and it offers
    some non-names (a pub, a shop, a place GeoNames lacks, or a sentence-opening
    word it does not list, as in ``Yesterday John Smith``). One-word known names
    are matched only exactly and only when capitalised in the text.

Overlaps are settled in this order: IMEI, phone, vehicle, postcode, known name,
unknown name; the earlier kind keeps the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from rapidfuzz import fuzz, process

from harmwatch.errors import InputError

from . import identifiers
from .resolution import Candidate

#: How close (rapidfuzz token_sort_ratio, as a fraction) text must be to a known name.
NAME_SIMILARITY = 0.90

#: Capitalised words that are not names, trimmed from the ends of a run of them.
NOT_NAMES: frozenset[str] = frozenset(
    {
        "a", "an", "the", "he", "she", "they", "we", "i", "it", "its", "his", "her", "their", "our",
        "my", "your", "this", "that", "these", "those", "there", "here", "then", "when", "while",
        "after", "before", "during", "since", "until", "on", "in", "at", "from", "to", "with", "by",
        "for", "of", "and", "but", "or", "nor", "so", "yet", "if", "also", "however", "although",
        "though", "because", "as", "later", "earlier", "today", "yesterday", "tonight", "tomorrow",
        "recently", "subject", "source", "suspect", "victim", "witness", "nominal", "male",
        "female", "officer", "officers", "police", "intelligence", "report", "information", "mr",
        "mrs", "ms", "miss", "mx", "dr", "sir", "pc", "dc", "ps", "ds", "di", "dci", "sgt", "insp",
        "supt", "pcso", "det", "ocg", "urn", "pnc", "dob", "imei", "imeisv", "vrm", "anpr", "cctv",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "street", "road", "lane", "avenue", "close", "drive", "crescent",
        "gardens", "terrace", "estate", "way", "place", "square", "park", "station", "centre",
        "school", "hospital", "prison", "court", "flat", "flats", "house", "st", "rd", "ave",
    }
)  # fmt: skip

_KNOWN_KIND = {
    "phone": "phone",
    "handset": "handset",
    "vehicle": "vehicle",
    "postcode": "address",
}
_PRIORITY = {"handset": 0, "phone": 1, "vehicle": 2, "postcode": 3}

_IMEI = re.compile(
    r"(?<![\w-])(?:\d{14,16}|\d{2}[ -]\d{6}[ -]\d{6}(?:[ -]\d{1,2})?|\d{8} \d{6,8})(?![\w-])"
)
_IMEI_LABEL = re.compile(r"\bIMEI(?:SV)?\b[\s:#.]*(?:no\.?|number)?[\s:#.]*$", re.IGNORECASE)
_VRM = re.compile(r"\b[A-Z]{2}[0-9]{2} ?[A-Z]{3}\b")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\b")
# A word of letters (O'Brien and Smith-Jones are one word), not touching a digit.
_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?:['’-][^\W\d_]+)*(?![\w-])")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# Only spaces (not a line break, comma or full stop) join two words into one name.
_JOIN = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Mention:
    """Something in the text that may be an entity; ``text`` is ``report[start:end]``."""

    kind: str  # "phone", "handset", "vehicle", "postcode" or "person"
    text: str
    start: int
    end: int
    key: str  # normalised (identifiers.py); a person's name_key
    known_ids: tuple[str, ...] = ()  # every known entity it matches, in the order given
    similarity: float | None = None  # a fuzzy name match's token_sort_ratio, as a fraction

    @property
    def known_id(self) -> str | None:
        """The known entity it matches, if exactly one does."""
        return self.known_ids[0] if len(self.known_ids) == 1 else None


class _Known:
    def __init__(self, known: Sequence[Candidate]) -> None:
        # Values are dicts used as ordered sets: ids in the order given, each once.
        keys: dict[tuple[str, str], dict[str, None]] = {}
        names: dict[str, dict[str, None]] = {}
        for c in known:
            if c.key:
                keys.setdefault((c.kind, c.key), {})[c.id] = None
            if c.kind == "person":
                for name in c.names:
                    try:
                        names.setdefault(identifiers.name_key(name), {})[c.id] = None
                    except InputError:
                        continue
        self.keys = {k: tuple(v) for k, v in keys.items()}
        self.names = {k: tuple(v) for k, v in names.items()}
        self.name_list = list(self.names)

    def identifier(self, kind: str, key: str) -> tuple[str, ...]:
        return self.keys.get((_KNOWN_KIND[kind], key), ())


def find_mentions(
    text: str,
    known: Sequence[Candidate] = (),
    *,
    region: str = "GB",
    allow_synthetic: bool = False,
) -> list[Mention]:
    """Every mention in ``text``, in order of position; see the module docstring for the rules.

    ``known`` are the entities to recognise (:class:`~.resolution.Candidate`, with
    normalised keys and, for persons, names and aliases). ``allow_synthetic``
    passes to :func:`.identifiers.phone_number`.
    """
    index = _Known(known)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    identifier_mentions = sorted(
        [
            *_imeis(text),
            *_phones(text, region, allow_synthetic),
            *_shaped(text, _VRM, "vehicle", identifiers.vrm),
            *_shaped(text, _POSTCODE, "postcode", identifiers.postcode),
        ],
        key=lambda m: (_PRIORITY[m.kind], m.start),
    )
    for m in identifier_mentions:
        if free(m.start, m.end):
            found.append(
                Mention(m.kind, m.text, m.start, m.end, m.key, index.identifier(m.kind, m.key))
            )
            taken.append((m.start, m.end))
    for m in _names(text, index):
        if free(m.start, m.end):
            found.append(m)
            taken.append((m.start, m.end))
    found.sort(key=lambda m: (m.start, m.end))
    return found


def _imeis(text: str) -> Iterator[Mention]:
    for match in _IMEI.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        labelled = _IMEI_LABEL.search(text, 0, match.start()) is not None
        if len(digits) != 15 and not labelled:
            continue
        try:
            parsed = identifiers.imei(raw)
        except InputError:
            continue
        yield Mention("handset", raw, match.start(), match.end(), parsed.match_key)


def _phones(text: str, region: str, allow_synthetic: bool) -> Iterator[Mention]:
    code = str(phonenumbers.country_code_for_region(region.upper()))
    for match in PhoneNumberMatcher(text, region.upper(), leniency=Leniency.POSSIBLE):
        raw = match.raw_string
        if not raw.lstrip("(").startswith(("+", "0", code)):
            continue
        try:
            key = identifiers.phone_number(raw, region, allow_synthetic=allow_synthetic)
        except InputError:
            continue
        yield Mention("phone", raw, match.start, match.end, key)


def _shaped(
    text: str, pattern: re.Pattern[str], kind: str, normalise: Callable[[str], str]
) -> Iterator[Mention]:
    for match in pattern.finditer(text):
        try:
            key = normalise(match.group())
        except InputError:
            continue
        yield Mention(kind, match.group(), match.start(), match.end(), key)


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str


def _runs(text: str) -> Iterator[list[_Word]]:
    """Maximal runs of capitalised words joined only by spaces ("John Smith's" ends at Smith)."""
    run: list[_Word] = []
    for match in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", match.group())
        w = _Word(match.start(), match.start() + len(word), word)
        joined = bool(run) and _JOIN.fullmatch(text, run[-1].end, w.start) is not None
        if not word[0].isupper():
            if run:
                yield run
            run = []
            continue
        if run and not joined:
            yield run
            run = []
        run.append(w)
        if len(word) != len(match.group()):  # a possessive ends the name
            yield run
            run = []
    if run:
        yield run


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    from harmwatch.spatial.places import places

    return frozenset(identifiers.name_key(p.name) for p in places() if " " in p.name.strip())


def _names(text: str, index: _Known) -> list[Mention]:
    runs = list(_runs(text))
    spans: list[tuple[int, int, str]] = []  # (start, end, key) of every sub-span up to 4 words
    for run in runs:
        for i in range(len(run)):
            for j in range(i + 1, min(i + 4, len(run)) + 1):
                start, end = run[i].start, run[j - 1].end
                spans.append((start, end, identifiers.name_key(text[start:end])))
    known: list[Mention] = []
    fuzzy: list[tuple[int, int, str]] = []
    for start, end, key in spans:
        if key in index.names:
            known.append(Mention("person", text[start:end], start, end, key, index.names[key], 1.0))
        elif " " in key:
            fuzzy.append((start, end, key))
    cut = NAME_SIMILARITY * 100
    # In batches, so a long report against 200,000 names holds tens of MB, not GB.
    for b in range(0, len(fuzzy) if index.name_list else 0, 64):
        batch = fuzzy[b : b + 64]
        scores = process.cdist(
            [k for _, _, k in batch],
            index.name_list,
            scorer=fuzz.ratio,
            score_cutoff=cut,
            workers=-1,
        )
        for (start, end, key), row in zip(batch, scores, strict=True):
            best = int(np.argmax(row))
            if row[best] >= cut:
                similarity = round(float(row[best]) / 100, 4)
                owner = index.names[index.name_list[best]]
                known.append(Mention("person", text[start:end], start, end, key, owner, similarity))
    # Exact before fuzzy, then the longest, so "John Smith" beats "John" and "Jon Smith".
    known.sort(key=lambda m: (-(m.similarity or 0), -(m.end - m.start), m.start))
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in known:
        if all(m.end <= s or m.start >= e for s, e in taken):
            out.append(m)
            taken.append((m.start, m.end))
    places = _place_names()
    for run in runs:
        words = list(run)
        while words and words[0].text.casefold() in NOT_NAMES:
            words.pop(0)
        while words and words[-1].text.casefold() in NOT_NAMES:
            words.pop()
        if not 2 <= len(words) <= 3 or any(w.text.casefold() in NOT_NAMES for w in words):
            continue
        start, end = words[0].start, words[-1].end
        key = identifiers.name_key(text[start:end])
        if key in places or not all(end <= s or start >= e for s, e in taken):
            continue
        out.append(Mention("person", text[start:end], start, end, key))
        taken.append((start, end))
    return out
