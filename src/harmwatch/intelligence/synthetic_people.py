"""SYNTHETIC persons, phones, handsets and vehicles with planted duplicates, for testing resolution.

Everything here is made up, and labelled so (every label begins ``synthetic``).
Names are drawn from short embedded lists of common UK given names and surnames
(weighted so the first in each list are the commonest, as in life); the
combinations, dates of birth, aliases and identifiers are random, so any
resemblance to a real person is chance. Phones come from Ofcom's drama range,
07700 900000–900999, while a set needs no more than 1,000 distinct numbers, and
otherwise from 07700 9xxxxx, a block libphonenumber's metadata shows unallocated
(accepted by :func:`.identifiers.phone_number` only with ``allow_synthetic=True``).
IMEIs are random digits with a correct Luhn check digit; VRMs random current-format
marks obeying DVLA's letter rules. A real handset or vehicle may share one by
chance, as with any random identifier.

Planting
    ``n_persons`` records of which ``duplicate_rate`` are second records of an
    earlier person, each with one change, drawn evenly among the kinds that can
    apply to that person (:data:`PERSON_KINDS`):

    - ``typo``: one character edit (substitute, delete, insert, swap neighbours) in
      one name token;
    - ``swapped-order``: ``SMITH, John`` or ``Smith John`` for ``John Smith``;
    - ``nickname``: a nickname for the given name (Bill for William), recorded
      nowhere else;
    - ``alias``: the person's recorded alias as the second record's name;
    - ``missing-dob``: the date of birth left out;
    - ``dob-swap``: day and month swapped (dates with both at most 12 and unequal).

    Phones, handsets and vehicles get ``duplicate_rate`` second records of one
    identifier written another way: ``07…``, ``+44 7…``, ``447…``, ``0044…``,
    brackets and dashes (``phone-format``); 15-digit, 14-digit and IMEISV forms
    (``imei-form``); ``AB12CDE``, ``AB12 CDE``, ``ab12 cde`` (``vrm-spacing``).
    Besides the planted duplicates, 5% of persons have no date of birth and 10%
    an alias, so the distractors include same-name strangers without dates.

Every draw comes from one :class:`random.Random` seeded with ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from harmwatch.errors import InputError

from . import identifiers
from .resolution import Candidate

#: Common UK given names, commonest first (rough order; the weights are ours).
FIRST_NAMES: tuple[str, ...] = (
    "James", "John", "David", "Michael", "Daniel", "Thomas", "Christopher", "Matthew",
    "William", "Robert", "Joseph", "Andrew", "Richard", "Anthony", "Mark", "Paul",
    "Steven", "Ryan", "Jack", "Samuel", "Benjamin", "Joshua", "Liam", "Connor",
    "Jordan", "Callum", "Lewis", "Kieran", "Nathan", "Jamie", "Aaron", "Dean",
    "Sarah", "Emma", "Laura", "Rebecca", "Jessica", "Hannah", "Sophie", "Charlotte",
    "Amy", "Lauren", "Emily", "Katie", "Chloe", "Gemma", "Nicola", "Rachel",
    "Elizabeth", "Victoria", "Jennifer", "Samantha", "Natalie", "Danielle", "Kelly",
    "Stacey", "Megan", "Jade", "Amber", "Leanne",
)  # fmt: skip
#: Common UK surnames, commonest first.
SURNAMES: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White",
    "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel",
    "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris",
    "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett",
    "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey",
    "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan",
    "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
)  # fmt: skip
#: Nicknames for some given names (the generator's only; the resolver does not know them).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "James": ("Jim", "Jimmy", "Jamie"), "John": ("Johnny", "Jack"),
    "David": ("Dave", "Davy"), "Michael": ("Mike", "Mikey", "Mick"),
    "Daniel": ("Dan", "Danny"), "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",), "Matthew": ("Matt",), "William": ("Bill", "Billy", "Will"),
    "Robert": ("Rob", "Bob", "Bobby"), "Joseph": ("Joe", "Joey"),
    "Andrew": ("Andy", "Drew"), "Richard": ("Rich", "Dick", "Ricky"),
    "Anthony": ("Tony", "Ant"), "Steven": ("Steve", "Stevie"), "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"), "Joshua": ("Josh",), "Nathan": ("Nate",),
    "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess",), "Sophie": ("Soph",),
    "Charlotte": ("Charlie", "Lottie"), "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Victoria": ("Vicky", "Tori"), "Jennifer": ("Jen", "Jenny"), "Samantha": ("Sam",),
    "Natalie": ("Nat",), "Danielle": ("Dani",), "Megan": ("Meg",), "Nicola": ("Nicky",),
}  # fmt: skip
#: One-word street names for aliases (made up for this file).
MONIKERS: tuple[str, ...] = (
    "Tiny", "Ghost", "Blade", "Spider", "Nitro", "Smokey", "Chopper", "Razor", "Bones",
    "Diesel", "Flash", "Gizmo", "Moose", "Pepper", "Rocket", "Shadow", "Sparky", "Tank",
)  # fmt: skip

PERSON_KINDS: tuple[str, ...] = (
    "typo", "swapped-order", "nickname", "alias", "missing-dob", "dob-swap",
)  # fmt: skip
OTHER_KINDS: dict[str, str] = {
    "phone": "phone-format",
    "handset": "imei-form",
    "vehicle": "vrm-spacing",
}

_DOB_FIRST = date(1960, 1, 1)
_DOB_DAYS = (date(2008, 12, 31) - _DOB_FIRST).days
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# DVLA's current-format letter rules (identifiers.vrm).
_TAG_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
_RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"


@dataclass(frozen=True)
class SyntheticSet:
    """Synthetic records and the truth about them."""

    candidates: tuple[Candidate, ...]
    #: Every true duplicate pair, ids in :func:`pair` order.
    duplicates: frozenset[tuple[str, str]]
    #: What was changed to make each true pair's second record.
    kind_of: dict[tuple[str, str], str]
    seed: int


def pair(a: str, b: str) -> tuple[str, str]:
    """A pair of ids in one order, so a suggestion and a planted pair compare equal."""
    return (a, b) if a <= b else (b, a)


def _weighted(rng: random.Random, names: tuple[str, ...]) -> Callable[[], str]:
    # Zipf-like: the commonest name is about 5x the rarest in a list of 60-80.
    weights = [1 / (rank + 15) for rank in range(len(names))]
    cum = list(_accumulate(weights))

    def draw() -> str:
        return rng.choices(names, cum_weights=cum)[0]

    return draw


def _accumulate(xs: list[float]) -> list[float]:
    total, out = 0.0, []
    for x in xs:
        total += x
        out.append(total)
    return out


def _typo(rng: random.Random, name: str) -> str:
    """The name with one character edit in one token (never a no-op, such as swapping "ll")."""
    tokens = name.split()
    t = rng.randrange(len(tokens))
    word = tokens[t]
    edited = word
    while edited.casefold() == word.casefold():
        i = rng.randrange(len(word))
        edit = rng.choice(
            ("substitute", "delete", "insert", "transpose")
            if len(word) > 3
            else ("substitute", "insert")
        )
        if edit == "substitute":
            letter = rng.choice([c for c in _LETTERS if c != word[i].lower()])
            edited = word[:i] + letter + word[i + 1 :]
        elif edit == "delete":
            edited = word[:i] + word[i + 1 :]
        elif edit == "insert":
            edited = word[: i + 1] + rng.choice(_LETTERS) + word[i + 1 :]
        else:
            i = min(i, len(word) - 2)
            edited = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    tokens[t] = edited[0].upper() + edited[1:].lower()
    return " ".join(tokens)


def _phone_text(rng: random.Random, e164: str, avoid: str = "") -> str:
    nsn = e164[3:]  # 10 digits after +44
    forms = [
        f"0{nsn[:4]} {nsn[4:]}",
        f"0{nsn}",
        f"+44 {nsn[:4]} {nsn[4:]}",
        f"+44{nsn}",
        f"44{nsn}",
        f"(0{nsn[:4]}) {nsn[4:7]}-{nsn[7:]}",
        f"0044 {nsn[:4]} {nsn[4:7]} {nsn[7:]}",
    ]
    return rng.choice([f for f in forms if f != avoid])


def _imei_text(rng: random.Random, first14: str, avoid: str = "") -> str:
    full = first14 + identifiers.luhn_check_digit(first14)
    forms = [
        full,
        f"{full[:2]}-{full[2:8]}-{full[8:14]}-{full[14]}",
        first14,
        first14 + f"{rng.randrange(100):02d}",
        f"{full[:8]} {full[8:]}",
    ]
    return rng.choice([f for f in forms if f != avoid])


def _vrm_text(rng: random.Random, key: str, avoid: str = "") -> str:
    forms = [key, f"{key[:4]} {key[4:]}", f"{key[:4]} {key[4:]}".lower(), key.lower()]
    return rng.choice([f for f in forms if f != avoid])


def generate(
    n_persons: int = 5_000,
    *,
    seed: int,
    duplicate_rate: float = 0.10,
    phones_per_person: float = 0.5,
    handsets_per_person: float = 0.25,
    vehicles_per_person: float = 0.25,
) -> SyntheticSet:
    """A seeded synthetic set: persons, phones, handsets and vehicles with planted duplicates."""
    if n_persons < 2:
        raise InputError(f"n_persons: {n_persons}; give at least 2")
    if not 0 <= duplicate_rate <= 0.5:
        raise InputError(f"duplicate_rate: {duplicate_rate}; give a fraction in [0, 0.5]")
    rng = random.Random(seed)
    first, surname = _weighted(rng, FIRST_NAMES), _weighted(rng, SURNAMES)
    records: list[tuple[Candidate, int | None, str]] = []  # (record, original's slot, kind)

    n_dup = round(n_persons * duplicate_rate)
    originals: list[Candidate] = []
    for _ in range(n_persons - n_dup):
        given, family = first(), surname()
        dob = (
            None
            if rng.random() < 0.05
            else _DOB_FIRST + timedelta(days=rng.randrange(_DOB_DAYS + 1))
        )
        names: tuple[str, ...] = (f"{given} {family}",)
        if rng.random() < 0.10:
            names += (_alias(rng, given, family),)
        originals.append(Candidate("", "person", names, dob, None, "synthetic person"))
    records.extend((c, None, "") for c in originals)
    for slot in rng.sample(range(len(originals)), n_dup):
        original = originals[slot]
        kind, dup, original = _person_duplicate(rng, original)
        originals[slot] = original
        records.append((dup, slot, kind))
    records[: len(originals)] = [(c, None, "") for c in originals]

    others: list[tuple[str, list[tuple[str, str]], int]] = []
    n_phone = round(n_persons * phones_per_person)
    distinct = n_phone - round(n_phone * duplicate_rate)
    span = 1_000 if distinct <= 1_000 else 100_000
    if distinct > span:
        raise InputError(f"{distinct} distinct synthetic phones asked for; the block holds {span}")
    phones = [f"+4477009{n:05d}" for n in rng.sample(range(span), distinct)]
    others.append(("phone", [(p, _phone_text(rng, p)) for p in phones], n_phone))
    n_handset = round(n_persons * handsets_per_person)
    handsets = _distinct(
        rng, n_handset - round(n_handset * duplicate_rate), lambda: _digits(rng, 14)
    )
    others.append(("handset", [(h, _imei_text(rng, h)) for h in handsets], n_handset))
    n_vehicle = round(n_persons * vehicles_per_person)
    vehicles = _distinct(rng, n_vehicle - round(n_vehicle * duplicate_rate), lambda: _mark(rng))
    others.append(("vehicle", [(v, _vrm_text(rng, v)) for v in vehicles], n_vehicle))

    # Persons first, then each other kind; within a kind the order is shuffled, so a
    # duplicate is not always the later record.
    out: list[Candidate] = []
    truth: dict[tuple[str, str], str] = {}
    order = list(range(len(records)))
    rng.shuffle(order)
    ids = {slot: f"person:{k + 1}" for k, slot in enumerate(order)}
    for slot in order:
        record, original_slot, kind = records[slot]
        out.append(_with_id(record, ids[slot]))
        if original_slot is not None:
            truth[pair(ids[original_slot], ids[slot])] = kind
    for kind_name, values, total in others:
        out.extend(_other_records(rng, kind_name, values, total, truth))
    return SyntheticSet(tuple(out), frozenset(truth), truth, seed)


def _with_id(c: Candidate, id_: str) -> Candidate:
    return Candidate(id_, c.kind, c.names, c.date_of_birth, c.key, c.label)


def _digits(rng: random.Random, k: int) -> str:
    return "".join(rng.choices("0123456789", k=k))


def _mark(rng: random.Random) -> str:
    tag = "".join(rng.choices(_TAG_LETTERS, k=2))
    return f"{tag}{rng.randrange(2, 100):02d}" + "".join(rng.choices(_RANDOM_LETTERS, k=3))


def _distinct(rng: random.Random, want: int, draw: Callable[[], str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < want:
        v = draw()
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _alias(rng: random.Random, given: str, family: str) -> str:
    if given in NICKNAMES and rng.random() < 0.5:
        return f"{rng.choice(NICKNAMES[given])} {family}"
    return rng.choice(MONIKERS)


def _person_duplicate(rng: random.Random, c: Candidate) -> tuple[str, Candidate, Candidate]:
    """(kind, the second record, the original, given an alias if the kind needed one)."""
    name = c.names[0]
    given, family = name.split(" ", 1)
    dob = c.date_of_birth
    kinds = ["typo", "swapped-order", "alias"]
    if given in NICKNAMES:
        kinds.append("nickname")
    if dob is not None:
        kinds.append("missing-dob")
        if dob.day <= 12 and dob.day != dob.month:
            kinds.append("dob-swap")
    kind = rng.choice(kinds)
    # The same label as every other record: nothing but the truth table says which is planted.
    label = "synthetic person"
    if kind == "typo":
        return kind, Candidate("", "person", (_typo(rng, name),), dob, None, label), c
    if kind == "swapped-order":
        written = f"{family.upper()}, {given}" if rng.random() < 0.5 else f"{family} {given}"
        return kind, Candidate("", "person", (written,), dob, None, label), c
    if kind == "nickname":
        written = f"{rng.choice(NICKNAMES[given])} {family}"
        return kind, Candidate("", "person", (written,), dob, None, label), c
    if kind == "alias":
        if len(c.names) == 1:
            c = Candidate(c.id, c.kind, (*c.names, _alias(rng, given, family)), dob, c.key, c.label)
        return kind, Candidate("", "person", (c.names[1],), dob, None, label), c
    if kind == "missing-dob":
        return kind, Candidate("", "person", (name,), None, None, label), c
    assert dob is not None
    swapped = date(dob.year, dob.day, dob.month)
    return kind, Candidate("", "person", (name,), swapped, None, label), c


def _other_records(
    rng: random.Random,
    kind: str,
    values: list[tuple[str, str]],
    total: int,
    truth: dict[tuple[str, str], str],
) -> list[Candidate]:
    rows: list[tuple[str, str, int | None]] = [(v, text, None) for v, text in values]
    for slot in rng.sample(range(len(values)), total - len(values)):
        value, text = values[slot]
        if kind == "phone":
            other = _phone_text(rng, value, avoid=text)
        elif kind == "handset":
            other = _imei_text(rng, value, avoid=text)
        else:
            other = _vrm_text(rng, value, avoid=text)
        rows.append((value, other, slot))
    order = list(range(len(rows)))
    rng.shuffle(order)
    ids = {slot: f"{kind}:{k + 1}" for k, slot in enumerate(order)}
    out = []
    for slot in order:
        _, text, original = rows[slot]
        out.append(
            Candidate(ids[slot], kind, (), None, _key(kind, text), f"synthetic {kind} {text}")
        )
        if original is not None:
            truth[pair(ids[original], ids[slot])] = OTHER_KINDS[kind]
    return out


def _key(kind: str, text: str) -> str:
    if kind == "phone":
        return identifiers.phone_number(text, allow_synthetic=True)
    if kind == "handset":
        return identifiers.imei(text).match_key
    return identifiers.vrm(text)
