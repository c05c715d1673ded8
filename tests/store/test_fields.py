"""The row cleaner a CSV import uses judges every row exactly as fields.clean does."""

from __future__ import annotations

from typing import Any

import pytest

from fieldapp.errors import ValidationError
from fieldapp.store import fields


def verdict(clean: Any, values: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", clean(dict(values))
    except ValidationError as exc:
        return "error", [(e.field, e.message) for e in exc.errors]


ACCOUNT_ROWS = [
    {"name": "Acme", "phone": "", "email": "", "latitude": "", "longitude": "", "tags": ""},
    {"name": " ", "phone": "12", "email": "no at", "latitude": "91", "longitude": "", "tags": ""},
    {"name": "Geo", "phone": "+49 30 1234567", "email": "a@b.de", "latitude": "50,5",
     "longitude": "7.1", "tags": "B; a ,b"},
    {"name": "", "phone": "", "email": "", "latitude": "", "longitude": "7", "tags": "  "},
    {"name": "Half", "phone": " ", "email": " ", "latitude": "x", "longitude": "", "tags": ","},
]  # fmt: skip


@pytest.mark.parametrize("values", ACCOUNT_ROWS)
def test_row_cleaner_gives_cleans_verdict_for_accounts(values: dict[str, Any]) -> None:
    row = fields.row_cleaner("accounts", list(values))
    assert verdict(row, values) == verdict(
        lambda v: fields.clean("accounts", v, creating=True), values
    )


@pytest.mark.parametrize(
    "values",
    [
        {"title": "Call", "done": "", "priority": ""},  # yes/no: empty means no, not None
        {"title": "", "done": "maybe", "priority": "urgent"},
        {"title": "Visit", "done": "yes", "priority": "High"},
    ],
)
def test_row_cleaner_keeps_rules_where_an_empty_cell_is_a_value(values: dict[str, Any]) -> None:
    row = fields.row_cleaner("tasks", list(values))
    expected = verdict(lambda v: fields.clean("tasks", v, creating=True), values)
    assert verdict(row, values) == expected
    if values["title"] == "Call":
        assert expected == ("ok", {"title": "Call", "done": False, "priority": None})


def test_row_cleaner_falls_back_for_rows_with_other_fields() -> None:
    row = fields.row_cleaner("accounts", ["name", "city"])
    assert row({"name": "Acme"}) == {"name": "Acme"}
    with pytest.raises(ValidationError, match="is not a field of accounts"):
        row({"name": "Acme", "planet": "Mars"})
    unknown = fields.row_cleaner("accounts", ["name", "planet"])
    with pytest.raises(ValidationError, match="is not a field of accounts"):
        unknown({"name": "Acme", "planet": "Mars"})


@pytest.mark.parametrize("region", ["DE", "ZZ"])  # ZZ: unknown, so no number without +
def test_row_cleaner_reads_the_phone_region_like_clean(
    monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    monkeypatch.setenv("FIELDAPP_PHONE_REGION", region)
    values = {"name": "Acme", "phone": "030 1234567"}
    row = fields.row_cleaner("accounts", list(values))
    expected = verdict(lambda v: fields.clean("accounts", v, creating=True), values)
    assert verdict(row, values) == expected
    assert expected[0] == ("ok" if region == "DE" else "error")
