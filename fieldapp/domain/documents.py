"""A whole record in wire form, checked against its entity's declaration.

What the central server runs on a pushed record before storing it (issue 14: a
record that cannot be read back must never reach another replica), and what a
client may run on a record it pulls. Wire form is JSON: text as strings, numbers
as numbers, money as a decimal string or a number, dates and times as ISO 8601
strings (times with their zone), yes/no as booleans, ids as canonical UUIDs.

    cleaned = check_document("contacts", {"id": "…", "last_name": "Weiß"})

returns the document with every value in its canonical wire form, or raises one
:class:`~fieldapp.errors.ValidationError` naming every bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fieldapp.domain import parse as p
from fieldapp.domain.cleaning import check_record
from fieldapp.domain.fields import SPECS, Field, entity_fields
from fieldapp.domain.wire import to_wire
from fieldapp.errors import FieldError, ValidationError

# The JSON types each kind of field accepts on the wire (bool is not a number here).
_TEXT = (str,)
_WIRE_TYPES: dict[str, tuple[type, ...]] = {
    "text": _TEXT,
    "email": _TEXT,
    "phone": _TEXT,
    "url": _TEXT,
    "choice": _TEXT,
    "tags": _TEXT,
    "currency": _TEXT,
    "id": _TEXT,
    "geojson": _TEXT,
    "date": _TEXT,
    "datetime": _TEXT,
    "number": (int, float),
    "integer": (int,),
    "amount": (str, int, float),
    "bool": (bool,),
    "json": (dict,),
}
_JSON_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
_EXPECTED = {
    "number": "a number",
    "integer": "a whole number",
    "amount": "an amount (a decimal string or a number)",
    "bool": "true or false",
    "json": "an object",
}


def check_document(
    entity: str, document: Mapping[str, Any], *, creating: bool = True
) -> dict[str, Any]:
    """``document`` with every value checked and in canonical wire form.

    ``creating``: the document is a whole new record, so required fields must be
    there; otherwise it is a set of changed fields. Unknown fields, values of the
    wrong JSON type, non-canonical ids, times without a zone and text over its
    limit are all refused.
    """
    if entity not in SPECS:
        raise ValidationError([FieldError("entity", f"unknown kind of record {p.shown(entity)}")])
    declared = entity_fields(entity)
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field, value in document.items():
        rule = declared.get(field)
        if rule is None:
            errors.append(FieldError(str(field)[:80], f"no such field on {entity}"))
            continue
        try:
            cleaned[field] = _wire_value(rule, value)
        except ValueError as exc:
            errors.append(FieldError(field, str(exc)))
    if creating and cleaned.get("id") is None and not any(e.field == "id" for e in errors):
        errors.append(FieldError("id", "is required"))
    check_record(entity, cleaned, errors, creating)
    return cleaned


def _wire_value(rule: Field, value: Any) -> Any:
    if value is None:
        return None
    allowed = _WIRE_TYPES[rule.kind]
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        expected = _EXPECTED.get(rule.kind, "text")
        raise ValueError(f"expected {expected}, got {_json_type(value)}")
    if rule.kind == "id" and not p.is_canonical_id(value):
        raise ValueError(f"not a record id in canonical form (lower-case UUID): {p.shown(value)}")
    parsed = rule.parse(value)
    if rule.kind == "datetime" and isinstance(value, str):
        try:
            zone = datetime.fromisoformat(value.strip()).tzinfo
        except ValueError:
            zone = None
        if zone is None:
            raise ValueError(f"a date and time needs its time zone: {p.shown(value)}")
    return to_wire(parsed)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return _JSON_NAMES.get(type(value), type(value).__name__)
