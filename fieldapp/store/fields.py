"""What each entity's writable fields accept, and how text becomes a value.

One declaration serves the command line (``--set field=value``), CSV import and the
GUI's forms, so a value that is rejected in one place is rejected everywhere with the
same sentence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache, partial
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email

from fieldapp.errors import FieldError, ValidationError
from fieldapp.store import models as m
from fieldapp.store import phones

Parser = Callable[[Any], Any]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# An RFC 5322 dot-atom local part in plain ASCII: what nearly every address has.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=4096)
def _check_domain(domain: str) -> None:
    validate_email(f"x@{domain}", check_deliverability=False)


def _email(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    local, at, domain = text.rpartition("@")
    try:
        # Imports repeat the same few domains; validating each once keeps 100k-row
        # files fast. Anything but a plain local part gets the full check.
        if at and len(local) <= 64 and len(text) <= 254 and _PLAIN_LOCAL.fullmatch(local):
            _check_domain(domain)
        else:
            validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"must look like name@example.com (got {text})") from exc
    return text


def default_phone_region() -> str:
    """Region assumed for phone numbers written without a country code."""
    return os.environ.get("FIELDAPP_PHONE_REGION", "DE").upper()


def _phone(value: Any, region: str | None = None) -> str | None:
    text = _text(value)
    if text is None:
        return None
    phones.check_possible(text, region or default_phone_region())
    return text


_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _url(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    parsed = urlparse(text if "://" in text else f"https://{text}")
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https") or not _HOST.match(host):
        raise ValueError(f"must look like https://example.com (got {text})")
    return text


def _number(low: float, high: float, what: str) -> Parser:
    def parse(value: Any) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = (
                float(str(value).strip().replace(",", "."))
                if isinstance(value, str)
                else float(value)
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"is not a number: {value}") from exc
        if not (low <= number <= high) or number != number:
            raise ValueError(f"must be between {low:g} and {high:g} (got {number:g})")
        return number

    return parse


def _integer(low: int, high: int) -> Parser:
    def parse(value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError as exc:
            raise ValueError(f"is not a whole number: {value}") from exc
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high} (got {number})")
        return number

    return parse


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation as exc:
        raise ValueError(f"is not an amount: {value}") from exc
    if not number.is_finite() or number < 0:
        raise ValueError(f"must be zero or more (got {value})")
    return number.quantize(Decimal("0.01"))


def _choice(choices: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return None
        key = text.lower().replace(" ", "_")
        if key not in choices:
            raise ValueError(
                f"must be one of {', '.join(c.replace('_', ' ') for c in choices)} (got {text})"
            )
        return key

    return parse


def _date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"is not a date (write it like 2026-11-24): {text}") from exc


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = _text(value)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                f"is not a date and time (write it like 2026-11-24 14:30): {text}"
            ) from exc
    if parsed.tzinfo is None:
        # Times typed by a person are in the laptop's local zone.
        parsed = parsed.astimezone()
    return parsed.astimezone(UTC)


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on", "done"):
        return True
    if text in ("0", "false", "no", "n", "off", ""):
        return False
    raise ValueError(f"must be yes or no (got {value})")


def _tags(value: Any) -> str | None:
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else re.split(r"[,;|]", str(value))
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split()).lower()
        if tag and tag not in tags:
            tags.append(tag)
    return ",".join(tags) or None


def _currency(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise ValueError(f"must be a three-letter currency code such as EUR (got {text})")
    return text.upper()


def _ref(entity: str) -> Parser:
    def parse(value: Any) -> str | None:
        text = _text(value)
        if text is None:
            return None
        if not re.fullmatch(r"[0-9a-fA-F-]{36}", text):
            raise ValueError(f"is not a record id: {text}")
        return text.lower()

    parse.entity = entity  # type: ignore[attr-defined]
    return parse


@dataclass(frozen=True)
class Field:
    parse: Parser
    required: bool = False


TEXT = Field(_text)
LAT = Field(_number(-90, 90, "latitude"))
LON = Field(_number(-180, 180, "longitude"))
ADDRESS = {
    "street": TEXT,
    "city": TEXT,
    "postcode": TEXT,
    "country": TEXT,
}

SPECS: dict[str, dict[str, Field]] = {
    "accounts": {
        "name": Field(_text, required=True),
        "type": Field(_choice(m.ACCOUNT_TYPES)),
        "industry": TEXT,
        "phone": Field(_phone),
        "email": Field(_email),
        "website": Field(_url),
        **ADDRESS,
        "region": TEXT,
        "latitude": LAT,
        "longitude": LON,
        "geocode_precision": Field(_choice(m.GEOCODE_PRECISIONS)),
        "territory_id": Field(_ref("territories")),
        "owner_id": Field(_ref("users")),
        "status": Field(_choice(m.ACCOUNT_STATUSES)),
        "tags": Field(_tags),
        "description": TEXT,
    },
    "contacts": {
        "account_id": Field(_ref("accounts")),
        "first_name": TEXT,
        "last_name": Field(_text, required=True),
        "title": TEXT,
        "email": Field(_email),
        "phone": Field(_phone),
        "mobile": Field(_phone),
        **ADDRESS,
        "owner_id": Field(_ref("users")),
        "description": TEXT,
    },
    "leads": {
        "first_name": TEXT,
        "last_name": Field(_text, required=True),
        "company": TEXT,
        "title": TEXT,
        "email": Field(_email),
        "phone": Field(_phone),
        **ADDRESS,
        "source": TEXT,
        "status": Field(_choice(m.LEAD_STATUSES)),
        "score": Field(_integer(0, 100)),
        "rating": Field(_choice(m.LEAD_RATINGS)),
        "owner_id": Field(_ref("users")),
        "description": TEXT,
    },
    "opportunities": {
        "account_id": Field(_ref("accounts"), required=True),
        "contact_id": Field(_ref("contacts")),
        "name": Field(_text, required=True),
        "stage": Field(_text, required=True),
        "amount": Field(_decimal),
        "currency": Field(_currency),
        "probability": Field(_integer(0, 100)),
        "close_date": Field(_date),
        "won_lost_reason": TEXT,
        "owner_id": Field(_ref("users")),
        "description": TEXT,
    },
    "visits": {
        "account_id": Field(_ref("accounts"), required=True),
        "contact_id": Field(_ref("contacts")),
        "owner_id": Field(_ref("users")),
        "route_plan_id": Field(_ref("route_plans")),
        "planned_start": Field(_datetime),
        "planned_end": Field(_datetime),
        "checkin_at": Field(_datetime),
        "checkout_at": Field(_datetime),
        "checkin_latitude": LAT,
        "checkin_longitude": LON,
        "checkin_accuracy_m": Field(_number(0, 1e6, "accuracy")),
        "outcome": Field(_choice(m.VISIT_OUTCOMES)),
        "notes": TEXT,
        "next_step": TEXT,
    },
    "tasks": {
        "title": Field(_text, required=True),
        "description": TEXT,
        "account_id": Field(_ref("accounts")),
        "contact_id": Field(_ref("contacts")),
        "opportunity_id": Field(_ref("opportunities")),
        "visit_id": Field(_ref("visits")),
        "due_at": Field(_datetime),
        "priority": Field(_choice(m.TASK_PRIORITIES)),
        "done": Field(_bool),
        "done_at": Field(_datetime),
        "owner_id": Field(_ref("users")),
    },
    "notes": {
        "body": Field(_text, required=True),
        "account_id": Field(_ref("accounts")),
        "contact_id": Field(_ref("contacts")),
        "lead_id": Field(_ref("leads")),
        "opportunity_id": Field(_ref("opportunities")),
        "visit_id": Field(_ref("visits")),
        "owner_id": Field(_ref("users")),
    },
    "territories": {
        "name": Field(_text, required=True),
        "description": TEXT,
        "polygon": TEXT,
        "postcodes": TEXT,
        "manager_id": Field(_ref("users")),
    },
    "users": {
        "username": Field(_text, required=True),
        "display_name": TEXT,
        "email": Field(_email),
        "role": Field(_choice(m.USER_ROLES)),
        "manager_id": Field(_ref("users")),
    },
    "route_plans": {
        "owner_id": Field(_ref("users")),
        "plan_date": Field(_date, required=True),
        "name": TEXT,
        "start_latitude": LAT,
        "start_longitude": LON,
        "end_latitude": LAT,
        "end_longitude": LON,
        "day_start": TEXT,
        "day_end": TEXT,
        "total_distance_m": Field(_number(0, 1e9, "distance")),
        "total_duration_s": Field(_integer(0, 10**7)),
        "settings": Field(lambda v: v),
    },
    "route_stops": {
        "route_plan_id": Field(_ref("route_plans"), required=True),
        "account_id": Field(_ref("accounts"), required=True),
        "position": Field(_integer(0, 10**5), required=True),
        "arrival": Field(_datetime),
        "departure": Field(_datetime),
        "window_start": Field(_datetime),
        "window_end": Field(_datetime),
        "service_minutes": Field(_integer(0, 24 * 60)),
        "travel_s": Field(_integer(0, 10**7)),
        "wait_s": Field(_integer(0, 10**7)),
        "visit_id": Field(_ref("visits")),
    },
    "pipeline_stages": {
        "name": Field(_text, required=True),
        "position": Field(_integer(0, 1000), required=True),
        "probability": Field(_integer(0, 100), required=True),
        "is_won": Field(_bool),
        "is_lost": Field(_bool),
    },
}


def referenced_entity(entity: str, field: str) -> str | None:
    """The entity a ``*_id`` field points at, or None for plain fields."""
    return getattr(SPECS[entity][field].parse, "entity", None)


def clean(entity: str, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Parse and check ``values``; raise one :class:`ValidationError` naming every bad field."""
    spec = SPECS[entity]
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field, raw in values.items():
        rule = spec.get(field)
        if rule is None:
            errors.append(
                FieldError(field, f"is not a field of {entity} (they are: {', '.join(spec)})")
            )
            continue
        try:
            cleaned[field] = rule.parse(raw)
        except ValueError as exc:
            errors.append(FieldError(field, str(exc)))
    _check_record(entity, cleaned, errors, creating)
    return cleaned


def _check_record(
    entity: str, cleaned: dict[str, Any], errors: list[FieldError], creating: bool
) -> None:
    """The rules about the record as a whole; raise if they or the fields failed."""
    # CSV import runs this for every row: look only at the required fields (two or
    # three of a dozen), and at coordinate errors only when one coordinate is missing.
    for field in _required(entity):
        if (
            cleaned.get(field) is None
            and (creating or field in cleaned)
            and not any(e.field == field for e in errors)
        ):
            errors.append(FieldError(field, "is required"))
    if (
        creating
        and (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
        and not any(e.field in ("latitude", "longitude") for e in errors)
    ):
        errors.append(FieldError("latitude", "and longitude go together: give both or neither"))
    if errors:
        raise ValidationError(errors)


def row_cleaner(entity: str, names: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """:func:`clean` for new records, made for many rows with the same fields.

    A CSV import cleans 100k rows with the columns of one header. Same rules and
    messages as :func:`clean`; what does not change from row to row is worked out
    once: each field's rule, the phone region, and which rules turn an empty cell
    into None (all but yes/no ones), so that empty cells (a third of a typical
    export) cost no call.
    A row with other fields than ``names`` goes through :func:`clean`.
    """
    spec = SPECS[entity]
    if any(name not in spec for name in names):
        return partial(clean, entity, creating=True)
    parsers = [spec[name].parse for name in names]
    # The phone region is read from the environment once per import, not per number.
    parsers = [
        partial(_phone, region=default_phone_region()) if p is _phone else p for p in parsers
    ]
    rules = tuple(
        (name, parse, _blank_is_none(parse)) for name, parse in zip(names, parsers, strict=True)
    )
    expected = frozenset(names)

    def run(values: dict[str, Any]) -> dict[str, Any]:
        if len(values) != len(rules) or values.keys() != expected:
            return clean(entity, values, creating=True)
        cleaned: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, parse, blank_is_none in rules:
            raw = values[name]
            if blank_is_none and raw == "":
                cleaned[name] = None
                continue
            try:
                cleaned[name] = parse(raw)
            except ValueError as exc:
                errors.append(FieldError(name, str(exc)))
        _check_record(entity, cleaned, errors, True)
        return cleaned

    return run


def _blank_is_none(parse: Parser) -> bool:
    try:
        return parse("") is None
    except ValueError:
        return False


@cache
def _required(entity: str) -> tuple[str, ...]:
    return tuple(field for field, rule in SPECS[entity].items() if rule.required)
