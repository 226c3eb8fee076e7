"""Normalised keys for the intelligence room's identifiers, so one thing written two ways matches.

Each function takes what an officer typed and returns the key entity resolution and
the mention finder match on, or raises :class:`~harmwatch.errors.InputError` saying
why the text is not that kind of identifier. The rules:

Phone numbers (:func:`phone_number`)
    Parsed with Google's libphonenumber (the ``phonenumbers`` port; its metadata
    version is the package's) for the given region and written as E.164, so
    ``07700 900123``, ``+44 7700 900123``, ``(07700) 900-123``, ``0044 7700 900123``
    and ``447700900123`` are all ``+447700900123``. Digits that begin with the
    region's country code and neither ``0`` nor ``+`` are read as international: UK
    numbers are often written ``447…`` without the plus, and no UK national number
    is 12 digits long. A number must be valid in libphonenumber's metadata (a range
    allocated to a network), with one exception: Ofcom's ranges reserved for TV and
    radio drama that libphonenumber calls unallocated (:data:`OFCOM_DRAMA_RANGES`:
    07700 900000–900999 and 01632 960000–960999), so that training and demonstration
    data can use numbers nobody holds. ``allow_synthetic=True`` also accepts the rest
    of the 07700 9xxxxx block (unallocated in the metadata), which only the synthetic
    generator in :mod:`.synthetic_people` uses, for sets of more than 1,000 phones.
    Extensions are refused: E.164 has none, so a key would silently drop it.

IMEIs (:func:`imei`)
    15 digits (TAC 8 + serial 6 + Luhn check digit; a wrong check digit is refused
    with the digit expected), 14 digits (no check digit, as networks record it in
    call data) or 16 digits (IMEISV: 14 + a 2-digit software version). Spaces,
    dashes and slashes between digits are dropped. All three forms of one handset
    share :attr:`Imei.match_key`, the first 14 digits.

Vehicle registration marks (:func:`vrm`)
    Upper-cased, spaces removed. The current GB format (since September 2001),
    ``AB12 CDE``, is checked to DVLA's letter rules: I, Q and Z are never in the
    two-letter memory tag and I and Q never in the three random letters. The age
    identifier is not checked (every two-digit value but 01 is or will be issued by
    2051). Older marks are accepted by shape only, loosely, because cherished and
    Northern Ireland marks keep them and DVLA's historical letter rules varied by
    council: suffix ``ABC 123D`` (1963–1983), prefix ``A123 BCD`` (1983–2001) and
    dateless (1–3 letters and 1–4 digits, either way round: ``AB 1234``, ``1234 AB``).
    Foreign and diplomatic marks are refused; record them as free text.

Postcodes (:func:`postcode`)
    The UK's postcode format as the Government Data Standards Catalogue gives it
    (outward code A9, A99, AA9, AA99, A9A or AA9A with its letter restrictions;
    inward code a digit and two letters from ABDEFGHJLNPQRSTUWXYZ), plus ``GIR 0AA``.
    Written upper-case with one space before the inward code. A well-formed code
    may still not exist: existence needs the ONS postcode directory, which is not
    shipped. British Forces (BFPO) and overseas territories' codes are refused.

Addresses (:func:`address_key`)
    The postcode as above, then ``|`` and the first line case-folded with its
    punctuation dropped and a few unambiguous abbreviations spelled out (Rd, Ave,
    Cl, Cres, Ct, Dr, Gdns, Gr, Ln, Pl, Sq, Tce; St only as the line's last word,
    since elsewhere it may be Saint): ``AL1 3AB|flat 2 10 high street``. A
    postcode covers about 15 addresses, so a postcode alone is no address key.

Names (:func:`name_key`)
    Unicode-decomposed with accents dropped (é→e; ø, ł, æ, œ, ß, þ, ð and đ, which do
    not decompose, mapped by hand), case-folded, apostrophes deleted (O'Brien →
    obrien), every other character that is not a letter or digit a space, then the
    tokens sorted: ``"SMITH, John"``, ``"john smith"`` and ``"Jöhn  Smith"`` are one
    key, ``john smith``. Sorting makes the key blind to order, which is the point
    (surname-first is common in police records) and its cost: ``John Paul`` and
    ``Paul John`` are one key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from harmwatch.errors import InputError

# -- phones ------------------------------------------------------------------------------

#: Ofcom's drama numbers that libphonenumber calls unallocated, as (first, last) E.164.
#: Ofcom's other drama ranges (020 7946 0xxx, 0113 496 0xxx, ...) sit inside allocated
#: blocks, so libphonenumber already accepts them as valid.
OFCOM_DRAMA_RANGES: tuple[tuple[str, str], ...] = (
    ("+447700900000", "+447700900999"),
    ("+441632960000", "+441632960999"),
)
#: The block the synthetic generator draws from beyond the 1,000 drama mobiles.
SYNTHETIC_PHONE_RANGE: tuple[str, str] = ("+447700900000", "+447700999999")

_PHONE_CHARS = re.compile(r"[0-9+\-()./\s]+")

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country uses that country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "no country uses that country code",
    ValidationResult.TOO_SHORT: "too short for a number in that country",
    ValidationResult.TOO_LONG: "too long for a number in that country",
    ValidationResult.INVALID_LENGTH: "no number in that country has that many digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        "a local number without its area code; give the full number"
    ),
}


def _in_ranges(e164: str, ranges: tuple[tuple[str, str], ...]) -> bool:
    # Equal-length E.164 strings order as their numbers do.
    return any(len(e164) == len(lo) and lo <= e164 <= hi for lo, hi in ranges)


def phone_number(text: str, region: str = "GB", *, allow_synthetic: bool = False) -> str:
    """The number as E.164 (``+447700900123``); refused with the reason if it is not valid.

    ``region`` is where a number without a country code is read as dialled (ISO
    3166 alpha-2). See the module docstring for the rules and the drama ranges.
    """
    given = text.strip()
    if not given:
        raise InputError("a phone number is needed")
    if not _PHONE_CHARS.fullmatch(given):
        raise InputError(
            f"{given!r}: a phone number holds only digits, spaces and + - ( ) . / "
            "(extensions are not kept)"
        )
    digits = re.sub(r"\D", "", given)
    code = phonenumbers.country_code_for_region(region.upper())
    if code == 0:
        raise InputError(f"region {region!r}: not a region libphonenumber knows")
    to_parse = given
    if not given.startswith(("+", "0")) and digits.startswith(str(code)):
        to_parse = "+" + digits
    try:
        number = phonenumbers.parse(to_parse, region.upper())
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, str(exc))
        raise InputError(f"{given!r}: {reason}") from None
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        reason = _POSSIBLE_REASONS.get(possible, "not a possible number")
        raise InputError(f"{given!r}: {reason}")
    # The ranges first: they are string comparisons, and is_valid_number is slow on a
    # number it will refuse (it tries every number type of the region).
    if _in_ranges(e164, OFCOM_DRAMA_RANGES):
        return e164
    if allow_synthetic and _in_ranges(e164, (SYNTHETIC_PHONE_RANGE,)):
        return e164
    if phonenumbers.is_valid_number(number):
        return e164
    where = phonenumbers.region_code_for_country_code(number.country_code or 0)
    raise InputError(
        f"{given!r}: not a number in any range allocated in {where} "
        f"(libphonenumber {phonenumbers.__version__})"
    )


# -- IMEIs -------------------------------------------------------------------------------

ImeiForm = Literal["IMEI", "IMEI-14", "IMEISV"]


@dataclass(frozen=True)
class Imei:
    """A handset identifier as given (digits only) and which of the three forms it is."""

    digits: str
    form: ImeiForm

    @property
    def match_key(self) -> str:
        """The first 14 digits (TAC and serial), which every form of one handset shares."""
        return self.digits[:14]


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit for ``digits`` (the 15th digit of an IMEI from its first 14)."""
    total = 0
    # Doubling starts from the rightmost digit of the payload, since the check digit
    # will sit to its right.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def imei(text: str) -> Imei:
    """The IMEI, IMEI-14 or IMEISV in ``text``; refused with the reason otherwise."""
    given = text.strip()
    if not given:
        raise InputError("an IMEI is needed")
    bad = sorted({ch for ch in given if not (ch.isdigit() and ch.isascii()) and ch not in " -/"})
    if bad:
        raise InputError(
            f"{given!r}: an IMEI holds digits, with spaces, dashes or slashes between; "
            f"not {''.join(bad)!r}"
        )
    digits = re.sub(r"\D", "", given)
    if len(digits) == 15:
        expected = luhn_check_digit(digits[:14])
        if digits[14] != expected:
            raise InputError(
                f"{given!r}: the check digit is {digits[14]} but the first 14 digits give "
                f"{expected} (Luhn); a digit is wrong"
            )
        return Imei(digits, "IMEI")
    if len(digits) == 14:
        return Imei(digits, "IMEI-14")
    if len(digits) == 16:
        return Imei(digits, "IMEISV")
    raise InputError(
        f"{given!r}: {len(digits)} digits; an IMEI has 15 (14 without its check digit, "
        "16 as an IMEISV)"
    )


# -- vehicle registration marks ------------------------------------------------------------

_VRM_CURRENT = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}")
_VRM_OLDER = {
    "suffix": re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"),
    "prefix": re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"),
    "dateless": re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}"),
}


def vrm_format(key: str) -> str:
    """Which format a key from :func:`vrm` is in: current, suffix, prefix or dateless."""
    if _VRM_CURRENT.fullmatch(key):
        return "current"
    for name, pattern in _VRM_OLDER.items():
        if pattern.fullmatch(key):
            return name
    raise InputError(f"{key!r}: not a UK registration mark")


def vrm(text: str) -> str:
    """The registration mark upper-cased without spaces (``AB12CDE``); refused with the reason."""
    given = text.strip()
    if not given:
        raise InputError("a registration mark is needed")
    if not re.fullmatch(r"[A-Za-z0-9 ]+", given):
        raise InputError(f"{given!r}: a registration mark holds only letters, digits and spaces")
    key = given.replace(" ", "").upper()
    if _VRM_CURRENT.fullmatch(key):
        tag, letters = key[:2], key[4:]
        if bad := sorted(set(tag) & set("IQZ")):
            raise InputError(
                f"{given!r}: DVLA never puts {' or '.join(bad)} in the first two letters "
                "of a current-format mark (I, Q and Z are not used there)"
            )
        if bad := sorted(set(letters) & set("IQ")):
            raise InputError(
                f"{given!r}: DVLA never puts {' or '.join(bad)} in the last three letters "
                "of a current-format mark (I and Q are not used there); 1 or O misread?"
            )
        return key
    if any(p.fullmatch(key) for p in _VRM_OLDER.values()):
        return key
    raise InputError(
        f"{given!r}: not a UK registration mark; expected AB12 CDE (current), ABC 123D "
        "(suffix), A123 BCD (prefix) or 1-3 letters and 1-4 digits (dateless)"
    )


# -- postcodes ---------------------------------------------------------------------------

# Government Data Standards Catalogue, postcode format, one group per outward shape.
_OUTWARD = re.compile(
    r"[A-PR-UWYZ][0-9]{1,2}"  # A9, A99
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"  # AA9, AA99
    r"|[A-PR-UWYZ][0-9][A-HJKPS-UW]"  # A9A
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y]"  # AA9A
)
_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}")


def postcode(text: str) -> str:
    """The postcode upper-cased with one space (``AL1 3AB``); refused with the reason."""
    given = text.strip()
    if not given:
        raise InputError("a postcode is needed")
    if not re.fullmatch(r"[A-Za-z0-9 ]+", given):
        raise InputError(f"{given!r}: a postcode holds only letters, digits and spaces")
    compact = given.replace(" ", "").upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    if not 5 <= len(compact) <= 7:
        raise InputError(
            f"{given!r}: {len(compact)} characters; a postcode has 5 to 7 besides spaces "
            "(the outward code, then a digit and two letters)"
        )
    outward, inward = compact[:-3], compact[-3:]
    if not _INWARD.fullmatch(inward):
        raise InputError(
            f"{given!r}: the inward code {inward!r} must be a digit and two letters, "
            "the letters not C, I, K, M, O or V"
        )
    if not _OUTWARD.fullmatch(outward):
        raise InputError(
            f"{given!r}: the outward code {outward!r} is not a UK one (A9, A99, AA9, AA99, "
            "A9A or AA9A, with the letters each place allows)"
        )
    return f"{outward} {inward}"


_STREET_WORDS = {
    "rd": "road", "ave": "avenue", "cl": "close", "cres": "crescent", "ct": "court",
    "dr": "drive", "gdns": "gardens", "gr": "grove", "ln": "lane", "pl": "place",
    "sq": "square", "tce": "terrace",
}  # fmt: skip


def address_key(postcode_text: str, first_line: str) -> str:
    """The postcode and normalised first line, ``AL1 3AB|10 high street``; refused with the reason."""
    code = postcode(postcode_text)
    words = re.sub(r"[^\w\s]", " ", first_line.casefold().replace("'", "")).split()
    if not words:
        raise InputError("an address key needs the first line as well as the postcode")
    words = [_STREET_WORDS.get(w, w) for w in words]
    if words[-1] == "st":
        words[-1] = "street"
    return f"{code}|{' '.join(words)}"


# -- names -------------------------------------------------------------------------------

# Letters NFKD leaves whole, spelled as an English record would.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
     "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "đ": "d", "Đ": "D"}
)  # fmt: skip
_APOSTROPHES = re.compile(r"['’‘`´]")


def name_tokens(name: str) -> list[str]:
    """The name's tokens in the order written, normalised as :func:`name_key` does, unsorted."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = _APOSTROPHES.sub("", plain)
    tokens = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    if not tokens:
        raise InputError(f"{name!r}: a name needs at least one letter or digit")
    return tokens


def name_key(name: str) -> str:
    """Case-folded, accent-free, punctuation-free, tokens sorted: ``"SMITH, John"`` → ``john smith``."""
    return " ".join(sorted(name_tokens(name)))


def age_on(date_of_birth: date, on: date) -> int:
    """Age in completed years on ``on``; someone born on 29 February turns older on 1 March."""
    if on < date_of_birth:
        raise InputError(
            f"{on.isoformat()} is before the date of birth {date_of_birth.isoformat()}"
        )
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday
