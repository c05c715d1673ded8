"""Is this text a possible phone number? phonenumbers' verdict, quickly for the usual case.

Every phone field (the command line, forms, 100k-row CSV imports) is checked with
phonenumbers: ``parse`` and then ``is_possible_number`` (the right number of digits
for the country). ``parse`` costs ~12 µs, most of it spent on what a number written
as plain digits and spaces ("+49 30 1234567", "030 1234567": what CRM exports and
the demo hold) does not have: RFC 3966 parameters, extensions, letters, leading
junk, and digits normalised one character at a time. For exactly those two forms
:func:`_plainly_possible` runs the rest of what ``parse`` and ``is_possible_number``
do, with the library's own helpers and metadata, at a quarter of the cost. It only
ever says yes; anything it is not sure of (another form, an unknown country code, a
number starting with an international prefix, a length that is not possible) goes
through ``parse``, which gives the verdict and the message. A test compares the two
on a hundred thousand generated numbers.
"""

from __future__ import annotations

import re
from functools import cache

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
_PLAIN_NATIONAL = re.compile(r"[0-9]+(?: [0-9]+)*")
_MAX_INPUT = 250  # parse() refuses longer strings outright
_MIN_NSN, _MAX_NSN = 2, 17  # parse()'s bounds on the national significant number
# A national prefix is stripped only if what remains is not one of these (as parse()).
_KEEP_PREFIX = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
_POSSIBLE = (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)


# Why parse() refused a number, in our words (its own messages are for programmers).
_PARSE_PROBLEMS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not digits",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


def check_possible(text: str, region: str) -> None:
    """Raise ValueError saying why, unless ``text`` is a possible phone number.

    ``region`` (e.g. "DE") is the country assumed for numbers without a country code.
    """
    if _plainly_possible(text, region):
        return
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        why = _PARSE_PROBLEMS.get(exc.error_type, "not readable")
        raise ValueError(f"is not a valid phone number ({why}): {text}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"is not a valid phone number (wrong number of digits): {text}")


def _plainly_possible(text: str, region: str) -> bool:
    """True if ``text`` is plain digits and spaces that phonenumbers would call possible.

    For such text ``parse`` keeps the text as it is (no phone-context, extension,
    trailing junk or second number can be spelt with digits and spaces) and drops
    the spaces; then it finds the country (:func:`_international`,
    :func:`_national`) and continues with the steps below. False means "ask parse".
    """
    if not _HELPERS or len(text) > _MAX_INPUT:
        return False
    if not (_PLAIN_INTERNATIONAL.fullmatch(text) or _PLAIN_NATIONAL.fullmatch(text)):
        return False
    digits = text.lstrip("+").replace(" ", "")
    if len(digits) <= _MIN_NSN:
        return False  # parse: too short after the IDD, or not a number
    found = _international(digits) if text[0] == "+" else _national(digits, region.upper())
    if found is None:
        return False
    country_code, national, metadata = found
    if len(national) < _MIN_NSN:
        return False
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in _KEEP_PREFIX:
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return False
    # is_possible_number: the digits kept (leading zeros included) against the
    # possible lengths of the country code's main region.
    main = _main_metadata(country_code)
    return main is not None and _test_number_length(national, main) in _POSSIBLE


def _international(digits: str) -> tuple[int, str, PhoneMetadata] | None:
    """ "+CC...": the country code, the digits after it, its metadata; None: ask parse."""
    country_code, national = _extract_country_code(digits)
    if country_code == 0:
        return None  # parse retries without the plus, or rejects
    metadata = _main_metadata(country_code)
    return None if metadata is None else (country_code, national, metadata)


def _national(digits: str, region: str) -> tuple[int, str, PhoneMetadata] | None:
    """Digits without a plus, dialled in ``region``; None: ask parse.

    parse first looks for the region's international prefix ("00" in Germany,
    "011" in the US) and for the region's own country code written without a plus
    ("49 30 ..."); numbers starting with either are left to it.
    """
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return None  # parse: no region to read it in
    idd = metadata.international_prefix
    if idd is not None and re.match(idd, digits):
        return None
    country_code = metadata.country_code
    if country_code is None or digits.startswith(str(country_code)):
        return None
    return country_code, digits, metadata


@cache
def _main_metadata(country_code: int) -> PhoneMetadata | None:
    """The metadata of the country code's main region (what is_possible_number reads)."""
    return PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, region_code_for_country_code(country_code)
    )
