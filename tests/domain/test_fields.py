"""The per-entity declaration matches the replica's columns and checks whole records."""

from __future__ import annotations

import copy
import uuid

import pytest
from sqlalchemy import String
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from fieldapp.domain import fields, values
from fieldapp.domain.documents import check_document
from fieldapp.errors import ValidationError
from fieldapp.store.models import ENTITIES


@pytest.mark.parametrize("entity", sorted(fields.SPECS))
def test_max_lengths_are_the_replicas_column_lengths(entity: str) -> None:
    table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
    limits = fields.max_lengths(entity)
    for column in table.columns:
        if column.key == "server_version":
            continue
        assert column.key in fields.entity_fields(entity), f"{entity}.{column.key} undeclared"
        length = column.type.length if isinstance(column.type, String) else None
        if length is not None:
            assert limits.get(column.key) is not None, f"{entity}.{column.key} has no limit"
            assert limits[column.key] <= length, f"{entity}.{column.key}"
            if fields.entity_fields(entity)[column.key].kind in ("text", "email", "phone", "url"):
                assert limits[column.key] == length, f"{entity}.{column.key}"
    declared = set(fields.entity_fields(entity)) - {c.key for c in table.columns}
    assert declared == set(), f"declared but not stored: {declared}"


@pytest.mark.parametrize("entity", sorted(fields.SPECS))
def test_defaults_and_choices_are_the_replicas(entity: str) -> None:
    table = ENTITIES[entity].__table__  # type: ignore[attr-defined]
    for name, rule in fields.SPECS[entity].items():
        default = table.c[name].default
        stored = default.arg if isinstance(default, ScalarElementColumnDefault) else None
        assert rule.default == stored, f"{entity}.{name}"
        assert rule.default is None or not rule.choices or rule.default in rule.choices


def test_every_text_field_has_a_limit() -> None:
    for entity in fields.SPECS:
        for name, rule in fields.entity_fields(entity).items():
            if rule.kind in ("text", "email", "phone", "url", "id", "tags", "geojson", "choice"):
                assert rule.max_length, f"{entity}.{name}"


def test_required_fields_and_references() -> None:
    assert fields.required_fields("opportunities") == ("account_id", "name", "stage")
    assert fields.references("visits") == {
        "account_id": "accounts",
        "contact_id": "contacts",
        "owner_id": "users",
        "route_plan_id": "route_plans",
    }
    assert fields.references("leads")["converted_account_id"] == "accounts"
    assert fields.max_lengths("accounts")["name"] == 255
    assert fields.SPECS["accounts"]["type"].choices == values.ACCOUNT_TYPES


CONTACT = {
    "id": "0190b4c2-7a3e-7d3c-9f00-0123456789ab",
    "account_id": "0190b4c2-7a3e-7d3c-9f00-0123456789ac",
    "last_name": "Weiß",
    "email": "a.weiss@example.com",
    "created_at": "2026-11-20T10:00:00+00:00",
    "updated_at": "2026-11-20T10:00:00+00:00",
    "deleted_at": None,
}


def test_a_valid_document_comes_back_in_canonical_wire_form() -> None:
    assert check_document("contacts", CONTACT) == CONTACT
    deal = {
        "id": str(uuid.uuid4()),
        "account_id": str(uuid.uuid4()),
        "name": "Big one",
        "stage": "Proposal",
        "amount": 5000,
        "close_date": "2027-01-31",
    }
    assert check_document("opportunities", deal)["amount"] == "5000.00"
    assert check_document("tasks", {"done": True}, creating=False) == {"done": True}


@pytest.mark.parametrize(
    ("entity", "change", "field", "message"),
    [
        ("opportunities", {"amount": "lots"}, "amount", "is not an amount: lots"),
        ("opportunities", {"amount": "1e30"}, "amount", "must be less than 1,000,000,000,000"),
        ("visits", {"checkin_at": "not a time"}, "checkin_at", "not a date and time"),
        ("visits", {"checkin_at": "2026-11-20T10:00"}, "checkin_at", "needs its time zone"),
        ("contacts", {"last_name": {"first": "x"}}, "last_name", "expected text, got an object"),
        ("contacts", {"last_name": None}, "last_name", "is required"),
        ("contacts", {"account_id": "{0190B4C2-7A3E-7D3C-9F00-0123456789AC}"}, "account_id",
         "canonical form"),
        ("contacts", {"id": "x" * 40}, "id", "canonical form"),
        ("contacts", {"title": "t" * 121}, "title", "too long: 121 characters, at most 120"),
        ("contacts", {"planet": "Mars"}, "planet", "no such field on contacts"),
        ("tasks", {"done": "yes"}, "done", "expected true or false, got text"),
        ("leads", {"score": True}, "score", "expected a whole number, got true or false"),
        ("leads", {"score": 101}, "score", "must be between 0 and 100"),
        ("accounts", {"latitude": "50.1"}, "latitude", "expected a number, got text"),
        ("territories", {"polygon": '{"type": "Point", "coordinates": [1, 2]}'}, "polygon",
         "a Point, not a Polygon"),
        ("route_plans", {"settings": [1]}, "settings", "expected an object, got a list"),
    ],
)  # fmt: skip
def test_malformed_documents_are_refused_with_the_field(
    entity: str, change: dict[str, object], field: str, message: str
) -> None:
    base = copy.deepcopy(CONTACT) if entity == "contacts" else {"id": CONTACT["id"]}
    creating = entity == "contacts"
    with pytest.raises(ValidationError) as caught:
        check_document(entity, {**base, **change}, creating=creating)
    assert field in caught.value.fields, caught.value.fields
    assert message in caught.value.fields[field]


def test_a_new_document_needs_its_id_and_required_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        check_document("opportunities", {"name": "No account"})
    assert caught.value.fields == {
        "id": "is required",
        "account_id": "is required",
        "stage": "is required",
    }
    with pytest.raises(ValidationError, match="unknown kind of record"):
        check_document("planets", {})
