"""Header aliases, the CRM picklist table, formula escaping and territory shapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldapp.domain import headers, picklists, values
from fieldapp.domain.csvfile import FORMULA_STARTS, escape_formula, unescape_formula
from fieldapp.domain.fields import SPECS
from fieldapp.domain.geojson import parse_geojson
from fieldapp.domain.imports import new_report
from fieldapp.domain.matching import Repeats, Row, ValueIndex, key_digest


@pytest.mark.parametrize("entity", headers.IMPORTABLE)
def test_an_alias_names_one_target_and_every_target_exists(entity: str) -> None:
    seen: dict[str, str] = {}
    for target, aliases in headers.ALIASES[entity].items():
        assert target in headers.targets(entity), target
        for alias in aliases:
            assert alias == picklists.normalise(alias), alias  # written as they are compared
            assert seen.setdefault(alias, target) == target, f"{alias}: {seen[alias]}, {target}"


def test_every_importable_entity_has_its_header_table() -> None:
    assert tuple(headers.ALIASES) == values.IMPORTABLE


def test_id_means_fieldapps_id_only_when_spelt_so() -> None:
    assert headers.automatic_target("accounts", "id") == ("id", 0)
    assert headers.automatic_target("accounts", "Id") == ("source_id", 0)
    assert headers.automatic_target("accounts", "ID")[0] == "source_id"  # type: ignore[index]
    by_index, _, ignored = headers.map_columns("accounts", ["Id", "Account ID", "Name"])
    assert by_index == {0: "source_id", 2: "name"} and ignored == ["Account ID"]


@pytest.mark.parametrize(("entity", "field"), sorted(picklists.PICKLISTS))
def test_every_picklist_value_is_one_of_fieldapps(entity: str, field: str) -> None:
    allowed = values.DEFAULT_STAGES if field == "stage" else SPECS[entity][field].choices
    for label, value in picklists.PICKLISTS[(entity, field)].items():
        assert value in allowed, f"{label} -> {value}"


def test_crm_labels_are_read_whatever_their_punctuation() -> None:
    assert picklists.crm_value("accounts", "type", "Channel Partner / Reseller") == "partner"
    assert picklists.crm_value("accounts", "type", "CUSTOMER-DIRECT") == "customer"
    assert picklists.crm_value("accounts", "type", "Other") is None  # says nothing: asked
    assert picklists.crm_value("leads", "status", "Working - Contacted") == "contacted"
    assert picklists.crm_value("opportunities", "stage", "3-Propose") == "Proposal"
    assert picklists.crm_value("contacts", "title", "CEO") is None


@given(st.text())
def test_formula_escaping_round_trips(cell: str) -> None:
    escaped = escape_formula(cell)
    assert unescape_formula(escaped) == cell
    assert not escaped.startswith(FORMULA_STARTS)


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+49 30 1", "'+49 30 1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("O'Brien", "O'Brien"),
        ("'quoted'", "'quoted'"),
        ("", ""),
    ],
)
def test_owasp_formula_rule(cell: str, escaped: str) -> None:
    assert escape_formula(cell) == escaped


SQUARE = [[6.9, 50.9], [7.0, 50.9], [7.0, 51.0], [6.9, 51.0], [6.9, 50.9]]


@pytest.mark.parametrize(
    "shape",
    [
        {"type": "Polygon", "coordinates": [SQUARE]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},
        {"type": "Polygon", "coordinates": [SQUARE[:-1]]},  # not closed: read as closed
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE]}},
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}]},
    ],
)  # fmt: skip
def test_polygons_are_accepted(shape: dict[str, object]) -> None:
    assert parse_geojson(json.dumps(shape)) == shape


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        ("[1, 2]", "not a GeoJSON object"),
        ('{"type": "Point", "coordinates": [7, 50]}', "a Point, not a Polygon or MultiPolygon"),
        ('{"type": "Feature", "geometry": null}', "no geometry"),
        ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
         '{"type": "LineString", "coordinates": []}}]}', "feature 1: a LineString"),
        ('{"type": "Polygon", "coordinates": [[[7, 50], [8, 50], [7, 50]]]}',
         "at least 3 corners"),
        ('{"type": "Polygon", "coordinates": [[[7, 50], [8, 50]]]}', "at least 3 corners"),
        ('{"type": "Polygon", "coordinates": [[[7, 95], [8, 50], [8, 51], [7, 95]]]}',
         "outside longitude ±180, latitude ±90"),
        ('{"type": "Polygon", "coordinates": [[["a", 50], [8, 50], [8, 51], ["a", 50]]]}',
         "is not a [longitude, latitude] pair"),
        ('{"type": "Polygon", "coordinates": []}', "the polygon has no rings"),
        ('{"type": "MultiPolygon", "coordinates": []}', "a MultiPolygon without coordinates"),
    ],
)  # fmt: skip
def test_what_is_not_a_polygon_is_refused_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_geojson(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_repeats_are_found_before_and_after_the_index_spills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ValueIndex, "SPILL", 3)
    report = new_report("accounts")
    repeats = Repeats("accounts", report)

    def row(number: int, source: str, name: str) -> tuple[Row, bytes]:
        values = {"name": name, "source_id": source}
        return Row(number, number + 1, values, None), key_digest("accounts", values)

    first = repeats.screen([row(i, f"S{i}", f"Firm {i}") for i in range(1, 8)])
    assert len(first) == 7  # seven values: spilled twice
    later = repeats.screen([row(8, "S2", "Other"), row(9, "S9", "firm  7"), row(10, "S7", "x")])
    assert [r.number for r, _ in later] == [9]
    assert [(e.row, e.message) for e in report.invalid] == [
        (8, "is the same as row 2's"),
        (10, "is the same as row 7's"),
    ]
    assert report.duplicates == [
        "row 9 (line 10): 'firm  7' has the same name and address as row 7"
    ]
    repeats.close()
