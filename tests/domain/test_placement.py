"""The one placement rule client and server share: polygon, postcode, the creator's one."""

from __future__ import annotations

import json

from fieldapp.domain.placement import place, territory_for

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[13.0, 52.0], [14.0, 52.0], [14.0, 53.0], [13.0, 53.0]]],
}
TERRITORIES = [
    ("poly", {"polygon": json.dumps(SQUARE), "postcodes": None}),
    ("short", {"polygon": None, "postcodes": "N"}),
    ("long", {"polygon": None, "postcodes": "N1, N2"}),
]


def test_polygon_first_then_the_longest_postcode_prefix() -> None:
    assert territory_for(TERRITORIES, "N1 4AB", 52.5, 13.4) == "poly"
    assert territory_for(TERRITORIES, "n1 4ab", None, None) == "long"
    assert territory_for(TERRITORIES, "N9", 10.0, 10.0) == "short"
    assert territory_for(TERRITORIES, "S1", None, None) is None


def test_the_creators_one_territory_is_the_fallback() -> None:
    assert place(TERRITORIES, {"postcode": "S1"}, ["mine"]) == "mine"
    assert place(TERRITORIES, {"postcode": "S1"}, ["a", "b"]) is None
    assert place(TERRITORIES, {"postcode": "N2"}, ["mine"]) == "long"
    # Coordinates in wire form (text) count as well; a damaged shape places nothing.
    assert place(TERRITORIES, {"latitude": "52.5", "longitude": "13.5"}) == "poly"
    assert place([("bad", {"polygon": "{not json"})], {"latitude": 1, "longitude": 1}) is None
