"""Is this text a possible phone number? phonenumbers' verdict, quickly for the usual case.

Every phone field (the command line, forms, 100k-row CSV imports) is checked with
phonenumbers: ``parse`` and then ``is_possible_number`` (the right number of digits
for the country). ``parse`` costs ~12 µs, most of it spent on what a plain
international number ("+49 30 1234567", the form CRM exports and the demo write)
does not have: RFC 3966 parameters, extensions, letters, leading junk, and digits
normalised one character at a time. For exactly that form (a plus, a digit that is
not zero, then digits and single spaces) :func:`_plainly_possible` runs the rest of
what ``parse`` and ``is_possible_number`` do, with the library's own helpers and
metadata, at a quarter of the cost. It only ever says yes; anything it is not sure
of (another form, an unknown country code, a length that is not possible) goes
through ``parse``, which gives the verdict and the message. A test compares the two
on several hundred thousand generated numbers.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneMetadata, ValidationResult, region_code_for_country_code

try:  # the steps of parse() after the input has been cleaned up
    from phonenumbers.phonenumberutil import (
        _extract_country_code,
        _maybe_strip_national_prefix_carrier_code,
        _test_number_length,
    )

    _HELPERS = True
except ImportError:  # a phonenumbers that reorganised them: everything takes parse()
    _HELPERS = False

_PLAIN_INTERNATIONAL = re.compile(r"\+[1-9][0-9]*(?: [0-9]+)*")
_MAX_INPUT = 250  # parse() refuses longer strings outright
_MIN_NSN, _MAX_NSN = 2, 17  # parse()'s bounds on the national significant number
# A national prefix is stripped only if what remains is not one of these (as parse()).
_KEEP_PREFIX = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
_POSSIBLE = (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)


def check_possible(text: str, region: str) -> None:
    """Raise ValueError saying why, unless ``text`` is a possible phone number.

    ``region`` (e.g. "DE") is the country assumed for numbers without a country code.
    """
    if _plainly_possible(text):
        return
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({exc})") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number (wrong number of digits)")


def _plainly_possible(text: str) -> bool:
    """True if ``text`` is "+CC NNN..." and phonenumbers would call it possible.

    For such text, ``parse`` keeps the text as it is (no phone-context, extension,
    trailing junk or second number can be spelt with digits and spaces), drops the
    plus and the spaces, and continues with the steps below; the default region
    plays no part once a country code follows the plus. False means "ask parse".
    """
    if not _HELPERS or len(text) > _MAX_INPUT:
        return False
    if not _PLAIN_INTERNATIONAL.fullmatch(text):
        return False
    digits = text[1:].replace(" ", "")
    if len(digits) <= _MIN_NSN:
        return False  # parse: too short after the IDD
    country_code, national = _extract_country_code(digits)
    if country_code == 0 or len(national) < _MIN_NSN:
        return False  # parse retries without the plus, or rejects
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, region_code_for_country_code(country_code)
    )
    if metadata is None:
        return False
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in _KEEP_PREFIX:
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return False
    # is_possible_number: the digits kept (leading zeros included) against the
    # country's possible lengths.
    return _test_number_length(national, metadata) in _POSSIBLE
