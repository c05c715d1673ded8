"""Is this text a possible phone number? phonenumbers' verdict, through its public API.

Every phone field (the command line, forms, CSV imports on the laptop and on the
server) is checked with ``phonenumbers.parse`` and ``is_possible_number``: the
right number of digits for the country. ``parse`` costs about 12 µs a number,
about a third of what validating a typical account row costs; an earlier quick
path that ran the library's private helpers was faster, and was dropped so that
an update of phonenumbers can never change a verdict behind our back.
"""

from __future__ import annotations


def check_possible(text: str, region: str) -> None:
    """Raise ValueError saying why, unless ``text`` is a possible phone number.

    ``region`` (e.g. "DE") is the country assumed for numbers without a country code.
    """
    # Imported here: loading its metadata takes longer than most commands run, and
    # only those that check a phone number need it.
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        # parse()'s own messages are for programmers; say why in our words.
        problems = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
            phonenumbers.NumberParseException.NOT_A_NUMBER: "not digits",
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
            phonenumbers.NumberParseException.TOO_LONG: "too long",
        }
        why = problems.get(exc.error_type, "not readable")
        raise ValueError(f"is not a valid phone number ({why}): {text}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"is not a valid phone number (wrong number of digits): {text}")
