"""Entity resolution: suggestions only, with their evidence; planted duplicates found on a seed
the threshold was not chosen on.

The floors in the seeded test are set below the worst of seeds 2-6 in
``benchmarks/bench_entity_resolution.py`` (seed 1 chose the threshold), and checked on seed 7,
which neither the tuning nor the benchmark used. Seed 7 measured, when the floors were set:
persons precision 0.878, recall 0.806; typo 0.908, swapped order 0.960, nickname 0.769, alias
0.876, missing date 0.371, day/month swap 1.000; phones, handsets and vehicles 1.000.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from harmwatch.errors import InputError
from harmwatch.intelligence import synthetic_people
from harmwatch.intelligence.identifiers import address_key, imei, phone_number, vrm
from harmwatch.intelligence.resolution import (
    DEFAULT_THRESHOLD,
    Candidate,
    person_pairs,
    soundex,
    suggest,
)
from harmwatch.intelligence.synthetic_people import pair


def person(id_: str, *names: str, dob: date | None = None) -> Candidate:
    return Candidate(f"person:{id_}", "person", names, dob)


# -- identifiers ---------------------------------------------------------------------------


def test_phones_written_three_ways_are_suggested_with_score_1() -> None:
    phones = [
        Candidate(f"phone:{i}", "phone", key=phone_number(text))
        for i, text in enumerate(["07700 900123", "+447700900123", "447700900123", "07700 900124"])
    ]
    found = suggest(phones)
    assert {(s.a, s.b) for s in found} == {
        ("phone:0", "phone:1"),
        ("phone:0", "phone:2"),
        ("phone:1", "phone:2"),
    }
    assert all(s.score == 1.0 for s in found)
    assert found[0].evidence == ("same E.164 number +447700900123",)


def test_handsets_vehicles_and_addresses_match_on_their_keys() -> None:
    records = [
        Candidate("handset:1", "handset", key=imei("490154203237518").match_key),
        Candidate("handset:2", "handset", key=imei("4901542032375101").match_key),
        Candidate("vehicle:1", "vehicle", key=vrm("AB12CDE")),
        Candidate("vehicle:2", "vehicle", key=vrm("ab12 cde")),
        Candidate("address:1", "address", key=address_key("AL1 3AB", "10 High St")),
        Candidate("address:2", "address", key=address_key("al13ab", "10 High Street")),
    ]
    evidence = {(s.a, s.b): s.evidence for s in suggest(records)}
    assert evidence == {
        ("handset:1", "handset:2"): ("same IMEI match key 49015420323751 (first 14 digits)",),
        ("vehicle:1", "vehicle:2"): ("same VRM AB12CDE",),
        ("address:1", "address:2"): ("same postcode and first line AL1 3AB|10 high street",),
    }


def test_a_bare_postcode_is_not_an_address_and_kinds_never_cross() -> None:
    records = [
        Candidate("address:1", "address", key="AL1 3AB"),
        Candidate("address:2", "address", key="AL1 3AB"),
        Candidate("phone:1", "phone", key="X"),
        Candidate("vehicle:1", "vehicle", key="X"),
    ]
    assert suggest(records) == []


# -- persons -------------------------------------------------------------------------------


def test_a_typo_with_the_same_date_of_birth_names_both_pieces_of_evidence() -> None:
    dob = date(1999, 3, 2)
    (found,) = suggest([person("1", "John Smith", dob=dob), person("2", "Jon Smith", dob=dob)])
    assert (found.a, found.b) == ("person:1", "person:2")
    assert found.score == pytest.approx(0.9474, abs=1e-4)
    assert found.evidence == (
        "names 'John Smith' and 'Jon Smith' similarity 0.95 (rapidfuzz ratio)",
        "same date of birth 1999-03-02",
    )


def test_swapped_order_is_caught_by_token_sort_ratio() -> None:
    dob = date(1990, 7, 15)
    (found,) = suggest([person("1", "SMITH, John", dob=dob), person("2", "John Smith", dob=dob)])
    assert found.score == 1.0
    assert "(rapidfuzz token_sort_ratio)" in found.evidence[0]


def test_a_day_month_swap_is_weaker_evidence_than_the_same_date() -> None:
    (found,) = suggest(
        [
            person("1", "Kerry Watson", dob=date(1999, 3, 2)),
            person("2", "Kerry Watson", dob=date(1999, 2, 3)),
        ]
    )
    assert found.score == pytest.approx(0.90)
    assert found.evidence[1] == "dates of birth 1999-03-02 and 1999-02-03: day and month swapped"


def test_two_different_dates_of_birth_are_never_suggested() -> None:
    records = [
        person("1", "Kerry Watson", dob=date(1999, 3, 2)),
        person("2", "Kerry Watson", dob=date(1999, 3, 12)),
    ]
    assert suggest(records, threshold=0.01) == []
    assert person_pairs(records) == set()  # nor even compared


def test_an_alias_matches_a_name() -> None:
    dob = date(1985, 11, 30)
    (found,) = suggest(
        [person("1", "William Jones", "Tiny", dob=dob), person("2", "Tiny", dob=dob)]
    )
    assert found.score == 1.0
    assert found.evidence[0] == "names 'Tiny' and 'Tiny' similarity 1.00 (rapidfuzz ratio)"


def test_without_a_date_only_a_name_that_points_at_one_record_is_suggested() -> None:
    lone = [person("1", "Kerry Watson", dob=date(1999, 3, 2)), person("2", "Kerry Watson")]
    (found,) = suggest(lone)
    assert found.score == pytest.approx(0.85)
    assert found.evidence[1:] == (
        "no date of birth on person:2",
        "no other record's names come as close",
    )
    # A third Kerry Watson: the undated record could be either, so neither is offered.
    crowded = [*lone, person("3", "Kerry Watson", dob=date(1971, 6, 9))]
    assert suggest(crowded) == []


def test_a_pair_met_in_several_blocks_is_suggested_once() -> None:
    dob = date(2001, 1, 5)
    records = [
        person("1", "John Smith", "Johnny Smith", dob=dob),
        person("2", "Smith John", "John Smith", dob=dob),
    ]
    assert len(suggest(records)) == 1


def test_suggestions_come_best_first() -> None:
    dob = date(1980, 5, 5)
    records = [
        person("1", "John Smith", dob=dob),
        person("2", "Jon Smith", dob=dob),
        person("3", "John Smith", dob=dob),
        Candidate("phone:1", "phone", key="+447700900001"),
        Candidate("phone:2", "phone", key="+447700900001"),
    ]
    scores = [s.score for s in suggest(records)]
    assert scores == sorted(scores, reverse=True)
    assert scores[:2] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([person("1", "A B"), person("1", "C D")], "given twice"),
        ([Candidate("ocg:1", "ocg")], "kind 'ocg'"),
        ([Candidate("phone:1", "phone", ("John",))], "only persons have names"),
    ],
)
def test_bad_candidates_are_refused(records: list[Candidate], reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        suggest(records)


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_a_threshold_outside_0_1_is_refused(threshold: float) -> None:
    with pytest.raises(InputError, match="threshold"):
        suggest([], threshold=threshold)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Robert", "R163"),
        ("Rupert", "R163"),
        ("Ashcraft", "A261"),
        ("Tymczak", "T522"),
        ("Pfister", "P236"),
        ("Honeyman", "H555"),
        ("Lee", "L000"),
    ],
)
def test_soundex_follows_the_national_archives_rules(name: str, code: str) -> None:
    assert soundex(name) == code


# -- the synthetic generator ---------------------------------------------------------------


def test_the_generator_is_seeded_labelled_and_consistent() -> None:
    a = synthetic_people.generate(400, seed=11)
    b = synthetic_people.generate(400, seed=11)
    assert a == b
    assert synthetic_people.generate(400, seed=12).candidates != a.candidates
    ids = {c.id for c in a.candidates}
    assert len(ids) == len(a.candidates)
    assert all(x in ids and y in ids for x, y in a.duplicates)
    assert set(a.kind_of) == set(a.duplicates)
    assert all(c.label.startswith("synthetic") for c in a.candidates)
    phones = [c.key for c in a.candidates if c.kind == "phone"]
    # Under 1,000 numbers: all from Ofcom's drama range.
    assert phones and all("+447700900000" <= p <= "+447700900999" for p in phones if p)


# -- planted duplicates, on a seed nothing was tuned on ------------------------------------

# Floors: a little under the worst of seeds 2-6 in the benchmark (module docstring).
PERSON_PRECISION_FLOOR = 0.84
PERSON_RECALL_FLOOR = 0.75
KIND_RECALL_FLOORS = {
    "typo": 0.88,
    "swapped-order": 0.90,
    "nickname": 0.60,
    "alias": 0.85,
    "missing-dob": 0.20,
    "dob-swap": 0.95,
    "phone-format": 1.0,
    "imei-form": 1.0,
    "vrm-spacing": 1.0,
}


@pytest.fixture(scope="module")
def seeded() -> tuple[synthetic_people.SyntheticSet, list]:
    data = synthetic_people.generate(5_000, seed=7)
    return data, suggest(data.candidates)


def test_planted_duplicates_are_found_above_the_floors(seeded) -> None:
    data, found = seeded
    got = {pair(s.a, s.b) for s in found}
    assert len(got) == len(found)  # no pair twice
    persons_truth = {p for p in data.duplicates if p[0].startswith("person:")}
    persons_got = {p for p in got if p[0].startswith("person:")}
    precision = len(persons_got & persons_truth) / len(persons_got)
    recall = len(persons_got & persons_truth) / len(persons_truth)
    assert precision >= PERSON_PRECISION_FLOOR
    assert recall >= PERSON_RECALL_FLOOR
    # Identifiers are exact: every suggestion on a key is a planted pair.
    assert {p for p in got if not p[0].startswith("person:")} <= data.duplicates
    planted = Counter(data.kind_of.values())
    hits = Counter(data.kind_of[p] for p in got & data.duplicates)
    for kind, floor in KIND_RECALL_FLOORS.items():
        assert hits[kind] / planted[kind] >= floor, kind


def test_every_suggestion_carries_its_evidence(seeded) -> None:
    _, found = seeded
    assert all(DEFAULT_THRESHOLD <= s.score <= 1.0 for s in found)
    for s in found:
        assert s.evidence
        if s.a.startswith("person:"):
            assert s.evidence[0].startswith("names '")
            assert "rapidfuzz" in s.evidence[0]
            assert "date of birth" in s.evidence[1] or "dates of birth" in s.evidence[1]
        else:
            assert s.evidence[0].startswith("same ")
