"""The quick phone check says yes only where phonenumbers says yes."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from fieldapp.errors import ValidationError
from fieldapp.store import phones
from fieldapp.store.fields import clean

# Main regions, and regions sharing a country code whose lengths differ from the main one.
REGIONS = (
    "DE",
    "US",
    "IT",
    "GB",
    "FR",
    "AR",
    "RU",
    "BR",
    "JP",
    "MX",
    "CA",
    "KZ",
    "IM",
    "GG",
    "CC",
    "BQ",
)


def library_verdict(text: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def digits_and_spaces(rng: random.Random) -> str:
    """'+CC ...' or a number dialled at home, with what trips parsing up.

    National prefixes, leading zeros, international prefixes ("00", "011", "810"),
    the home country code written without a plus, odd lengths.
    """
    codes = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    code = str(rng.choice(codes) if rng.random() < 0.9 else rng.randint(1, 999))
    body = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 16)))
    prefix = rng.choice(("", "", "0", "00", "011", "810", "1", "8", "9", "06", "15", "044"))
    digits = prefix + body if rng.random() < 0.5 else code + prefix + body
    spaced = "".join(d + (" " if rng.random() < 0.2 else "") for d in digits).rstrip()
    return ("+" if rng.random() < 0.5 else "") + spaced


def test_the_quick_check_agrees_with_phonenumbers_on_generated_numbers() -> None:
    rng = random.Random(20261123)
    said_yes = {True: 0, False: 0}  # by "written with a plus"
    for _ in range(100_000):
        text = digits_and_spaces(rng)
        region = rng.choice(REGIONS)
        if phones._plainly_possible(text, region):
            said_yes[text.startswith("+")] += 1
            assert library_verdict(text, region), f"{text!r} in {region}"
    # The quick path answers for a good share of both forms, not just a handful.
    assert min(said_yes.values()) > 5_000, said_yes


@pytest.mark.parametrize(
    "text",
    [
        "+49 30 1234567",  # Berlin
        "+49 030 1234567",  # a national prefix written after the country code
        "+39 06 12345678",  # Rome: Italy keeps its leading zero
        "+54 9 11 1234 5678",  # Argentine mobile: a transform rule
        "+1 650 253 0000",  # North America
        "+44 20 7946 0958",
        "+7 495 123 45 67",
        "+800 1234 5678",  # a non-geographic code
        "030 1234567",  # national form, in Germany
        "0221 12345678",
        "01512 3456789",  # German mobile
    ],
)
def test_usual_numbers_take_the_quick_path(text: str) -> None:
    assert phones._plainly_possible(text, "DE")
    assert library_verdict(text, "DE")


def test_national_numbers_are_read_in_the_given_region() -> None:
    assert phones._plainly_possible("650 253 0000", "US")
    assert phones._plainly_possible("020 7946 0958", "GB")
    # Eleven digits after no country code are too many for the US: parse decides.
    assert not phones._plainly_possible("650 253 0000 1", "US")
    with pytest.raises(ValueError, match="wrong number of digits"):
        phones.check_possible("650 253 0000 1", "US")


@pytest.mark.parametrize(
    "text",
    [
        "+49 (30) 1234567",
        "+49-30-1234567",
        "+49 30 1234567 ext. 12",
        "+49  30 1234567",  # two spaces
        "+0049 30 1234567",
        "+49 1",  # too short
        "+49 30 12345678901234567",  # too long
        "+999 1234567",  # no such country code
        "0049 30 1234567",  # Germany's international prefix
        "49 30 1234567",  # its country code without the plus
        "12",
    ],
)
def test_anything_else_is_left_to_parse(text: str) -> None:
    assert not phones._plainly_possible(text, "DE")


def test_rejections_say_why_in_plain_words() -> None:
    # phonenumbers' reason (its error type), in our words rather than its programmer's text.
    with pytest.raises(ValueError, match=r"^is not a valid phone number \(too short\): \+49 1$"):
        phones.check_possible("+49 1", "DE")
    with pytest.raises(
        ValueError, match=r"^is not a valid phone number \(wrong number of digits\)"
    ):
        phones.check_possible("+49 30 12345678901234", "DE")
    with pytest.raises(ValueError, match=r"^is not a valid phone number \(not digits\): call me"):
        phones.check_possible("call me", "DE")
    with pytest.raises(ValueError, match=r"\(unknown country code\)"):
        phones.check_possible("+999 1234567", "DE")
    phones.check_possible("030 1234567", "DE")  # national form, through parse


def test_without_the_library_helpers_every_number_takes_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a phonenumbers release that moved its helpers gets: same verdicts, slower.
    monkeypatch.setattr(phones, "_HELPERS", False)
    assert not phones._plainly_possible("+49 30 1234567", "DE")
    phones.check_possible("+49 30 1234567", "DE")
    with pytest.raises(ValueError, match="wrong number of digits"):
        phones.check_possible("+49 30 12345678901234", "DE")


def test_fields_check_phones_the_same_way() -> None:
    assert clean("accounts", {"phone": " +49 30 1234567 "}, creating=False) == {
        "phone": "+49 30 1234567"
    }
    with pytest.raises(ValidationError, match="wrong number of digits"):
        clean("accounts", {"phone": "+49 30 12345678901234"}, creating=False)
