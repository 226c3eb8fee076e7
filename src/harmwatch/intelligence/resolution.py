"""Entity resolution: which records may be one person, phone, handset, vehicle or address.

It only suggests. Every :class:`Suggestion` names two records, a score in [0, 1]
and the evidence in words; an officer decides, and a merge is recorded and undone
elsewhere (:mod:`.entities`). Nothing here merges, writes or reads a database.

Rules
    *Identifiers.* Two records of one kind with the same normalised key
    (:mod:`.identifiers`: E.164 number, IMEI match key, VRM, address key) score
    1.0. Records are compared only within a kind. An address whose key is a bare
    postcode (no ``|`` and first line, see :func:`.identifiers.address_key`) is
    never suggested on it: a postcode covers about 15 addresses.

    *Persons.* Name similarity is the best, over every pair of the two records'
    names and aliases, of rapidfuzz's ``ratio`` on the normalised names as written
    (catches typos) and ``token_sort_ratio`` (catches ``Smith John`` for ``John
    Smith``), as a fraction. It is multiplied by a date-of-birth factor: same date
    :data:`DOB_SAME`, day and month swapped (``1999-03-02``/``1999-02-03``)
    :data:`DOB_SWAPPED`, either missing :data:`DOB_MISSING`. Two different dates
    that are not a swap end it: no suggestion, whatever the names (a limit: a
    mistyped date other than a swap hides a duplicate). Without a date of birth
    only near-identical names pass the threshold, and only when the undated
    record's names reach no other record at it (:data:`MISSING_DOB_REACH`): an
    undated John Smith next to three dated ones could be any of them, or none, so
    suggesting one would be a guess. This is what costs the ``missing-dob`` kind
    most of its recall on the synthetic sets, whose short name lists make shared
    names common.

    *Threshold.* :data:`DEFAULT_THRESHOLD` (0.80) and the date factors (swapped
    0.90, missing 0.85) were chosen on seed 1 of :func:`.synthetic_people.generate`
    at two sizes, 5,000 and 100,000 persons (10% planted duplicates), over
    thresholds 0.70–0.95 in steps of 0.01, swapped {0.90, 0.95} and missing
    {0.85, 0.90, 0.95}, by the worse F1 over persons of the two sizes. The best,
    0.813, was at 0.77; we took the highest threshold within 0.005 of it, since
    F1 cannot tell those apart and a higher one gives an officer fewer
    suggestions to read: 0.80, with F1 0.809 (P 0.89, R 0.74) at 5,000 and 0.815
    (P 0.92, R 0.73) at 100,000; the factors move it by under 0.005. Both sizes
    count because the best threshold rises with the number of records (same-date
    strangers with similar names grow with its square): 0.70 was best at 5,000
    alone (F1 0.823) and gives 0.740 at 100,000. Results on other seeds are in
    ``benchmarks/bench_entity_resolution.py`` and the floors of
    ``tests/intelligence/test_resolution.py`` (seed 7). The names there come from
    short lists, so same-name strangers are commoner than in life and precision
    is, if anything, pessimistic; nicknames (Bill for William) are unknown to the
    resolver, and found only when the rest of the name and the date agree.

Blocking (why it scales)
    Persons are compared only within blocks, never all pairs: (1) the same year of
    birth and the same day and month in either order, and a shared first letter of
    some name token (so a swapped date, swapped order or a typo in one token still
    meet); (2) where at least one of the two has no date of birth, the same
    American Soundex codes of two tokens of a name (any two, unordered, so order
    and middle names do not matter; one-token names by their one code). Pairs with
    two dates of birth are scored only from (1): different dates are never
    suggested, so comparing them would be wasted. Pairs found in several blocks are
    scored once. At 100,000 synthetic persons this compares 0.013% of all pairs
    (about 650,000); blocks grow with the set, so the pairs grow faster than it
    (0.1 s at 5,000 persons, about 11 s at 100,000 in the benchmark). A
    placeholder date shared by thousands (``1900-01-01``) makes its blocks large
    and slow, not wrong.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from rapidfuzz import fuzz

from harmwatch.errors import InputError

from .identifiers import name_tokens

#: Entity kinds resolution compares (OCGs and county lines are named, not identified).
KINDS: tuple[str, ...] = ("person", "phone", "handset", "vehicle", "address")

#: Suggestions scoring below this are not returned (chosen on seed 1; module docstring).
DEFAULT_THRESHOLD = 0.80
#: Date-of-birth factors on the name similarity (chosen with the threshold).
DOB_SAME = 1.0
DOB_SWAPPED = 0.90
DOB_MISSING = 0.85
#: A person without a date of birth is suggested only if its names reach at most this
#: many records (the one suggested, by default).
MISSING_DOB_REACH = 1

_KEY_EVIDENCE = {
    "phone": "same E.164 number {key}",
    "handset": "same IMEI match key {key} (first 14 digits)",
    "vehicle": "same VRM {key}",
    "address": "same postcode and first line {key}",
    "person": "same identifier {key}",
}


@dataclass(frozen=True)
class Candidate:
    """One record offered to resolution."""

    id: str  # the entity's ref, e.g. "person:3"
    kind: str  # one of KINDS
    names: tuple[str, ...] = ()  # persons only: the name, then aliases
    date_of_birth: date | None = None  # persons only
    key: str | None = None  # the normalised identifier (identifiers.py); None: none known
    label: str = ""


@dataclass(frozen=True)
class Suggestion:
    """Two records that may be one, with the score and the evidence for it in words."""

    a: str
    b: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class _Person:
    index: int
    names: tuple[str, ...]
    plain: tuple[str, ...]  # normalised tokens in written order, joined
    sorted_: tuple[str, ...]  # normalised tokens sorted, joined
    tokens: frozenset[str]
    dob: date | None


def soundex(token: str) -> str:
    """American Soundex (Russell and Odell; the US National Archives' rules) of one token.

    Non-letters are ignored; a token with no letters is its own code.
    """
    letters = [c for c in token.upper() if "A" <= c <= "Z"]
    if not letters:
        return token
    code = letters[0]
    prev = _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        digit = _SOUNDEX.get(c, "")
        if digit and digit != prev:
            code += digit
            if len(code) == 4:
                break
        # H and W do not separate two letters with one code; vowels do.
        if c not in "HW":
            prev = digit
    return code.ljust(4, "0")


_SOUNDEX = {
    letter: digit
    for digit, letters in {
        "1": "BFPV",
        "2": "CGJKQSXZ",
        "3": "DT",
        "4": "L",
        "5": "MN",
        "6": "R",
    }.items()
    for letter in letters
}


def _check(candidates: Sequence[Candidate]) -> None:
    seen: set[str] = set()
    for c in candidates:
        if c.id in seen:
            raise InputError(f"candidate {c.id!r} is given twice")
        seen.add(c.id)
        if c.kind not in KINDS:
            raise InputError(
                f"candidate {c.id!r}: kind {c.kind!r}; resolution compares {', '.join(KINDS)}"
            )
        if c.kind != "person" and (c.names or c.date_of_birth):
            raise InputError(f"candidate {c.id!r}: only persons have names and dates of birth")


def _persons(candidates: Sequence[Candidate]) -> list[_Person]:
    out = []
    for i, c in enumerate(candidates):
        if c.kind != "person":
            continue
        names, plain, sorted_, tokens = [], [], [], set()
        for name in c.names:
            try:
                toks = name_tokens(name)
            except InputError:
                continue  # a blank alias says nothing
            names.append(name)
            plain.append(" ".join(toks))
            sorted_.append(" ".join(sorted(toks)))
            tokens.update(toks)
        if names:
            out.append(
                _Person(
                    i,
                    tuple(names),
                    tuple(plain),
                    tuple(sorted_),
                    frozenset(tokens),
                    c.date_of_birth,
                )
            )
    return out


def _blocks(persons: Sequence[_Person]) -> Iterable[tuple[list[_Person], bool]]:
    """Each block's members, and whether only pairs with a missing date are wanted from it."""
    by_dob: dict[tuple[int, int, int, str], list[_Person]] = defaultdict(list)
    by_sound: dict[tuple[str, ...], list[_Person]] = defaultdict(list)
    for p in persons:
        if p.dob is not None:
            lo, hi = sorted((p.dob.day, p.dob.month))
            for initial in {t[0] for t in p.tokens}:
                by_dob[(p.dob.year, lo, hi, initial)].append(p)
        keys: set[tuple[str, ...]] = set()
        for plain in p.plain:
            codes = sorted({soundex(t) for t in plain.split()})
            if len(codes) == 1:
                keys.add((codes[0],))
            keys.update(combinations(codes, 2))
        for key in keys:
            by_sound[key].append(p)
    for members in by_dob.values():
        if len(members) > 1:
            yield members, False
    for members in by_sound.values():
        if len(members) > 1 and any(m.dob is None for m in members):
            yield members, True


def person_pairs(candidates: Sequence[Candidate]) -> set[tuple[int, int]]:
    """The pairs of persons (indexes into ``candidates``, lower first) blocking lets through."""
    _check(candidates)
    return _person_pairs(_persons(candidates))


def _person_pairs(persons: Sequence[_Person]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for members, missing_only in _blocks(persons):
        if missing_only:
            without = [m for m in members if m.dob is None]
            for a in without:
                for b in members:
                    if a.index != b.index and (b.dob is not None or a.index < b.index):
                        pairs.add((min(a.index, b.index), max(a.index, b.index)))
        else:
            for a, b in combinations(members, 2):
                pairs.add((min(a.index, b.index), max(a.index, b.index)))
    return pairs


def _dob_factor(a: _Person, b: _Person, ids: tuple[str, str]) -> tuple[float, str] | None:
    if a.dob is None or b.dob is None:
        if a.dob is None and b.dob is None:
            return DOB_MISSING, "no date of birth on either"
        return DOB_MISSING, f"no date of birth on {ids[0] if a.dob is None else ids[1]}"
    if a.dob == b.dob:
        return DOB_SAME, f"same date of birth {a.dob.isoformat()}"
    if a.dob.year == b.dob.year and (a.dob.day, a.dob.month) == (b.dob.month, b.dob.day):
        return (
            DOB_SWAPPED,
            f"dates of birth {a.dob.isoformat()} and {b.dob.isoformat()}: day and month swapped",
        )
    return None


def _name_similarity(a: _Person, b: _Person, cutoff: float) -> tuple[float, str] | None:
    best, evidence = 0.0, ""
    cut = cutoff * 100
    for name_a, plain_a, sorted_a in zip(a.names, a.plain, a.sorted_, strict=True):
        for name_b, plain_b, sorted_b in zip(b.names, b.plain, b.sorted_, strict=True):
            # ratio on sorted tokens is exactly rapidfuzz's token_sort_ratio, with our
            # normalisation (accents, punctuation) applied first.
            for score, scorer in (
                (fuzz.ratio(plain_a, plain_b, score_cutoff=cut), "ratio"),
                (fuzz.ratio(sorted_a, sorted_b, score_cutoff=cut), "token_sort_ratio"),
            ):
                if score / 100 > best:
                    best = score / 100
                    evidence = (
                        f"names {name_a!r} and {name_b!r} similarity {best:.2f} "
                        f"(rapidfuzz {scorer})"
                    )
    return (best, evidence) if best > 0 else None


def _score_person(
    a: _Person, b: _Person, ids: tuple[str, str], threshold: float
) -> tuple[Suggestion, bool] | None:
    """The pair's suggestion if it reaches the threshold, and whether a date was missing."""
    dob = _dob_factor(a, b, ids)
    if dob is None:
        return None
    factor, dob_evidence = dob
    names = _name_similarity(a, b, min(threshold / factor, 1.0))
    if names is None:
        return None
    similarity, name_evidence = names
    score = similarity * factor
    if score < threshold:
        return None
    found = Suggestion(ids[0], ids[1], round(score, 4), (name_evidence, dob_evidence))
    return found, a.dob is None or b.dob is None


def suggest(
    candidates: Sequence[Candidate], *, threshold: float = DEFAULT_THRESHOLD
) -> list[Suggestion]:
    """Pairs that may be one record, best first (then by ids); each pair once, never merged.

    ``a`` is the pair's record given first in ``candidates``. Raises
    :class:`InputError` for a repeated id, an unknown kind, names on a non-person, or
    a threshold outside (0, 1].
    """
    if not 0 < threshold <= 1:
        raise InputError(f"threshold: {threshold}; give a score in (0, 1]")
    _check(candidates)
    out: list[Suggestion] = []
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(candidates):
        if c.key and not (c.kind == "address" and "|" not in c.key):
            by_key[(c.kind, c.key)].append(i)
    keyed: set[tuple[int, int]] = set()
    for (kind, key), members in by_key.items():
        same = _KEY_EVIDENCE[kind].format(key=key)
        for i, j in combinations(members, 2):
            keyed.add((i, j))
            out.append(Suggestion(candidates[i].id, candidates[j].id, 1.0, (same,)))
    persons = _persons(candidates)
    by_index = {p.index: p for p in persons}
    undated: list[tuple[int, int, Suggestion]] = []
    reach: dict[int, int] = defaultdict(int)  # an undated person: how many records it reaches
    for i, j in sorted(_person_pairs(persons) - keyed):
        a, b = by_index[i], by_index[j]
        found = _score_person(a, b, (candidates[i].id, candidates[j].id), threshold)
        if found is None:
            continue
        suggestion, undated_pair = found
        if not undated_pair:
            out.append(suggestion)
            continue
        undated.append((i, j, suggestion))
        for p in (a, b):
            if p.dob is None:
                reach[p.index] += 1
    # Without a date, a name that reaches several records cannot say which one it is.
    for i, j, suggestion in undated:
        if all(reach[k] <= MISSING_DOB_REACH for k in (i, j) if by_index[k].dob is None):
            alone = (*suggestion.evidence, "no other record's names come as close")
            out.append(Suggestion(suggestion.a, suggestion.b, suggestion.score, alone))
    out.sort(key=lambda s: (-s.score, s.a, s.b))
    return out
