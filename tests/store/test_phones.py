"""The quick phone check says yes only where phonenumbers says yes."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from fieldapp.errors import ValidationError
from fieldapp.store import phones
from fieldapp.store.fields import clean

REGIONS = ("DE", "US", "IT", "GB", "FR", "AR", "RU", "BR", "JP", "MX")


def library_verdict(text: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def plain_international(rng: random.Random) -> str:
    """'+CC ...' with what trips parsing up: national prefixes, leading zeros, odd lengths."""
    codes = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    code = str(rng.choice(codes) if rng.random() < 0.9 else rng.randint(1, 999))
    body = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 16)))
    prefix = rng.choice(("", "", "0", "00", "1", "8", "9", "06", "15", "044"))
    digits = code + prefix + body
    spaced = "".join(d + (" " if rng.random() < 0.2 else "") for d in digits).rstrip()
    return "+" + spaced


def test_the_quick_check_agrees_with_phonenumbers_on_generated_numbers() -> None:
    rng = random.Random(20261123)
    said_yes = 0
    for _ in range(60_000):
        text = plain_international(rng)
        if phones._plainly_possible(text):
            said_yes += 1
            region = rng.choice(REGIONS)
            assert library_verdict(text, region), f"{text!r} in {region}"
    # The quick path answers for a good share of them, not just a handful.
    assert said_yes > 10_000


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
    ],
)
def test_usual_international_numbers_take_the_quick_path(text: str) -> None:
    assert phones._plainly_possible(text)
    assert library_verdict(text, "DE")


@pytest.mark.parametrize(
    "text",
    [
        "030 1234567",  # national form: parse decides
        "+49 (30) 1234567",
        "+49-30-1234567",
        "+49 30 1234567 ext. 12",
        "+49  30 1234567",  # two spaces
        "+0049 30 1234567",
        "+49 1",  # too short
        "+49 30 12345678901234567",  # too long
        "+999 1234567",  # no such country code
    ],
)
def test_anything_else_is_left_to_parse(text: str) -> None:
    assert not phones._plainly_possible(text)


def test_rejections_keep_phonenumbers_messages() -> None:
    with pytest.raises(ValueError, match=r"^not a phone number \(.*too short"):
        phones.check_possible("+49 1", "DE")
    with pytest.raises(ValueError, match=r"^not a possible phone number \(wrong number"):
        phones.check_possible("+49 30 12345678901234", "DE")
    with pytest.raises(ValueError, match=r"^not a phone number \(.*not seem to be a phone number"):
        phones.check_possible("call me", "DE")
    phones.check_possible("030 1234567", "DE")  # national form, through parse


def test_without_the_library_helpers_every_number_takes_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a phonenumbers release that moved its helpers gets: same verdicts, slower.
    monkeypatch.setattr(phones, "_HELPERS", False)
    assert not phones._plainly_possible("+49 30 1234567")
    phones.check_possible("+49 30 1234567", "DE")
    with pytest.raises(ValueError, match="wrong number of digits"):
        phones.check_possible("+49 30 12345678901234", "DE")


def test_fields_check_phones_the_same_way() -> None:
    assert clean("accounts", {"phone": " +49 30 1234567 "}, creating=False) == {
        "phone": "+49 30 1234567"
    }
    with pytest.raises(ValidationError, match="wrong number of digits"):
        clean("accounts", {"phone": "+49 30 12345678901234"}, creating=False)
