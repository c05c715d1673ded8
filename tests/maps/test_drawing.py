"""Shapes drawn with the lasso become territory polygons with corners a person can drag."""

from __future__ import annotations

import math

import pytest

from fieldapp.domain.geojson import check_shape
from fieldapp.maps.drawing import MAX_CORNERS, polygon_ring, ring_polygon, simplify


def _square_lasso(n: int = 50) -> list[tuple[float, float]]:
    """What a drag around a square reports: many points along each side."""
    side = [i / n for i in range(n)]
    return (
        [(50.0 + 0.1 * t, 7.0) for t in side]
        + [(50.1, 7.0 + 0.1 * t) for t in side]
        + [(50.1 - 0.1 * t, 7.1) for t in side]
        + [(50.0, 7.1 - 0.1 * t) for t in side]
    )


def test_a_lassoed_square_keeps_its_four_corners() -> None:
    corners = simplify(_square_lasso())
    assert sorted((round(a, 6), round(b, 6)) for a, b in corners) == [
        (50.0, 7.0),
        (50.0, 7.1),
        (50.1, 7.0),
        (50.1, 7.1),
    ]


def test_a_circle_is_cut_to_at_most_the_corner_limit_and_stays_round() -> None:
    circle = [
        (50 + 0.1 * math.sin(2 * math.pi * i / 2000), 7 + 0.1 * math.cos(2 * math.pi * i / 2000))
        for i in range(2000)
    ]
    corners = simplify(circle)
    assert 8 <= len(corners) <= MAX_CORNERS
    for lat, lon in corners:  # every corner is still on the circle
        assert math.hypot(lat - 50, lon - 7) == pytest.approx(0.1, rel=1e-6)


def test_too_few_points_are_no_shape() -> None:
    with pytest.raises(ValueError, match="at least 3 corners"):
        simplify([(50.0, 7.0), (50.0, 7.0), (50.1, 7.1)])


def test_corners_make_valid_geojson_and_come_back() -> None:
    corners = [(50.0, 7.0), (50.1, 7.0), (50.1, 7.1)]
    polygon = ring_polygon(corners)
    check_shape(polygon)  # what the server accepts
    ring = polygon["coordinates"][0]
    assert ring[0] == ring[-1] == [7.0, 50.0]  # [lon, lat], closed
    assert polygon_ring(polygon) == corners
    assert polygon_ring(None) == []
    multi = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}
    assert polygon_ring(multi) == corners
