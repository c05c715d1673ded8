"""Values checked by the declarations of :mod:`fieldapp.domain.fields`: one record as a
person typed it (:func:`clean`), or many rows with one CSV header (:func:`row_cleaner`),
with the same rules and the same sentences either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from fieldapp.domain import parse as p
from fieldapp.domain.fields import SPECS, Field, Parser, required_fields
from fieldapp.errors import FieldError, ValidationError


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
    check_record(entity, cleaned, errors, creating)
    return cleaned


def check_record(
    entity: str, cleaned: dict[str, Any], errors: list[FieldError], creating: bool
) -> None:
    """The rules about the record as a whole; raise if they or the fields failed."""
    # CSV import runs this for every row: look only at the required fields (two or
    # three of a dozen), and at coordinate errors only when one coordinate is missing.
    for field in required_fields(entity):
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
    region = p.default_phone_region()  # read once per import, not per number
    parsers = [_parser_for(spec[name], region) for name in names]
    rules = tuple(
        (name, parse, p.blank_is_none(parse)) for name, parse in zip(names, parsers, strict=True)
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
        check_record(entity, cleaned, errors, True)
        return cleaned

    return run


def _parser_for(rule: Field, region: str) -> Parser:
    if rule.kind == "phone" and rule.max_length is not None:
        return p.phone_in(region, rule.max_length)
    return rule.parse
