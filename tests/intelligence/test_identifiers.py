"""Identifier keys: every way of writing one phone, handset, mark, postcode or name is one key,
and what is not one is refused with the reason."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmwatch.errors import InputError
from harmwatch.intelligence import identifiers as ids

# -- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "+447700900123",
        "447700900123",
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0) 7700 900123",
        "(07700) 900-123",
        "07700-900-123",
        "0044 7700 900123",
        "  07700 900 123  ",
    ],
)
def test_every_form_of_a_uk_mobile_is_one_e164_key(written: str) -> None:
    assert ids.phone_number(written) == "+447700900123"


def test_a_valid_allocated_number_and_a_foreign_one() -> None:
    assert ids.phone_number("020 7946 0123") == "+442079460123"
    assert ids.phone_number("447911 123456") == "+447911123456"
    assert ids.phone_number("+1 202 555 0100") == "+12025550100"


def test_ofcom_drama_ranges_libphonenumber_calls_unallocated_are_accepted() -> None:
    assert ids.phone_number("01632 960999") == "+441632960999"
    assert ids.phone_number("07700 900000") == "+447700900000"


def test_the_synthetic_block_only_when_asked_for() -> None:
    with pytest.raises(InputError, match="not a number in any range allocated in GB"):
        ids.phone_number("07700 912345")
    assert ids.phone_number("07700 912345", allow_synthetic=True) == "+447700912345"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("0770090012345", "too long"),
        ("+44 7911 1234567", "too long"),
        ("+800 1234", "too short"),
        ("+999 123 456", "no country uses that country code"),
        ("1234", "local number without its area code"),
        ("077009001", "not a number in any range allocated"),
        ("+44", "not a phone number"),
        ("07700 900123 ext 4", "only digits"),
        ("call 07700 900123", "only digits"),
        ("", "a phone number is needed"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(written: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        ids.phone_number(written)


def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(InputError, match="region 'XX'"):
        ids.phone_number("07700 900123", region="XX")


# -- IMEIs -------------------------------------------------------------------------------


def test_a_known_valid_imei_passes_its_luhn_check() -> None:
    handset = ids.imei("490154203237518")
    assert handset == ids.Imei("490154203237518", "IMEI")
    assert handset.match_key == "49015420323751"
    assert ids.luhn_check_digit("49015420323751") == "8"


def test_a_wrong_check_digit_is_refused_with_the_digit_expected() -> None:
    with pytest.raises(InputError, match="check digit is 9 but the first 14 digits give 8"):
        ids.imei("490154203237519")


@pytest.mark.parametrize(
    ("written", "form"),
    [
        ("490154203237518", "IMEI"),
        ("49-015420-323751-8", "IMEI"),
        ("49015420 3237518", "IMEI"),
        ("49015420323751", "IMEI-14"),
        ("4901542032375101", "IMEISV"),
        ("49/015420/323751/01", "IMEISV"),
    ],
)
def test_all_three_forms_share_the_first_14_digits(written: str, form: str) -> None:
    handset = ids.imei(written)
    assert handset.form == form
    assert handset.match_key == "49015420323751"
    assert handset.digits.isdigit()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("4901542032375", "13 digits"),
        ("49015420323751011", "17 digits"),
        ("49015420323751a", "not 'a'"),
        ("490154.203237518", r"not '\.'"),
        ("", "an IMEI is needed"),
    ],
)
def test_malformed_imeis_are_refused(written: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        ids.imei(written)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14), st.integers(1, 9))
def test_luhn_accepts_its_own_digit_and_no_other(first14: str, shift: int) -> None:
    check = ids.luhn_check_digit(first14)
    assert ids.imei(first14 + check).form == "IMEI"
    with pytest.raises(InputError, match="Luhn"):
        ids.imei(first14 + str((int(check) + shift) % 10))


# -- VRMs --------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["AB12CDE", "AB12 CDE", "ab12 cde", " Ab12cDe ", "AB 12 CDE"])
def test_vrm_spacing_and_case_are_one_key(written: str) -> None:
    assert ids.vrm(written) == "AB12CDE"
    assert ids.vrm_format("AB12CDE") == "current"


@pytest.mark.parametrize(
    ("written", "key", "form"),
    [
        ("ABC 123D", "ABC123D", "suffix"),
        ("A123 BCD", "A123BCD", "prefix"),
        ("AB 1234", "AB1234", "dateless"),
        ("1234 AB", "1234AB", "dateless"),
        ("1 A", "1A", "dateless"),
    ],
)
def test_older_formats_are_accepted_by_shape(written: str, key: str, form: str) -> None:
    assert ids.vrm(written) == key
    assert ids.vrm_format(key) == form


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("IB12 CDE", "first two letters"),
        ("ZZ12 CDE", "first two letters"),
        ("AB12 CDI", "last three letters"),
        ("AB12 QDE", "last three letters"),
        ("ABCD 123", "not a UK registration mark"),
        ("AB12-CDE", "only letters, digits and spaces"),
        ("", "a registration mark is needed"),
    ],
)
def test_marks_dvla_never_issues_are_refused(written: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        ids.vrm(written)


# -- postcodes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("al1 3ab", "AL1 3AB"),
        ("AL13AB", "AL1 3AB"),
        (" AL1  3AB ", "AL1 3AB"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_validated_and_written_with_one_space(written: str, key: str) -> None:
    assert ids.postcode(written) == key


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("QA1 1AA", "outward code 'QA1'"),  # Q never starts a postcode
        ("AJ1 1AA", "outward code 'AJ1'"),  # J never second
        ("AL1 3AC", "inward code '3AC'"),  # C never in the inward code
        ("AL1 AAB", "inward code 'AAB'"),
        ("AL1", "3 characters"),
        ("AL1-3AB", "only letters, digits and spaces"),
        ("", "a postcode is needed"),
    ],
)
def test_malformed_postcodes_are_refused_with_the_reason(written: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        ids.postcode(written)


def test_address_key_joins_postcode_and_normalised_first_line() -> None:
    assert ids.address_key("al13ab", "Flat 2, 10 High St.") == "AL1 3AB|flat 2 10 high street"
    assert ids.address_key("AL1 3AB", "St. John's Rd") == "AL1 3AB|st johns road"
    with pytest.raises(InputError, match="first line"):
        ids.address_key("AL1 3AB", " , ")


# -- names and ages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["john smith", "SMITH, John", "Smith John", "  John   Smith ", "Jöhn Smith"]
)
def test_name_key_ignores_order_case_accents_and_punctuation(written: str) -> None:
    assert ids.name_key(written) == "john smith"


def test_name_key_edge_cases() -> None:
    assert ids.name_key("O'Brien, Seán") == "obrien sean"
    assert ids.name_key("Łukasz Søren") == "lukasz soren"
    assert ids.name_key("Anne-Marie Smith-Jones") == "anne jones marie smith"
    assert ids.name_tokens("SMITH, John") == ["smith", "john"]
    with pytest.raises(InputError, match="at least one letter"):
        ids.name_key("...")


def test_age_on_counts_completed_years() -> None:
    assert ids.age_on(date(1999, 3, 2), date(2024, 3, 1)) == 24
    assert ids.age_on(date(1999, 3, 2), date(2024, 3, 2)) == 25
    assert ids.age_on(date(1999, 3, 2), date(1999, 3, 2)) == 0
    # Born on 29 February: a year older on 1 March in a common year.
    assert ids.age_on(date(2000, 2, 29), date(2021, 2, 28)) == 20
    assert ids.age_on(date(2000, 2, 29), date(2021, 3, 1)) == 21
    with pytest.raises(InputError, match="before the date of birth"):
        ids.age_on(date(1999, 3, 2), date(1999, 3, 1))
