"""One declaration per entity: what each field holds, and the checks every side runs.

The replica's store (``--set field=value``, the GUI's forms, CSV import) and the central
server (CSV import; push validation) judge a value by the same :class:`Field`, so a
value refused in one place is refused everywhere with the same sentence. A field
declares its kind, whether it is required, its longest text (the replica's column
length; the README lists them), its choices, the entity an ``*_id`` field points at,
and the value a new record starts with.

``SPECS`` holds the fields people and imports write; ``SYSTEM`` the ones fieldapp fills
in itself (bookkeeping, lead conversion). :func:`fieldapp.domain.cleaning.clean` checks
values as typed by these declarations; :func:`fieldapp.domain.documents.check_document`
checks a whole record in wire form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from fieldapp.domain import parse as p
from fieldapp.domain import values as v
from fieldapp.domain.geojson import parse_geojson

Parser = p.Parser


@dataclass(frozen=True)
class Field:
    """How one field is checked; ``parse`` turns text or a wire value into the value."""

    kind: str  # text email phone url number integer amount choice date datetime bool
    #            tags currency id json geojson
    parse: Parser
    required: bool = False
    max_length: int | None = None  # characters, for text kinds
    choices: tuple[str, ...] = ()
    references: str | None = None  # the entity an id field points at
    default: Any = None  # what a new record holds when the field is not given


def _text(max_length: int, *, required: bool = False, kind: str = "text") -> Field:
    return Field(kind, p.bounded_text(max_length), required, max_length)


def _checked(kind: str, parse: Parser, max_length: int) -> Field:
    return Field(kind, p.limited(parse, max_length), max_length=max_length)


def _choice(choices: tuple[str, ...], default: str | None = None) -> Field:
    longest = max(len(c) for c in choices)
    return Field("choice", p.choice(choices), False, longest, choices, default=default)


def _ref(entity: str, *, required: bool = False) -> Field:
    return Field("id", p.record_id, required, 36, references=entity)


def _number(low: float, high: float, what: str) -> Field:
    return Field("number", p.number(low, high, what))


def _integer(low: int, high: int, *, required: bool = False, default: int | None = None) -> Field:
    return Field("integer", p.integer(low, high), required, default=default)


def _geojson_text(value: Any) -> str | None:
    shape = p.text(value)
    if shape is not None:
        parse_geojson(shape)
    return shape


# Limits of the columns the replica keeps as unbounded text (the README lists them all).
STREET = 500
TAGS = 1000
LONG_TEXT = 20_000
SHORT_TEXT = 2000
SOURCE_ID = v.SOURCE_ID_LENGTH

EMAIL = _checked("email", p.email, 254)
PHONE = _checked("phone", p.phone, 40)
LAT = _number(-90, 90, "latitude")
LON = _number(-180, 180, "longitude")
WHEN = Field("datetime", p.moment)
DESCRIPTION = _text(LONG_TEXT)
OWNER = _ref("users")
ADDRESS = {
    "street": _text(STREET),
    "city": _text(120),
    "postcode": _text(20),
    "country": _text(80),
}

SPECS: dict[str, dict[str, Field]] = {
    "accounts": {
        "name": _text(255, required=True),
        "type": _choice(v.ACCOUNT_TYPES, v.DEFAULT_ACCOUNT_TYPE),
        "industry": _text(100),
        "phone": PHONE,
        "email": EMAIL,
        "website": _checked("url", p.url, 255),
        **ADDRESS,
        "region": _text(120),
        "latitude": LAT,
        "longitude": LON,
        "geocode_precision": _choice(v.GEOCODE_PRECISIONS),
        "territory_id": _ref("territories"),
        "owner_id": OWNER,
        "status": _choice(v.ACCOUNT_STATUSES, v.DEFAULT_ACCOUNT_STATUS),
        "tags": Field("tags", p.limited(p.tags, TAGS), max_length=TAGS),
        "description": DESCRIPTION,
        "source_id": _text(SOURCE_ID),
        # Visit every N days (None: the default, fieldapp.domain.visits); "4w" is typed.
        "visit_frequency_days": Field("integer", p.frequency),
    },
    "contacts": {
        "account_id": _ref("accounts"),
        "first_name": _text(100),
        "last_name": _text(100, required=True),
        "title": _text(120),
        "email": EMAIL,
        "phone": PHONE,
        "mobile": PHONE,
        **ADDRESS,
        "owner_id": OWNER,
        "description": DESCRIPTION,
        "source_id": _text(SOURCE_ID),
    },
    "leads": {
        "first_name": _text(100),
        "last_name": _text(100, required=True),
        "company": _text(255),
        "title": _text(120),
        "email": EMAIL,
        "phone": PHONE,
        **ADDRESS,
        "source": _text(60),
        "status": _choice(v.LEAD_STATUSES, v.DEFAULT_LEAD_STATUS),
        "score": _integer(0, 100, default=0),
        "rating": _choice(v.LEAD_RATINGS, v.DEFAULT_LEAD_RATING),
        # Where the address lies (fieldapp.domain.placement): that territory's reps see it.
        "territory_id": _ref("territories"),
        "owner_id": OWNER,
        "description": DESCRIPTION,
        "source_id": _text(SOURCE_ID),
    },
    "opportunities": {
        "account_id": _ref("accounts", required=True),
        "contact_id": _ref("contacts"),
        "name": _text(255, required=True),
        # One of the pipeline's stages: the store checks the name against them.
        "stage": _text(60, required=True),
        "amount": Field("amount", p.amount),
        "currency": Field("currency", p.currency, max_length=3, default=v.DEFAULT_CURRENCY),
        "probability": _integer(0, 100),
        "close_date": Field("date", p.day),
        "won_lost_reason": _text(SHORT_TEXT),
        "owner_id": OWNER,
        "description": DESCRIPTION,
        "source_id": _text(SOURCE_ID),
    },
    "visits": {
        "account_id": _ref("accounts", required=True),
        "contact_id": _ref("contacts"),
        "owner_id": OWNER,
        "route_plan_id": _ref("route_plans"),
        "planned_start": WHEN,
        "planned_end": WHEN,
        "checkin_at": WHEN,
        "checkout_at": WHEN,
        "checkin_latitude": LAT,
        "checkin_longitude": LON,
        "checkin_accuracy_m": _number(0, 1e6, "accuracy"),
        "checkin_distance_m": _number(0, 2.1e7, "distance"),
        "checkin_flag": _choice(v.CHECKIN_FLAGS),
        "outcome": _choice(v.VISIT_OUTCOMES),
        "notes": _text(LONG_TEXT),
        "next_step": _text(SHORT_TEXT),
    },
    "tasks": {
        "title": _text(255, required=True),
        "description": DESCRIPTION,
        "account_id": _ref("accounts"),
        "contact_id": _ref("contacts"),
        "opportunity_id": _ref("opportunities"),
        "visit_id": _ref("visits"),
        "due_at": WHEN,
        "priority": _choice(v.TASK_PRIORITIES, v.DEFAULT_TASK_PRIORITY),
        "done": Field("bool", p.yes_no, default=False),
        "done_at": WHEN,
        "owner_id": OWNER,
    },
    "notes": {
        "body": _text(LONG_TEXT, required=True),
        "account_id": _ref("accounts"),
        "contact_id": _ref("contacts"),
        "lead_id": _ref("leads"),
        "opportunity_id": _ref("opportunities"),
        "visit_id": _ref("visits"),
        "owner_id": OWNER,
    },
    "territories": {
        "name": _text(200, required=True),
        "description": DESCRIPTION,
        "polygon": Field("geojson", p.limited(_geojson_text, 2_000_000), max_length=2_000_000),
        "postcodes": _text(LONG_TEXT),
        "manager_id": OWNER,
    },
    "users": {
        "username": _text(80, required=True),
        "display_name": Field("text", p.bounded_text(200), max_length=200, default=""),
        "email": EMAIL,
        "role": _choice(v.USER_ROLES, v.DEFAULT_USER_ROLE),
        "manager_id": OWNER,
    },
    "route_plans": {
        "owner_id": OWNER,
        "plan_date": Field("date", p.day, required=True),
        "name": _text(200),
        "start_latitude": LAT,
        "start_longitude": LON,
        "end_latitude": LAT,
        "end_longitude": LON,
        "day_start": _text(5),  # "08:30"
        "day_end": _text(5),
        "total_distance_m": _number(0, 1e9, "distance"),
        "total_duration_s": _integer(0, 10**7),
        "settings": Field("json", p.json_object),
    },
    "route_stops": {
        "route_plan_id": _ref("route_plans", required=True),
        "account_id": _ref("accounts", required=True),
        "position": _integer(0, 10**5, required=True),
        "arrival": WHEN,
        "departure": WHEN,
        "window_start": WHEN,
        "window_end": WHEN,
        "service_minutes": _integer(0, 24 * 60, default=30),
        "travel_s": _integer(0, 10**7),
        "wait_s": _integer(0, 10**7),
        "visit_id": _ref("visits"),
    },
    "attachments": {
        "account_id": _ref("accounts", required=True),
        "parent_entity": _choice(v.ATTACHMENT_PARENTS),
        "parent_id": Field("id", p.record_id, True, 36),
        "owner_id": OWNER,
        "filename": _text(255, required=True),
        "content_type": _text(100, required=True),
        "size": _integer(0, v.MAX_ATTACHMENT_BYTES, required=True),
        "sha256": Field("text", p.sha256, True, 64),
        "width": _integer(0, 100_000),
        "height": _integer(0, 100_000),
    },
    # Automation rules a manager sets (fieldapp.domain.rules) and the flags they put
    # on accounts; what a follow-up rule needs beyond these is rules.check_rule.
    "rules": {
        "name": _text(200, required=True),
        "kind": Field("choice", p.choice(v.RULE_KINDS), True, 12, v.RULE_KINDS),
        "enabled": Field("bool", p.yes_no, default=True),
        "territory_id": _ref("territories"),
        "outcome": _choice(v.VISIT_OUTCOMES),
        "days": _integer(0, 365),
        "task_title": _text(255),
        "priority": _choice(v.TASK_PRIORITIES),
        "owner_id": OWNER,
    },
    "flags": {
        "account_id": _ref("accounts", required=True),
        "rule_id": _ref("rules", required=True),
        "visit_id": _ref("visits"),
        "reason": _text(200),
    },
    "pipeline_stages": {
        "name": _text(60, required=True),
        "position": _integer(0, 1000, required=True),
        "probability": _integer(0, 100, required=True),
        "is_won": Field("bool", p.yes_no, default=False),
        "is_lost": Field("bool", p.yes_no, default=False),
    },
}

# Fields every record carries and fieldapp sets: never typed, never imported.
BOOKKEEPING: dict[str, Field] = {
    "id": Field("id", p.record_id, required=True, max_length=36),
    "created_at": WHEN,
    "updated_at": WHEN,
    "deleted_at": WHEN,
}
SYSTEM: dict[str, dict[str, Field]] = {entity: dict(BOOKKEEPING) for entity in SPECS}
SYSTEM["leads"].update(
    {
        # A lead-assignment rule's work: the rule, and the owner it replaced (undo).
        "assigned_by_rule_id": _ref("rules"),
        "assigned_from_id": OWNER,
        "converted_at": WHEN,
        "converted_account_id": _ref("accounts"),
        "converted_contact_id": _ref("contacts"),
        "converted_opportunity_id": _ref("opportunities"),
    }
)

# The rule that made a task (fieldapp.domain.rules.follow_up_task).
SYSTEM["tasks"]["rule_id"] = _ref("rules")


def entity_fields(entity: str) -> dict[str, Field]:
    """Every field a record of ``entity`` holds: bookkeeping, then the written ones."""
    return {**SYSTEM[entity], **SPECS[entity]}


@cache
def required_fields(entity: str) -> tuple[str, ...]:
    """The fields a new record of ``entity`` must have (``id`` not counted)."""
    return tuple(field for field, rule in SPECS[entity].items() if rule.required)


def max_lengths(entity: str) -> dict[str, int]:
    """``{field: longest text in characters}`` for every text-like field of ``entity``."""
    return {
        field: rule.max_length
        for field, rule in entity_fields(entity).items()
        if rule.max_length is not None
    }


def references(entity: str) -> dict[str, str]:
    """``{field: entity it points at}`` for the id fields of ``entity``."""
    return {
        field: rule.references
        for field, rule in entity_fields(entity).items()
        if rule.references is not None
    }


def referenced_entity(entity: str, field: str) -> str | None:
    """The entity a ``*_id`` field points at, or None for plain fields."""
    return SPECS[entity][field].references
