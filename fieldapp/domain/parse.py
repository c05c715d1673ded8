"""How text (or a wire value) becomes a field's value, with the reason when it cannot.

Each parser takes what a person typed, a CSV cell or a JSON value, and returns the
value to store (``None`` for an empty one) or raises ``ValueError`` with a sentence
fit for a person. :mod:`fieldapp.domain.fields` puts them together per entity.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from fieldapp.domain import phones, visits

Parser = Callable[[Any], Any]

# The largest amount fieldapp keeps: money is stored in cents as a 64-bit integer,
# and no deal is worth a trillion.
MAX_AMOUNT = Decimal(10) ** 12
_SHOWN = 60  # characters of a refused value quoted back in a message


def shown(value: Any) -> str:
    """``repr`` of a refused value, cut short: a message never echoes a megabyte back."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def plain(value: Any) -> str:
    """A refused value as the user typed it, cut short (for messages in plain words)."""
    text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def text(value: Any) -> str | None:
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def bounded_text(max_length: int) -> Parser:
    """:func:`text` that refuses more than ``max_length`` characters.

    One function rather than :func:`limited` around :func:`text`: a CSV import
    calls it for most cells of 100k rows.
    """

    def parse(value: Any) -> str | None:
        if value is None:
            return None
        stripped = str(value).strip()
        if len(stripped) > max_length:
            raise ValueError(f"is too long: {len(stripped):,} characters, at most {max_length:,}")
        return stripped or None

    return parse


def limited(parse: Parser, max_length: int) -> Parser:
    """``parse``, then refuse a result longer than ``max_length`` characters."""

    def run(value: Any) -> Any:
        result = parse(value)
        if result is not None and len(result) > max_length:
            raise ValueError(f"is too long: {len(result):,} characters, at most {max_length:,}")
        return result

    return run


# An RFC 5322 dot-atom local part in plain ASCII: what nearly every address has.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=4096)
def _check_domain(domain: str) -> None:
    import email_validator

    email_validator.validate_email(f"x@{domain}", check_deliverability=False)


def email(value: Any) -> str | None:
    # Imported here, as phonenumbers is: only commands that check an address load it
    # (a plain "import" of a loaded module is a dict lookup; "from ... import" is not).
    import email_validator

    address = text(value)
    if address is None:
        return None
    local, at, domain = address.rpartition("@")
    try:
        # Imports repeat the same few domains; validating each once keeps 100k-row
        # files fast. Anything but a plain local part gets the full check.
        if at and len(local) <= 64 and len(address) <= 254 and _PLAIN_LOCAL.fullmatch(local):
            _check_domain(domain)
        else:
            email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"must look like name@example.com (got {plain(address)})") from exc
    return address


def default_phone_region() -> str:
    """Region assumed for phone numbers written without a country code."""
    return os.environ.get("FIELDAPP_PHONE_REGION", "DE").upper()


def phone(value: Any, region: str | None = None) -> str | None:
    number = text(value)
    if number is None:
        return None
    phones.check_possible(number, region or default_phone_region())
    return number


def phone_in(region: str, max_length: int) -> Parser:
    """:func:`phone` for one region, refusing more than ``max_length`` characters.

    What a CSV import runs for every number: the region is read once per file.
    """
    check = phones.check_possible

    def parse(value: Any) -> str | None:
        if value is None:
            return None
        number = str(value).strip()
        if not number:
            return None
        if len(number) > max_length:
            raise ValueError(f"is too long: {len(number):,} characters, at most {max_length:,}")
        check(number, region)
        return number

    return parse


_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def url(value: Any) -> str | None:
    address = text(value)
    if address is None:
        return None
    parsed = urlparse(address if "://" in address else f"https://{address}")
    try:
        host = parsed.hostname or ""
    except ValueError:  # e.g. an unclosed "[" where an IPv6 host would be
        host = ""
    if parsed.scheme not in ("http", "https") or not _HOST.match(host):
        raise ValueError(f"must look like https://example.com (got {plain(address)})")
    return address


def number(low: float, high: float, what: str) -> Parser:
    def parse(value: Any) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            result = (
                float(str(value).strip().replace(",", "."))
                if isinstance(value, str)
                else float(value)
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"is not a number: {plain(value)}") from exc
        if not (low <= result <= high) or result != result:
            raise ValueError(f"must be between {low:g} and {high:g} (got {result:g})")
        return result

    return parse


def integer(low: int, high: int) -> Parser:
    def parse(value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            result = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError as exc:
            raise ValueError(f"is not a whole number: {plain(value)}") from exc
        if not low <= result <= high:
            raise ValueError(f"must be between {low} and {high} (got {result})")
        return result

    return parse


def amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        result = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation as exc:
        raise ValueError(f"is not an amount: {plain(value)}") from exc
    if not result.is_finite() or result < 0:
        raise ValueError(f"must be zero or more (got {plain(value)})")
    if result >= MAX_AMOUNT:
        raise ValueError(f"must be less than {MAX_AMOUNT:,} (got {plain(value)})")
    return result.quantize(Decimal("0.01"))


def choice(choices: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str | None:
        given = text(value)
        if given is None:
            return None
        key = given.lower().replace(" ", "_")
        if key not in choices:
            names = ", ".join(c.replace("_", " ") for c in choices)
            raise ValueError(f"must be one of {names} (got {plain(given)})")
        return key

    return parse


def day(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    given = text(value)
    if given is None:
        return None
    try:
        return date.fromisoformat(given[:10])
    except ValueError as exc:
        raise ValueError(f"is not a date (write it like 2026-11-24): {plain(given)}") from exc


def moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        given = text(value)
        if given is None:
            return None
        try:
            parsed = datetime.fromisoformat(given)
        except ValueError as exc:
            raise ValueError(
                f"is not a date and time (write it like 2026-11-24 14:30): {plain(given)}"
            ) from exc
    if parsed.tzinfo is None:
        # Times typed by a person are in the laptop's local zone.
        parsed = parsed.astimezone()
    return parsed.astimezone(UTC)


def yes_no(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    given = str(value).strip().lower()
    if given in ("1", "true", "yes", "y", "on", "done"):
        return True
    if given in ("0", "false", "no", "n", "off", ""):
        return False
    raise ValueError(f"must be yes or no (got {plain(value)})")


_TAG_SEPARATORS = re.compile(r"[,;|]")


def tags(value: Any) -> str | None:
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else _TAG_SEPARATORS.split(str(value))
    found: list[str] = []
    for item in items:
        tag = " ".join(str(item).split()).lower()
        if tag and tag not in found:
            found.append(tag)
    return ",".join(found) or None


_CURRENCY = re.compile(r"[A-Za-z]{3}")


def currency(value: Any) -> str | None:
    code = text(value)
    if code is None:
        return None
    if not _CURRENCY.fullmatch(code):
        raise ValueError(f"must be a three-letter currency code such as EUR (got {plain(code)})")
    return code.upper()


_CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_canonical_id(value: Any) -> bool:
    """True for a record id as fieldapp writes it: a lower-case, hyphenated UUID."""
    return isinstance(value, str) and _CANONICAL_ID.fullmatch(value) is not None


def record_id(value: Any) -> str | None:
    """A UUID in any of its usual spellings, as fieldapp writes it (lower case, hyphens).

    ``{GUID}`` (Dynamics, Windows), ``urn:uuid:…`` (vCards), upper case or no hyphens
    all name the same record; stored as written they would be different keys and
    break a PostgreSQL server's sync. Anything that is not a UUID is refused.
    """
    given = text(value)
    if given is None:
        return None
    if _CANONICAL_ID.fullmatch(given):
        return given
    if len(given) <= 45:  # "urn:uuid:" + 36: uuid.UUID would strip more than that
        try:
            return str(uuid.UUID(given))
        except ValueError:
            pass
    raise ValueError(
        f"is not a record id (a UUID such as 0190b4c2-7a3e-7d3c-9f00-0123456789ab): {plain(given)}"
    )


_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256(value: Any) -> str | None:
    """A SHA-256 digest in hex (an attachment's content address), lower case."""
    given = text(value)
    if given is None:
        return None
    if not _SHA256.fullmatch(given.lower()):
        raise ValueError(f"is not a SHA-256 digest (64 hex digits): {plain(given)}")
    return given.lower()


def frequency(value: Any) -> int | None:
    """Days between visits: a whole number of days, or "4w", "4 weeks", "30d"."""
    if value is None or isinstance(value, bool):
        return None
    given = text(value)
    return None if given is None else visits.parse_frequency(given)


def json_object(value: Any) -> dict[str, Any] | None:
    """A JSON object (route settings): a dict, or None."""
    if value is None or isinstance(value, dict):
        return value
    raise ValueError(f"expected a JSON object, got {type(value).__name__}")


def blank_is_none(parse: Parser) -> bool:
    """Does ``parse`` turn an empty cell into None? (All but the yes/no rules do.)"""
    try:
        return bool(parse("") is None)
    except ValueError:
        return False
