"""Mentions in free text: identifiers and names offered with their keys and known entities."""

from __future__ import annotations

from datetime import date

import pytest

from harmwatch.intelligence.mentions import Mention, find_mentions
from harmwatch.intelligence.resolution import Candidate

KNOWN = (
    Candidate("person:1", "person", ("John Smith", "Tiny"), date(1999, 3, 2)),
    Candidate("phone:4", "phone", key="+447700900123"),
    Candidate("vehicle:2", "vehicle", key="AB12CDE"),
    Candidate("handset:9", "handset", key="49015420323751"),
    Candidate("address:5", "address", key="AL1 3AB"),
)


def kinds(text: str, known: tuple[Candidate, ...] = KNOWN) -> list[tuple[str, str, str | None]]:
    return [(m.kind, m.text, m.known_id) for m in find_mentions(text, known)]


def test_a_report_with_one_of_everything() -> None:
    text = (
        "On Monday Jon Smith (aka Tiny) was seen in AB12 CDE near AL1 3AB with Kerry WATSON. "
        "He called 447700900123 and 07700 900456. IMEI 490154203237518."
    )
    found = find_mentions(text, KNOWN)
    assert [(m.kind, m.text, m.key, m.known_id) for m in found] == [
        ("person", "Jon Smith", "jon smith", "person:1"),
        ("person", "Tiny", "tiny", "person:1"),
        ("vehicle", "AB12 CDE", "AB12CDE", "vehicle:2"),
        ("postcode", "AL1 3AB", "AL1 3AB", "address:5"),
        ("person", "Kerry WATSON", "kerry watson", None),
        ("phone", "447700900123", "+447700900123", "phone:4"),
        ("phone", "07700 900456", "+447700900456", None),
        ("handset", "490154203237518", "49015420323751", "handset:9"),
    ]
    # Offsets point at the text as found; a fuzzy name says how close it was.
    assert all(text[m.start : m.end] == m.text for m in found)
    assert found[0].similarity == pytest.approx(0.9474, abs=1e-4)
    assert found[1].similarity == 1.0


def test_phone_forms_all_find_the_known_phone() -> None:
    text = "Numbers: +44 7700 900123, (07700) 900-123, 0044 7700 900123."
    assert [m.known_id for m in find_mentions(text, KNOWN)] == ["phone:4"] * 3


def test_references_dates_and_invalid_numbers_are_not_phones() -> None:
    text = "Ref 2024-000123 on 12/03/2024 at 10:30; bad number 07700 91234."
    assert [m for m in find_mentions(text) if m.kind == "phone"] == []


def test_imei_lengths_14_and_16_need_a_label() -> None:
    assert kinds("account 49015420323751 and card 4901542032375101") == []
    assert kinds("IMEI: 49015420323751; IMEISV no. 4901542032375101") == [
        ("handset", "49015420323751", "handset:9"),
        ("handset", "4901542032375101", "handset:9"),
    ]


def test_a_15_digit_run_must_pass_luhn_and_grouped_forms_are_found() -> None:
    assert kinds("serial 490154203237519") == []
    assert kinds("handset 49-015420-323751-8 seized") == [
        ("handset", "49-015420-323751-8", "handset:9")
    ]


def test_vrms_need_the_current_format_in_capitals_as_a_word() -> None:
    assert kinds("car AB12CDE then ab12 cde then XAB12CDE then IB12 CDE") == [
        ("vehicle", "AB12CDE", "vehicle:2")
    ]


def test_postcodes_are_validated() -> None:
    found = find_mentions("at SW1A 1AA, not at QA1 1AA nor AL1 3AC")
    assert [(m.kind, m.key) for m in found] == [("postcode", "SW1A 1AA")]


def test_unknown_names_are_conservative() -> None:
    text = (
        "Mr John Paul Jones met Sarah O'Neil's brother at Hemel Hempstead station, "
        "then walked down Station Road. Smith was there."
    )
    found = [(m.text, m.known_id) for m in find_mentions(text) if m.kind == "person"]
    # Titles trimmed, a possessive ends a name, a GB place name and a street are not people,
    # and a lone surname is not offered.
    assert found == [("John Paul Jones", None), ("Sarah O'Neil", None)]


def test_a_known_name_is_found_in_any_order_and_case() -> None:
    assert kinds("seen: SMITH John, and later John SMITH") == [
        ("person", "SMITH John", "person:1"),
        ("person", "John SMITH", "person:1"),
    ]


def test_a_name_several_known_people_share_names_none_of_them() -> None:
    known = (*KNOWN, Candidate("person:7", "person", ("Smith, John",)))
    (found,) = find_mentions("John Smith again", known)
    assert found.known_id is None
    assert found.known_ids == ("person:1", "person:7")
    (phone,) = find_mentions(
        "07700 900123", (*KNOWN, Candidate("phone:8", "phone", key="+447700900123"))
    )
    assert (phone.known_id, phone.known_ids) == (None, ("phone:4", "phone:8"))


def test_lower_case_text_and_unrelated_words_are_left_alone() -> None:
    assert kinds("john smith was tiny; a tiny amount") == []


def test_mentions_are_values_and_nothing_given_is_changed() -> None:
    known = list(KNOWN)
    text = "Tiny rang 07700 900123."
    first = find_mentions(text, known)
    assert known == list(KNOWN)
    assert find_mentions(text, known) == first
    assert isinstance(first[0], Mention)
    with pytest.raises(AttributeError):
        first[0].known_ids = ("person:2",)  # type: ignore[misc]
