"""Phone checks give phonenumbers' own verdict, through its public API only."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import phonenumbers
import pytest

from fieldapp.domain import phones
from fieldapp.errors import ValidationError
from fieldapp.store.fields import clean

# Main regions, and regions sharing a country code whose lengths differ from the main one.
REGIONS = (
    "DE", "US", "IT", "GB", "FR", "AR", "RU", "BR", "JP", "MX", "CA", "KZ", "IM", "GG", "CC", "BQ",
)  # fmt: skip


def library_verdict(text: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def our_verdict(text: str, region: str) -> bool:
    try:
        phones.check_possible(text, region)
    except ValueError:
        return False
    return True


def generated_number(rng: random.Random) -> str:
    """'+CC ...' or a number dialled at home, with what trips parsing up.

    National prefixes, leading zeros, international prefixes ("00", "011", "810"),
    the home country code written without a plus, odd lengths, punctuation.
    """
    codes = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    code = str(rng.choice(codes) if rng.random() < 0.9 else rng.randint(1, 999))
    body = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 16)))
    prefix = rng.choice(("", "", "0", "00", "011", "810", "1", "8", "9", "06", "15", "044"))
    digits = prefix + body if rng.random() < 0.5 else code + prefix + body
    spaced = "".join(d + (rng.choice(" -./") if rng.random() < 0.2 else "") for d in digits)
    return ("+" if rng.random() < 0.5 else "") + spaced.rstrip(" -./")


def test_verdicts_agree_with_phonenumbers_on_generated_numbers() -> None:
    rng = random.Random(20261123)
    said = {True: 0, False: 0}
    for _ in range(20_000):
        text = generated_number(rng)
        region = rng.choice(REGIONS)
        verdict = our_verdict(text, region)
        assert verdict == library_verdict(text, region), f"{text!r} in {region}"
        said[verdict] += 1
    assert min(said.values()) > 2_000, said  # both verdicts well represented


def test_no_private_helpers_of_phonenumbers_are_used() -> None:
    tree = ast.parse(Path(phones.__file__).read_text(encoding="utf-8"))
    used = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)]
    used += [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert "parse" in used and not [name for name in used if name.startswith("_")], used


@pytest.mark.parametrize(
    "text",
    [
        "+49 30 1234567",  # Berlin
        "+49 030 1234567",  # a national prefix written after the country code
        "+39 06 12345678",  # Rome: Italy keeps its leading zero
        "+54 9 11 1234 5678",  # Argentine mobile
        "+1 650 253 0000",  # North America
        "+44 20 7946 0958",
        "+800 1234 5678",  # a non-geographic code
        "030 1234567",  # national form, in Germany
        "01512 3456789",  # German mobile
        "+49 (30) 1234567",
        "+49-30-1234567",
        "0049 30 1234567",  # Germany's international prefix
    ],
)
def test_usual_numbers_are_possible(text: str) -> None:
    phones.check_possible(text, "DE")


def test_national_numbers_are_read_in_the_given_region() -> None:
    phones.check_possible("650 253 0000", "US")
    phones.check_possible("020 7946 0958", "GB")
    with pytest.raises(ValueError, match="wrong number of digits"):
        phones.check_possible("650 253 0000 1", "US")


def test_rejections_say_why_in_plain_words() -> None:
    with pytest.raises(ValueError, match=r"^is not a valid phone number \(too short\): \+49 1$"):
        phones.check_possible("+49 1", "DE")
    with pytest.raises(
        ValueError, match=r"^is not a valid phone number \(wrong number of digits\)"
    ):
        phones.check_possible("+49 30 12345678901234", "DE")
    with pytest.raises(ValueError, match=r"^is not a valid phone number \(not digits\): call me"):
        phones.check_possible("call me", "DE")


def test_fields_check_phones_the_same_way() -> None:
    assert clean("accounts", {"phone": " +49 30 1234567 "}, creating=False) == {
        "phone": "+49 30 1234567"
    }
    with pytest.raises(ValidationError, match="wrong number of digits"):
        clean("accounts", {"phone": "+49 30 12345678901234"}, creating=False)
