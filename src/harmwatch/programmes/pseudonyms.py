"""Keyed pseudonyms: the same person, the same pseudonym within a programme — and no identifier kept.

The officer types what identifies the person (a custody number, a name); harmwatch
keeps only ``P-`` and the first ten hex digits of HMAC-SHA256, keyed with the
programme's own random secret, of the identifier normalised (case, spaces and
punctuation ignored, so ``41/1234/25`` and ``41 1234 25`` agree). So:

- the same person typed again in the same programme gets the same pseudonym, and
  their events join up (a referral, then entry into treatment) without their name;
- the same person in another programme gets a different one: programmes cannot be
  linked to each other through their pseudonyms;
- the identifier is never stored, logged or shown; the pseudonym alone says nothing.

The trade-offs, said plainly:

- **Re-identification needs both the key and the identifier.** Someone holding the
  key (it is in ``programme_keys``, which no page, listing or export reads) and a
  candidate identifier can test whether that person is a participant. So the
  pseudonyms are personal data still (UK GDPR recital 26; DPA 2018 Part 3), held under
  the record policy like any other record, and the key is guarded like a password.
- **Without the key, nothing can be matched.** Erasing a programme's key
  (:func:`harmwatch.programmes.service.erase_key`) makes its pseudonyms anonymous:
  nobody, harmwatch included, can tell whose they are, and no new participant can be
  matched to an old one, so the programme takes no new participants after it.
- **Typing matters.** A misspelt name gives another pseudonym (there is no fuzzy
  matching, by design: it would need the identifiers); custody numbers are safer.
- **Ten hex digits** (40 bits): a collision between two people within one programme
  is about one in a million for a programme of 1,500 participants; a collision is
  refused in the programme's unique index rather than silently merging two people
  only if they differ in nothing else, so use custody numbers for large programmes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from harmwatch.errors import InputError

PATTERN = re.compile(r"P-[0-9A-F]{10}")
MAX_IDENTIFIER = 200


def new_secret() -> str:
    """A programme's secret: 32 random bytes, as hex."""
    return secrets.token_hex(32)


def normalise(identifier: str) -> str:
    """The identifier as it is keyed: case, spaces and punctuation do not count."""
    text = unicodedata.normalize("NFKC", identifier).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def pseudonym(secret: str, identifier: str) -> str:
    """``P-`` and ten hex digits of HMAC-SHA256(secret, normalised identifier)."""
    key = normalise(identifier)
    if not key:
        raise InputError("participant: type the person's identifier (a custody number or name)")
    if len(identifier) > MAX_IDENTIFIER:
        raise InputError(f"participant: at most {MAX_IDENTIFIER} characters")
    digest = hmac.new(bytes.fromhex(secret), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return "P-" + digest[:10].upper()


def looks_like_pseudonym(text: str) -> bool:
    return bool(PATTERN.fullmatch(text.strip().upper()))
